/*
 * posix_memalign for a newlib compartment. newlib's aligned_alloc calls
 * it, but newlib does not define it for this target: left undefined, glibc
 * would satisfy it and hand out glibc's memory for newlib's free(). Its
 * own object, so that only compartments that need it pull in memalign.
 */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>

int posix_memalign(void **out, size_t align, size_t size)
{
	if (align < sizeof(void *) || (align & (align - 1)))
		return EINVAL;
	void *p = memalign(align, size);
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}
