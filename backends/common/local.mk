# What the isolating backends share (backends/common/): compiled into each
# of their archives, so that an image still links exactly one backend.
# A backend adds $(FLEXOS_BACKEND_COMMON) to its sources and compiles with
# $(FLEXOS_BACKEND_CPPFLAGS).
FLEXOS_BACKEND_COMMON = \
	backends/common/common.h \
	backends/common/jump-wrap.S \
	backends/common/lend.h \
	backends/common/lend.c \
	backends/common/lend-gate.S \
	backends/common/malloc.c \
	backends/common/owner.c \
	backends/common/report.c \
	backends/common/seccomp.c
FLEXOS_BACKEND_CPPFLAGS = $(AM_CPPFLAGS) -DFLEXOS_IMAGE_CODE -I$(top_srcdir)/backends/common \
	-I$(top_srcdir)/src/runtime $(SECCOMP_CFLAGS)
