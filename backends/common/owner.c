/*
 * Who owns an address, for the isolating backends' fault reports and
 * pointer checks: the runtime knows sections, heaps and shared areas; the
 * backend adds the stacks it made.
 */
#include "autoconfig.h"

#include "common.h"
#include "heap.h"

int flexos__owner(uintptr_t addr, const char **what)
{
	int owner = flexos__owner_of(addr, what);

	if (owner >= 0 || *what)
		return owner;
	/*
	 * The ranges a growable heap added after start-up are not in the
	 * runtime's table; under the process mechanism only the running
	 * compartment's are mapped in this process (malloc.c's heap_owning).
	 * Without this, an object of a grown heap looked like platform
	 * memory: not lent to a callee, and misnamed in fault reports.
	 */
	if (!(flexos_mechanism_props(flexos__runtime()->image->mechanism) & FLEXOS_MECH_PKEYS)) {
		int running = flexos__backend.current();
		struct flexos__heap *h = running >= 0 ? flexos__heap_of(running) : NULL;
		if (h && flexos__heap_contains(h, (const void *)addr)) {
			*what = "heap";
			return running;
		}
	}
	owner = flexos__backend_stack_owner(addr, what);
	if (owner >= 0 || *what)
		return owner;
	*what = "platform memory";
	return -1;
}

const char *flexos__comp_name(int id)
{
	const struct flexos_image *img = flexos__runtime()->image;

	if (id < 0 || (uint32_t)id >= img->ncompartments)
		return "?";
	return img->compartments[id].name;
}
