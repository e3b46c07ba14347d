# The newlib component (docs/newlib.md): a private C library for a
# compartment. 'make' builds newlib once from Debian's newlib-source into
# the build tree (newlib/include, newlib/lib/libc.a and libm.a); the
# system-call glue, libflexos-newlib.a, is compiled against it;
# flexos-newlib.pc compiles code against it. The runtime's side of the
# glue (attach.c) is in libflexos.a, newlib or not.
libflexos_a_SOURCES += src/newlib/glue.h src/newlib/attach.h src/newlib/attach.c

# Removed by distclean only: rebuilding newlib takes minutes.
NEWLIB_BUILD_DIRS = newlib-src newlib-build newlib newlib.stamp newlib.config
distclean-local:
	-rm -rf $(NEWLIB_BUILD_DIRS)

install-data-local: $(NEWLIB_INSTALL_LOCAL)
uninstall-local: $(NEWLIB_UNINSTALL_LOCAL)

EXTRA_DIST += src/newlib/glue.c src/newlib/memalign.c src/newlib/linux.h pkgconfig/flexos-newlib.pc.in
dist_doc_DATA += docs/newlib.md

if ENABLE_NEWLIB
NEWLIB_TARGET = x86_64-elf
# The recipe verified in DESIGN.md, plus the printf and scanf formats that
# real libraries use (%zu, %lld, %Lf), and _STDIO_BSD_SEMANTICS: newlib's
# stream cleanup (the glue's fini) then flushes like glibc instead of
# closing descriptors 0, 1 and 2, which the whole process shares. newlib is
# third-party code: it gets its own flags, never FLEXOS_CFLAGS nor the
# user's CFLAGS.
NEWLIB_CONFIGURE = ../newlib-src/configure --target=$(NEWLIB_TARGET) \
	--prefix='$(abs_top_builddir)/newlib-build/inst' \
	--disable-multilib --disable-newlib-supplied-syscalls \
	--enable-newlib-io-c99-formats --enable-newlib-io-long-long \
	--enable-newlib-io-long-double \
	CC_FOR_TARGET='$(CC)' AR_FOR_TARGET=ar RANLIB_FOR_TARGET=ranlib \
	AS_FOR_TARGET=as LD_FOR_TARGET=ld NM_FOR_TARGET=nm \
	CFLAGS_FOR_TARGET='-O2 -g -fno-stack-protector -fPIE -D_STDIO_BSD_SEMANTICS'

# How code is compiled against newlib in this tree (flexos-newlib.pc says
# the same for an installed copy). -nostdinc drops the compiler's own
# headers too, so they come back after newlib's. A stack protector, if the
# code uses one, reads newlib's __stack_chk_guard inside the compartment
# instead of the canary in glibc's thread-local storage.
NEWLIB_COMPILE_FLAGS = -ffreestanding -nostdinc -isystem $(abs_top_builddir)/newlib/include \
	-isystem $(NEWLIB_CC_INCLUDE) -mstack-protector-guard=global

# newlib is rebuilt when its configuration changes, not whenever Makefile does.
newlib.config: Makefile
	$(AM_V_GEN)echo "$(NEWLIB_CONFIGURE)" >$@.tmp && \
	{ cmp -s $@.tmp $@ || mv $@.tmp $@; } && rm -f $@.tmp

# One rule builds and installs newlib into the build tree, so a parallel
# make runs it once (with the jobserver: $(MAKE) is in the recipe).
# Variables given on our command line (CFLAGS=, DESTDIR=) are not passed
# down: they are ours, not newlib's.
newlib.stamp: $(NEWLIB_TARBALL) newlib.config
	@echo "  NEWLIB   building newlib from $(NEWLIB_TARBALL) (a few minutes; log: newlib-build/build.log)"
	$(AM_V_at)rm -rf newlib-src newlib-build newlib
	$(AM_V_at)$(MKDIR_P) newlib-src newlib-build newlib/lib
	$(AM_V_at)tar -xf '$(NEWLIB_TARBALL)' -C newlib-src --strip-components=1
	$(AM_V_at)cd newlib-build && \
	mf=`printf '%s\n' "$$MAKEFLAGS" | sed -e 's/^-- .*//' -e 's/ -- .*//'`; \
	{ $(NEWLIB_CONFIGURE) && \
	  MAKEFLAGS="$$mf" $(MAKE) all-target-newlib && \
	  MAKEFLAGS="$$mf" $(MAKE) install-target-newlib; } >build.log 2>&1 || { \
	  tail -n 30 build.log; \
	  echo "newlib's build failed: see newlib-build/build.log (or configure with --disable-newlib)" >&2; \
	  exit 1; }
	$(AM_V_at)mv newlib-build/inst/$(NEWLIB_TARGET)/include newlib/include
	$(AM_V_at)cp newlib-build/inst/$(NEWLIB_TARGET)/lib/libc.a \
		newlib-build/inst/$(NEWLIB_TARGET)/lib/libm.a newlib/lib/
	$(AM_V_at)touch $@

# The glue: linked into a newlib compartment, never into the platform.
lib_LIBRARIES += libflexos-newlib.a
libflexos_newlib_a_SOURCES = src/newlib/glue.h src/newlib/linux.h src/newlib/glue.c \
	src/newlib/memalign.c
libflexos_newlib_a_CPPFLAGS = $(NEWLIB_COMPILE_FLAGS)
libflexos_newlib_a_CFLAGS = $(AM_CFLAGS) -fPIE
$(libflexos_newlib_a_OBJECTS): newlib.stamp

pkgconfig_DATA += pkgconfig/flexos-newlib.pc

# newlib's libc.a, libm.a and headers, private to the package.
newlibdir = $(pkglibdir)/newlib
NEWLIB_INSTALL_LOCAL = install-newlib
NEWLIB_UNINSTALL_LOCAL = uninstall-newlib
install-newlib: newlib.stamp
	$(MKDIR_P) '$(DESTDIR)$(newlibdir)/lib'
	$(INSTALL_DATA) newlib/lib/libc.a newlib/lib/libm.a '$(DESTDIR)$(newlibdir)/lib'
	rm -rf '$(DESTDIR)$(newlibdir)/include'
	cp -R newlib/include '$(DESTDIR)$(newlibdir)/include'
uninstall-newlib:
	rm -rf '$(DESTDIR)$(newlibdir)'
	-rmdir '$(DESTDIR)$(pkglibdir)' 2>/dev/null
endif
.PHONY: install-newlib uninstall-newlib

include tests/newlib/local.mk
