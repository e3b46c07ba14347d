#!/bin/sh
# The scheduler image (tests/sched/schedapp.c) under the none and process
# backends: scheduler threads calling into another compartment, which
# yields while they are there. The intel-mpk variant runs in tests/mpk/vm.sh.
set -u
b=$(cd "${top_builddir:-.}" && pwd)
fail=0
for backend in none process; do
	out=$(timeout 60 "$b/tests/sched/sched-$backend" 2>&1)
	st=$?
	printf '%s\n' "$out"
	if [ $st = 0 ] && printf '%s\n' "$out" | grep -qx "sched-image: ok"; then
		echo "images.sh: ok: $backend"
	else
		echo "images.sh: FAIL: $backend (status $st)"
		fail=1
	fi
done
exit $fail
