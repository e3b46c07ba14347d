/*
 * Hardening per compartment, the compile and link side (docs/hardening.md):
 * the options, their flags, and how the runtime is linked.
 *
 * Hardening is compile-time instrumentation, so flexos-link cannot apply
 * it: it can only check that what it is given was compiled the way the
 * config asks (harden-check.c). The flags of each option are listed once,
 * here; flexos-cc and the flexos-harden-<option>.pc files print them from
 * this table.
 *
 * fortify: GCC records no preprocessor option, so _FORTIFY_SOURCE leaves
 * no switch; the fortify flags also define an absolute symbol through the
 * assembler (FLH_FORTIFY_MARKER), which stays in the object's symbol table.
 */
#include "autoconfig.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "harden.h"
#include "plan.h"
#include "util.h"

#define STR_(x) #x
#define STR(x)  STR_(x)

static const char *const stack_protector_flags[] = {"-fstack-protector-all", NULL};
static const char *const ubsan_flags[] = {
    "-fsanitize=undefined",
    "-fno-sanitize-recover=undefined",
    "-fno-sanitize=vptr",
    NULL,
};
/*
 * Kernel ASan: the checks are calls (call threshold 0) to the
 * compartment-aware runtime, not userspace ASan's, whose runtime replaces
 * malloc for the whole process.
 */
static const char *const asan_flags[] = {
    "-fsanitize=kernel-address",
    "--param=asan-instrumentation-with-call-threshold=0",
    "--param=asan-stack=1",
    "--param=asan-globals=1",
    "-fasan-shadow-offset=" STR(FLEXOS_ASAN_SHADOW_OFFSET),
    NULL,
};
/*
 * glibc's checks are only compiled in with optimisation: -O2 comes with
 * them. -U first, so that a build's own -D_FORTIFY_SOURCE=3 is not a
 * redefinition (an error under -Werror).
 */
static const char *const fortify_flags[] = {
    "-U_FORTIFY_SOURCE",
    "-D_FORTIFY_SOURCE=2",
    "-O2",
    "-Wa,--defsym," FLH_FORTIFY_MARKER "=2",
    NULL,
};

const struct flh_option flh_options[FLH_NOPTIONS] = {
    {"stack-protector", FLEXOS_HARDEN_STACK_PROTECTOR, stack_protector_flags,
     "-fstack-protector-all", "__stack_chk_fail", false},
    {"ubsan", FLEXOS_HARDEN_UBSAN, ubsan_flags, "-fsanitize=undefined", "__ubsan_handle_*", true},
    {"asan", FLEXOS_HARDEN_ASAN, asan_flags, "-fsanitize=kernel-address", "__asan_*", true},
    {"fortify", FLEXOS_HARDEN_FORTIFY, fortify_flags, "-D_FORTIFY_SOURCE=2", "__*_chk", false},
};

const char *const flh_config_names[] = {
    "stack-protector", "ubsan", "asan", "fortify", "cfi", "safestack", NULL,
};

const char *const flh_common_cflags[] = {"-frecord-gcc-switches", NULL};

const struct flh_option *flh_find(const char *name)
{
	for (size_t i = 0; i < FLH_NOPTIONS; i++)
		if (!strcmp(flh_options[i].name, name))
			return &flh_options[i];
	return NULL;
}

const char *flh_refused(const char *name)
{
	if (!strcmp(name, "cfi") || !strcmp(name, "safestack"))
		return "needs clang; this version builds with gcc only";
	return NULL;
}

void flh_print_cflags(FILE *f, unsigned mask)
{
	const char *sep = "";

	for (size_t k = 0; flh_common_cflags[k]; k++, sep = " ")
		fprintf(f, "%s%s", sep, flh_common_cflags[k]);
	for (size_t i = 0; i < FLH_NOPTIONS; i++)
		if (mask & flh_options[i].bit)
			for (size_t k = 0; flh_options[i].cflags[k]; k++)
				fprintf(f, " %s", flh_options[i].cflags[k]);
}

unsigned flh_plan_mask(const struct flp_plan *plan)
{
	unsigned mask = 0;

	for (size_t c = 0; c < plan->cfg->ncompartments; c++)
		mask |= plan->cfg->compartments[c].harden;
	return mask;
}

unsigned flh_newlib_mask(const struct flp_plan *plan)
{
	unsigned mask = 0;

	for (size_t c = 0; c < plan->cfg->ncompartments; c++)
		if (plan->cfg->compartments[c].libc == FLC_LIBC_NEWLIB)
			mask |= plan->cfg->compartments[c].harden;
	return mask;
}

int flh_runtime_arg(const struct flp_plan *plan, const char *libdir, char **arg)
{
	unsigned mask = flh_plan_mask(plan), needed = 0;
	char *path;

	*arg = NULL;
	if (!mask)
		return 0;
	for (size_t i = 0; i < FLH_NOPTIONS; i++)
		if ((mask & flh_options[i].bit) && flh_options[i].needs_runtime)
			needed |= flh_options[i].bit;
	needed |= flh_newlib_mask(plan);
	path = xasprintf("%s/libflexos-harden.a", libdir);
	if (!access(path, R_OK)) {
		*arg = path;
		return 0;
	}
	if (!needed) {
		/* glibc's __stack_chk_fail and __chk_fail report, without the compartment. */
		free(path);
		return 0;
	}
	for (size_t i = 0; i < FLH_NOPTIONS; i++)
		if (needed & flh_options[i].bit) {
			fprintf(
			    stderr,
			    "flexos-link: error: %s asks for %s, whose runtime %s is not there; "
			    "install it, or point --flexos-libdir at the directory that holds "
			    "it\n",
			    plan->cfg->path, flh_options[i].name, path);
			break;
		}
	free(path);
	return -1;
}
