/* attack --report-frame (tests/mpk/reportframe.c). */
#ifndef REPORTFRAME_H
#define REPORTFRAME_H

#include <stdint.h>

/*
 * how "fpregs": a tracer points the kernel's signal frame's XSAVE pointer
 * at an area forged in shared memory, and lib1 faults (the child's
 * status: 123 with the report); "straddle": lib1 faults with its stack
 * pointer 2 bytes below the end of app's data page at app_data (123;
 * 3 if lib1 may not write the page after it); "bus": lib1 faults with its
 * stack pointer in a file mapping past the file's end (123; 3 if it could
 * not map one). 2: not run.
 */
int report_frame(const char *how, uintptr_t app_data);

#endif
