/*
 * flexos-cc: compiles a library for the compartment flexos.yaml puts it in.
 *
 *   flexos-cc -c flexos.yaml -l LIBRARY [-- [COMPILER] ARGUMENT...]
 *
 * Hardening is compile-time instrumentation, which flexos-link can verify
 * but not add; this wrapper adds it where the library is built, from the
 * same config and the same library matching as flexos-link, so that a
 * library's own build system needs only CC="flexos-cc -c flexos.yaml -l
 * libpng --". The flags come from tools/flexos-link/harden.c.
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "harden.h"
#include "plan.h"
#include "util.h"

struct options {
	const char *config;
	const char *library;
	const char *compartment;
	const char *harden; /* --harden=LIST: the options, without a config */
	bool print_flags;
	bool verbose;
};

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "Usage: flexos-cc -c CONFIG (-l LIBRARY | -C COMPARTMENT) [OPTION...] [-- [COMPILER] "
	    "ARGUMENT...]\n"
	    "       flexos-cc --harden=OPTION[,OPTION...] [OPTION...] [-- [COMPILER] ARGUMENT...]\n"
	    "Compile with the hardening flags of the compartment that CONFIG (flexos.yaml)\n"
	    "puts LIBRARY in, so that flexos-link accepts the objects.\n"
	    "\n"
	    "  -c, --config=FILE        the compartment config (see flexos.yaml(5))\n"
	    "  -l, --library=NAME       the library, as named in CONFIG or as one of its inputs\n"
	    "  -C, --compartment=NAME   the compartment itself (for objects no library claims)\n"
	    "      --harden=LIST        these options instead of a config: stack-protector,\n"
	    "                           ubsan, asan, fortify\n"
	    "      --print-flags        print the flags instead of compiling\n"
	    "  -v, --verbose            print the compiler command\n"
	    "  -h, --help               print this help and exit\n"
	    "  -V, --version            print the version and exit\n"
	    "\n"
	    "After --: the compiler and its arguments. When the first argument after -- is\n"
	    "an option or a file to compile, the compiler is $FLEXOS_CC, else $CC, else gcc,\n"
	    "so that CC=\"flexos-cc -c flexos.yaml -l libpng --\" works in a Makefile.\n"
	    "Compiles (-c, -S, -E) get the flags; links run unchanged: flexos-link links.\n");
}

static const char *option_value(int argc, char **argv, int *i, const char *shortname,
				const char *longname)
{
	const char *a = argv[*i];
	size_t n = strlen(longname);

	if (!strncmp(a, longname, n) && a[n] == '=')
		return a + n + 1;
	if (!strcmp(a, longname) || (shortname && !strcmp(a, shortname))) {
		if (*i + 1 >= argc) {
			fprintf(stderr, "flexos-cc: %s needs a value\n", a);
			exit(2);
		}
		return argv[++*i];
	}
	if (shortname && !strncmp(a, shortname, 2) && a[2])
		return a + 2;
	return NULL;
}

/* Returns the index of the first argument after "--" (argc if none). */
static int parse_options(int argc, char **argv, struct options *o)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v;

		if (!strcmp(a, "--"))
			return i + 1;
		if ((v = option_value(argc, argv, &i, "-c", "--config")))
			o->config = v;
		else if ((v = option_value(argc, argv, &i, "-l", "--library")))
			o->library = v;
		else if ((v = option_value(argc, argv, &i, "-C", "--compartment")))
			o->compartment = v;
		else if ((v = option_value(argc, argv, &i, NULL, "--harden")))
			o->harden = v;
		else if (!strcmp(a, "--print-flags"))
			o->print_flags = true;
		else if (!strcmp(a, "-v") || !strcmp(a, "--verbose"))
			o->verbose = true;
		else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			exit(0);
		} else if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
			printf("flexos-cc (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
			exit(0);
		} else {
			fprintf(stderr,
				"flexos-cc: unknown option '%s'; the compiler's arguments go after "
				"--\n",
				a);
			exit(2);
		}
	}
	return argc;
}

/* --harden=asan,ubsan: what a compartment with those options gets. */
static int parse_harden_list(const char *list, unsigned *mask)
{
	char *copy = xstrdup(list), *save = NULL;
	int err = 0;

	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		const struct flh_option *opt = flh_find(tok);
		const char *why = flh_refused(tok);
		if (opt) {
			*mask |= opt->bit;
		} else {
			fprintf(stderr, "flexos-cc: error: hardening '%s' %s\n", tok,
				why ? why
				    : "is unknown (expected stack-protector, ubsan, asan or "
				      "fortify)");
			err = -1;
		}
	}
	free(copy);
	return err;
}

static void list_names(FILE *f, const struct flc_config *cfg, bool libraries)
{
	size_t n = libraries ? cfg->nlibraries : cfg->ncompartments;

	if (!n)
		fputs("none", f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%s", i ? ", " : "",
			libraries ? cfg->libraries[i].name : cfg->compartments[i].name);
}

/* The options of the compartment the options name; -1 after saying why not. */
static int mask_from_config(const struct options *o, unsigned *mask)
{
	struct flc_config cfg;
	size_t c;
	int err = 0;

	/*
	 * The config's warnings once per compile would drown a build's output;
	 * flexos-link gives them at the link. Errors are shown.
	 */
	char *msgs = NULL;
	size_t len = 0;
	FILE *msgf = open_memstream(&msgs, &len);
	int parsed = flc_parse_file(o->config, &cfg, msgf ? msgf : stderr);
	if (msgf) {
		fclose(msgf);
		if (parsed)
			fputs(msgs, stderr);
		free(msgs);
	}
	if (parsed)
		return -1;
	if (o->compartment) {
		c = flc_find_compartment(&cfg, o->compartment);
		if (c == (size_t)-1) {
			fprintf(stderr,
				"flexos-cc: error: %s has no compartment '%s' (it has: ", cfg.path,
				o->compartment);
			list_names(stderr, &cfg, false);
			fputs(")\n", stderr);
			err = -1;
		}
	} else {
		size_t l = flp_library_of(&cfg, o->library);
		if (l == FLP_NONE) {
			fprintf(stderr,
				"flexos-cc: error: %s has no library '%s', and no library's inputs "
				"match it (its libraries: ",
				cfg.path, o->library);
			list_names(stderr, &cfg, true);
			fputs("); name one of them, or add it under 'libraries:'\n", stderr);
			err = -1;
		} else {
			c = cfg.libraries[l].compartment_index;
		}
	}
	if (!err)
		*mask = cfg.compartments[c].harden;
	flc_free(&cfg);
	return err;
}

/*
 * Whether arg, the first after "--", is the compiler rather than one of
 * its arguments: not an option, and not a file to compile.
 */
static bool is_compiler(const char *arg)
{
	static const char *const inputs[] = {".c", ".i", ".s",  ".S",  ".o",
					     ".a", ".h", ".cc", ".cpp"};
	const char *dot = strrchr(arg, '.');
	struct stat st;

	if (arg[0] == '-')
		return false;
	for (size_t k = 0; dot && k < sizeof(inputs) / sizeof(inputs[0]); k++)
		if (!strcmp(dot, inputs[k]))
			return false;
	return stat(arg, &st) || (S_ISREG(st.st_mode) && (st.st_mode & 0111));
}

/* $FLEXOS_CC, else $CC unless it is this wrapper (CC exported by make), else gcc. */
static char *default_compiler(void)
{
	const char *cc = getenv("FLEXOS_CC");

	if (!cc || !*cc) {
		cc = getenv("CC");
		if (!cc || !*cc || strstr(cc, "flexos-cc"))
			cc = "gcc";
	}
	return xstrdup(cc);
}

/* A compile, as opposed to a link, whose hardening is flexos-link's business. */
static bool compiles(char **args, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (!strcmp(args[i], "-c") || !strcmp(args[i], "-S") || !strcmp(args[i], "-E"))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	struct options o = {0};
	int first = parse_options(argc, argv, &o);
	unsigned mask = 0;

	if (!o.harden && (!o.config || (!o.library == !o.compartment))) {
		fprintf(stderr, "flexos-cc: %s\n",
			!o.config ? "-c CONFIG (or --harden=OPTIONS) is required"
				  : "give one of -l LIBRARY and -C COMPARTMENT");
		usage(stderr);
		return 2;
	}
	if (o.harden && (o.config || o.library || o.compartment)) {
		fprintf(stderr,
			"flexos-cc: --harden replaces -c, -l and -C; give one or the other\n");
		return 2;
	}
	if (o.harden ? parse_harden_list(o.harden, &mask) : mask_from_config(&o, &mask))
		return 1;
	if (o.print_flags) {
		if (mask)
			flh_print_cflags(stdout, mask);
		putchar('\n');
		return 0;
	}

	char *cc = NULL;
	size_t nflags = 0;
	for (size_t i = 0; flh_common_cflags[i]; i++)
		nflags++;
	for (size_t i = 0; i < FLH_NOPTIONS; i++)
		for (size_t k = 0; flh_options[i].cflags[k]; k++)
			nflags++;
	char **args = xcalloc((size_t)argc + nflags + 64, sizeof(*args));
	size_t n = 0;

	if (first < argc && is_compiler(argv[first])) {
		args[n++] = argv[first++];
	} else {
		/* "gcc -m64" is a common spelling of CC. */
		cc = default_compiler();
		for (char *tok = strtok(cc, " \t"); tok && n < 32; tok = strtok(NULL, " \t"))
			args[n++] = tok;
	}
	while (first < argc)
		args[n++] = argv[first++];
	/* Last, so that they win over the library's own flags (-O0, -fno-...). */
	if (mask && compiles(args, n)) {
		for (size_t i = 0; flh_common_cflags[i]; i++)
			args[n++] = (char *)flh_common_cflags[i];
		for (size_t i = 0; i < FLH_NOPTIONS; i++)
			if (mask & flh_options[i].bit)
				for (size_t k = 0; flh_options[i].cflags[k]; k++)
					args[n++] = (char *)flh_options[i].cflags[k];
	}
	args[n] = NULL;
	if (o.verbose) {
		for (size_t i = 0; i < n; i++)
			fprintf(stderr, "%s%s", i ? " " : "", args[i]);
		fputc('\n', stderr);
	}
	execvp(args[0], args);
	fprintf(stderr,
		"flexos-cc: cannot run the compiler '%s': %s; give it after --, or set CC\n",
		args[0], strerror(errno));
	return 127;
}
