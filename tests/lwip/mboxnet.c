/*
 * Compartment 'net' of the mailbox attack image (mbox.yaml): a mailbox of
 * lwIP's sys_arch on the scheduler (libflexos-lwip-sched.a, which
 * flexos-link places with lwIP), made, posted to and fetched from as lwIP
 * does with its tcpip mailbox. mboxnet_open and mboxnet_ring return the
 * addresses of the mailbox and of its ring: the attacker in app finding
 * them stands for a search of memory.
 */
#include <stdint.h>

#include <lwip/sys.h>

#include <flexos/sched.h>

#include "mboxnet.h"

static sys_mbox_t box;

long mboxnet_open(void)
{
	return sys_mbox_new(&box, 4) == ERR_OK ? (long)(uintptr_t)box : 0;
}

long mboxnet_ring(void)
{
	/* sys_arch_sched.c: a sys_mbox starts with its struct flexos_mbox. */
	return (long)(uintptr_t)((struct flexos_mbox *)box)->ring;
}

long mboxnet_post(long msg)
{
	return sys_mbox_trypost(&box, (void *)(uintptr_t)msg) == ERR_OK ? 0 : -1;
}

long mboxnet_fetch(void)
{
	void *msg = NULL;

	return sys_arch_mbox_tryfetch(&box, &msg) == SYS_MBOX_EMPTY ? -1 : (long)(uintptr_t)msg;
}
