#!/bin/sh
# lwIP isolated with intel-mpk, on the scheduler and on pthreads: the echo
# images (echo.c, net.yaml) in the test VM (tests/vm/run, emulated PKU),
# against the client, over a TAP device in the VM (vm-inner.sh). The VM's
# kernel has the TAP driver as a module (CONFIG_TUN=m) and the VM has no
# modules: this takes tun.ko from the kernel's package, downloading it once
# into the VM's cache with 'apt-get download' if it is not there yet.
set -u
b=$(cd "${top_builddir:-.}" && pwd)
s=$(cd "${top_srcdir:-.}" && pwd)
skip() {
	echo "vm.sh: SKIP: $*"
	exit 77
}
[ "${FLEXOS_VM_DISABLE:-}" != 1 ] || skip "FLEXOS_VM_DISABLE=1"
kernel=$(timeout 600 "$s/tests/vm/setup") || skip "tests/vm/setup found no kernel for the VM (see above)"
pkgdir=${kernel%/boot/*}
pkg=${pkgdir##*/}
ver=${kernel##*/vmlinuz-}
ko=$pkgdir/lib/modules/$ver/kernel/drivers/net/tun.ko
if [ ! -f "$ko" ]; then
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/flexos-tun.XXXXXX")
	if (cd "$tmp" && timeout 600 apt-get download -q "$pkg" >"$tmp/log" 2>&1) &&
		dpkg-deb --fsys-tarfile "$tmp"/*.deb | tar -x -C "$tmp" "./lib/modules/$ver/kernel/drivers/net/tun.ko" &&
		mkdir -p "${ko%/*}" && mv "$tmp/lib/modules/$ver/kernel/drivers/net/tun.ko" "$ko"; then
		rm -rf "$tmp"
	else
		cat "$tmp/log" 2>/dev/null
		rm -rf "$tmp"
		skip "cannot get tun.ko of $pkg ('apt-get download $pkg' failed): the VM has no TAP driver"
	fi
fi
files="--file $ko --file $s/tests/lwip/vm-inner.sh"
for f in mktap client echo-mpk-sched echo-mpk-pthread; do
	files="$files --file $b/tests/lwip/$f"
done
# Always the VM: vm-inner.sh loads a module and makes a TAP device.
out=$(FLEXOS_VM_FORCE=1 timeout 600 "$s/tests/vm/run" --timeout 400 $files -- \
	/bin/sh "$s/tests/lwip/vm-inner.sh" "$b" "$ko" echo-mpk-sched echo-mpk-pthread 2>&1)
st=$?
printf '%s\n' "$out"
[ $st != 77 ] || exit 77
if [ $st = 0 ] && [ "$(printf '%s\n' "$out" | grep -c '^vm-inner: ok')" = 2 ]; then
	echo "vm.sh: ok: lwIP isolated with intel-mpk, on the scheduler and on pthreads"
	exit 0
fi
echo "vm.sh: FAIL: status $st"
exit 1
