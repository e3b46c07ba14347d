# tests/harden/images.sh: sourced by harden.sh and vm.sh after
# tests/lib/testlib.sh. build_images MECHANISM...: in WORK/OPT/ for each
# option OPT (and 'plain', unhardened), the buggy library compiled with
# that option's flags (libbuggy.a) and, per mechanism, the image app-MECH:
# app.c in compartment 'app', the library alone in compartment 'lib'.
H="$top_srcdir/tests/harden"

# Each option as flexos.yaml names it; the library is compiled by
# flexos-cc with that compartment's flags (docs/hardening.md).
FLEXOS_CC="$top_builddir/flexos-cc"
name_plain=""
name_asan=asan
name_ubsan=ubsan
name_stack_protector=stack-protector
name_fortify=fortify
HARDEN_OPTS="plain asan ubsan stack_protector fortify"

# line_of BUG: the line of buggy.c that holds it.
line_of() {
	grep -n "BUG: $1 \*/" "$H/buggy.c" | cut -d: -f1
}

# config OPT MECH: the image's flexos.yaml.
config() {
	eval "_n=\$name_$1"
	cat <<EOC
compartments:
- app:
  mechanism: $2
  default: True
- lib:
  mechanism: $2
  hardening: [$_n]
libraries:
- buggy: lib
  inputs: [libbuggy.a]
EOC
}

build_images() {
	compile "$WORK/app.o" "$H/app.c" -I"$H"
	for opt in $HARDEN_OPTS; do
		mkdir -p "$WORK/$opt"
		config "$opt" none >"$WORK/$opt/flexos.yaml"
		# Planted bugs: the warnings that see some of them are not errors here.
		# shellcheck disable=SC2086  # CFLAGS_TEST is a word list
		"$FLEXOS_CC" -c "$WORK/$opt/flexos.yaml" -l buggy -- $CC $CFLAGS_TEST -g -O1 \
			-Wno-use-after-free -Wno-array-bounds -Wno-stringop-overflow \
			-c -o "$WORK/$opt/buggy.o" "$H/buggy.c" ||
			fail "flexos-cc cannot compile buggy.c for $opt"
		ar rcs "$WORK/$opt/libbuggy.a" "$WORK/$opt/buggy.o"
		for mech in "$@"; do
			config "$opt" "$mech" >"$WORK/$opt/$mech.yaml"
			"$FLEXOS_LINK" -c "$WORK/$opt/$mech.yaml" -o "$WORK/$opt/app-$mech" \
				"$WORK/app.o" "$WORK/$opt/libbuggy.a" >"$WORK/$opt/link-$mech.out" 2>&1 || {
				cat "$WORK/$opt/link-$mech.out" >&2
				fail "cannot link the $opt image under $mech"
			}
		done
	done
}
