# MPK backend tests (included from backends/mpk/local.mk). The images are
# linked with the flexos-link just built; vm.sh runs them in one boot of
# the emulated-PKU VM (tests/vm/run), or natively on a host with PKU.
check_LIBRARIES = tests/mpk/libmpkattack1.a tests/mpk/libmpkattack2.a tests/mpk/libmpksysattack.a
tests_mpk_libmpkattack1_a_SOURCES = tests/mpk/attacklib.c tests/mpk/attacklib.h
tests_mpk_libmpkattack1_a_CPPFLAGS = $(AM_CPPFLAGS) -DLIB=1
tests_mpk_libmpkattack1_a_CFLAGS = $(AM_CFLAGS) -fPIE
tests_mpk_libmpkattack2_a_SOURCES = tests/mpk/attacklib.c tests/mpk/attacklib.h
tests_mpk_libmpkattack2_a_CPPFLAGS = $(AM_CPPFLAGS) -DLIB=2
tests_mpk_libmpkattack2_a_CFLAGS = $(AM_CFLAGS) -fPIE

# The system-call attacker (compartment 'evil' of tests/mpk/syscalls).
tests_mpk_libmpksysattack_a_SOURCES = tests/mpk/sysattack.c tests/mpk/sysattack.h
tests_mpk_libmpksysattack_a_CFLAGS = $(AM_CFLAGS) -fPIE

MPK_LINK_DEPS = flexos-link$(EXEEXT) libflexos.a libflexos-mpk.a

# The MPK test images' own objects (their application's inputs), position-independent.
ATTACK_CC = $(MKDIR_P) tests/mpk && $(COMPILE) -fPIE -c -o $@

tests/mpk/attack.o: tests/mpk/attack.c tests/mpk/attacklib.h tests/mpk/singlestep.h tests/mpk/reportstack.h tests/mpk/lookjump.h tests/mpk/gotlibc.h tests/mpk/gatepush.h tests/mpk/stackaim.h tests/mpk/looksignal.h tests/mpk/reportleak.h tests/mpk/sigsched.h tests/mpk/carryback.h tests/mpk/gotelevated.h tests/mpk/gateglibc.h tests/mpk/unwindwrite.h tests/mpk/hdrforge.h tests/mpk/reportframe.h tests/mpk/reportcanary.h tests/mpk/reportlend.h tests/mpk/reportblock.h include/flexos/flexos.h
	$(AM_V_CC)$(ATTACK_CC) $(srcdir)/tests/mpk/attack.c

# attack --sched-record (schedrecord.o): the application on the scheduler.
tests/mpk/schedrecord.o: tests/mpk/schedrecord.c tests/mpk/schedrecord.h tests/mpk/singlestep.h backends/mpk/mpk.h \
		src/sched/sched_impl.h include/flexos/sched.h
	$(AM_V_CC)$(ATTACK_CC) $(srcdir)/tests/mpk/schedrecord.c
# The instruction counts' tracer (singlestep.o), which both count.
tests/mpk/singlestep.o: tests/mpk/singlestep.c tests/mpk/singlestep.h
	$(AM_V_CC)$(ATTACK_CC) $(srcdir)/tests/mpk/singlestep.c
# attack --symbols-forge (symforge.o): the runtime's read-only state.
tests/mpk/symforge.o: tests/mpk/symforge.c tests/mpk/symforge.h tests/mpk/attacklib.h \
		src/runtime/runtime.h include/flexos/symbols.h
	$(AM_V_CC)$(ATTACK_CC) $(srcdir)/tests/mpk/symforge.c
# attack --report-stack (reportstack.o): lib1 corrupts its stack and faults.
tests/mpk/reportstack.o: tests/mpk/reportstack.c tests/mpk/reportstack.h tests/mpk/attacklib.h \
		include/flexos/flexos.h
	$(AM_V_CC)$(ATTACK_CC) $(srcdir)/tests/mpk/reportstack.c
# attack --look-jump (lookjump.o): a jump into urec_new's or urec_first's second opening.
tests/mpk/lookjump.o: tests/mpk/lookjump.c tests/mpk/lookjump.h tests/mpk/attacklib.h tests/mpk/evil.h \
		backends/mpk/mpk.h src/sched/sched_impl.h include/flexos/sched.h
	$(AM_V_CC)$(ATTACK_CC) $(srcdir)/tests/mpk/lookjump.c
# attack --got-libc (gotlibc.o): the C library's own PLT slots (limit 1).
tests/mpk/gotlibc.o: tests/mpk/gotlibc.c tests/mpk/gotlibc.h tests/mpk/attacklib.h tests/mpk/evil.h \
		include/flexos/flexos.h
	$(AM_V_CC)$(ATTACK_CC) $(srcdir)/tests/mpk/gotlibc.c
# attack --gate-push (gatepush.o): the gate's pushes on the caller's stack.
tests/mpk/gatepush.o: tests/mpk/gatepush.c tests/mpk/gatepush.h tests/mpk/attacklib.h tests/mpk/evil.h \
		backends/mpk/mpk.h include/flexos/flexos.h
	$(AM_V_CC)$(ATTACK_CC) $(srcdir)/tests/mpk/gatepush.c
# attack --stack-aim (stackaim.o): where a shared-stack callee's frames go (limit 11).
tests/mpk/stackaim.o: tests/mpk/stackaim.c tests/mpk/stackaim.h tests/mpk/attacklib.h backends/mpk/mpk.h \
		include/flexos/flexos.h
	$(AM_V_CC)$(ATTACK_CC) $(srcdir)/tests/mpk/stackaim.c
# attack --look-signal (looksignal.o): a handler left in urec_first's look.
tests/mpk/looksignal.o: tests/mpk/looksignal.c tests/mpk/looksignal.h tests/mpk/signalat.h tests/mpk/attacklib.h \
		backends/mpk/mpk.h src/sched/sched_impl.h include/flexos/sched.h
	$(AM_V_CC)$(ATTACK_CC) $(srcdir)/tests/mpk/looksignal.c
# attack --report-leak (reportleak.o): unwind rules a compartment registers (limit 12).
tests/mpk/reportleak.o: tests/mpk/reportleak.c tests/mpk/reportleak.h tests/mpk/leakrules.h tests/mpk/attacklib.h \
		include/flexos/flexos.h
	$(AM_V_CC)$(ATTACK_CC) $(srcdir)/tests/mpk/reportleak.c
# attack --sig-sched (sigsched.o): signal snapshots of user-level threads.
tests/mpk/sigsched.o: tests/mpk/sigsched.c tests/mpk/sigsched.h tests/mpk/attacklib.h tests/mpk/evil.h \
		backends/mpk/mpk.h include/flexos/sched.h
	$(AM_V_CC)$(ATTACK_CC) $(srcdir)/tests/mpk/sigsched.c
# attack --carry-back (carryback.o): the private gate's two ways back (limit 11).
tests/mpk/carryback.o: tests/mpk/carryback.c tests/mpk/carryback.h tests/mpk/signalat.h tests/mpk/attacklib.h tests/mpk/evil.h \
		backends/mpk/mpk.h include/flexos/flexos.h
	$(AM_V_CC)$(ATTACK_CC) $(srcdir)/tests/mpk/carryback.c
# attack --got-elevated (gotelevated.o): slots the runtime's own code follows (limit 1).
tests/mpk/gotelevated.o: tests/mpk/gotelevated.c tests/mpk/gotelevated.h tests/mpk/gotslot.h tests/mpk/attacklib.h \
		tests/mpk/evil.h backends/mpk/mpk.h include/flexos/flexos.h
	$(AM_V_CC)$(ATTACK_CC) $(srcdir)/tests/mpk/gotelevated.c
# attack --gate-glibc (gateglibc.o): the thread's descriptor the C library follows (limit 1).
tests/mpk/gateglibc.o: tests/mpk/gateglibc.c tests/mpk/gateglibc.h tests/mpk/gotslot.h tests/mpk/signalat.h \
		tests/mpk/attacklib.h tests/mpk/evil.h backends/mpk/mpk.h include/flexos/flexos.h
	$(AM_V_CC)$(ATTACK_CC) $(srcdir)/tests/mpk/gateglibc.c
# attack --unwind-write (unwindwrite.o): the report's unwinder's registered frames (limit 12).
tests/mpk/unwindwrite.o: tests/mpk/unwindwrite.c tests/mpk/unwindwrite.h tests/mpk/attacklib.h \
		tests/mpk/evil.h backends/mpk/mpk.h include/flexos/flexos.h
	$(AM_V_CC)$(ATTACK_CC) $(srcdir)/tests/mpk/unwindwrite.c
# attack --hdr-forge (hdrforge.o): a shared library's unwind table (limit 12).
tests/mpk/hdrforge.o: tests/mpk/hdrforge.c tests/mpk/hdrforge.h tests/mpk/leakrules.h tests/mpk/attacklib.h \
		include/flexos/flexos.h
	$(AM_V_CC)$(ATTACK_CC) $(srcdir)/tests/mpk/hdrforge.c
# attack --report-frame (reportframe.o): the report's reads the faulting compartment steers (limit 12).
tests/mpk/reportframe.o: tests/mpk/reportframe.c tests/mpk/reportframe.h tests/mpk/signalat.h \
		tests/mpk/attacklib.h backends/mpk/mpk.h include/flexos/flexos.h
	$(AM_V_CC)$(ATTACK_CC) $(srcdir)/tests/mpk/reportframe.c
# attack --report-canary (reportcanary.o): the report's calls through the C library (limit 1).
tests/mpk/reportcanary.o: tests/mpk/reportcanary.c tests/mpk/reportcanary.h tests/mpk/gotslot.h tests/mpk/signalat.h \
		tests/mpk/attacklib.h backends/mpk/mpk.h include/flexos/flexos.h
	$(AM_V_CC)$(ATTACK_CC) $(srcdir)/tests/mpk/reportcanary.c
# attack --report-lend (reportlend.o): the lend arena's records, which the report names (limit 15).
tests/mpk/reportlend.o: tests/mpk/reportlend.c tests/mpk/reportlend.h tests/mpk/attacklib.h \
		src/runtime/runtime.h include/flexos/flexos.h include/flexos/image.h
	$(AM_V_CC)$(ATTACK_CC) $(srcdir)/tests/mpk/reportlend.c
# attack --report-block (reportblock.o): a standard error the report cannot write.
tests/mpk/reportblock.o: tests/mpk/reportblock.c tests/mpk/reportblock.h tests/mpk/attacklib.h \
		include/flexos/flexos.h
	$(AM_V_CC)$(ATTACK_CC) $(srcdir)/tests/mpk/reportblock.c
# The search for a shared library's writable code pointer (gotslot.o), for two of them.
tests/mpk/gotslot.o: tests/mpk/gotslot.c tests/mpk/gotslot.h
	$(AM_V_CC)$(ATTACK_CC) $(srcdir)/tests/mpk/gotslot.c
# The unwind rules that leak a word through the report (leakrules.o), for two of them.
tests/mpk/leakrules.o: tests/mpk/leakrules.c tests/mpk/leakrules.h
	$(AM_V_CC)$(ATTACK_CC) $(srcdir)/tests/mpk/leakrules.c
# The tracer that stops a thread at an instruction (signalat.o), for three of them.
tests/mpk/signalat.o: tests/mpk/signalat.c tests/mpk/signalat.h
	$(AM_V_CC)$(ATTACK_CC) $(srcdir)/tests/mpk/signalat.c
ATTACK_OBJS = tests/mpk/attack.o tests/mpk/schedrecord.o tests/mpk/singlestep.o tests/mpk/symforge.o \
	tests/mpk/reportstack.o tests/mpk/lookjump.o tests/mpk/gotlibc.o tests/mpk/gatepush.o \
	tests/mpk/looksignal.o tests/mpk/reportleak.o tests/mpk/sigsched.o tests/mpk/carryback.o \
	tests/mpk/gotelevated.o tests/mpk/unwindwrite.o tests/mpk/signalat.o tests/mpk/hdrforge.o \
	tests/mpk/leakrules.o tests/mpk/reportframe.o tests/mpk/reportcanary.o tests/mpk/reportlend.o \
	tests/mpk/reportblock.o tests/mpk/gotslot.o tests/mpk/gateglibc.o tests/mpk/stackaim.o
ATTACK_SCHED = libflexos-sched.a

tests/mpk/attack: tests/mpk/attack.yaml $(ATTACK_OBJS) $(check_LIBRARIES) $(MPK_LINK_DEPS) $(ATTACK_SCHED)
	$(AM_V_GEN)$(FLEXOS_LINK_INTREE) -c $(srcdir)/tests/mpk/attack.yaml -o $@ \
		$(ATTACK_OBJS) tests/mpk/libmpkattack1.a tests/mpk/libmpkattack2.a $(ATTACK_SCHED) -lpthread

# The same objects with shared stacks: every compartment says 'stack: shared'.
tests/mpk/attack-shared.yaml: tests/mpk/attack.yaml
	$(AM_V_GEN)$(MKDIR_P) tests/mpk && \
		awk '{ print } /mechanism: intel-mpk/ { print "  stack: shared" }' \
		$(srcdir)/tests/mpk/attack.yaml >$@

tests/mpk/attack-shared: tests/mpk/attack-shared.yaml $(ATTACK_OBJS) $(check_LIBRARIES) $(MPK_LINK_DEPS) $(ATTACK_SCHED)
	$(AM_V_GEN)$(FLEXOS_LINK_INTREE) -c tests/mpk/attack-shared.yaml -o $@ \
		$(ATTACK_OBJS) tests/mpk/libmpkattack1.a tests/mpk/libmpkattack2.a $(ATTACK_SCHED) -lpthread

# The same with lib2 lending (a lend arena mapped): attack --report-lend.
tests/mpk/attack-lend.yaml: tests/mpk/attack.yaml
	$(AM_V_GEN)$(MKDIR_P) tests/mpk && \
		awk '/^- lib2: lib2/ { l2 = 1 } !(l2 && /lend: none/) { print }' \
		$(srcdir)/tests/mpk/attack.yaml >$@

tests/mpk/attack-lend: tests/mpk/attack-lend.yaml $(ATTACK_OBJS) $(check_LIBRARIES) $(MPK_LINK_DEPS) $(ATTACK_SCHED)
	$(AM_V_GEN)$(FLEXOS_LINK_INTREE) -c tests/mpk/attack-lend.yaml -o $@ \
		$(ATTACK_OBJS) tests/mpk/libmpkattack1.a tests/mpk/libmpkattack2.a $(ATTACK_SCHED) -lpthread

# The hello example, isolated with intel-mpk.
tests/mpk/two-mpk.yaml: examples/hello/two.yaml
	$(AM_V_GEN)$(MKDIR_P) tests/mpk && \
		sed 's/mechanism: none/mechanism: intel-mpk/' $(srcdir)/examples/hello/two.yaml >$@

tests/mpk/hello-mpk: tests/mpk/two-mpk.yaml examples/hello/app.o examples/hello/libsecret.a $(MPK_LINK_DEPS)
	$(AM_V_GEN)$(FLEXOS_LINK_INTREE) -c tests/mpk/two-mpk.yaml -o $@ \
		examples/hello/app.o examples/hello/libsecret.a

tests/mpk/syscalls.o: tests/mpk/syscalls.c tests/mpk/sysattack.h
	$(AM_V_CC)$(ATTACK_CC) $(srcdir)/tests/mpk/syscalls.c

tests/mpk/syscalls: tests/mpk/syscalls.yaml tests/mpk/syscalls.o tests/mpk/libmpksysattack.a libflexos-sched.a $(MPK_LINK_DEPS)
	$(AM_V_GEN)$(FLEXOS_LINK_INTREE) -c $(srcdir)/tests/mpk/syscalls.yaml -o $@ \
		tests/mpk/syscalls.o tests/mpk/libmpksysattack.a libflexos-sched.a -lpthread

MPK_IMAGES = tests/mpk/attack tests/mpk/attack-shared tests/mpk/attack-lend tests/mpk/hello-mpk \
	tests/mpk/syscalls
# A plain program (not an image): does the kernel write signal frames on a keyed stack?
check_PROGRAMS += tests/mpk/sigframe-probe
# Another plain program: runs an image where mseal(2) fails with EPERM (a container's filter).
check_PROGRAMS += tests/mpk/deny-mseal
tests/mpk/vm.log: $(MPK_IMAGES) examples/hello/hello-two tests/mpk/sigframe-probe tests/mpk/deny-mseal
tests/mpk/vm-nofsgsbase.log: tests/mpk/attack tests/sched/sched-mpk
tests/mpk/no-pku.log: tests/mpk/hello-mpk
tests/mpk/syscalls.log: tests/mpk/syscalls tests/mpk/attack tests/sched/sched-mpk
tests/mpk/vm-race.log: tests/mpk/attack tests/mpk/syscalls tests/mpk/attack-lend

SH_TESTS += tests/mpk/no-pku.sh tests/mpk/vm.sh tests/mpk/syscalls.sh tests/mpk/vm-nofsgsbase.sh \
	tests/mpk/keys.sh tests/mpk/vm-race.sh
CLEANFILES += tests/mpk/attack.o tests/mpk/schedrecord.o tests/mpk/singlestep.o tests/mpk/symforge.o tests/mpk/reportstack.o tests/mpk/lookjump.o tests/mpk/gotlibc.o tests/mpk/gatepush.o tests/mpk/stackaim.o tests/mpk/looksignal.o tests/mpk/reportleak.o tests/mpk/sigsched.o tests/mpk/carryback.o tests/mpk/gotelevated.o tests/mpk/gateglibc.o tests/mpk/unwindwrite.o tests/mpk/signalat.o tests/mpk/hdrforge.o tests/mpk/leakrules.o tests/mpk/reportframe.o tests/mpk/reportcanary.o tests/mpk/reportlend.o tests/mpk/reportblock.o tests/mpk/gotslot.o tests/mpk/syscalls.o tests/mpk/two-mpk.yaml tests/mpk/attack-shared.yaml tests/mpk/attack-lend.yaml $(MPK_IMAGES)
EXTRA_DIST += tests/mpk/attack.yaml tests/mpk/attack.c tests/mpk/schedrecord.c tests/mpk/schedrecord.h tests/mpk/singlestep.c tests/mpk/singlestep.h tests/mpk/symforge.c tests/mpk/symforge.h tests/mpk/reportstack.c tests/mpk/reportstack.h tests/mpk/lookjump.c tests/mpk/lookjump.h tests/mpk/gotlibc.c tests/mpk/gotlibc.h tests/mpk/gatepush.c tests/mpk/gatepush.h tests/mpk/stackaim.c tests/mpk/stackaim.h tests/mpk/looksignal.c tests/mpk/looksignal.h tests/mpk/reportleak.c tests/mpk/reportleak.h tests/mpk/sigsched.c tests/mpk/sigsched.h tests/mpk/carryback.c tests/mpk/carryback.h tests/mpk/gotelevated.c tests/mpk/gotelevated.h tests/mpk/gateglibc.c tests/mpk/gateglibc.h tests/mpk/unwindwrite.c tests/mpk/unwindwrite.h tests/mpk/signalat.c tests/mpk/signalat.h tests/mpk/hdrforge.c tests/mpk/hdrforge.h tests/mpk/reportframe.c tests/mpk/reportframe.h tests/mpk/reportcanary.c tests/mpk/reportcanary.h tests/mpk/reportlend.c tests/mpk/reportlend.h tests/mpk/reportblock.c tests/mpk/reportblock.h tests/mpk/gotslot.c tests/mpk/gotslot.h tests/mpk/leakrules.c tests/mpk/leakrules.h tests/mpk/evil.h tests/mpk/syscalls.yaml tests/mpk/syscalls.c
