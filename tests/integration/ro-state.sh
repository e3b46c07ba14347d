#!/bin/sh
# The runtime's control data under intel-mpk (docs/threat-model.md, limit
# 1): a compromised library (data/rostate-lib.c) rewrites, in memory its
# PKRU allows, what decides where the application's allocations go: the
# runtime's table of heaps ("heaps": the application's entry pointed at
# the shared heap), the compartment malloc serves ("process": an index
# past the table, to a word that holds the shared heap), and the
# backend's protection keys ("keys"). Then the application allocates and
# stores a secret, and the library searches the shared heap for it. That
# state is read-only once the runtime has started: each write must end in
# a fault report (status 123) naming the runtime's read-only state, and the
# secret must not leak. "mprotect": the library first makes the table's
# page writable again, which the system-call filter denies (its range
# rule over the image); with the filter off (a control) it leaks.
# "control": the library only searches (nothing found). If the VM cannot
# run, this fails, unless FLEXOS_VM_OPTIONAL=1 (then: skip).
. "${0%/*}/../lib/testlib.sh"
set -eu

compile "$WORK/rostate-app.o" "$DATA/rostate-app.c" -I"$DATA"
compile "$WORK/rostate-lib.o" "$DATA/rostate-lib.c" -I"$DATA" -I"$top_srcdir/src/runtime"
ar cr "$WORK/librostate.a" "$WORK/rostate-lib.o"
cp "$DATA/rostate.yaml" "$WORK/rostate.yaml"
"$FLEXOS_LINK" -c "$WORK/rostate.yaml" -o "$WORK/rostate" "$WORK/rostate-app.o" \
	"$WORK/librostate.a" 2>"$WORK/link.err" || { cat "$WORK/link.err" >&2; fail "cannot link"; }
pass "the attacking library links under intel-mpk"

vm_script 300 --file "$WORK" <<EOS
$WORK/rostate control
--expect-status=123 $WORK/rostate heaps
--expect-status=123 $WORK/rostate process
--expect-status=123 $WORK/rostate keys
--expect-status=123 $WORK/rostate mprotect
env FLEXOS_MPK_SYSCALL_FILTER=off $WORK/rostate mprotect
EOS
vm_output 1 | tr -d '\r' >"$WORK/vm-control"
expect_output "$WORK/vm-control" "^control: the application's secret stayed in its heap$"
pass "control: the application's secret is not in the shared heap"
n=2
for x in heaps process keys; do
	vm_output $n | tr -d '\r' >"$WORK/vm-$x"
	n=$((n + 1))
	expect_output "$WORK/vm-$x" "^$x: "
	expect_output "$WORK/vm-$x" "^flexos: compartment 'lib' tried to write 0x[0-9a-f]+, the (runtime's|intel-mpk backend's) state( \\([^)]*\\))?, which is read-only once the runtime has started; no compartment may change it"
	! grep -q "^$x: the application's secret" "$WORK/vm-$x" || fail "$x: the application went on"
	! grep -q "app-secret" "$WORK/vm-$x" || fail "$x: the secret leaked"
	pass "$x: the library's write to the read-only state is reported, and the secret stays the application's"
done
vm_output 5 | tr -d '\r' >"$WORK/vm-mprotect"
expect_output "$WORK/vm-mprotect" "^flexos: compartment 'lib' made a system call the intel-mpk filter denies: mprotect\\("
! grep -q "app-secret" "$WORK/vm-mprotect" || fail "mprotect: the secret leaked"
pass "mprotect: making the runtime's state writable again is denied by the filter"
vm_output 6 | tr -d '\r' >"$WORK/vm-mprotect-off"
expect_output "$WORK/vm-mprotect-off" "^mprotect: the application's secret leaked$"
pass "mprotect, filter off (control): the page is made writable and the secret leaks"
