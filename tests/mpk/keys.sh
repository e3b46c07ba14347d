#!/bin/sh
# Protection keys run out: an intel-mpk image needs one key per
# compartment and three for the runtime (the gate key, the signal-return
# nonce's key, the key of the signal frames' copies) of the CPU's 15.
# With 13 compartments it refuses to start (status 125, with the reason
# and the fix) unless FLEXOS_MPK_FEWER_KEYS=accept is in its environment
# (then it runs, and says what is unprotected); 12 compartments run. In the emulated-PKU VM (tests/vm/run). If the VM
# cannot run, this fails, unless FLEXOS_VM_OPTIONAL=1 (then: skip).
. "${0%/*}/../lib/testlib.sh"
set -eu

# image N: an application calling each of N-1 libraries, one compartment each.
image() {
	n=$1 dir=$WORK/c$1
	mkdir "$dir"
	{
		echo "compartments:"
		echo "- app:"
		echo "  mechanism: intel-mpk"
		echo "  default: true"
		i=1
		while [ $i -lt "$n" ]; do
			printf -- '- c%s:\n  mechanism: intel-mpk\n' $i
			i=$((i + 1))
		done
		echo "libraries:"
		echo "- app: app"
		i=1
		while [ $i -lt "$n" ]; do
			printf -- '- l%s: c%s\n  inputs: [l%s.o]\n' $i $i $i
			i=$((i + 1))
		done
	} >"$dir/keys.yaml"
	objs=
	i=1
	while [ $i -lt "$n" ]; do
		printf 'int f%s(int x) { return x + 1; }\n' $i >"$dir/l$i.c"
		compile "$dir/l$i.o" "$dir/l$i.c"
		objs="$objs $dir/l$i.o"
		i=$((i + 1))
	done
	decls=$(i=1; while [ $i -lt "$n" ]; do printf 'int f%s(int);' $i; i=$((i + 1)); done)
	body=$(i=1; while [ $i -lt "$n" ]; do printf 'x = f%s(x); ' $i; i=$((i + 1)); done)
	printf '#include <stdio.h>\n%s\nint main(void) { int x = 0; %s printf("crossed %%d gates\\n", x); return 0; }\n' \
		"$decls" "$body" >"$dir/app.c"
	compile "$dir/app.o" "$dir/app.c"
	# shellcheck disable=SC2086
	"$FLEXOS_LINK" -c "$dir/keys.yaml" -o "$dir/img" "$dir/app.o" $objs 2>"$dir/link.err" ||
		{ cat "$dir/link.err" >&2; fail "cannot link $n compartments under intel-mpk"; }
}
image 12
image 13
pass "12 and 13 compartments link under intel-mpk"

vm_script 300 --file "$WORK" <<EOS
$WORK/c12/img
--expect-status=125 $WORK/c13/img
env FLEXOS_MPK_FEWER_KEYS=accept $WORK/c13/img
--expect-status=125 env FLEXOS_MPK_FEWER_KEYS=1 $WORK/c13/img
EOS
vm_output 1 >"$WORK/out.1"
expect_output "$WORK/out.1" "^crossed 11 gates$"
! grep -q "no protection key is left" "$WORK/out.1" || fail "12 compartments: a key was missing"
pass "12 compartments (15 keys with the runtime's three) run"
vm_output 2 >"$WORK/out.2"
expect_output "$WORK/out.2" "13 compartments leave no protection key for the gate's own state, the signal-return nonce and the copies of signal frames .*this image needs 16.*Put compartments together in .*keys.yaml .*at most 12 here.*FLEXOS_MPK_FEWER_KEYS=accept"
! grep -q "^crossed" "$WORK/out.2" || fail "13 compartments: main ran"
pass "13 compartments refuse to start (status 125), say why and what to do"
vm_output 3 >"$WORK/out.3"
expect_output "$WORK/out.3" "running as asked \(FLEXOS_MPK_FEWER_KEYS=accept\): they are unprotected"
expect_output "$WORK/out.3" "^crossed 12 gates$"
vm_output 4 >"$WORK/out.4"
expect_output "$WORK/out.4" "13 compartments leave no protection key"
pass "only FLEXOS_MPK_FEWER_KEYS=accept runs them, and the image says what is unprotected"
