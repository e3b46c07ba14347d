# Sourced by the tests of real Redis (tests/redis/*.sh) in place of
# tests/lib/testlib.sh, which it sources: where Redis's source is, and its
# build, which every one of them but fetch.sh needs first.
. "${0%/*}/../lib/testlib.sh"

# Where the source is: REDIS_SRC if set, else where `make redis-fetch` puts it.
REDIS_SRC=${REDIS_SRC:-$top_builddir/examples/redis/src/redis}

# redis_source: the script is skipped without Redis's source; else
# REDIS_SRC becomes absolute and cli names its redis-cli.
redis_source() {
	[ -f "$REDIS_SRC/src/Makefile" ] ||
		skip_all "no Redis source in $REDIS_SRC: run 'make redis-fetch' (network to the Debian archive), or set REDIS_SRC"
	REDIS_SRC=$(cd "$REDIS_SRC" && pwd)
	cli="$REDIS_SRC/src/redis-cli"
}

# redis_build: `make redis` (Redis's own Makefile, then flexos-link) puts the
# images in $ex; the script fails, and skips the rest, if it cannot.
redis_build() {
	ex="$top_builddir/examples/redis"
	mkdir -p "$ex"
	make -s -C "$top_builddir" redis REDIS_SRC="$REDIS_SRC" >"$WORK/build.log" 2>&1 || {
		tail -n 30 "$WORK/build.log" >&2
		fail "make redis failed"
		skip_all "the Redis images could not be built"
	}
}
