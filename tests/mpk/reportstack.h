/* attack --report-stack (tests/mpk/reportstack.c). */
#ifndef REPORTSTACK_H
#define REPORTSTACK_H

#include <stdint.h>

/*
 * lib1 corrupts its own stack and reads app_data: the fault report (123),
 * whatever the stack holds. how: "wild" (a return address that is no
 * mapped memory) or "leak" (a frame whose return address is app's
 * word at app_word). 2 for another how.
 */
int report_stack(const char *how, uintptr_t app_data, uintptr_t app_word);

#endif
