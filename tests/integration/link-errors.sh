#!/bin/sh
# flexos-link refuses bad links with a message that says where and what to do.
. "${0%/*}/../lib/testlib.sh"
set -eu

compile "$WORK/gate.o" "$DATA/direct-app.c"
compile "$WORK/worker.o" "$DATA/direct-worker.c"
ar cr "$WORK/libworker.a" "$WORK/worker.o"
cp "$WORK/libworker.a" "$WORK/libother.a"

# must_fail NAME PATTERN flexos-link-arguments...: exits non-zero, prints PATTERN.
must_fail() {
	name=$1 pattern=$2
	shift 2
	if "$FLEXOS_LINK" "$@" >"$WORK/out" 2>&1; then
		cat "$WORK/out" >&2
		fail "$name: flexos-link succeeded"
	fi
	expect_output "$WORK/out" "$pattern"
	[ ! -e "$WORK/img" ] || fail "$name: an image was written anyway"
	pass "$name"
}

must_fail "config errors are file:line:col" \
	'errors-bad.yaml:4:14: error: unknown mechanism' \
	-c "$DATA/errors-bad.yaml" -o "$WORK/img" "$WORK/gate.o"
must_fail "missing config file" 'nonexistent.yaml' \
	-c "$WORK/nonexistent.yaml" -o "$WORK/img" "$WORK/gate.o"
must_fail "an input claimed by two libraries" \
	"errors-two-libs.yaml:9:12: error: input '.*libworker.a' is claimed by library 'greedy' and by library 'worker'" \
	-c "$DATA/errors-two-libs.yaml" -o "$WORK/img" "$WORK/gate.o" "$WORK/libworker.a"
must_fail "a library whose patterns match nothing" \
	"errors-nomatch.yaml:9:12: error: no input given to flexos-link matches the inputs of library 'ghost'" \
	-c "$DATA/errors-nomatch.yaml" -o "$WORK/img" "$WORK/gate.o" "$WORK/libworker.a"
must_fail "a gate to a library the config does not list" \
	"gate.o: error: flexos_gate\(worker, ...\) names library 'worker', which .* does not list" \
	-c "$DATA/errors-nolib.yaml" -o "$WORK/img" "$WORK/gate.o" "$WORK/libworker.a"
must_fail "a gate naming the wrong library" \
	"a gate names 'work' of library 'worker', but 'work' is defined in .*libother.a, which belongs to library 'helper'" \
	-c "$DATA/errors-wrong-lib.yaml" -o "$WORK/img" "$WORK/gate.o" "$WORK/libother.a"
must_fail "a source file as input" "direct-worker.c: not an object file, static archive or shared library" \
	-c "$DATA/direct-one.yaml" -o "$WORK/img" "$WORK/gate.o" "$DATA/direct-worker.c"
must_fail "an unreadable input" "missing.o: cannot read this input" \
	-c "$DATA/direct-one.yaml" -o "$WORK/img" "$WORK/gate.o" "$WORK/missing.o"
mkdir "$WORK/empty"
must_fail "a backend that is not installed" \
	"uses mechanism 'intel-mpk', but its backend .*/empty/libflexos-mpk.a is not there" \
	-c "$DATA/errors-mpk.yaml" -o "$WORK/img" --flexos-libdir "$WORK/empty" "$WORK/gate.o" "$WORK/libworker.a"
# on_crash: restart is the process backend's: intel-mpk refuses it where it is written.
sed 's/^- other:$/- other:\n  on_crash: restart/' "$DATA/errors-mpk.yaml" >"$WORK/restart.yaml"
must_fail "on_crash: restart under intel-mpk" \
	"restart.yaml:6:13: error: compartment 'other' has 'on_crash: restart', which intel-mpk does not implement: .* use 'on_crash: abort', or mechanism 'process'" \
	-c "$WORK/restart.yaml" -o "$WORK/img" "$WORK/gate.o" "$WORK/libworker.a"
sed 's/intel-mpk/process/' "$WORK/restart.yaml" >"$WORK/restart-process.yaml"
"$FLEXOS_LINK" -c "$WORK/restart-process.yaml" -o "$WORK/img-process" "$WORK/gate.o" \
	"$WORK/libworker.a" || fail "on_crash: restart under process: the link failed"
pass "on_crash: restart under process links"
must_fail "a backend archive that contradicts the config" \
	"-lflexos-process links the 'process' backend, but .* asks for mechanism 'none'" \
	-c "$DATA/direct-two.yaml" -o "$WORK/img" "$WORK/gate.o" "$WORK/libworker.a" -lflexos-process
must_fail "no config" "-c CONFIG is required" -o "$WORK/img" "$WORK/gate.o"
compile "$WORK/direct.o" "$DATA/direct-app.c" -DDIRECT
must_fail "a failing link says so" "the link failed" \
	-c "$DATA/errors-nolib.yaml" -o "$WORK/img" "$WORK/direct.o"

# And the same inputs link fine with a good config.
"$FLEXOS_LINK" -c "$DATA/direct-two.yaml" -o "$WORK/good" "$WORK/gate.o" "$WORK/libworker.a"
"$WORK/good" || fail "the good image exited $?"
pass "a good config links and runs"

# A library without 'inputs' claims lib<name>.a, also when found through -l.
for input in "$WORK/libworker.a" "-L$WORK -lworker"; do
	# shellcheck disable=SC2086 # the -L/-l pair is two arguments
	"$FLEXOS_LINK" -c "$DATA/implicit-inputs.yaml" -o "$WORK/implicit" "$WORK/gate.o" $input \
		--print-map >"$WORK/implicit.map"
	expect_output "$WORK/implicit.map" "input +.*worker.* \((archive|shared library), library worker\)"
	awk '/compartment 1/ { on = 1 } on' "$WORK/implicit.map" | grep -q 'library worker' ||
		fail "libworker is not in compartment 1 with $input"
	"$WORK/implicit" || fail "the image exited $?"
	pass "a library without inputs claims its archive ($input)"
done

# Malformed inputs: one line that names the file (and the member), status 1,
# no crash. A member's name is the archive's to choose: a newline in it
# comes out escaped.
printf 'compartments:\n- app:\n  default: true\n' >"$WORK/one.yaml"
head -c 200 "$WORK/worker.o" >"$WORK/trunc.o"
ar crS "$WORK/libnoindex.a" "$WORK/worker.o"
head -c 100 "$WORK/libnoindex.a" >"$WORK/libtrunc.a"
cp "$WORK/libnoindex.a" "$WORK/libbad.a"
# The first member's name (offset 8), then its ELF magic (offset 68 + 1).
printf 'w\n.o/\001' | dd of="$WORK/libbad.a" bs=1 seek=8 conv=notrunc 2>/dev/null
printf 'X' | dd of="$WORK/libbad.a" bs=1 seek=69 conv=notrunc 2>/dev/null
# must_fail_one_line NAME PATTERN INPUT
must_fail_one_line() {
	st=0
	"$FLEXOS_LINK" -c "$WORK/one.yaml" -o "$WORK/img" "$3" >"$WORK/out" 2>&1 || st=$?
	[ "$st" -eq 1 ] || { cat "$WORK/out" >&2; fail "$1: status $st, expected 1"; }
	[ "$(wc -l <"$WORK/out")" -eq 1 ] || { cat "$WORK/out" >&2; fail "$1: not one line"; }
	expect_output "$WORK/out" "$2"
	pass "$1"
}
must_fail_one_line "a truncated object" "^$WORK/trunc.o: truncated or misaligned section header table$" "$WORK/trunc.o"
must_fail_one_line "a truncated archive" "^$WORK/libtrunc.a: truncated archive member at offset 68$" "$WORK/libtrunc.a"
must_fail_one_line "a bad member with a newline in its name" \
	"^$WORK/libbad.a: w\\\\n\\.o: not an ELF file$" "$WORK/libbad.a"
