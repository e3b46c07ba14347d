#!/bin/sh
# tests/vm/selftest.sh: end-to-end check of tests/vm/run (and of PKU where
# it runs).  Builds tests/vm/selftest.c dynamically and statically plus two
# tiny programs, and checks the single form (status passed through, signal
# -> 128+N) and the --script form.  Prints "N passed, N failed"; exits 0
# only if all passed.  Honours CC (default cc) and the FLEXOS_VM_* variables;
# exits 77 if tests/vm/run does (FLEXOS_VM_OPTIONAL=1 and no VM).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
run=$here/run
cc=${CC:-cc}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/flexos-vm-selftest.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

$cc -O2 -o "$tmp/selftest" "$here/selftest.c"
if ! $cc -O2 -static -o "$tmp/selftest-static" "$here/selftest.c" 2>"$tmp/static.err"; then
    echo "selftest.sh: cannot link statically (libc.a missing?):" >&2
    cat "$tmp/static.err" >&2
    exit 99
fi
printf 'int main(void) { return 3; }\n' >"$tmp/exit3.c"
printf 'int main(void) { *(volatile int *)0 = 1; return 0; }\n' >"$tmp/segv.c"
$cc -o "$tmp/exit3" "$tmp/exit3.c"
$cc -o "$tmp/segv" "$tmp/segv.c"

pass=0 fail=0
check() {    # check NAME WANT_STATUS WANT_OUTPUT_PATTERN -- RUN ARGS...
    name=$1 want=$2 pat=$3
    shift 4
    st=0
    "$@" >"$tmp/out" 2>"$tmp/err" || st=$?
    if [ "$st" = 77 ]; then
        cat "$tmp/err" >&2
        echo "selftest.sh: VM unavailable: skipped"
        exit 77
    fi
    if [ "$st" = "$want" ] && { [ -z "$pat" ] || grep -q "$pat" "$tmp/out"; }; then
        echo "PASS: $name"
        pass=$((pass + 1))
    else
        echo "FAIL: $name (status $st, want $want${pat:+, output matching \"$pat\"})"
        sed 's/^/  | /' "$tmp/out" "$tmp/err"
        fail=$((fail + 1))
    fi
}

start=$(date +%s)
check "PKU fault caught (dynamic binary)" 0 '^selftest: PKU fault caught, pkey=' -- \
    "$run" -- "$tmp/selftest"
check "PKU fault caught (static binary)" 0 '^selftest: PKU fault caught, pkey=' -- \
    "$run" -- "$tmp/selftest-static"
check "exit status passed through" 3 '' -- "$run" -- "$tmp/exit3"
check "SIGSEGV gives 139" 139 '' -- "$run" -- "$tmp/segv"
check "--expect-status" 0 '' -- "$run" --expect-status 139 -- "$tmp/segv"
printf '%s\n' "$tmp/selftest" "$tmp/selftest-static" \
    "--expect-status=3 $tmp/exit3" >"$tmp/script"
check "--script, 3 commands" 0 '^=== \[3/3\] .*: ok)$' -- "$run" --script "$tmp/script"
printf '%s\n' "$tmp/selftest" "$tmp/exit3" >"$tmp/script2"
check "--script, a failing command" 1 '^=== \[2/2\] .*: FAIL)$' -- "$run" --script "$tmp/script2"
echo "selftest.sh: $(($(date +%s) - start)) s"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
