/* The library of the fork tests: state in its own compartment. */
#ifndef FLIB_H
#define FLIB_H

/* Sets the library's global to v and its heap object to v + 1. */
long flib_set(long v);
/* 0: the global; 1: the heap object; 2: the process that runs the library. */
long flib_get(long what);
/* Reads, or writes v to (when write), a long in shared memory. */
long flib_shared(long *p, long write, long v);
/* Writes to an address the library must not reach: a crash. */
long flib_crash(long addr);
/*
 * The library itself calls fork(): in the child it returns -100, in the
 * parent the child's wait status (or -1, -2 when fork, waitpid fail).
 */
long flib_fork(long unused);
/* n times malloc and free in the library's heap; returns n. */
long flib_churn(long n);

#endif
