# Benchmarks: `make bench` builds and runs them and prints tables. They are
# not tests: these machines are noisy, so compare ratios from one run.
noinst_LIBRARIES += bench/gate/libbenchcallee.a
bench_gate_libbenchcallee_a_SOURCES = bench/gate/callee.c
bench_gate_libbenchcallee_a_CFLAGS = $(AM_CFLAGS) -O2 -fPIE

bench/gate/gate.o: bench/gate/gate.c include/flexos/flexos.h
	$(AM_V_CC)$(COMPILE) -O2 -fPIE -c -o $@ $(srcdir)/bench/gate/gate.c

bench: bench/gate/gate.o bench/gate/libbenchcallee.a $(EXAMPLE_DEPS) tests/mpk/attack tests/mpk/attack-shared
	@echo "== bench/gate: one call through each backend's gate"
	@top_srcdir=$(srcdir) top_builddir=. $(srcdir)/bench/gate/run
.PHONY: bench

CLEANFILES += bench/gate/gate.o
EXTRA_DIST += bench/gate/gate.c bench/gate/gate.yaml bench/gate/run

# bench/sqlite: 5000 INSERTs, plain vs none vs SQLite isolated (examples/sqlite).
bench-sqlite: examples/sqlite/sqlite-plain $(SQLITE_IMAGES)
	@echo "== bench/sqlite: the FlexOS SQLite benchmark, SQLite unmodified and isolated"
	@top_srcdir=$(srcdir) top_builddir=. $(srcdir)/bench/sqlite/run
bench: bench-sqlite
.PHONY: bench-sqlite
EXTRA_DIST += bench/sqlite/run

# bench/kvserver: redis-benchmark against examples/kvserver, Linux sockets
# vs lwIP in one compartment vs lwIP isolated.
bench-kvserver: examples/kvserver/kvserver-linux$(EXEEXT) $(KVSERVER_IMAGES)
	@echo "== bench/kvserver: the FlexOS Redis benchmark, lwIP in one compartment and isolated"
	@top_srcdir=$(srcdir) top_builddir=. $(srcdir)/bench/kvserver/run
bench: bench-kvserver
.PHONY: bench-kvserver
EXTRA_DIST += bench/kvserver/run

# bench/explore: flexos-explore on SQLite and the kvserver (the FlexOS
# exploration, its fig. 8): every split under none and process, the table,
# the candidates within a budget and the poset drawn. Results are kept in
# bench/explore/*.results of the build tree, so a rerun reuses them.
bench-explore: flexos-explore$(EXEEXT) $(EXAMPLE_DEPS) $(KVSERVER_OBJS) libflexos-lwip.a \
		examples/sqlite/app.o
	@top_srcdir=$(srcdir) top_builddir=. $(srcdir)/bench/explore/run
bench: bench-explore
.PHONY: bench-explore
EXTRA_DIST += bench/explore/run bench/explore/kvserver-bench bench/explore/kvserver.yaml \
	bench/explore/sqlite.yaml
clean-local: clean-bench-explore
clean-bench-explore:
	rm -rf bench/explore/kvserver.results bench/explore/sqlite.results
.PHONY: clean-bench-explore

# bench/redis: redis-benchmark against real Redis (examples/redis), plain
# vs one vs Lua isolated. Opt-in, not part of `make bench`: it needs
# Redis's source (make redis-fetch).
bench-redis: redis
	@echo "== bench/redis: real Redis, its Lua interpreter in one compartment and isolated"
	@top_srcdir=$(srcdir) top_builddir=. $(srcdir)/bench/redis/run
	@echo "== bench/redis/cachegrind: the same SETs and GETs counted (instructions, cache misses)"
	@top_srcdir=$(srcdir) top_builddir=. $(srcdir)/bench/redis/cachegrind
.PHONY: bench-redis
EXTRA_DIST += bench/redis/run bench/redis/cachegrind

# bench/harden: the cost of each hardening option, SQLite (Debian's
# source, fetched and built on first use) and the kvserver's code, in one
# run as ratios to the unhardened build.
bench-harden: flexos-link$(EXEEXT) flexos-cc$(EXEEXT) $(EXAMPLE_DEPS) $(lib_LIBRARIES)
	@echo "== bench/harden: per-option hardening overhead (SQLite, kvserver)"
	@top_srcdir=$(srcdir) top_builddir=. $(srcdir)/bench/harden/run
bench: bench-harden
.PHONY: bench-harden
EXTRA_DIST += bench/harden/run
# The same for a libc: newlib compartment: zlib against newlib, counted
# in instructions (valgrind).
bench-harden-newlib: flexos-link$(EXEEXT) flexos-cc$(EXEEXT) $(lib_LIBRARIES)
	@echo "== bench/harden/newlib-zlib: hardening a newlib compartment (zlib)"
	@top_srcdir=$(srcdir) top_builddir=. $(srcdir)/bench/harden/newlib-zlib
bench: bench-harden-newlib
.PHONY: bench-harden-newlib
EXTRA_DIST += bench/harden/newlib-zlib
clean-local: clean-bench-harden
clean-bench-harden:
	rm -rf bench/harden/src
.PHONY: clean-bench-harden
# bench/lend: the cost of pointer lending under process (a lent string, a
# lent struct, vs an int argument and a pointer to shared memory).
bench-lend: flexos-link$(EXEEXT) libflexos.a libflexos-process.a
	@echo "== bench/lend: pointer lending through the process backend's gate"
	@top_srcdir=$(srcdir) top_builddir=. $(srcdir)/bench/lend/run
bench: bench-lend
.PHONY: bench-lend
EXTRA_DIST += bench/lend/run bench/lend/lend.c bench/lend/callee.c bench/lend/lend.yaml

# bench/lend/callgrind: the same in instructions (valgrind), with three lent
# arguments and arrays of pointers; deterministic on a shared machine.
bench-lend-callgrind: flexos-link$(EXEEXT) libflexos.a libflexos-process.a
	@echo "== bench/lend/callgrind: instructions of lending per gate call (process, caller side)"
	@top_srcdir=$(srcdir) top_builddir=. $(srcdir)/bench/lend/callgrind
.PHONY: bench-lend-callgrind
EXTRA_DIST += bench/lend/callgrind bench/lend/cost.c bench/lend/costlib.c bench/lend/cost.yaml

# bench/corpus: the corpus's programs timed, plain vs none vs process
# (ratios). Opt-in, not part of `make bench`: it needs the corpus's packages
# (tools/install-deps --corpus). RUNS: runs per image (15).
bench-corpus: all
	@echo "== bench/corpus: unmodified Debian libraries isolated, whole-program time"
	@top_srcdir=$(srcdir) top_builddir=. $(srcdir)/bench/corpus/run
.PHONY: bench-corpus
EXTRA_DIST += bench/corpus/run
