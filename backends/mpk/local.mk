# The intel-mpk backend: protection-key compartments (libflexos-mpk.a).
# malloc.c routes the allocator to the running compartment's heap; it is
# part of the isolating backends' archives, never of libflexos.a.
lib_LIBRARIES += libflexos-mpk.a
libflexos_mpk_a_SOURCES = \
	backends/mpk/mpk.h \
	backends/mpk/mpk.c \
	backends/mpk/fault.c \
	backends/mpk/thread.c \
	backends/mpk/gate.S \
	src/runtime/malloc.c
libflexos_mpk_a_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/src/runtime
libflexos_mpk_a_CFLAGS = $(AM_CFLAGS) -fPIE
libflexos_mpk_a_CCASFLAGS = $(AM_CCASFLAGS) -I$(top_srcdir)/backends/mpk

pkgconfig_DATA += pkgconfig/flexos-mpk.pc
EXTRA_DIST += pkgconfig/flexos-mpk.pc.in

include tests/mpk/local.mk
