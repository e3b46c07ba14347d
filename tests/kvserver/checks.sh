# The kvserver checks of linux.sh and lwip.sh; sourced after
# tests/lib/testlib.sh, not run. They talk to a server started in a
# network namespace of the test's own with redis-cli, redis-benchmark and
# bash's /dev/tcp, so the whole script runs in the namespace: kv_in_netns.
name=$(basename "$0" .sh)
tpid= spid=
at_exit '[ -z "$spid" ] || kill -9 "$spid" 2>/dev/null'

# kv_in_netns [TAP MAC]: outside (the first run), makes the namespace
# (with TAP, a TAP device and a neighbour entry for lwIP at $net.2 with
# MAC: netns_tap) and runs this script again inside it, bounded by
# KV_TIMEOUT (170 s), its cases counted with this one's; then ends it.
# If it runs out of time, the case says which check of which server was
# running (kv_stage) and shows the end of that server's log.
# Inside (KV_INSIDE=1) it returns.
kv_in_netns() {
	[ "${KV_INSIDE:-}" != 1 ] || return 0
	for t in redis-cli redis-benchmark ip timeout; do
		command -v $t >/dev/null ||
			skip_all "$t is missing: install redis-tools and iproute2 (tools/install-deps --test)"
	done
	need_netns "kv-$name" "$@"
	KV_INSIDE=1 net=$net in_ns "${KV_TIMEOUT:-170}" bash "$0" >&8
	if [ $? = 124 ]; then
		stage=$(cat "$TESTLIB_STATE/kv-stage" 2>/dev/null)
		if [ -n "$stage" ]; then
			_tl_tap "# the end of ${stage%%:*}'s log:"
			tail -n 20 "$TESTLIB_STATE/kv-${stage%%:*}.log" 2>/dev/null | sed 's/^/#   /' >&8
		fi
		fail "$name did not finish within ${KV_TIMEOUT:-170} s (running: ${stage:-?})"
	fi
	exit 0
}

# kv_stage WHAT: the check of $label now running, for kv_in_netns's report.
kv_stage() { echo "$label: $1" >"$TESTLIB_STATE/kv-stage"; }

# kv_start LABEL COMMAND...: starts the server (bounded by timeout) and
# waits until it listens (a case); sets host, port (from --port), spid and tpid.
kv_start() {
	label=$1
	shift
	kv_stage "start"
	log=$TESTLIB_STATE/kv-$label.log
	: >"$log"
	timeout "${KV_TIMEOUT:-170}" "$@" >"$log" 2>&1 &
	tpid=$!
	if ! await_line "$log" "listening on port" $tpid; then
		fail "$label did not start listening within 10 s"
		pass "$label starts listening"
		kill $tpid 2>/dev/null
		tpid=
		return 1
	fi
	spid=$(cat /proc/$tpid/task/$tpid/children)
	spid=${spid%% *}
	port=$(sed -n 's/.*listening on port \([0-9]*\).*/\1/p' "$log")
	pass "$label starts listening on port $port"
	return 0
}

# kv_stop: SIGTERM; the server must exit 0 and say so.
kv_stop() {
	[ -n "$tpid" ] || return
	kv_stage "stop"
	kill -TERM "$spid" 2>/dev/null
	wait $tpid
	st=$?
	if [ $st != 0 ] || ! grep -q "stopped by signal" "$log"; then
		cat "$log"
		fail "$label: status $st after SIGTERM"
	fi
	pass "$label stopped cleanly on SIGTERM"
	tpid= spid=
}

cli() { timeout 10 redis-cli -h "$host" -p "$port" --no-raw "$@" 2>&1; }

# expect WANT ARGS...: redis-cli ARGS prints exactly WANT.
expect() {
	want=$1
	shift
	got=$(cli "$@")
	[ "$got" = "$want" ] || fail "redis-cli $*: expected '$want', got '$got'"
}

# Every command's replies, as redis-cli shows them.
check_replies() {
	kv_stage "every command's reply"
	expect "OK" flushall
	expect "PONG" ping
	expect '"hi there"' ping "hi there"
	expect '"hello"' echo hello
	expect "OK" set k1 v1
	expect '"v1"' get k1
	expect "OK" set k1 v2
	expect '"v2"' get k1
	expect "(nil)" get nosuch
	expect "(nil)" set k1 v3 nx
	expect "(nil)" set k9 v9 xx
	expect '"v2"' set k1 v4 get
	expect "OK" set k1 v5 xx
	expect '"v5"' get k1
	expect "(error) ERR syntax error" set k1 v1 bogus
	expect "(error) ERR wrong number of arguments for 'get' command" get
	expect "(integer) 1" incr ctr
	expect "(integer) 2" incr ctr
	expect "(integer) 12" incrby ctr 10
	expect "(integer) 11" decr ctr
	expect "(error) ERR value is not an integer or out of range" incr k1
	expect "OK" set big 9223372036854775807
	expect "(error) ERR increment or decrement would overflow" incr big
	expect '"9223372036854775807"' get big
	expect "OK" mset a 1 b 2 c 3
	expect "$(printf '1) "1"\n2) (nil)\n3) "3"')" mget a nosuch c
	expect "(error) ERR wrong number of arguments for 'mset' command" mset a 1 b
	expect "(integer) 3" exists a b a
	expect "(integer) 2" del a b nosuch
	expect "(integer) 0" exists a b
	expect "(integer) 4" dbsize
	expect "$(printf '1) "save"\n2) ""\n3) "appendonly"\n4) "no"')" config get save appendonly
	expect "OK" flushall
	expect "(integer) 0" dbsize
	expect "(error) ERR unknown command 'nosuch', with args beginning with: 'x' " nosuch x
	# Binary-safe values, and an inline command (redis-cli sends arrays).
	printf 'a\0b\r\nc' | timeout 10 redis-cli -h "$host" -p "$port" -x set bin >/dev/null
	expect "(integer) 6" exists bin bin bin bin bin bin
	[ "$(timeout 10 redis-cli -h "$host" -p "$port" --raw get bin | od -An -c | tr -d ' \n')" = 'a\0b\r\nc\n' ] ||
		fail "a binary value did not come back intact"
	got=$(exec 3<>/dev/tcp/$host/$port && printf 'PING\r\nSET "s p" x\r\nGET "s p"\r\nQUIT\r\n' >&3 &&
		timeout 5 cat <&3 | tr -d '\r' | tr '\n' ' ')
	[ "$got" = '+PONG +OK $1 x +OK ' ] || fail "inline commands: got '$got'"
	# 100 pipelined commands in one printf, then one cut in two writes.
	got=$(exec 3<>/dev/tcp/$host/$port &&
		printf '*2\r\n$4\r\nINCR\r\n$4\r\npipe\r\n%.0s' $(seq 100) >&3 &&
		printf '*2\r\n$3\r\nGET\r\n$4\r' >&3 && sleep 0.2 && printf '\npipe\r\nQUIT\r\n' >&3 &&
		timeout 5 cat <&3 | tr -d '\r' | tail -n 3 | tr '\n' ' ')
	[ "$got" = '$3 100 +OK ' ] || fail "pipelining: the last replies were '$got', expected \$3 100 +OK"
	pass "$label: every command's reply, inline commands, pipelining"
}

# raw PAYLOAD-FILE: sends the file on a new connection, then prints what
# comes back until the server closes (and "rc=N" of that wait: 0 if it
# closed, 124 if it kept the connection open 5 s).
raw() {
	(
		exec 3<>/dev/tcp/$host/$port || exit 1
		cat "$1" >&3 2>/dev/null &
		timeout 5 cat <&3
		echo "rc=$?"
	) 2>/dev/null
}

# The bystander: a connection open across the malformed ones, served
# before, between and after them.
bystander_ping() {
	printf 'PING\r\n' >&4 2>/dev/null && read -r -t 5 line <&4 && [ "$line" = $'+PONG\r' ] ||
		fail "the other client was not served ($1)"
}

check_malformed() {
	kv_stage "malformed requests"
	exec 4<>/dev/tcp/$host/$port || { fail "cannot connect"; pass "$label: malformed requests"; return; }
	bystander_ping "before"
	cli set victim ok >/dev/null
	# Garbage: random bytes, then more than the inline limit without a newline.
	head -c 20000 /dev/urandom >"$WORK/garbage"
	head -c 70000 /dev/zero | tr '\0' 'x' >>"$WORK/garbage"
	out=$(raw "$WORK/garbage")
	case $out in
	*"-ERR "*rc=0) ;;
	*) fail "garbage: expected error replies and a closed connection, got '$(echo "$out" | tail -c 200)'" ;;
	esac
	bystander_ping "after garbage"
	# A truncated command, then the client closes: nothing happens.
	printf '*3\r\n$3\r\nSET\r\n$6\r\nvictim\r\n$5\r\nbr' >"$WORK/trunc"
	(exec 3<>/dev/tcp/$host/$port && cat "$WORK/trunc" >&3) 2>/dev/null
	bystander_ping "after a truncated command"
	expect '"ok"' get victim
	# An oversized bulk length, and a huge array: refused from the header.
	printf '*2\r\n$3\r\nGET\r\n$2000000000\r\n' >"$WORK/bulk"
	out=$(raw "$WORK/bulk")
	case $out in
	*"-ERR Protocol error: bulk length 2000000000 exceeds the limit of"*rc=0) ;;
	*) fail "oversized bulk: got '$out'" ;;
	esac
	printf '*100000000\r\n$3\r\nGET\r\n' >"$WORK/array"
	out=$(raw "$WORK/array")
	case $out in
	*"-ERR Protocol error: array of 100000000 arguments exceeds the limit of"*rc=0) ;;
	*) fail "huge array: got '$out'" ;;
	esac
	printf '*1\r\n$4\r\nPING\r\nX\r\n*1\r\n+PING\r\n' >"$WORK/notbulk"
	out=$(raw "$WORK/notbulk" | tr -d '\r' | tr '\n' ' ')
	case $out in
	"+PONG -ERR unknown command 'X', with args beginning with:  -ERR Protocol error: expected '\$', got '+' rc=0 ") ;;
	*) fail "a simple string in a request: got '$out'" ;;
	esac
	bystander_ping "after the oversized requests"
	exec 4<&-
	expect "PONG" ping
	pass "$label: garbage, truncated, oversized and malformed requests, another client served throughout"
}

# A connection the server closed first (a protocol error's reply), then
# one from the same source port right after (tests/kvserver/reopen.c),
# answered within 3 s, 3 times. The client closed second and kept no
# TIME-WAIT, so Linux reuses such a port whenever its ephemeral ports
# wrap under a burst of connections (check_concurrent); a server that
# holds its TIME-WAIT and will not reopen it (lwIP 2.1: 120 s) leaves
# that client in SYN-SENT, a redis-benchmark or redis-cli that times out.
check_reopen() {
	kv_stage "a connection reopened"
	# shellcheck disable=SC2086  # CFLAGS_TEST is a word list
	if [ ! -x "$WORK/reopen" ] &&
		! $CC $CFLAGS_TEST -o "$WORK/reopen" "$top_srcdir/tests/kvserver/reopen.c"; then
		fail "cannot build tests/kvserver/reopen.c"
	elif ! out=$("$WORK/reopen" "$host" "$port" 3); then
		fail "$label: $out"
	fi
	pass "$label: a connection it closed first, reopened at once from the same port, is answered"
}

# KV_CLIENTS (200) clients at once with redis-benchmark, then KV_CLIS
# (as many) redis-cli processes started at once, incrementing one counter.
# The lwIP images lost connections now and then under this load (the
# CI's: 2 of 6 pristine runs once): a client whose port lwIP still held in
# TIME-WAIT, which lwIP 2.1 does not reopen (check_reopen; the TAP driver
# now does, src/lwip/driver.c). One more attempt after a failed one stays,
# said in the log; the case fails if both do.
check_concurrent() {
	concurrent_attempt
	if [ -s "$TESTLIB_STATE/case" ]; then
		_tl_tap "# $label: the first attempt failed ($(tr '\n' ' ' <"$TESTLIB_STATE/case")); once more"
		: >"$TESTLIB_STATE/case"
		concurrent_attempt
	fi
	pass "$label: $nc concurrent clients (redis-benchmark -c $nc), $ncli redis-cli at once"
}

concurrent_attempt() {
	kv_stage "concurrent clients"
	nc=${KV_CLIENTS:-200}
	ncli=${KV_CLIS:-$nc}
	out=$(timeout 60 redis-benchmark -h "$host" -p "$port" -c $nc -n ${KV_BENCH_N:-20000} \
		-t ping,set,get,incr,mset -q 2>&1)
	st=$?
	if [ $st != 0 ] || echo "$out" | grep -qi "error" ||
		[ "$(echo "$out" | grep -c "requests per second")" != 6 ]; then
		fail "redis-benchmark -c $nc: status $st: $(echo "$out" | tr '\r' '\n' | grep -v 'rps=' | tail -n 3)"
	fi
	cli del par >/dev/null
	rm -f "$WORK"/par.*
	for i in $(seq $ncli); do
		timeout 30 redis-cli -h "$host" -p "$port" incr par >"$WORK/par.$i" 2>&1 &
	done
	wait_jobs=$(jobs -p | grep -v "^$tpid\$")
	for j in $wait_jobs; do
		wait "$j" || fail "a redis-cli of the $ncli failed with status $?"
	done
	for f in $(grep -L '^[0-9][0-9]*$' "$WORK"/par.* | head -n 3); do
		fail "a redis-cli of the $ncli printed: $(cat "$f")"
	done
	expect "\"$ncli\"" get par
}

rss_kb() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' /proc/$spid/status; }

# ROUNDS rounds of SET then DEL of the same 1000 keys with 1 KiB values:
# after a warm-up, the server's RSS may not grow by more than 2 MiB (a
# leaked value per SET would be tens of MiB).
check_memory() {
	kv_stage "memory"
	rounds=$1 n=$2
	val=$(head -c 1024 /dev/zero | tr '\0' 'v')
	round() {
		local cmd st
		for cmd in set del; do
			# shellcheck disable=SC2046
			timeout 30 redis-benchmark -h "$host" -p "$port" -c 10 -P 16 -n "$n" -r 1000 -q \
				$cmd "key:__rand_int__" $([ $cmd = set ] && echo "$val") \
				>"$WORK/round.out" 2>&1 </dev/null
			st=$?
			if [ $st != 0 ] || grep -qi "error" "$WORK/round.out"; then
				fail "redis-benchmark ${cmd^^} round: status $st$([ $st = 124 ] && echo ' (timed out after 30 s)'): $(tr '\r' '\n' <"$WORK/round.out" | grep -v 'rps=' | tail -n 3 | tr '\n' ' ')"
				return
			fi
		done
	}
	round
	round
	before=$(rss_kb)
	i=0
	while [ $i -lt "$rounds" ]; do
		round
		i=$((i + 1))
	done
	after=$(rss_kb)
	cli flushall >/dev/null
	if [ -z "$before" ] || [ -z "$after" ] || [ $((after - before)) -gt 2048 ]; then
		fail "RSS grew from ${before:-?} kB to ${after:-?} kB over $rounds rounds of $n SETs and DELs"
	fi
	pass "$label: RSS ${before} kB -> ${after} kB over $rounds rounds of $n SET + $n DEL"
}
