#!/bin/sh
# lwIP over a TAP device: in a network namespace of its own, the echo
# image (echo.c) serves client.c's connections (several at once, several
# KB each) with lwIP on the scheduler and on pthreads, in one compartment
# and isolated in its own (none and process backends). Needs root, for
# the namespace. Every step is bounded by timeout; at exit the namespace
# is removed, and the TAP device with it (netns_tap).
. "${0%/*}/../lib/testlib.sh"
set -u
b=$top_builddir
need_netns lwip tap0
FLEXOS_LWIP="tap=tap0,addr=$net.2,netmask=255.255.255.0,gw=$net.1"
export FLEXOS_LWIP

port=7000
# run IMAGE: start it in the namespace, wait until it listens, run the
# client (4 connections x 64 KiB at once, then 3 x 8 KiB one by one), and
# expect the image to exit 0 after the 7 connections.
run() {
	image=$b/tests/lwip/$1
	port=$((port + 1))
	: >"$WORK/out"
	timeout 120 nsenter --net="/run/netns/$ns" "$image" $port 7 >"$WORK/out" 2>&1 &
	server=$!
	if ! await_line "$WORK/out" listening $server; then
		fail "$1 did not start listening within 10 s"
		kill $server 2>/dev/null
		wait $server 2>/dev/null
		pass "$1"
		return
	fi
	ok=1
	in_ns 60 "$b/tests/lwip/client" "$net.2" $port 4 65536 50 || ok=0
	for k in 1 2 3; do
		[ $ok = 0 ] || in_ns 30 "$b/tests/lwip/client" "$net.2" $port 1 8192 20 || ok=0
	done
	[ $ok = 1 ] || kill $server 2>/dev/null
	wait $server
	st=$?
	cat "$WORK/out"
	if [ $ok != 1 ] || [ $st != 0 ] || ! grep -q "served 7 connections, stop: 0" "$WORK/out"; then
		fail "$1 (client ok: $ok, image status $st)"
	fi
	pass "$1"
}

for image in echo-none-sched echo-none-pthread echo-net-none-sched echo-process-pthread echo-process-sched; do
	run $image
done

# bad SPEC IMAGE PATTERN DESC: FLEXOS_LWIP=SPEC is refused (status 1) with
# a message matching PATTERN that says what to do.
bad() {
	FLEXOS_LWIP=$1 in_ns 20 "$b/tests/lwip/$2" 1 1 >"$WORK/bad" 2>&1
	st=$?
	if [ $st != 1 ] || ! grep -q "$3" "$WORK/bad"; then
		cat "$WORK/bad"
		fail "$4 (status $st)"
	fi
	pass "$4 is refused"
}
bad "tap=tap0,addr=$net.2,netmask=255.0.255.0" echo-none-sched \
	"flexos-lwip: bad interface spec .*netmask= is not contiguous.*write it as" "a bad netmask"
bad "tap=nosuch0,addr=$net.2,netmask=255.255.255.0" echo-none-pthread \
	"flexos-lwip: there is no network device nosuch0.*ip tuntap add dev nosuch0 mode tap" "a missing TAP device"

# lwIP's sys_arch on the scheduler goes with lwIP's driver into compartment
# net (flexos-link; limit 13): its functions in net's text, its core lock
# in net's data.
for sym in sys_mbox_new sys_sem_new sys_thread_new core_lock; do
	sect=$(objdump -t "$b/tests/lwip/echo-net-none-sched" | awk -v s="$sym" '$NF == s { print $(NF - 2) }')
	case $sect in
	.flexos.net.*) ;;
	*) fail "echo-net-none-sched: $sym is in '$sect', not in net's sections" ;;
	esac
done
pass "lwIP's sys_arch on the scheduler is placed in lwIP's compartment"
