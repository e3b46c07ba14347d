# lwIP images (included from src/lwip/local.mk): the echo server
# (echo.c) on pthreads and on the scheduler, in one compartment and with
# lwIP isolated; echo.sh runs them in a network namespace of their own
# against client.c; vm.sh runs the intel-mpk ones in the test VM.
check_PROGRAMS += tests/lwip/client tests/lwip/mktap
tests_lwip_client_SOURCES = tests/lwip/client.c
tests_lwip_mktap_SOURCES = tests/lwip/mktap.c

tests/lwip/echo.o: tests/lwip/echo.c include/flexos/flexos.h include/flexos/lwip.h
	$(AM_V_CC)$(MKDIR_P) tests/lwip && $(COMPILE) $(LWIP_CFLAGS) -fPIE -c -o $@ \
		$(srcdir)/tests/lwip/echo.c

LWIP_PTHREAD_LINK = $(FLEXOS_LINK_INTREE) -o $@ tests/lwip/echo.o libflexos-lwip.a \
	$(LWIP_LIBS) -lpthread -c
# What pkg-config --libs flexos-lwip-sched gives, with the archives of this tree.
LWIP_SCHED_LINK = $(FLEXOS_LINK_INTREE) -o $@ tests/lwip/echo.o -L$(abs_top_builddir) \
	-Wl,-u,flexos__lwip_sched -lflexos-lwip-sched -lflexos-lwip $(LWIP_LIBS) -lpthread \
	-lflexos-sched -c
LWIP_LINK_DEPS = tests/lwip/echo.o flexos-link$(EXEEXT) libflexos.a libflexos-lwip.a \
	libflexos-lwip-sched.a libflexos-sched.a

LWIP_YAML = sed "s/mechanism: none/mechanism: $$m/" $(srcdir)/tests/lwip/net.yaml >$@
tests/lwip/net-none.yaml: tests/lwip/net.yaml
	$(AM_V_GEN)$(MKDIR_P) tests/lwip && m=none && $(LWIP_YAML)
tests/lwip/net-process.yaml: tests/lwip/net.yaml
	$(AM_V_GEN)$(MKDIR_P) tests/lwip && m=process && $(LWIP_YAML)
tests/lwip/net-mpk.yaml: tests/lwip/net.yaml
	$(AM_V_GEN)$(MKDIR_P) tests/lwip && m=intel-mpk && $(LWIP_YAML)

tests/lwip/echo-none-pthread: tests/lwip/one.yaml $(LWIP_LINK_DEPS) libflexos-none.a
	$(AM_V_GEN)$(LWIP_PTHREAD_LINK) $(srcdir)/tests/lwip/one.yaml
tests/lwip/echo-none-sched: tests/lwip/one.yaml $(LWIP_LINK_DEPS) libflexos-none.a
	$(AM_V_GEN)$(LWIP_SCHED_LINK) $(srcdir)/tests/lwip/one.yaml
tests/lwip/echo-net-none-sched: tests/lwip/net-none.yaml $(LWIP_LINK_DEPS) libflexos-none.a
	$(AM_V_GEN)$(LWIP_SCHED_LINK) tests/lwip/net-none.yaml
tests/lwip/echo-process-pthread: tests/lwip/net-process.yaml $(LWIP_LINK_DEPS) libflexos-process.a
	$(AM_V_GEN)$(LWIP_PTHREAD_LINK) tests/lwip/net-process.yaml
tests/lwip/echo-process-sched: tests/lwip/net-process.yaml $(LWIP_LINK_DEPS) libflexos-process.a
	$(AM_V_GEN)$(LWIP_SCHED_LINK) tests/lwip/net-process.yaml
tests/lwip/echo-mpk-pthread: tests/lwip/net-mpk.yaml $(LWIP_LINK_DEPS) libflexos-mpk.a
	$(AM_V_GEN)$(LWIP_PTHREAD_LINK) tests/lwip/net-mpk.yaml
tests/lwip/echo-mpk-sched: tests/lwip/net-mpk.yaml $(LWIP_LINK_DEPS) libflexos-mpk.a
	$(AM_V_GEN)$(LWIP_SCHED_LINK) tests/lwip/net-mpk.yaml

LWIP_IMAGES = tests/lwip/echo-none-pthread tests/lwip/echo-none-sched \
	tests/lwip/echo-net-none-sched tests/lwip/echo-process-pthread tests/lwip/echo-process-sched
LWIP_MPK_IMAGES = tests/lwip/echo-mpk-pthread tests/lwip/echo-mpk-sched
tests/lwip/echo.log: $(LWIP_IMAGES) tests/lwip/client$(EXEEXT)
tests/lwip/vm.log: $(LWIP_MPK_IMAGES) tests/lwip/client$(EXEEXT) tests/lwip/mktap$(EXEEXT)

SH_TESTS += tests/lwip/echo.sh tests/lwip/vm.sh
CLEANFILES += tests/lwip/echo.o tests/lwip/net-none.yaml tests/lwip/net-process.yaml \
	tests/lwip/net-mpk.yaml $(LWIP_IMAGES) $(LWIP_MPK_IMAGES)
EXTRA_DIST += tests/lwip/echo.c tests/lwip/one.yaml tests/lwip/net.yaml tests/lwip/vm-inner.sh

# The mailbox attack image (mboxapp.c, limit 13): app against a mailbox
# of lwIP's sys_arch on the scheduler, in compartment net. Run in the VM
# by tests/sched/vm-records.sh.
tests/lwip/mboxapp.o: tests/lwip/mboxapp.c tests/lwip/mboxnet.h include/flexos/flexos.h \
		include/flexos/sched.h
	$(AM_V_CC)$(MKDIR_P) tests/lwip && $(COMPILE) -fPIE -c -o $@ $(srcdir)/tests/lwip/mboxapp.c
tests/lwip/mboxnet.o: tests/lwip/mboxnet.c tests/lwip/mboxnet.h
	$(AM_V_CC)$(MKDIR_P) tests/lwip && $(COMPILE) $(LWIP_CFLAGS) -fPIE -c -o $@ \
		$(srcdir)/tests/lwip/mboxnet.c
tests/lwip/mbox-mpk: tests/lwip/mbox.yaml tests/lwip/mboxapp.o tests/lwip/mboxnet.o \
		flexos-link$(EXEEXT) libflexos.a libflexos-lwip-sched.a libflexos-sched.a libflexos-mpk.a
	$(AM_V_GEN)$(FLEXOS_LINK_INTREE) -o $@ tests/lwip/mboxapp.o tests/lwip/mboxnet.o \
		-L$(abs_top_builddir) -lflexos-lwip-sched -lflexos-sched -c $(srcdir)/tests/lwip/mbox.yaml
tests/sched/vm-records.log: tests/lwip/mbox-mpk
CLEANFILES += tests/lwip/mboxapp.o tests/lwip/mboxnet.o tests/lwip/mbox-mpk
EXTRA_DIST += tests/lwip/mboxapp.c tests/lwip/mboxnet.c tests/lwip/mboxnet.h tests/lwip/mbox.yaml
