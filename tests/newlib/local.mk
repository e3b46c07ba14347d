# The newlib component's test (included from src/newlib/local.mk): a
# library compiled against newlib, partially linked with it and the glue,
# in an ordinary glibc program. Skips when configured with --disable-newlib.
SH_TESTS += tests/newlib/newlib.sh tests/newlib/compartment.sh tests/newlib/zlib.sh
CLEANFILES += tests/newlib/config.sh
EXTRA_DIST += tests/newlib/host.c tests/newlib/nllib.c tests/newlib/nllib.h tests/newlib/missing.c \
	tests/newlib/comp-app.c tests/newlib/comp.yaml tests/newlib/nlprobe.c tests/newlib/glprobe.c

if ENABLE_NEWLIB
TESTS_NEWLIB_DEPS = libflexos-newlib.a libflexos.a newlib.stamp
TESTS_NEWLIB_ENABLED = yes
else
TESTS_NEWLIB_ENABLED = no
endif

# What newlib.sh needs from configure and from src/newlib/local.mk.
tests/newlib/config.sh: Makefile
	$(AM_V_GEN)$(MKDIR_P) tests/newlib && { \
	echo "CC='$(CC)'"; \
	echo "NEWLIB_ENABLED='$(TESTS_NEWLIB_ENABLED)'"; \
	echo "NEWLIB_CFLAGS='$(NEWLIB_COMPILE_FLAGS)'"; \
	echo "NEWLIB_LIBDIR='$(abs_top_builddir)/newlib/lib'"; \
	} >$@
tests/newlib/newlib.log: tests/newlib/config.sh $(TESTS_NEWLIB_DEPS)
tests/newlib/compartment.log: tests/newlib/config.sh $(TESTS_NEWLIB_DEPS)
tests/newlib/zlib.log: tests/newlib/config.sh $(TESTS_NEWLIB_DEPS)
