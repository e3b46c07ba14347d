#!/bin/sh
# lwIP over a TAP device: in a network namespace of its own, the echo
# image (echo.c) serves client.c's connections (several at once, several
# KB each) with lwIP on the scheduler and on pthreads, in one compartment
# and isolated in its own (none and process backends). Needs root, for
# the namespace. Every step is bounded by timeout; the trap removes the
# namespace, and the TAP device with it.
set -u
b=$(cd "${top_builddir:-.}" && pwd)
. "${top_srcdir:-.}/tests/await.sh"
if [ "$(id -u)" -ne 0 ]; then
	echo "echo.sh: SKIP: needs root to create a network namespace and a TAP device"
	exit 77
fi
ns=flexos-lwip-$$
work=$(mktemp -d "${TMPDIR:-/tmp}/flexos-lwip.XXXXXX")
cleanup() {
	[ -z "${server:-}" ] || kill "$server" 2>/dev/null
	timeout 10 ip netns del "$ns" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
if ! timeout 10 ip netns add "$ns" 2>"$work/err"; then
	echo "echo.sh: SKIP: cannot create a network namespace ($(cat "$work/err"))"
	exit 77
fi
# in_ns SECONDS COMMAND...: runs COMMAND in the namespace, for at most SECONDS.
in_ns() {
	t=$1
	shift
	timeout "$t" nsenter --net="/run/netns/$ns" "$@"
}
# A /24 of 10.0.0.0/8 per run, so that runs side by side do not collide.
net=10.$(($$ % 250 + 1)).$(($$ / 250 % 250 + 1))
in_ns 10 ip link set lo up &&
	in_ns 10 ip tuntap add dev tap0 mode tap &&
	in_ns 10 ip addr add "$net.1/24" dev tap0 &&
	in_ns 10 ip link set tap0 up || {
	echo "echo.sh: FAIL: cannot set up tap0 in namespace $ns"
	exit 1
}
FLEXOS_LWIP="tap=tap0,addr=$net.2,netmask=255.255.255.0,gw=$net.1"
export FLEXOS_LWIP

fail=0
port=7000
# run IMAGE: start it in the namespace, wait until it listens, run the
# client (4 connections x 64 KiB at once, then 3 x 8 KiB one by one), and
# expect the image to exit 0 after the 7 connections.
run() {
	image=$b/tests/lwip/$1
	port=$((port + 1))
	: >"$work/out"
	timeout 120 nsenter --net="/run/netns/$ns" "$image" $port 7 >"$work/out" 2>&1 &
	server=$!
	if ! await_line "$work/out" listening $server; then
		echo "echo.sh: FAIL: $1 did not start listening within 10 s"
		fail=1
		kill $server 2>/dev/null
		wait $server 2>/dev/null
		server=
		return
	fi
	ok=1
	timeout 60 nsenter --net="/run/netns/$ns" "$b/tests/lwip/client" "$net.2" $port 4 65536 50 || ok=0
	for k in 1 2 3; do
		[ $ok = 0 ] || timeout 30 nsenter --net="/run/netns/$ns" "$b/tests/lwip/client" "$net.2" $port 1 8192 20 || ok=0
	done
	[ $ok = 1 ] || kill $server 2>/dev/null
	wait $server
	st=$?
	server=
	cat "$work/out"
	if [ $ok = 1 ] && [ $st = 0 ] && grep -q "served 7 connections, stop: 0" "$work/out"; then
		echo "echo.sh: ok: $1"
	else
		echo "echo.sh: FAIL: $1 (client ok: $ok, image status $st)"
		fail=1
	fi
}

for image in echo-none-sched echo-none-pthread echo-net-none-sched echo-process-pthread echo-process-sched; do
	run $image
done

# A bad spec is refused with a message that says what to do.
FLEXOS_LWIP="tap=tap0,addr=$net.2,netmask=255.0.255.0" in_ns 20 "$b/tests/lwip/echo-none-sched" 1 1 \
	>"$work/bad" 2>&1
st=$?
if [ $st = 1 ] && grep -q "flexos-lwip: bad interface spec .*netmask= is not contiguous.*write it as" "$work/bad"; then
	echo "echo.sh: ok: a bad netmask is refused"
else
	cat "$work/bad"
	echo "echo.sh: FAIL: a bad netmask (status $st)"
	fail=1
fi
FLEXOS_LWIP="tap=nosuch0,addr=$net.2,netmask=255.255.255.0" in_ns 20 "$b/tests/lwip/echo-none-pthread" 1 1 \
	>"$work/bad" 2>&1
st=$?
if [ $st = 1 ] && grep -q "flexos-lwip: there is no network device nosuch0.*ip tuntap add dev nosuch0 mode tap" "$work/bad"; then
	echo "echo.sh: ok: a missing TAP device is refused"
else
	cat "$work/bad"
	echo "echo.sh: FAIL: a missing TAP device (status $st)"
	fail=1
fi
exit $fail
