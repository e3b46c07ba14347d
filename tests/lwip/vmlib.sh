# Helpers for the tests that run lwIP images in the test VM (tests/lwip/vm.sh,
# tests/kvserver/vm.sh); sourced, not run. The VM's kernel has the TAP
# driver as a module (CONFIG_TUN=m) and the VM loads no modules: vm_tun_ko
# takes tun.ko from the kernel's package, downloading it once into the VM's
# cache with 'apt-get download' if it is not there yet. The script inside
# the VM sources vm-tap.sh.
set -u
b=$(cd "${top_builddir:-.}" && pwd)
s=$(cd "${top_srcdir:-.}" && pwd)
me=${0##*/}
skip() {
	echo "$me: SKIP: $*"
	exit 77
}
[ "${FLEXOS_VM_DISABLE:-}" != 1 ] || skip "FLEXOS_VM_DISABLE=1"

# Sets ko to the VM kernel's tun.ko, fetched if needed; skips without it.
vm_tun_ko() {
	kernel=$(timeout 600 "$s/tests/vm/setup") || skip "tests/vm/setup found no kernel for the VM (see above)"
	pkgdir=${kernel%/boot/*}
	pkg=${pkgdir##*/}
	ver=${kernel##*/vmlinuz-}
	ko=$pkgdir/lib/modules/$ver/kernel/drivers/net/tun.ko
	[ ! -f "$ko" ] || return 0
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/flexos-tun.XXXXXX")
	# Two tests may fetch it at once: each unpacks on its own, then renames.
	if (cd "$tmp" && timeout 600 apt-get download -q "$pkg" >"$tmp/log" 2>&1) &&
		dpkg-deb --fsys-tarfile "$tmp"/*.deb | tar -x -C "$tmp" "./lib/modules/$ver/kernel/drivers/net/tun.ko" &&
		mkdir -p "${ko%/*}" && mv "$tmp/lib/modules/$ver/kernel/drivers/net/tun.ko" "$ko"; then
		rm -rf "$tmp"
	else
		cat "$tmp/log" 2>/dev/null
		rm -rf "$tmp"
		skip "cannot get tun.ko of $pkg ('apt-get download $pkg' failed): the VM has no TAP driver"
	fi
}

# vm_run_inner WHAT INNER-SCRIPT FILES... -- ARGS...: runs INNER-SCRIPT
# BUILDDIR TUN.KO ARGS... in the VM (always the VM: it loads a module),
# with vm-tap.sh, mktap and FILES copied in; passes when it prints one
# "vm-inner: ok" line per image named in ARGS.
vm_run_inner() {
	what=$1 inner=$2
	shift 2
	files="--file $ko --file $inner --file $s/tests/lwip/vm-tap.sh --file $b/tests/lwip/mktap"
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		files="$files --file $1"
		shift
	done
	shift
	# shellcheck disable=SC2086  # a word list
	out=$(FLEXOS_VM_FORCE=1 timeout 600 "$s/tests/vm/run" --timeout 400 $files -- \
		/bin/sh "$inner" "$b" "$ko" "$@" 2>&1)
	st=$?
	printf '%s\n' "$out"
	[ $st != 77 ] || exit 77
	if [ $st = 0 ] && [ "$(printf '%s\n' "$out" | grep -c '^vm-inner: ok')" = $# ]; then
		echo "$me: ok: $what"
		exit 0
	fi
	echo "$me: FAIL: status $st"
	exit 1
}
