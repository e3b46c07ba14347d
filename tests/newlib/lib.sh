# Helpers for the newlib tests; sourced, not run: the integration helpers,
# what configure and src/newlib/local.mk say about newlib (config.sh), and
# a skip when newlib is not built.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_builddir/tests/newlib/config.sh"

if [ "$NEWLIB_ENABLED" != yes ]; then
	echo "SKIP: newlib is not built (configured with --disable-newlib)"
	exit 77
fi
SRC="$top_srcdir/tests/newlib"
