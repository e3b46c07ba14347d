#!/bin/sh
# intel-mpk, in one boot of the emulated-PKU VM (tests/vm/run; natively
# where the host has PKU): the SQLite and zlib examples, and sandbox_of in
# both directions. Times measured in the VM mean nothing: correctness only.
# If the VM cannot run, this fails, unless FLEXOS_VM_OPTIONAL=1 (then: skip).
. "$top_srcdir/tests/integration/lib.sh"
b=$(cd "$top_builddir" && pwd)

compile "$WORK/app.o" "$DATA/sandbox-app.c"
compile "$WORK/sb.o" "$DATA/sandbox-lib.c"
ar cr "$WORK/libsb.a" "$WORK/sb.o"
for c in sandbox sandbox-not; do
	with_mechanism "$DATA/$c.yaml" intel-mpk >"$WORK/$c.yaml"
	"$FLEXOS_LINK" -c "$WORK/$c.yaml" -o "$WORK/$c" "$WORK/app.o" "$WORK/libsb.a" ||
		fail "cannot link $c"
done

cat >"$WORK/script" <<EOS
$b/examples/sqlite/sqlite-mpk
$b/examples/zlib/zlib-mpk $b/examples/zlib/zlib-none
$WORK/sandbox read
--expect-status=123 $WORK/sandbox poke
--expect-status=123 $WORK/sandbox-not read
EOS
files="--file $WORK"
libgcc=$(${CC:-cc} -print-file-name=libgcc_s.so.1 2>/dev/null)
case $libgcc in /*) [ -f "$libgcc" ] && files="$files --file $libgcc" ;; esac
set +e
# shellcheck disable=SC2086
"$top_srcdir/tests/vm/run" --timeout 600 $files --file "$b/examples/zlib/zlib-none" \
	--script "$WORK/script" >"$WORK/out" 2>&1
st=$?
set -e
cat "$WORK/out"
case $st in
0) ;;
77) exit 77 ;;
*) fail "tests/vm/run exited with $st" ;;
esac

# The output of command N of the script.
output() {
	awk -v n="$1" '/^=== \[[0-9]+\/[0-9]+\] / { split($2, a, /[\[\/]/); cur = a[2] + 0; next }
		/^tests\/vm\/run: [0-9]+ commands/ { cur = 0 }
		cur == n' "$WORK/out" >"$WORK/out.$1"
}
output 1
expect_output "$WORK/out.1" "^sqlite: 5000 rows read back, 0 wrong; count\(\*\) = 5000 via 1 callback\(s\)$"
expect_output "$WORK/out.1" "^sqlite: ok"
ok "intel-mpk: sqlite, 5000 inserts, rows checked, callback and error message"
output 2
expect_output "$WORK/out.2" "^zlib: .*: identical"
expect_output "$WORK/out.2" "^zlib: ok"
ok "intel-mpk: zlib round trip and error message"
output 3
expect_output "$WORK/out.3" "^write: the sandbox sees 'S'"
ok "intel-mpk: the host reads and writes its sandbox's memory"
output 4
expect_output "$WORK/out.4" "compartment 'lib' tried to write"
ok "intel-mpk: the sandbox writing the host's memory is stopped with a fault report"
output 5
expect_output "$WORK/out.5" "compartment 'app' tried to read"
ok "intel-mpk: without sandbox_of the host cannot read the library's memory"
