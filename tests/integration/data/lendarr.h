/* tests/integration/lend-array.sh: the library's header. */
struct img {
	unsigned width;
};
long lib_rows(const struct img *im, unsigned char **rows, unsigned n);
long lib_rows_bare(const struct img *im, unsigned char **rows, unsigned n);
long lib_rows_null(const struct img *im, unsigned char **rows);
long lib_rows4(const struct img *im, unsigned char **rows);
