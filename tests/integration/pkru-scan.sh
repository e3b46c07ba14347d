#!/bin/sh
# Under intel-mpk, flexos-link refuses an image whose compartment code holds
# an instruction that writes PKRU (WRPKRU, XRSTOR, XRSTORS), or the FS or
# GS base the gates check (WRFSBASE, WRGSBASE), even one only
# visible when decoding from the middle of another, and names where it is.
. "${0%/*}/../lib/testlib.sh"
set -eu

[ -f "$FLEXOS_LIBDIR/libflexos-mpk.a" ] || fail "libflexos-mpk.a is not built"
compile "$WORK/app.o" "$DATA/pkru-app.c"

link_with() {
	compile "$WORK/lib.o" "$DATA/pkru-lib.c" -DWRITER="$1" -DADDEND="${2:-0}"
	rm -f "$WORK/libpkru.a" "$WORK/img"
	ar cr "$WORK/libpkru.a" "$WORK/lib.o"
	"$FLEXOS_LINK" -c "$DATA/pkru.yaml" -o "$WORK/img" "$WORK/app.o" "$WORK/libpkru.a" \
		>"$WORK/out" 2>&1
}

for case in "1 WRPKRU" "2 WRPKRU" "3 XRSTOR" "4 XRSTORS" "6 WRFSBASE" "7 WRGSBASE" "8 WRGSBASE" \
	"9 WRGSBASE"; do
	writer=${case%% *} what=${case#* }
	if link_with "$writer"; then
		cat "$WORK/out" >&2
		fail "an image with $what in compartment code was linked"
	fi
	expect_output "$WORK/out" "the code of compartment 'isolated' contains $what \(0f [0-9a-f ]+/?[0-9a-f]*\) at 0x[0-9a-f]+ \(lib_value\+0x[0-9a-f]+\)"
	[ ! -e "$WORK/img" ] || fail "the refused image was left behind"
	pass "$what in compartment code is refused (case $writer)"
done

if link_with 5; then
	cat "$WORK/out" >&2
	fail "an image with WRPKRU in an executable section not named .text was linked"
fi
expect_output "$WORK/out" "section '.evil', outside the compartments' code, contains WRPKRU \(0f 01 ef\) at 0x[0-9a-f]+ \(flexos__evil\+0x[0-9a-f]+\)"
[ ! -e "$WORK/img" ] || fail "the refused image was left behind"
pass "WRPKRU in a compartment input's executable section outside .text* is refused"

link_with 0 || { cat "$WORK/out" >&2; fail "an image with only LFENCE was refused"; }
pass "LFENCE, which shares XRSTOR's opcode, is accepted"

# WRGSBASE's bytes without the F3 prefix it needs (a call's displacement
# can hold them: the corpus's libarchive image did) run as nothing.
link_with 10 || { cat "$WORK/out" >&2; fail "0f ae d8 after a mov's opcode was refused"; }
pass "0f ae /3 that no F3 prefix can precede is accepted"

# WRPKRU's bytes by chance in an address (a RIP-relative displacement
# from the compartment's code to its data): flexos-link relinks with
# another layout, which changes them, instead of refusing the image.
disp() { # the 4 bytes before lib_disp_end in the image, as a number
	e=$(nm "$WORK/img" | awk '$3 == "lib_disp_end" { print $1 }')
	b=$(objdump -s --start-address=$((0x$e - 4)) --stop-address=$((0x$e)) "$WORK/img" |
		awk '/^Contents of section .*text/ { t = 1; next }
			t && /^ [0-9a-f]+ / { h = ""; for (i = 2; i <= NF && length(h) < 8; i++) h = h $i
				print substr(h, 1, 8); exit }')
	echo $((0x$(echo "$b" | cut -c7-8)$(echo "$b" | cut -c5-6)$(echo "$b" | cut -c3-4)$(echo "$b" | cut -c1-2)))
}
link_with 11 || { cat "$WORK/out" >&2; fail "the image with a plain RIP-relative address was refused"; }
d=$(disp)
[ "$d" -gt 0 ] && [ "$d" -lt $((0xef010f)) ] || fail "unexpected displacement $d"
addend=$((0xef010f - d))
link_with 11 "$addend" || { cat "$WORK/out" >&2; fail "an image with WRPKRU's bytes in a displacement was refused"; }
expect_output "$WORK/out" "^flexos-link: note: .*: 1 byte sequence in the code decodes as a PKRU writer; relinking with 0x10 bytes before each compartment's code"
[ "$(disp)" -eq $((0xef010f - 0x10)) ] || fail "the relinked displacement is $(disp), expected $((0xef010f - 0x10))"
# The same object in the default layout (a linker script without the
# padding) holds the bytes: the note was about them.
pass "WRPKRU's bytes in a RIP-relative displacement: relinked with 16 bytes before the compartment's code, not refused"

# No lazy binding under protection keys: the GOT is read-only once the
# loader has filled it, so no compartment can redirect the application's
# calls through .got.plt (a key-0 page every compartment could write).
readelf -d "$WORK/img" | grep -q "FLAGS.*BIND_NOW" || fail "an intel-mpk image binds lazily"
readelf -lW "$WORK/img" | grep -q GNU_RELRO || fail "an intel-mpk image has no RELRO segment"
! readelf -SW "$WORK/img" | grep -q "\.got\.plt" || fail "an intel-mpk image has a writable .got.plt"
pass "intel-mpk images are linked -z relro -z now: no writable .got.plt"

# Under the other mechanisms WRPKRU cannot widen anything: no refusal.
sed 's/intel-mpk/process/' "$DATA/pkru.yaml" >"$WORK/process.yaml"
compile "$WORK/lib.o" "$DATA/pkru-lib.c" -DWRITER=2
rm -f "$WORK/libpkru.a" && ar cr "$WORK/libpkru.a" "$WORK/lib.o"
"$FLEXOS_LINK" -c "$WORK/process.yaml" -o "$WORK/img" "$WORK/app.o" "$WORK/libpkru.a" ||
	fail "the process backend refused a WRPKRU byte sequence"
pass "other mechanisms do not scan"
