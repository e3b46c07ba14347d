# Real Redis from Debian's source package, opt-in: it needs the source
# (`make redis-fetch`, network to the Debian archive) and builds Redis
# (a minute or two), so neither `make` nor `make check` builds it.
# `make redis` links examples/redis/redis-{one,lua-process,lua-process-restart,lua-mpk} with the
# flexos-link just built; tests/integration/redis.sh and bench/redis/run use
# them.
REDIS_SRC = $(abs_top_builddir)/examples/redis/src/redis
REDIS_MAKE = $(MAKE) -C examples/redis -f $(abs_top_srcdir)/examples/redis/Makefile \
	TOP=$(abs_top_srcdir) REDIS_SRC=$(REDIS_SRC) FLEXOS_LINK="$(FLEXOS_LINK_INTREE)" \
	LINK_DEPS="$(abs_top_builddir)/flexos-link $(abs_top_builddir)/libflexos.a $(lib_LIBRARIES:%=$(abs_top_builddir)/%)"

redis-fetch:
	$(MKDIR_P) examples/redis && $(REDIS_MAKE) fetch
redis: $(EXAMPLE_DEPS)
	$(MKDIR_P) examples/redis && $(REDIS_MAKE) all
# Redis's own units against redis-lua-mpk in the emulated-PKU VM, one
# boot per unit (tests/redis/units-vm.sh; long: not part of make check):
#   make redis-units-vm UNITS="unit/expire unit/other"
redis-units-vm: redis
	$(REDIS_MAKE) run-lua-mpk
	$(abs_top_srcdir)/tests/redis/units-vm.sh examples/redis/run-lua-mpk $(UNITS)
.PHONY: redis redis-fetch redis-units-vm

EXTRA_DIST += examples/redis/Makefile examples/redis/objects.mk examples/redis/local.mk \
	examples/redis/one.yaml examples/redis/lua-process.yaml examples/redis/lua-mpk.yaml \
	examples/redis/lua-process-restart.yaml \
	examples/redis/README.md examples/redis/test-bin/pgrep

# What `make redis` and the tests make in the build tree; the fetched and
# built source goes with distclean only, as newlib's build does (and so
# that make distcheck, which fetches it under CI, leaves nothing behind).
clean-local: clean-redis
clean-redis:
	-rm -rf examples/redis/redis-one examples/redis/redis-lua-process \
		examples/redis/redis-lua-process-restart examples/redis/redis-lua-mpk \
		examples/redis/run-one examples/redis/run-lua-process \
		examples/redis/run-lua-process-restart examples/redis/run-lua-mpk \
		examples/redis/run-lua-mpk.logs \
		examples/redis/inputs.txt examples/redis/inputs.txt.tmp
distclean-local: distclean-redis
distclean-redis:
	-rm -rf examples/redis/src
.PHONY: clean-redis distclean-redis
