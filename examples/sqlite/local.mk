# The SQLite example: Debian's unmodified libsqlite3.a in a compartment of
# its own, linked once per mechanism (sqlite-none, sqlite-process,
# sqlite-mpk). Included from examples/local.mk; tests/integration/unmodified.sh
# runs the images, bench/sqlite/run times them.
SQLITE_A = `$(CC) -print-file-name=libsqlite3.a`

examples/sqlite/app.o: examples/sqlite/app.c include/flexos/flexos.h
	$(AM_V_CC)$(MKDIR_P) examples/sqlite && $(COMPILE) -O2 -fPIE -c -o $@ $(srcdir)/examples/sqlite/app.c

examples/sqlite/sqlite-none examples/sqlite/sqlite-process examples/sqlite/sqlite-mpk: \
		examples/sqlite/sqlite.yaml examples/sqlite/app.o $(EXAMPLE_DEPS)
	$(AM_V_GEN)m=$(@:examples/sqlite/sqlite-%=%); [ $$m = mpk ] && m=intel-mpk; \
	sed "s/mechanism: none/mechanism: $$m/" $(srcdir)/examples/sqlite/sqlite.yaml >$@.yaml && \
	cd examples/sqlite && $(FLEXOS_LINK_INTREE) -c $(@F).yaml -o $(@F) app.o $(SQLITE_A) -lm

# The plain program, without libflexos, for bench/sqlite.
examples/sqlite/sqlite-plain: examples/sqlite/app.c
	$(AM_V_CCLD)$(MKDIR_P) examples/sqlite && $(CC) $(CFLAGS) -O2 -DFLEXOS_PLAIN -o $@ \
		$(srcdir)/examples/sqlite/app.c $(SQLITE_A) -lm

SQLITE_IMAGES = examples/sqlite/sqlite-none examples/sqlite/sqlite-process \
	examples/sqlite/sqlite-mpk
CLEANFILES += examples/sqlite/app.o $(SQLITE_IMAGES) examples/sqlite/sqlite-plain \
	examples/sqlite/sqlite-none.yaml examples/sqlite/sqlite-process.yaml examples/sqlite/sqlite-mpk.yaml
EXTRA_DIST += examples/sqlite/app.c examples/sqlite/sqlite.yaml examples/sqlite/local.mk

# Installed as a user gets it: built with examples/sqlite/Makefile.
sqliteexdir = $(docdir)/examples/sqlite
dist_sqliteex_DATA = examples/sqlite/app.c examples/sqlite/sqlite.yaml examples/sqlite/Makefile
