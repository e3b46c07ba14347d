/*
 * Tests of the copies of unwind tables that the intel-mpk fault report
 * walks (backends/mpk/ehcopy.c), on the objects this process has loaded
 * (the C library, the loader, the vDSO, libgcc_s...) and the C++ library
 * where it is installed (personality routines, language-specific data).
 * The oracle is libgcc's own unwinder: with a copy's records registered,
 * it must find for every code address of the library's search table an
 * FDE in the copy that starts the same function as the library's own;
 * the copy's search table must name the same addresses and FDEs.
 */
#define _GNU_SOURCE 1 /* dl_iterate_phdr */
#include <check.h>
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "ehcopy.h"
#include "suites.h"

/* libgcc's (libgcc_s.so.1, GCC_3.0). */
struct dwarf_eh_bases {
	void *tbase, *dbase, *func;
};
extern const void *_Unwind_Find_FDE(void *pc, struct dwarf_eh_bases *bases);
extern void __register_frame_info(const void *begin, void *ob);
extern void *__deregister_frame_info(const void *begin);

#define MAX_LIBS 64
static struct lib {
	struct flexos__eh_table t;
	const char *name;
} libs[MAX_LIBS];
static int nlibs;

static int collect(struct dl_phdr_info *info, size_t size, void *data)
{
	struct lib *l = &libs[nlibs];

	(void)size, (void)data;
	if (nlibs == MAX_LIBS || !flexos__eh_table_of(info, &l->t))
		return 0;
	l->name = info->dlpi_name && *info->dlpi_name ? info->dlpi_name : "the test program";
	nlibs++;
	return 0;
}

static void load_libs(void)
{
	/* Personality routines and LSDAs: the C++ library, where installed. */
	dlopen("libstdc++.so.6", RTLD_NOW);
	nlibs = 0;
	dl_iterate_phdr(collect, NULL);
	for (int i = 0; i < nlibs; i++)
		ck_assert_msg(!flexos__eh_measure(&libs[i].t), "%s: its table cannot be read",
			      libs[i].name);
}

/*
 * The test's own reading of what an FDE names besides code: its
 * personality routine (or the slot holding it) and its language-specific
 * data, for the encodings GNU ld and the copies write.
 */
struct fde_info {
	uint64_t personality, lsda;
	int has_personality, has_lsda;
};

static uint64_t read_uleb(const unsigned char **p)
{
	uint64_t v = 0;
	for (unsigned shift = 0;; shift += 7) {
		unsigned char b = *(*p)++;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
	}
}

static uint64_t read_pointer(const unsigned char **p, uint8_t enc)
{
	const unsigned char *at = *p;
	uint64_t v = 0;
	switch (enc & 0x0f) {
	case 0x00: /* absptr */
	case 0x04: /* udata8 */
	case 0x0c: /* sdata8 */
		memcpy(&v, at, 8);
		*p += 8;
		break;
	case 0x03: { /* udata4 */
		uint32_t u;
		memcpy(&u, at, 4);
		v = u;
		*p += 4;
		break;
	}
	case 0x0b: { /* sdata4 */
		int32_t i;
		memcpy(&i, at, 4);
		v = (uint64_t)(int64_t)i;
		*p += 4;
		break;
	}
	default:
		ck_abort_msg("pointer encoding %#x", enc);
	}
	if ((enc & 0x70) == 0x10) /* pcrel */
		v += (uintptr_t)at;
	else
		ck_assert_msg((enc & 0x70) == 0, "pointer application %#x", enc);
	return v;
}

static struct fde_info fde_info(const unsigned char *fde)
{
	struct fde_info info = {0};
	uint32_t id;
	uint8_t fde_enc = 0, lsda_enc = 0xff;

	memcpy(&id, fde + 4, 4);
	const unsigned char *cie = fde + 4 - id, *q = cie + 8;
	uint8_t version = *q++;
	const char *aug = (const char *)q;
	q += strlen(aug) + 1;
	read_uleb(&q);
	read_uleb(&q); /* an SLEB128: the same bytes */
	if (version == 1)
		q++;
	else
		read_uleb(&q);
	if (aug[0] == 'z') {
		read_uleb(&q);
		for (const char *a = aug + 1; *a; a++) {
			if (*a == 'R') {
				fde_enc = *q++;
			} else if (*a == 'L') {
				lsda_enc = *q++;
			} else if (*a == 'P') {
				uint8_t enc = *q++;
				info.personality = read_pointer(&q, enc);
				info.has_personality = 1;
			}
		}
	}
	q = fde + 8;
	read_pointer(&q, fde_enc);        /* pc_begin */
	read_pointer(&q, fde_enc & 0x0f); /* pc_range */
	if (aug[0] == 'z') {
		read_uleb(&q);
		if (lsda_enc != 0xff) {
			info.lsda = read_pointer(&q, lsda_enc);
			info.has_lsda = 1;
		}
	}
	return info;
}

/* How many FDEs checked had a personality routine, and language-specific data. */
static long with_personality, with_lsda;

static int32_t entry(const unsigned char *hdr, size_t entries, uint32_t i, int field)
{
	int32_t v;
	memcpy(&v, hdr + entries + (size_t)i * 8 + (size_t)field * 4, 4);
	return v;
}

/*
 * Copies l's table at at (flat or not, as asked) and checks every address
 * of its search table against libgcc. Returns the number checked, or -1
 * when the copy was refused with -ERANGE (expected only where a flat copy
 * cannot be made).
 */
static long check_copy(const struct lib *l, unsigned char *at, int flat)
{
	struct flexos__eh_table t = l->t;
	static uint64_t object[32]; /* libgcc's struct object, opaque */
	long checked = 0;
	int err = flexos__eh_copy(&t, at, flat);

	if (err == -ERANGE)
		return -1;
	ck_assert_msg(!err, "%s: copy failed (%d)", l->name, err);
	ck_assert_msg(t.copy_end <= at + flexos__eh_room(&l->t), "%s: the copy overran its room",
		      l->name);
	if (flat)
		ck_assert_msg(t.flat, "%s: a flat copy was asked for", l->name);
	const unsigned char *eh = t.flat ? t.copy + 8 : t.copy + (l->t.eh - l->t.lo);
	__register_frame_info(eh, object);
	for (uint32_t i = 0; i < l->t.count; i++) {
		unsigned char *pc = l->t.hdr + entry(l->t.hdr, l->t.entries, i, 0);
		const unsigned char *fde_orig = l->t.hdr + entry(l->t.hdr, l->t.entries, i, 1);
		struct dwarf_eh_bases b = {0};
		uint32_t range_len;
		memcpy(&range_len, fde_orig, 4);
		const unsigned char *f = _Unwind_Find_FDE(pc, &b);
		ck_assert_msg(f && f >= t.copy && f < t.copy_end,
			      "%s: no FDE of the copy for %p (entry %u of %u)", l->name, (void *)pc,
			      i, l->t.count);
		ck_assert_msg(b.func == pc, "%s: the copy's FDE for %p starts at %p", l->name,
			      (void *)pc, b.func);
		struct fde_info want = fde_info(fde_orig), got = fde_info(f);
		ck_assert_msg(
		    got.has_personality == want.has_personality &&
			got.personality == want.personality,
		    "%s: the copy's FDE for %p names the personality routine at %#lx, not "
		    "%#lx",
		    l->name, (void *)pc, (unsigned long)got.personality,
		    (unsigned long)want.personality);
		ck_assert_msg(got.has_lsda == want.has_lsda && got.lsda == want.lsda,
			      "%s: the copy's FDE for %p names the data at %#lx, not %#lx", l->name,
			      (void *)pc, (unsigned long)got.lsda, (unsigned long)want.lsda);
		with_personality += want.has_personality;
		with_lsda += want.has_lsda && want.lsda;
		if (!t.flat) {
			/* The copy's search table: the same code addresses, its own FDEs. */
			ck_assert_ptr_eq(t.copy_hdr + entry(t.copy_hdr, l->t.entries, i, 0), pc);
			ck_assert_ptr_eq(t.copy_hdr + entry(t.copy_hdr, l->t.entries, i, 1),
					 t.copy + (fde_orig - l->t.lo));
		}
		checked++;
	}
	ck_assert_ptr_nonnull(__deregister_frame_info(eh));
	return checked;
}

/* Room for every copy, mapped as near the libraries as the kernel puts it, or at hint. */
static unsigned char *room(void *hint, size_t *len)
{
	*len = 0;
	for (int i = 0; i < nlibs; i++)
		*len += flexos__eh_room(&libs[i].t) + 4096;
	void *p = mmap(hint, *len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	return p;
}

START_TEST(test_ehcopy_moved_and_flat)
{
	size_t len;
	long total = 0, flat_total = 0;
	int libc = 0;

	load_libs();
	unsigned char *buf = room(NULL, &len), *at = buf;
	for (int i = 0; i < nlibs; i++) {
		memset(at, 0, flexos__eh_room(&libs[i].t) + 4096);
		long n = check_copy(&libs[i], at, 0);
		ck_assert_msg(n >= 0, "%s: refused a copy near it", libs[i].name);
		total += n;
		libc |= strstr(libs[i].name, "libc.so") && n > 100;
		/* And flat, as for a library the copies lie too far from. */
		memset(at, 0, flexos__eh_room(&libs[i].t) + 4096);
		n = check_copy(&libs[i], at, 1);
		ck_assert_msg(n >= 0, "%s: refused a flat copy", libs[i].name);
		flat_total += n;
		at += flexos__eh_room(&libs[i].t) + 4096;
	}
	munmap(buf, len);
	ck_assert_msg(libc, "the C library's table was not checked");
	ck_assert_msg(flat_total > 0, "no flat copy was checked");
	ck_assert_msg(with_personality > 0, "no FDE with a personality routine was checked");
	if (dlopen("libstdc++.so.6", RTLD_NOLOAD | RTLD_NOW))
		ck_assert_msg(with_lsda > 0, "no FDE of the C++ library's with data was checked");
}
END_TEST

/* Copies far from the libraries: flat. */
START_TEST(test_ehcopy_far)
{
	size_t len;
	int vdso = 0, libc = 0;

	load_libs();
	/* 16 TiB above the libraries' range or below it: beyond 32 bits either way. */
	uintptr_t lib = (uintptr_t)libs[nlibs - 1].t.hdr;
	void *hint = (void *)(lib > ((uintptr_t)1 << 45) ? lib - ((uintptr_t)1 << 44)
							 : lib + ((uintptr_t)1 << 44));
	unsigned char *buf = room(hint, &len), *at = buf;
	for (int i = 0; i < nlibs; i++) {
		intptr_t d = (intptr_t)((uintptr_t)at - (uintptr_t)libs[i].t.hdr);
		if (d > INT32_MIN && d < INT32_MAX)
			continue; /* the kernel put it near this one */
		memset(at, 0, flexos__eh_room(&libs[i].t) + 4096);
		long n = check_copy(&libs[i], at, 0);
		ck_assert_msg(n >= 0, "%s: refused a copy far from it", libs[i].name);
		vdso |= strstr(libs[i].name, "vdso") && n > 0;
		libc |= strstr(libs[i].name, "libc.so") && n > 100;
		at += flexos__eh_room(&libs[i].t) + 4096;
	}
	munmap(buf, len);
	ck_assert_msg(vdso && libc, "the vDSO's and the C library's tables were not copied flat "
				    "and checked");
}
END_TEST

START_TEST(test_ehcopy_refuses)
{
	/* A header of another version, and one pointing outside its segment. */
	unsigned char seg[64] = {2, 0x1b, 0x03, 0x3b};
	struct flexos__eh_table t = {.hdr = seg, .seg_lo = seg, .seg_end = seg + sizeof(seg)};

	ck_assert_int_eq(flexos__eh_measure(&t), -EINVAL);
	seg[0] = 1;
	int32_t far = 4096;
	memcpy(seg + 4, &far, 4);
	ck_assert_int_eq(flexos__eh_measure(&t), -EINVAL);
	/* A record that runs past the segment. */
	int32_t next = 8;
	memcpy(seg + 4, &next, 4);
	seg[2] = seg[3] = 0xff; /* no search table: every record is read */
	uint32_t huge = 1000;
	memcpy(seg + 12, &huge, 4);
	ck_assert_int_eq(flexos__eh_measure(&t), -EINVAL);
}
END_TEST

Suite *ehcopy_suite(void)
{
	Suite *s = suite_create("ehcopy");
	TCase *tc = tcase_create("copies");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_ehcopy_moved_and_flat);
	tcase_add_test(tc, test_ehcopy_far);
	tcase_add_test(tc, test_ehcopy_refuses);
	suite_add_tcase(s, tc);
	return s;
}
