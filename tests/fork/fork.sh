#!/bin/sh
# fork() of a compartmentalized image, under none and process natively and
# under intel-mpk in one boot of the emulated-PKU VM (tests/fork/fapp.c
# says what each mode checks): the child sees the library's state and the
# shared heap as of the fork, through gates, and changes them; the parent's
# stay as they were; from main and from another thread; fork while
# threads allocate (the heaps' locks); a crash in the child's library; the
# child killed; the parent exiting first; fork while other threads call
# the library; a library calling fork() itself; the child under the
# system-call filter; no process left behind. The latency
# of fork + exit + wait is printed for each backend (bench lines; the VM's
# mean nothing). If the VM cannot run, its part fails, unless
# FLEXOS_VM_OPTIONAL=1 (then: skip).
. "${0%/*}/../lib/testlib.sh"
set -eu
FDIR="$top_srcdir/tests/fork"

compile "$WORK/flib.o" "$FDIR/flib.c" -g
ar rcs "$WORK/libflib.a" "$WORK/flib.o"
compile "$WORK/fapp.o" "$FDIR/fapp.c" -g
for m in none process intel-mpk; do
	with_mechanism "$FDIR/fork.yaml" $m >"$WORK/fork-$m.yaml"
	"$FLEXOS_LINK" -c "$WORK/fork-$m.yaml" -o "$WORK/fapp-$m" "$WORK/fapp.o" \
		"$WORK/libflib.a" -lpthread 2>"$WORK/link-$m.err" ||
		{ cat "$WORK/link-$m.err" >&2; fail "cannot link fapp-$m"; }
done

# run NAME STATUS IMAGE ARGS...: the image exits with STATUS; its output in $WORK/NAME.
run() {
	_r_name=$1 _r_want=$2
	shift 2
	_r_st=0
	timeout 60 "$@" >"$WORK/$_r_name" 2>&1 || _r_st=$?
	cat "$WORK/$_r_name" >&2
	[ "$_r_st" = "$_r_want" ] || fail "$* exited $_r_st, expected $_r_want"
	no_orphans "$*"
}

for m in none process; do
	img=$WORK/fapp-$m
	run $m.snapshot 0 "$img" snapshot
	expect_output "$WORK/$m.snapshot" '^parent \(main thread\): two children saw the snapshot'
	pass "$m: the child reads the snapshot through gates and changes it; the parent's state is its own"
	run $m.thread 0 "$img" thread
	expect_output "$WORK/$m.thread" '^parent \(another thread\): two children saw the snapshot'
	pass "$m: fork from a thread other than main's"
	run $m.busy 0 "$img" busy
	expect_output "$WORK/$m.busy" '^busy: 20 children forked while two threads called the library$'
	pass "$m: fork while other threads call the library"
	run $m.spawn 0 "$img" spawnfork
	expect_output "$WORK/$m.spawn" '^spawnfork: 20 children forked while threads started and ended$'
	pass "$m: fork while the library's threads start and end: its copy starts"
	run $m.heap 0 "$img" heapfork
	expect_output "$WORK/$m.heap" '^heapfork: 20 children forked while 3 threads allocated; 0 of them'
	pass "$m: fork while threads allocate: the child finds the heaps unlocked"
	run $m.procself 0 "$img" procself
	expect_output "$WORK/$m.procself" '^procself: the child opens /proc/self/smaps: ok$'
	pass "$m: a child opens its own /proc/self files"
	run $m.kill 0 "$img" killchild
	expect_output "$WORK/$m.kill" "^killchild: the child's library process [0-9]+ is gone"
	pass "$m: a child killed with SIGKILL leaves no process behind; the parent goes on"
	st=0
	timeout 60 "$img" daemon >"$WORK/$m.daemon" 2>&1 || st=$?
	[ $st = 0 ] || { cat "$WORK/$m.daemon" >&2; fail "$img daemon exited $st"; }
	for _ in $(seq 100); do
		grep -q '^daemon: the child outlived' "$WORK/$m.daemon" && break
		sleep 0.1
	done
	expect_output "$WORK/$m.daemon" '^daemon: the child outlived its parent; its library holds 41, then 42$'
	no_orphans "the child of daemon"
	pass "$m: the child outlives its parent (daemon) and its gates still work; nothing is left after it"
	run $m.bench 0 "$img" bench 20
	grep '^bench' "$WORK/$m.bench" >>"$WORK/bench"
	pass "$m: fork + exit + wait, 20 times"
done

run none.crash 0 "$WORK/fapp-none" crash
expect_output "$WORK/none.crash" '^crash: the child ended with wait status 0xb$'
pass "none: a crash in the child's library is the child's SIGSEGV"
run process.crash 0 "$WORK/fapp-process" crash
expect_output "$WORK/process.crash" "^flexos: compartment 'lib' \(pid [0-9]+\) crashed: signal 11 .* in the \.data of compartment 'app'"
expect_output "$WORK/process.crash" '^crash: the child ended with wait status 0x7b00$'
pass "process: a crash in the child's library ends the child with a report (status 123); the parent goes on"

FLEXOS_FORK_SLOTS=0 run process.noslot 1 "$WORK/fapp-process" snapshot
expect_output "$WORK/process.noslot" '^flexos: fork: FLEXOS_FORK_SLOTS=0 reserved no fork slot; the child has no compartments'
expect_output "$WORK/process.noslot" "^flexos: gate to compartment 'lib' in a child of fork\(\) that has no compartments"
pass "process: without a fork slot the child is told so and ends at its first gate"

run none.libfork 0 "$WORK/fapp-none" libfork
expect_output "$WORK/none.libfork" '^libfork: the library.s fork returned wait status 0$'
pass "none: a library may fork; the child returns through the gate"
run process.libfork 123 "$WORK/fapp-process" libfork
expect_output "$WORK/process.libfork" "^flexos: compartment 'lib' \(pid [0-9]+\) made a system call its policy denies: clone"
pass "process: a library calling fork() is reported as a denied system call"

vm_script 600 --file "$WORK" <<EOS
$WORK/fapp-intel-mpk snapshot
$WORK/fapp-intel-mpk thread
$WORK/fapp-intel-mpk crash
$WORK/fapp-intel-mpk libfork
$WORK/fapp-intel-mpk denied
$WORK/fapp-intel-mpk killchild
$WORK/fapp-intel-mpk bench 20
$WORK/fapp-intel-mpk busy
$WORK/fapp-intel-mpk heapfork
$WORK/fapp-intel-mpk procself
$WORK/fapp-intel-mpk procmem
EOS
vm_output 1 >"$WORK/mpk.1"
expect_output "$WORK/mpk.1" '^parent \(main thread\): two children saw the snapshot'
pass "intel-mpk: the child reads the snapshot through gates and changes it; the parent's state is its own"
vm_output 2 >"$WORK/mpk.2"
expect_output "$WORK/mpk.2" '^parent \(another thread\): two children saw the snapshot'
pass "intel-mpk: fork from a thread other than main's (its gate pages stay valid in the child)"
vm_output 3 >"$WORK/mpk.3"
expect_output "$WORK/mpk.3" "compartment 'lib' tried to write"
expect_output "$WORK/mpk.3" '^crash: the child ended with wait status 0x7b00$'
pass "intel-mpk: a fault in the child's library ends the child with a fault report (status 123)"
vm_output 4 >"$WORK/mpk.4"
expect_output "$WORK/mpk.4" '^libfork: the library.s fork returned wait status 0$'
pass "intel-mpk: a library may fork; the child returns through the gate and calls it again"
vm_output 5 >"$WORK/mpk.5"
expect_output "$WORK/mpk.5" 'process_vm_readv'
expect_output "$WORK/mpk.5" '^denied: the child ended with wait status 0x7b00$'
pass "intel-mpk: the child keeps the system-call filter: a denied call ends it with a report"
vm_output 6 >"$WORK/mpk.6"
expect_output "$WORK/mpk.6" "^killchild: the child's library process [0-9]+ is gone"
pass "intel-mpk: a child killed with SIGKILL; the parent goes on"
vm_output 7 | grep '^bench' >>"$WORK/bench" || fail "no bench line from the VM"
pass "intel-mpk: fork + exit + wait, 20 times"
vm_output 8 >"$WORK/mpk.8"
expect_output "$WORK/mpk.8" '^busy: 20 children forked while two threads called the library$'
pass "intel-mpk: fork while other threads call the library"
vm_output 9 >"$WORK/mpk.9"
expect_output "$WORK/mpk.9" '^heapfork: 20 children forked while 3 threads allocated; 0 of them'
if grep -q "^heapfork: [1-9][0-9]* children found the library's heap locked" "$WORK/mpk.9"; then
	expect_output "$WORK/mpk.9" "this child of fork\(\) cannot allocate: the heap of compartment 'lib' was locked at the fork"
fi
grep '^heapfork: [0-9]* children found' "$WORK/mpk.9" >&2 || fail "heapfork: no count of reports"
pass "intel-mpk: fork while threads allocate in the forking compartment's heap, the shared heap and the library's (out of the forking thread's reach: a child that finds it locked ends with a report, never hangs)"
# The filter's Landlock rules name the parent's /proc/<pid>: a child's
# files come from the helper (backends/mpk/procfiles.c), never mem.
vm_output 10 >"$WORK/mpk.10"
expect_output "$WORK/mpk.10" '^procself: the child opens /proc/self/smaps: ok$'
expect_output "$WORK/mpk.10" '^procself: the child opens /proc/self/status: ok$'
pass "intel-mpk: a child opens its own /proc/self files (through the helper)"
vm_output 11 >"$WORK/mpk.11"
expect_output "$WORK/mpk.11" '^procmem: the parent: 0 of its memory files opened, 1 sockets asked$'
expect_output "$WORK/mpk.11" '^procmem: a child: 0 of its memory files opened, 1 sockets asked$'
pass "intel-mpk: /proc/self/mem stays closed to the parent and a child, by path and by asking the helper's socket"
echo "--- fork + exit + wait (mean; the VM's emulate PKU under TCG and mean little):" >&2
cat "$WORK/bench" >&2
