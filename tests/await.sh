# Sourced by the network tests and bench/kvserver/run.
#
# await_line FILE PATTERN PID: waits until FILE, the output of process
# PID, has a line matching PATTERN (grep), 10 s at most. 0; or 1 after
# copying FILE to stderr when PID ended or the time is up.
await_line() {
	local i=0
	until grep -q "$2" "$1"; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 "$3" 2>/dev/null; then
			cat "$1" >&2
			return 1
		fi
		sleep 0.1
	done
}
