#!/bin/sh
# make demo: the hello example with its library isolated, then the library
# attacking the application's secret, which the backend must stop. Runs
# under process everywhere and under intel-mpk where the CPU and kernel
# have protection keys (flexos-run --has-pku: pkey_alloc, not CPUID).
# Usage: examples/hello/demo.sh BUILDDIR SRCDIR
set -u
b=$1 src=$2
hello=$b/examples/hello

say() { printf '\n== %s\n' "$*"; }

# attack IMAGE BACKEND [RUNNER...]: the attack must end in a fault report.
attack() {
	img=$1 backend=$2
	shift 2
	say "$backend: the library reads the application's secret (--attack)"
	"$@" "$img" --attack
	st=$?
	if [ "$st" -eq 123 ]; then
		say "$backend: the attack was stopped: the image ended with the report above (status 123)"
		return 0
	fi
	say "$backend: ERROR: the attack was not stopped (status $st, expected 123)"
	return 1
}

fail=0
say "process: hello, the library (libsecret) in a process of its own (examples/hello/two.yaml)"
"$hello/hello-process" --map || fail=1
attack "$hello/hello-process" process || fail=1

if "$src/tools/flexos-run" --has-pku; then
	say "intel-mpk: this CPU has protection keys (pkey_alloc works): the same, natively"
	"$hello/hello-mpk" || fail=1
	attack "$hello/hello-mpk" intel-mpk || fail=1
	ran="process and intel-mpk"
else
	say "intel-mpk: skipped: no protection keys here (pkey_alloc fails). To see it under emulated"
	echo "   protection keys in a VM (about 10 s): tools/flexos-run -- examples/hello/hello-mpk --attack"
	ran="process only (no PKU here)"
fi
if [ "$fail" -eq 0 ]; then
	say "demo: isolation held under $ran"
else
	say "demo: FAILED (see above)"
fi
exit "$fail"
