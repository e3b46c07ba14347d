#!/bin/sh
# sandbox_of under the process backend, both directions: the host reads
# and writes its sandbox's data and heap; the sandbox writing the host's
# memory is stopped; without sandbox_of the host's read is stopped too.
# The host uses its sandbox's variables by name (vars); without
# sandbox_of that link is refused.
# (The same under intel-mpk: tests/integration/unmodified-vm.sh.)
. "${0%/*}/../lib/testlib.sh"
set -eu

compile "$WORK/app.o" "$DATA/sandbox-app.c"
compile "$WORK/sb.o" "$DATA/sandbox-lib.c"
ar cr "$WORK/libsb.a" "$WORK/sb.o"
compile "$WORK/vars.o" "$DATA/sandbox-vars.c"
for c in sandbox sandbox-not; do
	with_mechanism "$DATA/$c.yaml" process >"$WORK/$c.yaml"
	"$FLEXOS_LINK" -c "$WORK/$c.yaml" -o "$WORK/$c" "$WORK/app.o" "$WORK/libsb.a" ||
		fail "cannot link $c"
done
"$FLEXOS_LINK" -c "$WORK/sandbox.yaml" -o "$WORK/sandbox-vars" "$WORK/app.o" "$WORK/vars.o" \
	"$WORK/libsb.a" || fail "cannot link the host's use of its sandbox's variables"
! "$FLEXOS_LINK" -c "$WORK/sandbox-not.yaml" -o "$WORK/not-vars" "$WORK/app.o" "$WORK/vars.o" \
	"$WORK/libsb.a" 2>"$WORK/not-vars.err" || fail "without sandbox_of, the variables were linked"
expect_output "$WORK/not-vars.err" "uses variable 'sb_(calls|free)' of .*libsb.a \\(library 'sb', compartment 'lib'\\); a gate can carry calls across compartments, not variables"
pass "process: a host's use of its sandbox's variables links; without sandbox_of it is refused"

# run IMAGE ARG: its exit status, its output in $WORK/out.
run() {
	set +e
	"$1" "$2" >"$WORK/out" 2>&1
	st=$?
	set -e
}

run "$WORK/sandbox" read
[ "$st" = 0 ] || { cat "$WORK/out" >&2; fail "the host could not use its sandbox's memory (exit $st)"; }
expect_output "$WORK/out" "^read: 'sandbox data' 'sandbox heap'$"
expect_output "$WORK/out" "^write: the sandbox sees 'S'$"
pass "process: the host reads and writes its sandbox's data and heap"

run "$WORK/sandbox" poke
[ "$st" = 123 ] || { cat "$WORK/out" >&2; fail "the sandbox wrote the host's memory (exit $st)"; }
expect_output "$WORK/out" "compartment 'lib' .*crashed: signal 11"
pass "process: the sandbox writing the host's memory is stopped"

run "$WORK/sandbox-not" read
[ "$st" = 123 ] || { cat "$WORK/out" >&2; fail "without sandbox_of the host read the library's memory (exit $st)"; }
pass "process: without sandbox_of the host cannot read the library's memory"

run "$WORK/sandbox-vars" vars
[ "$st" = 0 ] || { cat "$WORK/out" >&2; fail "the host's use of its sandbox's variables (exit $st)"; }
expect_output "$WORK/out" "^vars: 1 then 41, freed$"
pass "process: the host reads and writes its sandbox's variables by name and frees its allocation through one"
