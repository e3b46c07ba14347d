# The corpus of unmodified Debian libraries (docs/corpus.md): each program
# of tests/corpus/ with its library isolated under none, process and
# intel-mpk (in the emulated-PKU VM), compared with a plain build; prints
# the table. Needs the packages of 'tools/install-deps --corpus' (--test
# installs them too). CORPUS_FLAGS: e.g. --no-vm, or the names of some
# programs.
corpus: all
	@top_builddir=. $(srcdir)/tests/corpus/run $(CORPUS_FLAGS)
.PHONY: corpus

# In make check: every program whose archives are installed, each cell as
# docs/corpus.md's table says (corpus.sh); about 5 minutes on 2 cores.
SH_TESTS += tests/corpus/corpus.sh
tests/corpus/corpus.log: flexos-link$(EXEEXT) libflexos.a $(lib_LIBRARIES)

EXTRA_DIST += docs/corpus.md tests/corpus/run tests/corpus/local.mk tests/corpus/png.c \
	tests/corpus/png.yaml tests/corpus/jpeg.c tests/corpus/jpeg.yaml \
	tests/corpus/openjpeg.c tests/corpus/openjpeg.yaml \
	tests/corpus/libxml2.c tests/corpus/libxml2.yaml tests/corpus/lua.c \
	tests/corpus/lua.yaml tests/corpus/pcre2.c tests/corpus/pcre2.yaml \
	tests/corpus/archive.c tests/corpus/archive.yaml tests/corpus/expat.c \
	tests/corpus/expat.yaml tests/corpus/sodium.c tests/corpus/sodium.yaml \
	tests/corpus/zlib.c tests/corpus/zlib.yaml tests/corpus/corpus.sh \
	tests/corpus/lua-upstream.yaml tests/corpus/pngtest.yaml tests/corpus/minigzip.yaml \
	tests/corpus/upstream
