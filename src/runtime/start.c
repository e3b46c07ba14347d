/*
 * Start-up: before any constructor of the application runs, check the
 * image descriptor flexos-link wrote, create the heaps and hand them to the
 * backend. flexos-link places flexos__start in .init_array and wraps main
 * so that the backend decides where main runs.
 */
#include "autoconfig.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../newlib/attach.h"
#include "runtime.h"

/* The state start-up writes (runtime.h), alone on its pages. */
union flexos__ro_page flexos__ro __attribute__((aligned(FLEXOS__RO_PAGE))) = {
    .s.malloc = {.process_compartment = -1, .fast_owner = -2}};
/*
 * Where the heaps are, for debuggers: the gdb extension
 * (tools/gdb/flexos.py) reads the runtime through this symbol.
 */
const struct flexos_runtime *const flexos__debug_runtime __attribute__((used)) =
    &flexos__ro.s.runtime;

/*
 * The shared libraries' destructors of the compartment running, as the
 * backend says (through the runtime's crossing: the compartment it
 * entered), once: the word in its heap that says so only it may write.
 * Called directly, it runs the caller's own, in the caller: never
 * another compartment's.
 */
static void run_shlib_fini(void)
{
	int id = flexos__backend.current();

	if (id < 0 || id >= FLEXOS_MAX_COMPARTMENTS || !flexos__ro.s.shlib_fini.once[id] ||
	    __atomic_exchange_n(flexos__ro.s.shlib_fini.once[id], 1, __ATOMIC_ACQ_REL))
		return;
	for (uint32_t l = flexos__ro.s.shlib_fini.nlibs; l-- > 0;) {
		uint32_t first = flexos__ro.s.shlib_fini.libs[l].first;
		uint32_t n = flexos__ro.s.shlib_fini.libs[l].count;
		if (flexos__ro.s.shlib_fini.libs[l].compartment != (uint32_t)id)
			continue;
		for (uint32_t k = first; k < first + n && k < FLEXOS__MAX_SHLIB_FINI; k++)
			flexos__ro.s.shlib_fini.fns[k]();
	}
}

void (*flexos__fini_of(uint32_t id))(void)
{
	if (id >= FLEXOS_MAX_COMPARTMENTS)
		return NULL;
	/* A newlib compartment, which has no shared library, cannot read flexos__ro (key 0). */
	if (flexos__ro.s.newlib_fini[id])
		return flexos__ro.s.newlib_fini[id];
	return flexos__ro.s.shlib_fini.once[id] ? run_shlib_fini : NULL;
}

static void check_image(const struct flexos_image *img)
{
	if (!img)
		flexos__die(FLEXOS_EXIT_SETUP, "this program uses libflexos but was not linked "
					       "with flexos-link; link it with "
					       "'flexos-link -c flexos.yaml -o IMAGE ...'");
	if (img->magic != FLEXOS_IMAGE_MAGIC || img->version != FLEXOS_IMAGE_VERSION)
		flexos__die(FLEXOS_EXIT_SETUP,
			    "the compartment table was written by another "
			    "version of flexos-link (version %u, runtime "
			    "expects %u); relink the image",
			    img->version, FLEXOS_IMAGE_VERSION);
	if (img->backend != &flexos__backend || img->mechanism != flexos__backend.mechanism)
		flexos__die(FLEXOS_EXIT_SETUP,
			    "%s asks for mechanism '%s' but the image was "
			    "linked with the '%s' backend; relink it with "
			    "flexos-link",
			    img->config_path,
			    flexos_mechanism_name(img->mechanism)
				? flexos_mechanism_name(img->mechanism)
				: "unknown",
			    flexos_mechanism_name(flexos__backend.mechanism));
	if (img->ncompartments == 0 ||
	    img->ncompartments > flexos_mechanism_max(flexos__backend.mechanism) ||
	    img->default_id >= img->ncompartments)
		flexos__die(FLEXOS_EXIT_SETUP,
			    "the compartment table is inconsistent (%u "
			    "compartments, default %u); relink the image",
			    img->ncompartments, img->default_id);
}

/*
 * Address space reserved per heap (heap_size in the config); pages are
 * only used when touched, but the reservation counts against 'ulimit -v'.
 */
static size_t heap_size(const struct flexos_compartment *c)
{
	return c->heap_size ? (size_t)c->heap_size : FLEXOS_DEFAULT_HEAP_SIZE;
}

/*
 * What a growable heap reserves at start-up; it maps more as it needs,
 * up to its heap_size. Only what the later ranges need is reserved.
 */
#define FIRST_RESERVATION (4UL << 20)

/*
 * Whether a heap may grow after start-up: not under protection keys (a new
 * range would need pkey_mprotect, which the intel-mpk backend's filter
 * denies after start-up), not a heap other processes map (the process
 * backend forks after this: the shared heap, a sandbox's), and not a
 * newlib compartment's (its sbrk wants one range).
 */
static int growable(const struct flexos_image *img, const struct flexos_compartment *c)
{
	uint32_t props = flexos_mechanism_props(img->mechanism);

	if (props & FLEXOS_MECH_PKEYS)
		return 0;
	if (!c) /* the shared heap */
		return !(props & FLEXOS_MECH_ISOLATES);
	return !(c->flags & (FLEXOS_COMP_SANDBOX | FLEXOS_COMP_NEWLIB));
}

static struct flexos__heap *heap_create(const struct flexos_image *img,
					const struct flexos_compartment *c, size_t size, int owner,
					int shared)
{
	if (!growable(img, c))
		return flexos__heap_create(size, owner, shared);
	return flexos__heap_create_growable(FIRST_RESERVATION, size, owner, shared);
}

/*
 * fork() copies a lock held by a thread the child does not have: its next
 * allocation there would spin forever. So the shared heap is locked from
 * fork()'s prepare to its parent and child handlers, where it is private
 * to the process; the process backend copies it for its child under the
 * lock instead (backends/process/fork.c). The backends lock their own.
 */
static void fork_lock_shared(void)
{
	flexos__heap_lock(flexos__ro.s.shared_heap);
}

static void fork_unlock_shared(void)
{
	flexos__heap_unlock(flexos__ro.s.shared_heap);
}

static void create_heaps(const struct flexos_image *img)
{
	size_t shared_size = FLEXOS_DEFAULT_HEAP_SIZE;

	for (uint32_t id = 0; id < img->ncompartments; id++)
		if (heap_size(&img->compartments[id]) > shared_size)
			shared_size = heap_size(&img->compartments[id]);
	/*
	 * Mapped shared only where other processes need it (the process
	 * backend forks after this): elsewhere a child of fork() must get
	 * a copy of the shared heap, as of any other memory.
	 */
	int procs = img->mechanism == FLEXOS_MECH_PROCESS;
	flexos__ro.s.shared_heap = heap_create(img, NULL, shared_size, FLEXOS__SHARED_HEAP, procs);
	if (!flexos__ro.s.shared_heap)
		flexos__die(FLEXOS_EXIT_SETUP,
			    "cannot reserve the shared heap (%zu MiB of address space): %s; "
			    "lower 'heap_size' in %s or raise 'ulimit -v'",
			    shared_size >> 20, flexos__strerror(errno), img->config_path);
	flexos__heap_range(flexos__ro.s.shared_heap, &flexos__ro.s.runtime.shared_heap.start,
			   &flexos__ro.s.runtime.shared_heap.end);
	if (flexos_mechanism_props(img->mechanism) & FLEXOS_MECH_ISOLATES) {
		/* (not growable there: its one range is all of it) */
		FLEXOS__SHARED_BOUNDS.lo = flexos__ro.s.runtime.shared_heap.start;
		FLEXOS__SHARED_BOUNDS.hi = flexos__ro.s.runtime.shared_heap.end;
	}
	if (!procs) {
		int err = pthread_atfork(fork_lock_shared, fork_unlock_shared, fork_unlock_shared);
		if (err)
			flexos__die(FLEXOS_EXIT_SETUP, "cannot register the fork handlers: %s",
				    flexos__strerror(err));
	}

	for (uint32_t id = 0; id < img->ncompartments; id++) {
		/*
		 * A sandbox's heap is mapped shared, so that its host sees it
		 * even from another process (the process backend forks later).
		 */
		flexos__ro.s.heaps[id] = heap_create(
		    img, &img->compartments[id], heap_size(&img->compartments[id]), (int)id,
		    procs && (img->compartments[id].flags & FLEXOS_COMP_SANDBOX));
		if (!flexos__ro.s.heaps[id])
			flexos__die(FLEXOS_EXIT_SETUP,
				    "cannot reserve the heap of compartment '%s' (%zu MiB of "
				    "address space): %s; lower its 'heap_size' in %s or raise "
				    "'ulimit -v'",
				    img->compartments[id].name,
				    heap_size(&img->compartments[id]) >> 20,
				    flexos__strerror(errno), img->config_path);
		flexos__heap_range(flexos__ro.s.heaps[id], &flexos__ro.s.runtime.heaps[id].start,
				   &flexos__ro.s.runtime.heaps[id].end);
		if ((flexos_mechanism_props(img->mechanism) & FLEXOS_MECH_ISOLATES) &&
		    !growable(img, &img->compartments[id])) {
			flexos__ro.s.bounds[id].lo = flexos__ro.s.runtime.heaps[id].start;
			flexos__ro.s.bounds[id].hi = flexos__ro.s.runtime.heaps[id].end;
		}
	}
}

void flexos__call_in(uint32_t id, void (*fn)(void))
{
	const struct flexos_image *img = flexos__ro.s.runtime.image;

	/* The image's stack mode (per image, read-only) says which gate its stubs take. */
	if (img && img->ncompartments && (img->compartments[0].flags & FLEXOS_COMP_SHARED_STACKS))
		flexos__call_in_gate(id, fn, flexos__backend_gate_shared_stacks);
	else
		flexos__call_in_gate(id, fn, flexos__backend_gate_newlib);
}

/*
 * glibc's exit() knows nothing of newlib's buffered streams, and would run
 * the shared libraries' destructors in the compartment that calls exit.
 */
void flexos__before_exit(void)
{
	static int done;
	const struct flexos_image *img = flexos__ro.s.runtime.image;

	if (!img || __atomic_exchange_n(&done, 1, __ATOMIC_ACQ_REL))
		return;
	for (uint32_t id = 0; id < img->ncompartments; id++)
		if (flexos__fini_of(id))
			flexos__call_in(id, flexos__fini_of(id));
}

/*
 * Each newlib compartment's glue gets its heap for sbrk before any of its
 * code runs (and before the backend protects it).
 */
static void attach_newlib(const struct flexos_image *img)
{
	for (uint32_t id = 0; id < img->ncompartments; id++) {
		const struct flexos_compartment *c = &img->compartments[id];
		struct flexos_newlib_glue *g = c->libc_glue;
		if (!(c->flags & FLEXOS_COMP_NEWLIB))
			continue;
		/* sbrk hands out half of the compartment's heap; malloc of glibc's code the rest.
		 */
		int err =
		    g ? flexos__newlib_attach(g, (int)id, flexos__ro.s.heaps[id], heap_size(c) / 2)
		      : -EPROTO;
		if (err)
			flexos__die(FLEXOS_EXIT_SETUP,
				    "cannot give newlib compartment '%s' its heap "
				    "(%s): %s; relink the image with this "
				    "version of flexos-link",
				    c->name, flexos__strerror(-err),
				    err == -EPROTO
					? "its system-call glue is not the runtime's version"
				    : err == -EBUSY ? "its code ran before the runtime"
						    : "the compartment's heap is too small");
		flexos__ro.s.newlib_fini[id] = g->fini;
	}
}

void flexos__start(int argc, char **argv, char **envp)
{
	(void)argc, (void)argv, (void)envp;
	if (__atomic_exchange_n(&flexos__ro.s.started, 1, __ATOMIC_ACQ_REL))
		return;

	const struct flexos_image *img = &flexos__image;
	check_image(img);
	flexos__ro.s.runtime.image = img;
	create_heaps(img);
	int lend_err = flexos__lend_arena_create(img, &flexos__ro.s.runtime.lend_arena);
	if (lend_err)
		flexos__die(FLEXOS_EXIT_SETUP,
			    "cannot map the lend arena: %s; raise 'ulimit -v', "
			    "or write 'lend: none' for the libraries in %s",
			    flexos__strerror(-lend_err), img->config_path);
	attach_newlib(img);
	if (flexos__find_shlibs(&flexos__ro.s.runtime))
		flexos__die(FLEXOS_EXIT_SETUP,
			    "the shared libraries of the compartments have more "
			    "than %d segments; put fewer of them in compartments",
			    FLEXOS_MAX_SHLIB_REGIONS);

	flexos__symbols_init();
	int err = flexos__backend.init(&flexos__ro.s.runtime);
	if (err)
		flexos__die(FLEXOS_EXIT_SETUP,
			    "the %s backend could not set up the "
			    "compartments (%s); the image does not run "
			    "unprotected",
			    flexos_mechanism_name(flexos__backend.mechanism),
			    flexos__strerror(-err));
	if (atexit(flexos__before_exit))
		flexos__die(FLEXOS_EXIT_SETUP, "cannot register the runtime's exit handler");
}

const struct flexos_runtime *flexos__runtime_if_started(void)
{
	return __atomic_load_n(&flexos__ro.s.started, __ATOMIC_ACQUIRE) ? &flexos__ro.s.runtime
									: NULL;
}

const struct flexos_runtime *flexos__runtime(void)
{
	if (!flexos__ro.s.started)
		flexos__start(0, NULL, NULL);
	return &flexos__ro.s.runtime;
}

struct flexos__heap *flexos__heap_of(int id)
{
	const struct flexos_image *img = flexos__runtime()->image;

	if (id == FLEXOS__SHARED_HEAP)
		return flexos__ro.s.shared_heap;
	/* Ids come from memory a compartment may write (malloc's route, the running compartment).
	 */
	if (id < 0 || (uint32_t)id >= img->ncompartments)
		flexos__abort("no compartment %d in this image (%u compartments) whose heap could "
			      "serve this allocation: the runtime's state was overwritten "
			      "(docs/threat-model.md, limit 1)",
			      id, img->ncompartments);
	return flexos__ro.s.heaps[id];
}

/* flexos-link links with --wrap=main: the backend decides where main runs. */
int __real_main(int argc, char **argv, char **envp);
int __wrap_main(int argc, char **argv, char **envp);

int __wrap_main(int argc, char **argv, char **envp)
{
	flexos__runtime();
	if (flexos__backend.run_main)
		return flexos__backend.run_main(__real_main, argc, argv, envp);
	return __real_main(argc, argv, envp);
}
