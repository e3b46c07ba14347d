#ifndef SECRETLIB_H
#define SECRETLIB_H

#include <stddef.h>

/*
 * Reads the shared greeting and counter, writes a reply, calls back into
 * the application with the new counter value and returns 42. When
 * probe_addr is not 0, first tries to read the byte at that address: with
 * an isolating backend, reading the application's private memory is
 * stopped there.
 */
int lib_func(const char *greeting, int *counter, char *reply, size_t len, void (*cb)(int),
	     unsigned long probe_addr);

#endif
