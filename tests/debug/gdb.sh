#!/bin/sh
# The gdb extension (tools/gdb/flexos.py) in batch mode: info compartments,
# flexos which, flexos bt, and gdb's own bt through a process-backend gate
# (its unwind information) and through intel-mpk gates (in the VM).
# Skipped where gdb is missing or cannot run a program (no ptrace).
. "${0%/*}/../lib/testlib.sh"
set -eu
D="$top_srcdir/tests/debug"
EXT="$top_srcdir/tools/gdb/flexos.py"

command -v gdb >/dev/null || skip_all "gdb is not installed (tools/install-deps --test)"
gdb -batch -nx -ex run --args /bin/true >"$WORK/probe.out" 2>&1 &&
	grep -q "exited normally" "$WORK/probe.out" ||
	skip_all "gdb cannot run a program here (ptrace denied)"

. "$D/images.sh"

# run_gdb OUT IMAGE ARG COMMAND...: gdb in batch mode with the extension,
# running the commands (one a line of a command file) on IMAGE ARG.
run_gdb() {
	_out=$1 _img=$2 _arg=$3
	shift 3
	printf '%s\n' "$@" >"$_out.gdb"
	timeout -k 2 60 gdb -batch -nx -x "$EXT" -x "$_out.gdb" --args "$_img" $_arg \
		>"$_out" 2>&1 || true
}

run_gdb "$WORK/none.out" "$WORK/bt-none" 1 "break leaf_crash" run "info compartments" \
	'flexos which $pc' "flexos which &bad_addr" "flexos which 8" "flexos bt" bt kill
expect_output "$WORK/none.out" "^3 compartments, mechanism none, linked from $WORK/bt-none.yaml$"
expect_output "$WORK/none.out" "^  0 app \(default\)$"
expect_output "$WORK/none.out" "^  2 leaf$"
expect_output "$WORK/none.out" "^      heap    0x[0-9a-f]+-0x[0-9a-f]+$"
expect_output "$WORK/none.out" "^0x[0-9a-f]+ is in the \.text of compartment 'leaf'$"
expect_output "$WORK/none.out" "^0x[0-9a-f]+ is in the \.data of compartment 'leaf'$"
expect_output "$WORK/none.out" "^0x8 is in platform memory"
expect_output "$WORK/none.out" "^#2  0x[0-9a-f]+ mid_helper at mid.c:[0-9]+ \[mid\]$"
expect_output "$WORK/none.out" "^#4  0x[0-9a-f]+ app_helper at btapp.c:[0-9]+ \[app\]$"
expect_output "$WORK/none.out" "^#5  0x[0-9a-f]+ in main \("
pass "none: info compartments, flexos which (code, data, platform), flexos bt and bt"

run_gdb "$WORK/process.out" "$WORK/bt-process" cb "break app_cb" run "info compartments" \
	"flexos bt" bt kill
expect_output "$WORK/process.out" "^3 compartments, mechanism process, "
expect_output "$WORK/process.out" "^  0 app \(default\), runs in this process$"
expect_output "$WORK/process.out" "^#5  0x[0-9a-f]+ in flexos__backend_gate_int \(\) at .*gate.S:[0-9]+$"
expect_output "$WORK/process.out" "^#6  0x[0-9a-f]+ in app_helper \(mode=.*\) at .*btapp.c:[0-9]+$"
expect_output "$WORK/process.out" "^#7  0x[0-9a-f]+ in main \("
expect_output "$WORK/process.out" "^#5  0x[0-9a-f]+ flexos__backend_gate_int at gate.S:[0-9]+ \[platform\]$"
pass "process: gdb's bt walks from a callback through the gate into its caller"
no_orphans "gdb"

run_gdb "$WORK/plain.out" /bin/true "" "info compartments"
expect_output "$WORK/plain.out" "no flexos__image: it was not linked with flexos-link"
pass "info compartments on a program without an image says so"

# intel-mpk: gdb's bt from a fault two gates deep (tests/mpk/attack
# --backtrace fault) walks through both gates' stack switches into the
# application's caller, in the emulated-PKU VM (natively where the host has
# PKU). gdb, its Python and its data files go into the VM with it.
A=$top_builddir/tests/mpk/attack
py=$(gdb -batch -nx -ex 'python import os; print(os.path.dirname(os.__file__))' 2>/dev/null) || py=
if [ ! -d "$py" ]; then
	skip "gdb's Python library was not found: the intel-mpk case needs it in the VM"
else
	printf '%s\n' "set pagination off" run bt >"$WORK/mpk.gdb"
	vm_script 300 --file "$(command -v gdb)" --file "$py" --file /usr/share/gdb --file "$A" \
		--file "$WORK/mpk.gdb" <<-EOS
	$(command -v gdb) -q -batch -nx -x $WORK/mpk.gdb --args $A --backtrace fault
	EOS
	frames=$(vm_output 1 | sed -n 's/^#[0-9]* .* in \([A-Za-z_][A-Za-z0-9_]*\) (.*/\1/p; s/^#[0-9]*  \([A-Za-z_][A-Za-z0-9_]*\) (.*/\1/p' | tr '\n' ' ')
	case " $frames" in
	*" bt_inner "*"lib1_call "*"bt_outer "*) pass "intel-mpk: gdb's bt walks two gates deep into the caller: $frames" ;;
	*) fail "intel-mpk: gdb's bt stops early: frames '$frames'" ;;
	esac
fi

