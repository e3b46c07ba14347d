/* tests/integration/lend-array.sh: the library's header. */
#include <setjmp.h>

struct img {
	unsigned width;
};
long lib_rows(const struct img *im, unsigned char **rows, unsigned n);
long lib_rows_bare(const struct img *im, unsigned char **rows, unsigned n);
long lib_rows_null(const struct img *im, unsigned char **rows);
long lib_rows4(const struct img *im, unsigned char **rows);
/* Reads the first byte of each of the n rows, then longjmps to env (as png_longjmp). */
void lib_rows_throw(const struct img *im, unsigned char **rows, unsigned n, jmp_buf *env);
