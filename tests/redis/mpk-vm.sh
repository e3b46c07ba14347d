#!/bin/sh
# Real Redis with Lua under intel-mpk (examples/redis/lua-mpk.yaml), in one
# boot of the emulated-PKU VM (tests/vm/run): opt-in like smoke.sh (skipped
# without Redis's source). PING, SET, GET and EVAL work (Redis's pointers
# into its stack and heap are lent to Lua for each call), and a Lua error
# raised through redis.call, a longjmp back across the gates, is unwound:
# the client gets the error and the server runs on.
# If the VM cannot run, this fails, unless FLEXOS_VM_OPTIONAL=1 (then: skip).
. "${0%/*}/lib.sh"
set -eu

redis_source
redis_build
img="$ex/redis-lua-mpk"

vm_script 600 --file "$img" --file "$cli" --file "$top_srcdir/tests/redis/in-vm.sh" <<EOS
$top_srcdir/tests/redis/in-vm.sh $img $cli
EOS
vm_output 1 >"$WORK/out"
expect_output "$WORK/out" "^reply to PING: PONG$"
expect_output "$WORK/out" "^reply to SET k hello: OK$"
expect_output "$WORK/out" "^reply to GET k: hello$"
pass "lua-mpk: PING, SET, GET"
expect_output "$WORK/out" "^reply to EVAL: hello$"
pass "lua-mpk: EVAL with redis.call: Redis's arguments are lent to Lua's compartment"
expect_output "$WORK/out" "^reply to EVAL error: .*Unknown Redis command called from script"
expect_output "$WORK/out" "^reply to PING after it: PONG$"
expect_output "$WORK/out" "^server exit status 0$"
! grep -q "^flexos:" "$WORK/out" || fail "the runtime reported: $(grep "^flexos:" "$WORK/out")"
pass "lua-mpk: a Lua error through redis.call unwinds back across the gates; the server runs on and exits 0"
