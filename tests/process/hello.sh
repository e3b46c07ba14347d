#!/bin/sh
# The hello example under the process backend: the same output as under
# none, and the attack faults in the library's process with a report.
. "${0%/*}/../lib/testlib.sh"
set -eu
hello="$top_builddir/examples/hello"

with_mechanism "$top_srcdir/examples/hello/two.yaml" process >"$WORK/two.yaml"
"$FLEXOS_LINK" -c "$WORK/two.yaml" -o "$WORK/hello-process" "$hello/app.o" \
	"$hello/libsecret.a" || fail "cannot link hello with the process backend"
$RUN "$hello/hello-two" >"$WORK/none.out" || fail "hello-two exited $?"
$RUN "$WORK/hello-process" >"$WORK/process.out" 2>"$WORK/process.err" ||
	fail "hello-process exited $?: $(cat "$WORK/process.err")"
sed 's/backend process/backend none/' "$WORK/process.out" >"$WORK/process.norm"
cmp -s "$WORK/none.out" "$WORK/process.norm" ||
	{ diff "$WORK/none.out" "$WORK/process.norm" >&2; fail "outputs differ"; }
[ ! -s "$WORK/process.err" ] || fail "unexpected messages: $(cat "$WORK/process.err")"
pass "hello prints the same under none and process"
no_orphans "hello"

status=0
$RUN "$WORK/hello-process" --attack >"$WORK/attack.out" 2>"$WORK/attack.err" || status=$?
[ "$status" -eq 123 ] || fail "hello --attack exited $status, expected 123"
expect_output "$WORK/attack.out" "reading the application's secret"
! grep -q "not isolated" "$WORK/attack.out" || fail "the library read the secret"
expect_output "$WORK/attack.err" "^flexos: compartment 'comp2' \(pid [0-9]+\) crashed: signal 11 \(Segmentation fault\) at address 0x[0-9a-f]+, in the \.data of compartment 'comp1'"
pass "hello --attack faults in comp2 and exits 123 with a report"
no_orphans "hello --attack"

