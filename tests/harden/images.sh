# tests/harden/images.sh: sourced by harden.sh and vm.sh after
# tests/lib/testlib.sh. build_images MECHANISM...: in WORK/OPT/ for each
# option OPT (and 'plain', unhardened), the buggy library compiled with
# that option's flags (libbuggy.a) and, per mechanism, the image app-MECH:
# app.c in compartment 'app', the library alone in compartment 'lib'.
H="$top_srcdir/tests/harden"

# The flags of each option (the ones flexos-cc adds: docs/hardening.md).
flags_plain=""
flags_asan="-fsanitize=kernel-address --param asan-instrumentation-with-call-threshold=0 \
--param asan-stack=1 --param asan-globals=1 -fasan-shadow-offset=0x7fff8000"
flags_ubsan="-fsanitize=undefined -fno-sanitize-recover=undefined -fno-sanitize=vptr"
flags_stack_protector="-fstack-protector-all"
flags_fortify="-D_FORTIFY_SOURCE=2 -O2"
bit_plain=0
bit_asan=FLEXOS_COMP_HARDEN_ASAN
bit_ubsan=FLEXOS_COMP_HARDEN_UBSAN
bit_stack_protector=FLEXOS_COMP_HARDEN_STACK_PROTECTOR
bit_fortify=FLEXOS_COMP_HARDEN_FORTIFY
HARDEN_OPTS="plain asan ubsan stack_protector fortify"

# line_of BUG: the line of buggy.c that holds it.
line_of() {
	grep -n "BUG: $1 \*/" "$H/buggy.c" | cut -d: -f1
}

build_images() {
	compile "$WORK/app.o" "$H/app.c" -I"$H"
	for opt in $HARDEN_OPTS; do
		mkdir -p "$WORK/$opt"
		eval "f=\$flags_$opt bit=\$bit_$opt"
		# Planted bugs: the warnings that see some of them are not errors here.
		# shellcheck disable=SC2086  # f is a word list
		compile "$WORK/$opt/buggy.o" "$H/buggy.c" -g -O1 -Wno-use-after-free \
			-Wno-array-bounds -Wno-stringop-overflow $f ||
			fail "cannot compile buggy.c with $f"
		ar rcs "$WORK/$opt/libbuggy.a" "$WORK/$opt/buggy.o"
		# Until flexos-link writes the options into the table ('hardening:').
		printf '#include <flexos/harden.h>\nconst struct flexos_harden_override %s[] = {{"lib", %s}, {0, 0}};\n' \
			flexos_harden_override "$bit" >"$WORK/$opt/override.c"
		compile "$WORK/$opt/override.o" "$WORK/$opt/override.c"
		for mech in "$@"; do
			cat >"$WORK/$opt/$mech.yaml" <<EOC
compartments:
- app:
  mechanism: $mech
  default: True
- lib:
  mechanism: $mech
libraries:
- buggy: lib
  inputs: [libbuggy.a]
EOC
			# Under none the allocations of an asan compartment need
			# the runtime's hooks (src/harden/heap_none.c).
			extra=
			[ "$mech" != none ] || extra=-lflexos-harden-none
			"$FLEXOS_LINK" -c "$WORK/$opt/$mech.yaml" -o "$WORK/$opt/app-$mech" \
				"$WORK/app.o" "$WORK/$opt/override.o" "$WORK/$opt/libbuggy.a" $extra \
				-lflexos-harden >"$WORK/$opt/link-$mech.out" 2>&1 || {
				cat "$WORK/$opt/link-$mech.out" >&2
				fail "cannot link the $opt image under $mech"
			}
		done
	done
}
