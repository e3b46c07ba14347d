#!/bin/sh
# Hardening, compile and link side (docs/hardening.md): flexos-cc compiles a
# library with its compartment's flags, flexos-link links what was built
# so and refuses what was not, naming the archive member and the fix. The
# options used here (stack-protector, fortify) report through glibc, so no
# hardening runtime is needed.
. "${0%/*}/../lib/testlib.sh"
set -eu

FLEXOS_CC="$top_builddir/flexos-cc"

# The library directory without the hardening runtime, wherever the build
# has one: these images report through glibc (stack-protector, fortify).
mkdir "$WORK/noruntime"
for a in "$FLEXOS_LIBDIR"/libflexos*.a; do
	[ "${a##*/}" = libflexos-harden.a ] || cp "$a" "$WORK/noruntime/"
done
FLEXOS_LIBDIR="$WORK/noruntime"
export FLEXOS_LIBDIR
cat >"$WORK/flexos.yaml" <<'YAML'
compartments:
- app:
    mechanism: none
    default: True
- hard:
    mechanism: none
    hardening: [stack-protector, fortify]
libraries:
- libhard: hard
YAML
cat >"$WORK/copy.c" <<'C'
#include <string.h>
int copy_len(const char *s, unsigned long n)
{
	char buf[8];
	memcpy(buf, s, n); /* n > 8 overflows buf: fortify's check stops it */
	return buf[0] + (int)n;
}
C
cat >"$WORK/twice.c" <<'C'
int twice(int x)
{
	return 2 * x;
}
C
cat >"$WORK/app.c" <<'C'
#include <stdio.h>
int copy_len(const char *s, unsigned long n);
int twice(int x);
static const char text[64] = "hello, hardened world";
int main(int argc, char **argv)
{
	(void)argv;
	printf("copy_len %d twice %d\n", copy_len(text, argc > 1 ? 32 : 5), twice(21));
	return 0;
}
C
compile "$WORK/app.o" "$WORK/app.c"

# must_fail NAME PATTERN COMMAND...: exits non-zero and prints PATTERN.
must_fail() {
	name=$1 pattern=$2
	shift 2
	if "$@" >"$WORK/out" 2>&1; then
		cat "$WORK/out" >&2
		fail "$name: the command succeeded"
	fi
	expect_output "$WORK/out" "$pattern"
	pass "$name"
}

# 1. flexos-cc, as a Makefile's CC (no compiler after --) and with one.
cat >"$WORK/Makefile" <<'MK'
copy.o: copy.c
	$(CC) $(CFLAGS) -c -o $@ copy.c
MK
# shellcheck disable=SC2086  # CFLAGS_TEST is a word list
make -s -C "$WORK" CC="$FLEXOS_CC -c $WORK/flexos.yaml -l libhard --" CFLAGS="$CFLAGS_TEST" copy.o
"$FLEXOS_CC" -c "$WORK/flexos.yaml" -l libhard -- $CC $CFLAGS_TEST -c -o "$WORK/twice.o" "$WORK/twice.c"
for o in copy twice; do
	readelf -p .GCC.command.line "$WORK/$o.o" >"$WORK/$o.switches"
	expect_output "$WORK/$o.switches" ' -fstack-protector-all( |$)'
	expect_output "$WORK/$o.switches" ' -O2( |$)'
	nm "$WORK/$o.o" >"$WORK/$o.nm"
	expect_output "$WORK/$o.nm" ' a __flexos_harden_fortify$'
	expect_output "$WORK/$o.nm" ' U __stack_chk_fail$'
done
expect_output "$WORK/copy.nm" ' U __memcpy_chk$'
pass "flexos-cc adds the compartment's flags: .GCC.command.line records -fstack-protector-all, fortify's mark is there"

# 2. Objects built so link into the hardened compartment, and the flags work.
ar cr "$WORK/libhard.a" "$WORK/copy.o" "$WORK/twice.o"
"$FLEXOS_LINK" -c "$WORK/flexos.yaml" -o "$WORK/img" "$WORK/app.o" "$WORK/libhard.a" ||
	fail "the link of hardened objects failed"
"$WORK/img" >"$WORK/run.out" || fail "the image exited $?"
expect_output "$WORK/run.out" '^copy_len 109 twice 42$'
st=0
"$WORK/img" overflow >"$WORK/run.out" 2>&1 || st=$?
[ "$st" -eq 134 ] || fail "the overflow of the hardened library exited $st, not 134 (abort)"
expect_output "$WORK/run.out" 'buffer overflow detected'
pass "hardened objects link; fortify stops the library's overflow (status $st)"

# The pkg-config route gives the same flags.
sed 's/^- libhard: hard$/- libhard: hard\n  inputs: [libhard-pc.a]/' "$WORK/flexos.yaml" >"$WORK/pc.yaml"
if command -v pkg-config >/dev/null; then
	flags=$(PKG_CONFIG_PATH="$top_builddir/pkgconfig" pkg-config --cflags \
		flexos-harden-stack-protector flexos-harden-fortify)
	# shellcheck disable=SC2086  # word lists
	$CC $CFLAGS_TEST $flags -c -o "$WORK/twice-pc.o" "$WORK/twice.c"
	ar cr "$WORK/libhard-pc.a" "$WORK/copy.o" "$WORK/twice-pc.o"
	"$FLEXOS_LINK" -c "$WORK/pc.yaml" -o "$WORK/img-pc" "$WORK/app.o" "$WORK/libhard-pc.a" ||
		fail "the link of objects built with pkg-config's flags failed"
	pass "pkg-config --cflags flexos-harden-<option> builds objects flexos-link accepts"
else
	skip "pkg-config route" "no pkg-config"
fi

# 3. A member built without the flags is refused by name, with the fix.
$CC $CFLAGS_TEST -c -o "$WORK/twice.o" "$WORK/twice.c"
rm -f "$WORK/libhard.a"
ar cr "$WORK/libhard.a" "$WORK/copy.o" "$WORK/twice.o"
rm -f "$WORK/img"
must_fail "an unhardened member of a hardened compartment is refused" \
	"flexos.yaml:7:17: error: .*libhard.a\(twice.o\) of compartment 'hard' was not built with stack-protector .*rebuild it with \`flexos-cc -c .*flexos.yaml -l libhard -- gcc ...\`, or add \`pkg-config --cflags flexos-harden-stack-protector\`" \
	"$FLEXOS_LINK" -c "$WORK/flexos.yaml" -o "$WORK/img" "$WORK/app.o" "$WORK/libhard.a"
expect_output "$WORK/out" "flexos.yaml:7:34: error: .*libhard.a\(twice.o\) of compartment 'hard' was not built with fortify"
! grep -q 'copy.o' "$WORK/out" || fail "the hardened member copy.o was refused too"
[ ! -e "$WORK/img" ] || fail "an image was written anyway"

# The reverse: instrumentation that needs the runtime, where nothing asks for it.
printf 'int add(int a, int b)\n{\n\treturn a + b;\n}\n' >"$WORK/add.c"
$CC $CFLAGS_TEST -fsanitize=undefined -c -o "$WORK/add.o" "$WORK/add.c"
must_fail "an object instrumented for ubsan in an unhardened compartment is refused" \
	"flexos.yaml:2:3: error: .*add.o of compartment 'app' is instrumented for ubsan \(it calls __ubsan_handle_add_overflow" \
	"$FLEXOS_LINK" -c "$WORK/flexos.yaml" -o "$WORK/img" "$WORK/app.o" "$WORK/add.o"

# 4. cfi and safestack need clang.
sed 's/\[stack-protector, fortify\]/[cfi, fortify]/' "$WORK/flexos.yaml" >"$WORK/cfi.yaml"
must_fail "cfi is refused at its position" \
	"cfi.yaml:7:17: error: hardening 'cfi' of compartment 'hard' needs clang; this version builds with gcc only" \
	"$FLEXOS_LINK" -c "$WORK/cfi.yaml" -o "$WORK/img" "$WORK/app.o"
must_fail "flexos-cc refuses cfi too" \
	"cfi.yaml:7:17: error: hardening 'cfi' of compartment 'hard' needs clang" \
	"$FLEXOS_CC" -c "$WORK/cfi.yaml" -l libhard -- $CC -c -o "$WORK/x.o" "$WORK/twice.c"

# 5. flexos-cc and a library the config does not know.
must_fail "flexos-cc refuses an unknown library, naming the config and its libraries" \
	"flexos-cc: error: .*flexos.yaml has no library 'libpng', .*\(its libraries: libhard\)" \
	"$FLEXOS_CC" -c "$WORK/flexos.yaml" -l libpng -- $CC -c -o "$WORK/x.o" "$WORK/twice.c"
[ ! -e "$WORK/x.o" ] || fail "flexos-cc compiled anyway"
# A library is found by its inputs too, as flexos-link matches them.
"$FLEXOS_CC" -c "$WORK/pc.yaml" -l libhard-pc.a --print-flags >"$WORK/out" ||
	fail "flexos-cc does not find a library by its inputs"
expect_output "$WORK/out" '-fstack-protector-all .*-D_FORTIFY_SOURCE=2'
"$FLEXOS_CC" -c "$WORK/pc.yaml" -C app --print-flags >"$WORK/out"
[ "$(cat "$WORK/out")" = "" ] || fail "an unhardened compartment gets flags: $(cat "$WORK/out")"
pass "flexos-cc finds a library by its input pattern; an unhardened compartment gets no flags"

# 6. asan: checked before the runtime is looked for; the runtime is linked
# from the library directory, and its absence refused. A library directory
# with the backend and no runtime, then with a test double of the runtime
# (the real one is src/harden/'s).
mkdir "$WORK/lib"
cp "$FLEXOS_LIBDIR/libflexos.a" "$FLEXOS_LIBDIR/libflexos-none.a" "$WORK/lib/"
sed 's/\[stack-protector, fortify\]/[asan]/' "$WORK/flexos.yaml" >"$WORK/asan.yaml"
printf 'int load(const int *p)\n{\n\treturn *p;\n}\n' >"$WORK/load.c"
"$FLEXOS_CC" -c "$WORK/asan.yaml" -l libhard -- $CC $CFLAGS_TEST -c -o "$WORK/load.o" "$WORK/load.c"
nm "$WORK/load.o" >"$WORK/load.nm"
expect_output "$WORK/load.nm" ' U __asan_load4_noabort$'
ar cr "$WORK/libhard-asan.a" "$WORK/load.o"
sed 's/^- libhard: hard$/- libhard: hard\n  inputs: [libhard-asan.a]/' "$WORK/asan.yaml" >"$WORK/asan-lib.yaml"
must_fail "an asan compartment without its runtime is refused" \
	"asan-lib.yaml asks for asan, whose runtime .*/lib/libflexos-harden.a is not there" \
	"$FLEXOS_LINK" -c "$WORK/asan-lib.yaml" -o "$WORK/img" --flexos-libdir "$WORK/lib" \
	"$WORK/app.o" "$WORK/libhard-asan.a"
cat >"$WORK/double.c" <<'C'
/* A test double of the hardening runtime: what load.o calls. */
void __asan_load4_noabort(unsigned long addr);
void __asan_load4_noabort(unsigned long addr)
{
	(void)addr;
}
C
compile "$WORK/double.o" "$WORK/double.c"
ar cr "$WORK/lib/libflexos-harden.a" "$WORK/double.o"
# Under none an asan compartment also links the runtime's allocator hooks.
ar cr "$WORK/lib/libflexos-harden-none.a"
printf 'int load(const int *p);\nint main(void)\n{\n\tint x = 7;\n\treturn load(&x) == 7 ? 0 : 1;\n}\n' >"$WORK/app-asan.c"
compile "$WORK/app-asan.o" "$WORK/app-asan.c"
"$FLEXOS_LINK" -v -c "$WORK/asan-lib.yaml" -o "$WORK/img-asan" --flexos-libdir "$WORK/lib" \
	"$WORK/app-asan.o" "$WORK/libhard-asan.a" 2>"$WORK/out" || fail "the asan link with a runtime failed"
expect_output "$WORK/out" "libhard-asan.a .*$WORK/lib/libflexos-harden-none.a $WORK/lib/libflexos-harden.a .*-lflexos-none -lflexos"
"$WORK/img-asan" || fail "the asan image exited $?"
pass "an asan object links with the runtime from the library directory, refused without it"

$CC $CFLAGS_TEST -frecord-gcc-switches -fsanitize=kernel-address -fasan-shadow-offset=0x1000 \
	-c -o "$WORK/load.o" "$WORK/load.c"
rm -f "$WORK/libhard-asan.a"
ar cr "$WORK/libhard-asan.a" "$WORK/load.o"
must_fail "an asan object with another shadow offset is refused" \
	"asan-lib.yaml:7:17: error: .*libhard-asan.a\(load.o\) of compartment 'hard' was built with ASan shadow offset 0x1000, but the runtime's is 0x7fff8000" \
	"$FLEXOS_LINK" -c "$WORK/asan-lib.yaml" -o "$WORK/img" --flexos-libdir "$WORK/lib" \
	"$WORK/app-asan.o" "$WORK/libhard-asan.a"
$CC $CFLAGS_TEST -fsanitize=address -c -o "$WORK/load.o" "$WORK/load.c"
rm -f "$WORK/libhard-asan.a"
ar cr "$WORK/libhard-asan.a" "$WORK/load.o"
must_fail "a userspace-ASan object is refused" \
	"asan-lib.yaml:7:17: error: .*libhard-asan.a\(load.o\) of compartment 'hard' was built with userspace ASan \(-fsanitize=address\)" \
	"$FLEXOS_LINK" -c "$WORK/asan-lib.yaml" -o "$WORK/img" --flexos-libdir "$WORK/lib" \
	"$WORK/app-asan.o" "$WORK/libhard-asan.a"

# 7. Without .GCC.command.line, the switches -g records (DW_AT_producer) show
# the option: twice.c has no memory access, so no __asan_* call shows it.
asan_flags=$("$FLEXOS_CC" --harden=asan --print-flags | sed 's/-frecord-gcc-switches//')
# shellcheck disable=SC2086  # word lists
$CC $CFLAGS_TEST $asan_flags -g -c -o "$WORK/twice-g.o" "$WORK/twice.c"
! readelf -S "$WORK/twice-g.o" | grep -q GCC.command.line || fail "twice-g.o records .GCC.command.line"
nm "$WORK/twice-g.o" >"$WORK/twice-g.nm"
! grep -q __asan_ "$WORK/twice-g.nm" || fail "twice-g.o calls __asan_*: the producer is not what shows asan"
rm -f "$WORK/libhard-asan.a"
ar cr "$WORK/libhard-asan.a" "$WORK/twice-g.o"
"$FLEXOS_LINK" -c "$WORK/asan-lib.yaml" -o "$WORK/img-g" --flexos-libdir "$WORK/lib" \
	"$WORK/app.o" "$WORK/libhard-asan.a" "$WORK/copy.o" || fail "the DWARF producer was not read"
# shellcheck disable=SC2086  # word lists
$CC $CFLAGS_TEST $asan_flags -c -o "$WORK/twice-g.o" "$WORK/twice.c"
rm -f "$WORK/libhard-asan.a"
ar cr "$WORK/libhard-asan.a" "$WORK/twice-g.o"
must_fail "DW_AT_producer shows an option; without -g nor -frecord-gcc-switches nothing does" \
	"asan-lib.yaml:7:17: error: .*libhard-asan.a\(twice-g.o\) of compartment 'hard' was not built with asan \(it records no compiler switches" \
	"$FLEXOS_LINK" -c "$WORK/asan-lib.yaml" -o "$WORK/img" --flexos-libdir "$WORK/lib" \
	"$WORK/app.o" "$WORK/libhard-asan.a" "$WORK/copy.o"

# 8. fortify's mark without optimisation (a build's -O0 after the flags): glibc
# compiles no check, and the recorded switches say so.
flags=$("$FLEXOS_CC" --harden=stack-protector,fortify --print-flags)
# shellcheck disable=SC2086  # word lists
$CC $CFLAGS_TEST $flags -O0 -c -o "$WORK/twice.o" "$WORK/twice.c"
rm -f "$WORK/libhard.a"
ar cr "$WORK/libhard.a" "$WORK/copy.o" "$WORK/twice.o"
must_fail "fortify compiled without optimisation is refused" \
	"flexos.yaml:7:34: error: .*libhard.a\(twice.o\) of compartment 'hard' was not built with fortify \(it was compiled without optimisation" \
	"$FLEXOS_LINK" -c "$WORK/flexos.yaml" -o "$WORK/img" "$WORK/app.o" "$WORK/libhard.a"
