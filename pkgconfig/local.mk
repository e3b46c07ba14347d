# pkg-config files: flexos, and one per backend and component.
pkgconfigdir = $(libdir)/pkgconfig
pkgconfig_DATA += pkgconfig/flexos.pc
EXTRA_DIST += pkgconfig/flexos.pc.in pkgconfig/flexos-backend.pc.in

# A backend's .pc is made from pkgconfig/flexos-backend.pc.in by its
# local.mk, so that a backend is one directory:
#   pkgconfig/flexos-NAME.pc: $(FLEXOS_BACKEND_PC_DEPS)
#   	$(FLEXOS_BACKEND_PC) NAME 'what it does' ['libraries it needs']
FLEXOS_BACKEND_PC_DEPS = $(top_srcdir)/pkgconfig/flexos-backend.pc.in Makefile
FLEXOS_BACKEND_PC = $(AM_V_GEN)$(MKDIR_P) pkgconfig && \
	flexos_backend_pc() { sed -e 's|[@]prefix[@]|$(prefix)|g' -e 's|[@]exec_prefix[@]|$(exec_prefix)|g' \
		-e 's|[@]libdir[@]|$(libdir)|g' -e 's|[@]PACKAGE_VERSION[@]|$(PACKAGE_VERSION)|g' \
		-e "s|[@]BACKEND[@]|$$1|g" -e "s|[@]DESCRIPTION[@]|$$2|g" -e "s| *[@]BACKEND_LIBS[@]|$${3:+ $$3}|g" \
		$(top_srcdir)/pkgconfig/flexos-backend.pc.in >$@.tmp && mv $@.tmp $@; }; flexos_backend_pc
