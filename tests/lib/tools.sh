# tests/lib/tools.sh: the helpers of tests/lib/testlib.sh that print no
# TAP, for the benchmarks (bench/*/run) as much as for the tests; sourced,
# not run. POSIX sh: dash, bash and busybox sh (inside the test VM).

# libgcc_s: the path of the compiler's libgcc_s.so.1, or nothing. Images
# load it (the runtime's unwinder), so a VM that runs them needs a copy
# of it.
libgcc_s() {
	_lg=$(${CC:-cc} -print-file-name=libgcc_s.so.1 2>/dev/null)
	case $_lg in /*) [ -f "$_lg" ] && printf '%s\n' "$_lg" ;; esac
	return 0
}

# await_line FILE PATTERN PID [SECONDS]: waits until FILE, the output of
# process PID, has a line matching PATTERN (grep), SECONDS (10) at most.
# 0; or 1 after copying FILE to stderr when PID ended or the time is up.
await_line() {
	_al_i=0
	until grep -q "$2" "$1"; do
		_al_i=$((_al_i + 1))
		if [ $_al_i -gt $((${4:-10} * 10)) ] || ! kill -0 "$3" 2>/dev/null; then
			cat "$1" >&2
			return 1
		fi
		sleep 0.1
	done
}

# netns_tap NAME [TAP [MAC]]: a network namespace of this run, ns
# (flexos-NAME-PID), with its loopback up; with TAP, a TAP device TAP in
# it at $net.1/24, net being a /24 of 10.0.0.0/8 per run so that runs side
# by side do not collide (lwIP takes $net.2); with MAC, a permanent
# neighbour entry $net.2 at MAC (with many clients at once lwIP may drop
# the kernel's ARP probes, and connects then fail with "No route to
# host"). Every ip command is bounded by 10 s. netns_cleanup, which kills
# whatever still runs in the namespace and deletes it (the TAP device with
# it), must run at exit (testlib.sh's need_netns, or a trap). Returns 1
# with netns_error set (a sentence) when it cannot create the namespace,
# 2 when it cannot set it up.
netns_tap() {
	netns_error=
	if [ "$(id -u)" -ne 0 ]; then
		netns_error="needs root to create a network namespace${2:+ and a TAP device} (run it as root)"
		return 1
	fi
	command -v ip >/dev/null && command -v nsenter >/dev/null || {
		netns_error="ip or nsenter is missing: install iproute2 and util-linux (tools/install-deps --test)"
		return 1
	}
	ns=flexos-$1-$$
	net=10.$(($$ % 250 + 1)).$(($$ / 250 % 250 + 1))
	if ! _nt_err=$(timeout 10 ip netns add "$ns" 2>&1); then
		netns_error="cannot create a network namespace: $_nt_err"
		ns=
		return 1
	fi
	in_ns 10 ip link set lo up || { netns_error="cannot bring up lo in namespace $ns"; return 2; }
	[ -n "${2:-}" ] || return 0
	in_ns 10 ip tuntap add dev "$2" mode tap &&
		in_ns 10 ip addr add "$net.1/24" dev "$2" &&
		in_ns 10 ip link set "$2" up || {
		netns_error="cannot set up TAP device $2 in namespace $ns"
		return 2
	}
	[ -n "${3:-}" ] || return 0
	in_ns 10 ip neigh add "$net.2" lladdr "$3" dev "$2" nud permanent ||
		{ netns_error="cannot add a neighbour entry for $net.2 on $2"; return 2; }
}

# in_ns SECONDS COMMAND...: runs COMMAND in the namespace, SECONDS at most.
in_ns() {
	_in_t=$1
	shift
	timeout "$_in_t" nsenter --net="/run/netns/$ns" "$@"
}

netns_cleanup() {
	[ -n "${ns:-}" ] || return 0
	for _nc_p in $(ip netns pids "$ns" 2>/dev/null); do
		kill -9 "$_nc_p" 2>/dev/null
	done
	timeout 10 ip netns del "$ns" 2>/dev/null
	ns=
}
