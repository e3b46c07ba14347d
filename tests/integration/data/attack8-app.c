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
/* ev_grow: a buffer the host lends, and a private object right after it. */
static struct {
	char data[16];
	char secret[32];
} pair = {"data", "APP-SECRET-beef"};
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
	} else if (!strcmp(mode, "again")) {
		/* A member of a private struct, lent by copy, the call before pointed at target. */
		char data[16] = "data";
		struct ev_io io = {data, sizeof(data)};
		char leak[17] = "";
		int n = ev_steal((unsigned long)(uintptr_t)target, &io);
		n += ev_steal((unsigned long)(uintptr_t)target, &io);
		ev_leaked(leak, 16);
		printf("again: %d; the library read '%s', target '%s'\n", n, leak, target);
	} else if (!strcmp(mode, "rowsagain")) {
		/* A row of a private array of pointers, lent by copy, the call before pointed at
		 * target. */
		char row[16] = "row";
		char *rows[1] = {row};
		char leak[17] = "";
		int n = ev_rows_steal(rows, 1, (unsigned long)(uintptr_t)target);
		n += ev_rows_steal(rows, 1, (unsigned long)(uintptr_t)target);
		ev_leaked(leak, 16);
		printf("rowsagain: %d; the library read '%s', target '%s'\n", n, leak, target);
	} else if (!strcmp(mode, "sharedsteal")) {
		/* A struct in shared memory, naming shared memory, whose member the call before pointed at target. */
		struct ev_io *io = flexos_shared_malloc(sizeof(*io));
		char *data = flexos_shared_malloc(16);
		char leak[17] = "";
		if (!io || !data)
			return 1;
		strcpy(data, "data");
		*io = (struct ev_io){data, 16};
		int n = ev_steal((unsigned long)(uintptr_t)target, io);
		n += ev_steal((unsigned long)(uintptr_t)target, io);
		ev_leaked(leak, 16);
		printf("sharedsteal: %d; the library read '%s', target '%s'\n", n, leak, target);
	} else if (!strcmp(mode, "race")) {
		/* The same member, rewritten in the struct's copy while the host lends it. */
		char data[16] = "data";
		struct ev_io io = {data, sizeof(data)};
		char leak[17] = "";
		int n = 0, i;
		if (ev_race_arm((unsigned long)(uintptr_t)target, &io))
			return 1;
		for (i = 0; i < 200000 && !n; i++) {
			io = (struct ev_io){data, sizeof(data)};
			n = ev_race((unsigned long)(uintptr_t)target, &io);
		}
		ev_race_end();
		ev_leaked(leak, 16);
		printf("race: %d after %d calls; the library read '%s', target '%s'\n", n, i, leak,
		       target);
	} else if (!strcmp(mode, "grow")) {
		/* The count of that member, raised by the call before past its object. */
		struct ev_io io = {pair.data, sizeof(pair.data)};
		char leak[17] = "";
		int n = ev_grow(&io);
		n += ev_grow(&io);
		ev_leaked(leak, 16);
		printf("grow: %d; the library read '%s', secret '%s'\n", n, leak, pair.secret);
	} else if (!strcmp(mode, "deref")) {
		/* A count lent before the buffer it counts, rewritten in its copy meanwhile. */
		static struct {
			char buf[16];
			char secret[32];
		} dp = {"buf", "APP-SECRET-d00d"};
		size_t len = 16;
		char leak[17] = "";
		int n = 0, i;
		if (ev_deref_arm(&len, dp.buf))
			return 1;
		for (i = 0; i < 200000 && !n; i++) {
			len = 16;
			n = ev_deref(&len, dp.buf);
		}
		ev_race_end();
		ev_leaked(leak, 16);
		printf("deref: %d after %d calls; the library read '%s', secret '%s'\n", n, i, leak,
		       dp.secret);
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
