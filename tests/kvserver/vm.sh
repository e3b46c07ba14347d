#!/bin/sh
# kvserver with lwIP isolated under intel-mpk (on pthreads and on the
# scheduler), in the test VM (tests/vm/run, emulated PKU), checked with
# redis-cli and redis-benchmark over a TAP device in the VM
# (vm-inner.sh; the TAP driver from vm_tun_ko).
. "${0%/*}/../lib/testlib.sh"
set -u
b=$top_builddir
for t in redis-cli redis-benchmark; do
	command -v $t >/dev/null || skip_all "$t is missing: install redis-tools (tools/install-deps --test)"
done
vm_tun_ko
vm_inner "kvserver with lwIP isolated under intel-mpk, on pthreads and on the scheduler" \
	"$top_srcdir/tests/kvserver/vm-inner.sh" "$(command -v redis-cli)" "$(command -v redis-benchmark)" \
	"$b/examples/kvserver/kvserver-lwip-mpk" "$b/examples/kvserver/kvserver-sched-mpk" -- \
	kvserver-lwip-mpk kvserver-sched-mpk
