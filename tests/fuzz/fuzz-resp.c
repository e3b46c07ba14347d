/*
 * libFuzzer harness for the kvserver's RESP parser
 * (examples/kvserver/resp.c). Feeds the input as a stream of requests, in
 * two chunkings, and checks what a parser owes its caller: it consumes
 * what it says, its arguments lie inside the buffer, a request parsed in
 * pieces equals the one parsed whole, what the writer makes of the
 * arguments parses back to the same arguments, and is as long as
 * resp_array_size and resp_bulk_size say.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct resp_limits limits = {.max_bulk = 4096, .max_args = 64, .max_inline = 1024};

#define REQUIRE(c)                                                                          \
	do {                                                                                \
		if (!(c)) {                                                                 \
			fprintf(stderr, "fuzz-resp: %s failed at line %d\n", #c, __LINE__); \
			abort();                                                            \
		}                                                                           \
	} while (0)

static void check_args(const struct resp_cmd *cmd, const char *buf, size_t used)
{
	REQUIRE(cmd->argc <= limits.max_args);
	for (size_t i = 0; i < cmd->argc; i++) {
		REQUIRE(cmd->argv[i].len <= used);
		REQUIRE(cmd->argv[i].p >= buf && cmd->argv[i].p + cmd->argv[i].len <= buf + used);
	}
}

/* Writes cmd back as a RESP array and checks that it parses to the same. */
static void round_trip(const struct resp_cmd *cmd)
{
	struct resp_buf b = {0};
	struct resp_cmd again = {0};
	size_t used = 0;
	const char *err = NULL;

	size_t want = resp_array_size(cmd->argc);

	REQUIRE(resp_write_array(&b, cmd->argc) == 0);
	for (size_t i = 0; i < cmd->argc; i++) {
		REQUIRE(resp_write_bulk(&b, cmd->argv[i].p, cmd->argv[i].len) == 0);
		want += resp_bulk_size(cmd->argv[i].len);
	}
	/* The server bounds replies by these sizes before writing them. */
	REQUIRE(b.len == want);
	enum resp_status s = resp_parse(b.data, b.len, &limits, &again, &used, &err);
	if (cmd->argc == 0) {
		/* "*0\r\n" is an empty request, which a server skips. */
		REQUIRE(s != RESP_ERROR || err);
	} else {
		REQUIRE(s == RESP_OK);
		REQUIRE(used == b.len);
		REQUIRE(again.argc == cmd->argc);
		for (size_t i = 0; i < cmd->argc; i++)
			REQUIRE(again.argv[i].len == cmd->argv[i].len &&
				!memcmp(again.argv[i].p, cmd->argv[i].p, cmd->argv[i].len));
	}
	resp_cmd_free(&again);
	resp_buf_free(&b);
}

/*
 * Parses data[0..size) as a stream, offering at most step more bytes each
 * time the parser asks for more; returns the statuses, one per request.
 */
static size_t parse_stream(const char *data, size_t size, size_t step, int *statuses, size_t max,
			   size_t *ends)
{
	struct resp_cmd cmd = {0};
	size_t off = 0, avail = step < size ? step : size, n = 0;

	while (off < size && n < max) {
		size_t used = 0;
		const char *err = NULL;
		enum resp_status s =
		    resp_parse(data + off, avail - off, &limits, &cmd, &used, &err);

		if (s == RESP_INCOMPLETE) {
			REQUIRE(used == 0);
			if (avail == size)
				break;
			avail = avail + step < size ? avail + step : size;
			continue;
		}
		statuses[n] = s;
		if (s == RESP_ERROR || s == RESP_NOMEM) {
			REQUIRE(s == RESP_NOMEM || (err && *err));
			ends[n++] = off;
			break;
		}
		REQUIRE(used > 0 && used <= avail - off);
		if (s == RESP_OK) {
			check_args(&cmd, data + off, used);
			round_trip(&cmd);
		}
		off += used;
		ends[n++] = off;
		if (avail < off)
			avail = off;
	}
	resp_cmd_free(&cmd);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum { MAX = 256 };
	int whole[MAX], bytewise[MAX];
	size_t whole_end[MAX], bytewise_end[MAX];
	/* A copy of exactly size bytes, so that ASan sees any read beyond it. */
	char *copy = malloc(size ? size : 1);

	if (!copy)
		abort();
	memcpy(copy, data, size);
	size_t n1 = parse_stream(copy, size, size, whole, MAX, whole_end);
	size_t n2 = parse_stream(copy, size, 1, bytewise, MAX, bytewise_end);
	/* A header beyond a limit is refused early: the bytewise run may stop sooner. */
	for (size_t i = 0; i < n1 && i < n2; i++) {
		if (whole[i] == RESP_ERROR || bytewise[i] == RESP_ERROR)
			break;
		REQUIRE(whole[i] == bytewise[i] && whole_end[i] == bytewise_end[i]);
	}
	free(copy);
	return 0;
}
