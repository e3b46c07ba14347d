#!/bin/sh
# 'checkpoint:' of a sandbox's library (docs/config.md): a crash of the
# sandbox during a checkpointed call puts its data, bss and heap back as
# they were before the call, so that the restarted library is consistent;
# without the checkpoint the restarted library sees the state the crash
# left (a call still "in progress", the count and the list of the crashed
# calls). flexos-link refuses 'checkpoint' on a compartment that is no
# sandbox or does not restart, and warns of a name no gate reaches.
. "${0%/*}/../lib/testlib.sh"
set -eu
PDIR="$top_srcdir/tests/process"
compile "$WORK/ckapp.o" "$PDIR/ckapp.c" -g
compile "$WORK/cklib.o" "$PDIR/cklib.c" -g
ar rcs "$WORK/libck.a" "$WORK/cklib.o"
cd "$WORK"
cp "$PDIR/checkpoint.yaml" ck.yaml
grep -v 'checkpoint: \[ck_step\]' ck.yaml >nock.yaml
"$FLEXOS_LINK" -c ck.yaml -o ck ckapp.o libck.a || fail "cannot link ck"
"$FLEXOS_LINK" -c nock.yaml -o nock ckapp.o libck.a || fail "cannot link nock"

# 40 calls, every 4th crashing: 10 crashes, 30 results.
./ck 40 4 >ck.out 2>ck.err || { cat ck.err >&2; fail "ck exited $?"; }
cat ck.out >&2
expect_output ck.out "^checkpoint: 10 crashes, 30 right, 0 wrong; in progress 0, counter 130, nodes 30$"
[ "$(grep -c "compartment 'sb': its memory is put back as it was before the checkpointed call" ck.err)" -eq 10 ] ||
	fail "expected 10 'put back' messages"
pass "checkpoint: 10 crashes in ck_step, each undone: no call left in progress, count and list as if they never ran"
no_orphans "checkpoint"

./nock 40 4 >nock.out 2>nock.err || { cat nock.err >&2; fail "nock exited $?"; }
cat nock.out >&2
# The first crash (call 3) leaves in_progress at 1: every later call refuses.
expect_output nock.out "^call 4: returned -1001, expected 104$"
expect_output nock.out "^checkpoint: 10 crashes, 3 right, [0-9]+ wrong; in progress 1, counter 104, nodes 4$"
! grep -q "put back" nock.err || fail "nock put memory back without a checkpoint"
pass "without checkpoint: the restarted sandbox keeps the crashed call's state (the test can fail)"

sed 's/^  sandbox_of: app$//' ck.yaml >nosb.yaml
st=0
"$FLEXOS_LINK" -c nosb.yaml -o nosb ckapp.o libck.a 2>nosb.err || st=$?
[ "$st" -ne 0 ] || fail "flexos-link accepted 'checkpoint' on a compartment that is no sandbox"
expect_output nosb.err "^nosb.yaml:16:16: error: library 'ck' has 'checkpoint' but its compartment 'sb' is no sandbox: add 'sandbox_of: HOST'"
sed 's/^  on_crash: restart$//' ck.yaml >noret.yaml
st=0
"$FLEXOS_LINK" -c noret.yaml -o noret ckapp.o libck.a 2>noret.err || st=$?
[ "$st" -ne 0 ] || fail "flexos-link accepted 'checkpoint' without 'on_crash: restart'"
expect_output noret.err "^noret.yaml:16:16: error: library 'ck' has 'checkpoint' but its compartment 'sb' has 'on_crash: abort'"
sed 's/checkpoint: \[ck_step\]/checkpoint: [ck_stepp]/' ck.yaml >typo.yaml
"$FLEXOS_LINK" -c typo.yaml -o typo ckapp.o libck.a 2>typo.err || fail "a misspelt checkpoint failed the link"
expect_output typo.err "^typo.yaml:16:16: warning: 'ck_stepp' under 'checkpoint' of library 'ck' is no function of it that another compartment calls"
pass "flexos-link: 'checkpoint' needs a sandbox that restarts (file:line:col), and a misspelt name is a warning"
