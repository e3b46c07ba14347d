#!/bin/sh
# The one case of the corpus (docs/corpus.md) in make check: zlib, whose
# static archive the build needs anyway, through tests/corpus/run without
# the VM. Under none and under process the unmodified program must give
# the plain build's output: under process that takes nested lending (the
# z_stream's next_in and next_out, which zlib.yaml's lend: rules count
# with avail_in and avail_out) and a rule on an argument whose name only
# zlib.h's text gives (adler32's buf and len).
. "${0%/*}/../lib/testlib.sh"
set -eu

[ -f /usr/lib/x86_64-linux-gnu/libz.a ] || skip_all "no libz.a (zlib1g-dev)"
st=0
"$top_srcdir/tests/corpus/run" --no-vm --keep "$WORK/k" zlib >"$WORK/table" 2>&1 || st=$?
cat "$WORK/table" >&2
[ "$st" = 0 ] || fail "tests/corpus/run exited with $st"
expect_output "$WORK/table" '^\| zlib \| ok \| [^|]* \| not run \(--no-vm\) \| not run \(--no-vm\) \|$'
grep -q '^deflate: done, 65536 -> [0-9]* bytes' "$WORK/k/zlib/plain.out" ||
	fail "the plain build printed no deflate line"
pass "zlib, unmodified: none gives the plain build's output"

r=$(cat "$WORK/k/zlib/process.result")
[ "$r" = ok ] || { cat "$WORK/k/zlib/process.out" >&2; fail "process: '$r' (expected ok)"; }
pass "zlib, unmodified, under process: the plain build's output (nested lending of the z_stream)"
