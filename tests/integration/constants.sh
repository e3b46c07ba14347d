#!/bin/sh
# Constants across gates: the application passes a string literal to an
# isolated library and gets one back, unchanged code, under none, process
# and intel-mpk (in one boot of the emulated-PKU VM, tests/vm/run; natively
# where the host has PKU). A const object that is not a literal (a table)
# crosses too; 'constants: private' keeps a compartment's constants
# private under intel-mpk: the read ends in the fault report, which names
# the fix.
# If the VM cannot run, this fails, unless FLEXOS_VM_OPTIONAL=1 (then: skip).
. "${0%/*}/../lib/testlib.sh"
set -eu

compile "$WORK/app.o" "$DATA/consts-app.c"
compile "$WORK/lib.o" "$DATA/consts-lib.c" -g
ar cr "$WORK/libconsts.a" "$WORK/lib.o"
sed 's/^  inputs: \[libconsts.a\]$/&\n  lend: none/' "$DATA/consts.yaml" >"$WORK/consts-unlent.yaml"
for m in none process intel-mpk; do
	for c in consts consts-private consts-unlent; do
		y=$DATA/$c.yaml
		[ "$c" != consts-unlent ] || y=$WORK/$c.yaml
		with_mechanism "$y" "$m" >"$WORK/$c-$m.yaml"
		"$FLEXOS_LINK" -c "$WORK/$c-$m.yaml" -o "$WORK/$c-$m" "$WORK/app.o" \
			"$WORK/libconsts.a" 2>"$WORK/link.err" ||
			{ cat "$WORK/link.err" >&2; fail "cannot link $c under $m"; }
	done
done

# Where the literals went: the shared section of constants, or the
# application's own .rodata.
lit="hello from the application's .rodata"
readelf -p .flexos.constants "$WORK/consts-intel-mpk" | grep -q "$lit" ||
	fail "the application's literal is not in .flexos.constants"
readelf -p .flexos.app.rodata "$WORK/consts-intel-mpk" 2>/dev/null | grep -q "$lit" &&
	fail "the application's literal is still in its private .rodata"
readelf -p .flexos.app.rodata "$WORK/consts-private-intel-mpk" | grep -q "$lit" ||
	fail "constants: private: the literal is not in the application's .rodata"
readelf -p .flexos.constants "$WORK/consts-private-intel-mpk" | grep -q "$lit" &&
	fail "constants: private: the literal was shared anyway"
pass "flexos-link puts literals in the shared section of constants, unless 'constants: private'"

# run IMAGE ARG: its exit status, its output in $WORK/out.
run() {
	set +e
	"$1" "$2" >"$WORK/out" 2>&1
	st=$?
	set -e
}

for m in none process; do
	for c in consts consts-private; do
		run "$WORK/$c-$m" literal
		[ "$st" = 0 ] || { cat "$WORK/out" >&2; fail "$m, $c: the literal crossing failed (exit $st)"; }
		expect_output "$WORK/out" "^literal: 36$"
		expect_output "$WORK/out" "^back: a literal of the library$"
		run "$WORK/$c-$m" table
		[ "$st" = 0 ] || { cat "$WORK/out" >&2; fail "$m, $c: the const table crossing failed (exit $st)"; }
		expect_output "$WORK/out" "^table: 55$"
	done
done
pass "none, process: literals cross gates both ways (process: .rodata is readable everywhere, limit 4)"

vm_script 300 --file "$WORK" <<EOS
$WORK/consts-intel-mpk literal
$WORK/consts-intel-mpk table
--expect-status=123 $WORK/consts-private-intel-mpk literal
--expect-status=123 $WORK/consts-private-intel-mpk table
$WORK/consts-unlent-intel-mpk table
EOS

vm_output 1 >"$WORK/out.1"
expect_output "$WORK/out.1" "^literal: 36$"
expect_output "$WORK/out.1" "^back: a literal of the library$"
pass "intel-mpk: the library reads the application's literal, and the application the library's"
vm_output 2 >"$WORK/out.2"
expect_output "$WORK/out.2" "^table: 55$"
pass "intel-mpk: the library reads the application's const table (not a literal) too"
vm_output 3 >"$WORK/out.3"
expect_output "$WORK/out.3" "compartment 'lib' tried to read"
expect_output "$WORK/out.3" "keeps its constants private \(constants: private\)"
pass "intel-mpk: constants: private keeps the literal private; the report says so"
vm_output 4 >"$WORK/out.4"
expect_output "$WORK/out.4" "compartment 'lib' tried to read"
expect_output "$WORK/out.4" "keeps its constants private \(constants: private\)"
pass "intel-mpk: constants: private keeps the const table private too"
vm_output 5 >"$WORK/out.5"
expect_output "$WORK/out.5" "^table: 55$"
pass "intel-mpk, lend: none: the const table is read in the shared constants, not from a lent copy"
