/*
 * The mailbox attack (docs/threat-model.md, limit 13): app, compromised,
 * rewrites the message that lwIP's compartment (net) posted to one of its
 * mailboxes of the scheduler's sys_arch, as a forged message to lwIP's
 * tcpip thread would be (a message there names a function lwIP calls).
 * With the sys_arch in lwIP's compartment and the ring given by it, the
 * mailbox and its ring are in net's heap: app's first access is a
 * protection-key fault (status 123). With the ring in the platform's
 * memory (key 0), net fetched app's message instead of its own.
 *   mbox-mpk ring    rewrite the message in the ring
 *   mbox-mpk struct  point the mailbox at a ring of app's
 *   mbox-mpk none    the control: net fetches what it posted
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <flexos/flexos.h>
#include <flexos/sched.h>

#include "mboxnet.h"

#define POSTED 0x1234L
#define FORGED 0xbadL

/* A ring of app's, in shared memory that net reads too. */
static void *forged_ring[4] FLEXOS_SHARED = {(void *)FORGED, (void *)FORGED, (void *)FORGED,
					     (void *)FORGED};

int main(int argc, char **argv)
{
	const char *how = argc == 2 ? argv[1] : "none";
	struct flexos_mbox *mb = (struct flexos_mbox *)(uintptr_t)mboxnet_open();
	void **ring = (void **)(uintptr_t)mboxnet_ring();
	long got;

	if (!mb || mboxnet_post(POSTED)) {
		printf("mbox: net could not make or post to its mailbox\n");
		return 2;
	}
	printf("mbox %s: net posted %#lx to its mailbox at %p; app changes it\n", how, POSTED,
	       (void *)mb);
	fflush(stdout);
	if (!strcmp(how, "ring"))
		*(volatile long *)&ring[0] = FORGED; /* the first message: head 0 */
	else if (!strcmp(how, "struct"))
		*(void **volatile *)&mb->ring = forged_ring;
	else if (strcmp(how, "none"))
		return 2;
	got = mboxnet_fetch();
	printf("mbox %s: net fetched %#lx%s\n", how, got,
	       got == POSTED ? "" : got == FORGED ? ", app's message: FAIL" : ": FAIL");
	return got == POSTED && !strcmp(how, "none") ? 0 : 1;
}
