/*
 * tests/integration/lend-attack.sh: a sandboxed library that attacks its
 * host through the lending records, the kept copies and the table of heap
 * ranges, as a compromised library with code execution would.
 */
#ifndef ATTACK8_H
#define ATTACK8_H

#include <stddef.h>

struct ev;

/* Lent in place when it is in shared memory: data by the rule ev_io.data: n. */
struct ev_io {
	char *data;
	size_t n;
};

struct ev *ev_new(void);
/* Keeps buf (size bytes) until ev_free. */
int ev_open(struct ev *e, char *buf, size_t size);
/*
 * Points the records of the object it keeps at target, then changes its
 * copy: returns how many records it found.
 */
int ev_poke(struct ev *e, unsigned long target);
/* Fills out (n bytes, lent for the call) after pointing its records at target. */
int ev_fill(char *out, size_t n, unsigned long target);
/* Fills io->data after pointing the records of its copy at target. */
int ev_member(unsigned long target, struct ev_io *io);
/* Fills rows[0] (an array of n pointers, lent with its rows) after pointing its record at target. */
int ev_rows(char **rows, int n, unsigned long target);
/*
 * An allocation of its own heap that the host frees, after pointing its
 * range in the table of heap ranges at the heap that holds host.
 */
char *ev_forge(unsigned long host);
/* An allocation of its own heap whose range it gave an owner past the compartments. */
char *ev_forge_owner(void);
void ev_free(struct ev *e);

#endif
