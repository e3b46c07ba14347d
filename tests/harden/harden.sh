#!/bin/sh
# The hardening runtimes (libflexos-harden.a, src/harden/). The planted
# bugs of tests/harden/buggy.c, compiled with each option's flags into
# compartment 'lib' beside an unhardened 'app', are each reported with
# their kind, the compartment and the source line, and end the image with
# status 123, under none and process; the library's correct code runs
# clean when hardened; the library unhardened carries no instrumentation
# and its bugs go unnoticed; an asan compartment allocates from its own
# heap, the unhardened one from its own (process) or glibc's (none).
. "${0%/*}/../lib/testlib.sh"
set -eu
. "$top_srcdir/tests/harden/images.sh"
build_images none process
pass "buggy.c compiles with each option's flags and links under none and process"

# Unhardened: no call into a runtime in the object or in the compartment's code.
undef=$(nm -u "$WORK/plain/buggy.o" | grep -E '__(asan|ubsan)_|__stack_chk_fail|_chk$' || true)
[ -z "$undef" ] || fail "the unhardened object refers to instrumentation: $undef"
for opt in asan ubsan stack_protector fortify; do
	nm -u "$WORK/$opt/buggy.o" | grep -Eq '__(asan|ubsan)_|__stack_chk_fail|_chk$' ||
		fail "the $opt object shows no instrumentation: the check above proves nothing"
done
for mech in none process; do
	calls=$(objdump -d -j .flexos.lib.text "$WORK/plain/app-$mech" |
		grep -Ec 'call.*<(__asan_|__ubsan_|__stack_chk_fail|__[a-z]*_chk)' || true)
	[ "$calls" -eq 0 ] || fail "the unhardened compartment's code calls a runtime $calls times ($mech)"
	calls=$(objdump -d -j .flexos.lib.text "$WORK/asan/app-$mech" | grep -c 'call.*<__asan_' || true)
	[ "$calls" -gt 0 ] || fail "the asan compartment's code calls no check ($mech)"
done
pass "unhardened, the library has no instrumentation (nm, objdump of its compartment's code)"

for mech in none process; do
	# run OPT BUG KIND LINE: the image reports BUG with KIND at buggy.c:LINE
	# (an extended regex), in 'lib', and exits 123.
	run() {
		st=0
		"$WORK/$1/app-$mech" "$2" >"$WORK/$1/$2-$mech.out" 2>"$WORK/$1/$2-$mech.err" || st=$?
		if [ "$st" -ne 123 ]; then
			cat "$WORK/$1/$2-$mech.out" "$WORK/$1/$2-$mech.err" >&2
			fail "$1, $2 under $mech: exit status $st, expected 123"
		fi
		expect_output "$WORK/$1/$2-$mech.err" "^flexos: compartment 'lib': $3: .*, at .*buggy\.c:$4([^0-9]|$)"
	}
	run asan heap-overflow heap-buffer-overflow "$(line_of heap-overflow)"
	expect_output "$WORK/asan/heap-overflow-$mech.err" "write of size 1 at 0x[0-9a-f]+ .*in the heap of compartment 'lib'"
	run asan use-after-free heap-use-after-free "$(line_of use-after-free)"
	run asan double-free double-free "$(line_of double-free)"
	run asan stack-overflow stack-buffer-overflow "$(line_of stack-overflow)"
	run asan global-overflow global-buffer-overflow "$(line_of global-overflow)"
	pass "asan: heap overflow, use after free, double free, stack and global overflows reported at their line, in 'lib' ($mech)"
	run ubsan signed-overflow signed-integer-overflow "$(line_of signed-overflow)"
	expect_output "$WORK/ubsan/signed-overflow-$mech.err" "2147483647 \+ 1 cannot be represented in type 'int'"
	run ubsan oob-index index-out-of-bounds "$(line_of oob-index)"
	expect_output "$WORK/ubsan/oob-index-$mech.err" "index 8 out of bounds for type 'int \[8\]'"
	pass "ubsan: signed overflow and out-of-bounds index reported at their line, in 'lib' ($mech)"
	# The canary is checked when the function returns: the line is the function's end.
	run stack_protector stack-overflow stack-protector "[0-9]+"
	expect_output "$WORK/stack_protector/stack-overflow-$mech.err" "at buggy_stack_overflow\+0x[0-9a-f]+ \(.*buggy\.c:[0-9]+\)"
	pass "stack-protector: the smashed stack reported in buggy_stack_overflow, in 'lib' ($mech)"
	# The check is inlined from glibc's header: flexos-link's symbol table
	# gives such code the line of its call (a header's line before).
	st=0
	"$WORK/fortify/app-$mech" memcpy-overflow >/dev/null 2>"$WORK/fortify/memcpy-$mech.err" || st=$?
	[ "$st" -eq 123 ] || { cat "$WORK/fortify/memcpy-$mech.err" >&2; fail "fortify under $mech: exit status $st, expected 123"; }
	expect_output "$WORK/fortify/memcpy-$mech.err" "^flexos: compartment 'lib': fortify: memcpy of 40 bytes into a buffer of 8 bytes .*, at buggy_memcpy_overflow\+0x[0-9a-f]+ \(buggy\.c:$(line_of memcpy-overflow)\)"
	pass "fortify: the memcpy overflow reported in buggy_memcpy_overflow at its line, in 'lib' ($mech)"

	for opt in asan ubsan stack_protector fortify; do
		"$WORK/$opt/app-$mech" ok >"$WORK/$opt/ok-$mech.out" 2>&1 ||
			{ cat "$WORK/$opt/ok-$mech.out" >&2; fail "$opt: the correct code failed under $mech"; }
		expect_output "$WORK/$opt/ok-$mech.out" "^ok 300$"
	done
	pass "the library's correct code runs clean with each option ($mech)"

	st=0
	"$WORK/plain/app-$mech" heap-overflow >"$WORK/plain/heap-$mech.out" 2>&1 || st=$?
	[ "$st" -eq 0 ] || { cat "$WORK/plain/heap-$mech.out" >&2; fail "plain heap-overflow exited $st"; }
	expect_output "$WORK/plain/heap-$mech.out" "^survived heap-overflow"
	pass "unhardened, the same bug goes unnoticed ($mech)"

	own=app
	[ "$mech" != none ] || own="no compartment"
	"$WORK/asan/app-$mech" heaps >"$WORK/asan/heaps-$mech.out" 2>&1 ||
		{ cat "$WORK/asan/heaps-$mech.out" >&2; fail "asan heaps exited $?"; }
	expect_output "$WORK/asan/heaps-$mech.out" "^heaps: the library allocates from lib, the application from $own$"
	pass "the asan compartment allocates from its own heap, the unhardened one from $own's ($mech)"
done
[ "$(grep -c "^flexos: compartment 'lib' (pid [0-9]*) crashed: signal 4" "$WORK/asan/heap-overflow-process.err")" -eq 1 ] ||
	fail "under process the report did not end as a crash of lib's process"
pass "under process a report ends as a crash of the compartment's process"
cat >"$WORK/asan/restart.yaml" <<EOC
compartments:
- app:
  mechanism: process
  default: True
- lib:
  mechanism: process
  on_crash: restart
  hardening: [asan]
libraries:
- buggy: lib
  inputs: [libbuggy.a]
EOC
"$FLEXOS_LINK" -c "$WORK/asan/restart.yaml" -o "$WORK/asan/app-restart" "$WORK/app.o" \
	"$WORK/asan/libbuggy.a" >/dev/null 2>&1 ||
	fail "cannot link the asan image with on_crash: restart"
"$WORK/asan/app-restart" use-after-free >"$WORK/asan/restart.out" 2>"$WORK/asan/restart.err" ||
	{ cat "$WORK/asan/restart.err" >&2; fail "with on_crash: restart the image exited $?"; }
expect_output "$WORK/asan/restart.err" "^flexos: compartment 'lib': heap-use-after-free: "
expect_output "$WORK/asan/restart.err" "compartment 'lib' \(pid [0-9]+\) crashed: signal 4 .*restarting it \(on_crash: restart\)"
expect_output "$WORK/asan/restart.out" "^survived use-after-free \(-1\)$"
pass "under process with on_crash: restart, a report restarts the compartment and the gate fails"
no_orphans "the reports"
