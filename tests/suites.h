/* The Check suites of the unit tests: one per module, run by check_main.c. */
#ifndef FLEXOS_TESTS_SUITES_H
#define FLEXOS_TESTS_SUITES_H

#include <check.h>

Suite *config_suite(void);
Suite *heap_suite(void);
Suite *ldscript_suite(void);
Suite *elf_suite(void);
Suite *proto_suite(void);
Suite *sched_suite(void);
Suite *kvserver_suite(void);
Suite *plan_suite(void);
Suite *xref_suite(void);
Suite *explore_suite(void);
Suite *seccomp_suite(void);
Suite *format_suite(void);
Suite *ehcopy_suite(void);

#endif
