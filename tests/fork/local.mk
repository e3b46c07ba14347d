# fork() of a compartmentalized image under every backend (intel-mpk in
# the VM). Included by tests/local.mk.
SH_TESTS += tests/fork/fork.sh
tests/fork/fork.log: flexos-link$(EXEEXT) libflexos.a $(lib_LIBRARIES)
EXTRA_DIST += tests/fork/local.mk tests/fork/fapp.c tests/fork/flib.c tests/fork/flib.h \
	tests/fork/fork.yaml
