/*
 * tests/harden/newlib.sh: prints the canary of the newlib compartment
 * that holds canary.c, as the compartment reads it.
 */
#include <stdint.h>
#include <stdio.h>

#include "buggy.h"

int main(void)
{
	printf("canary %#018lx\n", (unsigned long)canary_value());
	return 0;
}
