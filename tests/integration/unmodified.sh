#!/bin/sh
# The SQLite and zlib examples (Debian's unmodified archives, each alone in
# a compartment) give the same results under none and process.
# intel-mpk: tests/integration/unmodified-vm.sh.
. "${0%/*}/../lib/testlib.sh"
set -eu

ex="$top_builddir/examples"
for m in none process; do
	"$ex/sqlite/sqlite-$m" >"$WORK/sqlite-$m" 2>&1 || { cat "$WORK/sqlite-$m" >&2; fail "sqlite-$m exited $?"; }
	expect_output "$WORK/sqlite-$m" "^sqlite: 5000 rows read back, 0 wrong; count\(\*\) = 5000 via 1 callback\(s\)$"
	expect_output "$WORK/sqlite-$m" "^sqlite: ok$"
	pass "sqlite ($m): 5000 inserts, rows checked, callback and error message"
	cp "$ex/zlib/zlib-none" "$WORK/input"
	"$ex/zlib/zlib-$m" "$WORK/input" >"$WORK/zlib-$m" 2>&1 || { cat "$WORK/zlib-$m" >&2; fail "zlib-$m exited $?"; }
	expect_output "$WORK/zlib-$m" "^zlib: .*: identical$"
	expect_output "$WORK/zlib-$m" "^zlib: ok$"
	pass "zlib ($m): byte-for-byte round trip and zlib's error message"
done
# Same output, timing aside.
for e in sqlite zlib; do
	grep -v ' in [0-9.]* s$' "$WORK/$e-none" >"$WORK/a"
	grep -v ' in [0-9.]* s$' "$WORK/$e-process" >"$WORK/b"
	cmp -s "$WORK/a" "$WORK/b" || { diff "$WORK/a" "$WORK/b" >&2; fail "$e: none and process differ"; }
done
pass "none and process print the same results"
# The library really is behind gates under process.
nm "$ex/sqlite/sqlite-process" | grep -q ' __flexos_gate__sqlite__sqlite3_exec$' ||
	fail "sqlite-process has no gate to sqlite3_exec"
nm "$ex/sqlite/sqlite-none" | grep -q '__flexos_gate__' && fail "sqlite-none has gate stubs"
pass "gates under process, none under none"
