#!/bin/sh
# Static functions under 'callbacks:': the library calls a static function
# of the application through a pointer taken by lea (same section, no
# relocation: flexos-link adds one) or read from a table (a relocation
# against the section), in objects built with and without
# -ffunction-sections. Under none, process (natively) and intel-mpk (in the
# emulated-PKU VM) it runs in the application's compartment. Without the
# listing, the call is stopped, and the intel-mpk report says to list it.
# Two static functions of the listed name are refused, naming both files;
# so is an archive that holds the callback in a member whose name another
# member has.
# If the VM cannot run, this fails, unless FLEXOS_VM_OPTIONAL=1 (then: skip).
. "${0%/*}/../lib/testlib.sh"
set -eu

mkdir "$WORK/fs"
compile "$WORK/static-app.o" "$DATA/static-app.c"
compile "$WORK/fs/static-app.o" "$DATA/static-app.c" -ffunction-sections -fdata-sections
compile "$WORK/auto-lib.o" "$DATA/auto-lib.c"
ar cr "$WORK/libauto.a" "$WORK/auto-lib.o"
sed '/callbacks:/d' "$DATA/static-cb.yaml" >"$WORK/unlisted.yaml"
for m in none process intel-mpk; do
	with_mechanism "$DATA/static-cb.yaml" "$m" >"$WORK/cb-$m.yaml"
	with_mechanism "$WORK/unlisted.yaml" "$m" >"$WORK/unlisted-$m.yaml"
	for v in plain fs; do
		o=$WORK/static-app.o
		[ "$v" = plain ] || o=$WORK/fs/static-app.o
		"$FLEXOS_LINK" -c "$WORK/cb-$m.yaml" -o "$WORK/$v-$m" "$o" "$WORK/libauto.a" \
			2>"$WORK/link.err" || { cat "$WORK/link.err" >&2; fail "cannot link $v under $m"; }
	done
	"$FLEXOS_LINK" -c "$WORK/cb-$m.yaml" -o "$WORK/plain-$m" "$WORK/static-app.o" \
		"$WORK/libauto.a" 2>"$WORK/listed-$m.err"
	"$FLEXOS_LINK" -c "$WORK/unlisted-$m.yaml" -o "$WORK/unlisted-$m" "$WORK/static-app.o" \
		"$WORK/libauto.a" 2>"$WORK/unlisted-$m.err" ||
		{ cat "$WORK/unlisted-$m.err" >&2; fail "cannot link unlisted under $m"; }
done

# At link time, a function whose address is taken where calls leave the
# compartment is a callback candidate: a note, for isolating mechanisms only.
for m in process intel-mpk; do
	expect_output "$WORK/unlisted-$m.err" "note: function 'app_cb' of library 'app' has its address taken in .*static-app.o, which calls into compartment 'sandbox': if it calls it through that pointer, list it under 'callbacks:' of that library"
	! grep -q "note: function 'app_cb'" "$WORK/listed-$m.err" || fail "$m: the note names a listed callback"
done
! grep -q "note: function 'app_cb'" "$WORK/unlisted-none.err" || fail "none: the note appears where nothing isolates"
pass "flexos-link notes the unlisted static callback (process, intel-mpk), not a listed one, not under none"

# run IMAGE ARG: its exit status, its output in $WORK/out.
run() {
	set +e
	"$1" "$2" >"$WORK/out" 2>&1
	st=$?
	set -e
}

for m in none process; do
	for v in plain fs; do
		for how in lea table; do
			run "$WORK/$v-$m" "$how"
			[ "$st" = 0 ] || { cat "$WORK/out" >&2; fail "$m, $v, $how: exit $st"; }
			expect_output "$WORK/out" "^lib_apply: 106 "
		done
	done
done
pass "none, process: a static callback, by lea or from a table, with and without -ffunction-sections, runs in the application's compartment"

run "$WORK/unlisted-process" lea
[ "$st" = 123 ] || { cat "$WORK/out" >&2; fail "process: an unlisted static callback was not stopped (exit $st)"; }
expect_output "$WORK/out" "that is code of compartment 'app', run in the process of compartment 'sandbox': .*list it under 'callbacks:' of its library in"
pass "process: the same static callback, not listed, is stopped, and the report says to list it"

# Two static functions of that name in one library: which one is meant?
compile "$WORK/other.o" "$DATA/static-app.c" -Dmain=other_main
sed 's/inputs: \[static-app.o\]/inputs: [static-app.o, other.o]/' "$WORK/cb-process.yaml" >"$WORK/two.yaml"
if "$FLEXOS_LINK" -c "$WORK/two.yaml" -o "$WORK/two" "$WORK/static-app.o" "$WORK/other.o" \
	"$WORK/libauto.a" 2>"$WORK/two.err"; then
	fail "two static functions named app_cb were accepted"
fi
expect_output "$WORK/two.err" "error: callback 'app_cb' of library 'app' names two static functions, in .*static-app.o and in .*other.o"
pass "two static functions of the listed name are refused, naming both files"

# The static callback in a member of a static archive: routed through the
# member (flexos-link rewrites its copy); two members of that name are
# refused, since which one holds it cannot be told.
ar cr "$WORK/libone.a" "$WORK/static-app.o"
sed 's/inputs: \[static-app.o\]/inputs: [libone.a]/' "$WORK/cb-process.yaml" >"$WORK/one.yaml"
"$FLEXOS_LINK" -c "$WORK/one.yaml" -o "$WORK/one" "$WORK/libone.a" "$WORK/libauto.a" \
	2>"$WORK/one.err" || { cat "$WORK/one.err" >&2; fail "cannot link the callback from an archive"; }
run "$WORK/one" lea
[ "$st" = 0 ] || { cat "$WORK/out" >&2; fail "process: the archive's static callback exited $st"; }
expect_output "$WORK/out" "^lib_apply: 106 "
mkdir "$WORK/dup"
printf 'int unrelated(void) { return 1; }\n' >"$WORK/dup/static-app.c"
compile "$WORK/dup/static-app.o" "$WORK/dup/static-app.c"
ar q "$WORK/libdup.a" "$WORK/static-app.o" "$WORK/dup/static-app.o"
sed 's/inputs: \[static-app.o\]/inputs: [libdup.a]/' "$WORK/cb-process.yaml" >"$WORK/dup.yaml"
if "$FLEXOS_LINK" -c "$WORK/dup.yaml" -o "$WORK/dup-img" "$WORK/libdup.a" "$WORK/libauto.a" \
	2>"$WORK/dup.err"; then
	fail "an archive with two members named static-app.o was accepted"
fi
expect_output "$WORK/dup.err" "libdup.a holds 2 members named static-app.o, so the callback 'app_cb' defined there cannot be routed through its stub"
[ ! -e "$WORK/dup-img" ] || fail "an image was written for the archive with two members of one name"
pass "process: a static callback in an archive's member runs in the application's compartment; two members of that name are refused"

vm_script 300 --file "$WORK" <<EOS
$WORK/plain-intel-mpk lea
$WORK/plain-intel-mpk table
$WORK/fs-intel-mpk lea
$WORK/fs-intel-mpk table
--expect-status=123 $WORK/unlisted-intel-mpk lea
EOS
for n in 1 2 3 4; do
	vm_output $n >"$WORK/out.$n"
	expect_output "$WORK/out.$n" "^lib_apply: 106 "
done
pass "intel-mpk: the static callback runs in the application's compartment, 4 ways"
vm_output 5 >"$WORK/out.5"
expect_output "$WORK/out.5" "compartment 'sandbox' tried to read"
expect_output "$WORK/out.5" "is code of compartment 'app', running as compartment 'sandbox': .*list it under 'callbacks:'"
pass "intel-mpk: unlisted, it is stopped, and the report says to list it under callbacks"
