#!/bin/sh
# Pointer lending: the application passes pointers to its private memory
# (a string in a static buffer, a stack struct out-parameter, a T **
# out-parameter like sqlite3_open's, a heap struct, a (buffer, length)
# pair), with stack arguments and a struct result beside, to a library
# in another compartment; the gate lends copies and
# copies back what the library wrote. Nested lending: a struct's pointer
# members (a z_stream-like pair of buffers the config's lend: rules
# count, a struct, a string) are lent with it and come back translated. Under none (plain calls), process
# (natively) and intel-mpk (in the emulated-PKU VM) the results are the
# plain call's. A library reading past a lent struct faults, and the
# report names the lent object; with 'lend: none' the old fault is back.
# If the VM cannot run, this fails, unless FLEXOS_VM_OPTIONAL=1 (then: skip).
. "${0%/*}/../lib/testlib.sh"
set -eu

compile "$WORK/lend-app.o" "$DATA/lend-app.c" -g
# No DWARF: the callback's prototype must come from prototypes:.
compile "$WORK/lend-cb.o" "$DATA/lend-cb.c"
compile "$WORK/lend-lib.o" "$DATA/lend-lib.c" -g
ar cr "$WORK/liblend.a" "$WORK/lend-lib.o"
sed "s|^  headers: \[lend-cb.h\].*|&\n  cflags: [-I$DATA]|" "$DATA/lend.yaml" >"$WORK/lend.yaml"
# unlent: 'lend: none' instead of the lend: rules; norules: neither;
# noproto: no prototypes: for the callback.
sed '/^  lend:/,$d' "$WORK/lend.yaml" >"$WORK/norules.yaml"
sed '/^  prototypes:/d' "$WORK/lend.yaml" >"$WORK/noproto.yaml"
# (Without prototypes: too, so that the callback's gate, into app, lends nothing either.)
{ sed '/^  prototypes:/d' "$WORK/norules.yaml"; echo "  lend: none"; } >"$WORK/unlent.yaml"
grep -q "cflags: \[-I$DATA\]" "$WORK/lend.yaml" && grep -q 'stream.next_in' "$WORK/lend.yaml" &&
	! grep -q 'stream.next_in' "$WORK/norules.yaml" && ! grep -q 'prototypes' "$WORK/noproto.yaml" ||
	fail "the test's own config edit did not apply"
for m in none process intel-mpk; do
	for c in lend unlent norules noproto; do
		y=$WORK/$c.yaml
		with_mechanism "$y" "$m" >"$WORK/$c-$m.yaml"
		"$FLEXOS_LINK" -c "$WORK/$c-$m.yaml" -o "$WORK/$c-$m" "$WORK/lend-app.o" \
			"$WORK/lend-cb.o" "$WORK/liblend.a" 2>"$WORK/link.err" ||
			{ cat "$WORK/link.err" >&2; fail "cannot link $c under $m"; }
	done
done
# shared: intel-mpk with shared stacks, where a struct on the caller's stack is lent in place.
awk '{ print } /mechanism: intel-mpk/ { print "  stack: shared" }' "$WORK/lend-intel-mpk.yaml" >"$WORK/shared.yaml"
grep -q "stack: shared" "$WORK/shared.yaml" || fail "the test's own config edit did not apply (stack: shared)"
"$FLEXOS_LINK" -c "$WORK/shared.yaml" -o "$WORK/lend-shared" "$WORK/lend-app.o" "$WORK/lend-cb.o" \
	"$WORK/liblend.a" 2>"$WORK/link.err" || { cat "$WORK/link.err" >&2; fail "cannot link with shared stacks"; }
pass "the lending images link under none, process and intel-mpk (also with shared stacks), with and without 'lend: none' and lend: rules"

# The gate's plan: the struct's pointer members lent with it, sized by
# their types (pt, label) and by the config's rules (next_in, next_out),
# and a void * the rule pairs with an unsigned count.
"$FLEXOS_LINK" --explain -c "$WORK/lend-process.yaml" -o "$WORK/explain" "$WORK/lend-app.o" \
	"$WORK/lend-cb.o" "$WORK/liblend.a" >"$WORK/explain.out" 2>&1 || { cat "$WORK/explain.out" >&2; fail "--explain"; }
expect_output "$WORK/explain.out" "lends: s \(rdi, 56 bytes, in and out; members next_in \(avail_in bytes\), next_out \(avail_out bytes\), pt \(16 bytes\), label \(a string\)\)"
expect_output "$WORK/explain.out" "lends: buf \(rdi, as many bytes as rsi says, in and out\)"
expect_output "$WORK/explain.out" "lends: a \(rdi, 4 bytes, in and out\), .*, g \(stack, 4 bytes, in and out\)"
expect_output "$WORK/explain.out" "callback on_word .*"
expect_output "$WORK/explain.out" "prototype: void on_word\(void \*, const char \*, int\) +\[header lend-cb.h\]"
pass "--explain: nested lending's members, the lend: rules' counts, a static callback's prototype from prototypes:"

# A rule whose count is not an integer member, and one that names nothing.
{ cat "$WORK/norules-process.yaml"; printf '  lend:\n    stream.next_in: label\n    stream.nxt_in: avail_in\n'; } >"$WORK/badrule.yaml"
! "$FLEXOS_LINK" -c "$WORK/badrule.yaml" -o "$WORK/badrule" "$WORK/lend-app.o" "$WORK/lend-cb.o" "$WORK/liblend.a" \
	2>"$WORK/badrule.err" || fail "a lend: rule with a pointer as its count was accepted"
expect_output "$WORK/badrule.err" "badrule.yaml:[0-9]*:5: error: lend rule 'stream.next_in': 'label' is not an integer member of stream"
expect_output "$WORK/badrule.err" "badrule.yaml:[0-9]*:5: warning: lend rule 'stream.nxt_in': no call into library 'lib' has an argument or a struct member that it names"
pass "a lend: rule with a count that is no integer member is refused, one that names nothing is warned of, with file:line:col"

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
	expect_output "$1" "^seven: 21 70$"
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
pass "none, process: a static string, a stack out-parameter, a T ** out-parameter, a heap struct, a returned pointer into a string, a (buffer, length) pair, stack arguments, a pointer passed on the stack (7th argument) and a struct result cross as the plain call's"

# expect_pump FILE, expect_pumpshared FILE, expect_pumpheap FILE: the plain calls' results.
expect_pump() {
	expect_output "$1" "^pump: 13 40000 25536 40000 0 40000 40000 NESTED LENDING $"
	expect_output "$1" "^pump again: 65536 0 65536 65536 0$"
	expect_output "$1" "^read: 30 zabcd$"
}
expect_pumpshared() {
	expect_output "$1" "^pump shared: 13 100 100 100 100 IN PLACE $"
	expect_output "$1" "^pump shared again: 6 30000 30000 30000 30000$"
}
expect_pumpheap() {
	expect_output "$1" "^pump heap: 13 100 100 100 100 IN PLACE $"
	expect_output "$1" "^pump heap again: 6 30000 30000 30000 30000$"
}
# natively MODE DESCRIPTION: MODE under none and process gives the plain calls' results.
natively() {
	for m in none process; do
		run "$WORK/lend-$m" "$1"
		[ "$st" = 0 ] || { cat "$WORK/out" >&2; fail "$m: $1: exit $st"; }
		"expect_$1" "$WORK/out"
	done
	pass "none, process: $2"
}
natively pump "nested lending: a stack struct's .bss buffers (64 KiB each, counted by members), its struct and string members, moved pointers translated back, a void * counted by a rule"
natively pumpheap "a heap struct has its members lent with it, and a call lending only large members after one that lent small ones"
run "$WORK/lend-none" pumpshared
[ "$st" = 0 ] || { cat "$WORK/out" >&2; fail "none: pumpshared: exit $st"; }
expect_pumpshared "$WORK/out"
# expect_shared_refused FILE: the members of a struct in shared memory are not lent.
expect_shared_refused() {
	expect_output "$1" "^flexos: the call to lib_pump lends a struct in shared memory \\(argument 1, s\\) whose member 'next_in' names private memory of compartment 'app': a pointer in shared memory is not lent, since any compartment may have written it; keep the struct in the caller's private memory"
	! grep -q "^pump shared" "$1" || fail "the call went on"
}
run "$WORK/lend-process" pumpshared
[ "$st" = 123 ] || { cat "$WORK/out" >&2; fail "process: pumpshared: exit $st, not 123"; }
expect_shared_refused "$WORK/out"
pass "none: a struct in shared memory naming private buffers gives the plain calls' results; process: it is not lent, the image ends naming the member and saying what to do"

for m in none process; do
	run "$WORK/lend-$m" words
	[ "$st" = 0 ] || { cat "$WORK/out" >&2; fail "$m: words: exit $st"; }
	expect_output "$WORK/out" "^words: 3 alpha\.beta\.gamma\.$"
done
pass "none, process: the library hands the callback (no DWARF; prototypes:) a string on its stack, which is lent back"
run "$WORK/noproto-process" words
[ "$st" = 123 ] || { cat "$WORK/out" >&2; fail "process, no prototypes: words: exit $st"; }
expect_output "$WORK/out" "crashed: signal 11 .* in the stack of compartment 'sandbox'"
expect_output "$WORK/out" "#[0-9]+ 0x[0-9a-f]+ on_word\+0x[0-9a-f]+ \[app\]"
pass "process, without prototypes: the callback faults on the library's stack"

run "$WORK/norules-process" pump
[ "$st" = 123 ] || { cat "$WORK/out" >&2; fail "process, no lend: rules: pump: exit $st"; }
expect_output "$WORK/out" "crashed: signal 11 .* in the \.bss of compartment 'app'; the code at .* was lib_pump"
pass "process, without the lend: rules: next_in is not lent and the library faults on the .bss buffer"

run "$WORK/lend-process" pumpover
[ "$st" = 123 ] || { cat "$WORK/out" >&2; fail "process: pumpover: exit $st"; }
expect_output "$WORK/out" "crashed: signal 11 .* in the guard page after an object lent to lib_pump_over \(member 'next_in' of the struct argument 1, 's'\): a copy of the caller's private object, 100 bytes as its type or the library's lend: rule says, .* the callee accessed offset 100"
pass "process: a callee reading past a lent member faults at its guard page, and the report names the member"

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
$WORK/lend-intel-mpk pump
--expect-status=123 $WORK/norules-intel-mpk pump
--expect-status=123 $WORK/lend-intel-mpk pumpover
$WORK/lend-intel-mpk words
--expect-status=123 $WORK/lend-intel-mpk pumpshared
$WORK/lend-intel-mpk pumpheap
$WORK/lend-shared pump
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
vm_output 5 >"$WORK/out.5"
expect_pump "$WORK/out.5"
pass "intel-mpk: nested lending gives the plain call's results"
vm_output 6 >"$WORK/out.6"
expect_output "$WORK/out.6" "compartment 'sandbox' tried to read"
expect_output "$WORK/out.6" "\.bss"
pass "intel-mpk, without the lend: rules: the library faults on the .bss buffer"
vm_output 7 >"$WORK/out.7"
expect_output "$WORK/out.7" "guard page after an object lent to lib_pump_over \(member 'next_in' of the struct argument 1, 's'\)"
pass "intel-mpk: a callee reading past a lent member faults, and the report names the member"
vm_output 8 >"$WORK/out.8"
expect_output "$WORK/out.8" "^words: 3 alpha\.beta\.gamma\.$"
pass "intel-mpk: the callback reads the lent string"
vm_output 9 | tr -d '\r' >"$WORK/out.9"
expect_shared_refused "$WORK/out.9"
pass "intel-mpk: a struct in shared memory naming the caller's private buffers is not lent: the image ends naming the member"
vm_output 10 | tr -d '\r' >"$WORK/out.10"
expect_pumpheap "$WORK/out.10"
pass "intel-mpk: a heap struct's members lent with it give the plain call's results"
vm_output 11 | tr -d '\r' >"$WORK/out.11"
expect_pump "$WORK/out.11"
pass "intel-mpk, shared stacks: a struct on the caller's stack has its members lent in place: the plain calls' results"
