#!/bin/sh
# Redis's own test suite (./runtest, Tcl) against real Redis with Lua in
# its own process (examples/redis/lua-process.yaml): a bounded subset for
# `make check` and CI, the units unit/type/incr and unit/expire (REDIS_UNITS
# to change them; about 25 s here). Opt-in like smoke.sh (skipped without
# Redis's source), and skipped without tclsh (Debian's tcl package).
. "${0%/*}/lib.sh"
set -eu

redis_source
command -v tclsh >/dev/null || skip_all "no tclsh, which Redis's test suite needs: apt-get install tcl"
units=${REDIS_UNITS:-unit/type/incr unit/expire}
mkdir -p "$top_builddir/examples/redis"
# Redis's test servers listen on a Unix socket in tests/tmp/server.PID.N,
# a path that must fit in 107 bytes: under a deep build tree (make
# distcheck's), tests/tmp points at a short directory for the run (Tcl's
# file normalize, which the harness uses, follows the link).
tmp="$REDIS_SRC/tests/tmp"
if [ $((${#tmp} + 32)) -gt 100 ] && [ ! -L "$tmp" ]; then
	mkdir "$WORK/tmp"
	rm -rf "$tmp"
	ln -s "$WORK/tmp" "$tmp"
	at_exit "rm -f '$tmp' && mkdir '$tmp'"
fi
# Ports of their own: other test runs may be using Redis's default ones.
# Redis's harness also needs each port + 10000 (its cluster bus) to be
# free, so the last one must stay below 55536: bases 30000 to 49000.
base=$((30000 + $$ % 20 * 1000))
t0=$(date +%s)
st=0
make -C "$top_builddir/examples/redis" -f "$top_srcdir/examples/redis/Makefile" TOP="$top_srcdir" \
	REDIS_SRC="$REDIS_SRC" FLEXOS_LINK="$FLEXOS_LINK" UNITS="$units" \
	RUNTEST_FLAGS="--baseport $base --portcount 400" test-lua-process >"$WORK/runtest.log" 2>&1 || st=$?
t1=$(date +%s)
sed 's/\x1b\[[0-9;]*m//g' "$WORK/runtest.log" >"$WORK/plain.log"
grep -E '^\[(err|exception|timeout)\]|^\[ok\]|seconds - ' "$WORK/plain.log" >&2 || true
[ "$st" = 0 ] || { tail -n 40 "$WORK/plain.log" >&2; fail "runtest exited with status $st"; }
expect_output "$WORK/plain.log" "All tests passed without errors!"
! grep -q '^\[err\]' "$WORK/plain.log" || fail "failed: $(grep '^\[err\]' "$WORK/plain.log" | head -n 5)"
n=$(grep -c '^\[ok\]' "$WORK/plain.log" || true)
[ "$n" -gt 0 ] || fail "no test of Redis's suite passed"
pass "Redis's own tests against lua-process: $units: $n passed in $((t1 - t0)) s"
