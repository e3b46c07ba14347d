/* libarchive: writes a gzip-compressed tar archive of three entries into a
 * memory buffer, then lists it and checks each entry's contents; then
 * reports the library's error for a buffer that is no archive. */
#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <string.h>

static const char *names[] = {"README", "src/main.c", "src/empty"};
static const char *bodies[] = {"corpus archive\n", "int main(void) { return 0; }\n", ""};

int main(void)
{
	static char buf[1 << 16];
	size_t used = 0;
	struct archive *a = archive_write_new();
	archive_write_add_filter_gzip(a);
	archive_write_set_format_pax_restricted(a);
	if (archive_write_open_memory(a, buf, sizeof(buf), &used) != ARCHIVE_OK) {
		printf("FAILED: %s\n", archive_error_string(a));
		return 1;
	}
	for (int i = 0; i < 3; i++) {
		struct archive_entry *e = archive_entry_new();
		archive_entry_set_pathname(e, names[i]);
		archive_entry_set_size(e, (la_int64_t)strlen(bodies[i]));
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_mtime(e, 1700000000, 0);
		archive_write_header(a, e);
		archive_write_data(a, bodies[i], strlen(bodies[i]));
		archive_entry_free(e);
	}
	archive_write_close(a);
	archive_write_free(a);
	printf("written: %s\n", used > 0 ? "yes" : "no");

	a = archive_read_new();
	archive_read_support_filter_all(a);
	archive_read_support_format_all(a);
	if (archive_read_open_memory(a, buf, used) != ARCHIVE_OK) {
		printf("FAILED: %s\n", archive_error_string(a));
		return 1;
	}
	struct archive_entry *e;
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		char data[256];
		la_ssize_t n = archive_read_data(a, data, sizeof(data));
		int i = 0;
		while (i < 3 && strcmp(names[i], archive_entry_pathname(e)))
			i++;
		printf("%s: %lld bytes, mode %o, mtime %lld, %s\n", archive_entry_pathname(e),
		       (long long)archive_entry_size(e), (unsigned)archive_entry_perm(e),
		       (long long)archive_entry_mtime(e),
		       i < 3 && n == (la_ssize_t)strlen(bodies[i]) && !memcmp(data, bodies[i], n)
			   ? "contents identical"
			   : "contents DIFFER");
	}
	printf("format: %s, filter: %s\n", archive_format_name(a), archive_filter_name(a, 0));
	archive_read_free(a);

	a = archive_read_new();
	archive_read_support_format_tar(a);
	const char junk[] = "this is not an archive at all";
	int r = archive_read_open_memory(a, junk, sizeof(junk));
	if (r == ARCHIVE_OK)
		r = archive_read_next_header(a, &e);
	printf("garbage: %s: %s\n", r == ARCHIVE_OK ? "accepted" : "refused",
	       archive_error_string(a));
	archive_read_free(a);
	return 0;
}
