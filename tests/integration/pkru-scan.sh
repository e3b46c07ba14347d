#!/bin/sh
# Under intel-mpk, flexos-link refuses an image whose compartment code holds
# an instruction that writes PKRU (WRPKRU, XRSTOR, XRSTORS), even one only
# visible when decoding from the middle of another, and names where it is.
. "${0%/*}/../lib/testlib.sh"
set -eu

[ -f "$FLEXOS_LIBDIR/libflexos-mpk.a" ] || fail "libflexos-mpk.a is not built"
compile "$WORK/app.o" "$DATA/pkru-app.c"

link_with() {
	compile "$WORK/lib.o" "$DATA/pkru-lib.c" -DWRITER="$1"
	rm -f "$WORK/libpkru.a" "$WORK/img"
	ar cr "$WORK/libpkru.a" "$WORK/lib.o"
	"$FLEXOS_LINK" -c "$DATA/pkru.yaml" -o "$WORK/img" "$WORK/app.o" "$WORK/libpkru.a" \
		>"$WORK/out" 2>&1
}

for case in "1 WRPKRU" "2 WRPKRU" "3 XRSTOR" "4 XRSTORS"; do
	writer=${case%% *} what=${case#* }
	if link_with "$writer"; then
		cat "$WORK/out" >&2
		fail "an image with $what in compartment code was linked"
	fi
	expect_output "$WORK/out" "the code of compartment 'isolated' contains $what \(0f [0-9a-f ]+/?[0-9a-f]*\) at 0x[0-9a-f]+ \(lib_value\+0x[0-9a-f]+\)"
	[ ! -e "$WORK/img" ] || fail "the refused image was left behind"
	pass "$what in compartment code is refused (case $writer)"
done

link_with 0 || { cat "$WORK/out" >&2; fail "an image with only LFENCE was refused"; }
pass "LFENCE, which shares XRSTOR's opcode, is accepted"

# Under the other mechanisms WRPKRU cannot widen anything: no refusal.
sed 's/intel-mpk/process/' "$DATA/pkru.yaml" >"$WORK/process.yaml"
compile "$WORK/lib.o" "$DATA/pkru-lib.c" -DWRITER=2
rm -f "$WORK/libpkru.a" && ar cr "$WORK/libpkru.a" "$WORK/lib.o"
"$FLEXOS_LINK" -c "$WORK/process.yaml" -o "$WORK/img" "$WORK/app.o" "$WORK/libpkru.a" ||
	fail "the process backend refused a WRPKRU byte sequence"
pass "other mechanisms do not scan"
