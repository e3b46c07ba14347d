/*
 * Private to the fuzz harnesses: captures what the code under test writes
 * to stderr, so that a harness can check every message is one line that
 * names the input, while the sanitizers still report on the real stderr.
 */
#ifndef FUZZ_STDERR_H
#define FUZZ_STDERR_H

#include <stddef.h>

/* Once, before the first capture. */
void fuzz_stderr_init(void);
/* Starts a capture: stderr goes to an empty buffer. */
void fuzz_stderr_begin(void);
/*
 * Ends it: stderr is the real one again; returns what was written
 * (NUL-terminated, valid until the next call) and its length in *len.
 */
const char *fuzz_stderr_end(size_t *len);
/*
 * Aborts (a finding) unless every line of out[0..len) starts with prefix
 * and the text ends with a newline; an empty text passes.
 */
void fuzz_check_lines(const char *out, size_t len, const char *prefix);

#endif
