# Tests: one Check runner for the unit suites (tests/check_<module>.c),
# and shell scripts that link and run real images (tests/integration/ and
# the others). The shell tests print TAP (tests/lib/testlib.sh), read by
# Automake's TAP driver: every case is counted and shown in
# test-suite.log. The driver takes any exit status but 0 for an error, so
# a script with every case skipped exits 0 here (TESTLIB_SKIP_STATUS) and
# says so in its plan ("1..0 # SKIP"). tests/check_flexos keeps the
# default driver.
TEST_EXTENSIONS = .sh
SH_LOG_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
AM_TESTS_ENVIRONMENT = \
	top_srcdir='$(abs_top_srcdir)'; top_builddir='$(abs_top_builddir)'; \
	FLEXOS_LIBDIR='$(abs_top_builddir)'; TESTLIB_SKIP_STATUS=0; \
	export top_srcdir top_builddir FLEXOS_LIBDIR TESTLIB_SKIP_STATUS;

if HAVE_CHECK
check_PROGRAMS += tests/check_flexos
TESTS += tests/check_flexos
tests_check_flexos_SOURCES = \
	tests/suites.h \
	tests/check_main.c \
	tests/check_config.c \
	tests/check_heap.c \
	tests/check_ldscript.c \
	tests/check_elf.c \
	tests/check_proto.c \
	tests/check_sched.c \
	tests/check_kvserver.c examples/kvserver/resp.c examples/kvserver/store.c \
	tests/link_fixture.h tests/link_fixture.c \
	tests/check_plan.c tests/check_xref.c \
	tests/check_explore.c \
	tests/check_seccomp.c backends/common/seccomp.c \
	tests/check_format.c \
	tests/check_ehcopy.c backends/mpk/ehcopy.c
# -iquote: tools/flexos-link/elf.h is "elf.h", never <elf.h> (link.h's).
tests_check_flexos_CPPFLAGS = $(AM_CPPFLAGS) -iquote $(top_srcdir)/tools/flexos-link \
	-I$(top_srcdir)/tools/flexos-explore -I$(top_srcdir)/src/sched \
	-I$(top_srcdir)/backends/common -I$(top_srcdir)/backends/mpk \
	-I$(top_srcdir)/src/runtime $(SECCOMP_CFLAGS) \
	-DBUILDDIR='"$(abs_top_builddir)"' -DSRCDIR='"$(abs_top_srcdir)"' $(CHECK_CFLAGS) $(YAML_CFLAGS) \
	$(DW_CFLAGS)
tests_check_flexos_LDADD = libflexos-explore.a libflexos-link.a libflexos.a $(CHECK_LIBS) $(YAML_LIBS) $(SECCOMP_LIBS) \
	$(DW_LIBS)
tests_check_flexos_LDADD += libflexos-sched.a
# The ELF tests read the hello example's objects.
EXTRA_tests_check_flexos_DEPENDENCIES = examples/hello/app.o examples/hello/libsecret.a
else
TESTS += tests/no-check.sh
endif

SH_TESTS += \
	tests/vm/selftest.sh \
	tests/integration/hello.sh \
	tests/integration/direct-gates.sh \
	tests/integration/link-errors.sh \
	tests/integration/pkru-scan.sh \
	tests/integration/protos.sh

check_SCRIPTS = $(HELLO_IMAGES)

# The shell tests, their library and their data (by directory).
TESTS += $(SH_TESTS)
EXTRA_DIST += $(SH_TESTS) tests/no-check.sh tests/lib tests/integration/data \
	tests/vm/README.md tests/vm/run tests/vm/setup tests/vm/selftest.c

# Unmodified libraries (automatic gates, sandboxes, examples).
include tests/integration/local.mk

# The calling convention across gates (tests/abi).
include tests/abi/local.mk

# The kvserver example in a network namespace (examples/kvserver).
include tests/kvserver/local.mk

# Fuzz harnesses and a bounded fuzz pass (tests/fuzz/).
include tests/fuzz/local.mk

# Symbolized fault reports, unwinding through gates, gdb.
include tests/debug/local.mk

# The corpus of unmodified Debian libraries: make corpus (opt-in).
include tests/corpus/local.mk
# fork() of an image under every backend (tests/fork/).
include tests/fork/local.mk
# Real Redis (examples/redis): skipped unless its source was fetched.
# tests/redis/fetch.sh fetches the source first where FLEXOS_FETCH=1 or CI=true.
SH_TESTS += tests/redis/fetch.sh tests/redis/smoke.sh tests/redis/mpk-vm.sh
tests/redis/fetch.log: flexos-link$(EXEEXT) libflexos.a $(lib_LIBRARIES)
tests/redis/smoke.log: tests/redis/fetch.log
tests/redis/smoke.log: flexos-link$(EXEEXT) libflexos.a $(lib_LIBRARIES)
# After smoke.sh: both build the images (make redis), which must not run twice at once.
tests/redis/mpk-vm.log: tests/redis/smoke.log
EXTRA_DIST += tests/redis/in-vm.sh tests/redis/lib.sh
# Containment of a faulty Lua (a test build: lua-fault.c), after mpk-vm.sh.
SH_TESTS += tests/redis/contain.sh tests/redis/units.sh
tests/redis/contain.log: tests/redis/mpk-vm.log
# Redis's own tests (a bounded subset), after the others: one Redis build at a time.
tests/redis/units.log: tests/redis/contain.log
EXTRA_DIST += tests/redis/lua-fault.c
EXTRA_DIST += tests/redis/units-vm.sh tests/redis/units-in-vm.sh
