/* PCRE2: compiles a pattern with named groups, finds every match in a
 * subject, prints the groups, and reports a pattern that does not compile
 * with the library's message. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
	const char *subject = "alice=42; bob=7; carol=1234; dave=x";
	int err;
	PCRE2_SIZE erroff;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR) "(?<name>[a-z]+)=(?<num>\\d+)",
				       PCRE2_ZERO_TERMINATED, 0, &err, &erroff, NULL);
	if (!re) {
		printf("FAILED\n");
		return 1;
	}
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
	PCRE2_SIZE start = 0, len = strlen(subject);
	int matches = 0;
	while (pcre2_match(re, (PCRE2_SPTR)subject, len, start, 0, md, NULL) > 0) {
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
		PCRE2_UCHAR name[32];
		PCRE2_SIZE n = sizeof(name);
		pcre2_substring_copy_byname(md, (PCRE2_SPTR) "name", name, &n);
		printf("match %d at %zu: %s -> %.*s\n", ++matches, (size_t)ov[0], (char *)name,
		       (int)(ov[5] - ov[4]), subject + ov[4]);
		start = ov[1];
	}
	printf("matches: %d\n", matches);
	pcre2_match_data_free(md);
	pcre2_code_free(re);

	re =
	    pcre2_compile((PCRE2_SPTR) "(unclosed[", PCRE2_ZERO_TERMINATED, 0, &err, &erroff, NULL);
	PCRE2_UCHAR msg[256];
	pcre2_get_error_message(err, msg, sizeof(msg));
	printf("bad pattern: %s, error %d at offset %zu: %s\n", re ? "accepted" : "refused", err,
	       (size_t)erroff, (char *)msg);
	return 0;
}
