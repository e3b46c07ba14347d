#!/bin/sh
# sandbox_of under the process backend, both directions: the host reads
# and writes its sandbox's data and heap; the sandbox writing the host's
# memory is stopped; without sandbox_of the host's read is stopped too.
# (The same under intel-mpk: tests/integration/unmodified-vm.sh.)
. "${0%/*}/../lib/testlib.sh"
set -eu

compile "$WORK/app.o" "$DATA/sandbox-app.c"
compile "$WORK/sb.o" "$DATA/sandbox-lib.c"
ar cr "$WORK/libsb.a" "$WORK/sb.o"
for c in sandbox sandbox-not; do
	with_mechanism "$DATA/$c.yaml" process >"$WORK/$c.yaml"
	"$FLEXOS_LINK" -c "$WORK/$c.yaml" -o "$WORK/$c" "$WORK/app.o" "$WORK/libsb.a" ||
		fail "cannot link $c"
done

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
