#!/bin/sh
# A new scheduler thread's making under intel-mpk (limit 13 of
# docs/threat-model.md), raced by another compartment, in the emulated-PKU
# VM with two CPUs (tests/vm/run; natively where the host has PKU), so
# that lib1's OS thread runs beside app's, twice each:
# attack --sched-frame 100: app makes 100 threads one after another while
# lib1 keeps writing the address of its choice over the return address of
# each one's first frame, which flexos_sched_create builds at the top of
# the stack it maps (key 0). The backend copies that frame from the
# creator's own copy to the thread's stack in app's pool: each thread runs
# its own function. Before (the copy taken from the mapped stack), a
# thread started at lib1's address with app's rights and read app's
# secret (status 1), in each of six runs (as late as the 35th thread).
# attack --sched-map 100: lib1 points each new thread's mapping in its
# control block (key 0) at app's private data while app makes it: the
# scheduler uses the mapping it made, and app's data stays as app wrote
# it. Before (the mapping read back from the control block for the
# frame), the scheduler wrote the frame there with app's rights (status
# 1), in each of five runs (as late as the 64th thread).
# If the VM cannot run, this fails, unless FLEXOS_VM_OPTIONAL=1 (then: skip).
. "${0%/*}/../lib/testlib.sh"
set -u
attack=$top_builddir/tests/mpk/attack

runs=2
{
	for _ in $(seq $runs); do echo "$attack --sched-frame 100"; done
	for _ in $(seq $runs); do echo "$attack --sched-map 100"; done
} >"$WORK/commands"
FLEXOS_VM_SMP=2 vm_script 300 --file "$attack" <"$WORK/commands"
for k in $(seq $runs); do
	! vm_output $k | grep -q "FAIL" || fail "sched-frame (command $k): a thread ran lib1's frame"
	vm_output $k | grep -q "^sched-frame: lib1 rewrote the first frame of [1-9][0-9]* of 100 new threads" ||
		fail "sched-frame (command $k): lib1 did not rewrite a first frame"
	vm_output $k | grep -q "; 100 ran their own function, in app$" ||
		fail "sched-frame (command $k): not every thread ran its own function"
done
pass "lib1 rewrites the first frame of 100 new threads of app's, $runs times: each runs its own function, never lib1's address"
for k in $(seq $((runs + 1)) $((2 * runs))); do
	! vm_output $k | grep -q "FAIL" || fail "sched-map (command $k): the scheduler wrote app's data"
	vm_output $k | grep -q "^sched-map: lib1 pointed the mapping of [1-9][0-9]* of 100 new threads" ||
		fail "sched-map (command $k): lib1 did not point a mapping at app's data"
	vm_output $k | grep -q "it stayed as app wrote it, and 100 ran their own function, in app$" ||
		fail "sched-map (command $k): app's data changed, or a thread did not run its own function"
done
pass "lib1 points the mapping of 100 new threads of app's at app's data, $runs times: the scheduler never writes there"
