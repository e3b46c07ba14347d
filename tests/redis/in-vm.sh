#!/bin/sh
# Run inside the test VM by tests/redis/mpk-vm.sh: starts IMAGE (a Redis
# image) on a Unix socket, sends PING, SET, GET, an EVAL and a failing one with CLI
# (redis-cli), prints each reply, then the server's log; exits with the
# server's exit status. Redis's own crash log is off: its SIGSEGV handler
# would replace FlexOS's fault report (docs/threat-model.md, limit 9).
img=$1 cli=$2
d=$(mktemp -d)
"$img" --port 0 --unixsocket "$d/sock" --save '' --appendonly no --crash-log-enabled no \
	--dir "$d" >"$d/log" 2>&1 &
pid=$!
i=0
while [ ! -S "$d/sock" ] && [ $i -lt 600 ]; do
	sleep 0.1
	i=$((i + 1))
done
for c in PING "SET k hello" "GET k"; do
	# shellcheck disable=SC2086  # c is the command's words
	echo "reply to $c: $("$cli" -s "$d/sock" $c 2>&1)"
done
echo "reply to EVAL: $("$cli" -s "$d/sock" EVAL "return redis.call('get', KEYS[1])" 1 k 2>&1)"
# A Lua error raised through redis.call: a longjmp back across the gates.
echo "reply to EVAL error: $("$cli" -s "$d/sock" EVAL "return redis.call('nosuchcmd')" 0 2>&1)"
echo "reply to PING after it: $("$cli" -s "$d/sock" PING 2>&1)"
"$cli" -s "$d/sock" SHUTDOWN NOSAVE >/dev/null 2>&1
wait "$pid"
st=$?
echo "server exit status $st"
cat "$d/log"
exit "$st"
