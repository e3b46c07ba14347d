#!/bin/sh
# Redis's own test units against an image under intel-mpk, in the
# emulated-PKU VM (tests/vm/run), one boot per unit; not part of `make
# check` (a unit takes minutes under TCG). `make redis-units-vm
# UNITS="unit/expire unit/other"` builds the images and calls it.
#   tests/redis/units-vm.sh RUNDIR [UNIT...]
# RUNDIR: Redis's tests, runtest and binaries with the image as
# src/redis-server (examples/redis/run-lua-mpk, `make run-lua-mpk` in
# examples/redis). Prints each unit's runtest summary and a line
# "UNIT: N ok, M err, ..."; the whole output of each unit goes to
# $REDIS_VM_LOGS/UNIT.log (default: RUNDIR.logs). Exits 1 if a unit had an
# error or did not finish.
# Environment: REDIS_VM_TIMEOUT (seconds a unit's boot may take, 3600),
# RUNTEST_FLAGS (more runtest options), FLEXOS_VM_MEM (MiB, 2048 here).
set -u
top=$(cd "${0%/*}/../.." && pwd)
[ $# -ge 1 ] || {
	echo "usage: $0 RUNDIR [UNIT...]" >&2
	exit 99
}
rundir=$(cd "$1" && pwd) || exit 99
shift
[ $# -gt 0 ] || set -- unit/type/incr unit/type/string unit/expire unit/other integration/rdb \
	unit/type/hash unit/type/list unit/type/set unit/type/zset
img=$(readlink -f "$rundir/src/redis-server")
cli=$(readlink -f "$rundir/src/redis-cli")
tclsh=$(command -v tclsh8.6) || {
	echo "$0: no tclsh8.6: Redis's test harness needs Tcl (apt-get install tcl)" >&2
	exit 99
}
logs=${REDIS_VM_LOGS:-$rundir.logs}
mkdir -p "$logs"
export FLEXOS_VM_MEM="${FLEXOS_VM_MEM:-2048}"
lg=$(gcc -print-file-name=libgcc_s.so.1 2>/dev/null) && [ -f "$lg" ] || lg=
# What the harness runs that busybox lacks or does otherwise: pgrep
# (get_child_pid, else ps --ppid), ps -p/ps j (process_is_paused),
# getconf PAGESIZE (integration/rdb).
tools=
for t in pgrep ps getconf; do
	p=$(command -v $t) && tools="$tools --file $p"
done
script=$(mktemp)
trap 'rm -f "$script"' EXIT
bad=0
for unit in "$@"; do
	log=$logs/$(echo "$unit" | tr / _).log
	# The harness's per-test timeout is raised; Redis's server waits are
	# raised inside the VM by units-in-vm.sh (TCG is slow).
	echo "$top/tests/redis/units-in-vm.sh $rundir --clients 1 --timeout 2400" \
		"${RUNTEST_FLAGS:-} --single $unit" >"$script"
	t0=$(date +%s)
	st=0
	# shellcheck disable=SC2086  # tools is a list of options
	"$top/tests/vm/run" --timeout "${REDIS_VM_TIMEOUT:-3600}" --file "$rundir" \
		--file "$img" --file "$cli" --file "$tclsh" --file /usr/share/tcltk/tcl8.6 \
		--file /etc/hosts --file /etc/nsswitch.conf ${lg:+--file "$lg"} $tools \
		--file "$top/tests/redis/units-in-vm.sh" --script "$script" >"$log" 2>&1 || st=$?
	t=$(($(date +%s) - t0))
	# runtest's summary: from its first "[ok]" or "[err]" line on, the
	# verdicts and the end (the list of failed tests, "All tests passed").
	grep -E '^\[(ok|err|exception|ignore|skip|TIMEOUT)\]|^!!!|All tests passed|^\*\*\* |^Killing|^=====|^flexos:|^tests/vm/run:|^Execution time|Cleanup:' "$log" |
		grep -v '^\[ok\]' | head -n 200
	ok=$(grep -c '^\[ok\]' "$log")
	err=$(grep -c '^\[err\]' "$log")
	exc=$(grep -c '^\[exception\]' "$log")
	ign=$(grep -cE '^\[(ignore|skip)\]' "$log")
	if grep -q 'All tests passed without errors' "$log"; then
		done="all passed"
	else
		done="not all passed"
		bad=1
	fi
	echo "$unit: $ok ok, $err err, $exc exception, $ign ignored; $done; VM status $st; $t s (log: $log)"
done
exit "$bad"
