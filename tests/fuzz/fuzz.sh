#!/bin/sh
# A bounded fuzz pass: each harness replays its committed corpus (which
# holds every input that once found a bug) and then fuzzes for
# FUZZ_SECONDS (default 3) from it. Skips when configure found no compiler
# with libFuzzer. New inputs go to a temporary directory, never into the
# committed corpus; tests/fuzz/long runs the harnesses for longer.
. "${0%/*}/../lib/testlib.sh"
set -eu
fuzz="$top_builddir/tests/fuzz"
[ -x "$fuzz/fuzz-config" ] ||
	skip_all "no libFuzzer harnesses: install clang and libclang-rt-14-dev (tools/install-deps --test) and rerun configure"
for h in config elf resp ehcopy; do
	seeds="$top_srcdir/tests/fuzz/corpus/$h"
	mkdir "$WORK/$h"
	# -close_fd_mask=3: the code under test may print; libFuzzer and the
	# sanitizers report on their own copy of stderr.
	if ! "$fuzz/fuzz-$h" -max_total_time="${FUZZ_SECONDS:-3}" -timeout=10 -rss_limit_mb=2048 \
		-close_fd_mask=3 -artifact_prefix="$WORK/" "$WORK/$h" "$seeds" >"$WORK/$h.log" 2>&1; then
		tail -n 40 "$WORK/$h.log" >&2
		for a in "$WORK"/crash-* "$WORK"/leak-* "$WORK"/timeout-* "$WORK"/oom-*; do
			[ -f "$a" ] && { echo "--- finding $a:" >&2; od -c "$a" | head -20 >&2; }
		done
		fail "fuzz-$h found a problem (above)"
	fi
	pass "fuzz-$h: $(grep -E '^Done [0-9]+ runs' "$WORK/$h.log" | tail -n 1), $(grep -Eo 'cov: [0-9]+ ft: [0-9]+' "$WORK/$h.log" | tail -n 1)"
done
