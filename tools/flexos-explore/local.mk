# flexos-explore: the design-space exploration (docs/man/flexos-explore.1).
# The library part is what tests/check_explore.c tests; main.c runs commands.
noinst_LIBRARIES += libflexos-explore.a
libflexos_explore_a_SOURCES = \
	tools/flexos-explore/explore.h \
	tools/flexos-explore/spec.c \
	tools/flexos-explore/space.c \
	tools/flexos-explore/cache.c \
	tools/flexos-explore/report.c
libflexos_explore_a_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tools/flexos-link \
	-I$(top_srcdir)/tools/common $(YAML_CFLAGS)

bin_PROGRAMS += flexos-explore
flexos_explore_SOURCES = tools/flexos-explore/main.c
flexos_explore_CPPFLAGS = $(libflexos_explore_a_CPPFLAGS)
# util.o and yaml-node.o of libflexos-link.a: allocation, escaping,
# run_program and the YAML node questions both parsers ask.
flexos_explore_LDADD = libflexos-explore.a libflexos-link.a $(YAML_LIBS)
