#!/bin/sh
# Callbacks and nested gates, concurrent threads, output order, and exit()
# from a compartment.
. "${0%/*}/../lib/testlib.sh"
set -eu
build_tapp

status=0
$RUN "$WORK/tapp" regs >"$WORK/regs.out" 2>&1 || status=$?
[ "$status" -eq 0 ] || { cat "$WORK/regs.out" >&2; fail "regs exited $status"; }
expect_output "$WORK/regs.out" "^regs: tb saw app's word in 0 of the 25 quadwords of its argument registers and int stack arguments, 0 arguments arrived wrong; app got tb's words in 0 of 4 result registers; tb_regs returned 1, tb_regs8 1, tb_leave 7$"
pass "a request carries only the registers its call passes (no unused argument register, no bits a narrow argument leaves, in registers or on the stack), a reply only its result's"

$RUN "$WORK/tapp" nested 6 >"$WORK/nested.out" 2>&1 || { cat "$WORK/nested.out" >&2; fail "nested exited $?"; }
expect_output "$WORK/nested.out" "^nested: depth 6, result 1111111 \(expected 1111111\), 0 wrong visits, main pid != tb's$"
pass "callbacks and nested gates ca -> cb -> ca -> cb ... (depth 6)"

$RUN "$WORK/tapp" threads 4 100000 >"$WORK/threads.out" 2>&1 || { cat "$WORK/threads.out" >&2; fail "threads exited $?"; }
expect_output "$WORK/threads.out" "^threads: 4 x 100000 gates, 0 wrong results"
pass "4 threads x 100000 gates, every result checked ($(sed 's/.*results, //' "$WORK/threads.out"))"
no_orphans "threads"

$RUN "$WORK/tapp" print >"$WORK/print.out" 2>&1 || fail "print exited $?"
{
	for i in 0 1 2; do
		echo "[ca] before $i"; echo "[cb] line 0"; echo "[cb] line 1"; echo "[cc] line 0"
	done
	echo "[ca] done"
} >"$WORK/print.expected"
cmp -s "$WORK/print.out" "$WORK/print.expected" ||
	{ diff "$WORK/print.expected" "$WORK/print.out" >&2; fail "output of the compartments is out of order"; }
pass "output of all compartments reaches stdout in order (through a pipe)"

status=0
$RUN "$WORK/tapp" exit 7 >"$WORK/exit.out" 2>&1 || status=$?
[ "$status" -eq 7 ] || { cat "$WORK/exit.out" >&2; fail "exit(7) in cb: the image exited $status"; }
expect_output "$WORK/exit.out" '^\[cb\] exiting with 7$'
! grep -q "tb_exit returned" "$WORK/exit.out" || fail "main went on after cb's exit"
pass "exit(7) in a compartment ends the image with status 7"
no_orphans "exit in a compartment"
