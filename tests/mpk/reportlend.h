/* attack --report-lend (tests/mpk/reportlend.c). */
#ifndef REPORTLEND_H
#define REPORTLEND_H

#include <stdint.h>

/*
 * lib1 forges the lend arena's record of slot (0, 0) with names at
 * app_secret (a string) and reads the guard page after it: the report
 * (123); 2 in an image without a lend arena.
 */
int report_lend(uintptr_t app_secret);
int report_lend_race(uintptr_t app_secret, unsigned spin);

#endif
