/* The libraries of tests/debug/backtrace.sh. */
#ifndef FLEXOS_TESTS_BT_H
#define FLEXOS_TESTS_BT_H

/* mid.c: calls leaf_call(x * 2) from a static function. */
int mid_call(int x);
/* mid.c: calls cb(x) from a static function. */
int mid_apply(int (*cb)(int), int x);
/* leaf.c: crashes in a static function unless x is 2. */
int leaf_call(int x);

#endif
