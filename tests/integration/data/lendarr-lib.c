/*
 * tests/integration/lend-array.sh: functions that read and write the
 * objects an array of pointers points to (libjpeg's jpeg_write_scanlines,
 * libpng's png_write_rows and png_read_image do).
 */
#include <setjmp.h>

#include "lendarr.h"

/* Sums the first im->width bytes of each row, and inverts them. */
static long sum_invert(const struct img *im, unsigned char *row)
{
	long sum = 0;
	for (unsigned x = 0; x < im->width; x++) {
		sum += row[x];
		row[x] = (unsigned char)~row[x];
	}
	return sum;
}

long lib_rows(const struct img *im, unsigned char **rows, unsigned n)
{
	long sum = 0;
	for (unsigned y = 0; y < n; y++)
		sum = sum * 7 + sum_invert(im, rows[y]);
	return sum;
}

long lib_rows_bare(const struct img *im, unsigned char **rows, unsigned n)
{
	return lib_rows(im, rows, n);
}

long lib_rows_null(const struct img *im, unsigned char **rows)
{
	long sum = 0, n = 0;
	for (; rows[n]; n++)
		sum += sum_invert(im, rows[n]);
	return sum * 100 + n;
}

long lib_rows4(const struct img *im, unsigned char **rows)
{
	return lib_rows(im, rows, 4);
}

void lib_rows_throw(const struct img *im, unsigned char **rows, unsigned n, jmp_buf *env)
{
	unsigned sum = im->width;
	for (unsigned y = 0; y < n; y++)
		sum += rows[y][0];
	longjmp(*env, (int)(sum | 1));
}
