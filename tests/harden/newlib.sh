#!/bin/sh
# Hardened `libc: newlib` compartments (docs/hardening.md, "newlib
# compartments"). The planted bugs of tests/harden/buggy.c, compiled by
# flexos-cc against newlib with each option's flags into compartment
# 'lib' (libc: newlib) beside an unhardened 'app', are each reported with
# their kind, the compartment and the source line, and end the image with
# status 123, under none and process natively and under intel-mpk in one
# boot of the emulated-PKU VM, where the compartment runs with key 0
# denied: the report must not fault on its way, nor read another
# compartment's memory for a forged trap. The stack protector's
# canary is the compartment's, and random per process start; the
# library's correct code runs clean; unhardened, its bugs go unnoticed.
# asan works in such a compartment under every backend (its own runtime,
# red zones around newlib's malloc): under intel-mpk its shadow has its
# key, that of the shared memory the shared key, so that the compartment
# reads both with key 0 denied and another compartment cannot write its
# own.
. "${0%/*}/../lib/testlib.sh"
set -eu
# The planted memory bugs asan reports: BUG:KIND:FUNCTION.
ASAN_BUGS="heap-overflow:heap-buffer-overflow:buggy_heap_overflow
use-after-free:heap-use-after-free:buggy_use_after_free
double-free:double-free:buggy_double_free
stack-overflow:stack-buffer-overflow:buggy_stack_overflow
global-overflow:global-buffer-overflow:buggy_global_overflow"
need_newlib
H="$top_srcdir/tests/harden"
FLEXOS_CC="$top_builddir/flexos-cc"
OPTS="plain ubsan stack_protector fortify asan"
name_plain=""
name_asan=asan
name_ubsan=ubsan
name_stack_protector=stack-protector
name_fortify=fortify

line_of() {
	grep -n "BUG: $1 \*/" "$H/buggy.c" | cut -d: -f1
}

# config OPTION-NAME MECH
config() {
	cat <<EOC
compartments:
- app:
  mechanism: $2
  default: True
- lib:
  mechanism: $2
  libc: newlib
  hardening: [$1]
libraries:
- buggy: lib
  inputs: [libbuggy.a]
EOC
}

cd "$WORK"
compile app.o "$H/app.c" -I"$H"
for opt in $OPTS; do
	eval "name=\$name_$opt"
	mkdir -p "$opt"
	config "$name" none >"$opt/flexos.yaml"
	# Planted bugs: the warnings that see some of them are not errors here.
	# shellcheck disable=SC2086  # NEWLIB_CFLAGS is a word list
	"$FLEXOS_CC" -c "$opt/flexos.yaml" -l buggy -- $CC $NEWLIB_CFLAGS -g -O1 -fPIE \
		-Wall -Wextra -Werror -Wno-use-after-free -Wno-array-bounds -Wno-stringop-overflow \
		-c -o "$opt/buggy.o" "$H/buggy.c" ||
		fail "flexos-cc cannot compile buggy.c against newlib for $opt"
	ar rcs "$opt/libbuggy.a" "$opt/buggy.o"
	for mech in none process intel-mpk; do
		config "$name" "$mech" >"$opt/$mech.yaml"
		"$FLEXOS_LINK" -c "$opt/$mech.yaml" -o "$opt/app-$mech" app.o "$opt/libbuggy.a" \
			>"$opt/link-$mech.out" 2>&1 || {
			cat "$opt/link-$mech.out" >&2
			fail "cannot link the newlib $opt image under $mech"
		}
	done
done
pass "buggy.c compiles against newlib with each option's flags and links under none, process and intel-mpk"

# The canary, read by the compartment itself (canary.c) beside the planted bugs.
# shellcheck disable=SC2086  # NEWLIB_CFLAGS is a word list
"$FLEXOS_CC" -c stack_protector/flexos.yaml -l buggy -- $CC $NEWLIB_CFLAGS -g -O1 -fPIE \
	-Wall -Wextra -Werror -I"$H" -c -o stack_protector/canary.o "$H/canary.c" ||
	fail "flexos-cc cannot compile canary.c against newlib"
ar rcs stack_protector/libbuggy.a stack_protector/canary.o
compile canary-app.o "$H/canary-app.c" -I"$H"
for mech in none process intel-mpk; do
	"$FLEXOS_LINK" -c "stack_protector/$mech.yaml" -o "stack_protector/canary-$mech" canary-app.o \
		stack_protector/libbuggy.a || fail "cannot link the canary image under $mech"
done

# A compromised newlib compartment forging the trap with the application's data.
mkdir -p forge
cat >forge/flexos.yaml <<EOC
compartments:
- app:
  mechanism: none
  default: True
- lib:
  mechanism: none
  libc: newlib
  hardening: [ubsan]
libraries:
- forge: lib
  inputs: [libforge.a]
EOC
# shellcheck disable=SC2086  # NEWLIB_CFLAGS is a word list
"$FLEXOS_CC" -c forge/flexos.yaml -l forge -- $CC $NEWLIB_CFLAGS -I"$top_srcdir/src/harden" -O2 \
	-fPIE -Wall -Wextra -Werror -c -o forge/forge.o "$H/forge.c" || fail "cannot compile forge.c"
ar rcs forge/libforge.a forge/forge.o
compile forge/app.o "$H/forge-app.c"
for mech in none process intel-mpk; do
	with_mechanism forge/flexos.yaml "$mech" >"forge/$mech.yaml"
	"$FLEXOS_LINK" -c "forge/$mech.yaml" -o "forge/app-$mech" forge/app.o forge/libforge.a ||
		fail "cannot link the forged-trap image under $mech"
done

# The canary is the compartment's: in its data, and no read of glibc's (%fs:0x28).
sect=$(objdump -t stack_protector/app-intel-mpk | awk '$NF == "__stack_chk_guard" {print $4}')
[ "$sect" = .flexos.lib.data ] ||
	fail "__stack_chk_guard of the newlib compartment is in '$sect', not in its data (.flexos.lib.data)"
objdump -d -j .flexos.lib.text stack_protector/app-intel-mpk >sp.dis
grep -q '__stack_chk_guard' sp.dis || fail "the compartment's code does not read __stack_chk_guard"
! grep -q '%fs:0x28' sp.dis || fail "the compartment's code reads glibc's canary (%fs:0x28)"
pass "stack-protector: the canary is the compartment's __stack_chk_guard, in its data"
undef=$(nm plain/buggy.o | grep -E '__ubsan_|__stack_chk|_chk$' || true)
[ -z "$undef" ] || fail "the unhardened object refers to instrumentation: $undef"
calls=$(objdump -d -j .flexos.lib.text plain/app-none | grep -c 'call.*<__ubsan_' || true)
[ "$calls" -eq 0 ] || fail "the unhardened newlib compartment calls UBSan handlers"
calls=$(objdump -d -j .flexos.lib.text ubsan/app-none | grep -c 'call.*<__ubsan_' || true)
[ "$calls" -gt 0 ] || fail "the ubsan newlib compartment calls no UBSan handler: the check above proves nothing"
pass "unhardened, the newlib library has no instrumentation"

sl=$(line_of signed-overflow)
ol=$(line_of oob-index)
ml=$(line_of memcpy-overflow)
for mech in none process; do
	# run OPT BUG KIND WHERE: the image reports BUG with KIND at WHERE (an
	# extended regex), in 'lib', and exits 123.
	run() {
		st=0
		timeout 30 "./$1/app-$mech" "$2" >"$1/$2-$mech.out" 2>"$1/$2-$mech.err" || st=$?
		if [ "$st" -ne 123 ]; then
			cat "$1/$2-$mech.out" "$1/$2-$mech.err" >&2
			fail "newlib $1, $2 under $mech: exit status $st, expected 123"
		fi
		expect_output "$1/$2-$mech.err" "^flexos: compartment 'lib': $3: .*, at $4"
	}
	run ubsan signed-overflow signed-integer-overflow ".*buggy\.c:$sl:"
	expect_output "ubsan/signed-overflow-$mech.err" "2147483647 \+ 1 cannot be represented in type 'int'"
	run ubsan oob-index index-out-of-bounds ".*buggy\.c:$ol:"
	expect_output "ubsan/oob-index-$mech.err" "index 8 out of bounds for type 'int \[8\]'"
	pass "newlib, ubsan: signed overflow and out-of-bounds index reported at their line, in 'lib' ($mech)"
	run stack_protector stack-overflow stack-protector "buggy_stack_overflow\+0x[0-9a-f]+ \(.*buggy\.c:[0-9]+\)"
	pass "newlib, stack-protector: the smashed stack reported in buggy_stack_overflow, in 'lib' ($mech)"
	run fortify memcpy-overflow fortify "buggy_memcpy_overflow\+0x[0-9a-f]+ \(.*buggy\.c:$ml\)"
	expect_output "fortify/memcpy-overflow-$mech.err" "memcpy of 40 bytes into a buffer of 8 bytes"
	pass "newlib, fortify: the memcpy overflow reported at its line, in 'lib' ($mech)"
	for opt in ubsan stack_protector fortify; do
		timeout 30 "./$opt/app-$mech" ok >"$opt/ok-$mech.out" 2>&1 ||
			{ cat "$opt/ok-$mech.out" >&2; fail "newlib $opt: the correct code failed under $mech"; }
		expect_output "$opt/ok-$mech.out" "^ok 300$"
	done
	pass "newlib: the library's correct code runs clean with each option ($mech)"
	timeout 30 "./plain/app-$mech" signed-overflow >"plain/so-$mech.out" 2>&1 ||
		{ cat "plain/so-$mech.out" >&2; fail "newlib plain signed-overflow failed under $mech"; }
	expect_output "plain/so-$mech.out" "^survived signed-overflow"
	pass "newlib: unhardened, the same bug goes unnoticed ($mech)"

	# canary: two starts of the same image, two canaries, low byte zero.
	for k in 1 2; do
		timeout 30 "./stack_protector/canary-$mech" >"canary-$mech.$k" 2>&1 ||
			{ cat "canary-$mech.$k" >&2; fail "the canary image failed under $mech"; }
		expect_output "canary-$mech.$k" "^canary 0x[0-9a-f]{14}00$"
	done
	c1=$(cat "canary-$mech.1") c2=$(cat "canary-$mech.2")
	[ "$c1" != "$c2" ] || fail "two starts under $mech had the same canary ($c1)"
	[ "$c1" != "canary 0x00000000ff0a0000" ] || fail "the canary is newlib's constant under $mech"
	pass "newlib, stack-protector: the canary is random per start, its low byte zero ($c1, $c2; $mech)"

	# asan: each planted memory bug at its line, in 'lib'.
	for bug in $ASAN_BUGS; do
		b=${bug%%:*} k=${bug#*:}
		f=${k#*:} k=${k%%:*}
		run asan "$b" "$k" "$f\+0x[0-9a-f]+ \(.*buggy\.c:$(line_of "$b")\)"
	done
	expect_output "asan/heap-overflow-$mech.err" "write of size 1 at 0x[0-9a-f]+ .*in the heap of compartment 'lib'"
	expect_output "asan/global-overflow-$mech.err" "read of size 4 at 0x[0-9a-f]+ .*in the \.bss of compartment 'lib'"
	pass "newlib, asan: heap overflow, use after free, double free, stack and global overflows at their line, in 'lib' ($mech)"
	timeout 30 "./asan/app-$mech" ok >"asan/ok-$mech.out" 2>&1 ||
		{ cat "asan/ok-$mech.out" >&2; fail "newlib asan: the correct code failed under $mech"; }
	expect_output "asan/ok-$mech.out" "^ok 300$"
	timeout 30 "./asan/app-$mech" heaps >"asan/heaps-$mech.out" 2>&1 ||
		{ cat "asan/heaps-$mech.out" >&2; fail "newlib asan: heaps failed under $mech"; }
	expect_output "asan/heaps-$mech.out" "^heaps: the library allocates from lib,"
	timeout 30 "./asan/app-$mech" shared-sum >"asan/shared-sum-$mech.out" 2>&1 ||
		{ cat "asan/shared-sum-$mech.out" >&2; fail "newlib asan: shared-sum failed under $mech"; }
	expect_output "asan/shared-sum-$mech.out" "^shared-sum 459$"
	timeout 30 "./asan/app-$mech" longjmp >"asan/longjmp-$mech.out" 2>&1 ||
		{ cat "asan/longjmp-$mech.out" >&2; fail "newlib asan: longjmp failed under $mech"; }
	expect_output "asan/longjmp-$mech.out" "^longjmp 7$"
	pass "newlib, asan: the correct code runs clean, allocating from the compartment's heap ($mech)"
done
# Its allocations go through the runtime's wrappers, its accesses through the checks.
objdump -d -j .flexos.lib.text asan/app-none >asan.dis
grep -q 'call.*<__wrap_malloc>' asan.dis || fail "the asan newlib compartment's malloc is not the runtime's"
grep -q 'call.*<__asan_store1_noabort>' asan.dis || fail "the asan newlib compartment calls no check"
grep -q 'call.*<__asan_handle_no_return>' asan.dis ||
	fail "the asan newlib compartment calls no __asan_handle_no_return (before longjmp): 'longjmp' proves nothing"
pass "newlib, asan: malloc is the runtime's (red zones), accesses are checked, in the compartment's own code"
for mech in none process; do
	st=0
	timeout 30 "./forge/app-$mech" >"forge/$mech.out" 2>&1 || st=$?
	[ "$st" -eq 123 ] || { cat "forge/$mech.out" >&2; fail "the forged trap under $mech exited $st, expected 123"; }
	expect_output "forge/$mech.out" "^flexos: compartment 'lib': ubsan: a UBSan check trapped with data outside its compartment"
	! grep -q SECRET "forge/$mech.out" || { cat "forge/$mech.out" >&2; fail "the forged trap printed the application's data ($mech)"; }
done
pass "a forged trap with another compartment's data is reported, and the data not read (none, process)"
# The ASan traps forged (asan: none and process only), naming the
# application's secret, no memory at all with a length of 1 TiB, and a
# free with a reason and a function out of range; main as the culprit.
sed 's/hardening: \[ubsan\]/hardening: [asan]/' forge/flexos.yaml >forge/asan.yaml
# shellcheck disable=SC2086  # NEWLIB_CFLAGS is a word list
"$FLEXOS_CC" -c forge/asan.yaml -l forge -- $CC $NEWLIB_CFLAGS -I"$top_srcdir/src/harden" -O2 \
	-fPIE -Wall -Wextra -Werror -c -o forge/forge-asan.o "$H/forge.c" || fail "cannot compile forge.c with asan"
ar rcs forge/libforge-asan.a forge/forge-asan.o
for mech in none process; do
	with_mechanism forge/asan.yaml "$mech" | sed 's/libforge\.a/libforge-asan.a/' >"forge/asan-$mech.yaml"
	"$FLEXOS_LINK" -c "forge/asan-$mech.yaml" -o "forge/asan-app-$mech" forge/app.o \
		forge/libforge-asan.a || fail "cannot link the forged asan trap image under $mech"
	for m in asan-app asan-noshadow asan-free; do
		st=0
		timeout 30 "./forge/asan-app-$mech" $m >"forge/$m-$mech.out" 2>&1 || st=$?
		head -n 1 "forge/$m-$mech.out" >&2
		[ "$st" -eq 123 ] || { cat "forge/$m-$mech.out" >&2; fail "the forged $m trap under $mech exited $st, expected 123"; }
		! grep -q SECRET "forge/$m-$mech.out" || { cat "forge/$m-$mech.out" >&2; fail "the forged $m trap printed the application's data ($mech)"; }
		! grep -q "at main+" "forge/$m-$mech.out" || { cat "forge/$m-$mech.out" >&2; fail "the forged $m trap blamed the application's main ($mech)"; }
	done
	expect_output "forge/asan-app-$mech.out" "^flexos: compartment 'lib': [a-z-]+: read of size 26 at 0x[0-9a-f]+ \(byte 0x[0-9a-f]+ is poisoned; it is in "
	expect_output "forge/asan-noshadow-$mech.out" "^flexos: compartment 'lib': unknown-crash: an ASan check trapped for 0xffff800000001000, which has no shadow"
	expect_output "forge/asan-free-$mech.out" "^flexos: compartment 'lib': bad-free: free\(0x[0-9a-f]+\): not an allocation of this heap"
done
pass "forged ASan traps (another compartment's address, no shadow and 1 TiB, a free out of range) are reported in 'lib', main not blamed, no data read (none, process)"
[ "$(grep -c "^flexos: compartment 'lib' (pid [0-9]*) crashed: signal 4" ubsan/signed-overflow-process.err)" -eq 1 ] ||
	fail "under process the report did not end as a crash of lib's process"
pass "newlib, process: a report ends as a crash of the compartment's process"

# intel-mpk: the shared sections, whose shadow takes the shared key, start
# and end on 32 KiB (one shadow page), as the asan compartment's own.
for sym in $(nm asan/app-intel-mpk | awk '$3 ~ /^__flexos_(shared|constants)_(start|end)$|^__flexos_lib_(rodata|data|bss)_(start|end)$/ {print $1 ":" $3}'); do
	[ $((0x${sym%%:*} % 32768)) -eq 0 ] || fail "${sym#*:} is at 0x${sym%%:*}, not on a 32 KiB boundary"
	n=$((${n:-0} + 1))
done
[ "${n:-0}" -eq 10 ] || fail "found $n of the 10 section bounds in the asan image"
pass "intel-mpk, asan: the shared data and constants start and end on 32 KiB, as the compartment's sections"

w=$WORK
vm_script 600 --file "$WORK" <<EOS
--expect-status=123 $w/ubsan/app-intel-mpk signed-overflow
--expect-status=123 $w/ubsan/app-intel-mpk oob-index
--expect-status=123 $w/stack_protector/app-intel-mpk stack-overflow
--expect-status=123 $w/fortify/app-intel-mpk memcpy-overflow
$w/ubsan/app-intel-mpk ok
$w/stack_protector/app-intel-mpk ok
$w/fortify/app-intel-mpk ok
$w/plain/app-intel-mpk signed-overflow
--expect-status=123 $w/forge/app-intel-mpk
$w/stack_protector/canary-intel-mpk
$w/stack_protector/canary-intel-mpk
--expect-status=123 $w/asan/app-intel-mpk heap-overflow
--expect-status=123 $w/asan/app-intel-mpk use-after-free
--expect-status=123 $w/asan/app-intel-mpk double-free
--expect-status=123 $w/asan/app-intel-mpk stack-overflow
--expect-status=123 $w/asan/app-intel-mpk global-overflow
$w/asan/app-intel-mpk ok
$w/asan/app-intel-mpk heaps
$w/asan/app-intel-mpk shared-sum
--expect-status=123 $w/asan/app-intel-mpk poke-shadow-lib
--expect-status=123 $w/asan/app-intel-mpk poke-first-shadow-lib
--expect-status=123 $w/asan/app-intel-mpk poke-last-shadow-lib
--expect-status=123 $w/asan/app-intel-mpk poke-bss-shadow-lib
--expect-status=123 $w/asan/app-intel-mpk poke-stack-shadow-lib
$w/asan/app-intel-mpk poke-shadow-app
--expect-status=123 $w/asan/app-intel-mpk lib-pokes-shadow-app
$w/asan/app-intel-mpk lib-pokes-shadow-lib
$w/asan/app-intel-mpk longjmp
--expect-status=123 $w/asan/app-intel-mpk rekey-shadow-shared
--expect-status=123 $w/asan/app-intel-mpk rekey-shadow-lib
env FLEXOS_MPK_SYSCALL_FILTER=off $w/asan/app-intel-mpk rekey-shadow-shared
EOS
# report N KIND WHERE: command N's output has the report of KIND at WHERE,
# in 'lib', and no fault of the report path itself.
report() {
	vm_output "$1" >"out.$1"
	expect_output "out.$1" "^flexos: compartment 'lib': $2: .*, at $3"
	! grep -q "protection-key fault" "out.$1" || { cat "out.$1" >&2; fail "command $1: the report faulted"; }
}
report 1 signed-integer-overflow ".*buggy\.c:$sl:"
report 2 index-out-of-bounds ".*buggy\.c:$ol:"
pass "intel-mpk, newlib, ubsan: signed overflow and out-of-bounds index at their line, in 'lib'"
report 3 stack-protector "buggy_stack_overflow\+0x[0-9a-f]+ \(.*buggy\.c:[0-9]+\)"
pass "intel-mpk, newlib, stack-protector: the smashed stack in buggy_stack_overflow, in 'lib'"
report 4 fortify "buggy_memcpy_overflow\+0x[0-9a-f]+ \(.*buggy\.c:$ml\)"
pass "intel-mpk, newlib, fortify: the memcpy overflow at its line, in 'lib'"
for n in 5 6 7; do
	vm_output $n >"out.$n"
	expect_output "out.$n" "^ok 300$"
done
pass "intel-mpk, newlib: the library's correct code runs clean with each option"
vm_output 8 >out.8
expect_output out.8 "^survived signed-overflow"
pass "intel-mpk, newlib: unhardened, the same bug goes unnoticed"
vm_output 9 >out.9
expect_output out.9 "^flexos: compartment 'lib': ubsan: a UBSan check trapped with data outside its compartment"
! grep -q SECRET out.9 || { cat out.9 >&2; fail "intel-mpk: the forged trap printed the application's data"; }
pass "intel-mpk: a forged trap with the application's data is reported, and the data not read"
vm_output 10 >out.10
vm_output 11 >out.11
expect_output out.10 "^canary 0x[0-9a-f]{14}00$"
expect_output out.11 "^canary 0x[0-9a-f]{14}00$"
[ "$(cat out.10)" != "$(cat out.11)" ] || fail "intel-mpk: two starts had the same canary ($(cat out.10))"
pass "intel-mpk, newlib, stack-protector: the canary is random per start, its low byte zero"
n=12
for bug in $ASAN_BUGS; do
	b=${bug%%:*} k=${bug#*:}
	f=${k#*:} k=${k%%:*}
	report $n "$k" "$f\+0x[0-9a-f]+ \(.*buggy\.c:$(line_of "$b")\)"
	n=$((n + 1))
done
expect_output out.12 "write of size 1 at 0x[0-9a-f]+ .*in the heap of compartment 'lib'"
expect_output out.16 "read of size 4 at 0x[0-9a-f]+ .*in the \.bss of compartment 'lib'"
pass "intel-mpk, newlib, asan: heap overflow, use after free, double free, stack and global overflows at their line, in 'lib'"
vm_output 17 >out.17
expect_output out.17 "^ok 300$"
vm_output 18 >out.18
expect_output out.18 "^heaps: the library allocates from lib, the application from app$"
vm_output 19 >out.19
expect_output out.19 "^shared-sum 459$"
pass "intel-mpk, newlib, asan: the correct code runs clean, from its own heap, and reads the shared heap, shared data and stack arguments"
for n in 20 21 22 23 24; do
	vm_output $n >"out.$n"
	expect_output "out.$n" "compartment 'app' tried to write 0x[0-9a-f]+"
done
vm_output 25 >out.25
expect_output out.25 "^poked the shadow of 0x[0-9a-f]+, in the heap of app$"
pass "intel-mpk, newlib, asan: the shadow of the compartment's heap (middle, first and last byte), .bss and stack has its key ('app' cannot write it; its own, unkeyed, it can)"
vm_output 26 >out.26
expect_output out.26 "compartment 'lib' tried to write 0x[0-9a-f]+"
vm_output 27 >out.27
expect_output out.27 "^lib poked the shadow of 0x[0-9a-f]+, in the heap of lib$"
pass "intel-mpk, newlib, asan: the compartment cannot write the shadow of app's heap (key 0); its own it can"
vm_output 28 >out.28
expect_output out.28 "^longjmp 7$"
pass "intel-mpk, newlib, asan: a longjmp out of a frame runs clean (__asan_handle_no_return reads the shadow above its frame, keyed with the stack's)"
for n in 29 30; do
	vm_output $n >"out.$n"
	expect_output "out.$n" "compartment 'app' made a system call the intel-mpk filter denies: pkey_mprotect\("
done
vm_output 31 >out.31
expect_output out.31 "^rekeyed the shadow of 0x[0-9a-f]+, in the heap of shared$"
pass "intel-mpk, newlib, asan: the filter denies pkey_mprotect over the keyed shadow of the shared heap and of the compartment's heap (without the filter it goes through)"
