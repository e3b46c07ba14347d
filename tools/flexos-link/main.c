/*
 * flexos-link: links an image whose compartments flexos.yaml describes.
 *
 *   flexos-link -c flexos.yaml -o IMAGE [cc arguments...]
 *
 * It reads the config, plans which compartment every input belongs to,
 * writes a linker-script fragment and the image descriptor, and runs the
 * system compiler driver with them and the backend archive.
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
#include "inspect.h"
#include "ldscript.h"
#include "map.h"
#include "newlib.h"
#include "plan.h"
#include "symbols.h"
#include "table.h"
#include "util.h"
#include "xref.h"

struct options {
	const char *config;
	const char *output;
	const char *libdir;
	bool print_map;
	bool explain;
	bool save_temps;
	bool verbose;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: flexos-link -c CONFIG -o IMAGE [OPTION...] [CC ARGUMENT...]\n"
		"Link an image split into the compartments that CONFIG (flexos.yaml) describes.\n"
		"\n"
		"  -c, --config=FILE      the compartment config (see flexos.yaml(5))\n"
		"  -o, --output=FILE      the image to write\n"
		"      --print-map        print compartments, inputs and section addresses\n"
		"      --explain          list every call and variable reference that crosses\n"
		"                         compartments, with counts, and how it is resolved\n"
		"      --save-temps       keep the generated IMAGE.flexos.ld and IMAGE.flexos.s,\n"
		"                         and the inputs rewritten to call gates in\n"
		"                         IMAGE.flexos-inputs/\n"
		"      --flexos-libdir=DIR  where libflexos.a and the backend archives are\n"
		"                         (default %s, or $FLEXOS_LIBDIR)\n"
		"  -v, --verbose          print the compiler command\n"
		"  -h, --help             print this help and exit\n"
		"  -V, --version          print the version and exit\n"
		"\n"
		"Every other argument goes to the compiler driver ($CC, default cc): objects,\n"
		"archives, shared libraries, -l, -L and -Wl options. Inputs are assigned to\n"
		"libraries by the 'inputs' patterns of CONFIG; the rest go to the default\n"
		"compartment. The backend archive is chosen by the compartments' mechanism.\n",
		FLEXOS_LIBDIR);
}

/* The value of option `name` at argv[*i], as "--name=V", "--name V" or "-xV". */
static const char *option_value(int argc, char **argv, int *i, const char *shortname,
				const char *longname)
{
	const char *a = argv[*i];
	size_t n = strlen(longname);

	if (!strncmp(a, longname, n) && a[n] == '=')
		return a + n + 1;
	if (!strcmp(a, longname) || (shortname && !strcmp(a, shortname))) {
		if (*i + 1 >= argc) {
			fprintf(stderr, "flexos-link: %s needs a value\n", a);
			exit(2);
		}
		return argv[++*i];
	}
	if (shortname && !strncmp(a, shortname, 2) && a[2])
		return a + 2;
	return NULL;
}

/*
 * Takes flexos-link's own options out of argv wherever they are, so that
 * they can follow the inputs as cc's do, and leaves the rest, in order, for
 * the compiler driver. -c and -o are ours: neither means anything else to
 * a link. Returns the number of arguments left.
 */
static int parse_options(int argc, char **argv, struct options *o)
{
	int left = 0;

	o->libdir = getenv("FLEXOS_LIBDIR") ? getenv("FLEXOS_LIBDIR") : FLEXOS_LIBDIR;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v;

		if ((v = option_value(argc, argv, &i, "-c", "--config")))
			o->config = v;
		else if ((v = option_value(argc, argv, &i, "-o", "--output")))
			o->output = v;
		else if ((v = option_value(argc, argv, &i, NULL, "--flexos-libdir")))
			o->libdir = v;
		else if (!strcmp(a, "--print-map"))
			o->print_map = true;
		else if (!strcmp(a, "--explain"))
			o->explain = true;
		else if (!strcmp(a, "--save-temps"))
			o->save_temps = true;
		else if (!strcmp(a, "-v") || !strcmp(a, "--verbose"))
			o->verbose = true;
		else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			exit(0);
		} else if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
			printf("flexos-link (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
			exit(0);
		} else
			argv[left++] = argv[i];
	}
	return left;
}

static int write_file(const char *path, int (*writer)(FILE *, const struct flp_plan *),
		      const struct flp_plan *plan)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "flexos-link: cannot write %s: %s\n", path, strerror(errno));
		return -1;
	}
	int err = writer(f, plan);
	if (fclose(f) || err) {
		fprintf(stderr, "flexos-link: cannot write %s\n", path);
		return -1;
	}
	return 0;
}

/* Splits $CC on blanks: "gcc -m64" is a common spelling. */
static size_t split_cc(char **out, char *cc)
{
	size_t n = 0;
	for (char *tok = strtok(cc, " \t"); tok; tok = strtok(NULL, " \t"))
		out[n++] = tok;
	return n;
}

static int run_cc(const struct options *o, const struct flp_plan *plan, const char *ldscript,
		  const char *table, int argc, char **argv)
{
	char *cc = xstrdup(getenv("CC") && *getenv("CC") ? getenv("CC") : "cc");
	char **args = xcalloc((size_t)argc + strlen(cc) + 48, sizeof(*args));
	char *script_arg = xasprintf("-Wl,-T,%s", ldscript);
	char *libdir_arg = xasprintf("-L%s", o->libdir);
	char *backend_arg = xasprintf("-l%s", flexos_mechanism_archive(plan->cfg->mechanism));
	char *harden_arg = NULL, *harden_none_arg = NULL;
	size_t n = split_cc(args, cc);
	int status;

	if (flh_runtime_arg(plan, o->libdir, &harden_arg)) {
		status = -1;
		goto out;
	}
	if (plan->cfg->mechanism == FLEXOS_MECH_NONE && (flh_plan_mask(plan) & FLEXOS_HARDEN_ASAN)) {
		harden_none_arg = xasprintf("%s/libflexos-harden-none.a", o->libdir);
		if (access(harden_none_arg, R_OK)) {
			fprintf(stderr,
				"flexos-link: error: %s asks for asan under mechanism none, whose "
				"allocator hooks %s are not there; install them, or point "
				"--flexos-libdir at the directory that holds them\n",
				plan->cfg->path, harden_none_arg);
			status = -1;
			goto out;
		}
	}

	args[n++] = "-o";
	args[n++] = (char *)o->output;
	/* First, so that its references pull the runtime and backend archives. */
	args[n++] = (char *)table;
	for (int i = 0; i < argc; i++) {
		const struct flp_input *in = NULL;
		for (size_t k = 0; k < plan->ninputs && !in; k++)
			if (plan->inputs[k].argi == i &&
			    (plan->inputs[k].link_path || plan->inputs[k].merged))
				in = &plan->inputs[k];
		if (!in) {
			args[n++] = argv[i];
			continue;
		}
		/* The private copy whose calls go through gates, or the partial
		 * link of a newlib compartment, which holds the merged inputs. */
		if (!in->merged)
			args[n++] = in->link_path;
		i += in->nargv - 1;
	}
	args[n++] = script_arg;
	args[n++] = "-Wl,--wrap=main";
	/*
	 * A shared library in a compartment must allocate from that
	 * compartment's heap: it binds to the image's malloc only if the image
	 * links and exports it.
	 */
	if ((flexos_mechanism_props(plan->cfg->mechanism) & FLEXOS_MECH_ISOLATES) &&
	    flp_count_claimed_shlibs(plan)) {
		static char *const exported[] = {
			"-Wl,-u,malloc",
			"-Wl,--export-dynamic-symbol=malloc",
			"-Wl,--export-dynamic-symbol=calloc",
			"-Wl,--export-dynamic-symbol=realloc",
			"-Wl,--export-dynamic-symbol=free",
			"-Wl,--export-dynamic-symbol=posix_memalign",
			"-Wl,--export-dynamic-symbol=aligned_alloc",
			"-Wl,--export-dynamic-symbol=memalign",
			"-Wl,--export-dynamic-symbol=malloc_usable_size",
		};
		for (size_t k = 0; k < sizeof(exported) / sizeof(exported[0]); k++)
			args[n++] = exported[k];
	}
	/*
	 * Under protection keys the GOT is key-0 memory every compartment can
	 * write unless it is read-only: with lazy binding one write to
	 * .got.plt would send the application's next libc call into a
	 * compartment's code, with the application's rights. So everything
	 * is bound at load time and the whole GOT is RELRO (newlib
	 * compartments, which may only read key 0, need that too).
	 */
	if (flexos_mechanism_props(plan->cfg->mechanism) & FLEXOS_MECH_PKEYS) {
		args[n++] = "-Wl,-z,relro";
		args[n++] = "-Wl,-z,now";
		/* The report's unwinder finds unwind tables in read-only state (mpk.c). */
		args[n++] = "-Wl,--wrap=_dl_find_object";
		/* Handlers return through the backend's checked restorer (limit 9). */
		args[n++] = "-Wl,--wrap=sigaction,--wrap=signal,--wrap=bsd_signal,--wrap=sysv_signal,"
			    "--wrap=__sysv_signal";
		/* Every thread's signal stack is the backend's (backends/mpk/signal.c). */
		args[n++] = "-Wl,--wrap=sigaltstack";
		/* A new thread's gate page is its creator's to register (limit 2). */
		args[n++] = "-Wl,--wrap=pthread_create";
		/* No robust-futex lists (backends/mpk/pthread.c). */
		args[n++] = "-Wl,--wrap=pthread_mutexattr_setrobust";
		/* set*id with threads: ended, saying why (setxid.c). */
		args[n++] = "-Wl,--wrap=setuid,--wrap=setgid,--wrap=seteuid,--wrap=setegid,"
			    "--wrap=setreuid,--wrap=setregid,--wrap=setresuid,--wrap=setresgid,"
			    "--wrap=setgroups,--wrap=initgroups";
		/* A child of fork() opens its /proc/self files (backends/mpk/procfiles.c). */
		args[n++] = "-Wl,--wrap=open,--wrap=open64,--wrap=openat,--wrap=openat64,"
			    "--wrap=fopen,--wrap=fopen64";
	}
	/*
	 * A longjmp back across gates must unwind them (backends/common/
	 * jump-wrap.S): setjmps are recorded, longjmps checked.
	 */
	if (flexos_mechanism_props(plan->cfg->mechanism) & FLEXOS_MECH_ISOLATES)
		args[n++] = "-Wl,--wrap=setjmp,--wrap=_setjmp,--wrap=__sigsetjmp,--wrap=longjmp,"
			    "--wrap=_longjmp,--wrap=siglongjmp,--wrap=__longjmp_chk";
	/*
	 * After the instrumented inputs it serves, before the backend and the
	 * runtime it uses. Under none, whose images keep glibc's allocator,
	 * an asan compartment's allocations need the runtime's own hooks, an
	 * archive of their own (it defines malloc).
	 */
	if (harden_none_arg)
		args[n++] = harden_none_arg;
	/* Nothing in the image calls the reporter of newlib compartments' traps. */
	if (harden_arg && flh_newlib_mask(plan))
		args[n++] = "-Wl,-u," FLH_NEWLIB_TRAP;
	/* Its shadow, which an asan newlib compartment's own runtime writes. */
	if (harden_arg && (flh_newlib_mask(plan) & FLEXOS_HARDEN_ASAN))
		args[n++] = "-Wl,-u," FLH_NEWLIB_ASAN_TRAP;
	if (harden_arg)
		args[n++] = harden_arg;
	if (!plan->backend_archive) {
		args[n++] = libdir_arg;
		args[n++] = backend_arg;
	}
	args[n++] = "-lflexos";
	/*
	 * Under protection keys, the report's unwinder in the image
	 * (libgcc_eh, right after the runtime that calls it), so that its
	 * calls go through the image's read-only GOT, not libgcc_s's writable
	 * .got.plt, which a compartment could point at its code, run with
	 * the report's rights (docs/threat-model.md, limit 12). libgcc_s stays
	 * loaded from the start: glibc opens it for pthread_exit and
	 * cancellation, and no code can be mapped after start-up.
	 */
	if (flexos_mechanism_props(plan->cfg->mechanism) & FLEXOS_MECH_PKEYS) {
		args[n++] = "-lgcc_eh";
		args[n++] = "-Wl,--push-state,--no-as-needed,-lgcc_s,--pop-state";
	}
	/* What the backend itself links (the process backend: libseccomp). */
	if (*flexos_mechanism_libs(plan->cfg->mechanism))
		args[n++] = (char *)flexos_mechanism_libs(plan->cfg->mechanism);
	args[n] = NULL;

	if (o->verbose) {
		for (size_t i = 0; i < n; i++)
			fprintf(stderr, "%s%s", i ? " " : "", args[i]);
		fputc('\n', stderr);
	}
	status = run_program(args);
	if (status < 0)
		fprintf(stderr, "flexos-link: cannot run the compiler '%s': %s; set CC\n", args[0],
			strerror(errno));
	else if (status)
		fprintf(stderr, "flexos-link: the link failed (%s); rerun with -v to see the "
				"command\n",
			args[0]);
	status = status ? -1 : 0;
out:
	free(harden_arg);
	free(harden_none_arg);
	free(script_arg);
	free(libdir_arg);
	free(backend_arg);
	free(args);
	free(cc);
	return status;
}

/* The backend archive must exist before we blame the linker for it. */
static int check_backend(const struct options *o, const struct flp_plan *plan)
{
	if (plan->backend_archive)
		return 0;
	const char *lib = flexos_mechanism_archive(plan->cfg->mechanism);
	char *path = xasprintf("%s/lib%s.a", o->libdir, lib);
	int err = access(path, R_OK);
	if (err)
		fprintf(stderr,
			"flexos-link: error: %s uses mechanism '%s', but its backend %s is not "
			"there; install it, or point --flexos-libdir at the directory that "
			"holds it\n",
			plan->cfg->path, flexos_mechanism_name(plan->cfg->mechanism), path);
	free(path);
	return err ? -1 : 0;
}

/*
 * Under intel-mpk, bytes that decode as a PKRU writer can appear by
 * chance in an address the linker wrote (a RIP-relative displacement to
 * data, a call's to another section): another layout changes them. The
 * image is relinked with these many bytes before each compartment's code
 * (plan->text_pad), which changes the low bytes, then the second and the
 * third, of every such displacement, until the scan finds none; bytes
 * that stay (an instruction, a constant) are refused after the last. An
 * image that fails inspection is removed: nobody runs it by mistake.
 */
static const uint32_t text_pads[] = {0, 0x10, 0x1030, 0x10050};

static int link_image(const struct options *o, struct flp_plan *plan, const char *ldscript,
		      const char *table, int nargs, char **argv)
{
	bool pkeys = flexos_mechanism_props(plan->cfg->mechanism) & FLEXOS_MECH_PKEYS;
	size_t layouts = pkeys ? sizeof(text_pads) / sizeof(text_pads[0]) : 1;

	for (size_t i = 0; i < layouts; i++) {
		plan->text_pad = text_pads[i];
		if (write_file(ldscript, flx_write_ldscript, plan) ||
		    run_cc(o, plan, ldscript, table, nargs, argv))
			break; /* (a refused earlier layout is not left behind) */
		int found = pkeys ? flx_find_pkru_writers(plan, o->output, i + 1 == layouts) : 0;
		if (found == 0)
			return 0;
		if (found < 0)
			break;
		if (i + 1 < layouts)
			fprintf(stderr,
				"flexos-link: note: %s: %d byte sequence%s in the code decode%s as "
				"a PKRU writer; relinking with %#x bytes before each compartment's "
				"code, which changes the addresses in it\n",
				o->output, found, found == 1 ? "" : "s", found == 1 ? "s" : "",
				text_pads[i + 1]);
		else if (layouts > 1)
			fprintf(stderr,
				"flexos-link: error: %s: such bytes were found in each of %zu "
				"layouts (up to %#x bytes before each compartment's code): not "
				"only in addresses another layout changes\n",
				o->output, layouts, text_pads[layouts - 1]);
	}
	unlink(o->output);
	return -1;
}

int main(int argc, char **argv)
{
	struct options o = {0};
	struct flc_config cfg;
	struct flp_plan plan;
	char tmpdir[] = "/tmp/flexos-link.XXXXXX";
	char *ldscript, *table, *copies;
	int nargs = parse_options(argc, argv, &o), status = 1;

	if (!o.config || !o.output) {
		fprintf(stderr, "flexos-link: %s is required\n", !o.config ? "-c CONFIG" : "-o IMAGE");
		usage(stderr);
		return 2;
	}
	if (flc_parse_file(o.config, &cfg, stderr))
		return 1;
	int built = flp_build(&plan, &cfg, nargs, argv);
	/* Before --explain, which shows them, and table.c, whose gates carry them. */
	if (!built)
		built = flx_find_protos(&plan);
	/* --explain is the porter's feedback: most useful when the link is refused. */
	if (o.explain && plan.scanned)
		flx_explain(stdout, &plan);
	if (built || check_backend(&o, &plan) || flx_check_gates(&plan) || flh_check_plan(&plan))
		goto out_plan;

	if (o.save_temps) {
		ldscript = xasprintf("%s.flexos.ld", o.output);
		table = xasprintf("%s.flexos.s", o.output);
		copies = xasprintf("%s.flexos-inputs", o.output);
		if (mkdir(copies, 0777) && errno != EEXIST) {
			fprintf(stderr, "flexos-link: cannot create %s: %s\n", copies,
				strerror(errno));
			free(ldscript);
			free(table);
			goto out_plan;
		}
	} else {
		if (!mkdtemp(tmpdir)) {
			fprintf(stderr, "flexos-link: cannot create a directory in /tmp: %s\n",
				strerror(errno));
			goto out_plan;
		}
		ldscript = xasprintf("%s/flexos.ld", tmpdir);
		table = xasprintf("%s/flexos-image.s", tmpdir);
		copies = xstrdup(tmpdir);
	}
	if (!flx_make_copies(&plan, copies) && !flx_link_newlib(&plan, copies, o.libdir) &&
	    !write_file(table, flx_write_table, &plan) &&
	    !link_image(&o, &plan, ldscript, table, nargs, argv) &&
	    !flx_add_symbols(o.output, copies))
		status = o.print_map && flx_print_map(stdout, &plan, o.output) ? 1 : 0;
	if (!o.save_temps) {
		unlink(ldscript);
		unlink(table);
		flx_remove_copies(&plan);
		rmdir(tmpdir);
	} else {
		rmdir(copies); /* Only if no input needed a copy. */
	}
	free(ldscript);
	free(table);
	free(copies);
out_plan:
	flp_free(&plan);
	flc_free(&cfg);
	return status;
}
