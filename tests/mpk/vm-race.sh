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
#
# And the SIGSYS report (syscalls sigsys-smash): evil's second thread
# fills the top of its first thread's signal stack (key 0) with the
# address of evil's code while the first makes a denied call. The report
# ran there as a C handler in images without newlib compartments, and
# evil's code ran in it in each of 3 runs (checked with that handler);
# it now runs from gate.S's entry on the report stack (gate key): each
# run ends with a report, 123, or 159 where the filling reached the
# siginfo first (the frame race of limit 6), never evil's code.
syscalls=$top_builddir/tests/mpk/syscalls
attack_lend=$top_builddir/tests/mpk/attack-lend
#
# And a signal on the thread that holds the report's lock (syscalls
# report-lock-signal, an attack review's): evil calls the SIGSEGV entry
# itself (a forged report, with evil's signal mask), its second thread
# sends that thread SIGUSR1 once the lock names it, and evil's handler
# jumps into the report's path where it takes the report's PKRU, with a
# denied call's kind and a "ucontext" over app's secret: the secret was
# printed in 7 of 10 runs. The report now blocks every signal before the
# lock: each run is the forged report, never the handler, never the
# secret.
#
# And the same handler once the report's unwinder lets SIGSEGV in
# (syscalls report-unwind-handler, an attack review's): a forged fault
# whose unwinding faults while evil's second thread sets SIGSEGV to its
# handler again; the handler ran on the reporting thread and printed
# app's secret (3 of 6 runs in the review's, 2 of 4 in a check here).
# The delivery stub now runs no handler while a report is in progress:
# the unwinder's fault ends the image with the line that says so.
#
# And the report's naming of a lent object (attack-lend --report-lend-race
# N, an attack review's): the report checked a slot's record (key 0) for
# a descriptor of the image's, then read the descriptor again to print
# it; a second thread of lib1's flips the record between a genuine one
# and a forged one whose names are app's secret string: printed in 6 of
# 15 runs. The record is now read once: a genuine name each time, or the
# guard page named no further, never the secret.
lendraces="0 0 2 2 10 10"
unwinds=4
races=6 smashes=3 locks=4
{
	echo "$attack --slow-race 200"
	for _ in $(seq $races); do echo "--expect-status=134 $attack --clone-race"; done
	for _ in $(seq $smashes); do echo "sh -c '$syscalls sigsys-smash; echo status \$?'"; done
	for _ in $(seq $locks); do echo "--expect-status=123 $syscalls report-lock-signal"; done
	for _ in $(seq $unwinds); do echo "--expect-status=123 $syscalls report-unwind-handler"; done
	for n in $lendraces; do echo "--expect-status=123 $attack_lend --report-lend-race $n"; done
} >"$WORK/commands"
FLEXOS_VM_SMP=2 vm_script 400 --file "$attack" --file "$syscalls" --file "$attack_lend" <"$WORK/commands"
vm_output 1 | grep -q "slow-race: 200 threads entered lib1 by the slow path" ||
	fail "no 'slow-race: 200 threads' in the output"
pass "200 slow paths while app writes below each caller's stack pointer: the gate's C code never returns into it"
for k in $(seq 2 $((races + 1))); do
	vm_output $k | grep -q "^flexos: clone: a thread made with the FS base" ||
		fail "clone-race (command $k): no clone report"
	! vm_output $k | grep -q "FAIL" || fail "clone-race (command $k): two threads with one FS base"
done
pass "two lib1 threads clone at once with one TLS, $races times: each time one is reported, never app's data"
for k in $(seq $((races + 2)) $((races + smashes + 1))); do
	vm_output $k | grep -Eq "^status (123|159)$" ||
		fail "sigsys-smash (command $k): $(vm_output $k | grep '^status')"
	vm_output $k | grep -Eq "^flexos: (compartment 'evil' made a system call the intel-mpk filter denies: pkey_alloc\(|a SIGSYS the system-call filter did not raise)" ||
		fail "sigsys-smash (command $k): no report"
	! vm_output $k | grep -q "EVIL'S CODE RAN" || fail "sigsys-smash (command $k): evil's code ran in the SIGSYS report"
done
pass "evil fills its thread's signal stack with its code's address while that thread makes a denied call, $smashes times: each ends with a report, never evil's code in it"
# report_held FIRST COUNT MODE TEXT: commands FIRST.. of MODE end with
# TEXT, never print app's secret, never run evil's handler while it
# reports.
report_held() {
	for k in $(seq "$1" $(($1 + $2 - 1))); do
		vm_output $k | grep -qF "$4" || fail "$3 (command $k): no '$4'"
		! vm_output $k | grep -q "5ec2e7" || fail "$3 (command $k): app's secret printed"
		! vm_output $k | grep -q "handler runs holding the lock" ||
			fail "$3 (command $k): evil's handler ran on the reporting thread"
	done
}
report_held $((races + smashes + 2)) $locks report-lock-signal "not entered by the kernel: a compartment forged a fault"
pass "a signal sent to a forged report's thread once it holds the report's lock, $locks times: no handler runs there, app's secret never printed"
report_held $((races + smashes + locks + 2)) $unwinds report-unwind-handler "(a fault or a second report while this thread reported"
pass "evil sets SIGSEGV to its handler while a report's unwinder faults, $unwinds times: no handler runs in the report, app's secret never printed"
first=$((races + smashes + locks + unwinds + 2))
k=$first
for n in $lendraces; do
	vm_output $k | grep -q "^flexos: compartment .lib1. accessed 0x[0-9a-f]*, in .* guard page" ||
		fail "report-lend-race $n (command $k): no report of the guard page"
	! vm_output $k | grep -q "APP-SECRET" || fail "report-lend-race $n (command $k): app's secret printed"
	k=$((k + 1))
done
pass "lib1 flips a lend record between a genuine and a forged descriptor while the report names it, $(echo $lendraces | wc -w) times: app's secret never printed"
