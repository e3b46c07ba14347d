#!/bin/sh
# The intel-mpk tests that need protection keys, in one boot of the
# emulated-PKU VM (tests/vm/run; natively where the host has PKU): the
# attack matrix, the forged gate, nested gates, stdio, threads, the gate
# path length and the hello example, isolated and attacked; then the same
# image linked with shared stacks (attack-shared): a library writing into
# its caller's stack, the matrix without stack isolation, nested gates,
# threads, the forged shared gate and its path length.
# If the VM cannot run, this fails, unless FLEXOS_VM_OPTIONAL=1 (then: skip).
set -u
top_srcdir=${top_srcdir:-.}
b=$(cd "${top_builddir:-.}" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/flexos-mpk.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/script" <<EOS
$b/tests/mpk/attack --matrix
--expect-status=134 $b/tests/mpk/attack --forge entry
--expect-status=134 $b/tests/mpk/attack --forge exit
$b/tests/mpk/attack --nested
$b/tests/mpk/attack --printf
$b/tests/mpk/attack --threads
$b/tests/mpk/attack --count
--expect-status=134 $b/tests/mpk/attack --forge newlib-entry
--expect-status=134 $b/tests/mpk/attack --forge newlib-exit
$b/tests/mpk/attack --count newlib
$b/tests/mpk/hello-mpk
--expect-status=123 $b/tests/mpk/hello-mpk --attack
$b/tests/sched/sched-mpk
$b/tests/mpk/attack-shared --stackptr
--expect-status=123 $b/tests/mpk/attack --stackptr
$b/tests/mpk/attack-shared --matrix shared
$b/tests/mpk/attack-shared --nested
$b/tests/mpk/attack-shared --threads
--expect-status=134 $b/tests/mpk/attack-shared --forge shared-entry
--expect-status=134 $b/tests/mpk/attack-shared --forge shared-exit
$b/tests/mpk/attack-shared --count shared
EOS

# backtrace() loads libgcc_s when it first runs: the VM needs it.
files=
libgcc=$(${CC:-cc} -print-file-name=libgcc_s.so.1 2>/dev/null)
case $libgcc in /*) [ -f "$libgcc" ] && files="--file $libgcc" ;; esac

# shellcheck disable=SC2086
"$top_srcdir/tests/vm/run" --timeout 600 $files --script "$tmp/script" >"$tmp/out" 2>&1
st=$?
cat "$tmp/out"
case $st in
0) ;;
77) exit 77 ;;
*) echo "vm.sh: FAIL: tests/vm/run exited with $st"; exit 1 ;;
esac

# The output of command N of the script.
output() {
	awk -v n="$1" '/^=== \[[0-9]+\/[0-9]+\] / { split($2, a, /[\[\/]/); cur = a[2] + 0; next }
		/^tests\/vm\/run: [0-9]+ commands/ { cur = 0 }
		cur == n' "$tmp/out"
}
fail=0
check() {    # check N TEXT WHAT
	if output "$1" | grep -qF -- "$2"; then
		echo "vm.sh: ok: $3"
	else
		echo "vm.sh: FAIL: $3 (no '$2' in the output of command $1)"
		fail=1
	fi
}

matrix() {  # matrix N WHAT: every attack of command N's matrix blocked
	m=$(output "$1" | sed -n 's/^\([0-9]*\)\/\([0-9]*\) blocked$/\1 \2/p')
	set -- $m "$2"
	if [ $# = 3 ] && [ "$1" = "$2" ] && [ "$1" -gt 0 ]; then
		echo "vm.sh: ok: $3: $1/$2 blocked"
	else
		echo "vm.sh: FAIL: $3: '$m' blocked"
		fail=1
	fi
}
matrix 1 "attack matrix"
check 1 "42/42 shared or own accesses allowed" "attack matrix: shared and own accesses"
check 2 "something jumped into the middle of a gate" "forged gate entry stopped"
check 3 "something jumped into the middle of a gate" "forged gate exit stopped"
check 4 "nested: 27 (expected 27): ok" "nested gates and callbacks"
check 5 "printf: ok" "stdio from every compartment"
check 6 "threads: ok" "4 threads x 101000 gates"
check 7 "so 44 besides the WRPKRUs" "gate path length"
check 8 "something jumped into the middle of a gate" "newlib gate: forged entry stopped"
check 9 "something jumped into the middle of a gate" "newlib gate: forged exit stopped"
check 10 "(4 of them WRPKRU)" "newlib gate: path length"
check 12 "compartment 'comp2' tried to read" "hello --attack: the report names the library's compartment"
check 12 "belongs to compartment 'comp1': .data" "hello --attack: and the application's"
check 13 "sched-image: ok" "scheduler threads switching while in different compartments"

# Shared stacks (attack-shared, every compartment 'stack: shared').
check 14 "stackptr: 42 (expected 42): ok" "shared stacks: a library writes into its caller's stack variable"
check 15 "compartment 'lib1' tried to write " "private stacks: the same write is a fault"
check 15 "belongs to compartment 'app': stack" "private stacks: the report names app's stack"
matrix 16 "shared stacks: data, bss and heap attack matrix"
check 16 "42/42 shared or own accesses allowed" "shared stacks: shared and own accesses"
check 16 "12/12 accesses to another compartment's stack succeeded" \
	"shared stacks: stacks are reachable from every compartment (expected, not isolated)"
check 17 "nested: 27 (expected 27): ok" "shared stacks: nested gates and callbacks"
check 18 "threads: ok" "shared stacks: 4 threads x 101000 gates"
check 19 "something jumped into the middle of a gate" "shared stacks: forged gate entry stopped"
check 20 "something jumped into the middle of a gate" "shared stacks: forged gate exit stopped"
check 21 "so 39 besides the WRPKRUs" "shared stacks: gate path length"

# The isolated hello prints what the unisolated one prints, backend aside.
norm() { sed 's/backend [a-z-]*,/backend X,/'; }
if [ -x "$b/examples/hello/hello-two" ]; then
	"$b/examples/hello/hello-two" | norm >"$tmp/none"
	output 11 | norm >"$tmp/mpk"
	if [ -s "$tmp/none" ] && cmp -s "$tmp/none" "$tmp/mpk"; then
		echo "vm.sh: ok: hello under intel-mpk prints what it prints under none"
	else
		echo "vm.sh: FAIL: hello under intel-mpk differs from none:"
		diff "$tmp/none" "$tmp/mpk"
		fail=1
	fi
fi
exit $fail
