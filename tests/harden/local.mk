# Included by src/harden/local.mk. The hardening runtimes against a
# library with planted bugs: under none and process natively (harden.sh),
# under intel-mpk in the VM (vm.sh).
SH_TESTS += tests/harden/harden.sh tests/harden/vm.sh tests/harden/newlib.sh
EXTRA_DIST += tests/harden/buggy.c tests/harden/buggy.h tests/harden/app.c \
	tests/harden/canary.c tests/harden/canary-app.c \
	tests/harden/images.sh tests/harden/forge.c tests/harden/forge-app.c

# newlib.sh: hardened newlib compartments; skips without newlib.
tests/harden/newlib.log: tests/newlib/config.sh $(TESTS_HARDEN_NEWLIB_DEPS)
