#!/bin/sh
# Run inside the test VM by tests/redis/contain.sh: starts IMAGE (Redis
# under intel-mpk with the faulty Lua function of lua-fault.c) on a Unix
# socket, sets a key, asks Redis where its value lives (DEBUG OBJECT) and
# has a script read it from the Lua compartment; prints each reply, then
# the server's log; exits with the server's exit status. Redis's own crash
# log is off: its SIGSEGV handler would replace FlexOS's fault report
# (docs/threat-model.md, limit 9).
img=$1 cli=$2
d=$(mktemp -d)
"$img" --port 0 --unixsocket "$d/sock" --save '' --appendonly no --crash-log-enabled no \
	--enable-debug-command yes --dir "$d" >"$d/log" 2>&1 &
pid=$!
i=0
while [ ! -S "$d/sock" ] && [ $i -lt 600 ]; do
	sleep 0.1
	i=$((i + 1))
done
echo "reply to SET: $("$cli" -s "$d/sock" SET k secret-value 2>&1)"
addr=$("$cli" -s "$d/sock" DEBUG OBJECT k 2>&1 | sed -n 's/.*Value at:\(0x[0-9a-f]*\).*/\1/p')
echo "value of k at: $addr"
echo "reply to the read: $("$cli" -s "$d/sock" EVAL "return bit.flexos_peek(ARGV[1], 64)" 0 "$addr" 2>&1)"
# The server should be gone; if not, it is asked to end.
"$cli" -s "$d/sock" SHUTDOWN NOSAVE >/dev/null 2>&1
wait "$pid"
st=$?
echo "server exit status $st"
cat "$d/log"
exit "$st"
