# The zlib example: Debian's unmodified libz.a in a compartment of its own,
# linked once per mechanism (zlib-none, zlib-process, zlib-mpk). Included
# from examples/local.mk; tests/integration/unmodified.sh runs the images.
ZLIB_A = `$(CC) -print-file-name=libz.a`

examples/zlib/app.o: examples/zlib/app.c include/flexos/flexos.h
	$(AM_V_CC)$(MKDIR_P) examples/zlib && $(COMPILE) -O2 -fPIE -c -o $@ $(srcdir)/examples/zlib/app.c

examples/zlib/zlib-none examples/zlib/zlib-process examples/zlib/zlib-mpk: \
		examples/zlib/zlib.yaml examples/zlib/app.o $(EXAMPLE_DEPS)
	$(AM_V_GEN)m=$(@:examples/zlib/zlib-%=%); [ $$m = mpk ] && m=intel-mpk; \
	sed "s/mechanism: none/mechanism: $$m/" $(srcdir)/examples/zlib/zlib.yaml >$@.yaml && \
	cd examples/zlib && $(FLEXOS_LINK_INTREE) -c $(@F).yaml -o $(@F) app.o $(ZLIB_A)

ZLIB_IMAGES = examples/zlib/zlib-none examples/zlib/zlib-process examples/zlib/zlib-mpk
CLEANFILES += examples/zlib/app.o $(ZLIB_IMAGES) \
	examples/zlib/zlib-none.yaml examples/zlib/zlib-process.yaml examples/zlib/zlib-mpk.yaml
EXTRA_DIST += examples/zlib/app.c examples/zlib/zlib.yaml examples/zlib/local.mk \
	examples/zlib/zlib-newlib.yaml examples/zlib/build-newlib.sh

# Installed as a user gets it: built with examples/zlib/Makefile.
zlibexdir = $(docdir)/examples/zlib
dist_zlibex_DATA = examples/zlib/app.c examples/zlib/zlib.yaml examples/zlib/Makefile
