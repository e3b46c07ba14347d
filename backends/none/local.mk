# The none backend: plain function calls.
lib_LIBRARIES += libflexos-none.a
libflexos_none_a_SOURCES = backends/none/none.c backends/none/gate.S
libflexos_none_a_CFLAGS = $(AM_CFLAGS) -fPIE
