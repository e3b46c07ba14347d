/* attack --look-jump (tests/mpk/lookjump.c). */
#ifndef LOOKJUMP_H
#define LOOKJUMP_H

#include <stdint.h>

/*
 * lib1 jumps to the second opening of the gate page in urec_new ("new")
 * or urec_first ("first"), with registers of its choice: the report
 * (134), or 1 if lib1's code ran with app's rights; 2 for another how.
 */
int look_jump(const char *how, uintptr_t app_secret);

#endif
