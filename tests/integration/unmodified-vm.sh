#!/bin/sh
# intel-mpk, in one boot of the emulated-PKU VM (tests/vm/run; natively
# where the host has PKU): the SQLite and zlib examples, and sandbox_of in
# both directions. Times measured in the VM mean nothing: correctness only.
# If the VM cannot run, this fails, unless FLEXOS_VM_OPTIONAL=1 (then: skip).
. "${0%/*}/../lib/testlib.sh"
set -eu
b=$top_builddir

compile "$WORK/app.o" "$DATA/sandbox-app.c"
compile "$WORK/sb.o" "$DATA/sandbox-lib.c"
ar cr "$WORK/libsb.a" "$WORK/sb.o"
for c in sandbox sandbox-not; do
	with_mechanism "$DATA/$c.yaml" intel-mpk >"$WORK/$c.yaml"
	"$FLEXOS_LINK" -c "$WORK/$c.yaml" -o "$WORK/$c" "$WORK/app.o" "$WORK/libsb.a" ||
		fail "cannot link $c"
done
compile "$WORK/vars.o" "$DATA/sandbox-vars.c"
"$FLEXOS_LINK" -c "$WORK/sandbox.yaml" -o "$WORK/sandbox-vars" "$WORK/app.o" "$WORK/vars.o" \
	"$WORK/libsb.a" || fail "cannot link the host's use of its sandbox's variables"

vm_script 600 --file "$WORK" --file "$b/examples/zlib/zlib-none" <<EOS
$b/examples/sqlite/sqlite-mpk
$b/examples/zlib/zlib-mpk $b/examples/zlib/zlib-none
$WORK/sandbox read
--expect-status=123 $WORK/sandbox poke
--expect-status=123 $WORK/sandbox-not read
$WORK/sandbox-vars vars
EOS

vm_output 1 >"$WORK/out.1"
expect_output "$WORK/out.1" "^sqlite: 5000 rows read back, 0 wrong; count\(\*\) = 5000 via 1 callback\(s\)$"
expect_output "$WORK/out.1" "^sqlite: ok"
pass "intel-mpk: sqlite, 5000 inserts, rows checked, callback and error message"
vm_output 2 >"$WORK/out.2"
expect_output "$WORK/out.2" "^zlib: .*: identical"
expect_output "$WORK/out.2" "^zlib: ok"
pass "intel-mpk: zlib round trip and error message"
vm_output 3 >"$WORK/out.3"
expect_output "$WORK/out.3" "^write: the sandbox sees 'S'"
pass "intel-mpk: the host reads and writes its sandbox's memory"
vm_output 4 >"$WORK/out.4"
expect_output "$WORK/out.4" "compartment 'lib' tried to write"
pass "intel-mpk: the sandbox writing the host's memory is stopped with a fault report"
vm_output 5 >"$WORK/out.5"
expect_output "$WORK/out.5" "compartment 'app' tried to read"
pass "intel-mpk: without sandbox_of the host cannot read the library's memory"
vm_output 6 >"$WORK/out.6"
expect_output "$WORK/out.6" "^vars: 1 then 41, freed"
pass "intel-mpk: the host reads and writes its sandbox's variables by name and frees its allocation through one"
