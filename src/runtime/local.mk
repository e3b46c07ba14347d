# The runtime core: libflexos.a, shared by every backend.
lib_LIBRARIES += libflexos.a
libflexos_a_SOURCES = \
	src/runtime/runtime.h \
	src/runtime/heap.h \
	src/runtime/heap_fast.h \
	src/runtime/heap.c \
	src/runtime/start.c \
	src/runtime/call.S \
	src/runtime/shared.c \
	src/runtime/lend.c \
	src/runtime/introspect.c \
	src/runtime/shlib.c \
	src/runtime/say.c \
	src/runtime/format.c \
	src/runtime/symbols.c
libflexos_a_CFLAGS = $(AM_CFLAGS) -fPIE
libflexos_a_CPPFLAGS = $(AM_CPPFLAGS) -DFLEXOS_IMAGE_CODE
