#!/bin/sh
# lwIP isolated with intel-mpk, on the scheduler and on pthreads: the echo
# images (echo.c, net.yaml) in the test VM (tests/vm/run, emulated PKU),
# against the client, over a TAP device in the VM (vm-inner.sh; the TAP
# driver from vm_tun_ko).
. "${0%/*}/../lib/testlib.sh"
set -u
b=$top_builddir
vm_tun_ko
vm_inner "lwIP isolated with intel-mpk, on the scheduler and on pthreads" \
	"$top_srcdir/tests/lwip/vm-inner.sh" "$b/tests/lwip/client" "$b/tests/lwip/echo-mpk-sched" \
	"$b/tests/lwip/echo-mpk-pthread" -- echo-mpk-sched echo-mpk-pthread
