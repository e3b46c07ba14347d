/*
 * tests/integration/lend-attack.sh: the host of the attacking library
 * (attack8.h). Each mode gives the library a private target of the host
 * and prints whether the library's writes reached it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <flexos/flexos.h>

#include "attack8.h"

static char buf[64] = "kept buffer";
static char target[64] = "target untouched";
/* Named by data/attack8-steal.c, which must not link. */
int attack8_host_counter = 7;

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	if (!strcmp(mode, "kept")) {
		/* The records of a kept object, rewritten between its merges. */
		struct ev *e = ev_new();
		if (!e || ev_open(e, buf, sizeof(buf)))
			return 1;
		int n = ev_poke(e, (unsigned long)(uintptr_t)target);
		ev_free(e);
		printf("kept: %d records found; buf '%.11s', target '%s'\n", n, buf, target);
	} else if (!strcmp(mode, "fill")) {
		/* The record of an object lent for one call, rewritten during it. */
		char out[16] = "out";
		int n = ev_fill(out, sizeof(out), (unsigned long)(uintptr_t)target);
		printf("fill: %d records found; out '%.5s', target '%s'\n", n, out, target);
	} else if (!strcmp(mode, "member")) {
		/* The record of a member of a struct in shared memory, lent in place. */
		char data[16] = "data";
		struct ev_io *io = flexos_shared_malloc(sizeof(*io));
		if (!io)
			return 1;
		*io = (struct ev_io){data, sizeof(data)};
		int n = ev_member((unsigned long)(uintptr_t)target, io);
		printf("member: %d records found; data '%.5s', target '%s'\n", n, data, target);
	} else if (!strcmp(mode, "membercopy")) {
		/* The record of a member of a private struct, lent by copy. */
		char data[16] = "data";
		struct ev_io io = {data, sizeof(data)};
		int n = ev_member((unsigned long)(uintptr_t)target, &io);
		printf("membercopy: %d records found; data '%.5s', target '%s'\n", n, data, target);
	} else if (!strcmp(mode, "rows")) {
		/* The record of a row of an array of pointers lent by copy. */
		char row[16] = "row";
		char *rows[1] = {row};
		int n = ev_rows(rows, 1, (unsigned long)(uintptr_t)target);
		printf("rows: %d records found; row '%.5s', target '%s'\n", n, row, target);
	} else if (!strcmp(mode, "inplace")) {
		/* The record of a row of an array of pointers in shared memory, lent in place. */
		char row[16] = "row";
		char **rows = flexos_shared_malloc(sizeof(*rows));
		if (!rows)
			return 1;
		rows[0] = row;
		int n = ev_rows(rows, 1, (unsigned long)(uintptr_t)target);
		printf("inplace: %d records found; row '%.5s', target '%s'\n", n, row, target);
	} else if (!strcmp(mode, "owner")) {
		/* A range whose owner is no compartment: the host's free must not index by it. */
		char *theirs = ev_forge_owner();
		if (!theirs)
			return 1;
		free(theirs);
		printf("owner: the host freed it\n");
	} else if (!strcmp(mode, "forge")) {
		/* The table of heap ranges, rewritten before the host frees. */
		char *mine = malloc(24);
		char *theirs = ev_forge((unsigned long)(uintptr_t)mine);
		if (!mine || !theirs)
			return 1;
		free(theirs);
		char *next = malloc(24);
		printf("forge: the host's next allocation is %s\n",
		       next == theirs ? "the sandbox's chunk" : "its own");
	} else {
		return 2;
	}
	return 0;
}
