/*
 * A stateful library for tests/process/checkpoint.sh, a stand-in for an
 * interpreter: each call of ck_step marks itself in progress (bss), counts
 * (data) and records its result in a list on the heap, and may crash half
 * way, as a script that hits a bug in its interpreter would. A call that
 * finds another still in progress says so: that state was left by a crash.
 */
#include <stdint.h>
#include <stdlib.h>

#include "cklib.h"

struct node {
	long value;
	long magic;
	struct node *next;
};

#define NODE_MAGIC 0x6e6f6465L

static long in_progress;
static long counter = 100;
static struct node *head;
/* Where a crash writes: an unmapped page the compiler cannot see through. */
static volatile uintptr_t crash_addr = 16;

long ck_step(long crash)
{
	if (in_progress)
		return -1000 - in_progress;
	in_progress++;
	counter++;
	struct node *n = malloc(sizeof(*n));
	if (!n)
		return -2;
	*n = (struct node){counter, NODE_MAGIC, head};
	head = n;
	if (crash)
		*(volatile long *)crash_addr = 1;
	in_progress--;
	return counter;
}

long ck_state(long what)
{
	long nodes = 0;

	switch (what) {
	case CK_IN_PROGRESS:
		return in_progress;
	case CK_COUNTER:
		return counter;
	case CK_NODES:
		for (struct node *n = head; n; n = n->next) {
			if (n->magic != NODE_MAGIC)
				return -1;
			nodes++;
		}
		return nodes;
	}
	return -3;
}
