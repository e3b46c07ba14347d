/* What an exploration prints: the table, the summary line and the poset in dot. */
#include "autoconfig.h"

#include "explore.h"

#include <string.h>

static const char *mech_column(const struct fxe_config *c, char *buf, size_t size)
{
	if (c->ncomps == 1)
		return "(baseline)";
	snprintf(buf, size, "%s%s", fxe_mech_name(c->mech),
		 c->mech == FLEXOS_MECH_MPK
		     ? (c->stack == FXE_STACK_SHARED ? "/shared" : "/private")
		     : "");
	return buf;
}

/* A figure for a node: 449k rather than 4.494e+05. */
static void short_figure(double v, char *buf, size_t size)
{
	double a = v < 0 ? -v : v;

	if (a >= 1e7)
		snprintf(buf, size, "%.1fM", v / 1e6);
	else if (a >= 1e4)
		snprintf(buf, size, "%.0fk", v / 1e3);
	else
		snprintf(buf, size, "%.4g", v);
}

static const char *status_column(const struct fxe_result *r)
{
	if (r->candidate)
		return "* candidate";
	switch (r->status) {
	case FXE_MEETS:
		return "meets";
	case FXE_FAILS:
		return "over budget";
	case FXE_PRUNED:
		return "pruned";
	case FXE_BROKEN:
		return "broken";
	default:
		return "not measured";
	}
}

void fxe_print_table(const struct fxe_space *sp, FILE *out)
{
	const struct fxe_spec *s = sp->spec;
	size_t width = strlen("configuration"), broken = 0, pruned = 0;

	for (size_t i = 0; i < sp->n; i++)
		if (strlen(sp->configs[i].label) > width)
			width = strlen(sp->configs[i].label);
	fprintf(out, "%-16s %-*s %5s %-17s %-9s %12s %7s %7s  %s\n", "id", (int)width,
		"configuration", "comps", "mechanism", "hardening", "median", "spread", "ratio",
		"");
	for (size_t i = 0; i < sp->n; i++) {
		const struct fxe_config *c = &sp->configs[i];
		const struct fxe_result *r = &sp->results[i];
		char mech[32], median[32] = "-", spread[32] = "-", ratio[32] = "-";

		if (r->status == FXE_MEETS || r->status == FXE_FAILS) {
			snprintf(median, sizeof(median), "%.6g", r->median);
			if (r->median != 0)
				snprintf(spread, sizeof(spread), "%.1f%%",
					 100 * (r->max - r->min) / r->median);
			if (sp->baseline != 0)
				snprintf(ratio, sizeof(ratio), "%.3f", r->median / sp->baseline);
		}
		broken += r->status == FXE_BROKEN;
		pruned += r->status == FXE_PRUNED;
		fprintf(out, "%-16s %-*s %5u %-17s %-9s %12s %7s %7s  %s%s%s\n", c->id, (int)width,
			c->label, c->ncomps, mech_column(c, mech, sizeof(mech)),
			c->hardening ? "yes" : "-", median, spread, ratio, status_column(r),
			r->why ? ": " : "", r->why ? r->why : "");
	}
	if (sp->budget > 0)
		fprintf(out, "budget: %s %.6g%s\n",
			s->better == FXE_HIGHER ? ">=" : "<=", sp->budget,
			s->budget_ratio ? " (a ratio to the one-compartment baseline)" : "");
	else
		fputs("budget: none (every measured configuration meets it)\n", out);
	fprintf(out, "%zu configurations, %zu measured, %zu candidates", sp->n, sp->measured,
		sp->candidates);
	if (pruned || broken || sp->skipped_limit) {
		const char *sep = " (";

		if (pruned) {
			fprintf(out, "%s%zu pruned", sep, pruned);
			sep = ", ";
		}
		if (broken) {
			fprintf(out, "%s%zu broken", sep, broken);
			sep = ", ";
		}
		if (sp->skipped_limit)
			fprintf(out, "%s%zu skipped over a mechanism's compartment limit", sep,
				sp->skipped_limit);
		fputc(')', out);
	}
	fputc('\n', out);
}

static void dot_escape(const char *s, FILE *out)
{
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', out);
		fputc(*s, out);
	}
}

/*
 * Measured nodes go from red (the slowest measured) to green (the
 * fastest), so the price of each step up is visible along an edge.
 */
void fxe_write_dot(const struct fxe_space *sp, FILE *out)
{
	double lo = 0, hi = 0;
	bool any = false;

	for (size_t i = 0; i < sp->n; i++) {
		const struct fxe_result *r = &sp->results[i];

		if (r->status != FXE_MEETS && r->status != FXE_FAILS)
			continue;
		if (!any || r->median < lo)
			lo = r->median;
		if (!any || r->median > hi)
			hi = r->median;
		any = true;
	}
	fputs("digraph explore {\n\trankdir=BT;\n\tnode [shape=box, style=\"rounded,filled\", "
	      "fontname=\"Helvetica\"];\n",
	      out);
	fprintf(out,
		"\tlabel=\"%zu configurations, %zu measured, %zu candidates (double "
		"border)\";\n\tlabelloc=t;\n",
		sp->n, sp->measured, sp->candidates);
	for (size_t i = 0; i < sp->n; i++) {
		const struct fxe_config *c = &sp->configs[i];
		const struct fxe_result *r = &sp->results[i];
		char mech[32];

		fprintf(out, "\tc%zu [label=\"", i);
		dot_escape(c->label, out);
		fprintf(out, "\\n%s", mech_column(c, mech, sizeof(mech)));
		if (r->status == FXE_MEETS || r->status == FXE_FAILS) {
			double good = hi > lo ? (r->median - lo) / (hi - lo) : 1;
			char fig[32];

			if (sp->spec->better == FXE_LOWER)
				good = 1 - good;
			short_figure(r->median, fig, sizeof(fig));
			fprintf(out, "\\n%s", fig);
			if (sp->baseline != 0)
				fprintf(out, " (%.2fx)", r->median / sp->baseline);
			fprintf(out, "\", fillcolor=\"%.3f 0.45 1.0\"", 0.33 * good);
		} else {
			fprintf(out,
				"\\n%s\", fillcolor=\"#e0e0e0\", style=\"rounded,filled,dashed\"",
				status_column(r));
		}
		if (r->candidate)
			fputs(", peripheries=2, penwidth=2.5", out);
		fputs("];\n", out);
	}
	for (size_t a = 0; a < sp->n; a++)
		for (size_t b = a + 1; b < sp->n; b++)
			if (sp->cover[a * sp->n + b])
				fprintf(out, "\tc%zu -> c%zu;\n", a, b);
	fputs("}\n", out);
}
