/*
 * libFuzzer harness for the config parser (tools/flexos-link/config.c):
 * any input must be accepted or rejected without a crash, a leak or a
 * sanitizer report, and every message must be one line that starts with
 * the file name (a newline inside a YAML scalar must not split it).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "stderr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct flc_config cfg;
	char *out = NULL;
	size_t len = 0;
	FILE *err = open_memstream(&out, &len);
	int r;

	if (!err)
		abort();
	r = flc_parse_string("fuzz.yaml", (const char *)data, size, &cfg, err);
	fclose(err);
	fuzz_check_lines(out, len, "fuzz.yaml:");
	if (r == 0)
		flc_free(&cfg);
	else if (len == 0) {
		fprintf(stderr, "fuzz: rejected without a message\n");
		abort();
	}
	free(out);
	return 0;
}
