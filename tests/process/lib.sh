# Helpers for the process backend's tests; sourced, not run. Builds the
# test images in $WORK: tapp (three.yaml) and tapp-r (restart.yaml).
. "$top_srcdir/tests/integration/lib.sh"
PDIR="$top_srcdir/tests/process"
# Every run is bounded: a hang is a failure, never a stuck CI.
RUN="timeout -k 2 60"

build_tapp() {
	for l in ta tb tc; do
		compile "$WORK/$l.o" "$PDIR/tlib.c" -DLIB=$l
		ar rcs "$WORK/lib$l.a" "$WORK/$l.o"
	done
	compile "$WORK/tapp.o" "$PDIR/tapp.c"
	for img in tapp:three tapp-r:restart; do
		"$FLEXOS_LINK" -c "$PDIR/${img#*:}.yaml" -o "$WORK/${img%:*}" "$WORK/tapp.o" \
			"$WORK/libta.a" "$WORK/libtb.a" "$WORK/libtc.a" -lpthread ||
			fail "cannot link ${img%:*}"
	done
}

# No process of this test's images is left, zombies included (1 s grace
# for a SIGKILL to propagate).
no_orphans() {
	for _ in $(seq 20); do
		pgrep -f "$WORK/" >/dev/null || return 0
		sleep 0.05
	done
	ps -o pid,ppid,stat,args -p "$(pgrep -d, -f "$WORK/")" >&2 || true
	fail "processes of the image are left behind${1:+ after $1}"
}
