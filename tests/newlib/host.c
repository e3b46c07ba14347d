/*
 * An ordinary glibc program that calls a library compiled against newlib
 * and partially linked with its own copy of newlib and the glue
 * (newlib.sh builds it). Both C libraries print, allocate and format side
 * by side, and their states are independent.
 *
 * Usage: host MODE DIR. MODE "a": glibc's stdout unbuffered, newlib's
 * fully buffered; "b": the other way round; "s": no heap attached. What
 * the two print to stdout shows whose buffering held what; checks are
 * reported on stderr.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "attach.h"
#include "glue.h"
#include "heap.h"
#include "nllib.h"

extern struct flexos_newlib_glue flexos__newlib_glue;

static int failed, count;

static void check(int ok, const char *what)
{
	count++;
	fprintf(stderr, "  %s %d - %s\n", ok ? "ok" : "not ok", count, what);
	if (!ok)
		failed++;
}

static int in_glue_heap(const void *p)
{
	uintptr_t a = (uintptr_t)p;
	return a >= flexos__newlib_glue.heap_start && a < flexos__newlib_glue.heap_end;
}

static void heap_checks(struct flexos__heap *rt_heap)
{
	uintptr_t start, end;
	flexos__heap_range(rt_heap, &start, &end);
	check(flexos__newlib_glue.heap_start >= start && flexos__newlib_glue.heap_end <= end &&
		  flexos__newlib_glue.compartment == 1,
	      "the glue's sbrk range lies in the heap the runtime gave it");

	/* newlib's malloc and glibc's, side by side. */
	char *n = nl_malloc(100), *g = malloc(100);
	check(n && g && in_glue_heap(n) && !in_glue_heap(g),
	      "newlib's malloc allocates from the glue's heap, glibc's elsewhere");
	memset(n, 'n', 100);
	memset(g, 'g', 100);
	char *big = nl_realloc(n, 1 << 20);
	check(big && in_glue_heap(big) && big[99] == 'n' && g[0] == 'g',
	      "newlib's realloc grows through sbrk, keeping the data");
	nl_free(big);
	free(g);

	char *a = nl_aligned(4096, 3 * 4096);
	check(a && in_glue_heap(a) && ((uintptr_t)a & 4095) == 0,
	      "newlib's aligned_alloc (the glue's posix_memalign) allocates from the glue's heap");
	nl_free(a);

	/* The attached range is 16 MiB: newlib's malloc must stop there. */
	nl_set_errno(0);
	void *huge = nl_malloc(32 << 20);
	check(huge == NULL && nl_errno() == nl_errno_value("ENOMEM"),
	      "sbrk refuses to grow past the attached heap (ENOMEM in newlib's errno)");

	struct flexos_newlib_glue fake = {.magic = 1};
	check(flexos__newlib_attach(&fake, 2, rt_heap, 1 << 20) == -EPROTO,
	      "attach refuses something that is not a glue instance");
	check(flexos__newlib_attach(&flexos__newlib_glue, 1, rt_heap, 1 << 20) == -EBUSY,
	      "attach refuses a glue that has a heap already");
}

static void format_checks(void)
{
	char nbuf[256], gbuf[256];
	int nl = nl_format(nbuf, sizeof(nbuf));
	int gl = snprintf(gbuf, sizeof(gbuf), NL_FORMAT, NL_ARGS);

	fprintf(stderr, "  # newlib: %s\n  # glibc:  %s\n", nbuf, gbuf);
	check(nl == gl && strcmp(nbuf, gbuf) == 0,
	      "newlib's snprintf formats like glibc's (%zu, %lld, %f, %e...)");
	check(nl_strings() == 0, "newlib's string functions");
}

static void errno_checks(const char *dir)
{
	char path[5000];

	check(nl_errno_location() != &errno &&
		  flexos__newlib_glue.errno_location() == nl_errno_location(),
	      "newlib's errno is not glibc's; the glue instance points at newlib's");

	errno = 12345;
	snprintf(path, sizeof(path), "%s/does-not-exist", dir);
	check(nl_open(path) == -1 && nl_errno() == nl_errno_value("ENOENT") && errno == 12345,
	      "errno set by newlib is not seen by glibc");

	nl_set_errno(777);
	check(close(-1) == -1 && errno == EBADF && nl_errno() == 777,
	      "errno set by glibc is not seen by newlib");

	/* ENAMETOOLONG is 36 on Linux and 91 in newlib: the glue translates. */
	memset(path, 'x', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	check(nl_open(path) == -1 && nl_errno() == nl_errno_value("ENAMETOOLONG") &&
		  nl_errno_value("ENAMETOOLONG") != ENAMETOOLONG,
	      "Linux's errno values become newlib's (ENAMETOOLONG)");
	check(nl_isatty(-1) == 0 && nl_errno() == nl_errno_value("EBADF"),
	      "isatty of a bad descriptor: 0 and EBADF");
}

static void file_checks(const char *dir)
{
	char path[4096], buf[256];

	snprintf(path, sizeof(path), "%s/by-newlib", dir);
	check(nl_file_write(path, "written by newlib\n") == 0, "newlib writes a file");
	FILE *f = fopen(path, "r");
	check(f && fgets(buf, sizeof(buf), f) && strcmp(buf, "written by newlib\n") == 0,
	      "glibc reads it back");
	if (f)
		fclose(f);

	snprintf(path, sizeof(path), "%s/by-glibc", dir);
	f = fopen(path, "w");
	check(f && fputs("written by glibc\n", f) >= 0 && fclose(f) == 0, "glibc writes a file");
	check(nl_file_read(path, buf, sizeof(buf)) == 17 && strcmp(buf, "written by glibc\n") == 0,
	      "newlib reads it back");

	snprintf(path, sizeof(path), "%s/checks", dir);
	int r = nl_file_checks(path);
	if (r)
		fprintf(stderr, "  # nl_file_checks failed at step %d\n", r);
	check(r == 0, "newlib's fopen/fprintf/fseek/fgets/fstat/stat/open/unlink in /tmp");
}

static void system_checks(void)
{
	time_t now = time(NULL);
	check(labs(nl_time() - (long)now) <= 2, "newlib's time() (gettimeofday)");
	check(labs(nl_clock_realtime() - (long)now) <= 2,
	      "newlib's clock_gettime(CLOCK_REALTIME): clock ids are translated");
	check(nl_getpid() == getpid(), "newlib's getpid()");
}

/* Mode s: no runtime attaches a heap; the glue maps its own. */
static int standalone(void)
{
	char *p = nl_malloc(100);
	struct flexos_newlib_glue *g = &flexos__newlib_glue;

	check(p && in_glue_heap(p) &&
		  g->heap_end - g->heap_start == FLEXOS_NEWLIB_STANDALONE_HEAP &&
		  g->compartment == -1,
	      "without a runtime, sbrk maps a heap of its own on first use");
	nl_free(p);
	struct flexos__heap *rt_heap = flexos__heap_create(1 << 20, 1, 0);
	check(rt_heap && flexos__newlib_attach(g, 1, rt_heap, 4096) == -EBUSY,
	      "attach refuses a glue whose sbrk has started");
	fprintf(stderr, "  %d checks passed, %d failed\n", count - failed, failed);
	return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc != 3 || (strcmp(argv[1], "a") && strcmp(argv[1], "b") && strcmp(argv[1], "s"))) {
		fprintf(stderr, "usage: %s a|b|s DIR\n", argv[0]);
		return 2;
	}
	if (strcmp(argv[1], "s") == 0)
		return standalone();
	int mode_a = strcmp(argv[1], "a") == 0;

	/* What the runtime does before the compartment runs. */
	struct flexos__heap *rt_heap = flexos__heap_create(64 << 20, 1, 0);
	if (!rt_heap || flexos__newlib_attach(&flexos__newlib_glue, 1, rt_heap, 16 << 20) != 0) {
		fprintf(stderr, "cannot attach a heap to the glue\n");
		return 1;
	}

	uintptr_t guard = *flexos__newlib_glue.stack_guard;
	check(guard && !(guard & 0xff) && guard != 0xff0a0000u,
	      "attach writes a random canary, its low byte zero, to the glue's stack_guard");

	/* Each library sets its own stdout's buffering, before any output. */
	setvbuf(stdout, NULL, mode_a ? _IONBF : _IOFBF, BUFSIZ);
	check(nl_set_buffering(mode_a ? NL_FULLY_BUFFERED : NL_UNBUFFERED) == 0,
	      "newlib's setvbuf");
	check(nl_stdout() != (void *)stdout, "newlib's stdout is not glibc's");

	/*
	 * Mode a: newlib holds "1" until its flush, glibc writes "2" at once.
	 * Mode b: glibc holds "1" until its flush, newlib writes "2" at once.
	 */
	if (mode_a) {
		nl_print("1");
		printf("glibc: 2\n");
		nl_flush();
	} else {
		printf("glibc: 1\n");
		nl_print("2");
		fflush(stdout);
	}

	heap_checks(rt_heap);
	format_checks();
	errno_checks(argv[2]);
	file_checks(argv[2]);
	system_checks();

	/* Left in newlib's buffer in mode a: the glue's fini writes it at exit. */
	nl_print("last");
	printf("glibc: done\n");
	fflush(stdout);
	flexos__newlib_glue.fini();
	/* Descriptors are the process's: newlib's cleanup must not close them. */
	check(fcntl(1, F_GETFD) != -1 && fcntl(2, F_GETFD) != -1,
	      "the glue's fini leaves stdout and stderr open");

	fprintf(stderr, "  %d checks passed, %d failed\n", count - failed, failed);
	return failed ? 1 : 0;
}
