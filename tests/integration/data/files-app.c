/*
 * The program of tests/integration/file-handles.sh: it passes its stdout
 * to the library, and (with -DLOG) writes to a FILE * the library opened.
 */
#include <stdio.h>

int files_report(FILE *out, int n);
FILE *files_open_log(void);

int main(void)
{
	if (files_report(stdout, 3) < 0)
		return 2;
	fflush(stdout);
#ifdef LOG
	FILE *log = files_open_log();
	if (!log || fprintf(log, "log: written by the application\n") < 0 || fclose(log))
		return 3;
#endif
	return 0;
}
