#!/bin/sh
# Compartment heaps grow under the process backend: cb allocates and
# writes 32 MiB, far past the 4 MiB its heap reserves at start-up, again
# and again; under ulimit -v 1 GB too; and beyond its heap_size (64M by
# default) malloc fails with the message naming the key.
. "${0%/*}/../lib/testlib.sh"
set -eu
build_tapp

$RUN "$WORK/tapp" grow 32 5 >"$WORK/grow.out" 2>"$WORK/grow.err" ||
	fail "tapp grow exited $?: $(cat "$WORK/grow.err")"
[ "$(grep -c '^grow: tb_bigalloc(32) returned 0$' "$WORK/grow.out")" -eq 5 ] ||
	{ cat "$WORK/grow.out" >&2; fail "32 MiB allocations in cb failed"; }
[ ! -s "$WORK/grow.err" ] || fail "unexpected messages: $(cat "$WORK/grow.err")"
# What cb's heap reserved at start-up: 4 MiB of the 64 it may grow to.
awk "/compartment 1 'cb'/ { c = 1 } c && /heap/ { print; exit }" "$WORK/grow.out" >"$WORK/heap"
expect_output "$WORK/heap" ' 4096 KiB \(grows to 65536 KiB\)$'
pass "a compartment's heap grows past its first reservation, and frees what it grew by"

# One glibc arena: a thread's own (128 MiB of address space) would come
# before or after cb's growth as the threads happen to run, and take the
# room it needs (a heap that cannot grow says so: the last case below).
(ulimit -v 1000000 && MALLOC_ARENA_MAX=1 exec $RUN "$WORK/tapp" grow 32 2) >"$WORK/limit.out" 2>&1 ||
	{ cat "$WORK/limit.out" >&2; fail "tapp grow exited $? under ulimit -v 1000000"; }
expect_output "$WORK/limit.out" '^grow: tb_bigalloc\(32\) returned 0$'
pass "a heap grows under ulimit -v 1 GB"

$RUN "$WORK/tapp" grow 100 >"$WORK/full.out" 2>"$WORK/full.err" ||
	fail "tapp grow 100 exited $?: $(cat "$WORK/full.err")"
expect_output "$WORK/full.out" '^grow: tb_bigalloc\(100\) returned -1$'
expect_output "$WORK/full.err" "^flexos: the heap of compartment 1 is full \(64 MiB\): an allocation of 104857600 bytes fails with ENOMEM; raise its 'heap_size' in the config$"
pass "beyond heap_size malloc fails, naming the key"
# A pointer of another compartment's heap is refused by free and
# malloc_usable_size, on the allocator's general path (the fast path takes
# only the running compartment's own pointers); the running compartment's
# own small object has glibc's layout: 24 bytes usable of 32.
for call in free malloc_usable_size; do
	arg=0
	[ "$call" = free ] || arg=1
	set +e
	$RUN "$WORK/tapp" foreign $arg >"$WORK/foreign.out" 2>"$WORK/foreign.err"
	status=$?
	set -e
	[ "$status" -ne 0 ] || fail "tapp foreign $arg exited 0: $(cat "$WORK/foreign.out")"
	expect_output "$WORK/foreign.out" '^foreign: own object usable size 24$'
	! grep -q 'not stopped' "$WORK/foreign.out" || fail "$call of cb's object was not stopped"
	expect_output "$WORK/foreign.err" "^flexos: $call\\(0x[0-9a-f]+\\): compartment 'ca' passed a pointer of compartment 'cb''s heap; only the compartment that allocated it may $call it \(and the host of a sandbox free it\)$"
	pass "$call of another compartment's heap object is reported"
done
no_orphans "heap growth"
