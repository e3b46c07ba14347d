#!/bin/sh
# The attack matrix: for every ordered pair of compartments (A, B), code of
# A reads and writes B's .data, .bss, a heap object and a stack variable.
# Each attempt is its own image run and must fault with a report; shared
# memory must work.
. "${0%/*}/../lib/testlib.sh"
set -eu
build_tapp
comps="ca cb cc"
kinds=".data .bss heap stack"
total=0 blocked=0
for a in 0 1 2; do
	for b in 0 1 2; do
		[ "$a" != "$b" ] || continue
		k=0
		for kind in $kinds; do
			for write in 0 1; do
				total=$((total + 1))
				status=0
				$RUN "$WORK/tapp" attack $a $b $k $write >"$WORK/out" 2>"$WORK/err" ||
					status=$?
				ca=$(echo $comps | cut -d' ' -f$((a + 1)))
				cb=$(echo $comps | cut -d' ' -f$((b + 1)))
				if [ "$status" -eq 123 ] &&
					grep -Eq "^flexos: compartment '$ca' \(pid [0-9]+\) crashed: signal 11 .* in the $kind.* of compartment '$cb'" "$WORK/err" &&
					! grep -q "NOT BLOCKED" "$WORK/out"; then
					blocked=$((blocked + 1))
				else
					echo "not blocked: $ca $([ $write = 1 ] && echo writes || echo reads) $cb's $kind (status $status)" >&2
					cat "$WORK/out" "$WORK/err" >&2
				fi
			done
			k=$((k + 1))
		done
	done
done
echo "$blocked/$total blocked"
[ "$blocked" -eq "$total" ] || fail "$((total - blocked)) of $total attacks were not blocked"
pass "attack matrix: $blocked/$total blocked"
no_orphans "the attacks"

$RUN "$WORK/tapp" shared >"$WORK/shared.out" 2>&1 || { cat "$WORK/shared.out" >&2; fail "shared exited $?"; }
expect_output "$WORK/shared.out" "^shared: section 1003 heap 35 stack 307: ok$"
pass "FLEXOS_SHARED, flexos_shared_malloc and FLEXOS_SHARED_STACK work across compartments"
no_orphans "shared"
