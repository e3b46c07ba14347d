#!/bin/sh
# No process is left behind when the image is killed with SIGKILL, or
# when a compartment is.
. "${0%/*}/../lib/testlib.sh"
set -eu
build_tapp

$RUN "$WORK/tapp" sleep 30000 >"$WORK/sleep.out" 2>&1 &
runner=$!
await_line "$WORK/sleep.out" '^pids:' $runner 5 || true
main=$(sed -n 's/^pids: main \([0-9]*\) .*/\1/p' "$WORK/sleep.out")
[ -n "$main" ] || { kill $runner; fail "the image did not start"; }
[ "$(pgrep -f "$WORK/tapp" | wc -l)" -ge 4 ] || { kill -9 $main; fail "expected main, the supervisor and 2 compartments"; }
kill -9 "$main"
wait $runner 2>/dev/null || true
no_orphans "SIGKILL of main"
pass "SIGKILL of the image leaves no process behind"

$RUN "$WORK/tapp" sleep 30000 >"$WORK/sleep2.out" 2>"$WORK/sleep2.err" &
main=$!
await_line "$WORK/sleep2.out" '^pids:' $main 5 || true
tb=$(sed -n 's/^pids: main [0-9]* tb \([0-9]*\) .*/\1/p' "$WORK/sleep2.out")
[ -n "$tb" ] || { kill -9 $main; fail "no pid for tb"; }
kill -9 "$tb"
status=0
wait $main || status=$?
[ "$status" -eq 123 ] || fail "SIGKILL of cb: the image exited $status, expected 123"
expect_output "$WORK/sleep2.err" "^flexos: compartment 'cb' \(pid $tb\) was killed by signal 9"
no_orphans "SIGKILL of a compartment"
pass "SIGKILL of a compartment ends the image with a report"
