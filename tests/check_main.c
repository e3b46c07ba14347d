/* Runs every unit-test suite; the exit status is the number of failures. */
#include <stdlib.h>

#include "suites.h"

int main(void)
{
	SRunner *sr = srunner_create(config_suite());
	srunner_add_suite(sr, heap_suite());
	srunner_add_suite(sr, ldscript_suite());
	srunner_add_suite(sr, elf_suite());
	srunner_add_suite(sr, proto_suite());
	srunner_add_suite(sr, sched_suite());
	srunner_add_suite(sr, kvserver_suite());
	srunner_add_suite(sr, plan_suite());
	srunner_add_suite(sr, xref_suite());
	srunner_add_suite(sr, explore_suite());
	srunner_add_suite(sr, seccomp_suite());
	srunner_add_suite(sr, format_suite());
	srunner_add_suite(sr, ehcopy_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
