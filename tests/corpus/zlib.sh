#!/bin/sh
# The one case of the corpus (docs/corpus.md) in make check: zlib, whose
# static archive the build needs anyway, through tests/corpus/run without
# the VM. Under none the unmodified program must give the plain build's
# output; under process it must too, or stop at the obstacle measured in
# docs/corpus.md (with pointer lending: deflate reaching the buffer the
# lent z_stream's next_in points to, in the application's .bss; pointers
# inside a lent struct are not lent) with the crash report, never a hang,
# another fault or a wrong result.
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
case $r in
ok) ;;
"fault report (exit 123)")
	expect_output "$WORK/k/zlib/process.out" "compartment 'zlib' \(pid [0-9]+\) crashed: signal 11 \(Segmentation fault\) at address 0x[0-9a-f]*, in the \.bss of compartment 'app'"
	expect_output "$WORK/k/zlib/process.out" "#[0-9]+ 0x[0-9a-f]+ deflate\+0x[0-9a-f]+ \[zlib\]"
	;;
*) fail "process: '$r' (expected ok, or the crash in deflate of docs/corpus.md)" ;;
esac
pass "zlib, unmodified, under process: ok, or the measured crash report (result: $r)"
