# The intel-mpk backend: protection-key compartments (libflexos-mpk.a),
# with what the isolating backends share (backends/common/).
lib_LIBRARIES += libflexos-mpk.a
libflexos_mpk_a_SOURCES = \
	backends/mpk/mpk.h \
	backends/mpk/mpk.c \
	backends/mpk/fault.c \
	backends/mpk/thread.c \
	backends/mpk/stacks.c \
	backends/mpk/filter.c \
	backends/mpk/signal.c \
	backends/mpk/jump.c \
	backends/mpk/pthread.c \
	backends/mpk/setxid.c \
	backends/mpk/procfiles.c \
	backends/mpk/ehcopy.h \
	backends/mpk/ehcopy.c \
	backends/mpk/unwind.c \
	backends/mpk/gate.S \
	$(FLEXOS_BACKEND_COMMON)
libflexos_mpk_a_CPPFLAGS = $(FLEXOS_BACKEND_CPPFLAGS)
libflexos_mpk_a_CFLAGS = $(AM_CFLAGS) -fPIE
libflexos_mpk_a_CCASFLAGS = $(AM_CCASFLAGS) -I$(top_srcdir)/backends/mpk

pkgconfig_DATA += pkgconfig/flexos-mpk.pc
CLEANFILES += pkgconfig/flexos-mpk.pc
pkgconfig/flexos-mpk.pc: $(FLEXOS_BACKEND_PC_DEPS)
	$(FLEXOS_BACKEND_PC) mpk 'Intel MPK protection keys' \
		'$(SECCOMP_LIBS)'

include tests/mpk/local.mk
