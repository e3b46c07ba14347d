# The kvserver example (examples/kvserver/README.md): a Redis-protocol
# key-value server. kvserver-linux is the plain program on the kernel's
# sockets (the baseline); the kvserver-* images run the same server on
# lwIP's sockets, linked by flexos-link from one.yaml, lwip.yaml and
# lwip-sched.yaml, once per mechanism. Included from examples/local.mk;
# tests/kvserver/ runs them, bench/kvserver/run times them.
KVSERVER_SRC = examples/kvserver/server.c examples/kvserver/resp.c examples/kvserver/resp.h \
	examples/kvserver/store.c examples/kvserver/store.h examples/kvserver/net.h
KVSERVER_CFLAGS = $(AM_CFLAGS) -std=gnu11 -O2

noinst_PROGRAMS += examples/kvserver/kvserver-linux
examples_kvserver_kvserver_linux_SOURCES = $(KVSERVER_SRC) examples/kvserver/net-linux.c
examples_kvserver_kvserver_linux_CFLAGS = $(KVSERVER_CFLAGS)

# The objects of the images: position-independent, lwIP's headers.
KVSERVER_OBJS = examples/kvserver/server.o examples/kvserver/resp.o examples/kvserver/store.o \
	examples/kvserver/net-lwip.o
$(KVSERVER_OBJS): $(KVSERVER_SRC) examples/kvserver/net-lwip.c include/flexos/flexos.h \
		include/flexos/lwip.h
	$(AM_V_CC)$(MKDIR_P) examples/kvserver && $(COMPILE) $(KVSERVER_CFLAGS) $(LWIP_CFLAGS) \
		-fPIE -c -o $@ $(srcdir)/$(@:.o=.c)

# lwIP on pthreads (liblwip's sys_arch), or on the scheduler component.
KVSERVER_LINK_PTHREAD = $(KVSERVER_OBJS) libflexos-lwip.a $(LWIP_LIBS) -lpthread
KVSERVER_LINK_SCHED = $(KVSERVER_OBJS) libflexos-lwip.a -Wl,-u,flexos__lwip_sched \
	libflexos-lwip-sched.a libflexos-sched.a $(LWIP_LIBS) -lpthread
KVSERVER_DEPS = $(KVSERVER_OBJS) $(EXAMPLE_DEPS) libflexos-lwip.a libflexos-lwip-sched.a \
	libflexos-sched.a
# The config with every 'mechanism: none' replaced by $$m.
KVSERVER_YAML = sed "s/mechanism: none/mechanism: $$m/" $(srcdir)/examples/kvserver/$$cfg.yaml >$@.yaml

# kvserver-one: everything in one compartment (none); -sched: on the scheduler.
examples/kvserver/kvserver-one: examples/kvserver/one.yaml $(KVSERVER_DEPS)
	$(AM_V_GEN)$(FLEXOS_LINK_INTREE) -c $(srcdir)/examples/kvserver/one.yaml -o $@ \
		$(KVSERVER_LINK_PTHREAD)
examples/kvserver/kvserver-one-sched: examples/kvserver/one.yaml $(KVSERVER_DEPS)
	$(AM_V_GEN)$(FLEXOS_LINK_INTREE) -c $(srcdir)/examples/kvserver/one.yaml -o $@ \
		$(KVSERVER_LINK_SCHED)

# kvserver-lwip-MECH: lwIP isolated, on pthreads.
examples/kvserver/kvserver-lwip-none examples/kvserver/kvserver-lwip-process \
examples/kvserver/kvserver-lwip-mpk: examples/kvserver/lwip.yaml $(KVSERVER_DEPS)
	$(AM_V_GEN)m=$(@:examples/kvserver/kvserver-lwip-%=%); [ $$m = mpk ] && m=intel-mpk; \
	cfg=lwip; $(KVSERVER_YAML) && \
	$(FLEXOS_LINK_INTREE) -c $@.yaml -o $@ $(KVSERVER_LINK_PTHREAD)

# kvserver-sched-MECH: lwIP and its scheduler glue isolated from the app.
examples/kvserver/kvserver-sched-none examples/kvserver/kvserver-sched-process \
examples/kvserver/kvserver-sched-mpk: examples/kvserver/lwip-sched.yaml $(KVSERVER_DEPS)
	$(AM_V_GEN)m=$(@:examples/kvserver/kvserver-sched-%=%); [ $$m = mpk ] && m=intel-mpk; \
	cfg=lwip-sched; $(KVSERVER_YAML) && \
	$(FLEXOS_LINK_INTREE) -c $@.yaml -o $@ $(KVSERVER_LINK_SCHED)

KVSERVER_IMAGES = examples/kvserver/kvserver-one examples/kvserver/kvserver-one-sched \
	examples/kvserver/kvserver-lwip-none examples/kvserver/kvserver-lwip-process \
	examples/kvserver/kvserver-sched-none examples/kvserver/kvserver-sched-process
KVSERVER_MPK_IMAGES = examples/kvserver/kvserver-lwip-mpk examples/kvserver/kvserver-sched-mpk
CLEANFILES += $(KVSERVER_OBJS) $(KVSERVER_IMAGES) $(KVSERVER_MPK_IMAGES) \
	examples/kvserver/kvserver-lwip-none.yaml examples/kvserver/kvserver-lwip-process.yaml \
	examples/kvserver/kvserver-lwip-mpk.yaml examples/kvserver/kvserver-sched-none.yaml \
	examples/kvserver/kvserver-sched-process.yaml examples/kvserver/kvserver-sched-mpk.yaml
EXTRA_DIST += examples/kvserver/local.mk examples/kvserver/README.md \
	examples/kvserver/net-lwip.c examples/kvserver/one.yaml examples/kvserver/lwip.yaml \
	examples/kvserver/lwip-sched.yaml

# Installed as a user gets it: built with examples/kvserver/Makefile.
kvserverexdir = $(docdir)/examples/kvserver
dist_kvserverex_DATA = examples/kvserver/Makefile examples/kvserver/README.md \
	examples/kvserver/server.c examples/kvserver/resp.c examples/kvserver/resp.h \
	examples/kvserver/store.c examples/kvserver/store.h examples/kvserver/net.h \
	examples/kvserver/net-linux.c examples/kvserver/net-lwip.c examples/kvserver/one.yaml \
	examples/kvserver/lwip.yaml examples/kvserver/lwip-sched.yaml
