/*
 * kvserver: a key-value server speaking the Redis protocol, single-threaded,
 * over the network layer of net.h (the kernel's sockets or lwIP's).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <time.h>

#include "net.h"
#include "resp.h"
#include "store.h"

/* Past this many unsent reply bytes, a client's requests wait. */
#define OUT_HIGH (1024 * 1024)
/* Buffers of an idle client shrink back below this. */
#define BUF_KEEP (64 * 1024)
/* A client closed for a protocol error is drained this long (see linger). */
#define LINGER_NS (2 * 1000000000LL)
/* The stack of the SIGINT/SIGTERM handler (see main). */
#define SIGNAL_STACK_SIZE (64 * 1024)

struct client {
	int fd;
	struct resp_buf in;   /* received, not yet executed */
	struct resp_buf out;  /* replies not yet sent */
	int eof;              /* the peer sent everything it will send */
	int closing;          /* close once out is sent (QUIT, protocol error) */
	int dead;             /* close now */
	int backlog;          /* requests wait in in because out was full */
	int64_t linger_until; /* draining input after shutdown, until then */
};

struct server {
	struct kv_store *store;
	struct resp_limits lim;
	struct resp_cmd cmd;
	size_t max_buf;
	size_t max_reply; /* bytes one reply may take: MGET multiplies values */
	size_t max_clients;
	struct client **clients;
	size_t nclients;
	struct kv_xfer *xfer; /* a round's I/O: the listener, then each client */
	char *reject;         /* the "too many clients" reply, from kv_net_alloc */
	size_t reject_len;
	int lfd;
	int port;
};

static void on_signal(int sig)
{
	kv_net_stop = sig;
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Commands. Each returns 0, or -ENOMEM when its reply could not be written. */

typedef int cmd_fn(struct server *s, struct client *c, const struct resp_arg *argv, size_t argc);

static int is(const struct resp_arg *a, const char *word)
{
	return a->len == strlen(word) && strncasecmp(a->p, word, a->len) == 0;
}

static int ok(struct client *c)
{
	return resp_write_simple(&c->out, "OK");
}

static int cmd_ping(struct server *s, struct client *c, const struct resp_arg *argv, size_t argc)
{
	if (argc == 2)
		return resp_write_bulk(&c->out, argv[1].p, argv[1].len);
	return resp_write_simple(&c->out, "PONG");
}

static int cmd_echo(struct server *s, struct client *c, const struct resp_arg *argv, size_t argc)
{
	return resp_write_bulk(&c->out, argv[1].p, argv[1].len);
}

static int nomem_reply(struct client *c)
{
	return resp_write_error(&c->out, "OOM kvserver is out of memory: command not executed");
}

static int cmd_set(struct server *s, struct client *c, const struct resp_arg *argv, size_t argc)
{
	int nx = 0, xx = 0, get = 0;
	const char *old;
	size_t oldlen;

	for (size_t i = 3; i < argc; i++) {
		if (is(&argv[i], "NX"))
			nx = 1;
		else if (is(&argv[i], "XX"))
			xx = 1;
		else if (is(&argv[i], "GET"))
			get = 1;
		else if (is(&argv[i], "EX") || is(&argv[i], "PX") || is(&argv[i], "EXAT") ||
			 is(&argv[i], "PXAT") || is(&argv[i], "KEEPTTL"))
			return resp_write_error(&c->out, "ERR kvserver keys do not expire: "
							 "EX, PX, EXAT, PXAT and KEEPTTL are "
							 "not supported");
		else
			return resp_write_error(&c->out, "ERR syntax error");
	}
	if (nx && xx)
		return resp_write_error(&c->out, "ERR syntax error");
	int exists = kv_store_get(s->store, argv[1].p, argv[1].len, &old, &oldlen);
	if (get && (exists ? resp_write_bulk(&c->out, old, oldlen) : resp_write_nil(&c->out)))
		return -ENOMEM;
	if ((nx && exists) || (xx && !exists))
		return get ? 0 : resp_write_nil(&c->out);
	if (kv_store_set(s->store, argv[1].p, argv[1].len, argv[2].p, argv[2].len)) {
		if (get) /* the old value went out as the reply already */
			return 0;
		return nomem_reply(c);
	}
	return get ? 0 : ok(c);
}

static int cmd_get(struct server *s, struct client *c, const struct resp_arg *argv, size_t argc)
{
	const char *v;
	size_t n;

	if (kv_store_get(s->store, argv[1].p, argv[1].len, &v, &n))
		return resp_write_bulk(&c->out, v, n);
	return resp_write_nil(&c->out);
}

static int cmd_del(struct server *s, struct client *c, const struct resp_arg *argv, size_t argc)
{
	int64_t n = 0;

	for (size_t i = 1; i < argc; i++)
		n += kv_store_del(s->store, argv[i].p, argv[i].len);
	return resp_write_int(&c->out, n);
}

static int cmd_exists(struct server *s, struct client *c, const struct resp_arg *argv, size_t argc)
{
	const char *v;
	size_t vlen;
	int64_t n = 0;

	for (size_t i = 1; i < argc; i++)
		n += kv_store_get(s->store, argv[i].p, argv[i].len, &v, &vlen);
	return resp_write_int(&c->out, n);
}

static int incr_by(struct server *s, struct client *c, const struct resp_arg *key, int64_t delta)
{
	int64_t v;

	switch (kv_store_incr(s->store, key->p, key->len, delta, &v)) {
	case 0:
		return resp_write_int(&c->out, v);
	case -EINVAL:
		return resp_write_error(&c->out, "ERR value is not an integer or out of range");
	case -ERANGE:
		return resp_write_error(&c->out, "ERR increment or decrement would overflow");
	default:
		return nomem_reply(c);
	}
}

static int cmd_incr(struct server *s, struct client *c, const struct resp_arg *argv, size_t argc)
{
	return incr_by(s, c, &argv[1], 1);
}

static int cmd_decr(struct server *s, struct client *c, const struct resp_arg *argv, size_t argc)
{
	return incr_by(s, c, &argv[1], -1);
}

static int incr_arg(struct client *c, const struct resp_arg *arg, int64_t *d)
{
	if (resp_parse_int(arg->p, arg->len, d) == 0)
		return 0;
	return resp_write_error(&c->out, "ERR value is not an integer or out of range") ? -ENOMEM
											: 1;
}

static int cmd_incrby(struct server *s, struct client *c, const struct resp_arg *argv, size_t argc)
{
	int64_t d;
	int r = incr_arg(c, &argv[2], &d);

	return r ? (r < 0 ? r : 0) : incr_by(s, c, &argv[1], d);
}

static int cmd_decrby(struct server *s, struct client *c, const struct resp_arg *argv, size_t argc)
{
	int64_t d;
	int r = incr_arg(c, &argv[2], &d);

	if (r)
		return r < 0 ? r : 0;
	if (d == INT64_MIN)
		return resp_write_error(&c->out, "ERR decrement would overflow");
	return incr_by(s, c, &argv[1], -d);
}

static int cmd_mset(struct server *s, struct client *c, const struct resp_arg *argv, size_t argc)
{
	if (argc % 2 == 0)
		return resp_write_error(&c->out,
					"ERR wrong number of arguments for 'mset' command");
	for (size_t i = 1; i < argc; i += 2)
		if (kv_store_set(s->store, argv[i].p, argv[i].len, argv[i + 1].p, argv[i + 1].len))
			return nomem_reply(c);
	return ok(c);
}

static int cmd_mget(struct server *s, struct client *c, const struct resp_arg *argv, size_t argc)
{
	size_t old = c->out.len, total = resp_array_size(argc - 1);
	const char *v;
	size_t n;

	/*
	 * A short request naming one large value many times would ask for
	 * gigabytes, built at once while other clients wait: refuse it first.
	 */
	for (size_t i = 1; i < argc && total <= s->max_reply; i++)
		total += kv_store_get(s->store, argv[i].p, argv[i].len, &v, &n) ? resp_bulk_size(n)
										: 5; /* $-1 */
	if (total > s->max_reply) {
		char msg[160];
		snprintf(
		    msg, sizeof(msg),
		    "ERR the reply would exceed %zu bytes (--max-reply): ask for fewer keys at "
		    "a time",
		    s->max_reply);
		return resp_write_error(&c->out, msg);
	}
	if (resp_write_array(&c->out, argc - 1))
		return -ENOMEM;
	for (size_t i = 1; i < argc; i++) {
		int r = kv_store_get(s->store, argv[i].p, argv[i].len, &v, &n)
			    ? resp_write_bulk(&c->out, v, n)
			    : resp_write_nil(&c->out);
		if (r) {
			c->out.len = old;
			return -ENOMEM;
		}
	}
	return 0;
}

static int cmd_dbsize(struct server *s, struct client *c, const struct resp_arg *argv, size_t argc)
{
	return resp_write_int(&c->out, (int64_t)kv_store_size(s->store));
}

static int cmd_flushall(struct server *s, struct client *c, const struct resp_arg *argv,
			size_t argc)
{
	if (argc == 2 && !is(&argv[1], "ASYNC") && !is(&argv[1], "SYNC"))
		return resp_write_error(&c->out, "ERR syntax error");
	kv_store_clear(s->store);
	return ok(c);
}

static int cmd_select(struct server *s, struct client *c, const struct resp_arg *argv, size_t argc)
{
	if (is(&argv[1], "0"))
		return ok(c);
	return resp_write_error(&c->out, "ERR DB index is out of range (kvserver has only DB 0)");
}

static int cmd_quit(struct server *s, struct client *c, const struct resp_arg *argv, size_t argc)
{
	c->closing = 1;
	return ok(c);
}

/* redis-cli asks for COMMAND DOCS (hints) in interactive mode: none here. */
static int cmd_command(struct server *s, struct client *c, const struct resp_arg *argv, size_t argc)
{
	if (argc >= 2 && is(&argv[1], "COUNT"))
		return resp_write_int(&c->out, 0);
	return resp_write_array(&c->out, 0);
}

/* redis-benchmark reads 'save' and 'appendonly' before it starts. */
static int cmd_config(struct server *s, struct client *c, const struct resp_arg *argv, size_t argc)
{
	char pat[128], num[24];
	const char *names[] = {"save", "appendonly", "maxclients", "port"};
	const char *values[4] = {"", "no", num, NULL};
	char port[24];
	size_t old = c->out.len, found = 0;
	int r = 0;

	if (!is(&argv[1], "GET") || argc < 3)
		return resp_write_error(&c->out, "ERR kvserver only supports CONFIG GET parameter");
	snprintf(num, sizeof(num), "%zu", s->max_clients);
	snprintf(port, sizeof(port), "%d", s->port);
	values[3] = port;
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1)
			r |= resp_write_array(&c->out, 2 * found);
		for (size_t i = 0; i < 4; i++) {
			int match = 0;
			for (size_t a = 2; a < argc && !match; a++) {
				snprintf(pat, sizeof(pat), "%.*s", (int)argv[a].len, argv[a].p);
				match = fnmatch(pat, names[i], FNM_CASEFOLD) == 0;
			}
			if (!match)
				continue;
			if (pass == 0)
				found++;
			else
				r |= resp_write_bulk(&c->out, names[i], strlen(names[i])) |
				     resp_write_bulk(&c->out, values[i], strlen(values[i]));
		}
	}
	if (r) {
		c->out.len = old;
		return -ENOMEM;
	}
	return 0;
}

static int cmd_info(struct server *s, struct client *c, const struct resp_arg *argv, size_t argc)
{
	char info[512];
	int n =
	    snprintf(info, sizeof(info),
		     "# Server\r\nredis_version:7.0.0\r\nkvserver_net:%s\r\ntcp_port:%d\r\n"
		     "# Clients\r\nconnected_clients:%zu\r\nmaxclients:%zu\r\n"
		     "# Keyspace\r\ndb0:keys=%zu,expires=0,avg_ttl=0\r\n",
		     kv_net_name, s->port, s->nclients, s->max_clients, kv_store_size(s->store));
	return resp_write_bulk(&c->out, info, (size_t)n);
}

static const struct command {
	const char *name;
	int arity; /* as Redis: N exactly N arguments, -N at least N */
	int max;   /* at most this many, 0 if unbounded */
	cmd_fn *fn;
} commands[] = {
    {"ping", -1, 2, cmd_ping},         {"echo", 2, 0, cmd_echo},
    {"set", -3, 0, cmd_set},           {"get", 2, 0, cmd_get},
    {"del", -2, 0, cmd_del},           {"unlink", -2, 0, cmd_del},
    {"exists", -2, 0, cmd_exists},     {"incr", 2, 0, cmd_incr},
    {"decr", 2, 0, cmd_decr},          {"incrby", 3, 0, cmd_incrby},
    {"decrby", 3, 0, cmd_decrby},      {"mset", -3, 0, cmd_mset},
    {"mget", -2, 0, cmd_mget},         {"dbsize", 1, 0, cmd_dbsize},
    {"flushall", -1, 2, cmd_flushall}, {"flushdb", -1, 2, cmd_flushall},
    {"select", 2, 0, cmd_select},      {"quit", 1, 0, cmd_quit},
    {"command", -1, 0, cmd_command},   {"config", -2, 0, cmd_config},
    {"info", -1, 0, cmd_info},
};

/* Appends arg to an error message, quoted, printable and bounded. */
static size_t quote_arg(char *dst, size_t room, const struct resp_arg *a)
{
	size_t n = 0;

	if (room < 4)
		return 0;
	dst[n++] = '\'';
	for (size_t i = 0; i < a->len && n + 3 < room && i < 64; i++) {
		unsigned char ch = (unsigned char)a->p[i];
		/* An error reply is one line: no CR, LF or other control bytes. */
		dst[n++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	dst[n++] = '\'';
	dst[n] = '\0';
	return n;
}

static int execute(struct server *s, struct client *c, const struct resp_arg *argv, size_t argc)
{
	char msg[512];
	size_t n;

	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		const struct command *cmd = &commands[i];
		if (!is(&argv[0], cmd->name))
			continue;
		if ((cmd->arity > 0 && argc != (size_t)cmd->arity) ||
		    (cmd->arity < 0 && argc < (size_t)-cmd->arity) ||
		    (cmd->max && argc > (size_t)cmd->max)) {
			snprintf(msg, sizeof(msg), "ERR wrong number of arguments for '%s' command",
				 cmd->name);
			return resp_write_error(&c->out, msg);
		}
		return cmd->fn(s, c, argv, argc);
	}
	n = (size_t)snprintf(msg, sizeof(msg), "ERR unknown command ");
	n += quote_arg(msg + n, sizeof(msg) - n, &argv[0]);
	n += (size_t)snprintf(msg + n, sizeof(msg) - n, ", with args beginning with: ");
	for (size_t i = 1; i < argc && n + 70 < sizeof(msg); i++) {
		n += quote_arg(msg + n, sizeof(msg) - n, &argv[i]);
		msg[n++] = ' ';
		msg[n] = '\0';
	}
	return resp_write_error(&c->out, msg);
}

/* Connections. */

static struct client *client_new(int fd)
{
	struct client *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->fd = fd;
	c->in.alloc = c->out.alloc = kv_net_alloc;
	c->in.release = c->out.release = kv_net_free;
	return c;
}

static void client_free(struct client *c)
{
	kv_net_close(c->fd);
	resp_buf_free(&c->in);
	resp_buf_free(&c->out);
	free(c);
}

static void protocol_error(struct client *c, const char *what)
{
	char msg[256];

	snprintf(msg, sizeof(msg), "ERR %s", what);
	c->in.len = 0;
	c->closing = 1;
	if (resp_write_error(&c->out, msg))
		c->dead = 1;
}

/*
 * Executes the complete requests at the start of c->in, keeping a partial
 * one: 1 if it stopped because too many replies wait to be sent, else 0.
 */
static int process(struct server *s, struct client *c)
{
	size_t off = 0, used;
	const char *err;
	int full = 0;

	while (!c->closing && !c->dead) {
		if (c->out.len >= OUT_HIGH) {
			full = 1;
			break;
		}
		enum resp_status st =
		    resp_parse(c->in.data + off, c->in.len - off, &s->lim, &s->cmd, &used, &err);
		if (st == RESP_INCOMPLETE)
			break;
		if (st == RESP_ERROR) {
			protocol_error(c, err);
			return 0;
		}
		if (st == RESP_NOMEM) {
			protocol_error(c, "kvserver is out of memory: closing the connection");
			return 0;
		}
		if (st == RESP_OK && execute(s, c, s->cmd.argv, s->cmd.argc))
			c->dead = 1; /* not even an error reply fits */
		off += used;
	}
	if (c->closing || c->dead)
		return 0;
	resp_buf_consume(&c->in, off);
	if (c->in.len >= s->max_buf) {
		char msg[160];
		snprintf(msg, sizeof(msg),
			 "Protocol error: request larger than the buffer limit of %zu bytes",
			 s->max_buf);
		protocol_error(c, msg);
	} else if (c->in.len == 0 && c->in.cap > BUF_KEEP) {
		resp_buf_free(&c->in);
	}
	return full;
}

/* Where the next receive goes: room in c->in, or 0 (c->dead if out of memory). */
static size_t input_room(struct server *s, struct client *c)
{
	size_t room = s->max_buf - c->in.len;

	if (resp_buf_reserve(&c->in, room < 16384 ? room : 16384)) {
		c->dead = 1;
		return 0;
	}
	return c->in.cap - c->in.len < room ? c->in.cap - c->in.len : room;
}

/* What c gives to the next round: its unsent replies, room for input. */
static void prepare(struct server *s, struct client *c, struct kv_xfer *x)
{
	*x = (struct kv_xfer){.fd = c->fd};
	if (c->linger_until) {
		/* Input is dropped: it lands in the buffer and is forgotten. */
		x->events = POLLIN;
		x->in = c->in.data;
		x->in_room = c->in.cap;
		return;
	}
	x->out = c->out.data;
	x->out_len = c->out.len;
	if (c->backlog)
		x->events = POLLOUT; /* then its requests' turn comes on the next round */
	if (!c->closing && !c->eof && c->in.len < s->max_buf && c->out.len < OUT_HIGH &&
	    (x->in_room = input_room(s, c))) {
		x->events |= POLLIN;
		x->in = c->in.data + c->in.len;
	}
}

/*
 * Closing a socket with unread input makes the kernel send a reset, which
 * may destroy the error reply before the client reads it. So a client
 * closed for a protocol error is shut down for writing, then its input is
 * read and dropped until it closes too, or for LINGER_NS at most.
 */
static void linger(struct client *c, const struct kv_xfer *x)
{
	if (now_ns() > c->linger_until || (x->got < 0 && x->got != -EAGAIN) || x->got == 0 ||
	    (x->revents & POLLNVAL))
		c->dead = 1;
}

/* Takes in what the round did for c, then runs its requests. */
static void handle(struct server *s, struct client *c, const struct kv_xfer *x)
{
	if (c->linger_until) {
		linger(c, x);
		return;
	}
	if ((x->sent < 0 && x->sent != -EAGAIN) || (x->got < 0 && x->got != -EAGAIN) ||
	    (x->revents & POLLNVAL)) {
		c->dead = 1;
		return;
	}
	if (x->sent > 0) {
		resp_buf_consume(&c->out, (size_t)x->sent);
		if (c->out.len == 0 && c->out.cap > BUF_KEEP)
			resp_buf_free(&c->out);
	}
	if (x->got > 0)
		c->in.len += (size_t)x->got;
	else if (x->got == 0)
		c->eof = 1;
	else if (x->revents & POLLERR) {
		c->dead = 1;
		return;
	}
	if (x->got > 0 || c->backlog)
		c->backlog = process(s, c);
	if (c->dead)
		return;
	if (c->eof && !c->closing)
		c->closing = 1; /* every complete request was answered above */
	if (c->closing && c->out.len == 0) {
		if (c->eof || kv_net_shutdown(c->fd) || resp_buf_reserve(&c->in, 4096)) {
			c->dead = 1;
			return;
		}
		c->linger_until = now_ns() + LINGER_NS;
	}
}

/*
 * Accepts every pending connection: lwIP resets connections beyond its
 * accept mailbox (1024, docs/lwip.md), and under an isolating backend
 * serving the clients between two rounds may take long enough for many to
 * arrive. Bounded, so that a flood of connections cannot starve the
 * clients already in.
 */
static void accept_clients(struct server *s)
{
	for (int i = 0; i < 1024; i++) {
		int fd = kv_net_accept(s->lfd);
		if (fd < 0) {
			if (fd != -EAGAIN && fd != -ECONNABORTED)
				fprintf(stderr, "kvserver: accept: %s\n", strerror(-fd));
			return;
		}
		struct client *c = s->nclients < s->max_clients ? client_new(fd) : NULL;
		if (!c) {
			/* Best effort: the socket is new, its buffer is empty. */
			kv_net_send(fd, s->reject, s->reject_len);
			kv_net_close(fd);
			continue;
		}
		s->clients[s->nclients++] = c;
	}
}

/*
 * The loop: a round of I/O (the replies of the last round go out, new
 * requests come in) then the requests, in turn. Each round is one call to
 * the network layer: one gate when lwIP is in another compartment.
 */
static int serve(struct server *s)
{
	while (!kv_net_stop) {
		size_t n = 0;
		int timeout = 1000;

		s->xfer[n++] = (struct kv_xfer){.fd = s->lfd, .events = POLLIN};
		for (size_t i = 0; i < s->nclients; i++) {
			struct client *c = s->clients[i];
			prepare(s, c, &s->xfer[n++]);
			if (c->linger_until && timeout > 100)
				timeout = 100;
		}
		int r = kv_net_exchange(s->xfer, n, timeout);
		if (r < 0 && r != -EINTR) {
			fprintf(stderr, "kvserver: a round of I/O failed: %s\n", strerror(-r));
			return -r;
		}
		size_t polled = s->nclients;
		if (s->xfer[0].revents & POLLIN)
			accept_clients(s); /* first: see accept_clients */
		for (size_t i = 0; i < polled; i++)
			handle(s, s->clients[i], &s->xfer[i + 1]);
		size_t kept = 0;
		for (size_t i = 0; i < s->nclients; i++) {
			if (s->clients[i]->dead)
				client_free(s->clients[i]);
			else
				s->clients[kept++] = s->clients[i];
		}
		s->nclients = kept;
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: kvserver [--port N] [--net SPEC] [--max-clients N] [--max-bulk BYTES]\n"
	    "                [--max-args N] [--max-buffer BYTES] [--max-reply BYTES]\n"
	    "A key-value server speaking the Redis protocol (%s).\n"
	    "  --port N          TCP port (default 6379)\n"
	    "  --net SPEC        lwIP images: tap=NAME,addr=A.B.C.D,netmask=A.B.C.D,gw=A.B.C.D\n"
	    "                    (default: $FLEXOS_LWIP)\n"
	    "  --max-clients N   connections served at once (default 1024)\n"
	    "  --max-bulk BYTES  longest argument (default %d)\n"
	    "  --max-args N      most arguments of a request (default %d)\n"
	    "  --max-buffer BYTES  largest pending request (default 4 MiB)\n"
	    "  --max-reply BYTES   largest reply, e.g. of MGET (default 8 MiB)\n",
	    kv_net_name, RESP_DEFAULT_MAX_BULK, RESP_DEFAULT_MAX_ARGS);
}

static int parse_size(const char *opt, const char *arg, size_t min, size_t max, size_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-' || v < min || v > max) {
		fprintf(stderr, "kvserver: %s must be a number from %zu to %zu, not '%s'\n", opt,
			min, max, arg);
		return -1;
	}
	*out = (size_t)v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"port", required_argument, NULL, 'p'},
	    {"net", required_argument, NULL, 'n'},
	    {"max-clients", required_argument, NULL, 'c'},
	    {"max-bulk", required_argument, NULL, 'b'},
	    {"max-args", required_argument, NULL, 'a'},
	    {"max-buffer", required_argument, NULL, 'B'},
	    {"max-reply", required_argument, NULL, 'R'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	struct server s = {
	    .lim = {RESP_DEFAULT_MAX_BULK, RESP_DEFAULT_MAX_ARGS, RESP_DEFAULT_MAX_INLINE},
	    .max_buf = 4 * 1024 * 1024,
	    .max_reply = 8 * 1024 * 1024,
	    .max_clients = 1024,
	    .port = 6379,
	};
	const char *spec = NULL;
	size_t v;
	int o, ret = 1;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'p':
			if (parse_size("--port", optarg, 1, 65535, &v))
				return 2;
			s.port = (int)v;
			break;
		case 'n':
			spec = optarg;
			break;
		case 'c':
			if (parse_size("--max-clients", optarg, 1, 1000000, &s.max_clients))
				return 2;
			break;
		case 'b':
			if (parse_size("--max-bulk", optarg, 1, SIZE_MAX / 4, &s.lim.max_bulk))
				return 2;
			break;
		case 'a':
			if (parse_size("--max-args", optarg, 1, 1 << 24, &s.lim.max_args))
				return 2;
			break;
		case 'B':
			if (parse_size("--max-buffer", optarg, 1024, SIZE_MAX / 4, &s.max_buf))
				return 2;
			break;
		case 'R':
			if (parse_size("--max-reply", optarg, 1024, SIZE_MAX / 4, &s.max_reply))
				return 2;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "kvserver: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (s.max_reply < resp_bulk_size(s.lim.max_bulk)) {
		fprintf(stderr,
			"kvserver: --max-reply %zu cannot hold one value of --max-bulk %zu: "
			"raise --max-reply or lower --max-bulk\n",
			s.max_reply, s.lim.max_bulk);
		return 2;
	}
	if (s.max_buf < s.lim.max_bulk + 64) {
		fprintf(stderr,
			"kvserver: --max-buffer %zu cannot hold one argument of --max-bulk %zu: "
			"raise --max-buffer or lower --max-bulk\n",
			s.max_buf, s.lim.max_bulk);
		return 2;
	}

	/*
	 * SIGINT and SIGTERM stop the server. Their handler runs on a stack of
	 * its own, in platform memory: the signal may interrupt the thread
	 * inside another compartment, on a stack the handler could not touch
	 * under intel-mpk. And the network stack's threads, started below,
	 * inherit a mask that blocks them, so the handler only runs on this
	 * thread, the one with that stack. No SA_RESTART: poll returns.
	 */
	stack_t ss = {.ss_size = SIGNAL_STACK_SIZE};
	ss.ss_sp =
	    mmap(NULL, ss.ss_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ss.ss_sp == MAP_FAILED || sigaltstack(&ss, NULL)) {
		fprintf(stderr, "kvserver: cannot set up a signal stack: %s\n", strerror(errno));
		return 1;
	}
	struct sigaction sa = {.sa_handler = on_signal, .sa_flags = SA_ONSTACK};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigset_t stopsigs, oldmask;
	sigemptyset(&stopsigs);
	sigaddset(&stopsigs, SIGINT);
	sigaddset(&stopsigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stopsigs, &oldmask);
	int err = kv_net_start(spec, s.max_clients);
	pthread_sigmask(SIG_SETMASK, &oldmask, NULL);
	if (err)
		return 1;
	s.store = kv_store_new();
	s.clients = calloc(s.max_clients, sizeof(*s.clients));
	s.xfer = calloc(s.max_clients + 1, sizeof(*s.xfer));
	static const char reject[] = "-ERR max number of clients reached\r\n";
	s.reject_len = sizeof(reject) - 1;
	s.reject = kv_net_alloc(s.reject_len);
	if (!s.store || !s.clients || !s.xfer || !s.reject) {
		fprintf(stderr, "kvserver: out of memory for %zu clients: lower --max-clients\n",
			s.max_clients);
		goto out;
	}
	memcpy(s.reject, reject, s.reject_len);
	s.lfd = kv_net_listen(s.port, 511);
	if (s.lfd < 0) {
		fprintf(
		    stderr, "kvserver: cannot listen on port %d: %s%s\n", s.port, strerror(-s.lfd),
		    s.lfd == -EADDRINUSE ? ": stop the other server or choose another --port" : "");
		goto out;
	}
	printf("kvserver: listening on port %d (%s, at most %zu clients)\n", s.port, kv_net_name,
	       s.max_clients);
	fflush(stdout);
	ret = serve(&s);
	printf("kvserver: stopped by signal %d\n", (int)kv_net_stop);
	kv_net_close(s.lfd);
out:
	for (size_t i = 0; i < s.nclients; i++)
		client_free(s.clients[i]);
	free(s.clients);
	free(s.xfer);
	kv_net_free(s.reject);
	kv_store_free(s.store);
	resp_cmd_free(&s.cmd);
	ss.ss_flags = SS_DISABLE;
	if (sigaltstack(&ss, NULL) == 0)
		munmap(ss.ss_sp, SIGNAL_STACK_SIZE);
	return ret;
}
