#!/bin/sh
# The scheduler's switch under intel-mpk (limit 4 of docs/threat-model.md),
# in one boot of the emulated-PKU VM (tests/vm/run; natively where the host
# has PKU): a scheduler thread suspended in lib1 (tests/mpk/schedrecord.c)
# whose record in the scheduler's key-0 memory app changes before the
# switch to it: its saved stack pointer (to a frame app forged, which would
# run with lib1's rights), the scheduler's copy of its compartment, the
# handle of its switch record (no record, a free one). Each ends in the
# report, never in the forged frame; unchanged, the thread resumes. The
# same with shared stacks (attack-shared). Then the switch's path length,
# single-stepped with ptrace (which the system-call filter denies: off).
# Then a timer of app's whose function and argument lib1 rewrites (limit
# 13): app's own callback runs from the backend's record; a forged record
# handle, one set to none with the function rewritten, or another timer's
# record of app's ends the image (before the records, lib1's choice ran in
# app; before the records named their timer, the other timer's callback
# ran; before "none" was refused with records, lib1's choice ran).
# app frees the switch record of a thread suspended in lib1: nothing is
# freed, the thread resumes (before, the switch to it was reported, its
# stacks back in the pools); a thread that exits inside a gate call ends
# the image with the reason.
# A thread suspended in lib1 with its own rounding gets it back after app
# made a gate call on the same OS thread (limit 6: the switch carries the
# gate calls' MXCSR and x87 control words; without, it got app's).
# A thread of app's waiting on app's semaphore or mutex that lib1 marks
# woken in the scheduler's memory (limit 13) waits again: it gets a unit,
# the mutex or a timeout only from app's post, unlock or the clock (before,
# it returned at once with what app never gave).
# A thread of app's that lib1 marks exited with a result of its choice,
# whose result it rewrites once it exited, or that it points at another
# exited thread's switch record, is joined with its own result only; one
# lib1 gives a record of its own making (on lib1's frame, so that it exits
# in lib1 with lib1's result) is refused to app's join (before, the join
# returned lib1's result each time).
# lib1 makes app's thread that holds app's mutex the scheduler's current
# thread while main runs: main's unlock of that mutex, or its switch, ends
# the image with the reason (before, the unlock succeeded, or the switch
# saved main's registers as the other thread's).
# If the VM cannot run, this fails, unless FLEXOS_VM_OPTIONAL=1 (then: skip).
. "${0%/*}/../lib/testlib.sh"
set -u
b=$top_builddir

vm_script 300 <<EOS
$b/tests/mpk/attack --sched-record none
--expect-status=134 $b/tests/mpk/attack --sched-record sp
--expect-status=134 $b/tests/mpk/attack --sched-record comp
--expect-status=134 $b/tests/mpk/attack --sched-record rec
--expect-status=134 $b/tests/mpk/attack --sched-record rec-free
$b/tests/mpk/attack-shared --sched-record none
--expect-status=134 $b/tests/mpk/attack-shared --sched-record sp
--expect-status=134 $b/tests/mpk/attack-shared --sched-record comp
env FLEXOS_MPK_SYSCALL_FILTER=off $b/tests/mpk/attack --sched-record count
$b/tests/mpk/attack --sched-timer none
$b/tests/mpk/attack --sched-timer fn
--expect-status=134 $b/tests/mpk/attack --sched-timer handle
--expect-status=134 $b/tests/mpk/attack --sched-timer zero
--expect-status=134 $b/tests/mpk/attack --sched-timer swap
$b/tests/mpk/attack --sched-timer watch
$b/tests/mpk/attack --sched-record free
--expect-status=134 $b/tests/mpk/attack --sched-record exit
--expect-status=134 $b/tests/mpk/attack --sched-record end-free
$b/tests/mpk/attack --sched-record fpctl
$b/tests/mpk/attack --sched-thread none
$b/tests/mpk/attack --sched-thread fn
--expect-status=134 $b/tests/mpk/attack --sched-thread handle
$b/tests/lwip/mbox-mpk none
--expect-status=123 $b/tests/lwip/mbox-mpk ring
--expect-status=123 $b/tests/lwip/mbox-mpk struct
--expect-status=134 $b/tests/mpk/attack --sched-thread zero
$b/tests/mpk/attack --sched-many
$b/tests/mpk/attack-shared --sched-many
--expect-status=134 $b/tests/mpk/attack --sched-deputy runq
--expect-status=134 $b/tests/mpk/attack --sched-deputy heap
$b/tests/mpk/attack --sched-wake none
$b/tests/mpk/attack --sched-wake sem
$b/tests/mpk/attack --sched-wake timeout
$b/tests/mpk/attack --sched-wake mutex
$b/tests/mpk/attack-shared --sched-wake sem
$b/tests/mpk/attack --sched-join none
$b/tests/mpk/attack --sched-join state
$b/tests/mpk/attack --sched-join rec
$b/tests/mpk/attack-shared --sched-join state
$b/tests/mpk/attack --sched-join result
$b/tests/mpk/attack --sched-join hijack
--expect-status=134 $b/tests/mpk/attack --sched-join reuse
--expect-status=134 $b/tests/mpk/attack-shared --sched-join reuse
$b/tests/mpk/attack --sched-join detached
$b/tests/mpk/attack --sched-wake fd
--expect-status=134 $b/tests/mpk/attack --sched-join reuse-exited
--expect-status=134 $b/tests/mpk/attack --sched-record swap
$b/tests/mpk/attack --sched-join dead-list
$b/tests/mpk/attack --sched-current none
--expect-status=134 $b/tests/mpk/attack --sched-current mutex
--expect-status=134 $b/tests/mpk/attack --sched-current switch
--expect-status=134 $b/tests/mpk/attack --sched-current first
--expect-status=134 $b/tests/mpk/attack-shared --sched-current mutex
--expect-status=134 $b/tests/mpk/attack --sched-join reuse-first
--expect-status=134 $b/tests/mpk/attack-shared --sched-join reuse-first
$b/tests/mpk/attack --sched-current thread
$b/tests/mpk/attack --sched-current main
--expect-status=134 $b/tests/mpk/attack --look-jump new
--expect-status=134 $b/tests/mpk/attack-shared --look-jump new
--expect-status=134 $b/tests/mpk/attack --look-jump first
env FLEXOS_MPK_SYSCALL_FILTER=off $b/tests/mpk/attack --look-signal
env FLEXOS_MPK_SYSCALL_FILTER=off $b/tests/mpk/attack-shared --look-signal
EOS

# check_vm N TEXT WHAT: the output of command N holds TEXT.
check_vm() {
	vm_output "$1" | grep -qF -- "$2" || fail "no '$2' in the output of command $1"
	pass "$3"
}
# no_vm N TEXT WHAT: the output of command N lacks TEXT.
no_vm() {
	! vm_output "$1" | grep -qF -- "$2" || fail "'$2' in the output of command $1"
	pass "$3"
}
check_vm 1 "the thread resumed in lib1 and returned 44 (in app)" "unchanged record: the thread resumes in lib1"
check_vm 2 "was suspended at another stack pointer than the scheduler's" "saved stack pointer to a forged frame: reported"
no_vm 2 "forged frame runs" "saved stack pointer to a forged frame: never run with lib1's rights"
check_vm 3 "is in another compartment than the scheduler's copy says" "compartment changed: reported"
check_vm 4 "names no record" "record handle to no record: reported"
check_vm 5 "is another OS thread's, or free" "record handle to a free record: reported"
for n in 3 4 5; do
	no_vm $n "resumed in lib1" "command $n: the thread never resumes"
done
check_vm 6 "the thread resumed in lib1 and returned 44 (in app)" "shared stacks: unchanged record: the thread resumes"
check_vm 7 "was suspended at another stack pointer than the scheduler's" "shared stacks: saved stack pointer to a forged frame: reported"
no_vm 7 "forged frame runs" "shared stacks: the forged frame never runs"
check_vm 8 "is in another compartment than the scheduler's copy says" "shared stacks: compartment changed: reported"
check_vm 9 "380 in flexos__mpk_thread_resume" "the switch's path: 380 instructions in the resume per round trip (with the system calls that hold signals and put the mask back, 2 per switch), 4 WRPKRUs"
# Only a thread ends its own switch record (limit 14, "Scheduler threads").
check_vm 16 "the thread resumed in lib1 and returned 44 (in app)" \
	"app frees the record of a thread suspended in lib1: not freed, the thread resumes"
no_vm 16 "flexos: " "app frees the record of a thread suspended in lib1: no report"
check_vm 17 "flexos_sched_exit: called inside a gate call" \
	"a thread exits inside a gate call: the image ends with the reason"
no_vm 17 "returned" "a thread exits inside a gate call: its caller never resumes"
check_vm 18 "the record held 1 stack(s) of lib1's pool, 1 after app freed it" \
	"a thread that ended its own record, then was suspended in lib1, is freed by app: lib1's stack stays its record's"
check_vm 18 "is of a thread that has ended" "and the switch to that thread is reported"
# Limit 6: the switch carries a suspended gate call's floating-point control.
check_vm 19 "has MXCSR control 0x5f80 and x87 control word 0xb7f" \
	"a thread suspended in lib1, back after app's own gate call on its OS thread: its own rounding"
# Timers (limit 13): a callback runs only from the backend's record, in
# the compartment that bound it.
check_vm 10 "sched-timer none: app's callback ran 1 time(s)" "a timer's callback runs in its compartment"
check_vm 11 "sched-timer fn: app's callback ran 1 time(s)" \
	"lib1 rewrites the function and argument of app's timer: app's own callback runs"
no_vm 11 "stolen_tick" "lib1 rewrites the function and argument of app's timer: its choice never runs"
check_vm 12 "a timer or descriptor callback (or a new thread's function) registered by another compartment, for another timer, watch or thread, or forged" \
	"lib1 points app's timer at a record app did not bind: the image ends with the reason"
check_vm 13 "a timer or descriptor callback (or a new thread's function) registered by another compartment, for another timer, watch or thread, or forged" \
	"lib1 sets app's timer's record to none and its function to its choice: the image ends with the reason"
no_vm 13 "stolen_tick" "lib1 sets app's timer's record to none: its choice never runs"
check_vm 14 "a timer or descriptor callback (or a new thread's function) registered by another compartment, for another timer, watch or thread, or forged" \
	"lib1 points app's timer at another timer's record of app's: the image ends with the reason"
no_vm 14 "app_other" "lib1 points app's timer at another timer's record of app's: that callback never runs for it"
check_vm 15 "sched-timer watch: app's callback ran 1 time(s)" \
	"lib1 rewrites the callback and argument of app's descriptor watch: app's own callback runs"
no_vm 15 "stolen_watch" "lib1 rewrites app's descriptor watch: its choice never runs"
# A new scheduler thread's function and argument (limit 13): from the
# record bound when it was made, in its creator's compartment.
check_vm 20 "sched-thread none: app's thread ran app_start(0x7) in app" "a new scheduler thread runs its creator's function"
check_vm 21 "sched-thread fn: app's thread ran app_start(0x7) in app" \
	"lib1 rewrites the function and argument of app's thread before it starts: app's own function runs"
no_vm 21 "stolen_start" "lib1 rewrites app's new thread's function: its choice never runs"
check_vm 22 "a timer or descriptor callback (or a new thread's function) registered by another compartment, for another timer, watch or thread, or forged" \
	"lib1 points app's new thread at a record app did not bind: the image ends with the reason"
# lwIP's mailboxes on the scheduler (limit 13): the sys_arch and the ring
# it gives are in lwIP's compartment (net), its heap.
check_vm 23 "mbox none: net fetched 0x1234" "net's mailbox of lwIP's sys_arch carries what net posted"
check_vm 24 "the address belongs to compartment 'net': heap" "app rewriting the message in net's mailbox ring: a protection-key fault"
no_vm 24 "net fetched" "app rewriting the message in net's mailbox ring: net never fetches it"
check_vm 25 "the address belongs to compartment 'net': heap" "app pointing net's mailbox at a ring of its own: a protection-key fault"
no_vm 25 "net fetched" "app pointing net's mailbox at a ring of its own: net never fetches from it"
check_vm 26 "a timer or descriptor callback (or a new thread's function) registered by another compartment, for another timer, watch or thread, or forged" \
	"lib1 sets app's new thread's record to none and its function to its choice: the image ends with the reason"
no_vm 26 "stolen_start" "lib1 sets app's new thread's record to none: its choice never runs"
# Running out: app's pool of stacks (private stacks), the switch records
# (shared stacks): -EAGAIN, and the image goes on.
check_vm 27 "has no thread stack left for a new scheduler thread" \
	"scheduler threads past app's pool of stacks: the reason on stderr"
check_vm 27 "threads made, then -11 (Resource temporarily unavailable)" \
	"scheduler threads past app's pool of stacks: -EAGAIN"
check_vm 28 "sched-many: 4096 threads made, then -11 (Resource temporarily unavailable)" \
	"shared stacks: the 4097th live scheduler thread gets -EAGAIN (MPK_UREC_MAX)"
check_vm 28 "sched-many: 4096 of 4096 joined" "shared stacks: the 4096 threads made all run and are joined"
# Limit 13: the scheduler writes through no pointer of its key-0 state that
# names memory outside its own region.
for n in 29 30; do
	check_vm $n "a pointer in the scheduler's memory names memory outside it" \
		"lib1 points the scheduler's state into app's data: the scheduler's report (command $n)"
	no_vm $n "app's secret is" "app's data is never written by the scheduler (command $n)"
done
# Limit 13: a wake-up lib1 forges in the scheduler's state gives app's
# waiter nothing app did not give (a unit, an early timeout, the mutex).
check_vm 31 "sched-wake none: app's waiter: flexos_sem_wait returned 0 after app posted" \
	"an app thread waiting on app's semaphore gets the unit app posts"
for n in 32 33 35; do
	check_vm $n "flexos_sem_wait returned 0 after app posted" \
		"lib1 marks app's thread waiting on app's semaphore woken: it waits for app's post (command $n)"
done
check_vm 34 "flexos_mutex_lock returned 0 after app unlocked" \
	"lib1 marks app's thread waiting for app's mutex woken: it waits until main unlocks"
# Limit 13: a thread's end and result come from its switch record, which
# names its thread, never from the scheduler's memory.
check_vm 36 "sched-join none: app's join returned 0, result 0x7" "app's join gets its thread's result"
for n in 37 39; do
	check_vm $n "sched-join state: app's join returned 0, result 0x7" \
		"lib1 marks app's running thread exited with a result: app's join waits for the real one (command $n)"
done
check_vm 38 "sched-join rec: app's join returned -35, result 0" \
	"lib1 also points the thread at another exited thread's record: app's join never takes that result"
check_vm 40 "sched-join result: app's join returned 0, result 0x7" \
	"lib1 rewrites the result of app's exited thread: app's join gets the thread's own, from its record"
check_vm 41 "sched-join hijack: lib1's record naming app's thread is refused: another record names it" \
	"lib1 makes a record naming app's thread (urec_new by hand): refused, one record at most names a thread"
check_vm 41 "sched-join hijack: app's join returned 0, result 0x7" "and app's join gets its thread's result"
for n in 42 43 46; do
	# 42, 43: waiting; 46: exited, its record freed by lib1 first (urec_free)
	check_vm $n "handed out the control block of a thread that has not been released" \
		"lib1 puts app's thread's control block on the scheduler's free list: app's next create is reported (command $n)"
	no_vm $n "app's next thread:" "and no thread is made over it (command $n)"
done
check_vm 44 "after app's switches, lib1's exited detached thread's record is still in use" \
	"lib1's detached thread that exited is left by app's switches"
check_vm 44 "after lib1's switch, its record is free" "and released by a switch in lib1"
check_vm 44 "app's own detached thread, exited: its record is free" \
	"a thread app detached is released by app's switch after it exits"
check_vm 47 "sched-record swap: the second thread resumed, in app" \
	"app points its thread at another suspended thread's record: the other resumes, in its own compartment, where it stopped"
check_vm 47 "the scheduler's current thread is not the thread running on this OS thread" \
	"and the other, running where the scheduler believes the first runs, is reported at its next scheduler call"
no_vm 47 "the changed record was used" "and the first thread's join never returns"
check_vm 48 "sched-join dead-list: app's join returned 0, result 0x7" \
	"lib1 links app's exited, unjoined thread into the list of dead threads: app's switches leave it for its join"
no_vm 48 "made over the exited one" "and no thread is made over it"
check_vm 45 "flexos_sched_wait_fd returned 1 after app wrote" \
	"lib1 marks app's thread waiting for app's pipe woken with EPOLLIN: it waits until app writes"
for n in 54 55; do
	check_vm $n "handed out the control block of a thread that has not been released" \
		"lib1 puts the control block of app's OS thread's own context on the free list: app's next create is reported (command $n)"
	no_vm $n "app's next thread:" "and no thread is made over it (command $n)"
done
check_vm 56 "lib1's new OS thread's urec_first of app's thread returned -1" \
	"lib1 tells the backend that its own OS thread's context is app's thread: refused, one record at most names a thread"
# Limit 13: the scheduler acts only for the thread that runs: its current
# thread is checked against the backend's records (the gate page names the
# running thread's switch record; the OS thread's own context's names the
# state its scheduler told the backend first).
check_vm 49 "sched-current none: app's thread unlocked its mutex and returned 0x7" \
	"unchanged: main's unlock of another thread's mutex is refused, the holder unlocks it"
for n in 50 51 52 53; do
	check_vm $n "the scheduler's current thread is not the thread running on this OS thread" \
		"lib1 makes app's thread holding app's mutex the scheduler's current thread: reported (command $n)"
	no_vm $n "returned 0: FAIL" "main never unlocks the other thread's mutex (command $n)"
done
no_vm 51 "app's other thread ran" "and no switch saves main's registers as the other thread's"
check_vm 52 "lib1's urec_first of app's thread returned -1" \
	"lib1 cannot tell the backend that app's thread is the OS thread's own context"
check_vm 57 "urec_first of app's main context returned -1, then of a state of its own 0" \
	"lib1's OS thread tells the backend that its own context is app's main context (another OS thread's own context): refused, and the refusal undone"
# urec_new and urec_first open the gate page again after their look: what
# they write then, and where, comes from the page's look word, which only
# a look sets; a jump to that opening with registers of lib1's choosing
# is reported (before, lib1's code ran with app's PKRU).
for n in 58 59; do
	check_vm $n "urec_new opened this thread's gate page again after a look for another record naming its thread, but no look was in progress" \
		"lib1 jumps to urec_new's second opening with app's thread's record: reported (command $n)"
	no_vm $n "read app's secret" "and lib1's code never runs with app's rights (command $n)"
done
check_vm 60 "urec_first opened this thread's gate page again after a look for another record naming its thread, but no look was in progress" \
	"lib1 jumps to urec_first's undo with its page's cur as the record: reported"
no_vm 60 "read app's secret" "and lib1's code never runs with app's rights"
# A signal delivered inside urec_first's look (a breakpoint there, in a
# traced child: the filter off) runs lib1's handler, and the image goes on;
# the handler, never going back to the look, finds the state the look was
# for not taken for running (MPK_NAMED; before, it was).
for n in 61 62; do
	check_vm $n "lib1's OS thread stopped in urec_first's look; SIGUSR1 delivered there" \
		"a signal inside urec_first's look runs lib1's handler (command $n)"
	check_vm $n "the backend takes app's thread for running on this OS thread: no" \
		"and the state the look was for is not taken for running there (command $n)"
done
