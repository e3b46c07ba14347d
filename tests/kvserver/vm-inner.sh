#!/bin/sh
# Runs in the test VM (tests/kvserver/vm.sh, vm_inner): loads tun.ko, makes a TAP
# device, and checks each kvserver image given with redis-cli and
# redis-benchmark, as lwip.sh does in a namespace (fewer checks: busybox).
# Usage: vm-inner.sh BUILDDIR TUN.KO IMAGE...
top_builddir=$1 ko=$2
shift 2
. "${0%/*}/../lib/testlib.sh"
b=$top_builddir
vm_make_tap kvtap0
# expect WANT ARGS...: redis-cli ARGS prints exactly WANT.
expect() {
	want=$1
	shift
	got=$(redis-cli -h 10.0.0.2 --no-raw "$@" 2>&1)
	[ "$got" = "$want" ] || { echo "redis-cli $*: expected '$want', got '$got'"; ok=0; }
}
for image in "$@"; do
	"$b/examples/kvserver/$image" --net tap=kvtap0,addr=10.0.0.2,netmask=255.255.255.0 \
		>/tmp/out 2>&1 &
	pid=$!
	await_line /tmp/out listening $pid 30 || true
	ok=1
	expect "PONG" ping
	expect "OK" set k v
	expect '"v"' get k
	expect "(integer) 1" incr n
	expect "(error) ERR value is not an integer or out of range" incr k
	expect "OK" mset a 1 b 2
	expect "$(printf '1) "1"\n2) (nil)\n3) "2"')" mget a nosuch b
	expect "(integer) 2" del a b
	expect "(integer) 2" dbsize
	out=$(redis-benchmark -h 10.0.0.2 -c 20 -n 2000 -t set,get,incr,mset -q 2>&1)
	if [ $? != 0 ] || echo "$out" | grep -qi error ||
		[ "$(echo "$out" | grep -c "requests per second")" != 4 ]; then
		echo "redis-benchmark -c 20: $out"
		ok=0
	fi
	kill -TERM $pid
	wait $pid
	st=$?
	cat /tmp/out
	[ $ok = 1 ] && [ $st = 0 ] || fail "$image (replies ok: $ok, status $st)"
	pass "$image"
done
