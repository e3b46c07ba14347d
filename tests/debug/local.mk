# Debugging across gates: symbolized fault reports, unwinding through
# gates, the gdb extension. Included by tests/local.mk.
SH_TESTS += tests/debug/backtrace.sh tests/debug/gdb.sh
EXTRA_DIST += \
	tests/debug/bt.h \
	tests/debug/images.sh \
	tests/debug/bt.yaml \
	tests/debug/btapp.c \
	tests/debug/mid.c \
	tests/debug/leaf.c
# gdb.sh runs gdb on the intel-mpk attack image in the VM.
tests/debug/gdb.log: tests/mpk/attack
