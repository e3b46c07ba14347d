# The scheduler component: cooperative user-level threads (libflexos-sched.a,
# flexos-sched.pc). Platform code like the runtime: flexos-link links the
# libflexos-* archives into no compartment.
lib_LIBRARIES += libflexos-sched.a
libflexos_sched_a_SOURCES = \
	src/sched/sched_impl.h \
	src/sched/sched.c \
	src/sched/arena.c \
	src/sched/switch.S \
	src/sched/timeout.c \
	src/sched/timer.c \
	src/sched/sync.c \
	src/sched/mbox.c \
	src/sched/io.c \
	src/sched/backend.c
libflexos_sched_a_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/src/runtime
libflexos_sched_a_CFLAGS = $(AM_CFLAGS) -fPIE

pkginclude_HEADERS += include/flexos/sched.h
pkgconfig_DATA += pkgconfig/flexos-sched.pc
EXTRA_DIST += pkgconfig/flexos-sched.pc.in
dist_doc_DATA += docs/sched.md

include tests/sched/local.mk
