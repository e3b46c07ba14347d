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

# And two threads of lib1 that clone at once with one TLS (a joined
# thread's descriptor), through glibc's clone(), so the runtime's clone
# site: both passed the site's scan before either registered, giving two
# live threads one FS base and one gate page, and one of them app's rights
# once the other was in app (an attack review's: 3 wins in 10 runs, two
# CPUs). A registration now claims the page by a compare-and-swap, and
# every run ends in a report (status 134), never app's data.
races=6
{
	echo "$attack --slow-race 200"
	for _ in $(seq $races); do echo "--expect-status=134 $attack --clone-race"; done
} >"$WORK/commands"
FLEXOS_VM_SMP=2 vm_script 300 --file "$attack" <"$WORK/commands"
vm_output 1 | grep -q "slow-race: 200 threads entered lib1 by the slow path" ||
	fail "no 'slow-race: 200 threads' in the output"
pass "200 slow paths while app writes below each caller's stack pointer: the gate's C code never returns into it"
for k in $(seq 2 $((races + 1))); do
	vm_output $k | grep -q "^flexos: clone: a thread made with the FS base" ||
		fail "clone-race (command $k): no clone report"
	! vm_output $k | grep -q "FAIL" || fail "clone-race (command $k): two threads with one FS base"
done
pass "two lib1 threads clone at once with one TLS, $races times: each time one is reported, never app's data"
