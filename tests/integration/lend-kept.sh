#!/bin/sh
# Objects kept lent past the call (lend: rules "..., kept until FN") and a
# static function of an archive member reached through a pointer
# (callbacks: + prototypes: STRUCT.MEMBER): an unmodified program whose
# library keeps its static buffer and its stack count across calls, as
# libarchive's archive_write_open_memory and libjpeg's jpeg_mem_dest do,
# changes the buffer between calls, frees a copy the library allocated,
# and calls the library's sink_alloc through the struct the library hands
# back. Under none, process and intel-mpk (the emulated-PKU VM) its output
# is the plain build's. Rules that cannot hold are refused with
# file:line:col. Without the callbacks: line, the call through the
# pointer runs the library's function as the application: the warning
# names it, its caller and the fix. Under intel-mpk, the objects a thread
# kept are not merged at the calls of the next thread on its lend slot
# ("thread"). If the VM cannot run, this fails, unless
# FLEXOS_VM_OPTIONAL=1 (then: skip).
. "${0%/*}/../lib/testlib.sh"
set -eu

# Without -g: the prototypes (and their parameter names) come from keep.h,
# as for Debian's archives.
compile "$WORK/keep-app.o" "$DATA/keep-app.c" -I"$DATA"
compile "$WORK/keep-lib.o" "$DATA/keep-lib.c" -I"$DATA"
ar cr "$WORK/libkeep.a" "$WORK/keep-lib.o"
$CC -o "$WORK/plain" "$WORK/keep-app.o" "$WORK/keep-lib.o" -pthread
sed "s|\[keep.h\]|[$DATA/keep.h]|" "$DATA/keep.yaml" >"$WORK/keep.yaml"
for m in none process intel-mpk; do
	with_mechanism "$WORK/keep.yaml" "$m" >"$WORK/keep-$m.yaml"
	"$FLEXOS_LINK" -c "$WORK/keep-$m.yaml" -o "$WORK/keep-$m" "$WORK/keep-app.o" \
		"$WORK/libkeep.a" 2>"$WORK/link.err" || { cat "$WORK/link.err" >&2; fail "cannot link under $m"; }
done
pass "the program links under none, process and intel-mpk with kept rules and a static callback of an archive member"
# nocb: without 'callbacks: [sink_alloc]', the program's call through the
# pointer runs the library's function as the application.
grep -v 'sink_alloc' "$WORK/keep.yaml" >"$WORK/nocb.yaml"
for m in process intel-mpk; do
	with_mechanism "$WORK/nocb.yaml" "$m" >"$WORK/nocb-$m.yaml"
	"$FLEXOS_LINK" -c "$WORK/nocb-$m.yaml" -o "$WORK/nocb-$m" "$WORK/keep-app.o" \
		"$WORK/libkeep.a" 2>"$WORK/link.err" || { cat "$WORK/link.err" >&2; fail "cannot link nocb under $m"; }
done

"$FLEXOS_LINK" --explain -c "$WORK/keep-process.yaml" -o "$WORK/explain" "$WORK/keep-app.o" \
	"$WORK/libkeep.a" >"$WORK/explain.out" 2>&1 || { cat "$WORK/explain.out" >&2; fail "--explain"; }
expect_output "$WORK/explain.out" "lends: buf \(rsi, as many bytes as rdx says, in and out, kept until sink_free\), used \(rcx, 8 bytes, in and out, kept until sink_free\)"
expect_output "$WORK/explain.out" "keeps: brings the objects kept lent to its library up to date, then ends those kept until it"
expect_output "$WORK/explain.out" "^callback sink_alloc -> __flexos_cb__lib__sink_alloc \\[sandbox\\]"
expect_output "$WORK/explain.out" "prototype: char \\*sink_alloc\\(struct sink \\*, size_t\\)   \\[header"
pass "--explain: what is kept, and the call that ends it"

# Rules that cannot hold: no such function, a struct member, a bad form.
bad_rule() {
	{ sed '/^  lend:/,$d' "$WORK/keep-process.yaml"; printf '  lend:\n    %s\n' "$1"; } >"$WORK/bad.yaml"
	! "$FLEXOS_LINK" -c "$WORK/bad.yaml" -o "$WORK/bad" "$WORK/keep-app.o" "$WORK/libkeep.a" \
		2>"$WORK/bad.err" || fail "accepted: $1"
	expect_output "$WORK/bad.err" "$2"
}
bad_rule "sink_open.used: kept until sink_close" "bad.yaml:[0-9]+:5: error: lend rule 'sink_open.used': 'sink_close' is no function of library 'lib' that another compartment calls"
bad_rule "sink_open.used: kept sink_free" "bad.yaml:[0-9]+:21: error: 'sink_open.used' in 'lend' of library 'lib': 'kept' must be followed by 'until'"
bad_rule "sink.buf: kept until sink_free" "bad.yaml:[0-9]+:5: error: lend rule 'sink.buf': 'kept until' applies to arguments of the functions of library 'lib' that another compartment calls, and 'sink' is none"
pass "kept rules that cannot hold are refused with file:line:col"

"$WORK/plain" twice >"$WORK/ref" 2>&1 || { cat "$WORK/ref" >&2; fail "the plain build failed"; }
expect_output "$WORK/ref" "^after writes: used 20, buf 'kept until sink_free'$"
expect_output "$WORK/ref" "^dup: 'Kept until sink_free'$"
expect_output "$WORK/ref" "^after free: used 25, tail 'block'$"
expect_output "$WORK/ref" "^again: used 5, buf 'again'$"
for m in none process; do
	st=0
	"$WORK/keep-$m" twice >"$WORK/out-$m" 2>&1 || st=$?
	[ "$st" = 0 ] && cmp -s "$WORK/out-$m" "$WORK/ref" ||
		{ cat "$WORK/out-$m" >&2; fail "$m: exit $st, or not the plain build's output"; }
done
pass "none and process: the plain build's output (kept buffer and count, a change between calls, the library's static function, a host freeing its sandbox's copy)"
# thread (intel-mpk, below): kept objects are merged at the calls of the
# thread that lent them (docs/config.md); a thread that ended takes its
# records along, and the next thread on its lend slot, which keeps objects
# of its own in the same book of the caller's heap, does not merge them.
# In the plain build the second thread's write reaches tbuf. (Under
# process the library's sink_open, called from a second thread, crashes
# on the sink that thread's sink_new made: not run there.)
"$WORK/plain" thread >"$WORK/plain-thread" 2>&1 || { cat "$WORK/plain-thread" >&2; fail "plain: thread"; }
expect_output "$WORK/plain-thread" "^thread: used 11, buf 'firstsecond'$"

# The warning: the function called through a pointer and its caller named, with the fix.
st=0
"$WORK/nocb-process" >"$WORK/nocb.out" 2>&1 || st=$?
[ "$st" != 0 ] || fail "process, without the callback: the program ended well"
expect_output "$WORK/nocb.out" "^flexos: warning: sink_alloc, code of compartment 'sandbox', allocates memory while compartment 'app' runs: main\\+0x[0-9a-f]+ called it through a pointer, not a gate, so it gets the heap of 'app', which 'sandbox' cannot use; list sink_alloc under 'callbacks:' of its library in .*nocb-process.yaml$"
pass "process: a library's function called through a pointer, not a gate, is named when it allocates, with the fix"

vm_script 300 --file "$WORK" <<EOS
$WORK/keep-intel-mpk twice
--expect-status=134 $WORK/nocb-intel-mpk
$WORK/keep-intel-mpk thread
EOS
vm_output 1 | tr -d '\r' | grep -E "^(after|dup|again)" >"$WORK/vm-out" || true
cmp -s "$WORK/vm-out" "$WORK/ref" || { vm_output 1 >&2; fail "intel-mpk: not the plain build's output"; }
pass "intel-mpk: the plain build's output"
vm_output 2 >"$WORK/vm-nocb"
expect_output "$WORK/vm-nocb" "flexos: warning: sink_alloc, code of compartment 'sandbox', allocates memory while compartment 'app' runs: main\\+0x[0-9a-f]+ called it through a pointer"
pass "intel-mpk: the same warning"
vm_output 3 | tr -d '\r' >"$WORK/vm-thread"
expect_output "$WORK/vm-thread" "^thread: used 5, buf 'first'$"
pass "intel-mpk: an ended thread's kept objects are not merged at the calls of the next thread on its lend slot"
