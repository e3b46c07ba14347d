/* The library of the FlexOS tutorial: it knows nothing of compartments. */
#include <stdio.h>
#include <string.h>

#include <flexos/flexos.h>

#include "secretlib.h"

/* Private to the library's compartment. */
static char lib_secret[32] = "the library's own secret";
static int calls;

int lib_func(const char *greeting, int *counter, char *reply, size_t len, void (*cb)(int),
	     unsigned long probe_addr)
{
	calls++;
	printf("[%s] lib_func: greeting \"%s\", counter %d\n", flexos_compartment_name(), greeting,
	       *counter);
	if (probe_addr) {
		printf("[%s] lib_func: reading the application's secret at %#lx...\n",
		       flexos_compartment_name(), probe_addr);
		fflush(stdout);
		printf("[%s] lib_func: read '%s' (not isolated!)\n", flexos_compartment_name(),
		       (const char *)probe_addr);
	}
	(*counter)++;
	snprintf(reply, len, "%zu bytes read, %zu-byte secret kept, call %d", strlen(greeting),
		 strlen(lib_secret), calls);
	cb(*counter);
	return 42;
}
