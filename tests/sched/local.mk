# Scheduler images (included from src/sched/local.mk): the application and
# a library in two compartments, their threads switching while in
# different compartments. images.sh runs the none and process variants
# here; tests/mpk/vm.sh runs the intel-mpk one where PKU works.
noinst_LIBRARIES += tests/sched/libschedlib.a
tests_sched_libschedlib_a_SOURCES = tests/sched/schedlib.c tests/sched/schedlib.h
tests_sched_libschedlib_a_CFLAGS = $(AM_CFLAGS) -fPIE

SCHED_LINK = $(FLEXOS_LINK_INTREE) -o $@ tests/sched/schedapp.o tests/sched/libschedlib.a \
	libflexos-sched.a -c
SCHED_LINK_DEPS = tests/sched/schedapp.o tests/sched/libschedlib.a flexos-link$(EXEEXT) \
	libflexos.a libflexos-sched.a

tests/sched/schedapp.o: tests/sched/schedapp.c tests/sched/schedlib.h include/flexos/flexos.h \
		include/flexos/sched.h
	$(AM_V_CC)$(MKDIR_P) tests/sched && $(COMPILE) -fPIE -c -o $@ $(srcdir)/tests/sched/schedapp.c

# The same two compartments with each mechanism.
SCHED_YAML = sed "s/mechanism: none/mechanism: $$m/" $(srcdir)/tests/sched/sched.yaml >$@
tests/sched/sched-process.yaml: tests/sched/sched.yaml
	$(AM_V_GEN)$(MKDIR_P) tests/sched && m=process && $(SCHED_YAML)
tests/sched/sched-mpk.yaml: tests/sched/sched.yaml
	$(AM_V_GEN)$(MKDIR_P) tests/sched && m=intel-mpk && $(SCHED_YAML)

tests/sched/sched-none: tests/sched/sched.yaml $(SCHED_LINK_DEPS) libflexos-none.a
	$(AM_V_GEN)$(SCHED_LINK) $(srcdir)/tests/sched/sched.yaml
tests/sched/sched-process: tests/sched/sched-process.yaml $(SCHED_LINK_DEPS) libflexos-process.a
	$(AM_V_GEN)$(SCHED_LINK) tests/sched/sched-process.yaml
tests/sched/sched-mpk: tests/sched/sched-mpk.yaml $(SCHED_LINK_DEPS) libflexos-mpk.a
	$(AM_V_GEN)$(SCHED_LINK) tests/sched/sched-mpk.yaml

SCHED_IMAGES = tests/sched/sched-none tests/sched/sched-process tests/sched/sched-mpk
tests/sched/images.log: tests/sched/sched-none tests/sched/sched-process
tests/mpk/vm.log: tests/sched/sched-mpk

SH_TESTS += tests/sched/images.sh

# The switch's records under intel-mpk, attacked (tests/mpk/schedrecord.c), in the VM.
tests/sched/vm-records.log: tests/mpk/attack tests/mpk/attack-shared
SH_TESTS += tests/sched/vm-records.sh
CLEANFILES += tests/sched/schedapp.o tests/sched/sched-process.yaml tests/sched/sched-mpk.yaml \
	$(SCHED_IMAGES)
EXTRA_DIST += tests/sched/sched.yaml tests/sched/schedapp.c

# A new thread's first frame, rewritten by another compartment's OS thread
# while it is made (tests/mpk/schedrecord.c), in the VM with two CPUs.
tests/sched/vm-race.log: tests/mpk/attack
SH_TESTS += tests/sched/vm-race.sh
