/*
 * The none backend: compartments are a layout only. flexos-link resolves
 * every gate and callback to the direct call, so nothing here runs on a
 * call path.
 */
#include "autoconfig.h"

#include <flexos/backend.h>

static int none_init(const struct flexos_runtime *rt)
{
	(void)rt;
	return 0;
}

static int none_current(void)
{
	return (int)flexos__runtime()->image->default_id;
}

const struct flexos_backend flexos__backend = {
	.mechanism = FLEXOS_MECH_NONE,
	.init = none_init,
	.run_main = NULL,
	.current = none_current,
	.gate_newlib = flexos__backend_gate_newlib,
};
