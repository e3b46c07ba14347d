#!/bin/sh
# A hardened compartment beside an unhardened one under every backend: the
# library, compiled by flexos-cc for a compartment with stack-protector and
# fortify, links under none, process and intel-mpk (in one boot of the
# emulated-PKU VM, tests/vm/run; natively where the host has PKU), runs,
# and fortify and the stack protector stop its overflows there. The application, compiled by
# flexos-cc for its unhardened compartment, carries no instrumentation.
# The reports that name the compartment are the hardening runtime's
# (docs/hardening.md, "Runtimes"): here glibc's abort reports, and under
# process the backend's crash report names the compartment.
# If the VM cannot run, this fails, unless FLEXOS_VM_OPTIONAL=1 (then: skip).
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

/* A loop fortify cannot see: the stack protector's canary catches it. */
int fill(const char *s, unsigned long n)
{
	volatile char buf[8];
	for (unsigned long i = 0; i < n; i++)
		buf[i] = s[i];
	return buf[0];
}
C
cat >"$WORK/app.c" <<'C'
#include <stdio.h>
#include <string.h>
int copy_len(const char *s, unsigned long n);
int fill(const char *s, unsigned long n);
int main(int argc, char **argv)
{
	/* A literal: the constants every compartment may read. */
	const char *s = "hello, hardened world, and bytes to spare";

	if (argc > 1 && !strcmp(argv[1], "smash"))
		return fill(s, 32);
	printf("copy_len %d fill %d\n", copy_len(s, argc > 1 ? 32 : 5), fill(s, 5));
	return 0;
}
C
# shellcheck disable=SC2086  # CFLAGS_TEST is a word list
"$FLEXOS_CC" -c "$WORK/flexos.yaml" -l libhard -- $CC $CFLAGS_TEST -g -c -o "$WORK/copy.o" "$WORK/copy.c"
# shellcheck disable=SC2086
"$FLEXOS_CC" -c "$WORK/flexos.yaml" -C app -- $CC $CFLAGS_TEST -c -o "$WORK/app.o" "$WORK/app.c"
ar cr "$WORK/libhard.a" "$WORK/copy.o"
nm "$WORK/copy.o" >"$WORK/copy.nm"
expect_output "$WORK/copy.nm" ' U __stack_chk_fail$'
expect_output "$WORK/copy.nm" ' U __memcpy_chk$'
nm "$WORK/app.o" >"$WORK/app.nm"
! grep -Eq '__stack_chk_fail|_chk$|__flexos_harden' "$WORK/app.nm" ||
	fail "the unhardened application carries instrumentation: $(grep -E '_chk|__flexos_harden' "$WORK/app.nm")"
! readelf -S "$WORK/app.o" | grep -q GCC.command.line ||
	fail "flexos-cc gave the unhardened application flags"
pass "the library has stack-protector and fortify, the application beside it nothing"

for m in none process intel-mpk; do
	with_mechanism "$WORK/flexos.yaml" "$m" >"$WORK/$m.yaml"
	"$FLEXOS_LINK" -c "$WORK/$m.yaml" -o "$WORK/img-$m" "$WORK/app.o" "$WORK/libhard.a" ||
		fail "the hardened compartment does not link under $m"
done
pass "the hardened compartment links under none, process and intel-mpk"

# run IMAGE [ARG]: its exit status in st, its output in $WORK/out.
run() {
	set +e
	"$@" >"$WORK/out" 2>&1
	st=$?
	set -e
}
for m in none process; do
	run "$WORK/img-$m"
	[ "$st" = 0 ] || { cat "$WORK/out" >&2; fail "$m: the image exited $st"; }
	expect_output "$WORK/out" '^copy_len 109 fill 104$'
done
run "$WORK/img-none" overflow
[ "$st" = 134 ] || fail "none: the overflow exited $st, not 134 (abort)"
expect_output "$WORK/out" 'buffer overflow detected'
run "$WORK/img-process" overflow
[ "$st" = 123 ] || fail "process: the overflow exited $st, not 123 (on_crash: abort)"
expect_output "$WORK/out" 'buffer overflow detected'
expect_output "$WORK/out" "compartment 'hard' \(pid [0-9]+\) crashed: signal 6"
run "$WORK/img-none" smash
[ "$st" = 134 ] || fail "none: the stack smash exited $st, not 134 (abort)"
expect_output "$WORK/out" 'stack smashing detected'
run "$WORK/img-process" smash
[ "$st" = 123 ] || fail "process: the stack smash exited $st, not 123 (on_crash: abort)"
expect_output "$WORK/out" 'stack smashing detected'
# Signal 6 even when the backend's backtrace, unwinding the smashed stack
# from its SIGABRT handler, faults there: the report stays the first's.
expect_output "$WORK/out" "compartment 'hard' \(pid [0-9]+\) crashed: signal 6"
pass "none, process: the library runs; fortify and the stack protector stop its overflows in its compartment"

vm_script 300 --file "$WORK" <<EOS
$WORK/img-intel-mpk
--expect-status=134 $WORK/img-intel-mpk overflow
--expect-status=134 $WORK/img-intel-mpk smash
EOS
vm_output 1 >"$WORK/out.1"
expect_output "$WORK/out.1" '^copy_len 109 fill 104$'
vm_output 2 >"$WORK/out.2"
expect_output "$WORK/out.2" 'buffer overflow detected'
vm_output 3 >"$WORK/out.3"
expect_output "$WORK/out.3" 'stack smashing detected'
pass "intel-mpk: the library runs; fortify and the stack protector stop its overflows"
