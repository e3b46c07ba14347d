#!/bin/sh
# flexos-link learns each gate's prototype from the callee's DWARF, a
# caller's, the library's headers, or assumes it, and says which in
# --explain; what no gate can carry, and a header that does not compile,
# are refused.
. "${0%/*}/../lib/testlib.sh"
set -eu

compile "$WORK/lib-g.o" "$DATA/proto-lib.c" -I"$DATA" -g
compile "$WORK/lib.o" "$DATA/proto-lib.c" -I"$DATA"
ar cr "$WORK/libproto.a" "$WORK/lib-g.o"
ar cr "$WORK/libproto-nodebug.a" "$WORK/lib.o"
compile "$WORK/app.o" "$DATA/proto-app.c" -I"$DATA"
compile "$WORK/app-g.o" "$DATA/proto-app.c" -I"$DATA" -g
compile "$WORK/app-vlog.o" "$DATA/proto-app.c" -I"$DATA" -DVLOG

# config MECHANISM ARCHIVE [EXTRA LIBRARY KEYS...]
config() {
	mech=$1 archive=$2
	shift 2
	printf 'compartments:\n- app:\n  mechanism: %s\n  default: true\n- sb:\n  mechanism: %s\nlibraries:\n- lib: sb\n  inputs: [%s]\n' \
		"$mech" "$mech" "$archive"
	for key in "$@"; do
		printf '  %s\n' "$key"
	done
}

# explain NAME CONFIG-ARGS... : links with --explain into $WORK/explain.
explain() {
	name=$1
	shift
	"$FLEXOS_LINK" -c "$WORK/f.yaml" -o "$WORK/img" --explain "$@" >"$WORK/explain" 2>&1 ||
		{ cat "$WORK/explain" >&2; fail "$name: the link failed"; }
}

config process libproto.a >"$WORK/f.yaml"
explain "callee DWARF" "$WORK/app.o" "$WORK/libproto.a"
expect_output "$WORK/explain" 'prototype: double lib_scale\(double x, int k\) +\[DWARF of .*libproto.a\(lib-g.o\) \(definition\)\]'
expect_output "$WORK/explain" 'carries: INTEGER, INTEGER, INTEGER, INTEGER, INTEGER, INTEGER, INTEGER@stack, INTEGER@stack; 6 integer and 0 vector registers, 16 stack bytes'
expect_output "$WORK/explain" 'prototype: long int lib_norm\(struct pt p\)'
expect_output "$WORK/explain" 'carries: MEMORY@stack; 0 integer and 0 vector registers, 24 stack bytes'
pass "prototypes from the callee's DWARF"

config process libproto-nodebug.a >"$WORK/f.yaml"
explain "caller DWARF" "$WORK/app-g.o" "$WORK/libproto-nodebug.a"
expect_output "$WORK/explain" 'prototype: long int lib_norm\(struct pt\) +\[DWARF of .*app-g.o \(declaration\)\]'
pass "prototypes from a caller's DWARF declarations"

config process libproto-nodebug.a "headers: [proto-lib.h]" "cflags: [-I$DATA]" >"$WORK/f.yaml"
explain "headers" "$WORK/app.o" "$WORK/libproto-nodebug.a"
expect_output "$WORK/explain" 'prototype: long int lib_sum8\(long int, long int, long int, long int, long int, long int, long int, long int\) +\[header proto-lib.h\]'
expect_output "$WORK/explain" 'prototype: assumed \(header proto-lib.h does not declare it\)'
expect_output "$WORK/explain" 'carries: all 6 integer and 8 vector argument registers, %al, and the first 64 bytes of stack arguments'
expect_output "$WORK/explain" "^flexos-link: note: [0-9]+ gates? into library 'lib' \\(.*\\) ha(s|ve) no prototype .* add 'headers: \\[...\\]' to library 'lib'"
pass "prototypes from the library's headers, the rest assumed, with a note naming the fix"

config process libproto-nodebug.a "headers: [proto-lib.h, nothere.h]" "cflags: [-I$DATA]" >"$WORK/f.yaml"
"$FLEXOS_LINK" -c "$WORK/f.yaml" -o "$WORK/img" "$WORK/app.o" "$WORK/libproto-nodebug.a" >"$WORK/out" 2>&1 &&
	fail "a header that does not compile was accepted"
expect_output "$WORK/out" "f.yaml:10:26: error: header 'nothere.h' of library 'lib' does not compile: fatal error: nothere.h: No such file or directory"
pass "a header that does not compile is an error at its place in the config"

config process libproto.a >"$WORK/f.yaml"
rm -f "$WORK/img"
"$FLEXOS_LINK" -c "$WORK/f.yaml" -o "$WORK/img" "$WORK/app-vlog.o" "$WORK/libproto.a" >"$WORK/out" 2>&1 &&
	fail "a va_list across processes was accepted"
expect_output "$WORK/out" "app-vlog.o: error: 'lib_vlog' of 'lib' takes a va_list \(argument 2, 'ap'\)"
[ ! -e "$WORK/img" ] || fail "an image was written anyway"
config none libproto.a >"$WORK/f.yaml"
"$FLEXOS_LINK" -c "$WORK/f.yaml" -o "$WORK/img" "$WORK/app-vlog.o" "$WORK/libproto.a" ||
	fail "a va_list under none was refused"
"$WORK/img" || fail "the image exited $?"
pass "a va_list argument is refused across private stacks, not under none"
