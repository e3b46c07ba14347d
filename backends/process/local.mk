# The process backend: one process per compartment, RPC gates over shared
# memory, with what the isolating backends share (backends/common/).
lib_LIBRARIES += libflexos-process.a
libflexos_process_a_SOURCES = \
	backends/process/process.h \
	backends/process/process.c \
	backends/process/channel.c \
	backends/process/checkpoint.c \
	backends/process/fork.c \
	backends/process/gate.S \
	backends/process/policy.c \
	backends/process/jump.c \
	$(FLEXOS_BACKEND_COMMON)
libflexos_process_a_CPPFLAGS = $(FLEXOS_BACKEND_CPPFLAGS) $(SECCOMP_CFLAGS)
libflexos_process_a_CFLAGS = $(AM_CFLAGS) -fPIE
libflexos_process_a_CCASFLAGS = $(AM_CCASFLAGS) -fPIE
pkgconfig_DATA += pkgconfig/flexos-process.pc
CLEANFILES += pkgconfig/flexos-process.pc
pkgconfig/flexos-process.pc: $(FLEXOS_BACKEND_PC_DEPS)
	$(FLEXOS_BACKEND_PC) process 'one process per compartment, RPC gates over shared memory' \
		'$(SECCOMP_LIBS)'

include $(top_srcdir)/tests/process/local.mk
