#!/bin/sh
# tests/vm/selftest.sh: end-to-end check of tests/vm/run (and of PKU where
# it runs).  Builds tests/vm/selftest.c dynamically and statically plus two
# tiny programs, and checks the single form (status passed through, signal
# -> 128+N) and the --script form, a TAP case each (tests/lib/testlib.sh).
# Honours CC (default cc) and the FLEXOS_VM_* variables; skipped if
# tests/vm/run exits 77 (FLEXOS_VM_OPTIONAL=1 and no VM).
. "${0%/*}/../lib/testlib.sh"
set -eu

here=$top_srcdir/tests/vm
run=$here/run
cc=${CC:-cc}
tmp=$WORK

$cc -O2 -o "$tmp/selftest" "$here/selftest.c"
if ! $cc -O2 -static -o "$tmp/selftest-static" "$here/selftest.c" 2>"$tmp/static.err"; then
    cat "$tmp/static.err" >&2
    die "cannot link statically (libc.a missing?)"
fi
printf 'int main(void) { return 3; }\n' >"$tmp/exit3.c"
printf 'int main(void) { *(volatile int *)0 = 1; return 0; }\n' >"$tmp/segv.c"
$cc -o "$tmp/exit3" "$tmp/exit3.c"
$cc -o "$tmp/segv" "$tmp/segv.c"

check_run() {    # check_run NAME WANT_STATUS WANT_OUTPUT_PATTERN -- RUN ARGS...
    name=$1 want=$2 pat=$3
    shift 4
    st=0
    "$@" >"$tmp/out" 2>"$tmp/err" || st=$?
    if [ "$st" = 77 ]; then
        cat "$tmp/err" >&2
        skip_all "VM unavailable"
    fi
    if [ "$st" != "$want" ] || { [ -n "$pat" ] && ! grep -q "$pat" "$tmp/out"; }; then
        sed 's/^/  | /' "$tmp/out" "$tmp/err"
        fail "status $st, want $want${pat:+, output matching \"$pat\"}"
    fi
    pass "$name"
}

start=$(date +%s)
check_run "PKU fault caught (dynamic binary)" 0 '^selftest: PKU fault caught, pkey=' -- \
    "$run" -- "$tmp/selftest"
check_run "PKU fault caught (static binary)" 0 '^selftest: PKU fault caught, pkey=' -- \
    "$run" -- "$tmp/selftest-static"
check_run "exit status passed through" 3 '' -- "$run" -- "$tmp/exit3"
check_run "SIGSEGV gives 139" 139 '' -- "$run" -- "$tmp/segv"
check_run "--expect-status" 0 '' -- "$run" --expect-status 139 -- "$tmp/segv"
printf '%s\n' "$tmp/selftest" "$tmp/selftest-static" \
    "--expect-status=3 $tmp/exit3" >"$tmp/script"
check_run "--script, 3 commands" 0 '^=== \[3/3\] .*: ok)$' -- "$run" --script "$tmp/script"
printf '%s\n' "$tmp/selftest" "$tmp/exit3" >"$tmp/script2"
check_run "--script, a failing command" 1 '^=== \[2/2\] .*: FAIL)$' -- "$run" --script "$tmp/script2"
echo "selftest.sh: $(($(date +%s) - start)) s"
