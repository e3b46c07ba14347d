# Included by src/harden/local.mk. The hardening runtimes against a library with planted bugs.
SH_TESTS += tests/harden/harden.sh
EXTRA_DIST += tests/harden/buggy.c tests/harden/buggy.h tests/harden/app.c
