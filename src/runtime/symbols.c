/*
 * Symbolized backtraces for fault reports, from the table flexos-link
 * adds to the image (<flexos/symbols.h>). The table is mapped at
 * start-up, while open and mmap are still allowed (a compartment's
 * system-call filter comes later, and the process backend's compartments
 * inherit the mapping); a report then only reads memory: no allocation,
 * no locks of ours, no system call but write(2), as a signal handler must.
 */
#include "autoconfig.h"

#include <elf.h>
#include <execinfo.h>
#include <fcntl.h>
#include <link.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <unwind.h>

#include <flexos/symbols.h>

#include "runtime.h"

#define BACKTRACE_MAX 48

/* The image's symbol table, found at start-up: flexos__ro.s.symbols (runtime.h). */
#define SYM (flexos__ro.s.symbols)

/* A line of a report, as report.c's writer but private to the runtime. */
struct line {
	char buf[512];
	size_t n;
};

static void put(struct line *l, const char *s)
{
	while (*s && l->n < sizeof(l->buf) - 1)
		l->buf[l->n++] = *s++;
}

/*
 * The string at offset at of the table's strings, never past their end
 * (the mapping is key 0: a compartment may have rewritten it).
 */
static void put_string(struct line *l, uint32_t at)
{
	if (at >= SYM.strsize) {
		put(l, "?");
		return;
	}
	for (const char *s = SYM.strings + at;
	     s < SYM.strings + SYM.strsize && *s && l->n < sizeof(l->buf) - 1; s++)
		l->buf[l->n++] = *s;
}

static void put_hex(struct line *l, uint64_t v)
{
	char tmp[17];
	int i = 0;

	put(l, "0x");
	do {
		tmp[i++] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	while (i > 0 && l->n < sizeof(l->buf) - 1)
		l->buf[l->n++] = tmp[--i];
}

static void put_dec(struct line *l, uint64_t v)
{
	char tmp[21];
	int i = 0;

	do {
		tmp[i++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (i > 0 && l->n < sizeof(l->buf) - 1)
		l->buf[l->n++] = tmp[--i];
}

static void flush(struct line *l)
{
	l->buf[l->n++] = '\n';
	flexos__report_write(l->buf, l->n);
	l->n = 0;
}

static int find_image(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size, (void)data;
	/* The first object is the executable. */
	SYM.bias = info->dlpi_addr;
	SYM.image_lo = UINTPTR_MAX;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD)
			continue;
		if (SYM.bias + ph->p_vaddr < SYM.image_lo)
			SYM.image_lo = SYM.bias + ph->p_vaddr;
		if (SYM.bias + ph->p_vaddr + ph->p_memsz > SYM.image_hi)
			SYM.image_hi = SYM.bias + ph->p_vaddr + ph->p_memsz;
	}
	return 1;
}

/*
 * The file range of the section called name in the ELF file fd, or 0.
 * Two reads for the headers and their names: this runs in every image's
 * start-up.
 */
static int find_section(int fd, const char *name, off_t *off, size_t *size)
{
	ElfW(Ehdr) eh;
	ElfW(Shdr) sh[128];
	char names[4096];
	size_t len = strlen(name) + 1;

	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_shentsize != sizeof(sh[0]) || eh.e_shnum > sizeof(sh) / sizeof(sh[0]) ||
	    eh.e_shstrndx >= eh.e_shnum)
		return 0;
	ssize_t want = (ssize_t)(eh.e_shnum * sizeof(sh[0]));
	if (pread(fd, sh, (size_t)want, (off_t)eh.e_shoff) != want)
		return 0;
	const ElfW(Shdr) *strtab = &sh[eh.e_shstrndx];
	size_t nnames = strtab->sh_size < sizeof(names) ? strtab->sh_size : sizeof(names);
	ssize_t got = pread(fd, names, nnames, (off_t)strtab->sh_offset);
	if (got <= 0)
		return 0;
	for (unsigned i = 1; i < eh.e_shnum; i++) {
		if (sh[i].sh_type != SHT_PROGBITS || sh[i].sh_name + len > (size_t)got ||
		    memcmp(names + sh[i].sh_name, name, len))
			continue;
		*off = (off_t)sh[i].sh_offset;
		*size = sh[i].sh_size;
		return 1;
	}
	return 0;
}

/* Records an object's executable segments in SYM.code (flexos__symbols_init). */
static int record_code(struct dl_phdr_info *info, size_t size, void *data)
{
	const char *name = info->dlpi_name ? strrchr(info->dlpi_name, '/') : NULL;
	uintptr_t eh_frame = 0;

	(void)size, (void)data;
	name = name ? name + 1 : info->dlpi_name ? info->dlpi_name : "";
	for (int i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_GNU_EH_FRAME)
			eh_frame = info->dlpi_addr + info->dlpi_phdr[i].p_vaddr;
	for (int i = 0; i < info->dlpi_phnum && SYM.ncode < FLEXOS__MAX_CODE_SEGMENTS; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
			continue;
		SYM.code[SYM.ncode].lo = info->dlpi_addr + ph->p_vaddr;
		SYM.code[SYM.ncode].hi = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
		SYM.code[SYM.ncode].base = info->dlpi_addr;
		SYM.code[SYM.ncode].eh_frame = eh_frame;
		strncpy(SYM.code[SYM.ncode].name, name, sizeof(SYM.code[0].name) - 1);
		SYM.ncode++;
	}
	return 0;
}

void flexos__symbols_init(void)
{
	void *frames[2];
	off_t off;
	size_t size;

	/* The first backtrace() loads libgcc_s: now, not in a fault handler. */
	backtrace(frames, 2);
	dl_iterate_phdr(find_image, NULL);
	dl_iterate_phdr(record_code, NULL);
	ssize_t n = readlink("/proc/self/exe", SYM.image_path, sizeof(SYM.image_path) - 1);
	SYM.image_path[n > 0 ? n : 0] = '\0';

	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (find_section(fd, FLEXOS_SYMBOLS_SECTION, &off, &size) &&
	    size >= sizeof(struct flexos_symbols_header)) {
		long page = sysconf(_SC_PAGESIZE);
		off_t start = off & ~(off_t)(page - 1);
		size_t skew = (size_t)(off - start);
		char *p = mmap(NULL, size + skew, PROT_READ, MAP_PRIVATE, fd, start);
		if (p != MAP_FAILED) {
			const struct flexos_symbols_header *h = (const void *)(p + skew);
			uint64_t need = sizeof(*h) + (uint64_t)h->nfuncs * sizeof(*SYM.funcs) +
					(uint64_t)h->nlines * sizeof(*SYM.lines) + h->strsize;
			if (h->magic == FLEXOS_SYMBOLS_MAGIC && need <= size && h->strsize &&
			    (p + skew)[need - 1] == '\0') {
				SYM.table = h;
				SYM.funcs = (const void *)(h + 1);
				SYM.lines = (const void *)(SYM.funcs + h->nfuncs);
				SYM.strings = (const char *)(SYM.lines + h->nlines);
				SYM.nfuncs = h->nfuncs;
				SYM.nlines = h->nlines;
				SYM.strsize = h->strsize;
			} else {
				munmap(p, size + skew);
			}
		}
	}
	close(fd);
}

/*
 * How many of the n entries of a table sorted by address start at or
 * below a; each entry is stride bytes and starts with its uint32_t address
 * (struct flexos_symbol, struct flexos_line).
 */
static uint32_t count_at_or_below(const void *table_base, size_t stride, uint32_t n, uint32_t a)
{
	uint32_t lo = 0, hi = n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		uint32_t at;
		memcpy(&at, (const char *)table_base + (size_t)mid * stride, sizeof(at));
		if (at <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The function whose code holds a (link-time address), or NULL. */
static const struct flexos_symbol *func_at(uint32_t a)
{
	uint32_t lo = count_at_or_below(SYM.funcs, sizeof(*SYM.funcs), SYM.nfuncs, a);

	if (!lo)
		return NULL;
	const struct flexos_symbol *f = &SYM.funcs[lo - 1];
	/* A symbol without a size (hand-written assembly) covers up to the next one. */
	if (a - f->addr < f->size || (!f->size && (lo == SYM.nfuncs || a < SYM.funcs[lo].addr)))
		return f;
	return NULL;
}

static const struct flexos_line *line_at(uint32_t a)
{
	uint32_t lo = count_at_or_below(SYM.lines, sizeof(*SYM.lines), SYM.nlines, a);

	return lo && SYM.lines[lo - 1].line && SYM.lines[lo - 1].file < SYM.strsize
		   ? &SYM.lines[lo - 1]
		   : NULL;
}

/* Code: its object's base and name. */
struct lib_hit {
	uintptr_t pc;
	const char *name;
	uintptr_t base;
};

static int find_lib(struct dl_phdr_info *info, size_t size, void *data)
{
	struct lib_hit *h = data;
	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t s = info->dlpi_addr + ph->p_vaddr;
		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X) && h->pc - s < ph->p_memsz) {
			const char *base = info->dlpi_name ? strrchr(info->dlpi_name, '/') : NULL;
			h->name = base ? base + 1 : info->dlpi_name;
			h->base = info->dlpi_addr;
			return 1;
		}
	}
	return 0;
}

/*
 * Whether pc is code: in a loaded object's executable segment, as the
 * start-up table says (and, where the backend allows code mapped since,
 * the loader's list); the object's base and name in *h ("" for the
 * executable).
 */
const struct flexos__code_segment *flexos__code_segment(uintptr_t pc)
{
	for (uint32_t i = 0; i < SYM.ncode && i < FLEXOS__MAX_CODE_SEGMENTS; i++)
		if (pc - SYM.code[i].lo < SYM.code[i].hi - SYM.code[i].lo)
			return &SYM.code[i];
	return NULL;
}

static int code_at(uintptr_t pc, struct lib_hit *h)
{
	const struct flexos__code_segment *seg = flexos__code_segment(pc);

	if (seg) {
		h->name = seg->name;
		h->base = seg->base;
		return 1;
	}
	h->pc = pc;
	h->name = NULL;
	return !SYM.code_final && dl_iterate_phdr(find_lib, h);
}

/*
 * "fn+0x1c (file.c:42)", or "fn+0x1c" without DWARF, or "IMAGE+0xOFF"
 * without a table, or "libc.so.6+0xOFF" in a shared library. A return
 * address (ret) is looked up one byte back, in the call it returns from.
 */
static void put_pc(struct line *l, uintptr_t pc, int ret)
{
	if (pc < SYM.image_lo || pc >= SYM.image_hi) {
		struct lib_hit h = {pc, NULL, 0};
		if (code_at(ret ? pc - 1 : pc, &h) && h.name && *h.name) {
			put(l, h.name);
			put(l, "+");
			put_hex(l, pc - h.base);
		} else {
			put(l, "?");
		}
		return;
	}
	uintptr_t a = pc - SYM.bias;
	const struct flexos_symbol *f = SYM.table && a <= UINT32_MAX ? func_at((uint32_t)a) : NULL;
	const struct flexos_line *ln =
	    SYM.table && a <= UINT32_MAX ? line_at((uint32_t)(ret ? a - 1 : a)) : NULL;
	if (!f) {
		put(l, SYM.image_path[0] ? SYM.image_path : "IMAGE");
		put(l, "+");
		put_hex(l, a);
		return;
	}
	put_string(l, f->name);
	put(l, "+");
	put_hex(l, a - f->addr);
	if (ln) {
		put(l, " (");
		put_string(l, ln->file);
		put(l, ":");
		put_dec(l, ln->line);
		put(l, ")");
	}
}

void flexos__describe_pc(char *buf, size_t size, uintptr_t pc)
{
	struct line l = {.n = 0};

	if (!size)
		return;
	put_pc(&l, pc, 0);
	if (l.n >= size)
		l.n = size - 1;
	memcpy(buf, l.buf, l.n);
	buf[l.n] = '\0';
}

int flexos__pointer_call(int code, int running, uintptr_t *callee, uintptr_t *caller)
{
	void *frames[BACKTRACE_MAX];
	int n = backtrace(frames, BACKTRACE_MAX);

	*callee = *caller = 0;
	for (int i = 0; i < n; i++) {
		int c = flexos__code_owner((uintptr_t)frames[i]);
		if (c == code) {
			*callee = (uintptr_t)frames[i];
		} else if (c == running && *callee) {
			*caller = (uintptr_t)frames[i];
			return 1;
		}
	}
	return 0;
}

/* The walk of flexos__print_backtrace, one frame a call. */
struct walk {
	uintptr_t fault_pc;
	int skipping; /* frames before the first printed: 1 for print_backtrace's own */
	int n;        /* frames printed */
	int seen;     /* frames the unwinder found */
	uintptr_t last_pc, last_cfa;
	struct line l;
};

static _Unwind_Reason_Code print_frame(struct _Unwind_Context *ctx, void *data)
{
	struct walk *w = data;
	uintptr_t pc = _Unwind_GetIP(ctx), cfa = _Unwind_GetCFA(ctx);

	/* A stack made to loop (a frame its own caller) ends the walk. */
	if (++w->seen > 4 * BACKTRACE_MAX || (pc == w->last_pc && cfa == w->last_cfa))
		return _URC_END_OF_STACK;
	w->last_pc = pc;
	w->last_cfa = cfa;
	if (w->skipping) {
		/* Frames up to the signal trampoline are the handler's own. */
		if (w->fault_pc ? pc != w->fault_pc : w->skipping-- > 0)
			return _URC_NO_REASON;
		w->skipping = 0;
	}
	if (!pc)
		return _URC_END_OF_STACK;
	put(&w->l, "flexos:   #");
	put_dec(&w->l, (uint64_t)w->n);
	/*
	 * A return address is read from the stack, which the faulting
	 * compartment may have written (and a forged fault's pc from a frame
	 * of its making), while the report reads every compartment's memory
	 * (docs/threat-model.md, limit 12): only an address in code is
	 * printed, so that no word of data is.
	 */
	int ret = !(w->fault_pc && w->n == 0);
	struct lib_hit h;
	/*
	 * A return address lies in an aligned word (x86-64 keeps its stack
	 * pointer 8-aligned), which no page boundary splits: read across one
	 * (a stack pointer set a few bytes below another compartment's
	 * memory), a code address could carry that memory's bytes. The CFA
	 * here is the frame the return address was read from.
	 */
	if (ret && (cfa & 7)) {
		put(&w->l, " ? (a return address read from a misaligned stack: the stack may be "
			   "corrupted; the backtrace stops)");
		flush(&w->l);
		return _URC_END_OF_STACK;
	}
	if (!code_at(ret ? pc - 1 : pc, &h)) {
		put(&w->l, " ? (an address in no loaded object's code: the stack may be "
			   "corrupted; the backtrace stops)");
		flush(&w->l);
		return _URC_END_OF_STACK;
	}
	int comp = flexos__code_owner(pc);
	put(&w->l, " ");
	put_hex(&w->l, pc);
	put(&w->l, " ");
	put_pc(&w->l, pc, ret);
	if (comp >= 0) {
		put(&w->l, " [");
		put(&w->l, flexos__runtime()->image->compartments[comp].name);
		put(&w->l, "]");
	}
	flush(&w->l);
	return ++w->n < BACKTRACE_MAX ? _URC_NO_REASON : _URC_END_OF_STACK;
}

void flexos__print_backtrace(uintptr_t fault_pc)
{
	struct walk w = {.fault_pc = fault_pc, .skipping = 1};

	/* Each frame is printed as it is found: a walk that faults loses only the rest. */
	_Unwind_Backtrace(print_frame, &w);
	if (fault_pc && w.skipping) {
		put(&w.l,
		    "flexos:   (the unwinder did not reach the faulting frame: no backtrace)");
		flush(&w.l);
	}
}
