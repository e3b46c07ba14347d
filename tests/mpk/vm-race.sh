#!/bin/sh
# The C code a gate runs with the gate page open (its slow path, which
# takes a new thread's stack in the callee) runs on the thread's gate
# stack (gate key), never on the caller's stack: there another thread of
# the caller's compartment could replace a return address while the page
# is open, and run its code with the gate key writable. attack
# --slow-race: 200 new threads of app each enter lib1 for the first time
# while another thread of app keeps writing a function's address over the
# 4 KiB below each one's stack pointer; that function must never run
# (with the C code on the caller's stack it ran, with the gate key
# writable, in each of two runs of 200). In the emulated-PKU VM with two
# CPUs, so that the writer runs beside the gate. If the VM cannot run,
# this fails, unless FLEXOS_VM_OPTIONAL=1 (then: skip).
. "${0%/*}/../lib/testlib.sh"
set -u
attack=$top_builddir/tests/mpk/attack

echo "$attack --slow-race 200" >"$WORK/commands"
FLEXOS_VM_SMP=2 vm_script 300 --file "$attack" <"$WORK/commands"
vm_output 1 | grep -q "slow-race: 200 threads entered lib1 by the slow path" ||
	fail "no 'slow-race: 200 threads' in the output"
pass "200 slow paths while app writes below each caller's stack pointer: the gate's C code never returns into it"
