#!/bin/sh
# FLEXOS_CHECK_POINTERS=1 under process: with the prototypes (objects built
# with -g), a private address in a pointer argument, or in a variadic one,
# is reported naming the function; the same address passed as an integer
# is not (no false positive). Without prototypes every argument register
# is checked, and the report says so and how to give the prototype. A
# sandbox_of compartment handing its host a pointer to its own memory is
# not reported: the host may read it.
. "${0%/*}/../lib/testlib.sh"
set -eu

for v in proto noproto; do
	g=-g
	[ "$v" = proto ] || g=-g0
	mkdir "$WORK/$v"
	compile "$WORK/$v/ptrapp.o" "$top_srcdir/tests/process/ptrapp.c" $g
	compile "$WORK/$v/ptrlib.o" "$top_srcdir/tests/process/ptrlib.c" $g
	ar cr "$WORK/$v/libptr.a" "$WORK/$v/ptrlib.o"
	(cd "$WORK/$v" && "$FLEXOS_LINK" -c "$top_srcdir/tests/process/pointers.yaml" \
		-o "$WORK/$v/image" ptrapp.o libptr.a 2>"$WORK/$v/link.err") ||
		{ cat "$WORK/$v/link.err" >&2; fail "cannot link the $v image"; }
	for mode in pointer integer variadic; do
		FLEXOS_CHECK_POINTERS=1 $RUN "$WORK/$v/image" $mode >"$WORK/$v/$mode.out" \
			2>"$WORK/$v/$mode.err" || fail "$v $mode exited $?: $(cat "$WORK/$v/$mode.err")"
		expect_output "$WORK/$v/$mode.out" "^$mode: [01]$"
	done
	# The library as a sandbox_of the application: it may hand its host its own memory.
	(cd "$WORK/$v" && "$FLEXOS_LINK" -c "$top_srcdir/tests/process/pointers-sandbox.yaml" \
		-o "$WORK/$v/sandboxed" ptrapp.o libptr.a 2>"$WORK/$v/link.err") ||
		{ cat "$WORK/$v/link.err" >&2; fail "cannot link the $v sandbox image"; }
	for mode in host pointer; do
		FLEXOS_CHECK_POINTERS=1 $RUN "$WORK/$v/sandboxed" $mode >"$WORK/$v/sb-$mode.out" \
			2>"$WORK/$v/sb-$mode.err" || fail "$v sandbox $mode exited $?: $(cat "$WORK/$v/sb-$mode.err")"
	done
	expect_output "$WORK/$v/sb-host.out" "^host: 17$"
	# Without prototypes the call into lib_give, which has no argument, still
	# has its six registers checked; the sandbox's call to its host must be quiet.
	if [ "$v" = proto ]; then
		[ ! -s "$WORK/$v/sb-host.err" ] || fail "$v: reported: $(cat "$WORK/$v/sb-host.err")"
	else
		! grep "gate from 'sandbox' to 'app'" "$WORK/$v/sb-host.err" ||
			fail "$v: a sandbox's pointer to its host reported"
	fi
	expect_output "$WORK/$v/sb-pointer.err" "calling lib_keep.*: (pointer )?argument 1 \(0x[0-9a-f]+\) points into the \.data of compartment 'app', which 'sandbox' cannot access"
done
pass "sandbox_of: a sandbox's pointer to its own memory passed to its host is not reported (the host may read it), with and without prototypes; the host's private pointer passed to the sandbox still is"

expect_output "$WORK/proto/pointer.err" "gate from 'app' to 'sandbox', calling lib_keep\+0x0 \(ptrlib\.c:[0-9]+\): pointer argument 1 \(0x[0-9a-f]+\) points into the \.data of compartment 'app', which 'sandbox' cannot access"
pass "a private pointer argument is reported, naming the function"
expect_output "$WORK/proto/variadic.err" "calling lib_count\+0x0 .*: variadic argument 2 \(0x[0-9a-f]+\) points into the \.data of compartment 'app'"
pass "a private address among variadic arguments is reported"
[ ! -s "$WORK/proto/integer.err" ] || fail "integers reported: $(cat "$WORK/proto/integer.err")"
pass "private addresses passed as integers are not reported (the prototype says no pointer)"
expect_output "$WORK/noproto/integer.err" "calling lib_sum.*: argument 1 \(0x[0-9a-f]+\) points into the \.data of compartment 'app'.*flexos-link had no prototype of this function, so this argument may be no pointer"
pass "without a prototype every argument is checked, and the report says how to give one"
no_orphans
