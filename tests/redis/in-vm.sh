#!/bin/sh
# Run inside the test VM: starts IMAGE (a Redis image) on a Unix socket,
# sends what WHAT says with CLI (redis-cli), prints each reply, then the
# server's log; exits with the server's exit status. WHAT:
#   smoke (the default; tests/redis/mpk-vm.sh): PING, SET, GET, an EVAL
#         and a failing one;
#   peek  (tests/redis/contain.sh, IMAGE under intel-mpk with the faulty
#         Lua function of lua-fault.c): sets a key, asks Redis where its
#         value lives (DEBUG OBJECT) and has a script read it from the Lua
#         compartment.
# Redis's own crash log is off: its SIGSEGV handler would replace
# FlexOS's fault report (docs/threat-model.md, limit 9).
img=$1 cli=$2 what=${3:-smoke}
debug=no
[ "$what" != peek ] || debug=yes
d=$(mktemp -d)
"$img" --port 0 --unixsocket "$d/sock" --save '' --appendonly no --crash-log-enabled no \
	--enable-debug-command "$debug" --dir "$d" >"$d/log" 2>&1 &
pid=$!
i=0
while [ ! -S "$d/sock" ] && [ $i -lt 600 ]; do
	sleep 0.1
	i=$((i + 1))
done
case $what in
smoke)
	for c in PING "SET k hello" "GET k"; do
		# shellcheck disable=SC2086  # c is the command's words
		echo "reply to $c: $("$cli" -s "$d/sock" $c 2>&1)"
	done
	echo "reply to EVAL: $("$cli" -s "$d/sock" EVAL "return redis.call('get', KEYS[1])" 1 k 2>&1)"
	# A Lua error raised through redis.call: a longjmp back across the gates.
	echo "reply to EVAL error: $("$cli" -s "$d/sock" EVAL "return redis.call('nosuchcmd')" 0 2>&1)"
	echo "reply to PING after it: $("$cli" -s "$d/sock" PING 2>&1)"
	;;
peek)
	echo "reply to SET: $("$cli" -s "$d/sock" SET k secret-value 2>&1)"
	addr=$("$cli" -s "$d/sock" DEBUG OBJECT k 2>&1 | sed -n 's/.*Value at:\(0x[0-9a-f]*\).*/\1/p')
	echo "value of k at: $addr"
	echo "reply to the read: $("$cli" -s "$d/sock" EVAL "return bit.flexos_peek(ARGV[1], 64)" 0 "$addr" 2>&1)"
	;;
*)
	echo "in-vm.sh: unknown WHAT '$what': smoke or peek" >&2
	;;
esac
# After peek the server should be gone; if not, it is asked to end.
"$cli" -s "$d/sock" SHUTDOWN NOSAVE >/dev/null 2>&1
wait "$pid"
st=$?
echo "server exit status $st"
cat "$d/log"
exit "$st"
