#!/bin/sh
# Fault reports name functions and source lines: a fault two gates deep
# (main -> mid -> leaf, static functions in each) under none and process;
# the names survive strip(1) (the table is a section of its own), and an
# image whose table is removed falls back to IMAGE+OFFSET.
. "${0%/*}/../lib/testlib.sh"
set -eu
D="$top_srcdir/tests/debug"

. "$D/images.sh"

# frame FILE N FUNCTION FILE:LINE COMPARTMENT: frame N of the report in FILE.
frame() {
	expect_output "$1" "^flexos:   #$2 0x[0-9a-f]+ $3\+0x[0-9a-f]+ \($4\) \[$5\]$"
}
line_of() { grep -n "$2" "$D/$1" | cut -d: -f1; }
CRASH="leaf.c:$(line_of leaf.c 'the faulting store')"
LEAF_CALL="leaf.c:$(line_of leaf.c 'return leaf_crash')"
MID="mid.c:$(line_of mid.c 'the call from mid_helper')"
APP="btapp.c:$(line_of btapp.c 'the call from app_helper')"
CB="btapp.c:$(line_of btapp.c 'the faulting store of the callback')"
APP_CB="btapp.c:$(line_of btapp.c "app_helper's callback")"
MID_CB="mid.c:$(line_of mid.c 'the callback from mid_apply_helper')"

status=0
$RUN "$WORK/bt-none" 1 >/dev/null 2>"$WORK/none.err" || status=$?
[ "$status" -eq $((128 + 11)) ] ||
	fail "bt-none exited $status, expected death by SIGSEGV"
expect_output "$WORK/none.err" "^flexos: compartment 'leaf' crashed: signal 11 \(Segmentation fault\) at address 0x10, in leaf_crash\+0x[0-9a-f]+ \($CRASH\); backtrace:$"
frame "$WORK/none.err" 0 leaf_crash "$CRASH" leaf
frame "$WORK/none.err" 1 leaf_call "$LEAF_CALL" leaf
frame "$WORK/none.err" 2 mid_helper "$MID" mid
frame "$WORK/none.err" 4 app_helper "$APP" app
expect_output "$WORK/none.err" "^flexos:   #5 0x[0-9a-f]+ main\+0x[0-9a-f]+ \(btapp.c:[0-9]+\) \[app\]$"
pass "none: a fault two calls deep names every static function, its line and compartment"

status=0
$RUN "$WORK/bt-process" 1 >/dev/null 2>"$WORK/process.err" || status=$?
[ "$status" -eq 123 ] || fail "bt-process exited $status, expected 123"
expect_output "$WORK/process.err" "^flexos: compartment 'leaf' \(pid [0-9]+\) got signal 11 \(Segmentation fault\); backtrace:$"
frame "$WORK/process.err" 0 leaf_crash "$CRASH" leaf
frame "$WORK/process.err" 1 leaf_call "$LEAF_CALL" leaf
expect_output "$WORK/process.err" "^flexos:   #2 0x[0-9a-f]+ serve\+0x[0-9a-f]+ "
expect_output "$WORK/process.err" "^flexos:   compartment 'leaf' was called by compartment 'mid' through leaf_call\+0x0 \(leaf.c:[0-9]+\)$"
expect_output "$WORK/process.err" "^flexos:   compartment 'mid' was called by compartment 'app' through mid_call\+0x0 \(mid.c:[0-9]+\) \(the chain's first caller\)$"
expect_output "$WORK/process.err" "^flexos: compartment 'leaf' \(pid [0-9]+\) crashed: .* the code at 0x[0-9a-f]+ was leaf_crash\+0x[0-9a-f]+ \($CRASH\) \(compartment 'leaf'\)$"
pass "process: the faulting compartment's frames with lines, and the chain of callers across both gates"
no_orphans "the process backend's fault"

$RUN "$WORK/bt-none" cb >/dev/null 2>"$WORK/none-cb.err" || true
frame "$WORK/none-cb.err" 0 app_cb "$CB" app
frame "$WORK/none-cb.err" 1 mid_apply_helper "$MID_CB" mid
frame "$WORK/none-cb.err" 3 app_helper "$APP_CB" app
pass "none: a fault in a callback names the static callback, not flexos-link's alias"

# The crash is in main's process with the gate on its stack: backtrace()
# reaches the caller only through the gate's unwind information.
status=0
$RUN "$WORK/bt-process" cb >/dev/null 2>"$WORK/process-cb.err" || status=$?
[ "$status" -eq 123 ] || fail "bt-process cb exited $status, expected 123"
frame "$WORK/process-cb.err" 0 app_cb "$CB" app
# serve, serve_nested (where a longjmp elsewhere would resume this wait), exchange, the gate.
expect_output "$WORK/process-cb.err" "^flexos:   #5 0x[0-9a-f]+ flexos__backend_gate_int\+0x[0-9a-f]+ \(gate.S:[0-9]+\)$"
frame "$WORK/process-cb.err" 6 app_helper "$APP_CB" app
expect_output "$WORK/process-cb.err" "^flexos:   #7 0x[0-9a-f]+ main\+0x[0-9a-f]+ \(btapp.c:[0-9]+\) \[app\]$"
expect_output "$WORK/process-cb.err" "^flexos:   compartment 'app' was called by compartment 'mid' through app_cb\+0x0 "
pass "process: a fault in a callback unwinds through the gate into its caller"
no_orphans "the callback's fault"

strip -o "$WORK/bt-stripped" "$WORK/bt-none"
$RUN "$WORK/bt-stripped" 1 >/dev/null 2>"$WORK/stripped.err" || true
frame "$WORK/stripped.err" 0 leaf_crash "$CRASH" leaf
frame "$WORK/stripped.err" 2 mid_helper "$MID" mid
pass "a stripped image still names functions and lines"

objcopy --remove-section=.flexos-symbols "$WORK/bt-none" "$WORK/bt-notable"
$RUN "$WORK/bt-notable" 1 >/dev/null 2>"$WORK/notable.err" || true
expect_output "$WORK/notable.err" "^flexos:   #0 0x[0-9a-f]+ $WORK/bt-notable\+0x[0-9a-f]+ \[leaf\]$"
pass "without the table the report gives IMAGE+OFFSET for addr2line"
