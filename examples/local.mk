# Examples, built in the tree with the flexos-link just built. `make demo`
# runs the hello example isolated and attacked (examples/hello/demo.sh).
FLEXOS_LINK_INTREE = FLEXOS_LIBDIR=$(abs_top_builddir) $(abs_top_builddir)/flexos-link
EXAMPLE_DEPS = flexos-link$(EXEEXT) libflexos.a $(lib_LIBRARIES)

noinst_LIBRARIES += examples/hello/libsecret.a
examples_hello_libsecret_a_SOURCES = examples/hello/secretlib.c examples/hello/secretlib.h
examples_hello_libsecret_a_CFLAGS = $(AM_CFLAGS) -fPIE

examples/hello/app.o: examples/hello/app.c examples/hello/secretlib.h include/flexos/flexos.h
	$(AM_V_CC)$(COMPILE) -fPIE -c -o $@ $(srcdir)/examples/hello/app.c

examples/hello/hello-one: examples/hello/one.yaml examples/hello/app.o examples/hello/libsecret.a $(EXAMPLE_DEPS)
	$(AM_V_GEN)$(FLEXOS_LINK_INTREE) -c $(srcdir)/examples/hello/one.yaml -o $@ \
		examples/hello/app.o examples/hello/libsecret.a

examples/hello/hello-two: examples/hello/two.yaml examples/hello/app.o examples/hello/libsecret.a $(EXAMPLE_DEPS)
	$(AM_V_GEN)$(FLEXOS_LINK_INTREE) -c $(srcdir)/examples/hello/two.yaml -o $@ \
		examples/hello/app.o examples/hello/libsecret.a

# The same two compartments, isolated: for make demo.
examples/hello/hello-process examples/hello/hello-mpk: examples/hello/two.yaml \
		examples/hello/app.o examples/hello/libsecret.a $(EXAMPLE_DEPS)
	$(AM_V_GEN)m=$(@:examples/hello/hello-%=%); [ $$m = mpk ] && m=intel-mpk; \
	sed "s/mechanism: none/mechanism: $$m/" $(srcdir)/examples/hello/two.yaml >$@.yaml && \
	$(FLEXOS_LINK_INTREE) -c $@.yaml -o $@ examples/hello/app.o examples/hello/libsecret.a

HELLO_IMAGES = examples/hello/hello-one examples/hello/hello-two
HELLO_DEMO_IMAGES = examples/hello/hello-process examples/hello/hello-mpk
noinst_DATA = $(HELLO_IMAGES)
CLEANFILES += examples/hello/app.o $(HELLO_IMAGES) $(HELLO_DEMO_IMAGES) \
	examples/hello/hello-process.yaml examples/hello/hello-mpk.yaml
EXTRA_DIST += examples/hello/demo.sh

# The library isolated, then attacking the application: see demo.sh.
demo: $(HELLO_DEMO_IMAGES)
	@$(srcdir)/examples/hello/demo.sh $(abs_top_builddir) $(abs_top_srcdir)
.PHONY: demo

# Installed as a user gets them: build them with examples/hello/Makefile.
hellodir = $(docdir)/examples/hello
dist_hello_DATA = examples/hello/app.c examples/hello/secretlib.c examples/hello/secretlib.h \
	examples/hello/one.yaml examples/hello/two.yaml examples/hello/Makefile

# Unmodified Debian archives, isolated: SQLite and zlib.
include examples/sqlite/local.mk
include examples/zlib/local.mk

# A Redis-protocol server on the kernel's sockets and on lwIP (issue 5).
include examples/kvserver/local.mk

# Real Redis, its Lua isolated (issue 20): opt-in, `make redis`.
include examples/redis/local.mk
