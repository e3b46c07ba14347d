#!/bin/sh
# examples/zlib/build-newlib.sh OUTDIR: zlib from Debian's source package
# (apt-get source zlib, via tools/fetch-source), compiled against newlib
# with flexos-newlib's flags into OUTDIR/libz-newlib.a, and this example's
# application linked with it once per mechanism: OUTDIR/zlib-newlib-none,
# -process and -mpk (config: zlib-newlib.yaml).
#
# Environment: CC (default cc); NEWLIB_CFLAGS (default: pkg-config --cflags
# flexos-newlib); FLEXOS_LINK (default: flexos-link), FLEXOS_CFLAGS
# (default: pkg-config --cflags flexos); ZLIB_SRC: an unpacked zlib source
# to use instead of fetching one.
set -eu

[ $# -eq 1 ] || {
	echo "usage: $0 OUTDIR" >&2
	exit 2
}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$1"
out=$(cd "$1" && pwd)
CC=${CC:-cc}
NEWLIB_CFLAGS=${NEWLIB_CFLAGS:-$(pkg-config --cflags flexos-newlib)}
FLEXOS_CFLAGS=${FLEXOS_CFLAGS:-$(pkg-config --cflags flexos)}
FLEXOS_LINK=${FLEXOS_LINK:-flexos-link}

if [ -z "${ZLIB_SRC:-}" ]; then
	"$here/../../tools/fetch-source" zlib "$out/src"
	ZLIB_SRC="$out/src/zlib"
fi

# zlib's own files, as its Makefile lists them (the gz* ones use open,
# read, write and lseek, which newlib's system-call glue serves).
mkdir -p "$out/obj"
rm -f "$out/libz-newlib.a"
for f in adler32 crc32 deflate infback inffast inflate inftrees trees zutil \
	compress uncompr gzclose gzlib gzread gzwrite; do
	# shellcheck disable=SC2086  # flag lists
	$CC $NEWLIB_CFLAGS -O2 -fPIE -DHAVE_UNISTD_H -c -o "$out/obj/$f.o" "$ZLIB_SRC/$f.c"
done
ar cr "$out/libz-newlib.a" "$out"/obj/*.o
echo "$0: built $out/libz-newlib.a from $ZLIB_SRC against newlib"

# The application is the glibc one of the unmodified example.
# shellcheck disable=SC2086
$CC $FLEXOS_CFLAGS -O2 -fPIE -c -o "$out/app.o" "$here/app.c"
for m in none process mpk; do
	mech=$m
	[ $m = mpk ] && mech=intel-mpk
	sed "s/mechanism: none/mechanism: $mech/" "$here/zlib-newlib.yaml" >"$out/zlib-newlib-$m.yaml"
	(cd "$out" && $FLEXOS_LINK -c "zlib-newlib-$m.yaml" -o "zlib-newlib-$m" app.o libz-newlib.a)
done
echo "$0: linked $out/zlib-newlib-none, -process and -mpk"
