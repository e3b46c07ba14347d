#!/bin/sh
# A sandboxed library attacks its host as a compromised one would
# (data/attack8-lib.c): it finds its host's lending records in the
# thread's TLS by the copy's address and points them at a private target
# of the host ("kept": an object kept past the call; "fill": a register
# argument; "membercopy": a member of a private struct lent by copy;
# "rows": a row of an array of pointers lent by copy; "member", "inplace":
# a struct or array of pointers in shared memory naming the host's
# private memory, and "sharedsteal": one the library pointed at its
# target by the call before: the report, status 123, nothing lent; "again", "grow",
# "race": a member of a private struct lent by copy pointed at the target,
# or its count raised, by the call before or by a thread of the library
# during the lend, and "rowsagain": a row of a private array of pointers
# lent by copy pointed at the target by the call before: the report,
# status 123; "deref": a count lent before
# the buffer it counts, raised in its copy by a thread of the library),
# names its host's
# variable ("steal", refused by flexos-link), or points its own entry in
# the table of heap ranges at the host's heap before the host frees its
# allocation ("forge"). Under process every attack finds nothing of the
# host's and the target is intact. Under intel-mpk the lending attacks
# are stopped, the callee's write reaching the caller's own object: a
# register argument's copy goes back through the gate's frame, a
# member's through the frame's records, kept objects and rows through
# the caller's book in its own heap (none of them through the thread's
# TLS, key 0); "forge" aborts (the heap comes from the range's owner,
# through the runtime's read-only state, not from the range). If the VM cannot run, this fails, unless FLEXOS_VM_OPTIONAL=1
# (then: skip).
. "${0%/*}/../lib/testlib.sh"
set -eu

compile "$WORK/attack8-app.o" "$DATA/attack8-app.c" -I"$DATA"
compile "$WORK/attack8-lib.o" "$DATA/attack8-lib.c" -I"$DATA"
ar cr "$WORK/libattack8.a" "$WORK/attack8-lib.o"
sed "s|\[attack8.h\]|[$DATA/attack8.h]|" "$DATA/attack8.yaml" >"$WORK/attack8.yaml"
for m in none process intel-mpk; do
	with_mechanism "$WORK/attack8.yaml" "$m" >"$WORK/attack8-$m.yaml"
	"$FLEXOS_LINK" -c "$WORK/attack8-$m.yaml" -o "$WORK/attack8-$m" "$WORK/attack8-app.o" \
		"$WORK/libattack8.a" 2>"$WORK/link.err" || { cat "$WORK/link.err" >&2; fail "cannot link under $m"; }
done
pass "the attacking library links under none, process and intel-mpk"

# steal: the sandbox names its host's variable; a host may use its sandbox's, not the reverse.
compile "$WORK/attack8-steal.o" "$DATA/attack8-steal.c"
sed 's|inputs: \[libattack8.a\]|inputs: [libattack8.a, attack8-steal.o]|' "$WORK/attack8-process.yaml" >"$WORK/steal.yaml"
grep -q "attack8-steal.o" "$WORK/steal.yaml" || fail "steal.yaml names no attack8-steal.o"
! "$FLEXOS_LINK" -c "$WORK/steal.yaml" -o "$WORK/steal" "$WORK/attack8-app.o" "$WORK/libattack8.a" \
	"$WORK/attack8-steal.o" 2>"$WORK/steal.err" || fail "the sandbox's use of its host's variable was linked"
expect_output "$WORK/steal.err" "attack8-steal.o \\(library 'lib', compartment 'sandbox'\\) uses variable 'attack8_host_counter' of .*attack8-app.o \\(library 'app', compartment 'app'\\); a gate can carry calls across compartments, not variables"
pass "a sandbox that names its host's variable is refused at link time"

# none isolates nothing: the forged range does move the chunk (the attack works as written).
"$WORK/attack8-none" forge >"$WORK/none.out" 2>&1 || { cat "$WORK/none.out" >&2; fail "none: forge"; }
expect_output "$WORK/none.out" "^forge: the host's next allocation is the sandbox's chunk$"
pass "none: the forged range moves the freed chunk (nothing isolates)"

# expect_shared_refused FILE MODE: the report of a struct (array) in shared memory naming the host's memory.
expect_shared_refused() {
	expect_output "$1" "^flexos: the call to ev_[a-z]* lends (a struct|an array) in shared memory \\(argument [12], [a-z]*\\) whose (member 'data'|element 0) names private memory of compartment 'app': a pointer in shared memory is not lent"
	! grep -q "^$2:" "$1" || fail "$2: the host went on"
}
# expect_rows_refused FILE: the report after rowsagain's first call (the second never runs).
expect_rows_refused() {
	expect_output "$1" "^flexos: after the call to ev_rows_steal, element 0 of the array of pointers it was lent \\(argument 1\\) names private memory of compartment 'app' that the call did not lend"
	! grep -q "^rowsagain:" "$1" || fail "rowsagain: the host went on"
}
# run_process MODE STATUS: attack8-process MODE, its output in
# $WORK/process-MODE.out, which must end with STATUS.
run_process() {
	st=0
	"$WORK/attack8-process" "$1" >"$WORK/process-$1.out" 2>&1 || st=$?
	[ "$st" = "$2" ] || { cat "$WORK/process-$1.out" >&2; fail "process, $1: exit $st, not $2"; }
}
for x in kept fill membercopy rows; do
	run_process "$x" 0
	expect_output "$WORK/process-$x.out" "^$x: 0 records found; [a-z]+ 'PWNED[a-z]*', target 'target untouched'$"
done
run_process forge 0
expect_output "$WORK/process-forge.out" "^forge: the host's next allocation is its own$"
run_process owner 0
expect_output "$WORK/process-owner.out" "^owner: the host freed it$"
pass "process: the host's records and its table of ranges are out of the sandbox's reach (a range the sandbox gave no compartment's owner is its own copy: the host frees as usual)"
for x in again grow race; do
	run_process "$x" 123
	expect_output "$WORK/process-$x.out" "^flexos: after the call to ev_[a-z_]*, member 'data' of the struct it was lent \\(argument [12]\\) names private memory of compartment 'app' that the call did not lend"
	! grep -q "^$x:" "$WORK/process-$x.out" || fail "process, $x: the host went on"
done
pass "process: a member of a struct lent by copy that the callee pointed at other private memory of its caller, or whose count it raised, ends the image (the next call would have lent that memory)"
run_process rowsagain 123
expect_rows_refused "$WORK/process-rowsagain.out"
pass "process: a row of an array of pointers lent by copy that the callee pointed at other private memory of its caller ends the image (the next call would have lent that memory)"
run_process deref 0
expect_output "$WORK/process-deref.out" "^deref: 0 after 200000 calls; the library read '', secret 'APP-SECRET-d00d'$"
pass "process: a count lent before the buffer it counts is read from the caller's object, not its copy"
for x in member inplace sharedsteal; do
	run_process "$x" 123
	expect_shared_refused "$WORK/process-$x.out" "$x"
done
pass "process: a struct or array of pointers in shared memory that names private memory of the caller is not lent: the image ends, naming the member or element (the library had pointed it at its target: nothing read, nothing written)"

vm_script 300 --file "$WORK" <<EOS
$WORK/attack8-intel-mpk fill
--expect-status=134 $WORK/attack8-intel-mpk forge
--expect-status=123 $WORK/attack8-intel-mpk member
$WORK/attack8-intel-mpk membercopy
$WORK/attack8-intel-mpk rows
--expect-status=134 $WORK/attack8-intel-mpk owner
$WORK/attack8-intel-mpk kept
--expect-status=123 $WORK/attack8-intel-mpk inplace
--expect-status=123 $WORK/attack8-intel-mpk again
--expect-status=123 $WORK/attack8-intel-mpk grow
--expect-status=123 $WORK/attack8-intel-mpk race
$WORK/attack8-intel-mpk deref
--expect-status=123 $WORK/attack8-intel-mpk sharedsteal
--expect-status=123 $WORK/attack8-intel-mpk rowsagain
EOS
vm_output 1 | tr -d '\r' >"$WORK/vm-fill"
expect_output "$WORK/vm-fill" "^fill: 1 records found; out 'PWNED', target 'target untouched'"
pass "intel-mpk: a lent register argument comes back to the caller's object, whatever its record says"
vm_output 2 | tr -d '\r' >"$WORK/vm-forge"
expect_output "$WORK/vm-forge" "^flexos: free\\(0x[0-9a-f]+\\): the table of heap ranges names another heap than its owner's"
! grep -q "^forge:" "$WORK/vm-forge" || fail "intel-mpk: the host's free went on after the forged range"
pass "intel-mpk: a host's free through a range the sandbox pointed at the host's heap aborts"
vm_output 4 | tr -d '\r' >"$WORK/vm-membercopy"
expect_output "$WORK/vm-membercopy" "^membercopy: [1-9][0-9]* records found; data 'PWNED', target 'target untouched'"
pass "intel-mpk: a member lent by copy comes back to the caller's object, whatever the thread's record says"
for x in member:3 inplace:8 sharedsteal:13; do
	vm_output "${x#*:}" | tr -d '\r' >"$WORK/vm-${x%:*}"
	expect_shared_refused "$WORK/vm-${x%:*}" "${x%:*}"
done
pass "intel-mpk: a struct or array of pointers in shared memory that names private memory of the caller is not lent: the image ends, naming the member or element (sharedsteal: the library had pointed it at its target)"
vm_output 14 | tr -d '\r' >"$WORK/vm-rowsagain"
expect_rows_refused "$WORK/vm-rowsagain"
pass "intel-mpk: a row of an array of pointers lent by copy that the callee pointed at other private memory of its caller ends the image"
# The records of the rows and of the kept object are in the host's heap: the
# sandbox finds none of them in the TLS (a slot's record, which only says
# where a pointer value maps, at most); its write reaches the host's own object.
vm_output 5 | tr -d '\r' >"$WORK/vm-rows"
expect_output "$WORK/vm-rows" "^rows: [01] records found; row 'PWNED', target 'target untouched'"
pass "intel-mpk: a row of an array of pointers lent by copy comes back to the caller's object, whatever the thread's records say"
vm_output 7 | tr -d '\r' >"$WORK/vm-kept"
expect_output "$WORK/vm-kept" "^kept: 0 records found; buf 'PWNEDbuffer', target 'target untouched'"
pass "intel-mpk: an object kept past its call is merged back into the caller's object only: its record is not in the thread's TLS"
vm_output 6 | tr -d '\r' >"$WORK/vm-owner"
expect_output "$WORK/vm-owner" "^flexos: free\\(0x[0-9a-f]+\\): compartment 'app' passed a pointer of compartment '\\?''s heap"
pass "intel-mpk: a range whose owner the sandbox set past the compartments stops the host's free, naming no compartment"
# again: the library points a member of the host's struct, lent by copy, at
# the host's private target during a call, and reads and writes what the
# host's next call lends there; grow: it raises the member's count past
# its object (a private secret follows it); race: a thread of the library
# writes the target's address into the member in the struct's copy while
# the host lends it. Each ends the image when the call returns (race: the
# first call during which the thread's write lands). Before, the
# library read "target untouched" (or the secret) and its "PWNED" reached
# the host's target (secret).
for x in again:9 grow:10 race:11; do
	vm_output "${x#*:}" | tr -d '\r' >"$WORK/vm-${x%:*}"
	expect_output "$WORK/vm-${x%:*}" "^flexos: after the call to ev_[a-z_]*, member 'data' of the struct it was lent \\(argument [12]\\) names private memory of compartment 'app' that the call did not lend"
	! grep -q "^${x%:*}:" "$WORK/vm-${x%:*}" || fail "intel-mpk, ${x%:*}: the host went on"
done
pass "intel-mpk: a member of a struct lent by copy that the callee pointed at other private memory of its caller, or whose count it raised, ends the image"
# deref: ev_deref(size_t *len, char *buf) with the rule buf: *len lends len
# first; a thread of the library writes 48 into len's copy while the host
# lends buf, after which a private secret follows. The count is the host's
# own: the library is never lent more than 16 bytes. Before, it read the
# secret and its "PWNED" reached it (after 3418 calls in the VM).
vm_output 12 | tr -d '\r' >"$WORK/vm-deref"
expect_output "$WORK/vm-deref" "^deref: 0 after 200000 calls; the library read '', secret 'APP-SECRET-d00d'"
pass "intel-mpk: a count lent before the buffer it counts is read from the caller's object, not its copy"
