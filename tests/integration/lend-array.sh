#!/bin/sh
# Arrays of pointers (lend: rules "FN.ARG[]"): the application hands the
# library arrays of pointers to its private rows, as libjpeg's and
# libpng's callers do, without a changed line: heap rows (lent by their
# allocation, one row twice in the array), rows of a stack array (the
# rule's bytes), a NULL-terminated array, a fixed count. Under none,
# process and intel-mpk (the emulated-PKU VM) the results are the plain
# calls', also after 100 longjmps out of a lending gate (intel-mpk).
# Reported, never silently wrong: a function without an array
# rule (its rows fault in the callee), a callee reading past a lent row
# (the guard page), more bytes of rows than the lend arena holds, and
# 'lend: none'. If the VM cannot run, this fails, unless
# FLEXOS_VM_OPTIONAL=1 (then: skip).
. "${0%/*}/../lib/testlib.sh"
set -eu

compile "$WORK/lendarr-app.o" "$DATA/lendarr-app.c" -g -fdata-sections -I"$DATA"
compile "$WORK/lendarr-lib.o" "$DATA/lendarr-lib.c" -g -I"$DATA"
ar cr "$WORK/liblendarr.a" "$WORK/lendarr-lib.o"
cp "$DATA/lendarr.yaml" "$WORK/lend.yaml"
# norules: the same without the array rules; unlent: 'lend: none'.
sed '/^  lend:/,$d' "$WORK/lend.yaml" >"$WORK/norules.yaml"
{ cat "$WORK/norules.yaml"; echo "  lend: none"; } >"$WORK/unlent.yaml"
grep -q 'lib_rows.rows\[\]' "$WORK/lend.yaml" && ! grep -q 'rows\[\]' "$WORK/norules.yaml" ||
	fail "the test's own config edit did not apply"
for m in none process intel-mpk; do
	for c in lend norules unlent; do
		with_mechanism "$WORK/$c.yaml" "$m" >"$WORK/$c-$m.yaml"
		"$FLEXOS_LINK" -c "$WORK/$c-$m.yaml" -o "$WORK/$c-$m" "$WORK/lendarr-app.o" \
			"$WORK/liblendarr.a" 2>"$WORK/link.err" ||
			{ cat "$WORK/link.err" >&2; fail "cannot link $c under $m"; }
	done
done
pass "the images link under none, process and intel-mpk, with array rules, without, and with 'lend: none'"

"$FLEXOS_LINK" --explain -c "$WORK/lend-process.yaml" -o "$WORK/explain" "$WORK/lendarr-app.o" \
	"$WORK/liblendarr.a" >"$WORK/explain.out" 2>&1 || { cat "$WORK/explain.out" >&2; fail "--explain"; }
expect_output "$WORK/explain.out" "lends: im \(rdi, 4 bytes, in\), rows \(rsi, as many pointers as rdx says, each object lent: a heap allocation whole, another 24 bytes, in and out\)"
expect_output "$WORK/explain.out" "rows \(rsi, pointers up to a NULL, each object lent"
expect_output "$WORK/explain.out" "rows \(rsi, 4 pointers, each object lent: a heap allocation whole, no other, in and out\)"
pass "--explain: what an array rule lends"

# Rules refused with file:line:col: [] on a pointer that is no T **, a bad count.
{ cat "$WORK/norules-process.yaml"; printf '  lend:\n    lib_rows.im[]: 1\n    lib_rows4.rows[]: width, x\n'; } >"$WORK/bad.yaml"
! "$FLEXOS_LINK" -c "$WORK/bad.yaml" -o "$WORK/bad" "$WORK/lendarr-app.o" "$WORK/liblendarr.a" \
	2>"$WORK/bad.err" || fail "bad array rules were accepted"
expect_output "$WORK/bad.err" "bad.yaml:[0-9]+:23: error: 'lib_rows4.rows\[\]' in 'lend' of library 'lib' is an array of pointers: give its length"
{ cat "$WORK/norules-process.yaml"; printf '  lend:\n    lib_rows.im[]: n\n'; } >"$WORK/bad2.yaml"
! "$FLEXOS_LINK" -c "$WORK/bad2.yaml" -o "$WORK/bad2" "$WORK/lendarr-app.o" "$WORK/liblendarr.a" \
	2>"$WORK/bad2.err" || fail "an array rule on a pointer to a struct was accepted"
expect_output "$WORK/bad2.err" "bad2.yaml:[0-9]+:5: error: lend rule 'lib_rows.im': argument 'im' of lib_rows is not an array of pointers"
pass "array rules that cannot hold are refused with file:line:col"

run() {
	set +e
	"$@" >"$WORK/out" 2>&1
	st=$?
	set -e
}

# The plain calls' results are the reference.
for mode in heap stack null fixed shared jumps; do
	run "$WORK/lend-none" $mode
	[ "$st" = 0 ] || { cat "$WORK/out" >&2; fail "none: $mode: exit $st"; }
	cp "$WORK/out" "$WORK/ref-$mode"
done
expect_output "$WORK/ref-heap" "^heap: [0-9]+ [0-9]+ same kept$"
expect_output "$WORK/ref-heap" "^one: [0-9]+ [0-9]+ same$"
expect_output "$WORK/ref-stack" "^stack: [0-9]+ [0-9]+ kept$"
expect_output "$WORK/ref-null" "^null: [0-9]+ [0-9]+ kept$"
expect_output "$WORK/ref-fixed" "^fixed: [0-9]+ [0-9]+ kept$"
expect_output "$WORK/ref-shared" "^shared: [0-9]+ [0-9]+ kept$"
expect_output "$WORK/ref-jumps" "^jumps: 100 [0-9]+ [0-9]+$"
for mode in heap stack null fixed; do
	run "$WORK/lend-process" $mode
	[ "$st" = 0 ] || { cat "$WORK/out" >&2; fail "process: $mode: exit $st"; }
	cmp -s "$WORK/out" "$WORK/ref-$mode" ||
		fail "process: $mode: $(cat "$WORK/out") instead of $(cat "$WORK/ref-$mode")"
done
pass "process: heap rows (one twice), stack rows, a NULL-terminated array and a fixed count give the plain calls' results and pointers"
# expect_shared_refused FILE: an array in shared memory whose rows are private is not lent.
expect_shared_refused() {
	expect_output "$1" "^flexos: the call to lib_rows lends an array in shared memory \\(argument 2, rows\\) whose element 0 names private memory of compartment 'app': a pointer in shared memory is not lent, since any compartment may have written it; keep the array in the caller's private memory"
	! grep -q "^shared:" "$1" || fail "the call went on"
}
run "$WORK/lend-process" shared
[ "$st" = 123 ] || { cat "$WORK/out" >&2; fail "process: shared: exit $st, not 123"; }
expect_shared_refused "$WORK/out"
pass "process: an array of pointers in shared memory naming the caller's private rows ends the image, saying what to do (any compartment may have written it)"

run "$WORK/norules-process" heap
[ "$st" = 123 ] || { cat "$WORK/out" >&2; fail "process, no array rules: exit $st"; }
expect_output "$WORK/out" "crashed: signal 11 .* in the heap of compartment 'app'; the code at .* was (sum_invert|lib_rows)"
run "$WORK/lend-process" bare
[ "$st" = 123 ] || { cat "$WORK/out" >&2; fail "process, bare: exit $st"; }
expect_output "$WORK/out" "crashed: signal 11 .* in the heap of compartment 'app'"
run "$WORK/unlent-process" heap
[ "$st" = 123 ] || { cat "$WORK/out" >&2; fail "process, lend: none: exit $st"; }
expect_output "$WORK/out" "crashed: signal 11 .* of compartment 'app'"
pass "process: without an array rule, or with 'lend: none', the rows fault in the callee, reported"

run "$WORK/lend-process" over
[ "$st" = 123 ] || { cat "$WORK/out" >&2; fail "process: over: exit $st"; }
expect_output "$WORK/out" "guard page after an object lent to lib_rows \(the objects the array of pointers of argument 2, 'rows'\): copies of the caller's private objects, 24 bytes in all, .* the callee accessed offset 24"
run "$WORK/lend-process" big
[ "$st" = 123 ] || { cat "$WORK/out" >&2; fail "process: big: exit $st"; }
expect_output "$WORK/out" "the call to lib_rows lends the objects of the array of pointers, argument 2 \(rows\), 327680 bytes of the private memory of compartment 'app', and the lend arena has no room for it"
pass "process: a callee reading past a lent row hits the guard page; rows beyond the arena are refused, naming the call"

vm_script 300 --file "$WORK" <<EOS
$WORK/lend-intel-mpk heap
$WORK/lend-intel-mpk stack
$WORK/lend-intel-mpk null
$WORK/lend-intel-mpk fixed
--expect-status=123 $WORK/lend-intel-mpk shared
--expect-status=123 $WORK/norules-intel-mpk heap
--expect-status=123 $WORK/unlent-intel-mpk heap
--expect-status=123 $WORK/lend-intel-mpk over
--expect-status=123 $WORK/lend-intel-mpk big
$WORK/lend-intel-mpk jumps
EOS
i=1
for mode in heap stack null fixed; do
	vm_output $i | tr -d '\r' | grep -E "^(heap|one|stack|null|fixed|shared): " >"$WORK/vm-$mode" || true
	cmp -s "$WORK/vm-$mode" "$WORK/ref-$mode" ||
		fail "intel-mpk: $mode: $(cat "$WORK/vm-$mode") instead of $(cat "$WORK/ref-$mode")"
	i=$((i + 1))
done
pass "intel-mpk: the same arrays give the plain calls' results and pointers"
vm_output 5 | tr -d '\r' >"$WORK/out.5"
expect_shared_refused "$WORK/out.5"
pass "intel-mpk: an array of pointers in shared memory naming the caller's private rows ends the image"
vm_output 6 >"$WORK/out.6"
expect_output "$WORK/out.6" "compartment 'sandbox' tried to (read|write)"
expect_output "$WORK/out.6" "compartment 'app': heap"
vm_output 7 >"$WORK/out.7"
expect_output "$WORK/out.7" "compartment 'sandbox' tried to (read|write)"
pass "intel-mpk: without an array rule, or with 'lend: none', the rows fault, reported"
vm_output 8 >"$WORK/out.8"
expect_output "$WORK/out.8" "guard page after an object lent to lib_rows \(the objects the array of pointers of argument 2, 'rows'\)"
vm_output 9 >"$WORK/out.9"
expect_output "$WORK/out.9" "the call to lib_rows lends the objects of the array of pointers, argument 2 \(rows\), 327680 bytes"
pass "intel-mpk: reading past a lent row and rows beyond the arena are reported"
vm_output 10 | tr -d '\r' | grep -E "^jumps: " >"$WORK/vm-jumps" || true
cmp -s "$WORK/vm-jumps" "$WORK/ref-jumps" ||
	fail "intel-mpk: jumps: $(cat "$WORK/vm-jumps") instead of $(cat "$WORK/ref-jumps")"
pass "intel-mpk: 100 longjmps out of a gate lending 16 rows give their element records back (the plain calls' results)"
