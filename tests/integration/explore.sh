#!/bin/sh
# flexos-explore end to end, on a synthetic benchmark that computes its
# figure from the configuration (seconds, not minutes): enumeration,
# measurement with pruning, an interrupted run that resumes without
# repeating a run, a new budget that reuses every measurement, the poset,
# the errors, and --emit-jobs run by GNU parallel then --collect.
. "${0%/*}/../lib/testlib.sh"
set -u
EXPLORE="$top_builddir/flexos-explore"
[ -x "$EXPLORE" ] || die "$EXPLORE is missing: run make first"

ex=$WORK/ex
mkdir -p "$ex"
# Throughput falls by 200 a compartment, by 300 more under process, and
# by 50 with a library hardened: one compartment 1000, two 800 (none) or
# 500 (process), three 600 or 300.
cat >"$ex/bench.sh" <<'EOF'
#!/bin/sh
echo "$FLEXOS_EXPLORE_ID $FLEXOS_EXPLORE_RUN" >>"$EXPLORE_LOG/bench"
sleep "${EXPLORE_SLEEP:-0}"
grep -q "^- app:" "$FLEXOS_EXPLORE_CONFIG" || { echo "no config at $FLEXOS_EXPLORE_CONFIG" >&2; exit 1; }
p=0
[ "$FLEXOS_EXPLORE_MECHANISM" = process ] && p=300
[ -n "$FLEXOS_EXPLORE_HARDENED" ] && p=$((p + 50))
echo "requests per second: $((1000 - 200 * (FLEXOS_EXPLORE_COMPARTMENTS - 1) - p))"
EOF
cat >"$ex/explore.yaml" <<'EOF'
libraries:
- lwip:
  inputs: [liblwip.so]
  compartment: {syscalls: [network]}
- store:
  inputs: [store.o]
mechanisms: [none, process]
hardening: {}
build: echo "$FLEXOS_EXPLORE_ID" >>"$EXPLORE_LOG/build" && cp "$FLEXOS_EXPLORE_CONFIG" "$FLEXOS_EXPLORE_DIR/image"
bench: sh ./bench.sh
runs: 3
budget: 0.7x
EOF
EXPLORE_LOG=$WORK/log
mkdir -p "$EXPLORE_LOG"
export EXPLORE_LOG
count() { if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi; }
recorded() { cat "$WORK/cache"/*/runs 2>/dev/null | wc -l; }

"$EXPLORE" --list -C "$WORK/cache" "$ex/explore.yaml" >"$WORK/out" 2>&1 || fail "--list exited $?"
expect_output "$WORK/out" '^9 configurations, 0 measured, 0 candidates$'
expect_output "$WORK/out" '^[0-9a-f]{16} +app \| lwip \| store +3 process '
[ "$(count "$EXPLORE_LOG/bench")" -eq 0 ] || fail "--list ran the benchmark"
pass "--list enumerates the 9 configurations of two libraries under none and process, runs nothing"

# Interrupted: SIGINT once five runs have started.
EXPLORE_SLEEP=0.2 "$EXPLORE" -C "$WORK/cache" "$ex/explore.yaml" >"$WORK/out" 2>"$WORK/err" &
pid=$!
i=0
while [ "$(count "$EXPLORE_LOG/bench")" -lt 5 ] && [ $i -lt 200 ]; do
	sleep 0.1
	i=$((i + 1))
done
kill -INT $pid
st=0
wait $pid || st=$?
[ $st -eq 130 ] || { cat "$WORK/err" >&2; fail "the interrupted exploration exited $st, expected 130"; }
expect_output "$WORK/err" 'interrupted; the finished runs are kept in .*: run the same command again to resume'
first=$(recorded)
started=$(count "$EXPLORE_LOG/bench")
[ "$first" -ge 4 ] && [ "$first" -lt 24 ] || fail "$first runs recorded after the interruption, expected 4 to 23"
pass "SIGINT stops the exploration with status 130, $first runs kept"

"$EXPLORE" -C "$WORK/cache" "$ex/explore.yaml" >"$WORK/out" 2>"$WORK/err" || { cat "$WORK/err" >&2; fail "the resumed exploration exited $?"; }
cat "$WORK/out" >&2
again=$(($(count "$EXPLORE_LOG/bench") - started))
[ "$again" -eq $((24 - first)) ] || fail "the resumed run benchmarked $again times, expected $((24 - first)) (24 runs of 8 configurations, $first kept)"
expect_output "$WORK/out" '^9 configurations, 8 measured, 3 candidates \(1 pruned\)$'
expect_output "$WORK/out" '^budget: >= 700 '
expect_output "$WORK/out" 'app \| lwip \| store +3 process .* pruned$'
expect_output "$WORK/out" 'app\+store \| lwip +2 none .* 800 +0\.0% +0\.800  \* candidate$'
builds=$(count "$EXPLORE_LOG/build")
[ "$builds" -ge 8 ] && [ "$builds" -le 9 ] || fail "$builds builds for 8 configurations"
pass "the rerun resumes: only the missing runs, 8 measured, 3 candidates, the one above a failure pruned"

for f in "$WORK"/cache/*/; do
	[ -f "$f/runs" ] || continue
	[ -f "$f/flexos.yaml" ] && [ -f "$f/median" ] && [ -f "$f/image" ] ||
		fail "$f lacks flexos.yaml, median or what the build wrote"
done
expect_output "$WORK/cache/$(sed -n 's/^\([0-9a-f]*\) *app | lwip | store *3 none .*/\1/p' "$WORK/out")/flexos.yaml" \
	'^  syscalls: \[network\]$'
pass "each configuration's directory holds its flexos.yaml, its runs, its median and the build's output"

before=$(count "$EXPLORE_LOG/bench")
"$EXPLORE" -C "$WORK/cache" --budget 0.4x "$ex/explore.yaml" >"$WORK/out" 2>"$WORK/err" || fail "the exploration with --budget 0.4x exited $?"
[ $(($(count "$EXPLORE_LOG/bench") - before)) -eq 3 ] ||
	fail "a new budget benchmarked $(($(count "$EXPLORE_LOG/bench") - before)) times, expected 3 (the configuration pruned before)"
expect_output "$WORK/out" '^9 configurations, 9 measured, 4 candidates$'
pass "a new budget reuses every measurement and measures only what is no longer pruned"

grep -c '^	c[0-9]* \[label=' "$WORK/cache/poset.dot" | grep -qx 9 || fail "poset.dot has not 9 nodes"
grep -c ' -> ' "$WORK/cache/poset.dot" | grep -qx 13 || fail "poset.dot has not the 13 edges of the Hasse diagram"
if command -v dot >/dev/null; then
	grep -q '<svg' "$WORK/cache/poset.svg" || fail "no SVG rendered"
	expect_output "$WORK/out" "^poset: .*poset.dot, rendered as .*poset.svg$"
else
	expect_output "$WORK/out" "graphviz's dot is missing"
fi
pass "the poset: 9 nodes, 13 edges, rendered when graphviz is installed"

# The hardening dimension: lwip tried with and without, where it is alone
# in its compartment (4 more configurations); hardened alone under none it
# still meets the budget (750), so it is the candidate instead of the
# same split unhardened.
sed 's/^hardening: {}$/hardening: {lwip: [ubsan, stack-protector]}/' "$ex/explore.yaml" >"$ex/hard.yaml"
"$EXPLORE" -C "$WORK/hard" "$ex/hard.yaml" >"$WORK/out" 2>"$WORK/err" || { cat "$WORK/err" >&2; fail "the exploration with hardening exited $?"; }
cat "$WORK/out" >&2
expect_output "$WORK/out" '^13 configurations, [0-9]+ measured, 3 candidates'
expect_output "$WORK/out" 'app\+store \| lwip\[stack-protector, ubsan\] +2 none +yes .* 750 +0\.0% +0\.750  \* candidate$'
expect_output "$WORK/out" 'app\+store \| lwip +2 none +- .* 800 +0\.0% +0\.800  meets$'
hid=$(sed -n 's/^\([0-9a-f]*\) *app+store | lwip\[stack-protector, ubsan\] *2 none .*/\1/p' "$WORK/out")
[ -n "$hid" ] || fail "no configuration app+store | lwip[...] under none"
expect_output "$WORK/hard/$hid/flexos.yaml" '^  hardening: \[stack-protector, ubsan\]$'
pass "hardening: lwip tried hardened where it is alone in its compartment; its flexos.yaml says so; the hardened split is the candidate"
sed 's/^hardening: {}$/hardening: {lwip: [cfi]}/' "$ex/explore.yaml" >"$ex/cfi.yaml"
st=0
"$EXPLORE" -C "$WORK/cfi" "$ex/cfi.yaml" >"$WORK/out" 2>&1 || st=$?
[ $st -eq 1 ] || fail "hardening cfi exited $st"
expect_output "$WORK/out" "cfi.yaml:8:20: error: hardening 'cfi' needs clang"
sed 's/^bench: .*/bench: test "$FLEXOS_EXPLORE_MECHANISM" != process \&\& echo 5/' "$ex/explore.yaml" >"$ex/broken.yaml"
"$EXPLORE" -C "$WORK/broken" "$ex/broken.yaml" >"$WORK/out" 2>"$WORK/err" || fail "an exploration with a failing benchmark exited $?"
expect_output "$WORK/out" 'app\+lwip \| store +2 process .* broken: the bench command failed \(status 1\): see '
expect_output "$WORK/out" '^9 configurations, 5 measured, 1 candidates \(4 broken\)$'
pass "a hardening gcc cannot do is refused at its position; a failing benchmark marks its configuration broken"

"$EXPLORE" --emit-jobs "$WORK/jobs" "$ex/explore.yaml" >"$WORK/out" 2>&1 || fail "--emit-jobs exited $?"
[ "$(count "$WORK/jobs/jobs")" -eq 9 ] || fail "not 9 jobs"
grep -q '^#SBATCH --array=1-9$' "$WORK/jobs/slurm.sh" || fail "the Slurm script is not an array of 9"
expect_output "$WORK/out" 'parallel -j2 < '
SLURM_ARRAY_TASK_ID=2 sh "$WORK/jobs/slurm.sh" >"$WORK/out" 2>&1 || { cat "$WORK/out" >&2; fail "task 2 of the Slurm script failed"; }
[ "$(ls "$WORK/jobs/results" | wc -l)" -eq 1 ] || fail "task 2 measured not one configuration"
pass "--emit-jobs: 9 jobs and a Slurm array, whose task 2 runs one of them"

if ! command -v parallel >/dev/null || ! parallel --version 2>/dev/null | grep -q 'GNU parallel'; then
	skip "GNU parallel runs the jobs, --collect merges them" "GNU parallel is not installed (tools/install-deps --test)"
else
	before=$(count "$EXPLORE_LOG/bench")
	parallel --will-cite -j2 <"$WORK/jobs/jobs" >"$WORK/out" 2>&1 || { cat "$WORK/out" >&2; fail "parallel -j2 exited $?"; }
	# Task 2 was measured already; its job finds it in the results.
	[ $(($(count "$EXPLORE_LOG/bench") - before)) -eq 24 ] ||
		fail "the jobs benchmarked $(($(count "$EXPLORE_LOG/bench") - before)) times, expected 24 (8 configurations x 3)"
	"$EXPLORE" -C "$WORK/merged" --collect "$WORK/jobs/results" "$ex/explore.yaml" >"$WORK/out" 2>"$WORK/err" ||
		fail "--collect exited $?"
	expect_output "$WORK/err" '9 configurations merged from '
	expect_output "$WORK/out" '^9 configurations, 9 measured, 3 candidates$'
	[ "$(count "$EXPLORE_LOG/bench")" -eq $((before + 24)) ] || fail "--collect ran a benchmark"
	pass "GNU parallel runs the jobs two at a time, --collect merges them: 9 measured, 3 candidates"
fi
