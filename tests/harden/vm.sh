#!/bin/sh
# The hardening runtimes under intel-mpk, in one boot of the emulated-PKU
# VM (tests/vm/run; natively where the host has PKU): the planted bugs of
# tests/harden/buggy.c in compartment 'lib' (its own key) are reported
# with their kind, the compartment and the source line, and end the image
# with status 123; the correct code runs clean with each option; the asan
# compartment allocates from its own heap (its key), the unhardened 'app'
# from its own; the shadow of the asan heap (from its first to its last
# byte), sections and stacks has the compartment's key, and the shadow of
# a thread's stack (from the pool reserved at start-up) is inside the
# filter's range rules. If the VM cannot run, this fails, unless
# FLEXOS_VM_OPTIONAL=1 (then: skip).
. "${0%/*}/../lib/testlib.sh"
set -eu
. "$top_srcdir/tests/harden/images.sh"
build_images intel-mpk
pass "buggy.c compiles with each option's flags and links under intel-mpk"

w=$WORK
vm_script 600 --file "$WORK" <<EOS
--expect-status=123 $w/asan/app-intel-mpk heap-overflow
--expect-status=123 $w/asan/app-intel-mpk use-after-free
--expect-status=123 $w/asan/app-intel-mpk stack-overflow
--expect-status=123 $w/asan/app-intel-mpk global-overflow
--expect-status=123 $w/ubsan/app-intel-mpk signed-overflow
--expect-status=123 $w/ubsan/app-intel-mpk oob-index
--expect-status=123 $w/stack_protector/app-intel-mpk stack-overflow
--expect-status=123 $w/fortify/app-intel-mpk memcpy-overflow
$w/asan/app-intel-mpk ok
$w/ubsan/app-intel-mpk ok
$w/stack_protector/app-intel-mpk ok
$w/fortify/app-intel-mpk ok
$w/asan/app-intel-mpk heaps
$w/plain/app-intel-mpk heap-overflow
--expect-status=123 $w/asan/app-intel-mpk poke-shadow-lib
$w/asan/app-intel-mpk poke-shadow-app
--expect-status=123 $w/asan/app-intel-mpk double-free
--expect-status=123 $w/asan/app-intel-mpk poke-bss-shadow-lib
$w/asan/app-intel-mpk poke-bss-shadow-app
--expect-status=123 $w/asan/app-intel-mpk poke-stack-shadow-lib
$w/asan/app-intel-mpk poke-stack-shadow-app
--expect-status=123 $w/asan/app-intel-mpk poke-first-shadow-lib
--expect-status=123 $w/asan/app-intel-mpk poke-last-shadow-lib
$w/asan/app-intel-mpk poke-first-shadow-app
$w/asan/app-intel-mpk poke-last-shadow-app
--expect-status=123 $w/asan/app-intel-mpk rekey-stack-shadow-lib
EOS

# report N KIND WHERE: command N's output has the report of KIND at WHERE, in 'lib'.
report() {
	vm_output "$1" >"$WORK/out.$1"
	expect_output "$WORK/out.$1" "^flexos: compartment 'lib': $2: .*, at $3"
}
report 1 heap-buffer-overflow ".*buggy\.c:$(line_of heap-overflow)\)"
report 2 heap-use-after-free ".*buggy\.c:$(line_of use-after-free)\)"
report 3 stack-buffer-overflow ".*buggy\.c:$(line_of stack-overflow)\)"
report 4 global-buffer-overflow ".*buggy\.c:$(line_of global-overflow)\)"
pass "intel-mpk, asan: heap overflow, use after free, stack and global overflows at their line, in 'lib'"
report 5 signed-integer-overflow ".*buggy\.c:$(line_of signed-overflow):"
report 6 index-out-of-bounds ".*buggy\.c:$(line_of oob-index):"
pass "intel-mpk, ubsan: signed overflow and out-of-bounds index at their line, in 'lib'"
report 7 stack-protector "buggy_stack_overflow\+0x[0-9a-f]+ \(.*buggy\.c:[0-9]+\)"
pass "intel-mpk, stack-protector: the smashed stack in buggy_stack_overflow, in 'lib'"
report 8 fortify "buggy_memcpy_overflow\+0x[0-9a-f]+ \(buggy\.c:$(line_of memcpy-overflow)\)"
pass "intel-mpk, fortify: the memcpy overflow in buggy_memcpy_overflow at its line, in 'lib'"
for n in 9 10 11 12; do
	vm_output $n >"$WORK/out.$n"
	expect_output "$WORK/out.$n" "^ok 300$"
done
pass "intel-mpk: the library's correct code runs clean with each option"
vm_output 13 >"$WORK/out.13"
expect_output "$WORK/out.13" "^heaps: the library allocates from lib, the application from app$"
pass "intel-mpk: the asan compartment allocates from its own heap, the unhardened one from its own"
vm_output 14 >"$WORK/out.14"
expect_output "$WORK/out.14" "^survived heap-overflow"
pass "intel-mpk: unhardened, the same bug goes unnoticed"
vm_output 15 >"$WORK/out.15"
expect_output "$WORK/out.15" "compartment 'app' tried to write 0x[0-9a-f]+"
vm_output 16 >"$WORK/out.16"
expect_output "$WORK/out.16" "^poked the shadow of 0x[0-9a-f]+, in the heap of app$"
pass "intel-mpk: the shadow of the asan compartment's heap has its key ('app' cannot write it; its own, unkeyed, it can)"
report 17 double-free ".*buggy\.c:$(line_of double-free)\)"
pass "intel-mpk, asan: a double free reported at its line, in 'lib'"
vm_output 18 >"$WORK/out.18"
expect_output "$WORK/out.18" "compartment 'app' tried to write 0x[0-9a-f]+"
vm_output 19 >"$WORK/out.19"
expect_output "$WORK/out.19" "^poked the shadow of 0x[0-9a-f]+, in the .bss of app$"
pass "intel-mpk: the shadow of the asan compartment's .bss has its key ('app' cannot write it; its own, unkeyed, it can)"
vm_output 20 >"$WORK/out.20"
expect_output "$WORK/out.20" "compartment 'app' tried to write 0x[0-9a-f]+"
vm_output 21 >"$WORK/out.21"
expect_output "$WORK/out.21" "^poked the shadow of 0x[0-9a-f]+, on the stack of app$"
pass "intel-mpk: the shadow of the asan compartment's stack has its key ('app' cannot write it; its own, unkeyed, it can)"
for n in 22 23; do
	vm_output $n >"$WORK/out.$n"
	expect_output "$WORK/out.$n" "compartment 'app' tried to write 0x[0-9a-f]+"
done
for n in 24 25; do
	vm_output $n >"$WORK/out.$n"
	expect_output "$WORK/out.$n" "^poked the shadow of 0x[0-9a-f]+, in the heap of app$"
done
pass "intel-mpk: the shadow of the asan heap's first and last byte has its key too (the heap starts and ends on 32 KiB)"
vm_output 26 >"$WORK/out.26"
expect_output "$WORK/out.26" "compartment 'app' made a system call the intel-mpk filter denies: pkey_mprotect\\("
pass "intel-mpk: the shadow of the asan compartment's stack of a thread made after start-up is in the filter's range rules (app cannot re-key it)"
