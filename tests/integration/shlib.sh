#!/bin/sh
# A shared library that the config puts in a compartment: its code runs
# there, its allocations go to that compartment's heap, and its data and
# heap are out of reach of the others (process natively, intel-mpk in the
# emulated-PKU VM); unclaimed shared libraries (libc) stay shared.
. "${0%/*}/../lib/testlib.sh"
set -eu

$CC $CFLAGS_TEST -fPIC -shared -o "$WORK/libshl.so" "$DATA/shl-lib.c"
compile "$WORK/app.o" "$DATA/shl-app.c"

link() {
	with_mechanism "$DATA/shl.yaml" "$1" >"$WORK/$1.yaml"
	"$FLEXOS_LINK" -c "$WORK/$1.yaml" -o "$WORK/shl-$1" "$WORK/app.o" \
		-L"$WORK" -lshl -Wl,-rpath,"$WORK" --print-map >"$WORK/$1.map"
	expect_output "$WORK/$1.map" "input +-lshl \(shared library, library libshl\)"
}

for mech in none process intel-mpk; do
	link "$mech"
done
# And with shared stacks (the gate of such images crosses for the runtime too).
awk '{ print } /mechanism: intel-mpk/ { print "  stack: shared" }' "$WORK/intel-mpk.yaml" \
	>"$WORK/mpk-shared.yaml"
"$FLEXOS_LINK" -c "$WORK/mpk-shared.yaml" -o "$WORK/shl-mpk-shared" "$WORK/app.o" \
	-L"$WORK" -lshl -Wl,-rpath,"$WORK" 2>"$WORK/link.err" ||
	{ cat "$WORK/link.err" >&2; fail "cannot link with shared stacks"; }

# The library's destructor writes its data and prints this.
dtor="^shl destructor: calls 102, secret 42$"

"$WORK/shl-none" read-data >"$WORK/none.out" || fail "shl-none exited $?"
expect_output "$WORK/none.out" "read the library's data: 42 \(NOT BLOCKED\)"
expect_output "$WORK/none.out" "$dtor"
pass "none: the library runs, nothing is isolated, its destructor runs at exit"

"$WORK/shl-process" ok >"$WORK/ok.out" || fail "shl-process ok exited $?"
expect_output "$WORK/ok.out" "^shl_touch: 44$"
expect_output "$WORK/ok.out" "$dtor"
"$WORK/shl-process" ok --map >/dev/null
# The runtime's crossing asked twice for the library's exit-time function: it runs once.
"$WORK/shl-process" fini-twice >"$WORK/twice.out" || fail "shl-process fini-twice exited $?"
[ "$(grep -c "^shl destructor:" "$WORK/twice.out")" -eq 1 ] ||
	fail "process: the library's destructor did not run exactly once"
expect_output "$WORK/twice.out" "$dtor"
pass "process: calls into the shared library's compartment work, its destructor runs at exit"

for what in data heap; do
	status=0
	timeout 20 "$WORK/shl-process" "read-$what" >"$WORK/p.out" 2>"$WORK/p.err" || status=$?
	[ "$status" -eq 123 ] || { cat "$WORK/p.out" "$WORK/p.err" >&2; fail "process read-$what exited $status, expected 123"; }
	! grep -q "NOT BLOCKED" "$WORK/p.out" || fail "process: read-$what was not blocked"
	expect_output "$WORK/p.err" "of compartment 'lib'"
	pass "process: reading the shared library's $what from 'app' faults"
done

# intel-mpk: in the VM (or natively where the CPU has PKU).
vm_script 300 <<EOS
$WORK/shl-intel-mpk ok
--expect-status=123 $WORK/shl-intel-mpk read-data
--expect-status=123 $WORK/shl-intel-mpk read-heap
--expect-status=123 $WORK/shl-intel-mpk rekey
--expect-status=123 $WORK/shl-intel-mpk mprotect
--expect-status=123 $WORK/shl-intel-mpk munmap
env FLEXOS_MPK_SYSCALL_FILTER=off $WORK/shl-intel-mpk rekey
$WORK/shl-intel-mpk fini-twice
$WORK/shl-intel-mpk fini-direct
$WORK/shl-intel-mpk pkru
$WORK/shl-mpk-shared pkru
--expect-status=123 $WORK/shl-mpk-shared rekey
$WORK/shl-mpk-shared fini-twice
--expect-status=125 env SHL_CTOR_THREAD=1 $WORK/shl-intel-mpk ok
EOS
expect_output "$WORK/vm.out" "^shl_touch: 44$"
{ vm_output 2; vm_output 3; } >"$WORK/mpk-reads.out"
[ "$(grep -c "compartment 'app' tried to read" "$WORK/mpk-reads.out")" -eq 2 ] ||
	fail "intel-mpk: the two reads were not both reported"
expect_output "$WORK/mpk-reads.out" "belongs to compartment 'lib': shared library's data"
expect_output "$WORK/mpk-reads.out" "belongs to compartment 'lib': heap"
! grep -q "NOT BLOCKED" "$WORK/mpk-reads.out" || fail "intel-mpk: a read was not blocked"
pass "intel-mpk: the shared library's data and heap are the compartment's"

# The library's data keeps its key until the process ends: its destructor
# runs at exit in its compartment (a write of its data, which faults in
# any other), and the image exits 0.
vm_output 1 >"$WORK/mpk-ok.out"
expect_output "$WORK/mpk-ok.out" "$dtor"
vm_output 10 >"$WORK/mpk-pkru.out"
call=$(sed -n "s/^lib's PKRU in a call: //p" "$WORK/mpk-pkru.out")
[ -n "$call" ] || fail "intel-mpk: no PKRU of the library's code in a call"
expect_output "$WORK/mpk-pkru.out" "^shl destructor: PKRU $call$"
# And what its constructor registered with atexit, once.
[ "$(grep -c "^shl atexit:" "$WORK/mpk-pkru.out")" -eq 1 ] ||
	fail "intel-mpk: the library's atexit handler did not run exactly once"
expect_output "$WORK/mpk-pkru.out" "^shl atexit: PKRU $call, runs 1$"
pass "intel-mpk: the library's destructor runs at exit, in its compartment (its PKRU, $call)"

# The application asks the kernel for the library's data: key 0, readable, unmapped.
n=4
for call in pkey_mprotect mprotect munmap; do
	vm_output $n >"$WORK/mpk-$call.out"
	expect_output "$WORK/mpk-$call.out" "compartment 'app' made a system call the intel-mpk filter denies: $call\("
	! grep -q "NOT BLOCKED" "$WORK/mpk-$call.out" || fail "intel-mpk: $call of the library's data went through"
	pass "intel-mpk: $call of the shared library's data from 'app' is denied (123)"
	n=$((n + 1))
done
# The control: without the filter, re-keying it to key 0 gives it away.
vm_output 7 >"$WORK/mpk-off.out"
expect_output "$WORK/mpk-off.out" "read the library's data: 42 \(NOT BLOCKED\)"
pass "intel-mpk: with the filter off, pkey_mprotect to key 0 reads the library's data (control)"

# Its destructors run once, whoever asks the runtime's crossing for them.
vm_output 8 >"$WORK/mpk-twice.out"
[ "$(grep -c "^shl destructor:" "$WORK/mpk-twice.out")" -eq 1 ] ||
	fail "intel-mpk: the library's destructor did not run exactly once"
expect_output "$WORK/mpk-twice.out" "$dtor"
vm_output 9 >"$WORK/mpk-direct.out"
[ "$(grep -c "^shl destructor:" "$WORK/mpk-direct.out")" -eq 1 ] ||
	fail "intel-mpk: fini-direct: the library's destructor did not run exactly once"
expect_output "$WORK/mpk-direct.out" "$dtor"
[ "$(grep -n "shl destructor\|fini-direct: back" "$WORK/mpk-direct.out" | head -1 | grep -c back)" -eq 1 ] ||
	fail "intel-mpk: called from 'app', the exit-time function ran the library's destructor there"
pass "intel-mpk: the library's destructors run once, in its compartment only"

# The same with shared stacks.
vm_output 11 >"$WORK/shared-pkru.out"
call=$(sed -n "s/^lib's PKRU in a call: //p" "$WORK/shared-pkru.out")
[ -n "$call" ] || fail "intel-mpk, shared stacks: no PKRU of the library's code in a call"
expect_output "$WORK/shared-pkru.out" "^shl destructor: PKRU $call$"
expect_output "$WORK/shared-pkru.out" "$dtor"
expect_output "$WORK/shared-pkru.out" "^shl atexit: PKRU $call, runs 1$"
vm_output 12 >"$WORK/shared-rekey.out"
expect_output "$WORK/shared-rekey.out" "compartment 'app' made a system call the intel-mpk filter denies: pkey_mprotect\\("
vm_output 13 >"$WORK/shared-twice.out"
[ "$(grep -c "^shl destructor:" "$WORK/shared-twice.out")" -eq 1 ] ||
	fail "intel-mpk, shared stacks: the library's destructor did not run exactly once"
pass "intel-mpk, shared stacks: the destructor runs once in its compartment ($call), pkey_mprotect of the data is denied"

# A thread made by the library's constructor, before the backend's
# start-up (no gate page, glibc's robust list and rseq area kept): the
# image does not start, and says why (limit 7).
vm_output 14 >"$WORK/ctor-thread.out"
expect_output "$WORK/ctor-thread.out" "^shl constructor: made a thread$"
expect_output "$WORK/ctor-thread.out" "2 threads run where isolation starts, before main: one was made before the backend's start-up"
! grep -q "^shl_touch:" "$WORK/ctor-thread.out" || fail "intel-mpk: the image ran main with a constructor's thread"
pass "intel-mpk: a thread made by a shared library's constructor: the image refuses to start (125), saying why"
