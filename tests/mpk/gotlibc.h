/* attack --got-libc (tests/mpk/gotlibc.c). */
#ifndef GOTLIBC_H
#define GOTLIBC_H

#include <stdint.h>

/* lib1 rewrites the C library's PLT slot that puts calls, app calls puts: 0, or 2 if no slot. */
int got_libc(uintptr_t app_secret);

#endif
