/* The Redis protocol: request parser and reply writer (see resp.h). */
#include "resp.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A length line is "*N\r\n" or "$N\r\n": N fits in 20 characters. */
#define LEN_LINE_MAX 32

int resp_parse_int(const char *p, size_t len, int64_t *out)
{
	size_t i = 0;
	int neg = 0;
	uint64_t v = 0, lim;

	if (len == 0 || len > 20)
		return -1;
	if (p[0] == '-') {
		neg = 1;
		i = 1;
		if (len == 1)
			return -1;
	}
	if (p[i] == '0' && len > i + 1)
		return -1;
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < len; i++) {
		unsigned d = (unsigned char)p[i] - '0';
		if (d > 9 || v > (lim - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (neg && v == 0)
		return -1; /* "-0" */
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

/*
 * Reads the length line at buf[0..len) whose first byte is the type: 1 and
 * sets *n and *next, 0 if incomplete, -1 if it is not "<type>N\r\n".
 */
static int parse_len_line(const char *buf, size_t len, int64_t *n, size_t *next)
{
	size_t max = len < LEN_LINE_MAX ? len : LEN_LINE_MAX, at = 1;

	while (at < max && buf[at] != '\r' && buf[at] != '\n')
		at++;
	if (at == max)
		return len < LEN_LINE_MAX ? 0 : -1;
	if (buf[at] == '\n')
		return -1; /* RESP lines end in CRLF */
	if (at + 1 >= len)
		return 0;
	if (buf[at + 1] != '\n' || resp_parse_int(buf + 1, at - 1, n))
		return -1;
	*next = at + 2;
	return 1;
}

static int reserve_args(struct resp_cmd *cmd, size_t n)
{
	if (n <= cmd->cap)
		return 0;
	size_t cap = cmd->cap ? cmd->cap : 8;
	while (cap < n)
		cap *= 2;
	struct resp_arg *a = realloc(cmd->argv, cap * sizeof(*a));
	if (!a)
		return -ENOMEM;
	cmd->argv = a;
	cmd->cap = cap;
	return 0;
}

static enum resp_status parse_array(const char *buf, size_t len, const struct resp_limits *lim,
				    struct resp_cmd *cmd, size_t *used, const char **err)
{
	int64_t count, blen;
	size_t pos;
	int r = parse_len_line(buf, len, &count, &pos);

	if (r <= 0) {
		*err = "Protocol error: invalid multibulk length";
		return r ? RESP_ERROR : RESP_INCOMPLETE;
	}
	if (count <= 0) {
		*used = pos; /* "*0" and "*-1" are empty requests, as in Redis */
		return RESP_EMPTY;
	}
	if ((uint64_t)count > lim->max_args) {
		snprintf(cmd->err, sizeof(cmd->err),
			 "Protocol error: array of %" PRId64 " arguments exceeds the limit of %zu",
			 count, lim->max_args);
		*err = cmd->err;
		return RESP_ERROR;
	}
	if (reserve_args(cmd, (size_t)count))
		return RESP_NOMEM;
	for (size_t i = 0; i < (size_t)count; i++) {
		size_t next;

		if (pos >= len)
			return RESP_INCOMPLETE;
		if (buf[pos] != '$') {
			unsigned char c = (unsigned char)buf[pos];
			snprintf(cmd->err, sizeof(cmd->err),
				 "Protocol error: expected '$', got '%c'",
				 c >= 0x20 && c < 0x7f ? c : '?');
			*err = cmd->err;
			return RESP_ERROR;
		}
		r = parse_len_line(buf + pos, len - pos, &blen, &next);
		if (r == 0)
			return RESP_INCOMPLETE;
		if (r < 0 || blen < 0) {
			*err = "Protocol error: invalid bulk length";
			return RESP_ERROR;
		}
		if ((uint64_t)blen > lim->max_bulk) {
			snprintf(cmd->err, sizeof(cmd->err),
				 "Protocol error: bulk length %" PRId64 " exceeds the limit of %zu",
				 blen, lim->max_bulk);
			*err = cmd->err;
			return RESP_ERROR;
		}
		pos += next;
		if (len - pos < (size_t)blen + 2)
			return RESP_INCOMPLETE;
		if (buf[pos + blen] != '\r' || buf[pos + blen + 1] != '\n') {
			*err = "Protocol error: bulk string not followed by CRLF";
			return RESP_ERROR;
		}
		cmd->argv[i].p = buf + pos;
		cmd->argv[i].len = (size_t)blen;
		pos += (size_t)blen + 2;
	}
	cmd->argc = (size_t)count;
	*used = pos;
	return RESP_OK;
}

static enum resp_status parse_inline(const char *buf, size_t len, const struct resp_limits *lim,
				     struct resp_cmd *cmd, size_t *used, const char **err)
{
	const char *nl = memchr(buf, '\n', len < lim->max_inline ? len : lim->max_inline);

	if (!nl) {
		if (len < lim->max_inline)
			return RESP_INCOMPLETE;
		*err = "Protocol error: too big inline request";
		return RESP_ERROR;
	}
	size_t end = (size_t)(nl - buf);
	if (end > 0 && buf[end - 1] == '\r')
		end--;
	size_t i = 0;
	cmd->argc = 0;
	for (;;) {
		while (i < end && (buf[i] == ' ' || buf[i] == '\t'))
			i++;
		if (i == end)
			break;
		size_t start = i, stop;
		if (buf[i] == '"' || buf[i] == '\'') {
			const char *q = memchr(buf + i + 1, buf[i], end - i - 1);
			if (!q || (q + 1 < buf + end && q[1] != ' ' && q[1] != '\t')) {
				*err = "Protocol error: unbalanced quotes in request";
				return RESP_ERROR;
			}
			start = i + 1;
			stop = (size_t)(q - buf);
			i = stop + 1;
		} else {
			while (i < end && buf[i] != ' ' && buf[i] != '\t')
				i++;
			stop = i;
		}
		if (cmd->argc == lim->max_args) {
			snprintf(cmd->err, sizeof(cmd->err),
				 "Protocol error: inline request has more than %zu arguments",
				 lim->max_args);
			*err = cmd->err;
			return RESP_ERROR;
		}
		if (reserve_args(cmd, cmd->argc + 1))
			return RESP_NOMEM;
		cmd->argv[cmd->argc].p = buf + start;
		cmd->argv[cmd->argc].len = stop - start;
		cmd->argc++;
	}
	*used = (size_t)(nl - buf) + 1;
	return cmd->argc ? RESP_OK : RESP_EMPTY;
}

enum resp_status resp_parse(const char *buf, size_t len, const struct resp_limits *lim,
			    struct resp_cmd *cmd, size_t *used, const char **err)
{
	if (len == 0)
		return RESP_INCOMPLETE;
	if (buf[0] == '*')
		return parse_array(buf, len, lim, cmd, used, err);
	return parse_inline(buf, len, lim, cmd, used, err);
}

void resp_cmd_free(struct resp_cmd *cmd)
{
	free(cmd->argv);
	cmd->argv = NULL;
	cmd->argc = cmd->cap = 0;
}

int resp_buf_reserve(struct resp_buf *b, size_t n)
{
	if (b->cap - b->len >= n)
		return 0;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap - b->len < n) {
		if (cap > SIZE_MAX / 2)
			return -ENOMEM;
		cap *= 2;
	}
	/* No realloc: the custom allocator (the shared heap) has none. */
	char *p = b->alloc ? b->alloc(cap) : malloc(cap);
	if (!p)
		return -ENOMEM;
	if (b->len)
		memcpy(p, b->data, b->len);
	if (b->data)
		b->release ? b->release(b->data) : free(b->data);
	b->data = p;
	b->cap = cap;
	return 0;
}

void resp_buf_consume(struct resp_buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
}

void resp_buf_free(struct resp_buf *b)
{
	if (b->data)
		b->release ? b->release(b->data) : free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

int resp_write_raw(struct resp_buf *b, const void *p, size_t n)
{
	if (resp_buf_reserve(b, n))
		return -ENOMEM;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

static int write_line(struct resp_buf *b, char type, const char *s, size_t n)
{
	if (resp_buf_reserve(b, n + 3))
		return -ENOMEM;
	b->data[b->len++] = type;
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len++] = '\r';
	b->data[b->len++] = '\n';
	return 0;
}

static int write_num(struct resp_buf *b, char type, int64_t v)
{
	char num[24];
	int n = snprintf(num, sizeof(num), "%" PRId64, v);
	return write_line(b, type, num, (size_t)n);
}

int resp_write_simple(struct resp_buf *b, const char *s)
{
	return write_line(b, '+', s, strlen(s));
}

int resp_write_error(struct resp_buf *b, const char *s)
{
	return write_line(b, '-', s, strlen(s));
}

int resp_write_int(struct resp_buf *b, int64_t v)
{
	return write_num(b, ':', v);
}

int resp_write_array(struct resp_buf *b, size_t n)
{
	return write_num(b, '*', (int64_t)n);
}

int resp_write_nil(struct resp_buf *b)
{
	return write_line(b, '$', "-1", 2);
}

static size_t digits(size_t n)
{
	size_t d = 1;

	while (n >= 10) {
		n /= 10;
		d++;
	}
	return d;
}

size_t resp_array_size(size_t n)
{
	return 1 + digits(n) + 2;
}

size_t resp_bulk_size(size_t n)
{
	return 1 + digits(n) + 2 + n + 2;
}

int resp_write_bulk(struct resp_buf *b, const void *p, size_t n)
{
	size_t old = b->len;

	if (resp_buf_reserve(b, n + 32) || write_num(b, '$', (int64_t)n))
		return -ENOMEM;
	if (resp_write_raw(b, p, n) || resp_write_raw(b, "\r\n", 2)) {
		b->len = old;
		return -ENOMEM;
	}
	return 0;
}
