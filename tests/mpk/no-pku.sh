#!/bin/sh
# Native test: on a host without protection keys, an intel-mpk image must
# refuse to start (status 125), say why and name the alternatives.
set -u
img=${top_builddir:-.}/tests/mpk/hello-mpk

if grep -qw pku /proc/cpuinfo 2>/dev/null; then
	echo "no-pku: this host has PKU; the refusal is only testable without it: skipped"
	exit 77
fi
out=$("$img" 2>&1)
st=$?
printf '%s\n' "$out"
fail=0
[ "$st" = 125 ] || { echo "no-pku: FAIL: status $st, expected 125"; fail=1; }
for want in "no memory protection keys" "never runs unprotected" "'none' or 'process'" \
	"flexos-run -- IMAGE"; do
	case $out in
	*"$want"*) ;;
	*) echo "no-pku: FAIL: the message does not say: $want"; fail=1 ;;
	esac
done
case $out in *"main: backend"*) echo "no-pku: FAIL: main ran"; fail=1 ;; esac
[ $fail = 0 ] && echo "no-pku: ok (refused with status 125)"
exit $fail
