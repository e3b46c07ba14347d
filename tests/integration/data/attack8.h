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
/*
 * The first call points io->data at target (a private object of the host,
 * whose address the library knows) and io->n at 16; each later one reads
 * what it was lent there, keeps it, writes "PWNED" into it and returns 1.
 */
int ev_steal(unsigned long target, struct ev_io *io);
/*
 * As ev_steal, for an array of pointers lent by copy with its rows: the
 * first call points rows[0] at target, each later one reads what it was
 * lent there, keeps it, writes "PWNED" into it and returns 1.
 */
int ev_rows_steal(char **rows, int n, unsigned long target);
/*
 * Starts a thread of the library that writes target, again and again,
 * into member data of the copy the host's next calls of ev_race lend (at
 * io, the copy of this call).
 */
int ev_race_arm(unsigned long target, struct ev_io *io);
/* As ev_steal's later calls, when target was lent in place of io->data's object (0 if not). */
int ev_race(unsigned long target, struct ev_io *io);
/* Stops ev_race_arm's thread. */
void ev_race_end(void);
/*
 * The first call sets io->n to 48, leaving io->data as it was; each later
 * one reads the 16 bytes it was lent past the 16 of io->data, keeps them,
 * writes "PWNED" there and returns 1.
 */
int ev_grow(struct ev_io *io);
/* Copies what ev_steal, ev_race or ev_grow read (n bytes at most) into out. */
int ev_leaked(char *out, size_t n);
/*
 * Starts a thread of the library that writes 48, again and again, into
 * the copy of *len the host's next calls of ev_deref lend (at len, the
 * copy of this call; buf is lent by the rule buf: *len).
 */
int ev_deref_arm(size_t *len, char *buf);
/*
 * Reads the 16 bytes past the 16 of buf, keeps them, writes "PWNED" there
 * and returns 1, when it was lent 48 bytes of buf (0 if not).
 */
int ev_deref(size_t *len, char *buf);
void ev_free(struct ev *e);

#endif
