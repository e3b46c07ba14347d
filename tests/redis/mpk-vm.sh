#!/bin/sh
# Real Redis with Lua under intel-mpk (examples/redis/lua-mpk.yaml), in one
# boot of the emulated-PKU VM (tests/vm/run): opt-in like smoke.sh (skipped
# without Redis's source). PING, SET and GET work; the first EVAL ends in
# a fault report: Lua reads Redis's stack, where Redis built the name of
# the script's function (pointer arguments are not lent yet, issue 15).
# If the VM cannot run, this fails, unless FLEXOS_VM_OPTIONAL=1 (then: skip).
. "${0%/*}/../lib/testlib.sh"
set -eu

REDIS_SRC=${REDIS_SRC:-$top_builddir/examples/redis/src/redis}
[ -f "$REDIS_SRC/src/Makefile" ] ||
	skip_all "no Redis source in $REDIS_SRC: run 'make redis-fetch' (network to the Debian archive), or set REDIS_SRC"
REDIS_SRC=$(cd "$REDIS_SRC" && pwd)
make -s -C "$top_builddir" redis REDIS_SRC="$REDIS_SRC" >"$WORK/build.log" 2>&1 || {
	tail -n 30 "$WORK/build.log" >&2
	fail "make redis failed"
	skip_all "the Redis images could not be built"
}
img="$top_builddir/examples/redis/redis-lua-mpk"
cli="$REDIS_SRC/src/redis-cli"

vm_script 600 --file "$img" --file "$cli" --file "$top_srcdir/tests/redis/in-vm.sh" <<EOS
--expect-status=123 $top_srcdir/tests/redis/in-vm.sh $img $cli
EOS
vm_output 1 >"$WORK/out"
expect_output "$WORK/out" "^reply to PING: PONG$"
expect_output "$WORK/out" "^reply to SET k hello: OK$"
expect_output "$WORK/out" "^reply to GET k: hello$"
pass "lua-mpk: PING, SET, GET"
expect_output "$WORK/out" "^flexos: protection-key fault: compartment 'lua' tried to read 0x[0-9a-f]+$"
expect_output "$WORK/out" "^flexos: +the address belongs to compartment 'redis': (stack|heap)"
pass "lua-mpk: EVAL: Lua reading Redis's private memory ends in a fault report (exit 123): pointer arguments are not lent yet"
