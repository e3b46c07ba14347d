#!/bin/sh
# The intel-mpk tests that need protection keys, in one boot of the
# emulated-PKU VM (tests/vm/run; natively where the host has PKU): the
# attack matrix, the forged gate, nested gates, stdio, threads, the gate
# path length and the hello example, isolated and attacked; then the same
# image linked with shared stacks (attack-shared): a library writing into
# its caller's stack, the matrix without stack isolation, nested gates,
# threads, the forged shared gate and its path length.
# The --count lines single-step a gate with ptrace from inside the image,
# which the system-call filter denies: they run with it off.
# If the VM cannot run, this fails, unless FLEXOS_VM_OPTIONAL=1 (then: skip).
. "${0%/*}/../lib/testlib.sh"
set -u
b=$top_builddir

vm_script 600 <<EOS
$b/tests/mpk/attack --matrix
--expect-status=134 $b/tests/mpk/attack --forge entry
--expect-status=134 $b/tests/mpk/attack --forge exit
$b/tests/mpk/attack --nested
$b/tests/mpk/attack --printf
$b/tests/mpk/attack --threads
env FLEXOS_MPK_SYSCALL_FILTER=off $b/tests/mpk/attack --count
--expect-status=134 $b/tests/mpk/attack --forge newlib-entry
--expect-status=134 $b/tests/mpk/attack --forge newlib-exit
env FLEXOS_MPK_SYSCALL_FILTER=off $b/tests/mpk/attack --count newlib
$b/tests/mpk/hello-mpk
--expect-status=123 $b/tests/mpk/hello-mpk --attack
$b/tests/sched/sched-mpk
$b/tests/mpk/attack-shared --stackptr
--expect-status=123 $b/tests/mpk/attack --stackptr
$b/tests/mpk/attack-shared --matrix shared
$b/tests/mpk/attack-shared --nested
$b/tests/mpk/attack-shared --threads
--expect-status=134 $b/tests/mpk/attack-shared --forge shared-entry
--expect-status=134 $b/tests/mpk/attack-shared --forge shared-exit
env FLEXOS_MPK_SYSCALL_FILTER=off $b/tests/mpk/attack-shared --count shared
EOS

# check N TEXT WHAT: a case: the output of command N holds TEXT.
check_vm() {
	vm_output "$1" | grep -qF -- "$2" || fail "no '$2' in the output of command $1"
	pass "$3"
}

matrix() {  # matrix N WHAT: every attack of command N's matrix blocked
	m=$(vm_output "$1" | sed -n 's/^\([0-9]*\)\/\([0-9]*\) blocked$/\1 \2/p')
	set -- $m "$2"
	if [ $# = 3 ] && [ "$1" = "$2" ] && [ "$1" -gt 0 ]; then
		pass "$3: $1/$2 blocked"
	else
		fail "$3: '$m' blocked"
		pass "$3"
	fi
}
matrix 1 "attack matrix"
check_vm 1 "42/42 shared or own accesses allowed" "attack matrix: shared and own accesses"
check_vm 2 "something jumped into the middle of a gate" "forged gate entry stopped"
check_vm 3 "something jumped into the middle of a gate" "forged gate exit stopped"
check_vm 4 "nested: 27 (expected 27): ok" "nested gates and callbacks"
check_vm 5 "printf: ok" "stdio from every compartment"
check_vm 6 "threads: ok" "4 threads x 101000 gates"
check_vm 7 "so 44 besides the WRPKRUs" "gate path length"
check_vm 8 "something jumped into the middle of a gate" "newlib gate: forged entry stopped"
check_vm 9 "something jumped into the middle of a gate" "newlib gate: forged exit stopped"
check_vm 10 "(4 of them WRPKRU)" "newlib gate: path length"
check_vm 12 "compartment 'comp2' tried to read" "hello --attack: the report names the library's compartment"
check_vm 12 "belongs to compartment 'comp1': .data" "hello --attack: and the application's"
check_vm 13 "sched-image: ok" "scheduler threads switching while in different compartments"

# Shared stacks (attack-shared, every compartment 'stack: shared').
check_vm 14 "stackptr: 42 (expected 42): ok" "shared stacks: a library writes into its caller's stack variable"
check_vm 15 "compartment 'lib1' tried to write " "private stacks: the same write is a fault"
check_vm 15 "belongs to compartment 'app': stack" "private stacks: the report names app's stack"
matrix 16 "shared stacks: data, bss and heap attack matrix"
check_vm 16 "42/42 shared or own accesses allowed" "shared stacks: shared and own accesses"
check_vm 16 "12/12 accesses to another compartment's stack succeeded" \
	"shared stacks: stacks are reachable from every compartment (expected, not isolated)"
check_vm 17 "nested: 27 (expected 27): ok" "shared stacks: nested gates and callbacks"
check_vm 18 "threads: ok" "shared stacks: 4 threads x 101000 gates"
check_vm 19 "something jumped into the middle of a gate" "shared stacks: forged gate entry stopped"
check_vm 20 "something jumped into the middle of a gate" "shared stacks: forged gate exit stopped"
check_vm 21 "so 39 besides the WRPKRUs" "shared stacks: gate path length"

# The isolated hello prints what the unisolated one prints, backend aside.
norm() { sed 's/backend [a-z-]*,/backend X,/'; }
if [ -x "$b/examples/hello/hello-two" ]; then
	"$b/examples/hello/hello-two" | norm >"$WORK/none"
	vm_output 11 | norm >"$WORK/mpk"
	if ! [ -s "$WORK/none" ] || ! cmp -s "$WORK/none" "$WORK/mpk"; then
		diff "$WORK/none" "$WORK/mpk"
		fail "hello under intel-mpk differs from none"
	fi
	pass "hello under intel-mpk prints what it prints under none"
fi
