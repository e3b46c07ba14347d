# Helpers for the integration tests; sourced, not run.
# The test harness exports top_srcdir, top_builddir and FLEXOS_LIBDIR.
set -eu

: "${top_srcdir:?run through make check}" "${top_builddir:?run through make check}"
FLEXOS_LINK="$top_builddir/flexos-link"
CC=${CC:-cc}
CFLAGS_TEST="-O2 -fPIE -Wall -Wextra -Werror -I$top_srcdir/include"
DATA="$top_srcdir/tests/integration/data"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/flexos-test.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
passed=0

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

ok() {
	passed=$((passed + 1))
	echo "ok $passed - $*"
}

# expect_output FILE PATTERN: FILE holds a line matching the extended regex.
expect_output() {
	grep -Eq -- "$2" "$1" || { echo "--- $1:" >&2; cat "$1" >&2; fail "no line matches /$2/"; }
}

# compile OUT SRC [CFLAGS...]
compile() {
	out=$1 src=$2
	shift 2
	$CC $CFLAGS_TEST "$@" -c -o "$out" "$src"
}

# A config with the given mechanism: sed over a config file.
with_mechanism() {
	sed "s/mechanism: none/mechanism: $2/" "$1"
}
