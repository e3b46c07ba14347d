#!/bin/sh
# A compartment with 'libc: newlib', linked by flexos-link (docs/newlib.md):
# the application (glibc) calls a library compiled against newlib in
# compartment 'nl' and a glibc library in compartment 'gl'
# (comp.yaml, comp-app.c). Under none, process and intel-mpk (in the
# emulated-PKU VM) both C libraries work side by side; under intel-mpk the
# newlib compartment runs without key 0: it cannot read glibc's globals,
# stdout's buffer or the thread's TLS, which the glibc compartment can
# (the extended attack matrix). Also: flexos-link's refusals.
. "${0%/*}/../lib/testlib.sh"
set -eu
need_newlib

cd "$WORK"
nlcc() { $CC $NEWLIB_CFLAGS -O2 -fPIE -Wall -Wextra -Werror -c "$@"; }
nlcc -o nllib.o "$SRC/nllib.c"
nlcc -o nlprobe.o "$SRC/nlprobe.c"
compile glprobe.o "$SRC/glprobe.c"
compile app.o "$SRC/comp-app.c" -I"$SRC"

for mech in none process intel-mpk; do
	with_mechanism "$SRC/comp.yaml" "$mech" >"$mech.yaml"
	"$FLEXOS_LINK" -c "$mech.yaml" -o "app-$mech" app.o nllib.o nlprobe.o glprobe.o ||
		fail "flexos-link refused the $mech image"
done
pass "images with a newlib compartment link under none, process and intel-mpk"

# Only the compartment's API and its glue instance are left of newlib's
# symbols: nothing of it can clash with glibc.
nm app-none | awk '$2 ~ /^[A-Z]$/ {print $3}' >globals
for s in nl_format probe_read flexos__newlib_glue__nl; do
	grep -qx "$s" globals || fail "$s is not global in the image"
done
for s in _malloc_r _impure_ptr __sfp sbrk _write_r; do
	! grep -qx "$s" globals || fail "newlib's $s is global in the image"
done
pass "newlib's symbols are local to the compartment; its API and glue instance are global"

expected="glibc: checks passed
newlib: held until exit"
for mech in none process; do
	timeout 30 "./app-$mech" check >"check.$mech" 2>&1 || { cat "check.$mech" >&2; fail "$mech: check failed"; }
	printf '%s\n' "$expected" | cmp -s - "check.$mech" || {
		cat "check.$mech" >&2
		fail "$mech: unexpected output"
	}
	pass "$mech: printf, errno, malloc, buffering and the exit-time flush of each C library"
done

expected_signal="signal: app's handler ran 2 times and returned
signal: after a call into newlib, app's handler ran 3 times
signal: gl's handler ran 2 times and returned
signal: timer signals during calls into newlib: handled, 5 or more"
for mech in none process; do
	timeout 30 "./app-$mech" signal >"signal.$mech" 2>&1 || { cat "signal.$mech" >&2; fail "$mech: signal failed"; }
	printf '%s\n' "$expected_signal" | cmp -s - "signal.$mech" || { cat "signal.$mech" >&2; fail "$mech: signal: unexpected output"; }
done
pass "none, process: handlers of the application and of a glibc compartment run and return beside a newlib compartment, timer signals during its calls included"

for target in app-data nl-heap; do
	status=0
	who=nl-read
	[ "$target" = nl-heap ] && who=app-read
	timeout 30 ./app-process "$who" "$target" >p.out 2>p.err || status=$?
	[ "$status" -eq 123 ] || { cat p.out p.err >&2; fail "process: $who $target exited $status, expected 123"; }
	pass "process: $who $target is stopped"
done

# intel-mpk: the check and the extended attack matrix in the VM.
img="$WORK/app-intel-mpk"
{
	echo "$img check"
	echo "$img signal"
	echo "$img storm 100000"
	for t in environ stdout-buffer tls app-data; do
		echo "--expect-status=123 $img nl-read $t"
		echo "--expect-status=123 $img nl-write $t"
	done
	echo "$img nl-read ro-entry"
	echo "--expect-status=123 $img nl-write ro-entry"
	echo "$img nl-read shared"
	echo "$img nl-read nl-heap"
	for t in environ stdout-buffer tls; do
		echo "$img gl-read $t"
	done
	echo "--expect-status=123 $img gl-read app-data"
	echo "--expect-status=123 $img app-read nl-heap"
	echo "$img threads"
	echo "--expect-status=123 $img denied"
	echo "--expect-status=123 $img nl-denied"
	echo "--expect-status=123 $img clone-raw"
	echo "--expect-status=123 $img sigsys"
	echo "--expect-status=123 $img nl-sigcopy stub"
	echo "--expect-status=123 $img nl-sigcopy restorer"
} >script
# (The current directory is WORK: vm.out is the VM's output.)
vm_script 300 <script
expect_output vm.out "^newlib: held until exit$"
pass "intel-mpk: both C libraries work; newlib's streams are flushed at exit"
printf '%s\n' "$expected_signal" >signal.expected
tr -d '\r' <vm.out | grep '^signal: ' | cmp -s - signal.expected ||
	{ cat vm.out >&2; fail "intel-mpk: signal handlers beside a newlib compartment"; }
pass "intel-mpk: handlers of the application and of a glibc compartment run and return beside a newlib compartment, timer signals during its calls included"
# Limit 9: a 1 ms timer's signals while the application calls into newlib
# 100,000 times: some find a gate's window open (the restorer resumes it,
# with the newlib compartment's PKRU once the window has switched), and
# every call returns its result.
tr -d '\r' <vm.out | grep -Eq "^storm: 100000 calls into newlib, [1-9][0-9]* signals handled \([1-9][0-9]* in a gate's window\), 0 wrong results" ||
	{ cat vm.out >&2; fail "intel-mpk: timer signals while crossing into newlib"; }
pass "intel-mpk: a timer's signals while the application crosses into newlib 100,000 times: some land in a gate's window, every call returns its result ($(tr -d '\r' <vm.out | sed -n 's/^storm: .* handled (\([0-9]*\) in a.*/\1/p') in a window)"
# (The matrix's counts without the last two commands, nl-sigcopy's.)
sed "/^=== \[$(($(grep -c . script) - 1))\//,\$d" vm.out >vm.matrix
n=$(grep "compartment 'nl' tried to \(read\|write\)" vm.matrix | grep -vc "read-only once the runtime has started")
[ "$n" -eq 8 ] || { cat vm.out >&2; fail "intel-mpk: $n of 8 accesses from the newlib compartment reported"; }
[ "$(grep -c "belongs to platform memory" vm.matrix)" -eq 6 ] ||
	{ cat vm.out >&2; fail "intel-mpk: the key-0 targets were not all reported as platform memory"; }
pass "intel-mpk: the newlib compartment can neither read nor write glibc's environ, stdout buffer or TLS, nor the app's data: 8/8 blocked"
for t in environ stdout-buffer tls; do
	[ "$(grep -c "^read $t: ok" vm.out)" -eq 1 ] || { cat vm.out >&2; fail "gl-read $t did not work"; }
done
pass "intel-mpk: the glibc compartment reaches the same key-0 memory (3/3), as docs/threat-model.md says"
expect_output vm.out "^read ro-entry: ok"
! grep -q "^write ro-entry: ok" vm.out || fail "intel-mpk: the newlib compartment rewrote the signal restorer's entry page"
expect_output vm.out "^flexos: compartment 'nl' tried to write 0x[0-9a-f]+, the intel-mpk backend's state .*, which is read-only once the runtime has started"
pass "intel-mpk: the newlib compartment reads the signal restorer's entry page (the shared key) and cannot write it"
expect_output vm.out "^read shared: ok"
expect_output vm.out "^read nl-heap: ok"
expect_output vm.out "compartment 'app' tried to read .*"
pass "intel-mpk: shared memory and its own heap stay reachable; the app cannot read the newlib heap"
expect_output vm.out "^threads: 4 of 4 called both compartments$"
pass "intel-mpk: threads made by pthread_create (through the runtime's clone site; glibc's rseq given up) call both compartments"
expect_output vm.out "^flexos: compartment 'app' made a system call the intel-mpk filter denies: pkey_alloc"
expect_output vm.out "^flexos: compartment 'nl' made a system call the intel-mpk filter denies: pkey_alloc"
pass "intel-mpk: a denied system call is reported (status 123) and names its compartment, the newlib one's too"
expect_output vm.out "^flexos: compartment 'app' made a system call the intel-mpk filter denies: clone\(.*a thread is made only by the runtime's clone site"
! grep -q "^clone-raw: the clone returned" vm.out || fail "intel-mpk: a raw clone with a live thread's FS base was made"
pass "intel-mpk: a raw clone with a live thread's FS base, not from the runtime's clone site, is reported (status 123)"
expect_output vm.out "^flexos: compartment 'app' made a system call the intel-mpk filter denies: tgkill\("
! grep -q "^sigsys: survived" vm.out || fail "intel-mpk: the image survived a SIGSYS it raised"
pass "intel-mpk: no SIGSYS is sent (raise: tgkill with SIGSYS reported, 123), so the filter's traps are the only ones"
n=$(grep -c . script)
for how in stub restorer; do
	[ "$how" = stub ] && i=$((n - 1)) || i=$n
	vm_output "$i" | tr -d '\r' >"sigcopy.$how"
	expect_output "sigcopy.$how" "^nl-sigcopy $how: the copy of stdout's buffer$"
	expect_output "sigcopy.$how" "^flexos: protection-key fault: compartment 'nl' tried to read 0x[0-9a-f]+$"
	expect_output "sigcopy.$how" "^flexos:   the address belongs to platform memory$"
	pass "intel-mpk: a newlib compartment's forged copy of a signal frame ($how) reads with its own rights: the XSAVE area it names in key 0 is not copied where it may read it"
done

# flexos-link's refusals.
refuse() {
	name=$1 pattern=$2
	shift 2
	if "$FLEXOS_LINK" "$@" -o refused 2>"$name.err"; then
		fail "flexos-link accepted $name"
	fi
	expect_output "$name.err" "$pattern"
	[ ! -e refused ] || fail "$name: an image was written"
	pass "refused: $name: $(head -n 1 "$name.err" | cut -c1-150)"
}
$CC $NEWLIB_CFLAGS -O2 -fPIE -c -o missing.o "$SRC/missing.c"
sed 's/inputs: \[nllib.o, nlprobe.o\]/inputs: [missing.o]/' "$SRC/comp.yaml" >missing.yaml
printf 'int nl_uid(void);\nint main(void) { return nl_uid(); }\n' >uid.c
compile uid.o uid.c
refuse "a missing system call" "missing.o needs 'getuid', which neither newlib nor its system-call glue defines" \
	-c missing.yaml uid.o missing.o glprobe.o
printf '#include <stdio.h>\nint nl_glibc(void) { printf("x%%d\\n", 1); return 0; }\n' >glibc-nl.c
$CC -O2 -fPIE -D_FORTIFY_SOURCE=2 -c -o glibc-nl.o glibc-nl.c
sed 's/inputs: \[nllib.o, nlprobe.o\]/inputs: [glibc-nl.o]/' "$SRC/comp.yaml" >glibc-nl.yaml
printf 'int nl_glibc(void);\nint main(void) { return nl_glibc(); }\n' >uses.c
compile uses.o uses.c
refuse "code compiled against glibc" "compile the code of compartment 'nl' against newlib" \
	-c glibc-nl.yaml uses.o glibc-nl.o glprobe.o
printf '#include <string.h>\nsize_t strlen(const char *s) { size_t n = 0; while (s[n]) n++; return n; }\n' >clash.c
nlcc -o clash.o clash.c -fno-builtin
sed 's/inputs: \[nllib.o, nlprobe.o\]/inputs: [clash.o]/' "$SRC/comp.yaml" >clash.yaml
printf 'unsigned long strlen(const char *);\nint main(void) { return (int)strlen("x"); }\n' >callclash.c
compile callclash.o callclash.c -fno-builtin
refuse "an entry point named like a C library function" "'strlen' is an entry point of compartment 'nl'.*rename it" \
	-c clash.yaml callclash.o clash.o glprobe.o
sed 's/^    libc: newlib$//; s/^    default: true$/    default: true\n    libc: newlib/' "$SRC/comp.yaml" >default.yaml
refuse "newlib in the default compartment" "the default compartment 'app' cannot have 'libc: newlib'" \
	-c default.yaml app.o nllib.o nlprobe.o glprobe.o

