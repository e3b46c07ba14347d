# Tests of the process backend: real images, run natively. Included by
# backends/process/local.mk.
SH_TESTS += \
	tests/process/hello.sh \
	tests/process/attack.sh \
	tests/process/gates.sh \
	tests/process/crash.sh \
	tests/process/orphans.sh \
	tests/process/robust.sh \
	tests/process/heap.sh \
	tests/process/policy.sh \
	tests/process/check-pointers.sh \
	tests/process/checkpoint.sh
EXTRA_DIST += \
	tests/process/tlib.c \
	tests/process/tlib.h \
	tests/process/tapp.c \
	tests/process/three.yaml \
	tests/process/ptrapp.c \
	tests/process/ptrlib.c \
	tests/process/pointers.yaml \
	tests/process/pointers-sandbox.yaml \
	tests/process/restart.yaml \
	tests/process/checkpoint.yaml \
	tests/process/ckapp.c \
	tests/process/cklib.c \
	tests/process/cklib.h \
	tests/process/README.md \
	tests/process/policy.sh \
	tests/process/policy
