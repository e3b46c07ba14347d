#!/bin/bash
# kvserver-linux, the baseline on the kernel's sockets, in a network
# namespace of its own (loopback): every command's reply, malformed input,
# 200 concurrent clients, the client limit, no memory growth, and, if
# valgrind is installed, no leak at exit. Needs root and redis-tools.
. "${0%/*}/../lib/testlib.sh"
. "$top_srcdir/tests/kvserver/checks.sh"
kv_in_netns

server=$top_builddir/examples/kvserver/kvserver-linux
[ -x "$server" ] || die "$server is missing: run make"
host=127.0.0.1

if kv_start linux "$server" --port 6400; then
	check_replies
	check_malformed
	check_concurrent
	check_memory 8 20000
	kv_stop
fi

# Past --max-clients, a new connection gets an error and is closed; the
# clients already in are served.
if kv_start limit "$server" --port 6401 --max-clients 2; then
	exec 5<>/dev/tcp/$host/$port 6<>/dev/tcp/$host/$port
	sleep 0.2
	expect "(error) ERR max number of clients reached" ping
	printf 'PING\r\n' >&5 && read -r -t 5 line <&5 && [ "$line" = $'+PONG\r' ] ||
		fail "a client within the limit was not served"
	exec 5<&- 6<&-
	sleep 0.2
	expect "PONG" ping
	pass "the client limit"
	kv_stop
fi

# One short MGET naming a large value many times would make a reply of
# gigabytes: past --max-reply it gets an error, the connection stays
# usable and other clients are served.
if kv_start maxreply "$server" --port 6403; then
	f0=$fails
	exec 4<>/dev/tcp/$host/$port || fail "cannot connect"
	head -c 1000000 /dev/zero | tr '\0' 'v' | timeout 10 redis-cli -h "$host" -p "$port" -x set big >/dev/null
	printf 'MGET big big big big big big big big big\r\nPING\r\n' >"$work/mget"
	out=$(raw "$work/mget" | tr -d '\r' | head -c 300)
	case $out in
	"-ERR the reply would exceed 8388608 bytes (--max-reply): ask for fewer keys at a time"*"+PONG"*) ;;
	*) fail "a 9 MB MGET: got '$(printf '%s' "$out" | head -c 200)'" ;;
	esac
	bystander_ping "after a huge MGET"
	# *2, then twice $1000000 and the value: 4 + 2 * 1000012 bytes.
	n=$(printf 'MGET big big\r\n' >&4 && timeout 10 head -c 2000028 <&4 | wc -c)
	[ "$n" = 2000028 ] || fail "a 2 MB MGET within the limit got $n bytes of 2000028"
	exec 4<&-
	[ $fails = $f0 ] && ok "a reply beyond --max-reply is refused, others are served"
	kv_stop
fi

# Bad options are refused with a message naming the fix.
out=$("$server" --port 0 2>&1)
[ $? = 2 ] && echo "$out" | grep -q "port must be a number from 1 to 65535, not '0'" ||
	fail "--port 0: $out"
out=$("$server" --net tap=tap0 2>&1)
[ $? = 1 ] && echo "$out" | grep -q "remove --net" || fail "--net on Linux: $out"
pass "bad options are refused with a message naming the fix"

if command -v valgrind >/dev/null; then
	if kv_start valgrind valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect \
		--error-exitcode=3 "$server" --port 6402; then
		check_replies
		check_malformed
		timeout 30 redis-benchmark -h "$host" -p "$port" -c 20 -n 2000 -t set,get,mset -q >/dev/null
		kv_stop
	fi
else
	skip "no leak at exit (valgrind)" "valgrind is not installed"
fi
