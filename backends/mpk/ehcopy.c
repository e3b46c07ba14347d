/*
 * Copies of unwind tables (.eh_frame_hdr and .eh_frame) at another
 * address, for the fault report's unwinder (unwind.c, limit 12 in
 * docs/threat-model.md). A copy keeps the table's layout and moves its
 * pc-relative pointers by the copy's distance; a table too far from its
 * copy for them (32 bits) is written flat instead. Only what GNU ld and
 * the kernel's vDSO write is read; anything else is refused, never
 * copied half-understood. Nothing here depends on the backend: the
 * tests run it on the host's libraries (tests/check_ehcopy.c) and fuzz
 * it (tests/fuzz/fuzz-ehcopy.c).
 */
#include "autoconfig.h"

#include <errno.h>
#include <link.h>
#include <stdint.h>
#include <string.h>

#include "ehcopy.h"

/* DWARF's pointer encodings (the LSB's "DWARF Extensions"). */
#define PE_OMIT    0xff
#define PE_ABSPTR  0x00
#define PE_ULEB128 0x01
#define PE_UDATA2  0x02
#define PE_UDATA4  0x03
#define PE_UDATA8  0x04
#define PE_SLEB128 0x09
#define PE_SDATA2  0x0a
#define PE_SDATA4  0x0b
#define PE_SDATA8  0x0c
#define PE_PCREL   0x10
#define PE_DATAREL 0x30
#define PE_APPL    0x70 /* what the value is relative to */
#define PE_FORMAT  0x0f
/* The only search table the unwinder binary-searches (libgcc: find_fde_tail). */
#define PE_TABLE (PE_DATAREL | PE_SDATA4)

#define CFA_SET_LOC 0x01

/* A cursor over [p, end): a read past end sets bad and reads nothing. */
struct cursor {
	unsigned char *p, *end;
	int bad;
};

static unsigned char *take(struct cursor *c, size_t n)
{
	unsigned char *p = c->p;

	if (c->bad || c->p > c->end || (size_t)(c->end - c->p) < n) {
		c->bad = 1;
		return NULL;
	}
	c->p += n;
	return p;
}

static uint64_t uleb(struct cursor *c)
{
	uint64_t v = 0;
	unsigned char *b;

	for (unsigned shift = 0; (b = take(c, 1)); shift += 7) {
		if (shift < 64)
			v |= (uint64_t)(*b & 0x7f) << shift;
		if (!(*b & 0x80))
			break;
	}
	return v;
}

static uint32_t u32(struct cursor *c)
{
	unsigned char *b = take(c, 4);
	uint32_t v = 0;

	if (b)
		memcpy(&v, b, 4);
	return v;
}

static uint8_t u8(struct cursor *c)
{
	unsigned char *b = take(c, 1);
	return b ? *b : 0;
}

/* The size of a fixed-size pointer format; 0 for the LEB128 ones, -1 for none. */
static int format_size(uint8_t enc)
{
	switch (enc & PE_FORMAT) {
	case PE_ABSPTR:
	case PE_UDATA8:
	case PE_SDATA8:
		return 8;
	case PE_UDATA4:
	case PE_SDATA4:
		return 4;
	case PE_UDATA2:
	case PE_SDATA2:
		return 2;
	case PE_ULEB128:
	case PE_SLEB128:
		return 0;
	default:
		return -1;
	}
}

/* Reads a fixed-size value of format enc at p (sign-extended where signed). */
static int64_t value_at(const unsigned char *p, uint8_t enc)
{
	uint64_t u = 0;
	int n = format_size(enc);

	if (n > 0)
		memcpy(&u, p, (size_t)n);
	switch (enc & PE_FORMAT) {
	case PE_SDATA2:
		return (int16_t)u;
	case PE_SDATA4:
		return (int32_t)u;
	default:
		return (int64_t)u;
	}
}

/* Writes v at p in format enc, or returns -ERANGE if it does not fit. */
static int put_value(unsigned char *p, uint8_t enc, int64_t v)
{
	int n = format_size(enc);
	int fits;

	if (n <= 0)
		return -EINVAL;

	switch (enc & PE_FORMAT) {
	case PE_SDATA2:
		fits = v >= INT16_MIN && v <= INT16_MAX;
		break;
	case PE_UDATA2:
		fits = v >= 0 && v <= UINT16_MAX;
		break;
	case PE_SDATA4:
		fits = v >= INT32_MIN && v <= INT32_MAX;
		break;
	case PE_UDATA4:
		fits = v >= 0 && v <= UINT32_MAX;
		break;
	default:
		fits = 1;
	}
	if (!fits)
		return -ERANGE;
	memcpy(p, &v, (size_t)n); /* little-endian: the low n bytes */
	return 0;
}

/*
 * Takes a pointer encoded enc at c. With moved (the copy lies moved bytes
 * above the table it was copied from), a pc-relative one is rewritten to
 * reach the same place from the copy. Returns 0, -ERANGE (the copy is too
 * far from its library), or -EINVAL for an encoding the unwinder would
 * not read here either.
 */
static int take_pointer(struct cursor *c, uint8_t enc, intptr_t moved)
{
	if (enc == PE_OMIT)
		return 0;
	int size = format_size(enc);
	uint8_t appl = enc & PE_APPL;

	if (size < 0 || (appl != PE_ABSPTR && appl != PE_PCREL) || (size == 0 && appl == PE_PCREL))
		return -EINVAL;
	if (size == 0) {
		uleb(c); /* an LEB128 value: the same bytes whatever the sign */
		return c->bad ? -EINVAL : 0;
	}
	unsigned char *p = take(c, (size_t)size);
	if (!p)
		return -EINVAL;
	if (moved && appl == PE_PCREL)
		return put_value(p, enc, value_at(p, enc) - moved);
	return 0;
}

/*
 * Call frame instructions from c to its end: the one that holds an
 * address (DW_CFA_set_loc, encoded as the FDE's pc_begin) is moved as
 * pc_begin is, and counted in *set_locs. Returns 0 or -EINVAL (an
 * instruction the unwinder does not know either).
 */
static int take_instructions(struct cursor *c, uint8_t fde_enc, intptr_t moved, int *set_locs)
{
	while (!c->bad && c->p < c->end) {
		uint8_t op = u8(c);
		int err = 0;

		if (op & 0xc0) { /* advance_loc, offset (one operand), restore */
			if ((op & 0xc0) == 0x80)
				uleb(c);
			continue;
		}
		switch (op) {
		case 0x00: /* nop */
		case 0x0a: /* remember_state */
		case 0x0b: /* restore_state */
		case 0x2d: /* GNU_window_save */
			break;
		case CFA_SET_LOC:
			err = take_pointer(c, fde_enc, moved);
			++*set_locs;
			break;
		case 0x02: /* advance_loc1 */
			take(c, 1);
			break;
		case 0x03: /* advance_loc2 */
			take(c, 2);
			break;
		case 0x04: /* advance_loc4 */
			take(c, 4);
			break;
		case 0x1d: /* MIPS_advance_loc8 */
			take(c, 8);
			break;
		case 0x06: /* restore_extended */
		case 0x07: /* undefined */
		case 0x08: /* same_value */
		case 0x0d: /* def_cfa_register */
		case 0x0e: /* def_cfa_offset */
		case 0x13: /* def_cfa_offset_sf */
		case 0x2e: /* GNU_args_size */
			uleb(c);
			break;
		case 0x05: /* offset_extended */
		case 0x09: /* register */
		case 0x0c: /* def_cfa */
		case 0x11: /* offset_extended_sf */
		case 0x12: /* def_cfa_sf */
		case 0x14: /* val_offset */
		case 0x15: /* val_offset_sf */
		case 0x2f: /* GNU_negative_offset_extended */
			uleb(c);
			uleb(c);
			break;
		case 0x0f: /* def_cfa_expression */
			take(c, uleb(c));
			break;
		case 0x10: /* expression */
		case 0x16: /* val_expression */
			uleb(c);
			take(c, uleb(c));
			break;
		default:
			return -EINVAL;
		}
		if (err)
			return err;
	}
	return c->bad ? -EINVAL : 0;
}

/* A CIE's encodings, for its FDEs. */
struct cie {
	uint8_t fde_enc, lsda_enc;
	int augmented;             /* "z": its FDEs have augmentation data */
	int personality;           /* "P" */
	int set_locs;              /* DW_CFA_set_loc in its instructions */
	unsigned char *fde_enc_at; /* where fde_enc is ("R"), or NULL */
};

/* One record of .eh_frame at p, before end: its body (after the length) and its end. */
static int record(unsigned char *p, unsigned char *end, struct cursor *body)
{
	struct cursor c = {p, end, 0};
	uint32_t len = u32(&c);

	/* 0: the end of the section; 64-bit records the unwinder does not read either. */
	if (c.bad || len == 0 || len == UINT32_MAX || (size_t)(end - c.p) < len)
		return -EINVAL;
	*body = (struct cursor){c.p, c.p + len, 0};
	return 0;
}

/*
 * Parses the CIE whose body is c (after its id) into *out; with moved,
 * moves its personality pointer and its instructions' addresses.
 */
static int parse_cie(struct cursor c, struct cie *out, intptr_t moved)
{
	uint8_t version = u8(&c);
	const char *aug = (const char *)c.p;
	size_t auglen = strnlen(aug, (size_t)(c.end - c.p));
	int err = 0;

	*out = (struct cie){PE_ABSPTR, PE_OMIT, 0, 0, 0, NULL};
	if ((version != 1 && version != 3) || !take(&c, auglen + 1))
		return -EINVAL;
	if (strstr(aug, "eh"))
		take(&c, 8);
	uleb(&c); /* code alignment */
	uleb(&c); /* data alignment (an SLEB128: the same bytes) */
	if (version == 1)
		u8(&c);
	else
		uleb(&c);
	if (aug[0] == 'z') {
		uint64_t n = uleb(&c);
		unsigned char *d = take(&c, n);
		struct cursor data = {d, d ? d + n : NULL, !d};
		out->augmented = 1;
		for (size_t i = 1; i < auglen && !err; i++) {
			if (aug[i] == 'R') {
				out->fde_enc_at = data.p;
				out->fde_enc = u8(&data);
			} else if (aug[i] == 'L') {
				out->lsda_enc = u8(&data);
			} else if (aug[i] == 'P') {
				out->personality = 1;
				err = take_pointer(&data, u8(&data), moved);
			} else if (aug[i] != 'S' && aug[i] != 'B' && aug[i] != 'G')
				break; /* the unwinder stops reading here too */
		}
		if (data.bad)
			return -EINVAL;
	}
	if (!err)
		err = take_instructions(&c, out->fde_enc, moved, &out->set_locs);
	return err ? err : c.bad ? -EINVAL : 0;
}

/*
 * The record at p, before end, which lies at or after eh (the start of
 * .eh_frame): its end in *rec_end, and for an FDE its CIE's start in
 * *cie (else 0). With moved, moves its pointers.
 */
static int walk_record(unsigned char *p, unsigned char *eh, unsigned char *end,
		       unsigned char **rec_end, unsigned char **cie_at, intptr_t moved)
{
	struct cursor c;
	struct cie cie;
	int err = record(p, end, &c);

	if (err)
		return err;
	*rec_end = c.end;
	unsigned char *id_at = c.p;
	uint32_t id = u32(&c);
	if (!id) {
		*cie_at = NULL;
		return parse_cie(c, &cie, moved);
	}
	if (c.bad || id > (uintptr_t)(id_at - eh))
		return -EINVAL;
	*cie_at = id_at - id;
	struct cursor cc;
	if (record(*cie_at, end, &cc) || u32(&cc) != 0 || (err = parse_cie(cc, &cie, 0)))
		return err ? err : -EINVAL;
	if ((err = take_pointer(&c, cie.fde_enc, moved))) /* pc_begin */
		return err;
	if ((err = take_pointer(&c, cie.fde_enc & PE_FORMAT, 0))) /* pc_range */
		return err;
	if (cie.augmented) {
		uint64_t n = uleb(&c);
		struct cursor data = {c.p, c.p, 0};
		if (!take(&c, n))
			return -EINVAL;
		data.end = c.p;
		if ((err = take_pointer(&data, cie.lsda_enc, moved)))
			return err;
	}
	int set_locs = 0;
	return moved ? take_instructions(&c, cie.fde_enc, moved, &set_locs) : 0;
}

/*
 * Reads a library's header and finds what to copy: the header, and the
 * records of .eh_frame from its start to the end of the last one the
 * search table names (with the CIEs they use), or without a search table
 * to the end of the section.
 */
static int measure(struct flexos__eh_table *t)
{
	struct cursor c = {t->hdr, t->seg_end, 0};
	uint8_t version = u8(&c), count_enc, table_enc;
	int64_t v;
	int err;

	t->eh_enc = u8(&c);
	count_enc = u8(&c);
	table_enc = u8(&c);
	int size = format_size(t->eh_enc);
	if (c.bad || version != 1 || size <= 0 ||
	    ((t->eh_enc & PE_APPL) != PE_PCREL && (t->eh_enc & PE_APPL) != PE_ABSPTR))
		return -EINVAL;
	unsigned char *field = take(&c, (size_t)size);
	if (!field)
		return -EINVAL;
	v = value_at(field, t->eh_enc);
	uintptr_t eh = (uintptr_t)v + ((t->eh_enc & PE_APPL) == PE_PCREL ? (uintptr_t)field : 0);
	if (eh < (uintptr_t)t->seg_lo || eh >= (uintptr_t)t->seg_end)
		return -EINVAL;
	t->eh = (unsigned char *)eh;
	t->count = 0;
	if (count_enc != PE_OMIT && table_enc != PE_OMIT) {
		if (table_enc != PE_TABLE || (count_enc & PE_APPL) != PE_ABSPTR ||
		    format_size(count_enc) <= 0)
			return -EINVAL;
		unsigned char *n = take(&c, (size_t)format_size(count_enc));
		if (!n || value_at(n, count_enc) < 0 || value_at(n, count_enc) > UINT32_MAX / 8)
			return -EINVAL;
		t->count = (uint32_t)value_at(n, count_enc);
		t->entries = (size_t)(c.p - t->hdr);
		if (!take(&c, (size_t)t->count * 8))
			return -EINVAL;
	}
	unsigned char *hdr_end = c.p, *end = t->eh;
	if (t->count) {
		for (uint32_t i = 0; i < t->count; i++) {
			int32_t off;
			unsigned char *rec_end, *cie, *cie_end, *unused;
			memcpy(&off, t->hdr + t->entries + (size_t)i * 8 + 4, 4);
			/* An FDE of .eh_frame, never the header's own bytes. */
			if (off < t->eh - t->hdr || off >= t->seg_end - t->hdr ||
			    (off >= 0 && off < hdr_end - t->hdr))
				return -EINVAL;
			if ((err = walk_record(t->hdr + off, t->eh, t->seg_end, &rec_end, &cie, 0)))
				return err;
			if (!cie ||
			    (err = walk_record(cie, t->eh, t->seg_end, &cie_end, &unused, 0)))
				return err ? err : -EINVAL;
			if (rec_end > end)
				end = rec_end;
		}
	} else {
		/* The unwinder searches every record up to the terminating 0. */
		for (;;) {
			struct cursor z = {end, t->seg_end, 0};
			if (!u32(&z) && !z.bad) {
				end = z.p;
				break;
			}
			unsigned char *cie;
			if ((err = walk_record(end, t->eh, t->seg_end, &end, &cie, 0)))
				return err;
		}
	}
	/* The header before or after the records, never among them. */
	if (t->hdr < end && t->eh < hdr_end)
		return -EINVAL;
	t->eh_end = end;
	t->lo = t->hdr < t->eh ? t->hdr : t->eh;
	t->hi = hdr_end > end ? hdr_end : end;
	return 0;
}

/*
 * Moves the pointers of the copy of t, which lies moved bytes above t->lo:
 * the header's, the search table's (relative to the header, which moved)
 * and every record's pc-relative ones (the records moved with it).
 */
static int move(struct flexos__eh_table *t)
{
	intptr_t moved = t->copy - t->lo;
	unsigned char *hdr = t->hdr + moved, *p = t->eh + moved, *end = t->eh_end + moved;
	int err;

	if ((t->eh_enc & PE_APPL) == PE_ABSPTR &&
	    (err = put_value(hdr + 4, t->eh_enc, value_at(hdr + 4, t->eh_enc) + moved)))
		return err;
	for (uint32_t i = 0; i < t->count; i++) {
		unsigned char *loc = hdr + t->entries + (size_t)i * 8;
		if ((err = put_value(loc, PE_SDATA4, value_at(loc, PE_SDATA4) - moved)))
			return err;
	}
	while (p < end) {
		struct cursor z = {p, end, 0};
		unsigned char *cie;
		if (!u32(&z) && !z.bad)
			break; /* the section's end */
		if ((err = walk_record(p, t->eh + moved, end, &p, &cie, moved)))
			return err;
	}
	return 0;
}

/* Appends n bytes to the flat copy at *pos (with out NULL, only counts them). */
static void put(unsigned char *out, size_t *pos, const void *p, size_t n)
{
	if (out)
		memcpy(out + *pos, p, n);
	*pos += n;
}

static void put_u8(unsigned char *out, size_t *pos, uint8_t v)
{
	put(out, pos, &v, 1);
}

static void put_uleb(unsigned char *out, size_t *pos, uint64_t v)
{
	do {
		put_u8(out, pos, (uint8_t)((v & 0x7f) | (v >= 0x80 ? 0x80 : 0)));
		v >>= 7;
	} while (v);
}

/* Ends a record at *pos that started at start: its length, and DW_CFA_nops to 4 bytes. */
static void end_record(unsigned char *out, size_t *pos, size_t start)
{
	while ((*pos - start) % 4)
		put_u8(out, pos, 0);
	uint32_t len = (uint32_t)(*pos - start - 4);
	if (out)
		memcpy(out + start, &len, 4);
}

/* The address a pointer encoded enc at c stands for (the indirect bit aside). */
static int absolute(struct cursor *c, uint8_t enc, uint64_t *v)
{
	int size = format_size(enc);
	uint8_t appl = enc & PE_APPL;
	unsigned char *p;

	if (size <= 0 || (appl != PE_ABSPTR && appl != PE_PCREL) || !(p = take(c, (size_t)size)))
		return -EINVAL;
	*v = (uint64_t)value_at(p, enc) + (appl == PE_PCREL ? (uintptr_t)p : 0);
	return 0;
}

/*
 * A CIE (its body, after the id, in c) flat: its pointer encodings
 * absolute, its personality routine's (or its slot's) address in 8
 * bytes. Returns 0 or -EINVAL.
 */
static int flat_cie(struct cursor c, unsigned char *out, size_t *pos, struct cie *cie)
{
	size_t start = *pos;
	unsigned char *from = c.p;

	if (parse_cie(c, cie, 0) || cie->set_locs)
		return -EINVAL;
	uint8_t version = u8(&c);
	const char *aug = (const char *)c.p;
	size_t auglen = strlen(aug); /* parse_cie found its end */
	if (strstr(aug, "eh") || (auglen && aug[0] != 'z'))
		return -EINVAL;
	take(&c, auglen + 1);
	uleb(&c);
	uleb(&c);
	if (version == 1)
		u8(&c);
	else
		uleb(&c);
	const uint32_t zero = 0;
	put(out, pos, &zero, 4);                   /* the length, written last */
	put(out, pos, &zero, 4);                   /* a CIE */
	put(out, pos, from, (size_t)(c.p - from)); /* version, augmentation, the three fields */
	if (auglen) {
		uint64_t n = uleb(&c);
		unsigned char *d = take(&c, n);
		struct cursor data = {d, d ? d + n : NULL, !d};
		unsigned char buf[64];
		size_t len = 0;
		for (size_t i = 1; i < auglen; i++) {
			uint64_t v;
			uint8_t enc;
			switch (aug[i]) {
			case 'R':
			case 'L':
				u8(&data);
				put_u8(buf, &len, PE_ABSPTR);
				break;
			case 'P':
				enc = u8(&data);
				if (absolute(&data, enc, &v))
					return -EINVAL;
				put_u8(buf, &len, (uint8_t)((enc & 0x80) | PE_ABSPTR));
				put(buf, &len, &v, 8);
				break;
			case 'S':
			case 'B':
			case 'G':
				break;
			default:
				return -EINVAL; /* data a flat copy cannot place */
			}
		}
		if (data.bad || data.p != data.end)
			return -EINVAL;
		put_uleb(out, pos, len);
		put(out, pos, buf, len);
	}
	put(out, pos, c.p, (size_t)(c.end - c.p)); /* the initial instructions */
	end_record(out, pos, start);
	return c.bad ? -EINVAL : 0;
}

/* An FDE (its body after the CIE pointer, in c) flat, for its CIE cie at cie_pos. */
static int flat_fde(struct cursor c, const struct cie *cie, size_t cie_pos, unsigned char *out,
		    size_t *pos)
{
	size_t start = *pos;
	uint64_t begin, range = 0;
	int size = format_size(cie->fde_enc);
	unsigned char *r;

	if (absolute(&c, cie->fde_enc, &begin) || !(r = take(&c, (size_t)size)))
		return -EINVAL;
	range = (uint64_t)value_at(r, cie->fde_enc & PE_FORMAT);
	const uint32_t zero = 0;
	uint32_t cie_off = (uint32_t)(start + 4 - cie_pos);
	put(out, pos, &zero, 4);
	put(out, pos, &cie_off, 4);
	put(out, pos, &begin, 8);
	put(out, pos, &range, 8);
	if (cie->augmented) {
		uint64_t n = uleb(&c), lsda = 0;
		unsigned char *d = take(&c, n);
		struct cursor data = {d, d ? d + n : NULL, !d};
		if (cie->lsda_enc != PE_OMIT && absolute(&data, cie->lsda_enc, &lsda))
			return -EINVAL;
		if (data.bad)
			return -EINVAL;
		size_t rest = (size_t)(data.end - data.p);
		put_uleb(out, pos, (cie->lsda_enc != PE_OMIT ? 8 : 0) + rest);
		if (cie->lsda_enc != PE_OMIT)
			put(out, pos, &lsda, 8);
		put(out, pos, data.p, rest);
	}
	struct cursor insns = c;
	int set_locs = 0;
	if (take_instructions(&insns, cie->fde_enc, 0, &set_locs) || set_locs)
		return -EINVAL;
	put(out, pos, c.p, (size_t)(c.end - c.p));
	end_record(out, pos, start);
	return 0;
}

#define FLAT_CIES 64

/*
 * For a library too far from the copy for its 32-bit pc-relative
 * pointers (the vDSO, which the kernel maps near the stack; any library
 * when the image reserved gigabytes below them before start-up ended): a
 * flat copy, whose pointers are absolute (8 bytes: code addresses, the
 * personality routine's slot, the language-specific data) and which has
 * no search table, so that the unwinder reads its FDEs in turn, as it
 * does for any table without one (slower: only the fault report walks
 * these). Writes it at out (with out NULL, only measures) and returns
 * its size, or -EINVAL (DW_CFA_set_loc, augmentations it does not know).
 */
static ssize_t flatten(const struct flexos__eh_table *t, unsigned char *out)
{
	struct {
		unsigned char *from;
		size_t to;
		struct cie cie;
	} cies[FLAT_CIES];
	size_t ncies = 0, pos = 0;
	unsigned char *p = t->eh, *end = t->eh_end;
	/* The header: version 1, .eh_frame right after it (4 bytes on from the pointer). */
	const unsigned char hdr[8] = {1, PE_PCREL | PE_SDATA4, PE_OMIT, PE_OMIT, 4, 0, 0, 0};

	put(out, &pos, hdr, sizeof(hdr));
	while (p < end) {
		struct cursor z = {p, end, 0}, c;
		if (!u32(&z) && !z.bad)
			break; /* the section's end */
		if (record(p, end, &c))
			return -EINVAL;
		unsigned char *id_at = c.p;
		uint32_t id = u32(&c);
		if (!id) {
			if (ncies == FLAT_CIES)
				return -EINVAL;
			cies[ncies].from = p;
			cies[ncies].to = pos;
			if (flat_cie(c, out, &pos, &cies[ncies].cie))
				return -EINVAL;
			ncies++;
		} else {
			size_t k = 0;
			while (k < ncies && (uintptr_t)cies[k].from != (uintptr_t)id_at - id)
				k++;
			if (k == ncies || flat_fde(c, &cies[k].cie, cies[k].to, out, &pos))
				return -EINVAL;
		}
		p = c.end;
	}
	const uint32_t terminator = 0;
	put(out, &pos, &terminator, 4);
	return (ssize_t)pos;
}

int flexos__eh_table_of(const struct dl_phdr_info *info, struct flexos__eh_table *t)
{
	const ElfW(Phdr) *eh = NULL;

	memset(t, 0, sizeof(*t));
	for (int i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_GNU_EH_FRAME)
			eh = &info->dlpi_phdr[i];
	if (!eh)
		return 0;
	t->hdr = (unsigned char *)(info->dlpi_addr + eh->p_vaddr);
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *p = &info->dlpi_phdr[i];
		if (p->p_type == PT_LOAD && eh->p_vaddr >= p->p_vaddr &&
		    eh->p_vaddr - p->p_vaddr < p->p_filesz) {
			t->seg_lo = (unsigned char *)(info->dlpi_addr + p->p_vaddr);
			t->seg_end = t->seg_lo + p->p_filesz;
		}
	}
	return 1;
}

int flexos__eh_measure(struct flexos__eh_table *t)
{
	return measure(t);
}

/*
 * A flat copy is at most twice its records and its header and terminator,
 * with the 4-byte pointers GNU ld writes: a record grows by at most 16
 * bytes (pc_begin and pc_range, the LSDA or the personality pointer from
 * 4 bytes to 8, an augmentation length a byte longer, padding to 4), and
 * none is shorter than 16 (flexos__eh_copy refuses a larger one). So the
 * room is known without flattening every table at start-up, which only a
 * table too far from its copy needs.
 */
size_t flexos__eh_room(const struct flexos__eh_table *t)
{
	size_t n = (size_t)(t->hi - t->lo), flat = 2 * (size_t)(t->eh_end - t->eh) + 12;
	return 16 + (flat > n ? flat : n); /* 16: two alignments */
}

int flexos__eh_copy(struct flexos__eh_table *t, unsigned char *at, int flat)
{
	int err = -ERANGE;

	/* At the same offset from 8 as the original: the unwinder reads aligned fields. */
	at = (unsigned char *)(((uintptr_t)at + 7) & ~(uintptr_t)7);
	t->flat = 0;
	if (!flat) {
		t->copy = at + ((uintptr_t)t->lo & 7);
		memcpy(t->copy, t->lo, (size_t)(t->hi - t->lo));
		err = move(t);
		t->copy_hdr = t->copy + (t->hdr - t->lo);
		t->copy_end = t->copy + (t->hi - t->lo);
		if (err != -ERANGE)
			return err;
		memset(at, 0, (size_t)(t->copy_end - at));
	}
	ssize_t size = flatten(t, NULL);
	if (size <= 0)
		return err;
	if ((size_t)size > flexos__eh_room(t) - 16)
		return -EINVAL;
	t->flat_size = (size_t)size;
	t->flat = 1;
	t->copy = t->copy_hdr = at;
	t->copy_end = at + t->flat_size;
	return flatten(t, at) == (ssize_t)t->flat_size ? 0 : -EINVAL;
}
