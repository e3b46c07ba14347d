#!/bin/sh
# "You only pay for what you get": a gate between libraries of the same
# compartment, or any gate under the none backend, is the plain call. The
# caller's machine code must be identical to a direct call's.
. "${0%/*}/../lib/testlib.sh"
set -eu

compile "$WORK/gate.o" "$DATA/direct-app.c"
compile "$WORK/direct.o" "$DATA/direct-app.c" -DDIRECT
compile "$WORK/worker.o" "$DATA/direct-worker.c"
ar cr "$WORK/libworker.a" "$WORK/worker.o"

# The caller's instructions, with addresses and encodings stripped and
# branch targets named by the function (a sized symbol) at that address:
# section-boundary symbols can share a function's address.
disasm() {
	nm -S --defined-only "$1" | awk 'NF == 4 { sub(/^0+/, "", $1); print $1, $4 }' >"$2.syms"
	objdump -d --no-show-raw-insn "$1" |
		awk '/^[0-9a-f]+ <caller>:$/ { on = 1; next } on && /^$/ { exit } on' |
		sed -E 's/^ *[0-9a-f]+:[[:space:]]*//' |
		awk -v syms="$2.syms" '
			BEGIN { while ((getline line < syms) > 0) { split(line, f, " "); name[f[1]] = f[2] } }
			match($0, /[0-9a-f]+ <[^>]*>/) {
				split(substr($0, RSTART, RLENGTH), t, " ")
				a = t[1]
				sub(/^0+/, "", a)
				$0 = substr($0, 1, RSTART - 1) "<" (a in name ? name[a] : "?") ">" substr($0, RSTART + RLENGTH)
			}
			{ print }' >"$2"
	[ -s "$2" ] || fail "no code found for caller() in $1"
}

for config in direct-one direct-two; do
	"$FLEXOS_LINK" -c "$DATA/$config.yaml" -o "$WORK/$config-gate" "$WORK/gate.o" "$WORK/libworker.a"
	"$FLEXOS_LINK" -c "$DATA/$config.yaml" -o "$WORK/$config-direct" "$WORK/direct.o" "$WORK/libworker.a"
	"$WORK/$config-gate" || fail "$config-gate exited $?"
	disasm "$WORK/$config-gate" "$WORK/$config-gate.s"
	disasm "$WORK/$config-direct" "$WORK/$config-direct.s"
	grep -q 'call.*<work>' "$WORK/$config-gate.s" || fail "$config: caller() does not call work() directly"
	if ! cmp -s "$WORK/$config-gate.s" "$WORK/$config-direct.s"; then
		diff "$WORK/$config-direct.s" "$WORK/$config-gate.s" >&2
		fail "$config: the gate added instructions"
	fi
	pass "$config: the gate compiles to the direct call ($(wc -l <"$WORK/$config-gate.s") instructions, same as direct)"
done

# The gate in the test above must be able to fail: a gate that does cross
# compartments (a stub) is seen as different code.
printf '\t.text\n\t.globl __flexos_gate__worker__work\n__flexos_gate__worker__work:\n\tnop\n\tjmp work\n\t.section .note.GNU-stack,"",@progbits\n' >"$WORK/stub.s"
$CC -c -o "$WORK/stub.o" "$WORK/stub.s"
"$FLEXOS_LINK" -c "$DATA/direct-one.yaml" -o "$WORK/stubbed" "$WORK/stub.o" "$WORK/gate.o" "$WORK/libworker.a"
disasm "$WORK/stubbed" "$WORK/stubbed.s"
! grep -q 'call.*<work>' "$WORK/stubbed.s" || fail "the checker cannot tell a stub from a direct call"
pass "the checker tells a stub from a direct call"
