/* attack --report-leak (tests/mpk/reportleak.c). */
#ifndef REPORTLEAK_H
#define REPORTLEAK_H

#include <stdint.h>

/* lib1 registers unwind rules of its own and faults: the report (123); 2 if it could not. */
int report_leak(uintptr_t app_secret);

#endif
