# tests/lib/testlib.sh: the one library of the shell tests, after Linux's
# tools/testing/selftests/kselftest/ktap_helpers.sh; sourced, not run:
#	. "${0%/*}/../lib/testlib.sh"
# POSIX sh (dash, bash, and busybox sh for the scripts run inside the test
# VM). The harness exports top_srcdir, top_builddir and FLEXOS_LIBDIR; run
# by hand, a script finds the source tree above it and takes the current
# directory for the build tree.
#
# The script prints TAP on its standard output, which Automake's TAP
# driver reads (tests/local.mk): a line a case, "ok N - DESC", "not ok N -
# DESC", "ok N - DESC # SKIP REASON" or, for a known limit, "not ok N -
# DESC # TODO LIMIT" (todo), then the plan "1..N" when it ends.
# A case is the checks made since the previous case ended: fail records a
# failed check and the script goes on, so that one run reports every case;
# pass (or skip) ends the case. Everything else the script and its
# commands print goes to standard error (the log): no output of a command
# can pass for a result. The exit status: 1 if a case failed, 77 if every
# case was skipped (TESTLIB_SKIP_STATUS: the TAP driver takes any status
# but 0 for an error, so tests/local.mk sets it to 0 and lets the plan
# "1..0 # SKIP" say it), else 0. A script that stops early (a command that
# failed under set -e, an exit) gets a failed case saying so.
#
# The counts live in files (TESTLIB_STATE), so that checks made in a
# subshell (a pipeline) count, and a script that this one runs and that
# sources the library too (tests/kvserver: itself again, in a network
# namespace) adds its cases to this one's.

# Scripts sit two levels down the source tree (tests/DIR/NAME.sh).
top_srcdir=$(cd "${top_srcdir:-${0%/*}/../..}" && pwd)
. "$top_srcdir/tests/lib/tools.sh"
top_builddir=$(cd "${top_builddir:-.}" && pwd)
: "${FLEXOS_LIBDIR:=$top_builddir}"
export top_srcdir top_builddir FLEXOS_LIBDIR
FLEXOS_LINK="$top_builddir/flexos-link"
CC=${CC:-cc}
CFLAGS_TEST="-O2 -fPIE -Wall -Wextra -Werror -I$top_srcdir/include"
DATA="$top_srcdir/tests/integration/data"

if [ -n "${TESTLIB_STATE:-}" ] && [ -d "$TESTLIB_STATE" ]; then
	_tl_own=
else
	TESTLIB_STATE=$(mktemp -d "${TMPDIR:-/tmp}/flexos-tap.XXXXXX") || exit 99
	export TESTLIB_STATE
	_tl_own=1
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/flexos-test.XXXXXX") || exit 99
_tl_at_exit=
# fd 8 is the TAP stream; 3 to 6 are the tests' own (tests/kvserver).
exec 8>&1 1>&2
trap _tl_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

_tl_count() { cat "$TESTLIB_STATE/$1" 2>/dev/null || echo 0; }
_tl_add() { echo $(($(_tl_count "$1") + 1)) >"$TESTLIB_STATE/$1"; }
_tl_tap() { printf '%s\n' "$*" >&8; }

# _tl_end DESC [SKIP [LIMIT]]: ends the case; not ok if a check of it
# failed; with LIMIT, a known limit (todo).
_tl_end() {
	_tl_add n
	# One line, and no '#' that TAP would read as a directive.
	_tl_d=$(printf '%s' "$1" | tr '\n' ' ' | sed 's/#/\\#/g')
	if [ -n "${3:-}" ] && [ -s "$TESTLIB_STATE/case" ]; then
		rm -f "$TESTLIB_STATE/case"
		_tl_add todo
		_tl_tap "not ok $(_tl_count n) - $_tl_d # TODO $3"
	elif [ -n "${3:-}" ]; then
		_tl_add fail
		_tl_tap "ok $(_tl_count n) - $_tl_d # TODO $3"
	elif [ -s "$TESTLIB_STATE/case" ]; then
		rm -f "$TESTLIB_STATE/case"
		_tl_add fail
		_tl_tap "not ok $(_tl_count n) - $_tl_d"
	elif [ -n "${2:-}" ]; then
		_tl_add skip
		_tl_tap "ok $(_tl_count n) - $_tl_d # SKIP $2"
	else
		_tl_add pass
		_tl_tap "ok $(_tl_count n) - $_tl_d"
	fi
	cp "$TESTLIB_STATE/n" "$TESTLIB_STATE/printed"
	return 0
}

# fail MESSAGE: a check of the current case failed; the script goes on.
fail() {
	_tl_tap "# check failed: $*"
	printf '%s\n' "$*" >>"$TESTLIB_STATE/case"
	return 0
}

# pass DESC: ends the current case DESC: ok, or not ok if a check failed.
pass() { _tl_end "$*"; }

# skip DESC REASON: ends the current case DESC as skipped (or not ok).
skip() { _tl_end "$1" "${2:-skipped}"; }

# todo DESC LIMIT: ends the current case DESC, whose checks try an
# isolation claim that a known limit (LIMIT, docs/threat-model.md) still
# breaks, as a TAP TODO: "not ok N - DESC # TODO LIMIT" while a check
# fails (counted apart, not as a failure); "ok N - DESC # TODO LIMIT" once
# none does, which the TAP driver reports as an unexpected pass, and the
# script fails: the limit is gone, so the test and the threat model
# change.
todo() { _tl_end "$1" "" "${2:?todo: no limit named}"; }

# check DESC COMMAND...: a case of one command, which must exit 0.
check() {
	_ck_d=$1
	shift
	"$@" || fail "$_ck_d: '$*' exited with status $?"
	pass "$_ck_d"
}

# skip_all REASON: nothing more of this script can run here: before any
# case, the whole script is skipped; after some, the rest is one skipped case.
skip_all() {
	if [ -n "$_tl_own" ] && [ "$(_tl_count n)" = 0 ] && [ ! -s "$TESTLIB_STATE/case" ]; then
		_tl_tap "1..0 # SKIP $*"
		: >"$TESTLIB_STATE/skipped"
	else
		skip "the rest of ${0##*/}" "$*"
	fi
	exit 0
}

# die MESSAGE: a set-up error that makes every result meaningless.
die() {
	_tl_tap "Bail out! $*"
	: >"$TESTLIB_STATE/bailed"
	exit 99
}

# at_exit COMMAND: run (eval) when the script ends, before WORK is removed.
at_exit() {
	_tl_at_exit="$_tl_at_exit
$*"
}

_tl_exit() {
	_tl_st=$?
	# The script's set -e must not stop the report half-way.
	set +e
	trap - EXIT INT TERM
	# A signal between counting a case and printing it must not leave a
	# gap in the numbers.
	[ "$(_tl_count n)" = "$(_tl_count printed)" ] ||
		echo "$(_tl_count printed)" >"$TESTLIB_STATE/n"
	eval "$_tl_at_exit"
	rm -rf "$WORK"
	if [ -f "$TESTLIB_STATE/bailed" ]; then
		[ -z "$_tl_own" ] || rm -rf "$TESTLIB_STATE"
		exit 99
	fi
	if [ "$_tl_st" != 0 ]; then
		fail "${0##*/} stopped early with status $_tl_st (a command failed, or exit)"
		_tl_end "${0##*/} runs to its end"
	elif [ -s "$TESTLIB_STATE/case" ]; then
		_tl_end "$(head -n 1 "$TESTLIB_STATE/case")"
	fi
	[ -n "$_tl_own" ] || exit "$_tl_st"
	_tl_n=$(_tl_count n) _tl_f=$(_tl_count fail) _tl_p=$(_tl_count pass)
	_tl_s=$(_tl_count skip) _tl_t=$(_tl_count todo) _tl_sk=
	[ ! -f "$TESTLIB_STATE/skipped" ] || _tl_sk=1
	rm -rf "$TESTLIB_STATE"
	if [ -n "$_tl_sk" ]; then
		exit "${TESTLIB_SKIP_STATUS:-77}"
	fi
	if [ "$_tl_n" = 0 ]; then
		_tl_tap "not ok 1 - ${0##*/} ran no test case"
		_tl_tap "1..1"
		exit 1
	fi
	_tl_tap "1..$_tl_n"
	_tl_tap "# ${0##*/}: $_tl_p passed, $_tl_f failed, $_tl_s skipped, $_tl_t known limits"
	[ "$_tl_f" = 0 ] || exit 1
	[ "$_tl_p" != 0 ] || exit "${TESTLIB_SKIP_STATUS:-77}"
	exit 0
}

# expect_output FILE ERE: FILE holds a line matching the extended regex.
expect_output() {
	grep -Eq -- "$2" "$1" && return 0
	{
		echo "--- $1:"
		cat "$1"
	} >&2
	fail "no line of $1 matches /$2/"
}

# compile OUT SRC [CFLAGS...]
compile() {
	_co_out=$1 _co_src=$2
	shift 2
	# shellcheck disable=SC2086  # CFLAGS_TEST is a word list
	$CC $CFLAGS_TEST "$@" -c -o "$_co_out" "$_co_src"
}

# with_mechanism CONFIG MECHANISM: CONFIG with its 'none' mechanisms changed.
with_mechanism() {
	sed "s/mechanism: none/mechanism: $2/" "$1"
}

# no_orphans [AFTER]: no process of this test's images (a command line
# under WORK) is left, zombies included (1 s grace for a SIGKILL to
# propagate).
no_orphans() {
	for _ in $(seq 20); do
		pgrep -f "$WORK/" >/dev/null || return 0
		sleep 0.05
	done
	ps -o pid,ppid,stat,args -p "$(pgrep -d, -f "$WORK/")" >&2 || true
	fail "processes of the image are left behind${1:+ after $1}"
	# Reported; killed so that they hold no pipe of the test harness,
	# which would wait on them instead of going on.
	pkill -KILL -f "$WORK/" || true
}

# need_netns NAME [TAP [MAC]]: netns_tap (tests/lib/tools.sh), removed at
# exit; skips the script where no namespace can be made (not root), dies
# where it cannot be set up.
need_netns() {
	at_exit netns_cleanup
	_nn_st=0
	netns_tap "$@" || _nn_st=$?
	case $_nn_st in
	0) ;;
	1) skip_all "$netns_error" ;;
	*) die "$netns_error" ;;
	esac
}

# --- The emulated-PKU VM (tests/vm/run) ---

# vm_script SECONDS [OPTION...] <SCRIPT: runs SCRIPT (tests/vm/run's
# --script form: a command a line) in one boot of the VM (natively where
# the host has PKU), SECONDS at most, with the compiler's libgcc_s and
# tests/vm/run's OPTIONs (--file PATH...); not in a pipeline, where its
# skip could not end the script. The output is in $WORK/vm.out
# (and the log); vm_output picks a command's. One case: every command gave
# its expected status. Where the VM cannot run (77: FLEXOS_VM_OPTIONAL=1)
# the rest of the script is skipped.
vm_script() {
	_vs_t=$1
	shift
	cat >"$WORK/vm.script"
	_vs_lg=$(libgcc_s)
	[ -z "$_vs_lg" ] || set -- --file "$_vs_lg" "$@"
	_vs_st=0
	"$top_srcdir/tests/vm/run" --timeout "$_vs_t" "$@" --script "$WORK/vm.script" \
		>"$WORK/vm.out" 2>&1 || _vs_st=$?
	cat "$WORK/vm.out" >&2
	[ "$_vs_st" != 77 ] || skip_all "the VM cannot run here (tests/vm/run exited with 77; see the log)"
	[ "$_vs_st" = 0 ] || fail "tests/vm/run exited with status $_vs_st (see the log)"
	pass "the VM ran $(grep -c . "$WORK/vm.script") commands, each with its expected status"
}

# vm_output N: the output of command N of the last vm_script.
vm_output() {
	awk -v n="$1" '/^=== \[[0-9]+\/[0-9]+\] / { split($2, a, /[\[\/]/); cur = a[2] + 0; next }
		/^tests\/vm\/run: [0-9]+ commands/ { cur = 0 }
		cur == n' "$WORK/vm.out"
}

# vm_tun_ko: sets ko to the VM kernel's tun.ko. The VM's kernel has the
# TAP driver as a module (CONFIG_TUN=m) and loads no modules itself: this
# takes tun.ko from the kernel's package, downloading it once into the
# VM's cache with 'apt-get download'; without it, the script is skipped.
# With FLEXOS_VM_KERNEL (tests/vm/README.md), the module comes from beside
# that kernel: PKG/lib/modules/VERSION/... for PKG/boot/vmlinuz-VERSION.
vm_tun_ko() {
	[ "${FLEXOS_VM_DISABLE:-}" != 1 ] || skip_all "FLEXOS_VM_DISABLE=1"
	if [ -n "${FLEXOS_VM_KERNEL:-}" ]; then
		kernel=$FLEXOS_VM_KERNEL
		ko=${kernel%/boot/*}/lib/modules/${kernel##*/vmlinuz-}/kernel/drivers/net/tun.ko
		[ -f "$ko" ] && return 0
		fail "FLEXOS_VM_KERNEL=$kernel: no $ko beside it (unpack its package's ./lib/modules/*/kernel/drivers/net/tun.ko there, decompressed: newer packages ship tun.ko.xz)"
		skip_all "the VM's kernel has no TAP driver at hand"
	fi
	kernel=$(timeout 600 "$top_srcdir/tests/vm/setup") ||
		skip_all "tests/vm/setup found no kernel for the VM (see the log)"
	_vt_pkgdir=${kernel%/boot/*}
	_vt_pkg=${_vt_pkgdir##*/}
	_vt_ver=${kernel##*/vmlinuz-}
	_vt_ko=lib/modules/$_vt_ver/kernel/drivers/net/tun.ko
	ko=$_vt_pkgdir/$_vt_ko
	[ ! -f "$ko" ] || return 0
	_vt_tmp=$WORK/tun
	mkdir "$_vt_tmp"
	# Two tests may fetch it at once: each unpacks on its own, then renames.
	if (cd "$_vt_tmp" && timeout 600 apt-get download -q "$_vt_pkg" >"$_vt_tmp/log" 2>&1) &&
		dpkg-deb --fsys-tarfile "$_vt_tmp"/*.deb | tar -x -C "$_vt_tmp" "./$_vt_ko" &&
		mkdir -p "${ko%/*}" && mv "$_vt_tmp/$_vt_ko" "$ko"; then
		return 0
	fi
	cat "$_vt_tmp/log" 2>/dev/null
	skip_all "cannot get tun.ko of $_vt_pkg ('apt-get download $_vt_pkg' failed): the VM has no TAP driver"
}

# vm_inner DESC INNER FILE... -- ARG...: runs "INNER BUILDDIR TUN.KO
# ARG..." in the VM (always the VM: it loads a module; vm_tun_ko first),
# with this library, mktap and the FILEs copied in. INNER sources this
# library too: each of its cases becomes one of this script's ("in the
# VM: ..."), and there must be one passed case for each ARG.
vm_inner() {
	_vi_desc=$1 _vi_inner=$2
	shift 2
	_vi_files="--file $ko --file $_vi_inner --file $top_srcdir/tests/lib --file $top_builddir/tests/lwip/mktap"
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		_vi_files="$_vi_files --file $1"
		shift
	done
	shift
	_vi_st=0
	# shellcheck disable=SC2086  # a word list
	FLEXOS_VM_FORCE=1 timeout 600 "$top_srcdir/tests/vm/run" --timeout 400 $_vi_files -- \
		/bin/sh "$_vi_inner" "$top_builddir" "$ko" "$@" >"$WORK/vm.out" 2>&1 || _vi_st=$?
	cat "$WORK/vm.out" >&2
	[ "$_vi_st" != 77 ] || skip_all "the VM cannot run here (tests/vm/run exited with 77; see the log)"
	tr -d '\r' <"$WORK/vm.out" | sed -n 's/^\(not \)\{0,1\}ok [0-9]* - /&/p' >"$WORK/vm.cases"
	while IFS= read -r _vi_l; do
		case $_vi_l in
		not*) fail "in the VM: $_vi_l" ;;
		esac
		pass "in the VM: ${_vi_l#* - }"
	done <"$WORK/vm.cases"
	[ "$(grep -c '^ok ' "$WORK/vm.cases")" = $# ] ||
		fail "$# cases had to pass in the VM, $(grep -c '^ok ' "$WORK/vm.cases") did"
	[ "$_vi_st" = 0 ] || fail "tests/vm/run exited with status $_vi_st (see the log)"
	pass "$_vi_desc"
}

# vm_make_tap TAP (inside the VM, from an INNER script of vm_inner): loads
# the TAP driver ($ko) and makes TAP device TAP at 10.0.0.1/24, for lwIP at
# 10.0.0.2; dies if it cannot.
vm_make_tap() {
	insmod "$ko" || die "insmod $ko failed"
	"$top_builddir/tests/lwip/mktap" "$1" || die "mktap $1 failed"
	ip link set lo up && ip addr add 10.0.0.1/24 dev "$1" && ip link set "$1" up ||
		die "cannot set up $1"
}

# --- Images and configuration the tests of several directories share ---

# need_newlib: what configure and src/newlib/local.mk say about newlib
# (tests/newlib/config.sh: CC, NEWLIB_CFLAGS, NEWLIB_LIBDIR); skips the
# script when newlib is not built. SRC: tests/newlib.
need_newlib() {
	. "$top_builddir/tests/newlib/config.sh"
	[ "$NEWLIB_ENABLED" = yes ] || skip_all "newlib is not built (configured with --disable-newlib)"
	SRC="$top_srcdir/tests/newlib"
}

# Every run of a process-backend image is bounded: a hang is a failure,
# never a stuck CI.
RUN="timeout -k 2 60"

# build_tapp: the process backend's test images in WORK: tapp (three.yaml)
# and tapp-r (restart.yaml), from tests/process.
build_tapp() {
	PDIR="$top_srcdir/tests/process"
	for l in ta tb tc; do
		# (-g: flexos-link reads the prototypes, as it would of a library built with them)
		compile "$WORK/$l.o" "$PDIR/tlib.c" -DLIB=$l -g
		ar rcs "$WORK/lib$l.a" "$WORK/$l.o"
	done
	compile "$WORK/tapp.o" "$PDIR/tapp.c"
	for img in tapp:three tapp-r:restart; do
		"$FLEXOS_LINK" -c "$PDIR/${img#*:}.yaml" -o "$WORK/${img%:*}" "$WORK/tapp.o" \
			"$WORK/libta.a" "$WORK/libtb.a" "$WORK/libtc.a" -lpthread ||
			fail "cannot link ${img%:*}"
	done
}
