#!/bin/sh
# The intel-mpk system-call filter (backends/mpk/filter.c), in one boot of
# the emulated-PKU VM (tests/vm/run; natively where the host has PKU): a
# library in compartment 'evil' asks the kernel for the application's
# memory, one PKU Pitfalls class a command (tests/mpk/syscalls.c). Each
# call the filter denies must end the image with the SIGSYS report naming
# the call and the compartment (status 123); each /proc mem file must be
# refused with the secret intact; what a library may do with its own
# memory (the control) must still work, from main's thread and from a
# thread made after start-up. With the filter off (FLEXOS_MPK_SYSCALL_FILTER=off)
# two of the attacks must go through, which shows the cases can fail.
# The thread stacks' pool (backends/mpk/stacks.c, limit 14): from a thread
# made after start-up, 'evil' unmaps, re-protects, re-keys, maps over and
# zeroes a page of the application's stack of another thread (made after
# start-up too, waiting in 'app'): each denied by the filter (before the
# pool each went through); 'evil' writing the pool's holders (to mark the
# waiting thread's stack free) is a fault; threads made one after another
# (pthreads, and the scheduler's) give their stacks back, a pool of 2 is
# enough (without the giving back each ends at its third thread), but
# the stacks of a live thread whose page was taken by a forged
# registration stay out of the pool (attack --stack-steal; given back,
# the next thread got the parked thread's stack); an exhausted or
# mis-sized pool is said, naming FLEXOS_MPK_STACKS. The same five calls
# against the frame of a scheduler thread of 'app' made after start-up
# (its stack comes from app's pool: before, the backend keyed the
# scheduler's own mapping after start-up, and 'evil' re-keyed it to key 0;
# with the filter off it still does, the control of that case). And the
# signal-return nonce's page, the report stack, the scheduler's switch and
# callback records, the gate stacks, the signal stacks and the copies of
# signal frames: re-keyed, unmapped or
# re-protected, denied (before, the nonce's page was outside the ranges:
# re-keyed to key 0, any compartment read the nonce; with the filter off
# it still is, the control). And the kernel's readers that run under the
# PKRU of whatever compartment the thread is in when they fire: 'evil'
# samples its own thread's user stack (perf_event_open) or puts a BPF
# program on every system call's entry (bpf), then calls into 'app', which
# keeps a value on its stack and makes calls: denied; with the filter off
# each reads what app holds, the control. Syscall user dispatch with its
# selector on a byte of app's (the kernel reads it at each of app's calls:
# an oracle): denied. As root: the module helper named in
# /proc/sys/kernel/modprobe (run by the kernel as root, outside the filter
# and Landlock: it writes app's secret through /proc/<pid>/mem), a uprobe
# defined through tracefs that fetches app's secret in app's thread, and
# /proc/kcore: refused by Landlock (/proc and /sys read-only, kcore not at
# all); with the filter off each goes through (in the VM only: they change
# the machine's state, put back after). init_module: denied; with the
# filter off it reaches the module loader (which refuses a non-module).
# rseq (an attack review's): 'evil' names the image's code as the critical
# section of its thread's rseq area (glibc's, in key-0 TLS, or one it
# registers) and a gadget of its own as the abort address, and calls into
# 'app': preempted there, the kernel would move the thread to the gadget
# with app's PKRU. Every thread gives up glibc's area and the filter
# refuses registrations (ENOSYS); with the filter off a registered area's
# gadget reads and writes app's secret. shmat(SHM_EXEC) (an attack
# review's): new code without mmap, a PKRU writer that reads and writes
# app's secret: denied, as root and as a user; with the filter off it
# does. arch_prctl(ARCH_ENABLE_TAGGED_ADDR): denied (on LAM hardware the
# kernel would untag addresses the range rules compare raw; this kernel
# has no LAM: the control only reaches the kernel). userfaultfd through
# /dev/userfaultfd (root; an attack review's): the ioctl that makes one is
# denied; with the filter off UFFDIO_COPY fills a page of app's that
# nothing had touched. The denied prctl options and arch_prctl codes with
# bits above the low 32, which the kernel drops (an attack review's: the
# rules compared 64 bits, and PR_SET_MM_MAP pointed /proc/self/environ at
# app's heap, read past PKRU): denied; filter off: read. The /proc helper
# (backends/mpk/procfiles.c) flooded with two-descriptor requests keeps
# answering (it leaked both: 1023 descriptors, then EMFILE, checked by
# hand with the old helper). set_tid_address (an attack review's): on a
# thread app made, 'evil' points clear_child_tid at app's secret, which the
# kernel zeroes when the thread exits in app, under app's PKRU: denied, as
# root and as a user; with the filter off the secret is zeroed.
# sigaltstack (an attack review's): a thread of evil's names a signal stack
# over app's heap, crosses into app and gets a signal, and the kernel
# writes its frame there under app's PKRU, a word of evil's choosing on
# app's secret: refused (EPERM), the filter allowing only the stack_t of
# the runtime's reserved stacks; with the filter off the secret is
# overwritten. rt_sigaction itself (an attack review's class): a handler
# 'evil' installs past the runtime's sigaction runs, for a signal that
# interrupts app, with app's registers whole in its frame: refused (EPERM),
# the filter allowing only the runtime's actions (a read-only table); with
# the filter off the handler reads app's value in a register. Three from
# a review of those two fixes (checked failing by hand before their fix):
# the delivery stub installed raw from the table for a signal nobody
# handles left app's registers on the signal stack (now scrubbed);
# sigaltstack at the table's last bytes, and rt_sigaction across two
# actions, read stack_t and actions made up of the table's and the next
# memory's bytes (now only an entry's start is allowed). A known limit
# (TAP TODO), found the same day: the delivery stub's snapshot of the
# interrupted frame, in this thread's copy areas, has the gate key, which
# every compartment reads: 'evil' reads app's registers there after a
# signal it handles interrupted app (copy-area-read). Closed since with
# a key of their own (the copy key), which only the delivery stub and the
# restorer open: the attack reads each page of the areas through a pipe
# and finds app's value in none it can read (the first page of each
# thread's last area, which rt_sigreturn reads with the compartment's
# PKRU, has the gate key: uc_flags, uc_link, uc_stack). clone with
# CLONE_CHILD_CLEARTID at app's secret (clone-cleartid): the kernel
# writes 0 there when the thread ends, under the PKRU it has then; evil's
# thread ends in app. The clone site writes child_tid (its value kept)
# with the caller's PKRU first: evil's write faults, reported; with the
# filter off (no clone site) the secret is zeroed (and, checked by hand,
# with the filter on and the site without that write). A thread's
# robust-futex list (robust-list): on a thread app made, evil points the
# list glibc registered (its head in the thread's descriptor, key 0) at
# app's word holding the thread's id; the kernel walks it when the thread
# ends, in app, and marks that word owner-died. No thread has a list
# (the start-up thread's is dropped, set_robust_list with a head gets
# EPERM), and a robust mutex is refused (ENOTSUP); with the filter off
# app's word is rewritten. A child of fork() that runs a program (exec):
# the filters outlive execve, and every program (static or dynamic) died
# of SIGSYS at its first system calls; execve now fails with EPERM.
# From an attack review of those changes (each failing before its fix):
# a jump past the delivery stub's check with the "frame" in another
# thread's copy area had the copy window read app's registers
# (copy-key-read: each of 17 reads now reported); a forged frame's
# uc_stack, through the restorer, became the thread's signal stack, over
# app's heap (sigreturn-altstack: the copy's uc_stack is made one that
# sigaltstack refuses); a jump past the clone site's write of child_tid
# (clone-cleartid-jump: written again before the syscall, status 139).
# A second review: a jump to the restorer's closing WRPKRU with %rsp in
# another thread's copy area (restorer-close-read: %rsp now checked).
# The filter's list of allowed calls: kcmp, iopl and a call newer than
# Linux 6.1 (cachestat, 451), which the list leaves out, are reported
# (with the filter off: kcmp answers, iopl(3) succeeds as root, 451 is
# ENOSYS). AMX's tile data asked for (amx-perm): EPERM, since its frames
# would be larger than the restorer takes. A gate's carry page, where a
# call's stack arguments and sret result wait between two copies, written
# by evil (carry-page): reported (gate key; before, key 0, written).
# set*id with two threads (setxid): the image ends, saying why (before:
# glibc's SIGSETXID handler, refused by the sigaction filter, left the
# signal's default action, status 161, with no word).
# SIGSYS: never sent (sigsys-send, a siginfo like the filter's: reported),
# and one the filter did not raise (a timer's) ends the image
# (sigsys-timer, 159; before, the raw handler returned and the restorer
# resumed its frame from the signal stack, key 0).
# The /proc helper, asked by evil as root with a pid of its choosing
# (proc-helper-forge): serves only the image and its descendants.
# arch_prctl: only the options the list names (arch-option: a newer
# kernel's, ARCH_SHSTK_ENABLE, reported; ARCH_GET_FS answers).
# The SIGSYS report runs with every signal blocked (sigsys-mask: SIGUSR1
# every 20 µs to the thread that makes a denied call; its handler never
# runs during the report).
# If the VM cannot run, this fails, unless FLEXOS_VM_OPTIONAL=1 (then: skip).
. "${0%/*}/../lib/testlib.sh"
set -u
img=$top_builddir/tests/mpk/syscalls
attack=$top_builddir/tests/mpk/attack
sched=$top_builddir/tests/sched/sched-mpk
setpriv="$(command -v setpriv) --reuid=65534 --regid=65534 --clear-groups"
tracefs='test -e /sys/kernel/tracing/uprobe_events || mount -t tracefs nodev /sys/kernel/tracing'
# tools/flexos-run's VM has /flexos/count; natively (a PKU host) a control
# that changes the machine is not run.
in_vm='test -e /flexos/count || { echo "natively: not run"; exit 1; }'

# mode, then what stops it: the name of the denied call, or "landlock".
cases='pkey_alloc pkey_alloc
pkey_free pkey_free
pkey_mprotect pkey_mprotect
mprotect mprotect
mmap-fixed mmap
mmap-fixed-below mmap
mmap-fixed-long mmap
munmap munmap
mremap mremap
mremap-fixed mremap
madvise madvise
proc-mem-read landlock
proc-mem-write landlock
task-mem-read landlock
tid-mem-write landlock
process_vm_readv process_vm_readv
process_vm_writev process_vm_writev
ptrace ptrace
userfaultfd userfaultfd
personality personality
seccomp seccomp
prctl-seccomp prctl
prctl-dumpable prctl
mmap-exec mmap
mprotect-exec mprotect
io_uring io_uring_setup
arch_prctl-fs arch_prctl
perf_event_open perf_event_open
bpf bpf
syscall-user-dispatch prctl
module-helper landlock
uprobe landlock
kcore landlock
init_module init_module
shmat-exec shmat
tagged-addr arch_prctl
userfaultfd-dev ioctl
prctl-mm-high prctl
arch_prctl-fs-high arch_prctl
int80 badarch
x32 badarch'

# Against the application's stack of another thread (the pool's range).
stack_cases='munmap munmap
mprotect mprotect
pkey_mprotect pkey_mprotect
mmap-fixed mmap
madvise madvise'

# Against the backend's own memory: the nonce's page, the report stack.
control_cases='pkey_mprotect pkey_mprotect
mprotect mprotect
munmap munmap'

# The commands go to a file first: vm_script must not run in a pipeline,
# where its skip (no VM) could not end this script.
{
	echo "$img control"
	echo "$img control thread"
	echo "$cases" | while read -r mode how; do
		if [ "$mode" = uprobe ]; then  # tracefs, which the VM does not mount
			echo "sh -c '$tracefs; exec $img uprobe'"
		elif [ "$how" = landlock ]; then
			echo "$img $mode"
		elif [ "$how" = badarch ]; then  # killed by SIGSYS: 128 + 31
			echo "--expect-status=159 $img $mode"
		else
			echo "--expect-status=123 $img $mode"
		fi
	done
	echo "--expect-status=123 $img munmap thread"
	echo "$img proc-mem-write thread"
	# As a user: non-dumpable alone closes the mem file there (root owns it).
	echo "$setpriv $img control"
	echo "$setpriv $img proc-mem-write"
	# Without the filter the same attacks go through: the cases can fail.
	echo "--expect-status=1 env FLEXOS_MPK_SYSCALL_FILTER=off $img process_vm_writev"
	echo "--expect-status=1 env FLEXOS_MPK_SYSCALL_FILTER=off $img proc-mem-write"
	echo "$stack_cases" | while read -r mode how; do
		echo "--expect-status=123 $img $mode stack"
	done
	echo "$img control stack"
	echo "--expect-status=123 $img pool-forge"
	echo "env FLEXOS_MPK_STACKS=2 $attack --thread-reuse"
	echo "env FLEXOS_MPK_STACKS=2 $sched --churn"
	echo "--expect-status=134 env FLEXOS_MPK_STACKS=1 $img munmap stack"
	echo "--expect-status=125 env FLEXOS_MPK_STACKS=0 $img control"
	echo "--expect-status=134 env FLEXOS_MPK_STACKS=2 $attack --stack-steal"
	echo "$stack_cases" | while read -r mode how; do
		echo "--expect-status=123 $img $mode sched"
	done
	echo "$img control sched"
	echo "--expect-status=1 env FLEXOS_MPK_SYSCALL_FILTER=off $img pkey_mprotect sched"
	for what in nonce report records gatestacks callbacks altstacks copyareas; do
		echo "$control_cases" | while read -r mode how; do
			echo "--expect-status=123 $img $mode $what"
		done
	done
	echo "--expect-status=1 env FLEXOS_MPK_SYSCALL_FILTER=off $img pkey_mprotect nonce"
	echo "--expect-status=1 env FLEXOS_MPK_SYSCALL_FILTER=off $img pkey_mprotect records"
	echo "--expect-status=1 env FLEXOS_MPK_SYSCALL_FILTER=off $img perf_event_open"
	echo "--expect-status=1 env FLEXOS_MPK_SYSCALL_FILTER=off $img bpf"
	echo "--expect-status=1 env FLEXOS_MPK_SYSCALL_FILTER=off $img syscall-user-dispatch"
	echo "env FLEXOS_MPK_SYSCALL_FILTER=off $img init_module"
	echo "$img rseq"
	echo "$img rseq-register"
	echo "$setpriv $img rseq-register thread"
	echo "--expect-status=1 env FLEXOS_MPK_SYSCALL_FILTER=off $img rseq-register"
	echo "env FLEXOS_MPK_SYSCALL_FILTER=off $img rseq"
	echo "--expect-status=123 $setpriv $img shmat-exec"
	echo "--expect-status=1 env FLEXOS_MPK_SYSCALL_FILTER=off $img shmat-exec"
	echo "env FLEXOS_MPK_SYSCALL_FILTER=off $img tagged-addr"
	echo "--expect-status=1 env FLEXOS_MPK_SYSCALL_FILTER=off $img userfaultfd-dev"
	echo "--expect-status=1 env FLEXOS_MPK_SYSCALL_FILTER=off $img prctl-mm-high"
	echo "$img proc-helper-flood"
	echo "$setpriv $img proc-helper-flood"
	echo "--expect-status=123 $img set-tid-address thread"
	echo "--expect-status=123 $setpriv $img set-tid-address thread"
	echo "--expect-status=1 env FLEXOS_MPK_SYSCALL_FILTER=off $img set-tid-address thread"
	echo "$img sigaltstack-frame"
	echo "$setpriv $img sigaltstack-frame"
	echo "--expect-status=1 env FLEXOS_MPK_SYSCALL_FILTER=off $img sigaltstack-frame"
	echo "$img raw-sigaction"
	echo "$setpriv $img raw-sigaction"
	echo "--expect-status=1 env FLEXOS_MPK_SYSCALL_FILTER=off $img raw-sigaction"
	echo "$img stub-noscrub"
	echo "$setpriv $img stub-noscrub"
	echo "$img stub-scrub-control"
	echo "$img table-tail"
	echo "$img misaligned-action"
	echo "$img copy-area-read"
	echo "--expect-status=123 $img clone-cleartid"
	echo "--expect-status=123 $setpriv $img clone-cleartid"
	echo "--expect-status=1 env FLEXOS_MPK_SYSCALL_FILTER=off $img clone-cleartid"
	echo "$img robust-list"
	echo "$setpriv $img robust-list"
	echo "--expect-status=1 env FLEXOS_MPK_SYSCALL_FILTER=off $img robust-list"
	echo "$img exec"
	echo "--expect-status=1 env FLEXOS_MPK_SYSCALL_FILTER=off $img exec"
	echo "$img proc-helper-empty"
	echo "--expect-status=1 env FLEXOS_MPK_SYSCALL_FILTER=off $img pkey_mprotect altstacks"
	for mode in kcmp newer-call iopl; do
		echo "--expect-status=123 $img $mode"
	done
	echo "--expect-status=123 $setpriv $img kcmp"
	echo "--expect-status=1 env FLEXOS_MPK_SYSCALL_FILTER=off $img kcmp"
	echo "env FLEXOS_MPK_SYSCALL_FILTER=off $img newer-call"
	echo "--expect-status=1 env FLEXOS_MPK_SYSCALL_FILTER=off $img iopl"
	echo "$img cancel"
	echo "sh -c '$img cancel-blocked; echo status \$?'"
	echo "$img copy-key-read"
	echo "$img sigreturn-altstack"
	echo "--expect-status=139 $img clone-cleartid-jump"
	echo "$img restorer-close-read"
	echo "$img amx-perm"
	echo "--expect-status=1 env FLEXOS_MPK_SYSCALL_FILTER=off $img amx-perm"
	echo "--expect-status=123 $img carry-page"
	echo "--expect-status=134 $img setxid"
	echo "--expect-status=134 $setpriv $img setxid"
	echo "--expect-status=123 $img sigsys-send"
	echo "--expect-status=123 $setpriv $img sigsys-send"
	echo "--expect-status=159 $img sigsys-timer"
	echo "$img proc-helper-forge"
	echo "--expect-status=123 $img arch-option"
	echo "env FLEXOS_MPK_SYSCALL_FILTER=off $img arch-option"
	# These change the machine's state (put back after): in the VM only.
	for mode in module-helper uprobe kcore; do
		echo "--expect-status=1 sh -c '$in_vm; $tracefs; exec env FLEXOS_MPK_SYSCALL_FILTER=off $img $mode'"
	done
	echo "--expect-status=123 $img sigsys-mask"
	echo "--expect-status=139 $img report-forge-sigsys"
	echo "--expect-status=139 $img report-forge-segv"
	echo "--expect-status=139 $img report-fpregs-adjacent"
} >"$WORK/commands"
vm_script 600 --file "$attack" --file "$sched" <"$WORK/commands"

check_vm() {  # check_vm N TEXT WHAT: the output of command N holds TEXT
	vm_output "$1" | grep -qF -- "$2" || fail "$3: no '$2' in the output of command $1"
	pass "$3"
}
no_vm() {  # no_vm N TEXT WHAT: the output of command N does not hold TEXT
	! vm_output "$1" | grep -qF -- "$2" || fail "$3: '$2' in the output of command $1"
	pass "$3"
}

check_vm 1 "control: ok" "a library still maps, protects, advises, remaps and unmaps its own memory"
check_vm 2 "control: ok" "the same from a thread made after start-up"
n=3
echo "$cases" | {
	while read -r mode how; do
		if [ "$how" = landlock ]; then
			check_vm $n "$mode: refused (Permission denied); secret intact" \
				"$mode: the mem file cannot be opened"
		elif [ "$how" = badarch ]; then
			vm_output $n | grep -q "NOT STOPPED" && fail "$mode: went through"
			pass "$mode: a call through another ABI ($([ "$mode" = x32 ] && echo 'x32, x86_64 numbers with bit 30' || echo i386)) kills the process (status 159, checked by the VM run)"
		else
			check_vm $n "compartment 'evil' made a system call the intel-mpk filter denies: $how(" \
				"$mode: denied, with a report naming $how and the compartment"
		fi
		n=$((n + 1))
	done
	check_vm $n "compartment 'evil' made a system call the intel-mpk filter denies: munmap(" \
		"munmap from a thread made after start-up: denied"
	check_vm $((n + 1)) "proc-mem-write: refused (Permission denied); secret intact" \
		"/proc/self/mem from a thread made after start-up: refused"
	check_vm $((n + 2)) "control: ok" "as uid 65534: the control"
	check_vm $((n + 3)) "proc-mem-write: refused (Permission denied); secret intact" \
		"as uid 65534: /proc/self/mem refused"
	check_vm $((n + 4)) "process_vm_writev: NOT STOPPED (secret now 0x29a)" \
		"filter off: process_vm_writev writes the application's secret (the kernel ignores PKRU)"
	check_vm $((n + 5)) "proc-mem-write: NOT STOPPED (secret now 0x29a)" \
		"filter off: so does /proc/self/mem"
	n=$((n + 6))
	echo "$stack_cases" | {
		while read -r mode how; do
			check_vm $n "compartment 'evil' made a system call the intel-mpk filter denies: $how(" \
				"$mode of app's stack of another thread, from a thread made after start-up: denied"
			n=$((n + 1))
		done
		check_vm $n "control: ok" "the control, with a thread waiting on its stack in app"
		check_vm $((n + 1)) "the address belongs to the thread stacks' holders" \
			"pool-forge: marking a stack in use free is a fault (gate key)"
		check_vm $((n + 2)) "thread-reuse: 40 threads" \
			"40 threads one after another with 2 stacks a compartment: stacks come back"
		check_vm $((n + 3)) "sched-image: churn ok" \
			"40 scheduler threads one after another with 2 stacks a compartment: stacks come back"
		check_vm $((n + 4)) "has no thread stack left for this thread: all 1 of its pool are in use (set FLEXOS_MPK_STACKS" \
			"an exhausted pool ends the thread's entry, naming FLEXOS_MPK_STACKS"
		check_vm $((n + 5)) "FLEXOS_MPK_STACKS='0' in the environment" \
			"a pool size out of range is refused at start-up"
		check_vm $((n + 6)) "compartment 'lib1' has no thread stack left" \
			"a live thread's page taken by a forged registration: its stacks stay out of the pool"
		n=$((n + 7))
		echo "$stack_cases" | {
			while read -r mode how; do
				check_vm $n "compartment 'evil' made a system call the intel-mpk filter denies: $how(" \
					"$mode of the stack of a scheduler thread of app made after start-up: denied"
				n=$((n + 1))
			done
			check_vm $n "control: ok" "the control, with a scheduler thread suspended in app"
			check_vm $((n + 1)) "pkey_mprotect: NOT STOPPED" \
				"filter off: the scheduler thread's stack is re-keyed to key 0 (the case can fail)"
			n=$((n + 2))
			for what in "nonce:the signal-return nonce's page" "report:the report stack" \
				"records:the scheduler's switch records" "gatestacks:the gate stacks" \
				"callbacks:the scheduler's callback records" "altstacks:the signal stacks" \
				"copyareas:the copies of signal frames"; do
				echo "$control_cases" | {
					while read -r mode how; do
						check_vm $n "compartment 'evil' made a system call the intel-mpk filter denies: $how(" \
							"$mode of ${what#*:}: denied"
						n=$((n + 1))
					done
				}
				n=$((n + 3))
			done
			check_vm $n "pkey_mprotect: NOT STOPPED" \
				"filter off: the nonce's page is re-keyed to key 0 (the case can fail)"
			check_vm $((n + 1)) "pkey_mprotect: NOT STOPPED" \
				"filter off: the switch records are re-keyed to key 0 (the case can fail)"
			check_vm $((n + 2)) "perf_event_open: NOT STOPPED" \
				"filter off: samples of evil's thread running in app hold app's stack (the kernel copies it under app's PKRU)"
			check_vm $((n + 3)) "bpf: NOT STOPPED" \
				"filter off: a BPF program on system-call entry reads app's secret when app makes a call"
			check_vm $((n + 4)) "syscall-user-dispatch: NOT STOPPED" \
				"filter off: app's calls go through, the kernel having read app's selector byte as 0 (an oracle)"
			check_vm $((n + 5)) "init_module: refused (Exec format error)" \
				"filter off, as root: init_module reaches the kernel's module loader (which refuses what is not a module)"
			check_vm $((n + 6)) "rseq: refused (No such file or directory); secret intact" \
				"rseq: glibc's area of the thread, named at a gadget of evil's: never used (every thread gave it up)"
			check_vm $((n + 7)) "rseq-register: refused (Function not implemented); secret intact" \
				"rseq: an area evil registers: refused (ENOSYS)"
			check_vm $((n + 8)) "rseq-register: refused (Function not implemented); secret intact" \
				"the same as uid 65534, from a thread made after start-up"
			check_vm $((n + 9)) "rseq-register: NOT STOPPED (secret now 0x29a)" \
				"filter off: evil's gadget ran in app with app's PKRU, read and wrote app's secret (the case can fail)"
			check_vm $((n + 10)) "rseq: refused (No such file or directory); secret intact" \
				"filter off: glibc's area is still given up (with it kept, checked by hand, the gadget ran in app)"
			check_vm $((n + 11)) "compartment 'evil' made a system call the intel-mpk filter denies: shmat(" \
				"shmat-exec as uid 65534: denied (the segment's mode lets a user attach it executable)"
			check_vm $((n + 12)) "shmat-exec: NOT STOPPED (secret now 0x29a)" \
				"filter off: evil's code in a SHM_EXEC segment opened every key, read and wrote app's secret (the case can fail)"
			check_vm $((n + 13)) "tagged-addr: refused (Invalid argument)" \
				"filter off: arch_prctl reaches the kernel, which has no LAM here (6.1)"
			check_vm $((n + 14)) "userfaultfd-dev: app's untouched page now holds 666" \
				"filter off: a userfaultfd made through /dev/userfaultfd fills a page of app's (the case can fail)"
			check_vm $((n + 15)) "read 8, value 0x5ec2e7 (secret 0x5ec2e7)" \
				"filter off: PR_SET_MM_MAP points /proc/self/environ at app's heap, which it reads past PKRU (the case can fail)"
			check_vm $((n + 16)) "a legitimate ask for status now: fd " \
				"the /proc helper, sent 700 requests with two descriptors each, still answers"
			no_vm $((n + 16)) "err 24" "and has not run out of descriptors"
			check_vm $((n + 17)) "a legitimate ask for status now: fd " \
				"the same as uid 65534"
			no_vm $((n + 17)) "err 24" "and has not run out of descriptors (uid 65534)"
			check_vm $((n + 18)) "compartment 'evil' made a system call the intel-mpk filter denies: set_tid_address(" \
				"set_tid_address on a thread app made: denied"
			check_vm $((n + 19)) "compartment 'evil' made a system call the intel-mpk filter denies: set_tid_address(" \
				"the same as uid 65534"
			check_vm $((n + 20)) "set-tid-address: NOT STOPPED (secret now 0)" \
				"filter off: the kernel zeroed app's secret when the thread ended in app (the case can fail)"
			check_vm $((n + 21)) "sigaltstack-frame: refused (Operation not permitted); secret intact" \
				"a signal stack over app's heap: refused (only the runtime's stacks)"
			check_vm $((n + 22)) "sigaltstack-frame: refused (Operation not permitted); secret intact" \
				"the same as uid 65534"
			check_vm $((n + 23)) "sigaltstack-frame: NOT STOPPED (app's heap secret now 0x41414)" \
				"filter off: the kernel's frame, with evil's siginfo word, written over app's heap secret (the case can fail)"
			check_vm $((n + 24)) "raw-sigaction: refused (Operation not permitted); secret intact" \
				"a handler installed with rt_sigaction itself: refused (only the runtime's actions)"
			check_vm $((n + 25)) "raw-sigaction: refused (Operation not permitted); secret intact" \
				"the same as uid 65534"
			check_vm $((n + 26)) "raw-sigaction: app's value in the frame's" \
				"filter off: the handler, run for a signal that interrupted app, read app's register in its frame (the case can fail)"
			check_vm $((n + 27)) "stub-noscrub: app's value not found" \
				"the runtime's delivery stub installed raw for a signal nobody handles: app's registers scrubbed from the frame"
			check_vm $((n + 28)) "stub-noscrub: app's value not found" "the same as uid 65534"
			check_vm $((n + 29)) "stub-noscrub: app's value not found" \
				"with a handler of evil's (the stub scrubbed that case before too)"
			check_vm $((n + 30)) "table-tail: refused (Operation not permitted); secret intact" \
				"sigaltstack inside the table but not at an entry: refused"
			check_vm $((n + 31)) "misaligned-action: refused (Operation not permitted); secret intact" \
				"rt_sigaction inside the actions' page but not at an action: refused"
			readable=$(vm_output $((n + 32)) | sed -n 's/.*not in the copy areas (\([0-9]*\) of \([0-9]*\) pages readable).*/\1 \2/p')
			set -- $readable
			[ $# = 2 ] && [ "$1" -gt 0 ] && [ "$1" -lt "$2" ] ||
				fail "copy-area-read: the pages evil reads of the copy areas: '$readable' (some, not all, expected)"
			check_vm $((n + 32)) "copy-area-read: refused (No such file or directory); secret intact" \
				"a handler of evil's for a signal that interrupted app: app's registers not in what evil reads of the stub's snapshots"
			for k in 33 34; do
				addr=$(vm_output $((n + k)) | sed -n 's/.*child_tid \(0x[0-9a-f]*\)).*/\1/p')
				vm_output $((n + k)) | grep -q "protection-key fault: compartment 'evil' tried to [a-z]* ${addr:-?}$" ||
					fail "no protection-key fault of evil's at child_tid (${addr:-?}) in the output of command $((n + k))"
				check_vm $((n + k)) "#0 0x" \
					"clone(CLONE_CHILD_CLEARTID) at app's secret: the clone site's write of child_tid faults, reported ($([ $k = 33 ] && echo root || echo 'uid 65534'))"
				vm_output $((n + k)) | grep -q "#0 0x[0-9a-f]* flexos__mpk_clone+" ||
					fail "the report's backtrace does not start in the clone site"
				pass "the report's backtrace starts in the clone site"
			done
			check_vm $((n + 35)) "clone-cleartid: NOT STOPPED (secret now 0)" \
				"filter off (no clone site): the thread that ends in app zeroes app's secret"
			for k in 36 37; do
				for line in "robust-list: a robust mutex: Operation not supported" \
					"robust-list: the main thread's registered list head (nil)" \
					"robust-list: the thread's registered list head (nil)" \
					"robust-list: set_robust_list: Operation not permitted"; do
					vm_output $((n + k)) | grep -qF "$line" || fail "no '$line' in the output of command $((n + k))"
				done
				check_vm $((n + k)) "robust-list: refused (Operation not permitted); secret intact" \
					"robust-futex lists: none registered (main thread, a new one), none allowed; robust mutexes refused ($([ $k = 36 ] && echo root || echo 'uid 65534'))"
			done
			check_vm $((n + 38)) "robust-list: NOT STOPPED (app's word holding thread " \
				"filter off: the kernel's walk of the list, as the thread ends in app, rewrites app's word"
			check_vm $((n + 39)) "exec: refused (Operation not permitted)" \
				"a child of fork() that runs a program: execve refused (EPERM), the image goes on"
			check_vm $((n + 40)) "exec: the child exited with 0" \
				"filter off: the program runs (with the filter it would die of SIGSYS at its first system calls)"
			check_vm $((n + 41)) "proc-helper-empty: refused (Input/output error); secret intact" \
				"a zero-length message to the /proc helper: it still answers the next request"
			check_vm $((n + 42)) "pkey_mprotect: NOT STOPPED" \
				"filter off: a signal stack is re-keyed to key 0 (the case can fail)"
			check_vm $((n + 43)) "compartment 'evil' made a system call the intel-mpk filter does not list: kcmp(" \
				"kcmp, which the filter's list leaves out: reported (123)"
			check_vm $((n + 44)) "compartment 'evil' made a system call the intel-mpk filter does not list: 451(" \
				"a call newer than Linux 6.1 (cachestat), which no review has listed: reported (123)"
			check_vm $((n + 45)) "compartment 'evil' made a system call the intel-mpk filter does not list: iopl(" \
				"iopl (root's port I/O), which the filter's list leaves out: reported (123)"
			check_vm $((n + 46)) "compartment 'evil' made a system call the intel-mpk filter does not list: kcmp(" \
				"kcmp as uid 65534: reported (123)"
			check_vm $((n + 47)) "kcmp: NOT STOPPED" "filter off: kcmp answers"
			# (6.1 has no cachestat: ENOSYS; from 6.5 the call answers, here
			# EBADF for its descriptor -1: FLEXOS_VM_KERNEL, tests/vm/README.md)
			vm_output $((n + 48)) | grep -Eq "^newer-call: refused \((Function not implemented|Bad file descriptor)\)" ||
				fail "filter off: cachestat: $(vm_output $((n + 48)) | grep '^newer-call')"
			pass "filter off: the kernel's own answer to cachestat (6.1: ENOSYS; 6.5 on: EBADF): the report above is the filter's"
			check_vm $((n + 49)) "iopl: NOT STOPPED" "filter off: iopl(3) succeeds as root"
			check_vm $((n + 50)) "cancel: the thread was cancelled" \
				"pthread_cancel of a thread that reaches pthread_testcancel: cancelled"
			vm_output $((n + 51)) | grep -qF "cancel-blocked: the thread was cancelled" ||
				fail "pthread_cancel of a thread in sleep: the image ended ($(vm_output $((n + 51)) | grep '^status'))"
			todo "pthread_cancel of a thread blocked at a cancellation point (sleep): cancelled" \
				"glibc's SIGCANCEL handler bypasses the runtime's sigaction: refused by the filter, the signal's default action ends the image (status 160)"
			[ "$(vm_output $((n + 52)) | grep -c "lies in the copies of signal frames")" = 17 ] ||
				fail "copy-key-read: not every read through the copy window reported"
			check_vm $((n + 52)) "copy-key-read: refused (No such file or directory); secret intact" \
				"a jump past the delivery stub's check with a frame in another thread's copy area: reported, each of 17 words (none read)"
			vm_output $((n + 53)) | grep -q "calibration thread's signal stack after the forged return: 0x[0-9a-f]* + 0x10000 flags 0 (asked" ||
				fail "sigreturn-altstack: no calibration line"
			! vm_output $((n + 53)) | grep -q "after the forged return: \(0x[0-9a-f]*\) + 0x10000 flags 0 (asked \1 " ||
				fail "sigreturn-altstack: the forged uc_stack became the thread's signal stack"
			check_vm $((n + 53)) "sigreturn-altstack: refused" \
				"a forged frame's uc_stack through the restorer: the thread's signal stack unchanged, app's heap intact"
			check_vm $((n + 54)) "clone-cleartid-jump: clone site past its probe" \
				"a jump past the clone site's first write of child_tid: the second, before the syscall, faults (SIGSEGV, signals blocked: status 139)"
			[ "$(vm_output $((n + 55)) | grep -c "lies in the copies of signal frames")" = 17 ] ||
				fail "restorer-close-read: not every jump to the restorer's closing WRPKRU reported before a read"
			check_vm $((n + 55)) "restorer-close-read: refused (No such file or directory); secret intact" \
				"a jump to the restorer's closing WRPKRU with %rsp in another thread's copy area: reported before any read, each of 17 (before: the restorer read the words, its report's reason telling them apart)"
			check_vm $((n + 56)) "amx-perm: refused (Operation not permitted); secret intact" \
				"AMX's tile data asked for (arch_prctl ARCH_REQ_XCOMP_PERM): EPERM, the image goes on (its frames would be 8 KiB larger than the restorer takes)"
			check_vm $((n + 57)) "amx-perm: NOT STOPPED" \
				"filter off: the kernel's own answer (no AMX here: not EPERM)"
			check_vm $((n + 58)) "protection-key fault: compartment 'evil' tried to write " \
				"the carry pages: evil's write reported (123)"
			check_vm $((n + 58)) "the gate's carry pages, where calls' stack arguments and results cross" \
				"the carry pages: the report names them"
			for k in 59 60; do
				check_vm $((n + k)) "setxid: one thread: setresgid(" \
					"set*id with one thread: made ($([ $k = 59 ] && echo root || echo 'uid 65534'))"
				check_vm $((n + k)) "setresgid in an intel-mpk image with more than one thread" \
					"set*id with two threads: the image ends, saying why (status 134; before: SIGSETXID's default action, status 161, no word) ($([ $k = 59 ] && echo root || echo 'uid 65534'))"
				no_vm $((n + k)) "setxid: two threads: setresgid(" \
					"set*id with two threads: never returns as if every thread had the group"
			done
			for k in 61 62; do
				check_vm $((n + k)) "made a system call the intel-mpk filter denies: rt_sigqueueinfo(" \
					"SIGSYS queued with a siginfo like the filter's (SYS_SECCOMP): reported ($([ $k = 61 ] && echo root || echo 'uid 65534'))"
			done
			check_vm $((n + 63)) "a SIGSYS the system-call filter did not raise (si_code -2)" \
				"a timer's SIGSYS: the image ends (159), the raw handler never resumes its frame (before: it returned, and an attack review's thread, preempted in app, resumed in evil's code with app's PKRU)"
			check_vm $((n + 64)) "proc-helper-forge: refused (No such file or directory); secret intact" \
				"the /proc helper asked, as root, for /proc/1/environ with a pid of evil's choosing: refused (before: opened for evil)"
			no_vm $((n + 64)) "the helper opened" "the /proc helper never opens another process's file for evil"
			check_vm $((n + 65)) "arch-option: ARCH_GET_FS: answered" \
				"arch_prctl: an option the list allows still answers"
			check_vm $((n + 65)) "made a system call the intel-mpk filter denies: arch_prctl(0x5001" \
				"arch_prctl: an option the list does not know (a newer kernel's: ARCH_SHSTK_ENABLE): reported"
			# (6.1 has no shadow stacks: EINVAL; from 6.6, on a CPU without
			# them: EOPNOTSUPP)
			vm_output $((n + 66)) | grep -Eq "^arch-option: refused \((Invalid argument|Operation not supported)\)" ||
				fail "filter off: ARCH_SHSTK_ENABLE: $(vm_output $((n + 66)) | grep '^arch-option')"
			pass "filter off: the kernel's own answer to ARCH_SHSTK_ENABLE (6.1: EINVAL; 6.6 on, without shadow stacks: EOPNOTSUPP)"
			n=$((n + 67))
			for what in "module-helper:NOT STOPPED (secret now 0x29a):the module helper named in /proc/sys writes app's secret" \
				"uprobe:NOT STOPPED:a probe defined through tracefs reads app's secret" \
				"kcore:NOT STOPPED:/proc/kcore opens"; do
				mode=${what%%:*} rest=${what#*:}
				if vm_output $n | grep -qF "natively: not run"; then
					skip "filter off: $mode" "it would change this machine: run in the VM only"
				else
					check_vm $n "$mode: ${rest%%:*}" "filter off, as root: ${rest#*:}"
				fi
				n=$((n + 1))
			done
			seen=$(vm_output $n | sed -n 's/^sigsys-mask: SIGUSR1.s handler ran \([0-9]*\) times.*/\1/p')
			[ "${seen:-0}" -ge 5 ] || fail "sigsys-mask: the timer's SIGUSR1 reached evil's handler ${seen:-0} times before the denied call, not 5"
			check_vm $n "made a system call the intel-mpk filter denies: pkey_alloc(" \
				"sigsys-mask: a denied call with SIGUSR1 sent every 20 µs ($seen handled before): reported"
			no_vm $n "ran during the SIGSYS report" \
				"sigsys-mask: no handler runs during the SIGSYS report (its mask blocks every signal)"
			# An attack review's: a jump past the SIGSYS entry's check, to
			# where it names its report's kind, with a ucontext over app's
			# secret: the report read it with the report's PKRU (every
			# compartment readable) and printed 0x5ec2e7 as pkey_alloc's
			# first argument (checked with the previous gate.S). It now
			# reads a frame with the frame PKRU, no compartment's key: the
			# read faults, and with every signal blocked in the report the
			# kernel ends the image (139, checked by the VM run). The same
			# jump into the SIGSEGV entry: the report copied the "frame"
			# from app's memory and reported a fault from it; now the copy
			# faults.
			for k in 1 2; do
				check_vm $((n + k)) "report-forge: a jump to" \
					"$(vm_output $((n + k)) | sed -n 's/^report-forge: a jump to \([a-z_]*\).*/\1/p'): a made-up frame over app's secret: the report's read of it faults, the image ends (139)"
				no_vm $((n + k)) "5ec2e7" "report-forge ($k): app's secret never printed"
			done
			no_vm $((n + 1)) "filter denies: pkey_alloc(" \
				"report-forge-sigsys: no denied call reported from a frame read out of app's memory"
			# An attack review's: the same forged fault with its "ucontext" in
			# the key-0 bytes just below app's .bss, so that the XSAVE area the
			# report reads after it (fault.c, frame_pkru) is app's: the report
			# read those words with its PKRU and printed a PKRU "(expected)".
			# They are now read first with the frame's PKRU: a fault (139).
			check_vm $((n + 3)) "report-fpregs-adjacent: a ucontext at" \
				"report-fpregs-adjacent: a made-up frame whose XSAVE area lies over app's .bss: the image ends (139)"
			no_vm $((n + 3)) "PKRU" "report-fpregs-adjacent: the report never reads app's .bss as a PKRU"
			no_vm $((n + 2)) "protection-key fault: compartment" \
				"report-forge-segv: no fault reported from a frame copied out of app's memory"
		}
	}
}
