#!/bin/sh
# tests/abi under intel-mpk, private and shared stacks, and with abilib in
# a 'libc: newlib' compartment (which runs without key 0: the newlib gate)
# when newlib is built, in one boot of the emulated-PKU VM (tests/vm/run;
# natively where the host has PKU): each case must print what the plain
# build prints (see abi.sh).
# If the VM cannot run, this fails, unless FLEXOS_VM_OPTIONAL=1 (then: skip).
. "${0%/*}/lib.sh"

build_abi
link_abi intel-mpk "$WORK/abi-mpk"
# The same with shared stacks: every compartment says 'stack: shared'.
with_mechanism "$ABI/abi.yaml" intel-mpk |
	awk '{ print } /mechanism: intel-mpk/ { print "  stack: shared" }' >"$WORK/shared.yaml"
"$FLEXOS_LINK" -c "$WORK/shared.yaml" -o "$WORK/abi-mpk-shared" "$WORK/app.o" "$WORK/libabi.a" ||
	fail "cannot link the shared-stacks image"

images="abi-mpk abi-mpk-shared"
# abilib compiled against newlib, in a newlib compartment (docs/newlib.md).
. "$top_builddir/tests/newlib/config.sh"
if [ "$NEWLIB_ENABLED" = yes ]; then
	# shellcheck disable=SC2086
	$CC $NEWLIB_CFLAGS -O2 -fPIE -g -Wall -Wextra -Werror -c -o "$WORK/nl-abilib.o" \
		"$ABI/abilib.c" || fail "cannot compile abilib against newlib"
	with_mechanism "$ABI/abi.yaml" intel-mpk |
		awk '{ print } /^- lib:/ { lib = 1 } lib && /mechanism:/ { print "  libc: newlib"; lib = 0 }' |
		sed 's/inputs: \[libabi.a\]/inputs: [nl-abilib.o]/' >"$WORK/newlib.yaml"
	(cd "$WORK" && "$FLEXOS_LINK" -c newlib.yaml -o abi-mpk-newlib app.o nl-abilib.o) ||
		fail "cannot link the image with a newlib compartment"
	images="$images abi-mpk-newlib"
else
	echo "# newlib is not built: no image with a newlib compartment"
fi

: >"$WORK/script"
for img in $images; do
	while read -r c; do
		echo "$WORK/$img $c" >>"$WORK/script"
	done <"$WORK/cases"
done
vm_script 600 <"$WORK/script"

# Command N's output, and its status line when it failed.
n=0
for img in $images; do
	mkdir "$WORK/$img.out"
	while read -r c; do
		n=$((n + 1))
		awk -v n="$n" '/^=== \[[0-9]+\/[0-9]+\] / { split($2, a, /[\[\/]/); cur = a[2] + 0
				if (cur == n && $0 ~ /FAIL\)$/) fail = $0; next }
			/^tests\/vm\/run: [0-9]+ commands/ { cur = 0 }
			cur == n { print } END { if (fail != "") print fail }' "$WORK/vm.out" >"$WORK/$img.out/$c"
	done <"$WORK/cases"
done
compare "intel-mpk" "$WORK/abi-mpk.out"
compare "intel-mpk, shared stacks" "$WORK/abi-mpk-shared.out"
[ ! -d "$WORK/abi-mpk-newlib.out" ] || compare "intel-mpk, newlib compartment" "$WORK/abi-mpk-newlib.out"
