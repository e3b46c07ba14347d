# Fuzz harnesses (tests/fuzz/README.md), built with libFuzzer and the
# address and undefined-behaviour sanitizers by $(FUZZ_CC), which configure
# found; fuzz.sh runs each for a few seconds from its committed corpus.
FUZZ_FLAGS = -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-I$(top_builddir) -I$(top_srcdir)/include -iquote $(top_srcdir)/tests/fuzz
FUZZ_COMMON = $(srcdir)/tests/fuzz/stderr.c $(srcdir)/tests/fuzz/stderr.h
FUZZ_HARNESSES = tests/fuzz/fuzz-config tests/fuzz/fuzz-elf tests/fuzz/fuzz-resp \
	tests/fuzz/fuzz-ehcopy

tests/fuzz/fuzz-config: tests/fuzz/fuzz-config.c tools/flexos-link/config.c \
		tools/flexos-link/config.h tools/flexos-link/util.c tools/flexos-link/syscalls.c \
		tools/flexos-link/harden.c tools/common/yaml-node.c tools/common/yaml-node.h \
		$(FUZZ_COMMON) autoconfig.h
	$(AM_V_CCLD)$(MKDIR_P) tests/fuzz && $(FUZZ_CC) $(FUZZ_FLAGS) \
		-iquote $(top_srcdir)/tools/flexos-link -iquote $(top_srcdir)/tools/common \
		$(YAML_CFLAGS) $(SECCOMP_CFLAGS) -o $@ \
		$(srcdir)/tests/fuzz/fuzz-config.c $(srcdir)/tools/flexos-link/config.c \
		$(srcdir)/tools/flexos-link/util.c $(srcdir)/tools/flexos-link/syscalls.c \
		$(srcdir)/tools/flexos-link/harden.c $(srcdir)/tools/common/yaml-node.c \
		$(srcdir)/tests/fuzz/stderr.c $(YAML_LIBS) $(SECCOMP_LIBS)
tests/fuzz/fuzz-elf: tests/fuzz/fuzz-elf.c tools/flexos-link/elf.c tools/flexos-link/elf.h \
		tools/flexos-link/util.c $(FUZZ_COMMON) autoconfig.h
	$(AM_V_CCLD)$(MKDIR_P) tests/fuzz && $(FUZZ_CC) $(FUZZ_FLAGS) \
		-iquote $(top_srcdir)/tools/flexos-link -o $@ $(srcdir)/tests/fuzz/fuzz-elf.c \
		$(srcdir)/tools/flexos-link/elf.c $(srcdir)/tools/flexos-link/util.c \
		$(srcdir)/tests/fuzz/stderr.c
tests/fuzz/fuzz-resp: tests/fuzz/fuzz-resp.c examples/kvserver/resp.c examples/kvserver/resp.h
	$(AM_V_CCLD)$(MKDIR_P) tests/fuzz && $(FUZZ_CC) $(FUZZ_FLAGS) \
		-iquote $(top_srcdir)/examples/kvserver -o $@ $(srcdir)/tests/fuzz/fuzz-resp.c \
		$(srcdir)/examples/kvserver/resp.c
tests/fuzz/fuzz-ehcopy: tests/fuzz/fuzz-ehcopy.c backends/mpk/ehcopy.c backends/mpk/ehcopy.h \
		autoconfig.h
	$(AM_V_CCLD)$(MKDIR_P) tests/fuzz && $(FUZZ_CC) $(FUZZ_FLAGS) \
		-iquote $(top_srcdir)/backends/mpk -o $@ $(srcdir)/tests/fuzz/fuzz-ehcopy.c \
		$(srcdir)/backends/mpk/ehcopy.c

if HAVE_FUZZER
check_SCRIPTS += $(FUZZ_HARNESSES)
tests/fuzz/fuzz.log: $(FUZZ_HARNESSES)
endif
fuzz: $(FUZZ_HARNESSES)
.PHONY: fuzz
SH_TESTS += tests/fuzz/fuzz.sh
CLEANFILES += $(FUZZ_HARNESSES)
EXTRA_DIST += tests/fuzz/local.mk tests/fuzz/README.md tests/fuzz/fuzz.sh tests/fuzz/long \
	tests/fuzz/stderr.c tests/fuzz/stderr.h tests/fuzz/fuzz-config.c tests/fuzz/fuzz-elf.c \
	tests/fuzz/fuzz-resp.c tests/fuzz/fuzz-ehcopy.c tests/fuzz/corpus
