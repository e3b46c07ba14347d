#!/bin/sh
# The source of real Redis for the tests under tests/redis, fetched only
# when asked: FLEXOS_FETCH=1, or CI=true (the README's test command sets FLEXOS_FETCH), so
# that a developer's `make check` downloads nothing by itself (the tests
# that need the source are then skipped); never with FLEXOS_FETCH_DISABLE=1
# (the package build: no network). It lands in the build tree
# (examples/redis/src/redis: `make redis-fetch`, about 3 MB from the
# Debian archive with tools/fetch-source), which make distclean removes,
# and is built there (`make redis`: Redis's own Makefile, then
# flexos-link). Prints how long each step took.
. "${0%/*}/lib.sh"
set -eu

[ ! -f "$REDIS_SRC/src/Makefile" ] || skip_all "Redis's source is already in $REDIS_SRC"
[ "${FLEXOS_FETCH_DISABLE:-0}" != 1 ] || skip_all "FLEXOS_FETCH_DISABLE=1: Redis's source cannot be fetched"
[ "${FLEXOS_FETCH:-}" = 1 ] || [ "${CI:-}" = true ] ||
	skip_all "no Redis source in $REDIS_SRC, and fetching it was not asked for: set FLEXOS_FETCH=1 (network to the Debian archive), or run 'make redis-fetch'"
[ "$REDIS_SRC" = "$top_builddir/examples/redis/src/redis" ] ||
	skip_all "REDIS_SRC=$REDIS_SRC is not the build tree's: fetch it there yourself (tools/fetch-source redis DIR)"

t0=$(date +%s)
make -C "$top_builddir" redis-fetch >"$WORK/fetch.log" 2>&1 || {
	tail -n 30 "$WORK/fetch.log" >&2
	fail "make redis-fetch failed"
	skip_all "Redis's source could not be fetched"
}
t1=$(date +%s)
[ -f "$REDIS_SRC/src/Makefile" ] || fail "make redis-fetch left no $REDIS_SRC/src/Makefile"
pass "Redis's source fetched from the Debian archive in $((t1 - t0)) s"

make -C "$top_builddir" redis >"$WORK/build.log" 2>&1 || {
	tail -n 30 "$WORK/build.log" >&2
	fail "make redis failed"
}
t2=$(date +%s)
for cfg in one lua-process lua-process-restart lua-mpk; do
	[ -x "$top_builddir/examples/redis/redis-$cfg" ] || fail "make redis made no redis-$cfg"
done
pass "Redis built by its own Makefile and linked four times by flexos-link in $((t2 - t1)) s"
