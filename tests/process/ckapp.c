/*
 * tests/process/checkpoint.sh: calls ck_step n times, every `every`-th
 * call crashing the library's compartment, and prints what each call
 * returned that was not what a consistent library returns, then the
 * library's state: with 'checkpoint: [ck_step]' a crash leaves no trace.
 */
#include <stdio.h>
#include <stdlib.h>

#include <flexos/flexos.h>

#include "cklib.h"

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 20, every = argc > 2 ? atol(argv[2]) : 4;
	long crashes = 0, ok = 0, wrong = 0;

	for (long i = 0; i < n; i++) {
		int crash = i % every == every - 1;
		long r = ck_step(crash);
		if (crash) {
			int err = flexos_last_gate_error();
			if (r != -1 || err != 11)
				printf("call %ld: crashed with %ld, error %d\n", i, r, err),
				    wrong++;
			crashes++;
		} else if (r != 101 + ok) {
			printf("call %ld: returned %ld, expected %ld\n", i, r, 101 + ok);
			wrong++;
		} else {
			ok++;
		}
	}
	printf("checkpoint: %ld crashes, %ld right, %ld wrong; in progress %ld, counter %ld, "
	       "nodes %ld\n",
	       crashes, ok, wrong, ck_state(CK_IN_PROGRESS), ck_state(CK_COUNTER),
	       ck_state(CK_NODES));
	return 0;
}
