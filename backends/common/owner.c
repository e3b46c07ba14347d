/*
 * Who owns an address, for the isolating backends' fault reports and
 * pointer checks: the runtime knows sections, heaps and shared areas; the
 * backend adds the stacks it made.
 */
#include "autoconfig.h"

#include "common.h"

int flexos__owner(uintptr_t addr, const char **what)
{
	int owner = flexos__owner_of(addr, what);

	if (owner >= 0 || *what)
		return owner;
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
