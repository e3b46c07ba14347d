#!/bin/sh
# The hello example with one and with two compartments under the none
# backend: same behaviour, the library's code in its own compartment, and
# a map of disjoint page-aligned sections.
. "${0%/*}/../lib/testlib.sh"
set -eu
hello="$top_builddir/examples/hello"

"$hello/hello-one" >"$WORK/one.out" || fail "hello-one exited $?"
"$hello/hello-two" >"$WORK/two.out" || fail "hello-two exited $?"
for f in one two; do
	expect_output "$WORK/$f.out" '^\[comp1\] main: backend none, '
	expect_output "$WORK/$f.out" '^\[comp1\] app_callback: counter is now 2$'
	expect_output "$WORK/$f.out" '^\[comp1\] main: lib_func returned 42, reply "26 bytes read, 24-byte secret kept, call 1", counter 2$'
done
expect_output "$WORK/one.out" '^\[comp1\] lib_func: greeting "hello from the application", counter 1$'
expect_output "$WORK/two.out" '^\[comp2\] lib_func: greeting "hello from the application", counter 1$'
pass "hello runs with one and two compartments"

# Apart from where lib_func runs and the count, the two images behave the same.
sed 's/^\[comp2\]/[comp1]/; s/2 compartments/1 compartment/' "$WORK/two.out" >"$WORK/two.norm"
cmp -s "$WORK/one.out" "$WORK/two.norm" || { diff "$WORK/one.out" "$WORK/two.norm" >&2; fail "outputs differ"; }
pass "one and two compartments print the same"

# The runtime map: both compartments and the shared areas.
"$hello/hello-two" --map >"$WORK/map.out"
expect_output "$WORK/map.out" "^  compartment 0 'comp1' \(default\)$"
expect_output "$WORK/map.out" "^  compartment 1 'comp2'$"
expect_output "$WORK/map.out" '^    libraries libsecret$'
pass "the runtime map names the compartments"

# flexos-link --print-map checks alignment and overlap itself and fails if
# they are wrong; check the addresses here too, independently.
"$FLEXOS_LINK" -c "$top_srcdir/examples/hello/two.yaml" -o "$WORK/hello-two" \
	"$hello/app.o" "$hello/libsecret.a" --print-map >"$WORK/print-map.out" ||
	fail "flexos-link --print-map failed"
expect_output "$WORK/print-map.out" 'input +.*libsecret.a \(archive, library libsecret\)'
expect_output "$WORK/print-map.out" '^  gates: 2 direct, 0 through the backend$'
readelf -SW "$WORK/hello-two" | awk '$2 ~ /^\.flexos\./ { print $2, $4, $6 }' >"$WORK/sections"
[ "$(wc -l <"$WORK/sections")" -eq 9 ] || fail "expected 9 .flexos.* sections, got: $(cat "$WORK/sections")"
prev_end=0
sort -k2 "$WORK/sections" | while read -r name addr size; do
	start=$((0x$addr)) len=$((0x$size))
	[ $((start % 4096)) -eq 0 ] || fail "$name starts at $addr, not on a page"
	[ $((len % 4096)) -eq 0 ] || fail "$name is $len bytes, not whole pages"
	[ "$len" -eq 0 ] || [ "$start" -ge "$prev_end" ] || fail "$name overlaps the previous section"
	[ "$len" -eq 0 ] || prev_end=$((start + len))
done
pass "compartment sections are page-aligned and disjoint"

# The library's code and data really are in comp2's sections.
nm "$WORK/hello-two" >"$WORK/nm"
sym() { awk -v s="$1" '$3 == s { print $1 }' "$WORK/nm"; }
in_section() {
	awk -v n="$2" '$1 == n { print $2, $3 }' "$WORK/sections" | {
		read -r addr size
		a=$((0x$(sym "$1"))) s=$((0x$addr))
		[ "$a" -ge "$s" ] && [ "$a" -lt $((s + 0x$size)) ]
	} || fail "$1 is not in $2"
}
in_section lib_func .flexos.comp2.text
in_section lib_secret .flexos.comp2.data
in_section calls .flexos.comp2.bss
in_section app_secret .flexos.comp1.data
in_section greeting .flexos.shared
pass "symbols land in their compartment's sections"
