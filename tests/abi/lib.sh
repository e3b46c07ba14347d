# tests/abi: what abi.sh and vm.sh share; sourced, not run.
. "$top_srcdir/tests/lib/testlib.sh"

ABI="$top_srcdir/tests/abi"
# Cases whose call needs the callee's prototype (DWARF or header): without
# one a gate carries no sret result (ret24, ret64) and 64 bytes of stack
# arguments, fewer than big (80) and s64plus (72) pass.
PROTO_CASES="ret24 ret64 big s64plus"

# The objects, with DWARF (-g) so flexos-link learns exact prototypes, the
# unmodified archive, and the plain build's output: one line per case.
build_abi() {
	compile "$WORK/lib.o" "$ABI/abilib.c" -g
	ar cr "$WORK/libabi.a" "$WORK/lib.o"
	compile "$WORK/app.o" "$ABI/abiapp.c" -g
	compile "$WORK/plain.o" "$ABI/abiapp.c" -g -DABI_PLAIN
	$CC -o "$WORK/plain" "$WORK/plain.o" "$WORK/lib.o" || fail "cannot link the plain build"
	"$WORK/plain" >"$WORK/plain.out" || fail "the plain build exited $?"
	"$WORK/plain" --list >"$WORK/cases"
	[ "$(wc -l <"$WORK/cases")" -eq "$(wc -l <"$WORK/plain.out")" ] ||
		fail "the plain build does not print one line per case"
}

# link_abi MECHANISM IMAGE [SED]: the image, with abilib in its own compartment.
link_abi() {
	with_mechanism "$ABI/abi.yaml" "$1" | sed "${3:-}" >"$WORK/$1.yaml"
	"$FLEXOS_LINK" -c "$WORK/$1.yaml" -o "$2" "$WORK/app.o" "$WORK/libabi.a" ||
		fail "cannot link the $1 image"
}

# compare LABEL DIR: DIR/CASE holds one image's output for each case; each
# must be the plain build's line. Counts failures in $failed.
failed=0
compare() {
	while read -r c; do
		grep "^$c " "$WORK/plain.out" >"$WORK/want"
		if head -n 1 "$2/$c" | cmp -s - "$WORK/want"; then
			pass "$1: $c"
		else
			why=
			case " $PROTO_CASES " in *" $c "*) why=" (needs the prototype: DWARF or header)" ;; esac
			head -n 5 "$2/$c" >&2
			fail "$1: $c$why: expected '$(cat "$WORK/want")', got '$(head -n 1 "$2/$c")'"
			pass "$1: $c"
			failed=$((failed + 1))
		fi
	done <"$WORK/cases"
}
