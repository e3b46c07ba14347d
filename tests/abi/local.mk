# tests/abi: every class of the calling convention across a gate, compared
# with a plain build: none and process (abi.sh), intel-mpk in the VM
# (vm.sh). Included from tests/local.mk after tests/integration/local.mk.
SH_TESTS += tests/abi/abi.sh tests/abi/vm.sh
tests/abi/abi.log: $(UNMODIFIED_DEPS)
tests/abi/vm.log: $(UNMODIFIED_DEPS) tests/newlib/config.sh $(TESTS_NEWLIB_DEPS)
EXTRA_DIST += tests/abi/local.mk tests/abi/lib.sh tests/abi/abi.sh tests/abi/vm.sh \
	tests/abi/abi.yaml tests/abi/abiapp.c tests/abi/abilib.c tests/abi/abilib.h
