# Sourced by the scripts that run inside the test VM (vm-inner.sh of
# tests/lwip and tests/kvserver), after "b=BUILDDIR ko=TUN.KO": loads the
# TAP driver, makes TAP device $1 at 10.0.0.1/24 for lwIP at 10.0.0.2.
vm_make_tap() {
	insmod "$ko" || { echo "vm-inner: insmod $ko failed"; exit 1; }
	"$b/tests/lwip/mktap" "$1" || exit 1
	ip link set lo up && ip addr add 10.0.0.1/24 dev "$1" && ip link set "$1" up || exit 1
}

# wait_listening PID FILE: until FILE says "listening", PID exits, or 30 s.
wait_listening() {
	i=0
	until grep -q listening "$2"; do
		i=$((i + 1))
		[ $i -le 300 ] && kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
}
