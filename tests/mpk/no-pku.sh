#!/bin/sh
# Native test: on a host without protection keys, an intel-mpk image must
# refuse to start (status 125), say why and name the alternatives.
. "${0%/*}/../lib/testlib.sh"
set -u
img=$top_builddir/tests/mpk/hello-mpk

if grep -qw pku /proc/cpuinfo 2>/dev/null; then
	skip_all "this host has PKU; the refusal is only testable without it"
fi
out=$("$img" 2>&1)
st=$?
printf '%s\n' "$out"
[ "$st" = 125 ] || fail "status $st, expected 125"
for want in "no memory protection keys" "never runs unprotected" "'none' or 'process'" \
	"flexos-run -- IMAGE"; do
	case $out in
	*"$want"*) ;;
	*) fail "the message does not say: $want" ;;
	esac
done
case $out in *"main: backend"*) fail "main ran" ;; esac
pass "an intel-mpk image refuses to start without PKU (status 125), says why and what to use"
