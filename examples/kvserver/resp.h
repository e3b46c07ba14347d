/*
 * The Redis protocol (RESP2): a parser of requests and a writer of replies.
 * Pure code: no I/O, no global state; the parser only allocates the array
 * of arguments, the writer only its output buffer.
 */
#ifndef KVSERVER_RESP_H
#define KVSERVER_RESP_H

#include <stddef.h>
#include <stdint.h>

/* Per-connection limits; a request beyond one is a protocol error. */
struct resp_limits {
	size_t max_bulk;   /* bytes in one argument ($N) */
	size_t max_args;   /* arguments in one request (*N) */
	size_t max_inline; /* bytes in an inline request line */
};

/* Redis's defaults are 512 MiB and 1 Mi arguments; a toy server keeps less. */
#define RESP_DEFAULT_MAX_BULK   (1024 * 1024)
#define RESP_DEFAULT_MAX_ARGS   65536
#define RESP_DEFAULT_MAX_INLINE (64 * 1024)

struct resp_arg {
	const char *p; /* points into the parsed buffer: valid until it changes */
	size_t len;
};

/* A parsed request; zero-initialize, then reuse it for every request. */
struct resp_cmd {
	struct resp_arg *argv;
	size_t argc;
	size_t cap;
	char err[128]; /* where a protocol error message with numbers is written */
};

enum resp_status {
	RESP_INCOMPLETE = 0, /* need more bytes: call again with more */
	RESP_OK = 1,         /* *used bytes hold one request, in cmd */
	RESP_EMPTY = 2,      /* *used bytes hold an empty inline line: skip them */
	RESP_ERROR = -1,     /* protocol error: *err says what; reply and close */
	RESP_NOMEM = -2,     /* the argument array could not grow */
};

/*
 * Parses one request at the start of buf[0..len): either a RESP array of
 * bulk strings or an inline command (words separated by spaces, optionally
 * in "double" or 'single' quotes, ending in \n or \r\n). A request whose
 * header already exceeds a limit is an error before its body arrives.
 */
enum resp_status resp_parse(const char *buf, size_t len, const struct resp_limits *lim,
			    struct resp_cmd *cmd, size_t *used, const char **err);

/* Frees the argument array of cmd. */
void resp_cmd_free(struct resp_cmd *cmd);

/*
 * A growable output buffer. alloc and release, if set, replace malloc and
 * free (the server gives it memory its network stack may read).
 */
struct resp_buf {
	char *data;
	size_t len;
	size_t cap;
	void *(*alloc)(size_t size);
	void (*release)(void *p);
};

/* Makes room for n more bytes: 0 or -ENOMEM. */
int resp_buf_reserve(struct resp_buf *b, size_t n);
/* Drops the first n bytes (sent). */
void resp_buf_consume(struct resp_buf *b, size_t n);
void resp_buf_free(struct resp_buf *b);

/* Reply writers: 0 or -ENOMEM (the buffer is unchanged then). */
int resp_write_simple(struct resp_buf *b, const char *s);         /* +s */
int resp_write_error(struct resp_buf *b, const char *s);          /* -s */
int resp_write_int(struct resp_buf *b, int64_t v);                /* :v */
int resp_write_bulk(struct resp_buf *b, const void *p, size_t n); /* $n p */
int resp_write_nil(struct resp_buf *b);                           /* $-1 */
int resp_write_array(struct resp_buf *b, size_t n);               /* *n */
int resp_write_raw(struct resp_buf *b, const void *p, size_t n);

/*
 * What resp_write_bulk writes for n bytes, and resp_write_array for n
 * elements: a server bounds a reply by these before it writes it.
 */
size_t resp_bulk_size(size_t n);
size_t resp_array_size(size_t n);

/*
 * Parses a whole argument as a signed 64-bit decimal integer as Redis does
 * (no spaces, no '+', no leading zeros): 0, or -1 if it is not one.
 */
int resp_parse_int(const char *p, size_t len, int64_t *out);

#endif
