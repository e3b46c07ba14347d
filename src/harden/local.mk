# The hardening runtimes (src/harden/): libflexos-harden.a, linked into
# images with a compartment built with stack-protector, ubsan, asan or
# fortify. Every option is its own member, pulled in only by the calls its
# instrumentation makes.
lib_LIBRARIES += libflexos-harden.a
libflexos_harden_a_SOURCES = \
	src/harden/harden_impl.h \
	src/harden/shadow.h \
	src/harden/report.c \
	src/harden/asan.c \
	src/harden/asan_checks.h \
	src/harden/ubsan.c \
	src/harden/stack.c \
	src/harden/fortify.c \
	src/harden/fortify_checks.h \
	src/harden/trap.h \
	src/harden/trap.c
libflexos_harden_a_CPPFLAGS = $(AM_CPPFLAGS) -DFLEXOS_IMAGE_CODE -I$(top_srcdir)/src/runtime
# Never instrumented itself, whatever CFLAGS say: it is what the
# instrumentation calls. Without identical code folding: a check under
# two names (__asan_load4, __asan_load4_noabort) folded into one calling
# the other would read the wrong return address, the code it reports.
libflexos_harden_a_CFLAGS = $(AM_CFLAGS) -fPIE -fno-sanitize=all -fno-stack-protector \
	-U_FORTIFY_SOURCE -fno-ipa-icf

# The allocator hooks of asan compartments under the none backend, whose
# images link glibc's allocator: a none image with an asan compartment
# links -lflexos-harden-none too (the isolating backends route the
# allocations themselves, backends/common/malloc.c). An archive of its
# own: its member defines malloc, and would be pulled into any link that
# searched it before the backend's.
lib_LIBRARIES += libflexos-harden-none.a
libflexos_harden_none_a_SOURCES = src/harden/heap_none.c
libflexos_harden_none_a_CPPFLAGS = $(libflexos_harden_a_CPPFLAGS)
libflexos_harden_none_a_CFLAGS = $(libflexos_harden_a_CFLAGS)

# The runtime of hardened `libc: newlib` compartments: compiled against
# newlib and linked into the compartment's partial link (flexos-link's
# newlib.c), where it takes the calls of the instrumentation and traps to
# trap.c. Never instrumented itself either.
EXTRA_DIST += src/harden/newlib/ubsan.c src/harden/newlib/stack.c src/harden/newlib/fortify.c \
	src/harden/newlib/asan.c
if ENABLE_NEWLIB
lib_LIBRARIES += libflexos-harden-newlib.a
libflexos_harden_newlib_a_SOURCES = src/harden/trap.h src/harden/shadow.h \
	src/harden/newlib/ubsan.c src/harden/newlib/stack.c src/harden/newlib/fortify.c \
	src/harden/fortify_checks.h src/harden/asan_checks.h src/harden/newlib/asan.c
libflexos_harden_newlib_a_CPPFLAGS = $(NEWLIB_COMPILE_FLAGS) -I$(top_srcdir)/include \
	-I$(top_srcdir)/src/newlib
libflexos_harden_newlib_a_CFLAGS = $(AM_CFLAGS) -fPIE -fno-sanitize=all -fno-stack-protector \
	-U_FORTIFY_SOURCE -fno-ipa-icf -fno-builtin
$(libflexos_harden_newlib_a_OBJECTS): newlib.stamp
TESTS_HARDEN_NEWLIB_DEPS = libflexos-harden-newlib.a libflexos-harden.a libflexos-newlib.a \
	flexos-link flexos-cc
endif

# Its tests (tests/harden/).
include tests/harden/local.mk
