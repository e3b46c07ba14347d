#!/bin/sh
# Run instead of the unit tests when configure did not find Check: a
# failure that says what to do.
top_srcdir=${top_srcdir:-${0%/*}/..}
. "$top_srcdir/tests/lib/testlib.sh"
fail "Check (the unit-test framework) was not found by configure: install it with 'apt-get install check' (or tools/install-deps) and rerun configure"
pass "the unit tests (tests/check_flexos) can be built"
