/*
 * The FlexOS tutorial application, ported with the FlexOS API: a static
 * buffer, a stack integer and a stack buffer handed to lib_func of another
 * library, a callback, and a secret that library must not read.
 *
 * Usage: hello [--map] [--attack]
 */
#include <stdio.h>
#include <string.h>

#include <flexos/flexos.h>

#include "secretlib.h"

/* Every compartment may read this. */
static char greeting[64] FLEXOS_SHARED = "hello from the application";

/* Private to the application's compartment. */
static char app_secret[32] = "the application's secret";

static void app_callback(int value)
{
	printf("[%s] app_callback: counter is now %d\n", flexos_compartment_name(), value);
}

int main(int argc, char **argv)
{
	int map = 0, attack = 0, ret = 0;

	for (int i = 1; i < argc; i++) {
		map |= !strcmp(argv[i], "--map");
		attack |= !strcmp(argv[i], "--attack");
	}
	if (map)
		flexos_print_map(stdout);
	printf("[%s] main: backend %s, %d compartment%s\n", flexos_compartment_name(),
	       flexos_backend_name(), flexos_compartment_count(),
	       flexos_compartment_count() == 1 ? "" : "s");

	FLEXOS_SHARED_STACK(int, counter);
	FLEXOS_SHARED_STACK(char[64], reply);
	*counter = 1;
	flexos_gate_r(libsecret, ret, lib_func, greeting, counter, *reply, sizeof(*reply),
		      flexos_callback(app, app_callback),
		      attack ? (unsigned long)app_secret : 0UL);
	printf("[%s] main: lib_func returned %d, reply \"%s\", counter %d\n",
	       flexos_compartment_name(), ret, *reply, *counter);
	printf("[%s] main: my secret is still %zu bytes long\n", flexos_compartment_name(),
	       strlen(app_secret));
	return ret == 42 ? 0 : 1;
}
