#!/bin/sh
# Automatic gates for unmodified archives: a call from the application to
# a function of an archive in another compartment goes through a generated
# stub, calls inside a compartment stay direct (checked in the machine
# code), a variable used across compartments is refused unless listed in
# shared_data, and a function listed in callbacks runs in its own
# compartment when the library calls it through a pointer.
. "${0%/*}/../lib/testlib.sh"
set -eu

compile "$WORK/app.o" "$DATA/auto-app.c"
compile "$WORK/app-data.o" "$DATA/auto-app.c" -DUSE_DATA
compile "$WORK/app-other.o" "$DATA/auto-app.c" -DUSE_DATA -DUSE_OTHER
compile "$WORK/lib.o" "$DATA/auto-lib.c" -fdata-sections
ar cr "$WORK/libauto.a" "$WORK/lib.o"
# The same library with all its variables in one .bss: none can move alone.
mkdir "$WORK/packed"
compile "$WORK/packed/lib.o" "$DATA/auto-lib.c"
ar cr "$WORK/packed/libauto.a" "$WORK/packed/lib.o"

# The instructions of function $2 in image $1, one a line.
code_of() {
	objdump -d --no-show-raw-insn "$1" |
		awk -v f="<$2>:" '$2 == f { on = 1; next } on && /^$/ { exit } on'
}

link() { # link MECHANISM CONFIG IMAGE INPUTS...
	mech=$1 config=$2 image=$3
	shift 3
	with_mechanism "$DATA/$config.yaml" "$mech" >"$WORK/$config-$mech.yaml"
	"$FLEXOS_LINK" -c "$WORK/$config-$mech.yaml" -o "$image" "$@"
}

# 1. Under process, the crossing call goes through the stub, the rest stays direct.
link process auto "$WORK/p" "$WORK/app.o" "$WORK/libauto.a" || fail "process link failed"
"$WORK/p" >"$WORK/p.out" || fail "the process image exited $?"
expect_output "$WORK/p.out" "^lib_work: 46 "
code_of "$WORK/p" main >"$WORK/p.main"
grep -q 'call.*<__flexos_gate__lib__lib_work>' "$WORK/p.main" ||
	{ cat "$WORK/p.main" >&2; fail "main does not call lib_work through its gate stub"; }
grep -q 'call.*<app_local>' "$WORK/p.main" || fail "main's call to app_local is not direct"
code_of "$WORK/p" lib_work >"$WORK/p.work"
grep -q 'call.*<lib_inner>' "$WORK/p.work" || fail "lib_work's call to lib_inner is not direct"
! grep -q '__flexos_gate' "$WORK/p.work" || fail "a call inside the library goes through a gate"
pass "process: app -> lib goes through __flexos_gate__lib__lib_work, calls inside each compartment stay direct"

# The callee really runs in the library's process: its stub reaches the backend gate.
code_of "$WORK/p" __flexos_gate__lib__lib_work | grep -q 'jmp.*<flexos__backend_gate>' ||
	fail "the stub does not enter flexos__backend_gate"
pass "process: the stub enters the backend gate"

# 2. Under none nothing is rewritten: main calls lib_work directly.
link none auto "$WORK/n" "$WORK/app.o" "$WORK/libauto.a" || fail "none link failed"
"$WORK/n" >"$WORK/n.out" || fail "the none image exited $?"
code_of "$WORK/n" main | grep -q 'call.*<lib_work>' || fail "none: main does not call lib_work directly"
pass "none: the same inputs link to the direct call"

# 3. A variable across compartments is refused, naming both sides and the remedies.
if link process auto "$WORK/d" "$WORK/app-data.o" "$WORK/libauto.a" 2>"$WORK/d.err"; then
	fail "a variable used across compartments was accepted"
fi
expect_output "$WORK/d.err" "app-data.o \(compartment 'app'\) uses variable 'lib_counter' of .*libauto.a \(library 'lib', compartment 'sandbox'\)"
expect_output "$WORK/d.err" "shared_data: \[lib_counter\]"
expect_output "$WORK/d.err" "put both libraries in one compartment"
[ ! -e "$WORK/d" ] || fail "an image was written anyway"
pass "process: a variable used across compartments is refused with both sides and the remedies"

# 4. shared_data moves it to the shared section: both processes see one variable.
link process auto-shared "$WORK/s" "$WORK/app-data.o" "$WORK/libauto.a" || fail "shared_data link failed"
"$WORK/s" >"$WORK/s.out" || { cat "$WORK/s.out" >&2; fail "the shared_data image exited $?"; }
expect_output "$WORK/s.out" "^lib_work: 49 "
pass "process: shared_data lib_counter is seen by both compartments"

# 5. It cannot move a variable that shares its section with others.
if link process auto-shared "$WORK/x" "$WORK/app-other.o" "$WORK/packed/libauto.a" 2>"$WORK/x.err"; then
	fail "a variable that shares its section was moved anyway"
fi
expect_output "$WORK/x.err" "'lib_counter' of library 'lib' shares section '.bss' of .*libauto.a\(lib.o\) with [0-9]+ other symbols"
expect_output "$WORK/x.err" "-fdata-sections"
pass "shared_data refuses a variable whose section holds others"

# 6. --explain lists the calls and variables with counts.
link process auto-shared "$WORK/e" --explain "$WORK/app-other.o" "$WORK/libauto.a" >"$WORK/e.out" ||
	fail "--explain link failed"
expect_output "$WORK/e.out" "^call .*app-other.o \[app\] .*libauto.a \[sandbox/lib\] +lib_work +3 +gate$"
expect_output "$WORK/e.out" "^call .* +lib_apply +1 +gate$"
expect_output "$WORK/e.out" "^data .* +lib_counter +1 +shared section"
expect_output "$WORK/e.out" "^data .* +lib_other_counter +1 +shared section"
expect_output "$WORK/e.out" "^total: 2 calls \(4 references\) and 2 variables \(2 references\)"
pass "--explain lists calls and variables with their reference counts"

# 7. A function pointer the library calls: without 'callbacks' it runs in the
# library's process, where the application's data is out of reach.
set +e
"$WORK/p" --callback >"$WORK/c0.out" 2>&1
st=$?
set -e
[ "$st" = 123 ] || { cat "$WORK/c0.out" >&2; fail "an unlisted callback was not stopped (exit $st)"; }
link process auto-callback "$WORK/c" "$WORK/app.o" "$WORK/libauto.a" || fail "callbacks link failed"
"$WORK/c" --callback >"$WORK/c.out" 2>&1 || { cat "$WORK/c.out" >&2; fail "callback image exited $?"; }
expect_output "$WORK/c.out" "^lib_apply: 106 "
pass "process: a listed callback runs in the application's compartment (unlisted: stopped)"
