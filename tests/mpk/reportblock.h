/* attack --report-block (tests/mpk/reportblock.c). */
#ifndef REPORTBLOCK_H
#define REPORTBLOCK_H

#include <stdint.h>

/*
 * A thread of app's calls lib1, which makes standard error a full pipe
 * and reads app's secret (or, with free_it, frees it: an allocation of
 * app's), while app's main thread waits 3 s: the report ends the image
 * (123; the runtime's refusal of the free, 134); 0 if app's main thread
 * got to exit first.
 */
int report_block(uintptr_t app_secret, int free_it);

#endif
