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

(ulimit -v 1000000 && exec $RUN "$WORK/tapp" grow 32 2) >"$WORK/limit.out" 2>&1 ||
	{ cat "$WORK/limit.out" >&2; fail "tapp grow exited $? under ulimit -v 1000000"; }
expect_output "$WORK/limit.out" '^grow: tb_bigalloc\(32\) returned 0$'
pass "a heap grows under ulimit -v 1 GB"

$RUN "$WORK/tapp" grow 100 >"$WORK/full.out" 2>"$WORK/full.err" ||
	fail "tapp grow 100 exited $?: $(cat "$WORK/full.err")"
expect_output "$WORK/full.out" '^grow: tb_bigalloc\(100\) returned -1$'
expect_output "$WORK/full.err" "^flexos: the heap of compartment 1 is full \(64 MiB\): an allocation of 104857600 bytes fails with ENOMEM; raise its 'heap_size' in the config$"
pass "beyond heap_size malloc fails, naming the key"
no_orphans "heap growth"
