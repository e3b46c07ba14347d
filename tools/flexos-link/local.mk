# flexos-link: config parser, planner, linker-script and table writers.
noinst_LIBRARIES += libflexos-link.a
libflexos_link_a_SOURCES = \
	tools/flexos-link/config.h tools/flexos-link/config.c \
	tools/flexos-link/elf.h tools/flexos-link/elf.c \
	tools/flexos-link/plan.h tools/flexos-link/plan.c \
	tools/flexos-link/ldscript.h tools/flexos-link/ldscript.c \
	tools/flexos-link/table.h tools/flexos-link/table.c \
	tools/flexos-link/map.h tools/flexos-link/map.c \
	tools/flexos-link/xref.h tools/flexos-link/xref.c \
	tools/flexos-link/inspect.h tools/flexos-link/inspect.c \
	tools/flexos-link/newlib.h tools/flexos-link/newlib.c \
	tools/flexos-link/util.h tools/flexos-link/util.c \
	tools/flexos-link/proto.h tools/flexos-link/proto.c \
	tools/flexos-link/syscalls.h tools/flexos-link/syscalls.c \
	tools/flexos-link/symbols.h tools/flexos-link/symbols.c \
	tools/flexos-link/rewrite.h tools/flexos-link/rewrite.c \
	tools/flexos-link/harden.h tools/flexos-link/harden.c tools/flexos-link/harden-check.c
# What the tools share (flexos-explore links this archive too).
libflexos_link_a_SOURCES += tools/common/yaml-node.h tools/common/yaml-node.c
libflexos_link_a_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tools/common $(YAML_CFLAGS) $(SECCOMP_CFLAGS) $(DW_CFLAGS) \
	-DFLEXOS_LIBDIR='"$(libdir)"'

bin_PROGRAMS += flexos-link
flexos_link_SOURCES = tools/flexos-link/main.c
flexos_link_CPPFLAGS = $(libflexos_link_a_CPPFLAGS)
flexos_link_LDADD = libflexos-link.a $(YAML_LIBS) $(SECCOMP_LIBS) $(DW_LIBS)
