#!/bin/sh
# The intel-mpk gate on a kernel that does not enable FSGSBASE (kernels
# before 5.9, CPUs without it; limit 2 of docs/threat-model.md): one boot
# of the emulated-PKU VM with the kernel's 'nofsgsbase' (tests/vm/run,
# FLEXOS_VM_APPEND; always the VM, since a host's kernel cannot be asked).
# The gate then does not compare a gate page's owner with the thread on
# each crossing. What still holds: threads, signals, the registration of a
# new thread's page (by its FS base from arch_prctl), the region and
# alignment checks of the TLS pointer, every checked WRPKRU, the clone
# site (threads get an FS base no live thread has; arch_prctl(ARCH_SET_FS)
# is denied). An image refuses to start there (status 125, with the
# reason) unless FLEXOS_MPK_NO_FSGSBASE=accept is in its environment, which
# every command but the last two here sets. What passes then:
# a thread pointing its TLS at another thread's gate page whose
# compartment is its own (gate-state tls-live), which tests/mpk/vm.sh shows
# reported where FSGSBASE is on.
# If the VM cannot run, this fails, unless FLEXOS_VM_OPTIONAL=1 (then: skip).
. "${0%/*}/../lib/testlib.sh"
set -u
b=$top_builddir
FLEXOS_VM_FORCE=1
FLEXOS_VM_APPEND=nofsgsbase
export FLEXOS_VM_FORCE FLEXOS_VM_APPEND

vm_script 600 <<EOS
--expect-status=1 grep -qw fsgsbase /proc/cpuinfo
env FLEXOS_MPK_NO_FSGSBASE=accept $b/tests/mpk/attack --threads
env FLEXOS_MPK_NO_FSGSBASE=accept $b/tests/mpk/attack --signal
env FLEXOS_MPK_NO_FSGSBASE=accept $b/tests/mpk/attack --signal-lib own
env FLEXOS_MPK_NO_FSGSBASE=accept $b/tests/sched/sched-mpk
--expect-status=134 env FLEXOS_MPK_NO_FSGSBASE=accept $b/tests/mpk/attack --thread-claim
--expect-status=134 env FLEXOS_MPK_NO_FSGSBASE=accept $b/tests/mpk/attack --sig-entry gate
--expect-status=134 env FLEXOS_MPK_NO_FSGSBASE=accept $b/tests/mpk/attack --sig-entry stub
--expect-status=134 env FLEXOS_MPK_NO_FSGSBASE=accept $b/tests/mpk/attack --gate-state tls-fake
--expect-status=134 env FLEXOS_MPK_NO_FSGSBASE=accept $b/tests/mpk/attack --gate-state tls-other
env FLEXOS_MPK_NO_FSGSBASE=accept $b/tests/mpk/attack --gate-state tls-null
--expect-status=123 env FLEXOS_MPK_NO_FSGSBASE=accept $b/tests/mpk/attack --gate-state cur
--expect-status=134 env FLEXOS_MPK_NO_FSGSBASE=accept $b/tests/mpk/attack --forge open
--expect-status=134 env FLEXOS_MPK_NO_FSGSBASE=accept $b/tests/mpk/attack --forge switch
env FLEXOS_MPK_NO_FSGSBASE=accept $b/tests/mpk/attack --gate-state tls-live
env FLEXOS_MPK_NO_FSGSBASE=accept $b/tests/mpk/attack --matrix
--expect-status=134 env FLEXOS_MPK_NO_FSGSBASE=accept $b/tests/mpk/attack --clone-settls
--expect-status=123 env FLEXOS_MPK_NO_FSGSBASE=accept $b/tests/mpk/attack --fs-switch
env FLEXOS_MPK_NO_FSGSBASE=accept FLEXOS_MPK_SYSCALL_FILTER=off $b/tests/mpk/attack --fs-switch
env FLEXOS_MPK_NO_FSGSBASE=accept $b/tests/mpk/attack --thread-reuse
--expect-status=125 $b/tests/mpk/attack --matrix
--expect-status=125 env FLEXOS_MPK_NO_FSGSBASE=yes $b/tests/mpk/attack --gate-state tls-live
EOS

check_vm() {  # check_vm N TEXT WHAT: the output of command N holds TEXT.
	vm_output "$1" | grep -qF -- "$2" || fail "no '$2' in the output of command $1"
	pass "$3"
}
pass "the VM's kernel runs without FSGSBASE (no 'fsgsbase' in /proc/cpuinfo)"
check_vm 2 "threads: ok" "no FSGSBASE: 4 threads x 101000 gates (owners by tid)"
check_vm 3 "lib1's SIGUSR2 handler ran 2 times" "no FSGSBASE: handlers run in their compartments"
check_vm 4 "lib1's handler ran 2 times and read lib1's data 7" "no FSGSBASE: a library's handler reads the library's data"
check_vm 5 "sched-image: ok" "no FSGSBASE: scheduler threads"
check_vm 6 "something jumped into the middle of a gate" "no FSGSBASE: a thread made past the wrapper, with another compartment's open PKRU: reported"
check_vm 7 "that the delivery stub did not make" "no FSGSBASE: the signal entry index from a compartment is reported"
check_vm 8 "the delivery stub was called" "no FSGSBASE: the delivery stub called by a compartment is reported"
check_vm 9 "is not its own gate page" "no FSGSBASE: a TLS pointer to a page outside the gate pages is reported"
check_vm 10 "is not its own gate page" "no FSGSBASE: a TLS pointer to a page nobody has is reported (its call list is empty)"
check_vm 11 "back in compartment app with 12 (expected app, 12): ok" "no FSGSBASE: the TLS pointer cleared finds the thread's page (by tid)"
check_vm 12 "compartment 'app' tried to write" "no FSGSBASE: the gate page stays read-only to compartments"
check_vm 13 "something jumped into the middle of a gate" "no FSGSBASE: the opening WRPKRU with a forged PKRU is stopped"
check_vm 14 "something jumped into the middle of a gate" "no FSGSBASE: the switch's WRPKRU with a forged PKRU is stopped"
check_vm 15 "the gate took another thread's page: into lib2 and back (42), no report" \
	"no FSGSBASE, what remains (limit 2): a thread crosses a gate on another thread's page of its own compartment"
m=$(vm_output 16 | sed -n 's/^\([0-9]*\)\/\([0-9]*\) blocked$/\1 \2/p')
set -- $m
[ $# = 2 ] && [ "$1" = "$2" ] && [ "$1" -gt 0 ] || fail "the matrix says '$m' blocked"
pass "no FSGSBASE: attack matrix, every attack blocked ($m)"
check_vm 17 "of a thread that has a gate page and still runs" "no FSGSBASE: clone with a live thread's FS base: reported"
check_vm 18 "the intel-mpk filter denies: arch_prctl" "no FSGSBASE: arch_prctl(ARCH_SET_FS) to another thread's FS base: reported"
check_vm 19 "into lib2 and back on that thread's gate page (42)" "no FSGSBASE, the control: with the filter off, the FS base switch crosses on the other thread's page"
check_vm 20 "thread-reuse: 40 threads" "no FSGSBASE: threads reusing FS bases of threads gone"
check_vm 21 "this kernel does not enable FSGSBASE" "no FSGSBASE: an image refuses to run (status 125) and says why"
check_vm 22 "FLEXOS_MPK_NO_FSGSBASE=accept in its environment" "no FSGSBASE: only FLEXOS_MPK_NO_FSGSBASE=accept runs it (the hole above); another value is refused"
check_vm 2 "FLEXOS_MPK_NO_FSGSBASE=accept): a compartment can cross gates" "no FSGSBASE, accepted: the image says so when it starts"
