/* The library of tests/process/checkpoint.sh (cklib.c). */
#ifndef CKLIB_H
#define CKLIB_H

/* What ck_state returns. */
#define CK_IN_PROGRESS 0
#define CK_COUNTER     1
#define CK_NODES       2

long ck_step(long crash);
long ck_state(long what);

#endif
