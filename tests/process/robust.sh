#!/bin/sh
# No caller waits forever: when the supervisor or a compartment is killed
# or stopped, idle or in the middle of a call, the image ends with a
# report within a bounded time and leaves no process behind; an image
# stopped and continued as a whole (job control) runs on; and an image
# that exits while the supervisor restarts a compartment neither stalls
# nor leaves the new process behind.
. "${0%/*}/../lib/testlib.sh"
set -eu
build_tapp

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# hit NAME MODE MS TARGET SIGNAL: runs tapp MODE MS (main in a call to
# tb_sleep for sleep, outside any gate for idle), sends SIGNAL to TARGET
# (sup: the supervisor, tb: compartment cb's process) and waits for the
# image. Sets status and elapsed (ms from the signal to the end).
hit() {
	_o="$WORK/$1"
	$RUN "$WORK/tapp" "$2" "$3" >"$_o.out" 2>"$_o.err" &
	_run=$!
	await_line "$_o.out" '^pids:' $_run 5 || true
	_main=$(sed -n 's/^pids: main \([0-9]*\) .*/\1/p' "$_o.out")
	_tb=$(sed -n 's/^pids: main [0-9]* tb \([0-9]*\) .*/\1/p' "$_o.out")
	[ -n "$_main" ] && [ -n "$_tb" ] || { kill $_run; fail "$1: the image did not start"; }
	_sup=$(pgrep -P "$_main" | head -1)
	case $4 in
	sup) _t=$_sup ;;
	tb) _t=$_tb ;;
	esac
	_t0=$(now_ms)
	kill "-$5" "$_t"
	status=0
	wait $_run || status=$?
	elapsed=$(($(now_ms) - _t0))
	echo "$1: status $status after $elapsed ms" >&2
}

# ends_with_report NAME ERE: status 123 within 3 s, the report, no process left.
ends_with_report() {
	[ "$status" -eq 123 ] || fail "$1: the image exited $status, expected 123"
	[ "$elapsed" -lt 3000 ] || fail "$1: the image took $elapsed ms to end"
	expect_output "$WORK/$1.err" "$2"
	no_orphans "$1"
}

SUP_KILLED="^flexos: the supervisor \(pid [0-9]+\) was killed by signal 9 \(Killed\)$"
SUP_STOPPED="^flexos: the supervisor \(pid [0-9]+\) was stopped for a second: "
CB_STOPPED="^flexos: compartment 'cb' \(pid [0-9]+\) was stopped by signal 19 \(Stopped \(signal\)\) for a second, and killed: "

hit sup-kill-call sleep 30000 sup KILL
ends_with_report sup-kill-call "$SUP_KILLED"
expect_output "$WORK/sup-kill-call.err" "^flexos: the compartments ended with it; the image exits with status 123$"
pass "supervisor killed during a call: report and status 123"

hit sup-kill-idle idle 30000 sup KILL
ends_with_report sup-kill-idle "$SUP_KILLED"
pass "supervisor killed while main runs its own code: report and status 123"

hit sup-stop-call sleep 30000 sup STOP
ends_with_report sup-stop-call "$SUP_STOPPED"
pass "supervisor stopped during a call: report and status 123"

hit sup-stop-idle idle 30000 sup STOP
ends_with_report sup-stop-idle "$SUP_STOPPED"
pass "supervisor stopped while main runs its own code: report and status 123"

hit cb-stop-call sleep 30000 tb STOP
ends_with_report cb-stop-call "$CB_STOPPED"
pass "compartment stopped during a call into it: report and status 123"

hit cb-stop-idle idle 30000 tb STOP
ends_with_report cb-stop-idle "$CB_STOPPED"
pass "compartment stopped while idle: report and status 123"

hit cb-kill-idle idle 30000 tb KILL
ends_with_report cb-kill-idle "^flexos: compartment 'cb' \(pid [0-9]+\) was killed by signal 9 \(Killed\)$"
pass "compartment killed while idle: report and status 123"

# Job control: every process of the image stopped for 2 s, then continued,
# in the middle of a 5 s call (long enough for a loaded machine).
$RUN "$WORK/tapp" sleep 5000 >"$WORK/group.out" 2>"$WORK/group.err" &
run=$!
await_line "$WORK/group.out" '^pids:' $run 5 || true
main=$(sed -n 's/^pids: main \([0-9]*\) .*/\1/p' "$WORK/group.out")
sup=$(pgrep -P "$main" | head -1)
all="$main $sup $(pgrep -P "$sup" | tr '\n' ' ')"
echo "job control: stopping $all" >&2
# shellcheck disable=SC2086  # a list of pids
kill -STOP $all || fail "cannot stop $all"
sleep 2
# shellcheck disable=SC2086
kill -CONT $all || { ps -o pid,ppid,stat,args -p "$(echo $all | tr ' ' ,)" >&2; fail "cannot continue $all"; }
status=0
wait $run || status=$?
[ "$status" -eq 0 ] || fail "an image stopped and continued as a whole exited $status: $(cat "$WORK/group.err")"
[ ! -s "$WORK/group.err" ] || fail "unexpected messages: $(cat "$WORK/group.err")"
pass "an image stopped and continued as a whole runs on"
no_orphans "job control"

# Exit right after a crash of cc, which the supervisor restarts meanwhile.
for i in 1 2 3 4 5; do
	t0=$(now_ms)
	$RUN "$WORK/tapp-r" crashexit >"$WORK/crashexit.out" 2>"$WORK/crashexit.err" ||
		fail "crashexit $i exited $?"
	t=$(($(now_ms) - t0))
	[ "$t" -lt 1500 ] || fail "crashexit $i took $t ms: the exit waited for the supervisor"
	no_orphans "crashexit $i"
done
expect_output "$WORK/crashexit.out" "^crashexit: tc_crash returned -1, error 11$"
pass "exiting while a compartment restarts: no stall, no process left"
