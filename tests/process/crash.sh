#!/bin/sh
# Crashes: with on_crash: restart the application survives 100 crashes of
# cc and gets every other result right; without, the image reports the
# crash and exits 123, and never hangs.
. "${0%/*}/../lib/testlib.sh"
set -eu
build_tapp

$RUN "$WORK/tapp-r" crash 100 3 >"$WORK/restart.out" 2>"$WORK/restart.err" ||
	{ cat "$WORK/restart.out" >&2; fail "crash with restart exited $?"; }
expect_output "$WORK/restart.out" "^crash: survived 100 crashes, 200 correct results, 0 wrong$"
[ "$(grep -c "compartment 'cc' .* crashed: signal 11 at address 0x10; restarting it" "$WORK/restart.err")" -eq 100 ] ||
	fail "expected 100 restart messages"
pass "on_crash: restart: 100 crashes survived, no result lost"
no_orphans "restarts"

status=0
$RUN "$WORK/tapp" crash 1 3 >"$WORK/abort.out" 2>"$WORK/abort.err" || status=$?
[ "$status" -eq 123 ] || fail "a crash without restart exited $status, expected 123"
expect_output "$WORK/abort.err" "^flexos: compartment 'cc' \(pid [0-9]+\) crashed: signal 11 \(Segmentation fault\) at address 0x10; the code at 0x[0-9a-f]+ was .*\(compartment 'cc'\)$"
expect_output "$WORK/abort.err" "^flexos: the image exits with status 123"
pass "a crash without restart: report and status 123"
no_orphans "a crash"
