/*
 * The results directory. Each configuration has a directory named by its
 * id (a hash of its flexos.yaml and of the build and bench commands), so a
 * changed command never reuses a stale figure, and a changed budget or run
 * count reuses every figure there is. A run is appended to 'runs' as soon
 * as it ends: an interrupted exploration loses at most the run under way.
 */
#include "autoconfig.h"

#include "explore.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *path_of(const char *dir, const struct fxe_config *c, const char *file)
{
	return xasprintf("%s/%s%s%s", dir, c->id, file ? "/" : "", file ? file : "");
}

static int write_file(const char *path, const char *text, const char *mode)
{
	FILE *f = fopen(path, mode);
	int err = 0;

	if (!f)
		return -errno;
	if (fputs(text, f) == EOF)
		err = -errno;
	if (fclose(f) == EOF && !err)
		err = -errno;
	return err;
}

/* Reads at most size - 1 bytes of path into buf; -errno when it cannot. */
static int read_small(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return -errno;
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
	return 0;
}

int fxe_cache_prepare(const char *dir, const struct fxe_config *c)
{
	char *d = path_of(dir, c, NULL), *p;
	int err = 0;

	if (mkdir(dir, 0777) < 0 && errno != EEXIST)
		err = -errno;
	else if (mkdir(d, 0777) < 0 && errno != EEXIST)
		err = -errno;
	free(d);
	if (err)
		return err;
	p = path_of(dir, c, "flexos.yaml");
	err = write_file(p, c->yaml, "w");
	free(p);
	if (!err) {
		char *label = xasprintf("%s, %s\n", c->label, fxe_mech_name(c->mech));

		p = path_of(dir, c, "label");
		err = write_file(p, label, "w");
		free(p);
		free(label);
	}
	return err;
}

int fxe_cache_add_run(const char *dir, const struct fxe_config *c, double value)
{
	char *p = path_of(dir, c, "runs"), line[64];
	int err;

	snprintf(line, sizeof(line), "%.17g\n", value);
	err = write_file(p, line, "a");
	free(p);
	return err;
}

int fxe_cache_set_broken(const char *dir, const struct fxe_config *c, const char *why)
{
	char *p = path_of(dir, c, "broken"), *text = xasprintf("%s\n", why);
	int err = write_file(p, text, "w");

	free(p);
	free(text);
	return err;
}

int fxe_cache_finish(const char *dir, const struct fxe_config *c, const struct fxe_result *r)
{
	char *p = path_of(dir, c, "median"), line[160];
	int err;

	snprintf(line, sizeof(line), "%.17g %.17g %.17g %u\n", r->median, r->min, r->max, r->nruns);
	err = write_file(p, line, "w");
	free(p);
	return err;
}

int fxe_cache_load(const char *dir, const struct fxe_config *c, struct fxe_result *r)
{
	char *p = path_of(dir, c, "broken"), buf[1024];
	double *v = NULL;
	size_t n = 0, cap = 0;
	FILE *f;

	memset(r, 0, sizeof(*r));
	r->status = FXE_MISSING;
	if (read_small(p, buf, sizeof(buf)) == 0) {
		buf[strcspn(buf, "\n")] = '\0';
		r->status = FXE_BROKEN;
		r->why = xstrdup(buf);
		free(p);
		return 0;
	}
	free(p);
	p = path_of(dir, c, "runs");
	f = fopen(p, "r");
	free(p);
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (fgets(buf, sizeof(buf), f)) {
		char *end;
		double d = strtod(buf, &end);

		if (end == buf)
			continue;
		if (n == cap)
			v = xrealloc(v, (cap = cap * 2 + 8) * sizeof(*v));
		v[n++] = d;
	}
	fclose(f);
	if (n) {
		r->nruns = (unsigned)n;
		r->median = fxe_median(v, n);
		r->min = v[0];
		r->max = v[n - 1];
		r->status = FXE_FAILS; /* measured; fxe_explore decides against the budget */
	}
	free(v);
	return 0;
}

static unsigned count_runs(const char *d)
{
	char *p = xasprintf("%s/runs", d), buf[128];
	FILE *f = fopen(p, "r");
	unsigned n = 0;

	free(p);
	if (!f)
		return 0;
	while (fgets(buf, sizeof(buf), f))
		n++;
	fclose(f);
	return n;
}

static int copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "r"), *out;
	char buf[8192];
	size_t n;
	int err = 0;

	if (!in)
		return errno == ENOENT ? 0 : -errno;
	out = fopen(to, "w");
	if (!out) {
		err = -errno;
		fclose(in);
		return err;
	}
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			err = -EIO;
	fclose(in);
	if (fclose(out) == EOF && !err)
		err = -errno;
	return err;
}

int fxe_cache_collect(const char *dir, const char *from, FILE *err)
{
	static const char *const files[] = {"flexos.yaml", "label",     "runs",      "median",
					    "broken",      "build.log", "bench.log", NULL};
	DIR *d = opendir(from);
	struct dirent *e;
	int copied = 0;

	if (!d) {
		int e1 = errno;

		fprintf(err, "flexos-explore: cannot read %s: %s\n", from, strerror(e1));
		return -e1;
	}
	if (mkdir(dir, 0777) < 0 && errno != EEXIST) {
		int e2 = -errno;

		closedir(d);
		return e2;
	}
	while ((e = readdir(d))) {
		char *src = xasprintf("%s/%s", from, e->d_name), *dst, *probe;
		unsigned have, got;
		bool config;
		struct stat st;

		probe = xasprintf("%s/flexos.yaml", src);
		config = e->d_name[0] != '.' && stat(probe, &st) == 0;
		free(probe);
		if (!config) {
			free(src);
			continue;
		}
		dst = xasprintf("%s/%s", dir, e->d_name);
		have = count_runs(dst);
		got = count_runs(src);
		probe = xasprintf("%s/broken", dst);
		if (got > have || (have == 0 && stat(probe, &st) < 0)) {
			if (mkdir(dst, 0777) < 0 && errno != EEXIST) {
				fprintf(err, "flexos-explore: cannot create %s: %s\n", dst,
					strerror(errno));
			} else {
				/* What dst had (a 'broken' above all) must not outlive the copy. */
				for (size_t i = 0; files[i]; i++) {
					char *b = xasprintf("%s/%s", dst, files[i]);

					unlink(b);
					free(b);
				}
				for (size_t i = 0; files[i]; i++) {
					char *a = xasprintf("%s/%s", src, files[i]);
					char *b = xasprintf("%s/%s", dst, files[i]);

					if (copy_file(a, b) < 0)
						fprintf(err,
							"flexos-explore: cannot copy %s to %s\n", a,
							b);
					free(a);
					free(b);
				}
				copied++;
			}
		}
		free(probe);
		free(src);
		free(dst);
	}
	closedir(d);
	return copied;
}
