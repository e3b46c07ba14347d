/* The library of the system-call attack image (sysattack.c, compartment 'evil'). */
#ifndef SYSATTACK_H
#define SYSATTACK_H

#include <stdint.h>

/*
 * Runs attack number mode (syscalls.c's table) against the application's
 * memory at target (len bytes, page-aligned), holding secret: returns 0
 * when the kernel refused it with an error (errno is set), 1 when it went
 * through; a call the filter denies does not return.
 */
long evil_attack(int mode, uintptr_t target, uintptr_t len, long secret);

/*
 * Makes a thread (detached) in 'evil' that calls app_hold(which), the
 * application's (syscalls.c): a gate from 'evil' into 'app'. 0 or an error.
 */
int evil_spawn(int which);
void app_hold(int which);

/*
 * The application's (syscalls.c), called from 'evil': keeps
 * app_stack_value(its secret) on its stack and makes system calls for
 * about 300 ms.
 */
void app_busy(void);

/* The application's (syscalls.c): ends the calling thread (SYS_exit) in 'app'. */
void app_end_thread(void) __attribute__((__noreturn__));

/* What app_busy keeps on its stack: a value 'evil' holds nowhere before it looks. */
static inline long app_stack_value(long secret)
{
	return secret ^ 0x1eaf00000000L;
}

#endif
