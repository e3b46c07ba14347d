#!/bin/sh
# Pointer lending: the application passes pointers to its private memory
# (a string in a static buffer, a stack struct out-parameter, a T **
# out-parameter like sqlite3_open's, a heap struct, a (buffer, length)
# pair), with stack arguments and a struct result beside, to a library
# in another compartment; the gate lends copies and
# copies back what the library wrote. Under none (plain calls), process
# (natively) and intel-mpk (in the emulated-PKU VM) the results are the
# plain call's. A library reading past a lent struct faults, and the
# report names the lent object; with 'lend: none' the old fault is back.
# If the VM cannot run, this fails, unless FLEXOS_VM_OPTIONAL=1 (then: skip).
. "${0%/*}/../lib/testlib.sh"
set -eu

compile "$WORK/lend-app.o" "$DATA/lend-app.c" -g
compile "$WORK/lend-lib.o" "$DATA/lend-lib.c" -g
ar cr "$WORK/liblend.a" "$WORK/lend-lib.o"
sed 's/^  inputs: \[liblend.a\]$/&\n  lend: none/' "$DATA/lend.yaml" >"$WORK/unlent.yaml"
grep -q 'lend: none' "$WORK/unlent.yaml" || fail "the test's own config edit did not apply"
for m in none process intel-mpk; do
	for c in lend unlent; do
		y=$DATA/lend.yaml
		[ "$c" = lend ] || y=$WORK/unlent.yaml
		with_mechanism "$y" "$m" >"$WORK/$c-$m.yaml"
		"$FLEXOS_LINK" -c "$WORK/$c-$m.yaml" -o "$WORK/$c-$m" "$WORK/lend-app.o" \
			"$WORK/liblend.a" 2>"$WORK/link.err" ||
			{ cat "$WORK/link.err" >&2; fail "cannot link $c under $m"; }
	done
done
pass "the lending images link under none, process and intel-mpk, with and without 'lend: none'"

# expect_results FILE: the plain call's results, every one.
expect_results() {
	expect_output "$1" "^strlen: 13$"
	expect_output "$1" "^fill: 21 42 77$"
	expect_output "$1" "^open: 13$"
	expect_output "$1" "^sum: 6$"
	expect_output "$1" "^strchr: 5$"
	expect_output "$1" "^upper: ABCDEF$"
	expect_output "$1" "^many: 28 706$"
	expect_output "$1" "^big: 13 2 3 4$"
}

run() {
	set +e
	"$@" >"$WORK/out" 2>&1
	st=$?
	set -e
}

# The stubs: lending ones enter flexos__lend_gate, 'lend: none' keeps the old.
objdump -d "$WORK/lend-process" >"$WORK/lend.dis"
objdump -d "$WORK/unlent-process" >"$WORK/unlent.dis"
expect_output "$WORK/lend.dis" "jmp .*<flexos__lend_gate>"
! grep -q "<flexos__lend_gate>" "$WORK/unlent.dis" || fail "'lend: none' still lends"
pass "process: the gates enter flexos__lend_gate; with 'lend: none' they do not"

for m in none process; do
	run "$WORK/lend-$m"
	[ "$st" = 0 ] || { cat "$WORK/out" >&2; fail "$m: exit $st"; }
	expect_results "$WORK/out"
done
run "$WORK/lend-none" jumps
expect_output "$WORK/out" "^jumps: 100$"
pass "none, process: a static string, a stack out-parameter, a T ** out-parameter, a heap struct, a returned pointer into a string, a (buffer, length) pair, stack arguments and a struct result cross as the plain call's"

run "$WORK/lend-process" overrun
[ "$st" = 123 ] || { cat "$WORK/out" >&2; fail "process: the overrun was not stopped (exit $st)"; }
expect_output "$WORK/out" "crashed: signal 11 .* in the guard page after an object lent to lib_overrun \(argument 1, 'p'\): a copy of the caller's private object, 16 bytes as the prototype says, .* the callee accessed offset 16, beyond it; .*write 'lend: none' for the library"
pass "process: a callee reading past a lent struct faults, and the report names the lent object and its size"

run "$WORK/unlent-process"
[ "$st" = 123 ] || { cat "$WORK/out" >&2; fail "process, lend: none: exit $st"; }
expect_output "$WORK/out" "crashed: signal 11 .* in the .data of compartment 'app'"
pass "process, lend: none: the pointer to the application's .data faults as before"

vm_script 300 --file "$WORK" <<EOS
$WORK/lend-intel-mpk
--expect-status=123 $WORK/lend-intel-mpk overrun
--expect-status=123 $WORK/unlent-intel-mpk
$WORK/lend-intel-mpk jumps
EOS
vm_output 1 >"$WORK/out.1"
expect_results "$WORK/out.1"
pass "intel-mpk: the same calls cross as the plain call's"
vm_output 2 >"$WORK/out.2"
expect_output "$WORK/out.2" "guard page after an object lent to lib_overrun \(argument 1, 'p'\)"
pass "intel-mpk: a callee reading past a lent struct faults, and the report names the lent object"
vm_output 3 >"$WORK/out.3"
expect_output "$WORK/out.3" "compartment 'sandbox' tried to read"
pass "intel-mpk, lend: none: the pointer to the application's .data faults as before"
vm_output 4 >"$WORK/out.4"
expect_output "$WORK/out.4" "^jumps: 100$"
pass "intel-mpk: 100 longjmps out of a lending gate do not use up the lend arena"
