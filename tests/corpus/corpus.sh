#!/bin/sh
# The corpus (docs/corpus.md) in make check: every program of tests/corpus
# whose Debian archives are installed ('tools/install-deps --test' installs
# them all), unmodified, through tests/corpus/run: under none, process,
# intel-mpk and intel-mpk with 'stack: shared' (both in one boot of the
# emulated-PKU VM; not with FLEXOS_VM_DISABLE=1), each run's output and
# status must be the plain build's. The two links refused by design (a
# FILE * handed to libpng under process, where each compartment has a
# glibc of its own) must be refused with the message that names the fix.
# If the VM cannot run, this fails, unless FLEXOS_VM_OPTIONAL=1 (then its
# cells are skipped).
. "${0%/*}/../lib/testlib.sh"
set -eu

progs=$("$top_srcdir/tests/corpus/run" --available)
[ -n "$progs" ] || skip_all "no archive of the corpus is installed (tools/install-deps --test)"
for p in png jpeg openjpeg libxml2 lua pcre2 archive expat sodium zlib lua-upstream pngtest minigzip; do
	case " $(echo $progs) " in *" $p "*) ;; *) echo "corpus: $p: its archives are not installed; not run" >&2 ;; esac
done
novm=
[ "${FLEXOS_VM_DISABLE:-}" != 1 ] || novm=--no-vm
st=0
# shellcheck disable=SC2086 # word lists
"$top_srcdir/tests/corpus/run" $novm --keep "$WORK/k" $progs >"$WORK/table" 2>&1 || st=$?
cat "$WORK/table" >&2
[ "$st" = 0 ] || fail "tests/corpus/run exited with $st (a plain build or run failed: the corpus itself)"
grep -q '^deflate: done, 65536 -> [0-9]* bytes' "$WORK/k/zlib/plain.out" 2>/dev/null ||
	[ ! -d "$WORK/k/zlib" ] || fail "zlib's plain build printed no deflate line"

for p in $progs; do
	for m in none process intel-mpk mpk-shared-stack; do
		r=$(cat "$WORK/k/$p/$m.result" 2>/dev/null || echo "not measured")
		case $p/$m/$r in
		*/ok) ;;
		png/process/"link refused" | pngtest/process/"link refused")
			expect_output "$WORK/k/$p/process.link" "error: 'png_init_io' of library 'png' takes a FILE \* \(argument 2\).*open the file in the compartment that uses it" ;;
		*/intel-mpk/"not run (--no-vm)" | */mpk-shared-stack/"not run (--no-vm)") ;;
		*/"not run (tests/vm/run exited with 77"*)
			[ "${FLEXOS_VM_OPTIONAL:-}" = 1 ] || fail "$p, $m: the VM cannot run here (FLEXOS_VM_OPTIONAL=1 allows that)" ;;
		*) fail "$p, $m: $r: $(cat "$WORK/k/$p/$m.why" 2>/dev/null)" ;;
		esac
	done
	pass "$p, unmodified: the plain build's output under none, process$([ -n "$novm" ] || echo ", intel-mpk and intel-mpk with shared stacks")$(case $p in png | pngtest) echo " (process: the FILE * refused at link time, naming the fix)" ;; esac)"
done
