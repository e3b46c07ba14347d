# Integration tests of unmodified libraries, included from tests/local.mk:
# automatic gates, shared_data, callbacks and --explain (auto-gates.sh),
# sandbox_of (sandbox.sh), the SQLite and zlib examples under none and
# process (unmodified.sh) and under intel-mpk in the VM (unmodified-vm.sh).
UNMODIFIED_DEPS = flexos-link$(EXEEXT) libflexos.a $(lib_LIBRARIES)
SH_TESTS += tests/integration/auto-gates.sh tests/integration/sandbox.sh \
	tests/integration/unmodified.sh tests/integration/unmodified-vm.sh
tests/integration/auto-gates.log: $(UNMODIFIED_DEPS)
tests/integration/sandbox.log: $(UNMODIFIED_DEPS)
tests/integration/unmodified.log: $(UNMODIFIED_DEPS) $(SQLITE_IMAGES) $(ZLIB_IMAGES)
tests/integration/unmodified-vm.log: $(UNMODIFIED_DEPS) $(SQLITE_IMAGES) $(ZLIB_IMAGES)
EXTRA_DIST += tests/integration/local.mk

# Shared libraries claimed by a compartment (shlib.sh: process natively,
# intel-mpk in the VM).
SH_TESTS += tests/integration/shlib.sh
tests/integration/shlib.log: $(UNMODIFIED_DEPS)
EXTRA_DIST += tests/integration/shlib.sh

# Address-space limits: images start under ulimit -v 1 GB (heap_size).
SH_TESTS += tests/integration/ulimit.sh
tests/integration/ulimit.log: $(UNMODIFIED_DEPS) $(HELLO_IMAGES) $(SQLITE_IMAGES)
EXTRA_DIST += tests/integration/ulimit.sh

# flexos-explore end to end on a synthetic benchmark; GNU parallel runs
# its jobs where it is installed.
SH_TESTS += tests/integration/explore.sh
tests/integration/explore.log: flexos-explore$(EXEEXT)
EXTRA_DIST += tests/integration/explore.sh

# Constants across gates (constants.sh: none and process natively,
# intel-mpk in the VM).
SH_TESTS += tests/integration/constants.sh
tests/integration/constants.log: $(UNMODIFIED_DEPS)
EXTRA_DIST += tests/integration/constants.sh

# Static functions under 'callbacks:' (static-callbacks.sh: none and process
# natively, intel-mpk in the VM).
SH_TESTS += tests/integration/static-callbacks.sh
tests/integration/static-callbacks.log: $(UNMODIFIED_DEPS)
EXTRA_DIST += tests/integration/static-callbacks.sh

# FILE * across gates (file-handles.sh: none natively, process refused at
# link time, intel-mpk in the VM).
SH_TESTS += tests/integration/file-handles.sh
tests/integration/file-handles.log: $(UNMODIFIED_DEPS)
EXTRA_DIST += tests/integration/file-handles.sh

# longjmp back across gates (longjmp.sh: none and process natively,
# intel-mpk in the VM; Debian's liblua5.4.a where it is installed).
SH_TESTS += tests/integration/longjmp.sh
tests/integration/longjmp.log: $(UNMODIFIED_DEPS) tests/mpk/attack
EXTRA_DIST += tests/integration/longjmp.sh
# Hardening, compile and link side: flexos-cc, the flexos-harden-*.pc
# files, and flexos-link's check of hardened compartments (harden-link.sh).
SH_TESTS += tests/integration/harden-link.sh
tests/integration/harden-link.log: $(UNMODIFIED_DEPS) flexos-cc$(EXEEXT) $(FLEXOS_HARDEN_PCS)
EXTRA_DIST += tests/integration/harden-link.sh
# A hardened compartment beside an unhardened one under none, process and
# intel-mpk (VM) (harden-backends.sh).
SH_TESTS += tests/integration/harden-backends.sh
tests/integration/harden-backends.log: $(UNMODIFIED_DEPS) flexos-cc$(EXEEXT)
EXTRA_DIST += tests/integration/harden-backends.sh

# Pointer lending (lend.sh: none and process natively, intel-mpk in the VM).
SH_TESTS += tests/integration/lend.sh
tests/integration/lend.log: $(UNMODIFIED_DEPS)
EXTRA_DIST += tests/integration/lend.sh tests/integration/data/lend-app.c \
	tests/integration/data/lend-lib.c tests/integration/data/lend.yaml \
	tests/integration/data/lend-cb.c tests/integration/data/lend-cb.h

# Objects kept lent past the call, a static callback of an archive member (lend-kept.sh).
SH_TESTS += tests/integration/lend-kept.sh
tests/integration/lend-kept.log: $(UNMODIFIED_DEPS)
EXTRA_DIST += tests/integration/lend-kept.sh tests/integration/data/keep.h \
	tests/integration/data/keep-lib.c tests/integration/data/keep-app.c \
	tests/integration/data/keep.yaml

# A sandbox attacking its host through lending and the heap ranges (lend-attack.sh).
SH_TESTS += tests/integration/lend-attack.sh
tests/integration/lend-attack.log: $(UNMODIFIED_DEPS)
EXTRA_DIST += tests/integration/lend-attack.sh tests/integration/data/attack8.h \
	tests/integration/data/attack8-lib.c tests/integration/data/attack8-app.c \
	tests/integration/data/attack8-steal.c tests/integration/data/attack8.yaml

# Arrays of pointers lent (lend-array.sh: none and process natively, intel-mpk in the VM).
SH_TESTS += tests/integration/lend-array.sh
tests/integration/lend-array.log: $(UNMODIFIED_DEPS)
EXTRA_DIST += tests/integration/lend-array.sh tests/integration/data/lendarr-app.c \
	tests/integration/data/lendarr-lib.c tests/integration/data/lendarr.h \
	tests/integration/data/lendarr.yaml

# A library rewriting the runtime's control data in key-0 memory (ro-state.sh: intel-mpk in the VM).
SH_TESTS += tests/integration/ro-state.sh
tests/integration/ro-state.log: $(UNMODIFIED_DEPS)
EXTRA_DIST += tests/integration/ro-state.sh tests/integration/data/rostate.h \
	tests/integration/data/rostate-lib.c tests/integration/data/rostate-app.c \
	tests/integration/data/rostate.yaml
