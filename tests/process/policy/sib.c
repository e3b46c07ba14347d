/* A sibling compartment with a secret of its own. */
#include <unistd.h>

#include "atk.h"

static char sib_data[64] = "SIBSECRT sibling's secret";

long sib_pid(void)
{
	return getpid();
}

long sib_secret(void)
{
	return (long)sib_data;
}
