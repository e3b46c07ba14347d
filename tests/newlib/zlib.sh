#!/bin/sh
# zlib built from Debian's source package against newlib
# (examples/zlib/build-newlib.sh), in a 'libc: newlib' compartment, compresses
# and decompresses for the glibc application of the zlib example: the round
# trip is checked byte for byte under none, process and intel-mpk (in the
# emulated-PKU VM). Needs the Debian archive (apt-get source zlib);
# FLEXOS_FETCH_DISABLE=1 skips it (the package build sets it: no network).
. "$top_srcdir/tests/newlib/lib.sh"
if [ "${FLEXOS_FETCH_DISABLE:-0}" = 1 ]; then
	echo "SKIP: FLEXOS_FETCH_DISABLE=1: zlib's source cannot be fetched"
	exit 77
fi

CC="$CC" NEWLIB_CFLAGS="$NEWLIB_CFLAGS" FLEXOS_CFLAGS="-I$top_srcdir/include" \
	FLEXOS_LINK="$FLEXOS_LINK" "$top_srcdir/examples/zlib/build-newlib.sh" "$WORK" >"$WORK/build.log" 2>&1 ||
	{ cat "$WORK/build.log" >&2; fail "examples/zlib/build-newlib.sh failed"; }
expect_output "$WORK/build.log" "zlib_.*unpacked"
ok "zlib fetched from Debian's source package and built against newlib"

# Only zlib's API (what the application calls) is global in the compartment.
nm "$WORK/zlib-newlib-none" | awk '$2 ~ /^[A-Z]$/ {print $3}' >"$WORK/globals"
grep -qx deflate "$WORK/globals" || fail "deflate is not global"
for s in malloc _malloc_r printf crc32_z; do
	! grep -qx "$s" "$WORK/globals" || fail "$s is global in the image"
done
ok "zlib's compartment exports only what the application calls"

cp "$WORK/zlib-newlib-none" "$WORK/input"
for m in none process; do
	"$WORK/zlib-newlib-$m" "$WORK/input" >"$WORK/out-$m" 2>&1 || { cat "$WORK/out-$m" >&2; fail "zlib-newlib-$m exited $?"; }
	expect_output "$WORK/out-$m" "^zlib: .*: identical$"
	expect_output "$WORK/out-$m" "^zlib: a corrupt stream: -3, incorrect header check$"
	ok "$m: byte-for-byte round trip through zlib on newlib, and zlib's error message"
done

status=0
"$top_srcdir/tests/vm/run" --timeout 300 --file "$WORK/input" -- "$WORK/zlib-newlib-mpk" "$WORK/input" \
	>"$WORK/out-mpk" 2>&1 || status=$?
[ "$status" -ne 77 ] || exit 77
[ "$status" -eq 0 ] || { cat "$WORK/out-mpk" >&2; fail "zlib-newlib-mpk failed (status $status)"; }
expect_output "$WORK/out-mpk" "^zlib: .*: identical$"
expect_output "$WORK/out-mpk" "^zlib: ok$"
ok "intel-mpk: the round trip works with zlib's compartment denied key 0"

echo "$passed passed, 0 failed"
