#!/bin/sh
# The system-call policy and confinement of compartment processes: an
# attacker in compartment 'atk' (tests/process/policy/atk.c) tries to reach
# the application and a sibling through the kernel. Under the default
# policy every attempt ends the image with a report naming the call;
# memory revoked at fork holds nothing; the calls a config allows work.
. "${0%/*}/../lib/testlib.sh"
set -eu
P="$top_srcdir/tests/process/policy"
compile "$WORK/app.o" "$P/app.c" -I"$P"
compile "$WORK/atk.o" "$P/atk.c" -I"$P" -I"$top_srcdir/backends/process"
compile "$WORK/sib.o" "$P/sib.c" -I"$P"
ar rcs "$WORK/libatk.a" "$WORK/atk.o"
ar rcs "$WORK/libsib.a" "$WORK/sib.o"
for cfg in policy allowed restart errno; do
	(cd "$WORK" && "$FLEXOS_LINK" -c "$P/$cfg.yaml" -o "$WORK/$cfg" app.o libatk.a libsib.a) ||
		fail "cannot link $cfg"
done
# Others may run the images (the as-a-user runs below).
chmod 755 "$WORK"

# run IMAGE ARGS...: sets status, out, err.
run() {
	status=0
	$RUN "$WORK/$@" >"$WORK/out" 2>"$WORK/err" || status=$?
}

# denied IMAGE ATTACK [sibling] SYSCALL: stopped with a report naming SYSCALL.
denied() {
	img=$1 syscall=$(eval echo \${$#})
	shift
	args=$(echo "$@" | sed "s/ *$syscall\$//")
	run $img $args
	[ "$status" -eq 123 ] && ! grep -q "^result:" "$WORK/out" &&
		grep -q "^flexos: compartment 'atk' (pid [0-9]*) made a system call its policy denies: $syscall(" "$WORK/err" ||
		{ cat "$WORK/out" "$WORK/err" >&2; fail "$img $args: not stopped by the policy (status $status)"; }
}

# result IMAGE ARGS... EXPECTED: ran to the end and printed that result, no secret.
result() {
	img=$1 want=$(eval echo \${$#})
	shift
	args=$(echo "$@" | sed "s/ *$want\$//")
	run $img $args
	[ "$status" -eq 0 ] && grep -Eq "^result: $want gate-error" "$WORK/out" &&
		! grep -q "SECRET LEAKED" "$WORK/out" ||
		{ cat "$WORK/out" "$WORK/err" >&2; fail "$img $args: expected result $want (status $status)"; }
}

result policy compute 5050
pass "default policy: computing works"

for a in "vm_read process_vm_readv" "vm_write process_vm_writev" "ptrace ptrace" \
	"proc_mem openat" "self_mem openat" "shadow openat" "socket socket" "exec clone" \
	"kill kill"; do
	denied policy $a
done
pass "default policy: process_vm_readv/writev, ptrace, /proc/<pid>/mem, /proc/self/mem, /etc/shadow, socket, fork+execve and kill of the application stopped with a report"
for a in "vm_read process_vm_readv" "ptrace ptrace" "kill kill" "proc_mem openat"; do
	set -- $a
	denied policy $1 sibling $2
done
pass "default policy: the same against a sibling compartment"
grep -q "to allow it, add openat (or its group) to 'syscalls' of compartment 'atk'" "$WORK/err" ||
	fail "the report does not say how to allow the call"
pass "the report names the fix"

# Memory revoked at fork is replaced: mprotect brings back zeros, not the secret.
result policy mprotect 0
result policy mprotect_ctor 0
pass "mprotect on the application's revoked .data and constructor-written .bss reads zeros"

# What a config allows works; what reaches other processes never does.
result allowed shadow "(0|-13)"
result allowed socket 0
result allowed exec 0
pass "syscalls: [files, network, processes] allows openat, socket, fork+execve"
result allowed self_mem "(0|-5)"
result allowed self_mem_ctor "(0|-5)"
pass "with files allowed, /proc/self/mem of revoked ranges holds nothing"
result allowed proc_mem "-(1|13)"
result allowed proc_mem sibling "-(1|13)"
pass "with files allowed, /proc/<pid>/mem of the application and a sibling cannot be opened"
denied allowed vm_read process_vm_readv
denied allowed ptrace ptrace
pass "with files allowed, process_vm_readv and ptrace are still stopped"

# A forged request in the shared lanes: the application serves only entries
# of its own, from the read-only table, that the claimed caller may call.
for forge in "forge=9999 for an entry the image does not have" \
	"forge=0 for an entry of another compartment"; do
	set -- $forge
	run policy "$1"
	shift
	[ "$status" -eq 123 ] && ! grep -q "^result:" "$WORK/out" &&
		grep -q "^flexos: compartment 'app' refused a request $*" "$WORK/err" ||
		{ cat "$WORK/out" "$WORK/err" >&2; fail "a forged request ($forge) was not refused (status $status)"; }
done
pass "a forged RPC request (an index out of the table, another compartment's entry) is refused with a report"

# on_crash: restart: the gate fails, the image goes on. errno mode: EPERM.
run restart shadow
[ "$status" -eq 0 ] && grep -q "^result: -1 gate-error: 31" "$WORK/out" &&
	grep -q "denies: openat(" "$WORK/err" && grep -q "^flexos: restarting it (on_crash: restart)" "$WORK/err" ||
	{ cat "$WORK/out" "$WORK/err" >&2; fail "restart: a denied call did not restart the compartment"; }
pass "on_crash: restart: a denied call restarts the compartment and fails the gate"
result errno shadow -1
pass "syscalls_denied: errno: a denied call fails with EPERM"

# The same as an ordinary user.
if [ "$(id -u)" -eq 0 ]; then
	RUN="$RUN setpriv --reuid=65534 --regid=65534 --clear-groups"
	result policy compute 5050
	denied policy vm_read process_vm_readv
	denied policy ptrace ptrace
	result policy mprotect 0
	result allowed proc_mem "-(1|13)"
	pass "as an ordinary user (uid 65534): the same attacks stopped"
fi
no_orphans "the policy tests"
