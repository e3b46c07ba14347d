#!/bin/sh
# Images start under a modest address-space limit (ulimit -v 1 GB): the
# heaps reserve at most what heap_size says (64M by default), not 1 GiB
# each. A heap that cannot grow and whose heap_size is beyond the limit
# fails at start-up with a message naming the key. hello and sqlite,
# under none and process.
. "${0%/*}/../lib/testlib.sh"
set -u
hello="$top_builddir/examples/hello"
ex="$top_builddir/examples"
LIMIT=1000000

with_mechanism "$top_srcdir/examples/hello/two.yaml" process >"$WORK/two-process.yaml"
"$FLEXOS_LINK" -c "$WORK/two-process.yaml" -o "$WORK/hello-process" "$hello/app.o" \
	"$hello/libsecret.a" || fail "cannot link hello with the process backend"

limited() { (ulimit -v "$LIMIT" && exec "$@"); }

for img in "$hello/hello-two" "$WORK/hello-process"; do
	limited "$img" >"$WORK/out" 2>&1 || { cat "$WORK/out" >&2; fail "$img exited $? under ulimit -v $LIMIT"; }
	expect_output "$WORK/out" 'lib_func returned 42'
done
pass "hello starts under ulimit -v $LIMIT with none and process"

for m in none process; do
	limited "$ex/sqlite/sqlite-$m" >"$WORK/out" 2>&1 ||
		{ cat "$WORK/out" >&2; fail "sqlite-$m exited $? under ulimit -v $LIMIT"; }
	expect_output "$WORK/out" '^sqlite: ok$'
done
pass "sqlite starts and runs under ulimit -v $LIMIT with none and process"

# 2G for the library's heap: under none every heap grows on demand, so
# the image starts under the limit; under process the shared heap, which
# the processes map from start-up, reserves the largest heap_size, more
# than the limit allows: said at start-up.
sed 's/^- comp2:$/- comp2:\n  heap_size: 2G/' "$top_srcdir/examples/hello/two.yaml" >"$WORK/big.yaml"
grep -q 'heap_size: 2G' "$WORK/big.yaml" || fail "the test's config has no heap_size"
with_mechanism "$WORK/big.yaml" process >"$WORK/big-process.yaml"
"$FLEXOS_LINK" -c "$WORK/big.yaml" -o "$WORK/hello-big" "$hello/app.o" "$hello/libsecret.a" ||
	fail "cannot link hello with heap_size: 2G"
"$FLEXOS_LINK" -c "$WORK/big-process.yaml" -o "$WORK/hello-big-process" "$hello/app.o" \
	"$hello/libsecret.a" || fail "cannot link hello with heap_size: 2G under process"
"$WORK/hello-big-process" >/dev/null || fail "hello with a 2G heap fails without a limit"
limited "$WORK/hello-big" >"$WORK/out" 2>&1 ||
	{ cat "$WORK/out" >&2; fail "hello with a 2G growable heap exited $? under the limit"; }
expect_output "$WORK/out" 'lib_func returned 42'
pass "a heap_size beyond ulimit -v starts under none: heaps grow on demand"
st=0
limited "$WORK/hello-big-process" >"$WORK/out" 2>&1 || st=$?
[ "$st" -eq 125 ] || { cat "$WORK/out" >&2; fail "hello with a 2G heap exited $st under the limit, expected 125"; }
expect_output "$WORK/out" "^flexos: cannot reserve the shared heap \(2048 MiB of address space\): .*lower .*'heap_size' in .*big-process.yaml or raise 'ulimit -v'"
pass "a heap_size beyond ulimit -v is refused at start-up where a heap cannot grow, naming the key"

# A heap is as large as heap_size says: a 1M heap cannot hold a 2 MiB block.
sed 's/^- comp1:$/- comp1:\n  heap_size: 1M/' "$top_srcdir/examples/hello/two.yaml" >"$WORK/small.yaml"
"$FLEXOS_LINK" -c "$WORK/small.yaml" -o "$WORK/hello-small" "$hello/app.o" "$hello/libsecret.a" ||
	fail "cannot link hello with heap_size: 1M"
"$WORK/hello-small" --map >"$WORK/out" 2>&1 || fail "hello with a 1M heap exited $?"
awk "/compartment 0 'comp1'/ { c = 1 } c && /heap/ { print; exit }" "$WORK/out" >"$WORK/heap"
expect_output "$WORK/heap" ' 1024 KiB$'
pass "the map shows the heap_size the config asked for"
