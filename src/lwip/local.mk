# The lwIP component (docs/lwip.md): the TAP driver, flexos_lwip_start and
# lwIP's mailboxes on pthreads (libflexos-lwip.a, flexos-lwip.pc), and
# lwIP's sys_arch on the scheduler (libflexos-lwip-sched.a,
# flexos-lwip-sched.pc). lwIP itself is Debian's liblwip.so.
lib_LIBRARIES += libflexos-lwip.a libflexos-lwip-sched.a
libflexos_lwip_a_SOURCES = \
	src/lwip/lwip_impl.h \
	src/lwip/spec.c \
	src/lwip/driver.c \
	src/lwip/mbox_pthread.c \
	src/lwip/exchange.c
libflexos_lwip_a_CPPFLAGS = $(AM_CPPFLAGS) $(LWIP_CFLAGS)
libflexos_lwip_a_CFLAGS = $(AM_CFLAGS) -fPIE
libflexos_lwip_sched_a_SOURCES = src/lwip/lwip_impl.h src/lwip/sys_arch_sched.c
libflexos_lwip_sched_a_CPPFLAGS = $(AM_CPPFLAGS) $(LWIP_CFLAGS)
libflexos_lwip_sched_a_CFLAGS = $(AM_CFLAGS) -fPIE

pkginclude_HEADERS += include/flexos/lwip.h
pkgconfig_DATA += pkgconfig/flexos-lwip.pc pkgconfig/flexos-lwip-sched.pc
EXTRA_DIST += pkgconfig/flexos-lwip.pc.in pkgconfig/flexos-lwip-sched.pc.in
dist_doc_DATA += docs/lwip.md

include tests/lwip/local.mk
