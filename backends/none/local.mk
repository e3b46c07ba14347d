# The none backend: plain function calls.
lib_LIBRARIES += libflexos-none.a
libflexos_none_a_SOURCES = backends/none/none.c backends/none/gate.S
libflexos_none_a_CPPFLAGS = $(AM_CPPFLAGS) -DFLEXOS_IMAGE_CODE -I$(top_srcdir)/src/runtime
libflexos_none_a_CFLAGS = $(AM_CFLAGS) -fPIE
pkgconfig_DATA += pkgconfig/flexos-none.pc
CLEANFILES += pkgconfig/flexos-none.pc
pkgconfig/flexos-none.pc: $(FLEXOS_BACKEND_PC_DEPS)
	$(FLEXOS_BACKEND_PC) none 'compartments linked with plain calls'
