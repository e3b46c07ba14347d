#!/bin/sh
# kvserver with lwIP isolated under intel-mpk (on pthreads and on the
# scheduler), in the test VM (tests/vm/run, emulated PKU), checked with
# redis-cli and redis-benchmark over a TAP device in the VM
# (vm-inner.sh). The TAP driver is tun.ko from the VM kernel's package,
# which tests/lwip/vm.sh fetches into the VM cache (it runs first).
set -u
b=$(cd "${top_builddir:-.}" && pwd)
s=$(cd "${top_srcdir:-.}" && pwd)
skip() {
	echo "vm.sh: SKIP: $*"
	exit 77
}
[ "${FLEXOS_VM_DISABLE:-}" != 1 ] || skip "FLEXOS_VM_DISABLE=1"
for t in redis-cli redis-benchmark; do
	command -v $t >/dev/null || skip "$t is missing: install redis-tools (tools/install-deps --test)"
done
kernel=$(timeout 600 "$s/tests/vm/setup") || skip "tests/vm/setup found no kernel for the VM (see above)"
pkgdir=${kernel%/boot/*}
ver=${kernel##*/vmlinuz-}
ko=$pkgdir/lib/modules/$ver/kernel/drivers/net/tun.ko
[ -f "$ko" ] || skip "no $ko: tests/lwip/vm.sh fetches it, run it first"
images="kvserver-lwip-mpk kvserver-sched-mpk"
files="--file $ko --file $s/tests/kvserver/vm-inner.sh --file $b/tests/lwip/mktap"
files="$files --file $(command -v redis-cli) --file $(command -v redis-benchmark)"
for f in $images; do
	files="$files --file $b/examples/kvserver/$f"
done
# Always the VM: vm-inner.sh loads a module and makes a TAP device.
out=$(FLEXOS_VM_FORCE=1 timeout 600 "$s/tests/vm/run" --timeout 400 $files -- \
	/bin/sh "$s/tests/kvserver/vm-inner.sh" "$b" "$ko" $images 2>&1)
st=$?
printf '%s\n' "$out"
[ $st != 77 ] || exit 77
if [ $st = 0 ] && [ "$(printf '%s\n' "$out" | grep -c '^vm-inner: ok')" = 2 ]; then
	echo "vm.sh: ok: kvserver with lwIP isolated under intel-mpk, on pthreads and on the scheduler"
	exit 0
fi
echo "vm.sh: FAIL: status $st"
exit 1
