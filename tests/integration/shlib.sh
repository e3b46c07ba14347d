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

"$WORK/shl-none" read-data >"$WORK/none.out" || fail "shl-none exited $?"
expect_output "$WORK/none.out" "read the library's data: 42 \(NOT BLOCKED\)"
pass "none: the library runs, nothing is isolated"

"$WORK/shl-process" ok >"$WORK/ok.out" || fail "shl-process ok exited $?"
expect_output "$WORK/ok.out" "^shl_touch: 44$"
"$WORK/shl-process" ok --map >/dev/null
pass "process: calls into the shared library's compartment work"

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
EOS
expect_output "$WORK/vm.out" "^shl_touch: 44$"
[ "$(grep -c "compartment 'app' tried to read" "$WORK/vm.out")" -eq 2 ] ||
	fail "intel-mpk: the two reads were not both reported"
expect_output "$WORK/vm.out" "belongs to compartment 'lib': shared library's data"
expect_output "$WORK/vm.out" "belongs to compartment 'lib': heap"
! grep -q "NOT BLOCKED" "$WORK/vm.out" || fail "intel-mpk: a read was not blocked"
pass "intel-mpk: the shared library's data and heap are the compartment's"
