#!/bin/sh
# The scheduler image (tests/sched/schedapp.c) under the none and process
# backends: scheduler threads calling into another compartment, which
# yields while they are there. The intel-mpk variant runs in tests/mpk/vm.sh.
. "${0%/*}/../lib/testlib.sh"
set -u
for backend in none process; do
	out=$(timeout 60 "$top_builddir/tests/sched/sched-$backend" 2>&1)
	st=$?
	printf '%s\n' "$out"
	if [ $st != 0 ] || ! printf '%s\n' "$out" | grep -qx "sched-image: ok"; then
		fail "$backend (status $st)"
	fi
	pass "$backend: scheduler threads switching while in different compartments"
done
