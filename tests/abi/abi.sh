#!/bin/sh
# Every class of the System V x86-64 calling convention across a gate:
# abiapp calls each function of abilib (an unmodified archive in another
# compartment) through its automatic gate and through flexos_gate_r; each
# case, run alone, must print what the plain build (cc, no FlexOS) prints,
# under none and process. intel-mpk: tests/abi/vm.sh.
. "${0%/*}/lib.sh"

build_abi
for m in none process; do
	link_abi $m "$WORK/abi-$m"
	mkdir "$WORK/$m"
	while read -r c; do
		timeout 60 "$WORK/abi-$m" "$c" >"$WORK/$m/$c" 2>&1 || echo "exit status $?" >>"$WORK/$m/$c"
	done <"$WORK/cases"
	compare "$m" "$WORK/$m"
done
# The library really is behind gates under process; under none the gate
# symbol is the function itself.
addr() { nm "$1" | awk -v s="$2" '$3 == s { print $1 }'; }
g=$(addr "$WORK/abi-process" __flexos_gate__abilib__lib_scale)
[ -n "$g" ] && [ "$g" != "$(addr "$WORK/abi-process" lib_scale)" ] ||
	fail "abi-process has no gate stub for lib_scale"
[ "$(addr "$WORK/abi-none" __flexos_gate__abilib__lib_scale)" = "$(addr "$WORK/abi-none" lib_scale)" ] ||
	fail "abi-none's gate to lib_scale is not lib_scale itself"
pass "gate stubs under process, direct calls under none"
