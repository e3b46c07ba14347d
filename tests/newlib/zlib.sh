#!/bin/sh
# zlib built from Debian's source package against newlib
# (examples/zlib/build-newlib.sh), in a 'libc: newlib' compartment, compresses
# and decompresses for the glibc application of the zlib example: the round
# trip is checked byte for byte under none, process and intel-mpk (in the
# emulated-PKU VM). Needs the Debian archive (apt-get source zlib);
# FLEXOS_FETCH_DISABLE=1 skips it (the package build sets it: no network).
. "${0%/*}/../lib/testlib.sh"
set -eu
need_newlib
[ "${FLEXOS_FETCH_DISABLE:-0}" != 1 ] || skip_all "FLEXOS_FETCH_DISABLE=1: zlib's source cannot be fetched"

CC="$CC" NEWLIB_CFLAGS="$NEWLIB_CFLAGS" FLEXOS_CFLAGS="-I$top_srcdir/include" \
	FLEXOS_LINK="$FLEXOS_LINK" "$top_srcdir/examples/zlib/build-newlib.sh" "$WORK" >"$WORK/build.log" 2>&1 ||
	{ cat "$WORK/build.log" >&2; fail "examples/zlib/build-newlib.sh failed"; }
expect_output "$WORK/build.log" "zlib_.*unpacked"
pass "zlib fetched from Debian's source package and built against newlib"

# Only zlib's API (what the application calls) is global in the compartment.
nm "$WORK/zlib-newlib-none" | awk '$2 ~ /^[A-Z]$/ {print $3}' >"$WORK/globals"
grep -qx deflate "$WORK/globals" || fail "deflate is not global"
for s in malloc _malloc_r printf crc32_z; do
	! grep -qx "$s" "$WORK/globals" || fail "$s is global in the image"
done
pass "zlib's compartment exports only what the application calls"

cp "$WORK/zlib-newlib-none" "$WORK/input"
for m in none process; do
	"$WORK/zlib-newlib-$m" "$WORK/input" >"$WORK/out-$m" 2>&1 || { cat "$WORK/out-$m" >&2; fail "zlib-newlib-$m exited $?"; }
	expect_output "$WORK/out-$m" "^zlib: .*: identical$"
	expect_output "$WORK/out-$m" "^zlib: a corrupt stream: -3, incorrect header check$"
	pass "$m: byte-for-byte round trip through zlib on newlib, and zlib's error message"
done

vm_script 300 --file "$WORK/input" <<EOS
$WORK/zlib-newlib-mpk $WORK/input
EOS
cp "$WORK/vm.out" "$WORK/out-mpk"
expect_output "$WORK/out-mpk" "^zlib: .*: identical$"
expect_output "$WORK/out-mpk" "^zlib: ok$"
pass "intel-mpk: the round trip works with zlib's compartment denied key 0"

