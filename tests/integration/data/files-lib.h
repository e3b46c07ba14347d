/* The API of tests/integration/data/files-lib.c, for 'headers:'. */
#include <stdio.h>

int files_report(FILE *out, int n);
FILE *files_open_log(void);
