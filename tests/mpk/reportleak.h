/* attack --report-leak (tests/mpk/reportleak.c). */
#ifndef REPORTLEAK_H
#define REPORTLEAK_H

#include <stdint.h>

/* lib1 registers unwind rules of its own and faults: the report (123); 2 if it could not. */
int report_leak(uintptr_t app_secret);

/*
 * lib1 makes the page of the C library's unwind table writable: the
 * filter's report (123), or 1 if it rewrote the table.
 */
int report_tables(void);

#endif
