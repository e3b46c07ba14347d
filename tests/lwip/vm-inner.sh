#!/bin/sh
# Runs in the test VM (tests/lwip/vm.sh, vm_inner): loads tun.ko, makes
# tap0, and runs each echo image given against the client, as echo.sh does.
# Usage: vm-inner.sh BUILDDIR TUN.KO IMAGE...
top_builddir=$1 ko=$2
shift 2
. "${0%/*}/../lib/testlib.sh"
b=$top_builddir
vm_make_tap tap0
export FLEXOS_LWIP=tap=tap0,addr=10.0.0.2,netmask=255.255.255.0
port=7000
: >/tmp/out
for image in "$@"; do
	port=$((port + 1))
	"$b/tests/lwip/$image" $port 4 >/tmp/out 2>&1 &
	pid=$!
	await_line /tmp/out listening $pid 30 || true
	ok=1
	"$b/tests/lwip/client" 10.0.0.2 $port 3 16384 60 || ok=0
	[ $ok = 0 ] || "$b/tests/lwip/client" 10.0.0.2 $port 1 4096 30 || ok=0
	[ $ok = 1 ] || kill $pid 2>/dev/null
	wait $pid
	st=$?
	cat /tmp/out
	if [ $ok != 1 ] || [ $st != 0 ] || ! grep -q "served 4 connections, stop: 0" /tmp/out; then
		fail "$image (client ok: $ok, status $st)"
	fi
	pass "$image"
done
