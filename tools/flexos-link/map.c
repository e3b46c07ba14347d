/*
 * --print-map: the layout as the linker made it, not as we asked for it.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elf.h"
#include "ldscript.h"
#include "map.h"
#include "util.h"

struct placed {
	char *name;
	uint64_t addr, size;
};

struct placed_list {
	struct placed *v;
	size_t n;
};

static int collect(void *ctx, const struct fle_section *s)
{
	struct placed_list *l = ctx;
	if (strncmp(s->name, FLEXOS_COMP_SECTION_PREFIX, strlen(FLEXOS_COMP_SECTION_PREFIX)))
		return 0;
	l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	l->v[l->n++] = (struct placed){xstrdup(s->name), s->addr, s->size};
	return 0;
}

static const struct placed *lookup(const struct placed_list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].name, name))
			return &l->v[i];
	return NULL;
}

static void print_row(FILE *f, const char *label, const struct placed *p)
{
	if (p)
		fprintf(f, "    %-8s %#12llx %#12llx %10llu\n", label,
			(unsigned long long)p->addr, (unsigned long long)(p->addr + p->size),
			(unsigned long long)p->size);
	else
		fprintf(f, "    %-8s %12s %12s %10s\n", label, "-", "-", "absent");
}

static const char *kind_name(enum flp_kind k)
{
	static const char *const names[] = {"object", "archive", "shared library",
					    "flexos runtime", "searched by the linker"};
	return names[k];
}

/* Every pair of compartment sections must be page-aligned and apart. */
static int check_layout(const struct placed_list *l)
{
	long page = sysconf(_SC_PAGESIZE);
	int err = 0;

	for (size_t i = 0; i < l->n; i++) {
		const struct placed *a = &l->v[i];
		if (!a->size)
			continue;
		if (a->addr % (uint64_t)page || a->size % (uint64_t)page) {
			fprintf(stderr, "flexos-link: error: section %s (%#llx, %llu bytes) is "
					"not page-aligned\n",
				a->name, (unsigned long long)a->addr, (unsigned long long)a->size);
			err = -1;
		}
		for (size_t j = i + 1; j < l->n; j++) {
			const struct placed *b = &l->v[j];
			if (b->size && a->addr < b->addr + b->size && b->addr < a->addr + a->size) {
				fprintf(stderr, "flexos-link: error: sections %s and %s overlap\n",
					a->name, b->name);
				err = -1;
			}
		}
	}
	return err;
}

int flx_print_map(FILE *f, const struct flp_plan *plan, const char *image)
{
	const struct flc_config *cfg = plan->cfg;
	struct placed_list l = {0};
	int err = fle_sections(image, collect, &l);

	if (!err)
		err = check_layout(&l);
	fprintf(f, "%s: %zu compartment%s, mechanism %s, config %s\n", image, cfg->ncompartments,
		cfg->ncompartments == 1 ? "" : "s", flexos_mechanism_name(cfg->mechanism),
		cfg->path);
	for (size_t c = 0; c < cfg->ncompartments && !err; c++) {
		const char *name = cfg->compartments[c].name;
		fprintf(f, "  compartment %zu '%s'%s\n", c, name,
			c == cfg->default_index ? " (default)" : "");
		for (size_t i = 0; i < plan->ninputs; i++) {
			const struct flp_input *in = &plan->inputs[i];
			if (in->compartment != c)
				continue;
			fprintf(f, "    input    %s (%s%s%s)\n", in->arg, kind_name(in->kind),
				in->library == FLP_NONE ? "" : ", library ",
				in->library == FLP_NONE ? "" : cfg->libraries[in->library].name);
		}
		fprintf(f, "    %-8s %12s %12s %10s\n", "section", "start", "end", "bytes");
		for (uint32_t k = 0; k < FLEXOS_REGION_COUNT; k++) {
			const char *kind = flexos_region_kind(k)->name;
			char *sec = xasprintf(FLEXOS_COMP_SECTION_FMT, name, kind);
			print_row(f, kind, lookup(&l, sec));
			free(sec);
		}
	}
	if (!err) {
		fprintf(f, "  shared\n");
		print_row(f, "data", lookup(&l, FLEXOS_SHARED_SECTION));
		size_t direct = 0;
		for (size_t g = 0; g < plan->ngates; g++)
			direct += plan->gates[g].direct;
		fprintf(f, "  gates: %zu direct, %zu through the backend\n", direct,
			plan->ngates - direct);
	}
	for (size_t i = 0; i < l.n; i++)
		free(l.v[i].name);
	free(l.v);
	return err;
}
