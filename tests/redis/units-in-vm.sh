#!/bin/sh
# Run inside the test VM by tests/redis/units-vm.sh: runs Redis's test
# harness in RUNDIR (Redis's tests/ and runtest, the image as
# src/redis-server) with the runtest options that follow, then prints the
# log of every test server that ended with a FlexOS report or a crash,
# so that the cause comes back out of the VM; exits with the harness's
# status.
rundir=$1
shift
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up
cd "$rundir" || exit 127
rm -rf tests/tmp
mkdir -p tests/tmp
# Under TCG a server may take longer than the harness waits (5 s for the
# first PING, 2 min for the PID in its log): ten times more, in the VM's
# copy of the harness only. Redis's own crash log is off: its SIGSEGV
# handler would replace FlexOS's fault report (docs/threat-model.md,
# limit 9).
# shellcheck disable=SC2016  # Tcl's $, not the shell's
sed -i 's/set retrynum 100}/set retrynum 1000}/; s/expr {120\*1000\/\$checkperiod}/expr {1200*1000\/$checkperiod}/' \
	tests/support/server.tcl
printf "\ncrash-log-enabled no\n" >>tests/assets/default.conf
st=0
tclsh8.6 tests/test_helper.tcl "$@" || st=$?
for f in tests/tmp/*/stdout tests/tmp/*/stderr; do
	[ -f "$f" ] || continue
	if grep -qE '^flexos:|protection-key fault|crashed by signal|REDIS BUG REPORT|Guru Meditation' "$f"; then
		echo "===== $f ====="
		tail -n 200 "$f"
	fi
done
exit "$st"
