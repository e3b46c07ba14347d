#!/bin/sh
# Real Redis (examples/redis), opt-in: where Redis's source is in
# examples/redis/src/redis (`make redis-fetch`) or REDIS_SRC, the images are
# built (`make redis`: Redis's own Makefile, then flexos-link) and each of
# `one` and `lua-process` answers PING, SET, GET and EVAL through
# redis-cli, its Lua scripts calling back into Redis (pointer arguments
# lent across the gates under lua-process), and shuts down leaving no
# process behind; a Lua error raised through redis.call (under lua-process
# a longjmp across the processes) comes back as the error reply. Without the source
# the script is skipped:
# Redis's build takes minutes and the source needs the network.
. "${0%/*}/lib.sh"
set -eu

redis_source
redis_build
pass "Redis built by its own Makefile and linked by flexos-link (one, lua-process, lua-mpk)"

# q EXPECTED ARGS...: redis-cli ARGS prints EXPECTED (one line).
q() {
	_q_want=$1
	shift
	_q_got=$(timeout 20 "$cli" -s "$WORK/sock" "$@" 2>&1) || _q_got="(redis-cli exited $?) $_q_got"
	[ "$_q_got" = "$_q_want" ] || fail "redis-cli $*: '$_q_got', expected '$_q_want'"
}

for cfg in one lua-process; do
	img="$WORK/redis-$cfg"
	cp "$ex/redis-$cfg" "$img"
	rm -f "$WORK/sock"
	"$img" --port 0 --unixsocket "$WORK/sock" --save '' --appendonly no --dir "$WORK" \
		>"$WORK/$cfg.log" 2>&1 &
	pid=$!
	for _ in $(seq 100); do
		[ -S "$WORK/sock" ] && break
		sleep 0.1
	done
	[ -S "$WORK/sock" ] || {
		cat "$WORK/$cfg.log" >&2
		fail "redis-$cfg did not open its socket"
		continue
	}
	q PONG PING
	q OK SET k hello
	q hello GET k
	pass "$cfg: PING, SET, GET"
	q 1 EVAL "return 1" 0
	q hello EVAL "return redis.call('get', KEYS[1])" 1 k
	q OK EVAL "return redis.call('set', KEYS[1], ARGV[1])" 1 k2 "from lua"
	q "from lua" GET k2
	q 3 EVAL "redis.call('incr', KEYS[1]); redis.call('incr', KEYS[1]); return redis.call('incr', KEYS[1])" 1 n
	q '{"a":[1,2]}' EVAL "return cjson.encode({a = {1, 2}})" 0
	q 6 EVAL "return tonumber(ARGV[1]) * 2" 0 3
	pass "$cfg: EVAL, redis.call from Lua, cjson"
	# A Lua error raised through redis.call longjmps, under lua-process
	# from Lua's process back across the gate of Redis's C function,
	# still running in Redis's process (which unwinds it at the next
	# message): the error reply, and the server goes on.
	_e=$(timeout 20 "$cli" -s "$WORK/sock" EVAL "return redis.call('nosuchcmd')" 0 2>&1) || true
	case $_e in
	*"Unknown Redis command called from script"*) ;;
	*) fail "$cfg: EVAL of a failing redis.call: '$_e', expected the error reply" ;;
	esac
	q PONG PING
	q 0 EVAL "local n = 0 for i = 1, 100 do if not pcall(redis.call, 'nosuchcmd') then n = n + 1 end end return n - redis.call('incr', KEYS[1]) + 1 - 100" 1 m
	q 2 EVAL "return redis.call('incr', KEYS[1])" 1 m
	pass "$cfg: Lua errors raised through redis.call come back as error replies (100 caught by Lua's pcall), and the server goes on"
	# 100000 keys grow Redis's heap past its first range; 30 clients
	# pipelining EVAL then hand Lua a script body allocated in a range the
	# heap added (it was not lent, and Lua's process crashed reading it).
	bench="$REDIS_SRC/src/redis-benchmark"
	timeout 120 "$bench" -s "$WORK/sock" -P 16 -c 30 -n 200000 -r 100000 -q -t set >/dev/null 2>&1
	timeout 120 "$bench" -s "$WORK/sock" -P 16 -c 30 -n 20000 -q EVAL "return 7" 0 >/dev/null 2>&1
	q PONG PING
	q 7 EVAL "return 7" 0
	pass "$cfg: EVAL from 30 pipelining clients after 100000 SETs (a script body in a range the heap grew)"
	q "" SHUTDOWN NOSAVE
	st=0
	wait "$pid" || st=$?
	[ "$st" = 0 ] || { cat "$WORK/$cfg.log" >&2; fail "redis-$cfg exited $st"; }
	grep -q '^flexos:' "$WORK/$cfg.log" && { cat "$WORK/$cfg.log" >&2; fail "redis-$cfg: the runtime reported a fault"; }
	no_orphans "SHUTDOWN"
	pass "$cfg: SHUTDOWN, exit status 0, no report, nothing left behind"
done
