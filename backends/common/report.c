/*
 * The async-signal-safe writer both isolating backends build their fault
 * reports with: fault handlers run on a broken heap, in a dying process,
 * or with only key 0 accessible, so nothing here allocates, locks or
 * touches stdio.
 */
#include "autoconfig.h"

#include <string.h>
#include <unistd.h>

#include "common.h"

void flexos__out_str(struct flexos__out *o, const char *s)
{
	while (*s && o->n < sizeof(o->buf))
		o->buf[o->n++] = *s++;
}

void flexos__out_num(struct flexos__out *o, uint64_t v, unsigned base)
{
	char tmp[24];
	int i = 0;

	if (base == 16)
		flexos__out_str(o, "0x");
	do {
		tmp[i++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (i > 0 && o->n < sizeof(o->buf))
		o->buf[o->n++] = tmp[--i];
}

void flexos__out_int(struct flexos__out *o, int64_t v)
{
	if (v < 0) {
		flexos__out_str(o, "-");
		flexos__out_num(o, (uint64_t)0 - (uint64_t)v, 10);
	} else {
		flexos__out_num(o, (uint64_t)v, 10);
	}
}

void flexos__out_comp(struct flexos__out *o, int id)
{
	flexos__out_str(o, "compartment '");
	flexos__out_str(o, flexos__comp_name(id));
	flexos__out_str(o, "'");
}

void flexos__out_owner(struct flexos__out *o, uintptr_t addr)
{
	const char *what = NULL;
	int owner = flexos__owner(addr, &what);

	if (owner < 0) {
		if (flexos__lend_describe(o, "", addr))
			return;
		flexos__out_str(o, what);
		return;
	}
	flexos__out_str(o, "the ");
	flexos__out_str(o, what);
	flexos__out_str(o, " of ");
	flexos__out_comp(o, owner);
}

void flexos__out_signal(struct flexos__out *o, int sig)
{
	/* glibc's table of descriptions: static strings, no locale, no allocation. */
	const char *d = sigdescr_np(sig);

	if (d) {
		flexos__out_str(o, d);
	} else {
		flexos__out_str(o, "signal ");
		flexos__out_int(o, sig);
	}
}

void flexos__out_flush(struct flexos__out *o)
{
	flexos__report_write(o->buf, o->n);
	o->n = 0;
}
