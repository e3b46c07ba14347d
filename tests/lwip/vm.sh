#!/bin/sh
# lwIP isolated with intel-mpk, on the scheduler and on pthreads: the echo
# images (echo.c, net.yaml) in the test VM (tests/vm/run, emulated PKU),
# against the client, over a TAP device in the VM (vm-inner.sh; the TAP
# driver comes from tests/lwip/vmlib.sh).
. "${top_srcdir:-.}/tests/lwip/vmlib.sh"
vm_tun_ko
vm_run_inner "lwIP isolated with intel-mpk, on the scheduler and on pthreads" \
	"$s/tests/lwip/vm-inner.sh" "$b/tests/lwip/client" "$b/tests/lwip/echo-mpk-sched" \
	"$b/tests/lwip/echo-mpk-pthread" -- echo-mpk-sched echo-mpk-pthread
