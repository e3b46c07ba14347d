#!/bin/sh
# longjmp back across gates (docs/threat-model.md, limit 10): (a) the
# error of an application callback comes back to the library's setjmp
# through two gates (lib_raise, as lua_error), (b) the library calls the
# application's error handler, which jumps to the application's setjmp
# (as libpng and libjpeg do), 1000 and 3000 times, then a plain call, and
# Debian's unmodified liblua5.4.a, whose luaL_error in an application C
# function unwinds to lua_pcall. none: plain jumps; intel-mpk (in the
# emulated-PKU VM): the gate state is unwound, also when the library
# jumps to the application's jmp_buf itself (as libpng's png_longjmp) or
# rewrote it first (in shared memory: the jump lands at the setjmp all
# the same); a jump to a setjmp whose gate call has returned is reported.
# process: the same jumps unwind too (the jumper's gate state, then each
# process the jump abandoned frames in, at the chain's next message for
# it), also in threads at once and in threads that end right after their
# jump, and Lua's own pcall in a chunk; a jump to a setjmp whose gate call
# has returned, to a jmp_buf another compartment rewrote, or to the other
# process's jmp_buf (png) is reported, never a hang. tests/mpk/attack jumps to the WRPKRUs of the intel-mpk
# setjmp and longjmp paths with PKRU 0. If the VM cannot run, this fails, unless
# FLEXOS_VM_OPTIONAL=1 (then: skip).
. "${0%/*}/../lib/testlib.sh"
set -eu

LUA_A=/usr/lib/x86_64-linux-gnu/liblua5.4.a
compile "$WORK/ljmp-app.o" "$DATA/ljmp-app.c" -g
compile "$WORK/ljmp-lib.o" "$DATA/ljmp-lib.c" -g
ar cr "$WORK/libljmp.a" "$WORK/ljmp-lib.o"
lua=no
if [ -f "$LUA_A" ] && [ -f /usr/include/lua5.4/lua.h ]; then
	lua=yes
	compile "$WORK/ljmp-lua.o" "$DATA/ljmp-lua.c" -g -I/usr/include/lua5.4
	cp "$LUA_A" "$WORK/liblua5.4.a"
fi
for m in none process intel-mpk; do
	with_mechanism "$DATA/ljmp.yaml" "$m" >"$WORK/ljmp-$m.yaml"
	(cd "$WORK" && "$FLEXOS_LINK" -c "ljmp-$m.yaml" -o "ljmp-$m" ljmp-app.o libljmp.a) \
		2>"$WORK/link.err" || { cat "$WORK/link.err" >&2; fail "cannot link under $m"; }
	if [ "$m" = intel-mpk ]; then
		awk '{ print } /mechanism: intel-mpk/ { print "  stack: shared" }' \
			"$WORK/ljmp-$m.yaml" >"$WORK/ljmp-shared.yaml"
		(cd "$WORK" && "$FLEXOS_LINK" -c ljmp-shared.yaml -o ljmp-shared ljmp-app.o \
			libljmp.a) 2>"$WORK/link.err" ||
			{ cat "$WORK/link.err" >&2; fail "cannot link with shared stacks"; }
	fi
	[ "$lua" = yes ] || continue
	with_mechanism "$DATA/ljmp-lua.yaml" "$m" >"$WORK/lua-$m.yaml"
	(cd "$WORK" && "$FLEXOS_LINK" -c "lua-$m.yaml" -o "lua-$m" ljmp-lua.o liblua5.4.a -lm) \
		2>"$WORK/link.err" || { cat "$WORK/link.err" >&2; fail "cannot link Lua under $m"; }
done
pass "linked under none, process and intel-mpk"

A_OUT='^a: 42 500499 41 0$'
B_OUT='^b: 4501500 6 41$'
PNG_OUT='^png: 5050 41$'
MASK_OUT='^mask: 3 1 0$'
THREADS_OUT='^threads: 501000 300 41$'
LUA_OUT='^lua: 100 errors, sum 4950, 42, top 0, pcall 102$'

# run IMAGE ARG...: its exit status in $st, its output in $WORK/out.
run() {
	set +e
	timeout 60 "$@" >"$WORK/out" 2>&1
	st=$?
	set -e
}

run "$WORK/ljmp-none" a
[ "$st" = 0 ] || { cat "$WORK/out" >&2; fail "none, a: exit $st"; }
expect_output "$WORK/out" "$A_OUT"
run "$WORK/ljmp-none" b
[ "$st" = 0 ] || { cat "$WORK/out" >&2; fail "none, b: exit $st"; }
expect_output "$WORK/out" "$B_OUT"
run "$WORK/ljmp-none" png
[ "$st" = 0 ] || { cat "$WORK/out" >&2; fail "none, png: exit $st"; }
expect_output "$WORK/out" "$PNG_OUT"
run "$WORK/ljmp-none" mask
[ "$st" = 0 ] || { cat "$WORK/out" >&2; fail "none, mask: exit $st"; }
expect_output "$WORK/out" "$MASK_OUT"
run "$WORK/ljmp-none" threads
[ "$st" = 0 ] || { cat "$WORK/out" >&2; fail "none, threads: exit $st"; }
expect_output "$WORK/out" "$THREADS_OUT"
pass "none: both jumps, 1000 and 3000 times, the library's jump to the application's jmp_buf, siglongjmp's mask, threads"

if [ "$lua" = yes ]; then
	run "$WORK/lua-none"
	[ "$st" = 0 ] || { cat "$WORK/out" >&2; fail "none, Lua: exit $st"; }
	expect_output "$WORK/out" "$LUA_OUT"
	pass "none: Lua's errors raised in an application C function"
else
	skip "none: Lua" "no $LUA_A (liblua5.4-dev)"
fi

# process: the jumps unwind across the processes; what cannot be honoured is reported.
# plain CASE PATTERN: ljmp-process CASE exits 0 with a line matching PATTERN.
plain() {
	run "$WORK/ljmp-process" "$1"
	[ "$st" = 0 ] || { cat "$WORK/out" >&2; fail "process, $1: exit $st"; }
	expect_output "$WORK/out" "$2"
}
plain a "$A_OUT"
plain b "$B_OUT"
pass "process: both jumps, 1000 and 3000 times, then a gate call and a callback as before"
plain mask "$MASK_OUT"
pass "process: siglongjmp across gates restores the mask sigsetjmp saved"
plain threads "$THREADS_OUT"
no_orphans
pass "process: jumps in 4 threads at once, and in 300 threads that end right after theirs"
run "$WORK/ljmp-process" stale-lib
[ "$st" = 123 ] || { cat "$WORK/out" >&2; fail "process, stale-lib: exit $st, not the report's 123"; }
expect_output "$WORK/out" "longjmp in compartment 'sandbox' to its setjmp at lib_save.* cannot be honoured: the gate call from compartment 'app' it was made in has returned"
pass "process: a jump to a setjmp whose gate call has returned is reported, naming both compartments"
run "$WORK/ljmp-process" tamper
[ "$st" = 123 ] || { cat "$WORK/out" >&2; fail "process, tamper: exit $st, not the report's 123"; }
expect_output "$WORK/out" "longjmp in compartment 'app' to its setjmp at case_tamper.* cannot be honoured: its jmp_buf no longer holds that setjmp's stack and return"
pass "process: a jmp_buf the library rewrote is reported, not jumped to"
run "$WORK/ljmp-process" png
[ "$st" = 123 ] || { cat "$WORK/out" >&2; fail "process, png: exit $st, not the report's 123"; }
expect_output "$WORK/out" "compartment 'sandbox' .* crashed: .* in the .bss of compartment 'app'"
pass "process: the library's jump to the application's jmp_buf (in another process) ends in a report"
if [ "$lua" = yes ]; then
	run "$WORK/lua-process"
	[ "$st" = 0 ] || { cat "$WORK/out" >&2; fail "process, Lua: exit $st"; }
	expect_output "$WORK/out" "$LUA_OUT"
	pass "process: Lua's errors raised in an application C function unwind to lua_pcall, and to Lua's pcall"
fi

ATTACK=$top_builddir/tests/mpk/attack
[ -x "$ATTACK" ] || fail "no $ATTACK: build it first (make check builds it)"
lua_cmd=
[ "$lua" = no ] || lua_cmd="$WORK/lua-intel-mpk"
vm_script 400 --file "$WORK" <<EOS
$WORK/ljmp-intel-mpk a
$WORK/ljmp-intel-mpk b
--expect-status=123 $WORK/ljmp-intel-mpk stale
$WORK/ljmp-intel-mpk png
$WORK/ljmp-intel-mpk tamper
$WORK/ljmp-intel-mpk mask
$WORK/ljmp-shared a
$WORK/ljmp-shared b
--expect-status=134 $ATTACK --forge setjmp-open
--expect-status=134 $ATTACK --forge setjmp
--expect-status=134 $ATTACK --forge longjmp-open
--expect-status=134 $ATTACK --forge longjmp
$WORK/ljmp-intel-mpk vec
$lua_cmd
EOS
vm_output 1 >"$WORK/out.1"
expect_output "$WORK/out.1" "$A_OUT"
vm_output 2 >"$WORK/out.2"
expect_output "$WORK/out.2" "$B_OUT"
pass "intel-mpk: both jumps, 1000 and 3000 times, then a gate call and a callback as before"
vm_output 3 >"$WORK/out.3"
expect_output "$WORK/out.3" "longjmp in compartment 'app' \(0 gate calls deep\) to the setjmp of compartment 'sandbox' at lib_save.* \(1 deep\) cannot be honoured: the gate call it was made in has returned"
pass "intel-mpk: a jump to a setjmp whose gate call has returned is reported, naming both compartments"
vm_output 4 >"$WORK/out.4"
expect_output "$WORK/out.4" "$PNG_OUT"
pass "intel-mpk: the library jumps to the application's jmp_buf itself (png_longjmp), 100 times"
vm_output 5 >"$WORK/out.5"
expect_output "$WORK/out.5" '^tamper: 9 41$'
pass "intel-mpk: a jmp_buf the library rewrote still lands at the application's setjmp"
vm_output 6 >"$WORK/out.6"
expect_output "$WORK/out.6" "$MASK_OUT"
pass "intel-mpk: siglongjmp across gates restores the mask sigsetjmp saved"
vm_output 7 >"$WORK/out.7"
expect_output "$WORK/out.7" "$A_OUT"
vm_output 8 >"$WORK/out.8"
expect_output "$WORK/out.8" "$B_OUT"
pass "intel-mpk, shared stacks: both jumps, 1000 and 3000 times"
for n in 9 10 11 12; do
	vm_output $n >"$WORK/out.$n"
	expect_output "$WORK/out.$n" "something jumped into the middle of a gate"
done
pass "intel-mpk: jumps to the WRPKRUs of the setjmp record and of the longjmp path with PKRU 0 are stopped"
vm_output 13 >"$WORK/out.13"
expect_output "$WORK/out.13" '^vec: the application found 0 and 0 in xmm2 and xmm3; MXCSR control 0x5f80, x87 control word 0xb7f; 0 of the library.s values in the x87 registers$'
pass "intel-mpk: a jump across gates leaves nothing of the jumper's in the vector and x87 registers, nor its rounding"
if [ "$lua" = yes ]; then
	vm_output 14 >"$WORK/out.14"
	expect_output "$WORK/out.14" "$LUA_OUT"
	pass "intel-mpk: Lua's errors raised in an application C function unwind to lua_pcall"
fi
