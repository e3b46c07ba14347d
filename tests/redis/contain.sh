#!/bin/sh
# Containment of a compromised Lua in real Redis (issue 20, item 4), opt-in
# like smoke.sh (skipped without Redis's source). A test build adds a
# faulty C function to Redis's Lua, bit.flexos_peek(address, n)
# (lua-fault.c: it reads n bytes at any address, standing in for a
# memory-corruption exploit), without changing a line of Redis: a copy of
# Redis's liblua.a whose luaopen_bit is renamed, plus our luaopen_bit.
# - one (no isolation): the function reads the value of a key at the
#   address DEBUG OBJECT gives: the address is Redis's keyspace, and a
#   read that succeeds is seen (the test can fail).
# - lua-process (on_crash: abort): a wild pointer in Lua ends the image.
# - lua-process-restart (on_crash: restart, checkpoint: [lua_pcall]): a
#   wild pointer and the read of Redis's keyspace each crash Lua's process
#   only: the client gets an error for that EVAL, Redis answers on, the
#   keys are intact, and later EVALs work, after 200 more crashes too
#   (without the checkpoint every EVAL failed after 199: Lua's state was
#   left inside the crashed call).
# - lua-mpk, in the emulated-PKU VM: the read of the keyspace from Lua's
#   compartment ends in a fault report naming Redis's heap (intel-mpk has
#   no restart). If the VM cannot run, this part fails, unless
#   FLEXOS_VM_OPTIONAL=1 (then: skipped).
. "${0%/*}/lib.sh"
set -eu

redis_source
redis_build

# The test build: Redis's own liblua.a, its luaopen_bit renamed for ours.
lua="$REDIS_SRC/deps/lua/src"
mkdir "$WORK/lib"
$CC -O2 -g -fPIE -Wall -Wextra -Werror -I"$lua" -c -o "$WORK/lib/lua-fault.o" \
	"$top_srcdir/tests/redis/lua-fault.c"
objcopy --redefine-sym luaopen_bit=flexos_test_luaopen_bit_real "$lua/liblua.a" "$WORK/lib/liblua.a"
ar rs "$WORK/lib/liblua.a" "$WORK/lib/lua-fault.o"
sed "s#\\.\\./deps/lua/src/liblua\\.a#$WORK/lib/liblua.a#" "$ex/inputs.txt" >"$WORK/inputs.txt"
grep -q "$WORK/lib/liblua.a" "$WORK/inputs.txt" || fail "no liblua.a in $ex/inputs.txt to replace"
for cfg in one lua-process lua-process-restart lua-mpk; do
	# shellcheck disable=SC2046  # inputs.txt is a word list
	(cd "$REDIS_SRC/src" && "$FLEXOS_LINK" -c "$top_srcdir/examples/redis/$cfg.yaml" \
		-o "$WORK/fault-$cfg" $(cat "$WORK/inputs.txt")) >"$WORK/link-$cfg.log" 2>&1 || {
		tail -n 20 "$WORK/link-$cfg.log" >&2
		fail "cannot link the test build of $cfg"
	}
done
pass "test build: Redis's liblua.a plus bit.flexos_peek, linked as one, lua-process, lua-process-restart and lua-mpk"

# start CFG: starts the test build of CFG on $WORK/sock; pid in $pid.
start() {
	rm -f "$WORK/sock"
	"$WORK/fault-$1" --port 0 --unixsocket "$WORK/sock" --save '' --appendonly no \
		--enable-debug-command yes --dir "$WORK" >"$WORK/$1.log" 2>&1 &
	pid=$!
	for _ in $(seq 100); do
		[ -S "$WORK/sock" ] && return 0
		sleep 0.1
	done
	cat "$WORK/$1.log" >&2
	fail "fault-$1 did not open its socket"
	return 1
}
# r ARGS...: redis-cli ARGS, its output in $WORK/reply (bytes as they come).
r() {
	timeout 20 "$cli" -s "$WORK/sock" "$@" >"$WORK/reply" 2>&1 || echo "(redis-cli exited $?)" >>"$WORK/reply"
}
# q EXPECTED ARGS...: redis-cli ARGS prints EXPECTED (one line).
q() {
	_q_want=$1
	shift
	r "$@"
	[ "$(cat "$WORK/reply")" = "$_q_want" ] || fail "redis-cli $*: '$(cat "$WORK/reply")', expected '$_q_want'"
}
# The address of the value of key $1 in Redis's heap.
value_at() {
	"$cli" -s "$WORK/sock" DEBUG OBJECT "$1" | sed -n 's/.*Value at:\(0x[0-9a-f]*\).*/\1/p'
}
# stop STATUS: SHUTDOWN NOSAVE, and the image exits with STATUS.
stop() {
	r SHUTDOWN NOSAVE
	st=0
	wait "$pid" || st=$?
	[ "$st" = "$1" ] || fail "the image exited $st, expected $1"
}
WILD="return bit.flexos_peek('16', 8)"
PEEK="return bit.flexos_peek(ARGV[1], 64)"

if start one; then
	q OK SET k secret-value
	addr=$(value_at k)
	r EVAL "$PEEK" 0 "$addr"
	grep -aq secret-value "$WORK/reply" ||
		fail "one: the read of k's value at '$addr' from Lua did not return it: $(cat -v "$WORK/reply")"
	stop 0
	pass "one (no isolation): Lua reads the value of a key at the address DEBUG OBJECT gives ($addr)"
fi

if start lua-process; then
	q OK SET k secret-value
	r EVAL "$WILD" 0
	st=0
	timeout 20 sh -c "while kill -0 $pid 2>/dev/null; do sleep 0.1; done" || st=timeout
	wait "$pid" || st=$?
	[ "$st" = 123 ] || fail "lua-process exited '$st' after a wild pointer in Lua, expected 123"
	expect_output "$WORK/lua-process.log" "^flexos: compartment 'lua' \\(pid [0-9]+\\) crashed: signal 11 \\(Segmentation fault\\) at address 0x10"
	no_orphans "the crash"
	pass "lua-process (on_crash: abort): a wild pointer in Lua ends the image with the crash report, status 123"
fi

if start lua-process-restart; then
	q OK SET k secret-value
	q OK SET k2 other
	q 1 EVAL "return 1" 0
	r EVAL "$WILD" 0
	expect_output "$WORK/reply" "^ERR Error running script [0-9a-f]+, execution failure"
	q PONG PING
	q secret-value GET k
	q other GET k2
	pass "lua-process-restart: a wild pointer in Lua: that EVAL gets an error, Redis answers, the keys are intact"

	addr=$(value_at k)
	r EVAL "$PEEK" 0 "$addr"
	! grep -aq secret-value "$WORK/reply" || fail "the Lua compartment read Redis's keyspace at $addr"
	expect_output "$WORK/reply" "^ERR Error running script [0-9a-f]+, execution failure"
	expect_output "$WORK/lua-process-restart.log" "^flexos: compartment 'lua' \\(pid [0-9]+\\) crashed: signal 11 at address $addr; restarting it"
	q secret-value GET k
	pass "lua-process-restart: reading Redis's keyspace from Lua ($addr) crashes Lua's process: nothing read, an error to the client, the keys intact"

	q secret-value EVAL "return redis.call('get', KEYS[1])" 1 k
	q OK EVAL "return redis.call('set', KEYS[1], ARGV[1])" 1 k3 "from lua"
	q "from lua" GET k3
	q '{"a":[1,2]}' EVAL "return cjson.encode({a = {1, 2}})" 0
	for i in $(seq 200); do
		r EVAL "$WILD" 0
		grep -q "^ERR Error running script" "$WORK/reply" || {
			fail "crash $i: $(cat -v "$WORK/reply")"
			break
		}
	done
	q 1 EVAL "return redis.call('incr', KEYS[1])" 1 n
	q 2 EVAL "return redis.call('incr', KEYS[1])" 1 n
	q 4 DBSIZE
	q secret-value GET k
	n=$(grep -c "^flexos: compartment 'lua' (pid [0-9]*) crashed: signal 11 at address .*; restarting it" "$WORK/lua-process-restart.log" || true)
	[ "$n" = 202 ] || fail "$n restarts of Lua's process in the log, expected 202"
	n=$(grep -c "^flexos: compartment 'lua': its memory is put back" "$WORK/lua-process-restart.log" || true)
	[ "$n" = 202 ] || fail "$n checkpoints put back in the log, expected 202"
	stop 0
	no_orphans "SHUTDOWN"
	pass "lua-process-restart: EVAL with redis.call and cjson works after the crashes, and after 200 more (Lua put back from its checkpoint each time); SHUTDOWN exits 0"
fi

img="$WORK/fault-lua-mpk"
vm_script 600 --file "$img" --file "$cli" --file "$top_srcdir/tests/redis/in-vm.sh" <<EOS
--expect-status=123 $top_srcdir/tests/redis/in-vm.sh $img $cli peek
EOS
vm_output 1 >"$WORK/out"
expect_output "$WORK/out" "^reply to SET: OK$"
addr=$(sed -n 's/^value of k at: \(0x[0-9a-f]*\)$/\1/p' "$WORK/out")
[ -n "$addr" ] || fail "no address from DEBUG OBJECT in the VM"
! grep -a "^reply to the read:" "$WORK/out" | grep -aq secret-value || fail "the Lua compartment read Redis's keyspace under intel-mpk"
expect_output "$WORK/out" "^flexos: protection-key fault: compartment 'lua' tried to read ${addr:-none}$"
expect_output "$WORK/out" "^flexos:   the address belongs to compartment 'redis': heap"
expect_output "$WORK/out" "^server exit status 123$"
pass "lua-mpk (VM): reading Redis's keyspace from Lua ends in a protection-key fault report naming Redis's heap"
