# pkg-config files: flexos, and one per backend and component.
pkgconfigdir = $(libdir)/pkgconfig
pkgconfig_DATA += pkgconfig/flexos.pc pkgconfig/flexos-none.pc
EXTRA_DIST += pkgconfig/flexos.pc.in pkgconfig/flexos-none.pc.in
