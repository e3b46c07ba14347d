#!/bin/sh
# The newlib component without flexos-link: a library compiled against
# newlib, partially linked with newlib's libc.a and the glue, stripped of
# every global but its API, checked to leave nothing undefined, then
# linked into an ordinary glibc program (host.c) that checks that both C
# libraries work side by side with independent states.
. "${0%/*}/../lib/testlib.sh"
set -eu
need_newlib

API="nl_format nl_set_buffering nl_print nl_flush nl_stdout nl_malloc nl_realloc nl_aligned nl_free
nl_strings nl_errno nl_set_errno nl_errno_location nl_errno_value nl_open nl_file_write
nl_file_read nl_file_checks nl_time nl_clock_realtime nl_getpid nl_isatty"
# The glue instance stays global too: the runtime attaches its heap.
KEEP="$API flexos__newlib_glue"

# newlib_blob OUT OBJ SYMBOLS...: the partial link of DESIGN.md.
newlib_blob() {
	out=$1 obj=$2
	shift 2
	ld -r -d -z noexecstack -o "$out.full.o" "$obj" -L"$NEWLIB_LIBDIR" -L"$top_builddir" \
		-Bstatic --start-group -lc -lm -lflexos-newlib --end-group
	keep=
	for s in "$@"; do keep="$keep --keep-global-symbol=$s"; done
	# shellcheck disable=SC2086
	objcopy $keep "$out.full.o" "$out"
}

# check_no_undefined BLOB: glibc would silently satisfy anything left
# undefined. _GLOBAL_OFFSET_TABLE_ is the linker's own.
check_no_undefined() {
	undef=$(nm -u "$1" | awk '{print $NF}' | grep -vx '_GLOBAL_OFFSET_TABLE_' || true)
	if [ -n "$undef" ]; then
		echo "$1 leaves symbols undefined that glibc would satisfy:" $undef >&2
		return 1
	fi
}

# 1. The library, compiled against newlib with our warnings as errors.
$CC $NEWLIB_CFLAGS -O2 -fPIE -Wall -Wextra -Werror -c -o "$WORK/nllib.o" "$SRC/nllib.c"
pass "nllib.c compiles against newlib's headers"

newlib_blob "$WORK/nllib.blob.o" "$WORK/nllib.o" $KEEP
check_no_undefined "$WORK/nllib.blob.o" || fail "the partial link leaves symbols undefined"
pass "the partial link with newlib and the glue leaves nothing undefined"

globals=$(nm -g --defined-only "$WORK/nllib.blob.o" | awk '{print $3}' | sort | tr '\n' ' ')
want=$(printf '%s\n' $KEEP | sort | tr '\n' ' ')
[ "$globals" = "$want" ] || fail "globals of the blob: '$globals', want '$want'"
for s in printf malloc sbrk write errno __errno _impure_ptr; do
	nm "$WORK/nllib.blob.o" | grep -Eq " [A-Z] $s\$" && fail "$s is still global"
done
pass "only the API and the glue instance stay global (newlib's printf, malloc, sbrk are local)"

# 2. The glibc program.
$CC $CFLAGS_TEST -I"$top_builddir" -I"$top_srcdir/src/runtime" -I"$top_srcdir/src/newlib" \
	-I"$SRC" -c -o "$WORK/host.o" "$SRC/host.c"
$CC -pie -o "$WORK/host" "$WORK/host.o" "$WORK/nllib.blob.o" "$top_builddir/libflexos.a"
pass "an ordinary glibc program links the blob"
readelf -lW "$WORK/host" | grep -q 'GNU_STACK.* RW ' || fail "the image's stack is executable"
pass "the stack stays non-executable (ld -r -z noexecstack)"

# 3. Run it with each library's stdout buffered in turn.
mkdir "$WORK/files"
run() {
	if ! "$WORK/host" "$1" "$WORK/files" >"$WORK/out.$1" 2>"$WORK/err.$1"; then
		cat "$WORK/err.$1" >&2
		fail "host $1 failed"
	fi
	cat "$WORK/err.$1"
	printf '%s\n' "$2" | cmp -s - "$WORK/out.$1" || {
		echo "--- stdout of host $1:" >&2
		cat "$WORK/out.$1" >&2
		echo "--- expected:" >&2
		printf '%s\n' "$2" >&2
		fail "the output of host $1 is not in the expected order"
	}
}
run a "glibc: 2
newlib: 1
glibc: done
newlib: last"
pass "newlib fully buffered, glibc unbuffered: each keeps its own buffering; the glue's fini flushes newlib"
run b "newlib: 2
glibc: 1
newlib: last
glibc: done"
pass "glibc fully buffered, newlib unbuffered"

"$WORK/host" s "$WORK/files" 2>&1 || fail "host s failed"
pass "the glue works without a runtime (a heap of its own)"

# 4. A library that needs a system call the glue does not provide.
$CC $NEWLIB_CFLAGS -O2 -fPIE -Wall -Wextra -Werror -c -o "$WORK/missing.o" "$SRC/missing.c"
newlib_blob "$WORK/missing.blob.o" "$WORK/missing.o" nl_uid
if check_no_undefined "$WORK/missing.blob.o" 2>"$WORK/missing.err"; then
	fail "the check accepted a partial link that leaves getuid undefined"
fi
expect_output "$WORK/missing.err" 'undefined.*: getuid$'
pass "a missing system call is refused, by name: $(cat "$WORK/missing.err")"
# Why the check matters: the final link would not have said a word.
printf 'int nl_uid(void);\nint main(void) { return nl_uid() < 0; }\n' >"$WORK/uid.c"
$CC -o "$WORK/uid" "$WORK/uid.c" "$WORK/missing.blob.o" ||
	fail "expected glibc to satisfy getuid silently"
pass "(without the check, glibc's getuid would have been linked in silently)"

