/*
 * flexos-explore: enumerates the configurations an exploration file
 * allows, builds and benchmarks them from the bottom of the safety order
 * up, and prints the safest ones within a budget (docs/man/flexos-explore.1).
 */
#include "autoconfig.h"

#include "explore.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	interrupted = sig;
}

struct runner {
	const char *cache; /* absolute */
	unsigned runs;
	bool cached_only;
	bool tty;
	bool line_open;
	struct timespec start;
	unsigned done_runs; /* runs (and builds) executed by this process */
	double busy;        /* their seconds */
};

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Quoted for /bin/sh: jobs files and messages a user may paste. */
static char *shell_quote(const char *s)
{
	size_t n = 3;
	char *q, *o;

	for (const char *p = s; *p; p++)
		n += *p == '\'' ? 4 : 1;
	o = q = xcalloc(n, 1);
	*o++ = '\'';
	for (; *s; s++) {
		if (*s == '\'') {
			memcpy(o, "'\\''", 4);
			o += 4;
		} else {
			*o++ = *s;
		}
	}
	*o = '\'';
	return q;
}

/*
 * Runs cmd with /bin/sh in the exploration file's directory, stdout to
 * out_path and stderr appended to log_path, in a process group of its own
 * so that an interruption stops everything it started. Returns its status,
 * or -EINTR when the exploration was interrupted.
 */
static int run_command(const struct fxe_spec *s, const struct fxe_config *c, const char *cdir,
		       const char *cmd, const char *out_path, const char *log_path, unsigned run)
{
	pid_t pid;
	int status;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		char *split = NULL, *hardened = NULL, buf[32];
		size_t len = 0;
		FILE *f = open_memstream(&split, &len);
		bool first = true;
		int out, log;

		setpgid(0, 0);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		for (size_t u = 0; u < s->nunits; u++)
			for (size_t i = 0; c->block_of[u] && i < s->units[u].nlibs; i++) {
				fprintf(f, "%s%s", first ? "" : " ",
					s->libs[s->units[u].libs[i]].name);
				first = false;
			}
		fclose(f);
		setenv("FLEXOS_EXPLORE_CONFIG", xasprintf("%s/flexos.yaml", cdir), 1);
		setenv("FLEXOS_EXPLORE_DIR", cdir, 1);
		setenv("FLEXOS_EXPLORE_ID", c->id, 1);
		setenv("FLEXOS_EXPLORE_MECHANISM", fxe_mech_name(c->mech), 1);
		snprintf(buf, sizeof(buf), "%u", c->ncomps);
		setenv("FLEXOS_EXPLORE_COMPARTMENTS", buf, 1);
		setenv("FLEXOS_EXPLORE_STACK", c->stack == FXE_STACK_SHARED ? "shared" : "private",
		       1);
		setenv("FLEXOS_EXPLORE_SPLIT", split ? split : "", 1);
		f = open_memstream(&hardened, &len);
		first = true;
		for (size_t u = 0; u < s->nunits; u++)
			for (size_t i = 0; (c->hardening & (1u << u)) && i < s->units[u].nlibs; i++) {
				fprintf(f, "%s%s", first ? "" : " ",
					s->libs[s->units[u].libs[i]].name);
				first = false;
			}
		fclose(f);
		setenv("FLEXOS_EXPLORE_HARDENED", hardened ? hardened : "", 1);
		snprintf(buf, sizeof(buf), "%u", run);
		setenv("FLEXOS_EXPLORE_RUN", buf, 1);
		out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
		log = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0666);
		if (out < 0 || log < 0 || chdir(s->dir) < 0)
			_exit(126);
		dup2(out, 1);
		dup2(log, 2);
		close(0);
		if (open("/dev/null", O_RDONLY) != 0)
			_exit(126);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	setpgid(pid, pid);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -errno;
		if (interrupted) {
			kill(-pid, SIGTERM);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			return -EINTR;
		}
	}
	if (interrupted)
		return -EINTR;
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

/* The last number the benchmark printed: its figure. */
static bool last_number(const char *path, double *value)
{
	FILE *f = fopen(path, "r");
	char word[256];
	bool found = false;

	if (!f)
		return false;
	while (fscanf(f, "%255s", word) == 1) {
		char *end;
		double d = strtod(word, &end);

		if (end != word && *end == '\0') {
			*value = d;
			found = true;
		}
	}
	fclose(f);
	return found;
}

/* run == rn->runs: building. */
static void progress(struct runner *rn, const struct fxe_space *sp, size_t i, unsigned run)
{
	char what[32];
	size_t left_runs = 0, pos = 0;
	char eta[64] = "";
	const struct fxe_config *c = &sp->configs[i];

	for (size_t j = 0; j < sp->n; j++) {
		if (sp->results[j].status != FXE_UNKNOWN && j != i)
			pos++;
		if (j > i && sp->results[j].status == FXE_UNKNOWN)
			left_runs += rn->runs;
	}
	left_runs += run < rn->runs ? rn->runs - run : rn->runs;
	if (run < rn->runs)
		snprintf(what, sizeof(what), "run %u/%u", run + 1, rn->runs);
	else
		snprintf(what, sizeof(what), "building");
	if (rn->done_runs) {
		double secs = rn->busy / rn->done_runs * (double)left_runs;

		snprintf(eta, sizeof(eta), ", about %um%02us left at most", (unsigned)secs / 60,
			 (unsigned)secs % 60);
	}
	if (rn->tty) {
		int bar = 24, full = (int)((double)bar * (double)pos / (double)sp->n);

		fprintf(stderr, "\r\033[K[%.*s%*s] %zu/%zu %s, %s: %s%s", full,
			"########################", bar - full, "", pos + 1, sp->n, c->label,
			fxe_mech_name(c->mech), what, eta);
		rn->line_open = true;
	} else {
		fprintf(stderr, "flexos-explore: [%zu/%zu] %s, %s: %s%s\n", pos + 1, sp->n,
			c->label, fxe_mech_name(c->mech), what, eta);
	}
}

static void end_progress(struct runner *rn)
{
	if (rn->line_open)
		fputs("\r\033[K", stderr);
	rn->line_open = false;
}

static int broken(struct runner *rn, const struct fxe_config *c, struct fxe_result *r,
		  const char *why)
{
	end_progress(rn);
	fxe_cache_set_broken(rn->cache, c, why);
	r->status = FXE_BROKEN;
	free(r->why);
	r->why = xstrdup(why);
	fprintf(stderr, "flexos-explore: %s, %s: %s\n", c->label, fxe_mech_name(c->mech), why);
	return 0;
}

static int measure(struct fxe_space *sp, size_t i, struct fxe_result *r, void *ctx)
{
	struct runner *rn = ctx;
	const struct fxe_spec *s = sp->spec;
	const struct fxe_config *c = &sp->configs[i];
	char *cdir, *stamp, *out, *log, *why;
	struct stat st;
	int err, status;

	free(r->why);
	if ((err = fxe_cache_load(rn->cache, c, r)) < 0)
		return err;
	if (r->status == FXE_BROKEN || rn->cached_only || r->nruns >= rn->runs)
		return 0;
	if ((err = fxe_cache_prepare(rn->cache, c)) < 0) {
		fprintf(stderr, "flexos-explore: cannot write to %s/%s: %s\n", rn->cache, c->id,
			strerror(-err));
		return err;
	}
	cdir = xasprintf("%s/%s", rn->cache, c->id);
	stamp = xasprintf("%s/built", cdir);
	out = xasprintf("%s/out", cdir);
	if (s->build && stat(stamp, &st) < 0) {
		double t0 = now();

		log = xasprintf("%s/build.log", cdir);
		progress(rn, sp, i, rn->runs);
		status = run_command(s, c, cdir, s->build, log, log, 0);
		free(log);
		if (status == -EINTR) {
			err = status;
			goto out;
		}
		rn->busy += now() - t0;
		if (status != 0) {
			why = xasprintf("the build command failed (status %d): see %s/build.log",
					status, cdir);
			broken(rn, c, r, why);
			free(why);
			goto out;
		}
		close(open(stamp, O_WRONLY | O_CREAT, 0666));
	}
	log = xasprintf("%s/bench.log", cdir);
	for (unsigned run = r->nruns; run < rn->runs; run++) {
		double t0 = now(), v;

		progress(rn, sp, i, run);
		status = run_command(s, c, cdir, s->bench, out, log, run);
		if (status == -EINTR) {
			err = status;
			break;
		}
		rn->busy += now() - t0;
		rn->done_runs++;
		if (status != 0 || !last_number(out, &v)) {
			why = status ? xasprintf(
					   "the bench command failed (status %d): see %s/bench.log",
					   status, cdir)
				     : xasprintf("the bench command printed no number: see %s/out",
						 cdir);
			broken(rn, c, r, why);
			free(why);
			break;
		}
		fxe_cache_add_run(rn->cache, c, v);
	}
	free(log);
	if (!err && r->status != FXE_BROKEN) {
		fxe_cache_load(rn->cache, c, r);
		fxe_cache_finish(rn->cache, c, r);
	}
out:
	free(cdir);
	free(stamp);
	free(out);
	return err;
}

static int emit_jobs(const struct fxe_space *sp, const char *dir, const char *file, unsigned runs)
{
	char exe[PATH_MAX], absdir[PATH_MAX], absfile[PATH_MAX];
	char *jobs, *slurm, *qexe, *qres, *qfile, *qdir;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	FILE *f;

	if (n < 0 || mkdir(dir, 0777) < 0) {
		if (n < 0 || errno != EEXIST) {
			fprintf(stderr, "flexos-explore: cannot create %s: %s\n", dir,
				strerror(errno));
			return 1;
		}
	}
	exe[n] = '\0';
	if (!realpath(dir, absdir) || !realpath(file, absfile)) {
		fprintf(stderr, "flexos-explore: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	qexe = shell_quote(exe);
	qfile = shell_quote(absfile);
	qdir = shell_quote(absdir);
	qres = shell_quote(xasprintf("%s/results", absdir));
	jobs = xasprintf("%s/jobs", dir);
	f = fopen(jobs, "w");
	if (!f) {
		fprintf(stderr, "flexos-explore: cannot write %s: %s\n", jobs, strerror(errno));
		return 1;
	}
	/* Every configuration: jobs run side by side, so none can prune another. */
	for (size_t i = 0; i < sp->n; i++)
		fprintf(f, "%s --measure %s --runs %u -C %s %s\n", qexe, sp->configs[i].id, runs,
			qres, qfile);
	fclose(f);
	slurm = xasprintf("%s/slurm.sh", dir);
	f = fopen(slurm, "w");
	if (!f) {
		fprintf(stderr, "flexos-explore: cannot write %s: %s\n", slurm, strerror(errno));
		return 1;
	}
	fprintf(f,
		"#!/bin/sh\n"
		"# A Slurm job array of the %zu configurations of %s: sbatch %s/slurm.sh\n"
		"# Each task runs one line of jobs; the results directory must be on a file\n"
		"# system the nodes share. Then: flexos-explore --collect %s/results %s\n"
		"#SBATCH --job-name=flexos-explore\n"
		"#SBATCH --array=1-%zu\n"
		"#SBATCH --ntasks=1\n"
		"#SBATCH --output=%s/slurm-%%A_%%a.out\n"
		"set -eu\n"
		"job=$(sed -n \"${SLURM_ARRAY_TASK_ID}p\" %s/jobs)\n"
		"exec /bin/sh -c \"$job\"\n",
		sp->n, absfile, absdir, absdir, absfile, sp->n, absdir, qdir);
	fclose(f);
	chmod(slurm, 0755);
	printf("%zu jobs in %s/jobs (one configuration each, all of them: jobs do not prune each "
	       "other)\n"
	       "  GNU parallel: parallel -j2 < %s/jobs   (or --sshloginfile FILE, with %s on a "
	       "shared file system)\n"
	       "  Slurm: sbatch %s/slurm.sh\n"
	       "then: flexos-explore --collect %s/results %s\n",
	       sp->n, dir, dir, absdir, dir, dir, file);
	free(jobs);
	free(slurm);
	free(qexe);
	free(qfile);
	free(qdir);
	free(qres);
	return 0;
}

static void render(const struct fxe_space *sp, const char *dot_path)
{
	FILE *f = fopen(dot_path, "w");
	char *svg;
	size_t len = strlen(dot_path);
	int st;

	if (!f) {
		fprintf(stderr, "flexos-explore: cannot write %s: %s\n", dot_path, strerror(errno));
		return;
	}
	fxe_write_dot(sp, f);
	fclose(f);
	svg = len > 4 && strcmp(dot_path + len - 4, ".dot") == 0
		  ? xasprintf("%.*s.svg", (int)(len - 4), dot_path)
		  : xasprintf("%s.svg", dot_path);
	st = run_program((char *const[]){"dot", "-Tsvg", "-o", svg, (char *)dot_path, NULL});
	if (st < 0 && errno == ENOENT)
		printf("poset: %s (not rendered: graphviz's dot is missing; install graphviz, "
		       "then: dot -Tsvg -o %s %s)\n",
		       dot_path, svg, dot_path);
	else if (st != 0)
		printf("poset: %s (dot -Tsvg failed with status %d)\n", dot_path, st);
	else
		printf("poset: %s, rendered as %s\n", dot_path, svg);
	free(svg);
}

static void usage(FILE *f)
{
	fputs(
	    "usage: flexos-explore [OPTIONS] EXPLORATION.yaml\n"
	    "  -C, --cache DIR     results directory (default: NAME.results, NAME the file's "
	    "stem)\n"
	    "      --budget B      override 'budget': a number, or a ratio to the baseline (0.8x)\n"
	    "      --runs N        override 'runs'\n"
	    "      --no-prune      measure every configuration, even above one over budget\n"
	    "      --list          measure nothing: the configurations and what the cache holds\n"
	    "      --dot FILE      where to write the poset (default: DIR/poset.dot), and "
	    "FILE.svg\n"
	    "      --emit-jobs D   write one job per configuration (GNU parallel, Slurm) into D\n"
	    "      --measure ID    measure the one configuration ID (what a job runs)\n"
	    "      --collect DIR   merge a results directory (repeatable), then report\n"
	    "  -h, --help, -V, --version\n",
	    f);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"cache", required_argument, NULL, 'C'},
	    {"budget", required_argument, NULL, 'b'},
	    {"runs", required_argument, NULL, 'r'},
	    {"no-prune", no_argument, NULL, 'P'},
	    {"list", no_argument, NULL, 'l'},
	    {"dot", required_argument, NULL, 'd'},
	    {"emit-jobs", required_argument, NULL, 'e'},
	    {"measure", required_argument, NULL, 'm'},
	    {"collect", required_argument, NULL, 'c'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	const char *cache = NULL, *budget = NULL, *dot = NULL, *emit = NULL, *only = NULL;
	const char **collect = xcalloc((size_t)argc + 1, sizeof(*collect));
	size_t ncollect = 0;
	bool prune = true, list = false;
	long runs = 0;
	struct fxe_spec *spec;
	struct fxe_space sp;
	struct runner rn = {0};
	char abscache[PATH_MAX];
	struct sigaction sa = {.sa_handler = on_signal};
	int o, err;

	while ((o = getopt_long(argc, argv, "C:hV", opts, NULL)) != -1) {
		switch (o) {
		case 'C':
			cache = optarg;
			break;
		case 'b':
			budget = optarg;
			break;
		case 'r': {
			char *end;

			runs = strtol(optarg, &end, 10);
			if (*end || runs < 1 || runs > 1000) {
				fprintf(stderr,
					"flexos-explore: --runs takes a number from 1 to 1000, not "
					"'%s'\n",
					optarg);
				return 2;
			}
			break;
		}
		case 'P':
			prune = false;
			break;
		case 'l':
			list = true;
			break;
		case 'd':
			dot = optarg;
			break;
		case 'e':
			emit = optarg;
			break;
		case 'm':
			only = optarg;
			break;
		case 'c':
			collect[ncollect++] = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("flexos-explore (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	spec = fxe_spec_read(argv[optind], stderr);
	if (!spec)
		return 1;
	if (budget && fxe_parse_budget(budget, &spec->budget, &spec->budget_ratio) < 0) {
		fprintf(stderr,
			"flexos-explore: --budget takes a positive number, or a ratio to the "
			"baseline such as 0.8x, not '%s'\n",
			budget);
		return 2;
	}
	if (runs)
		spec->runs = (unsigned)runs;
	err = fxe_space_build(&sp, spec);
	if (err == -E2BIG) {
		fprintf(stderr,
			"flexos-explore: %s allows more than %d configurations: put libraries in "
			"'groups', mark some 'split: false', or try fewer mechanisms\n",
			argv[optind], FXE_MAX_CONFIGS);
		return 1;
	}
	if (emit)
		return emit_jobs(&sp, emit, argv[optind], spec->runs);

	if (!cache) {
		const char *base = strrchr(argv[optind], '/');
		const char *dotp;

		base = base ? base + 1 : argv[optind];
		dotp = strrchr(base, '.');
		cache =
		    xasprintf("%.*s.results",
			      (int)(dotp && dotp != base ? dotp - base : (long)strlen(base)), base);
	}
	if (mkdir(cache, 0777) < 0 && errno != EEXIST) {
		fprintf(stderr, "flexos-explore: cannot create %s: %s\n", cache, strerror(errno));
		return 1;
	}
	if (!realpath(cache, abscache)) {
		fprintf(stderr, "flexos-explore: %s: %s\n", cache, strerror(errno));
		return 1;
	}
	for (size_t i = 0; i < ncollect; i++) {
		int n = fxe_cache_collect(abscache, collect[i], stderr);

		if (n < 0)
			return 1;
		fprintf(stderr, "flexos-explore: %d configurations merged from %s\n", n,
			collect[i]);
	}
	rn.cache = abscache;
	rn.runs = spec->runs;
	rn.cached_only = list || ncollect > 0;
	rn.tty = isatty(2);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	if (only) {
		size_t i = 0;

		while (i < sp.n && strcmp(sp.configs[i].id, only) != 0)
			i++;
		if (i == sp.n) {
			fprintf(stderr,
				"flexos-explore: %s has no configuration %s: was the file or a "
				"command changed since the jobs were written?\n",
				argv[optind], only);
			return 1;
		}
		err = measure(&sp, i, &sp.results[i], &rn);
		end_progress(&rn);
		if (err == -EINTR)
			return 130;
		if (sp.results[i].status == FXE_BROKEN)
			return 1;
		printf("%s %s, %s: median %.6g of %u runs\n", sp.configs[i].id, sp.configs[i].label,
		       fxe_mech_name(sp.configs[i].mech), sp.results[i].median,
		       sp.results[i].nruns);
		return 0;
	}

	/* Measurements already collected are all shown: pruning is for saving runs. */
	err = fxe_explore(&sp, measure, &rn, prune && !rn.cached_only);
	end_progress(&rn);
	if (err == -EINTR) {
		fprintf(stderr,
			"flexos-explore: interrupted; the finished runs are kept in %s: run the "
			"same command again to resume\n",
			abscache);
		return 130;
	}
	if (err < 0) {
		fprintf(stderr, "flexos-explore: %s\n", strerror(-err));
		return 1;
	}
	if (spec->budget_ratio && sp.results[0].status != FXE_MEETS &&
	    sp.results[0].status != FXE_FAILS)
		fprintf(
		    stderr,
		    "flexos-explore: the budget is a ratio to the one-compartment baseline, which "
		    "has no measurement: every measured configuration counts as meeting it\n");
	fxe_print_table(&sp, stdout);
	{
		char *d = dot ? xstrdup(dot) : xasprintf("%s/poset.dot", cache);

		render(&sp, d);
		free(d);
	}
	fxe_space_free(&sp);
	fxe_spec_free(spec);
	free(collect);
	return 0;
}
