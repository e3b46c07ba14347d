/*
 * The application of the policy tests: holds a secret in .data and one its
 * constructor writes (before the compartments are forked), and runs the
 * attack named by argv[1] in compartment 'atk' through automatic gates.
 * Prints "result: N"; a stopped attack ends the image before that.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <flexos/flexos.h>

#include "atk.h"

/* The process backend's shared lanes (backends/process/process.h). */
extern void *flexos__proc_lanes;

static char secret[64] = "APPSECRT the application's secret";
static char ctor_secret[64];

__attribute__((constructor)) static void init(void)
{
	strcpy(ctor_secret, "CTORSCRT written by a constructor");
}

int main(int argc, char **argv)
{
	const char *a = argc > 1 ? argv[1] : "compute";
	long me = getpid(), addr = (long)secret, r;
	int sib = argc > 2 && !strcmp(argv[2], "sibling");

	if (sib) {
		me = sib_pid();
		addr = sib_secret();
	}
	if (!strcmp(a, "compute"))
		r = atk_compute(100);
	else if (!strcmp(a, "vm_read"))
		r = atk_vm_read(me, addr);
	else if (!strcmp(a, "vm_write"))
		r = atk_vm_write(me, addr);
	else if (!strcmp(a, "ptrace"))
		r = atk_ptrace(me);
	else if (!strcmp(a, "proc_mem"))
		r = atk_proc_mem(me, addr);
	else if (!strcmp(a, "mprotect"))
		r = atk_mprotect_read(addr);
	else if (!strcmp(a, "mprotect_ctor"))
		r = atk_mprotect_read((long)ctor_secret);
	else if (!strcmp(a, "self_mem"))
		r = atk_proc_mem(0, addr);
	else if (!strcmp(a, "self_mem_ctor"))
		r = atk_proc_mem(0, (long)ctor_secret);
	else if (!strcmp(a, "shadow"))
		r = atk_open_shadow();
	else if (!strcmp(a, "socket"))
		r = atk_socket();
	else if (!strcmp(a, "exec"))
		r = atk_exec();
	else if (!strcmp(a, "kill"))
		r = atk_kill(me);
	else if (!strncmp(a, "forge=", 6))
		/* The lanes' address, which the attacker could find in its own memory. */
		r = atk_forge((long)flexos__proc_lanes, flexos_compartment_count(), 0,
			      strtol(a + 6, NULL, 0));
	else {
		fprintf(stderr, "unknown attack %s\n", a);
		return 2;
	}
	/* What was read, as text when it is the secret's first bytes. */
	printf("result: %ld gate-error: %d%s\n", r, flexos_last_gate_error(),
	       !memcmp(&r, sib ? "SIBSECRT" : strstr(a, "ctor") ? "CTORSCRT" : "APPSECRT", 8)
		       ? " SECRET LEAKED"
		       : "");
	return 0;
}
