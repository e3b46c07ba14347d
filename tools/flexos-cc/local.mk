# flexos-cc: compiles a library with its compartment's hardening flags
# (docs/man/flexos-cc.1). The config, the library matching and the flag
# table are libflexos-link.a's.
bin_PROGRAMS += flexos-cc
flexos_cc_SOURCES = tools/flexos-cc/main.c
flexos_cc_CPPFLAGS = $(libflexos_link_a_CPPFLAGS) -I$(top_srcdir)/tools/flexos-link
flexos_cc_LDADD = libflexos-link.a $(YAML_LIBS) $(SECCOMP_LIBS) $(DW_LIBS)

# pkg-config --cflags flexos-harden-<option>: the same flags, printed by
# flexos-cc from the one table, for build systems that take CFLAGS.
FLEXOS_HARDEN_PCS = pkgconfig/flexos-harden-stack-protector.pc \
	pkgconfig/flexos-harden-ubsan.pc pkgconfig/flexos-harden-asan.pc \
	pkgconfig/flexos-harden-fortify.pc
pkgconfig_DATA += $(FLEXOS_HARDEN_PCS)
CLEANFILES += $(FLEXOS_HARDEN_PCS)
$(FLEXOS_HARDEN_PCS): flexos-cc$(EXEEXT) Makefile
	$(AM_V_GEN)$(MKDIR_P) pkgconfig && opt=`basename $@ .pc` && opt=$${opt#flexos-harden-} && \
	flags=`./flexos-cc$(EXEEXT) --harden=$$opt --print-flags` && \
	{ echo "Name: flexos-harden-$$opt"; \
	  echo "Description: FlexOS for Linux: compiler flags of a compartment with hardening $$opt (docs/hardening.md)"; \
	  echo "Version: $(PACKAGE_VERSION)"; \
	  echo "Cflags: $$flags"; } >$@.tmp && mv $@.tmp $@
