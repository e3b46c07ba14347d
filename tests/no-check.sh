#!/bin/sh
echo "Check (the unit-test framework) was not found by configure:" >&2
echo "install it with 'apt-get install check' (or tools/install-deps) and rerun configure." >&2
exit 1
