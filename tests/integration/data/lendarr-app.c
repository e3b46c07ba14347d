/*
 * tests/integration/lend-array.sh: hands the library arrays of pointers to
 * its private rows, unchanged code of the kind libjpeg's and libpng's
 * users write: heap rows (one of them twice in the array), rows of a
 * stack array, a NULL-terminated array, a fixed count, an array in
 * shared memory (not lent: its private rows end the image), 100 longjmps out of a
 * lending gate (jumps); then rows the
 * config does not lend (bare), a callee reading past a row (over), and
 * more bytes of rows than the lend arena holds (big).
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lendarr.h"

#define W 40

/* In shared memory (shared_data in the config): its private rows are not lent. */
unsigned char *shared_rows[3];

static unsigned long check(unsigned char **rows, unsigned n, unsigned w)
{
	unsigned long c = 0;
	for (unsigned y = 0; y < n; y++)
		for (unsigned x = 0; x < w; x++)
			c = c * 31 + rows[y][x];
	return c;
}

/* Whether the array holds the pointers saved before the call: no arena address came back. */
static const char *kept(unsigned char **rows, unsigned char **saved, unsigned n)
{
	return memcmp(rows, saved, n * sizeof(*rows)) ? "moved" : "kept";
}

static unsigned char **heap_rows(unsigned n, unsigned w)
{
	unsigned char **rows = malloc(n * sizeof(*rows));
	for (unsigned y = 0; y < n; y++) {
		rows[y] = malloc(w);
		for (unsigned x = 0; x < w; x++)
			rows[y][x] = (unsigned char)(x * 3 + y * 11);
	}
	return rows;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "heap";
	struct img im = {W};

	if (!strcmp(mode, "heap")) {
		unsigned char **rows = heap_rows(5, W), *saved[5];
		rows[3] = rows[1]; /* inverted twice: as it was */
		memcpy(saved, rows, sizeof(saved));
		long s = lib_rows(&im, rows, 5);
		printf("heap: %ld %lu %s %s\n", s, check(rows, 5, W),
		       rows[3] == rows[1] ? "same" : "moved", kept(rows, saved, 5));
		/* A stack array of the heap rows, as jpeg_write_scanlines(&cinfo, &row, 1). */
		unsigned char *one = rows[2];
		s = lib_rows(&im, &one, 1);
		printf("one: %ld %lu %s\n", s, check(rows, 5, W),
		       one == rows[2] ? "same" : "moved");
	} else if (!strcmp(mode, "stack")) {
		unsigned char pix[4][24];
		unsigned char *rows[4], *saved[4];
		struct img small = {24};
		for (unsigned y = 0; y < 4; y++) {
			rows[y] = pix[y];
			for (unsigned x = 0; x < 24; x++)
				pix[y][x] = (unsigned char)(x + 50 * y);
		}
		memcpy(saved, rows, sizeof(saved));
		long s = lib_rows(&small, rows, 4);
		printf("stack: %ld %lu %s\n", s, check(rows, 4, 24), kept(rows, saved, 4));
	} else if (!strcmp(mode, "null")) {
		unsigned char **heap = heap_rows(3, W);
		unsigned char *rows[4] = {heap[0], heap[1], heap[2], NULL};
		long s = lib_rows_null(&im, rows);
		printf("null: %ld %lu %s\n", s, check(rows, 3, W), kept(rows, heap, 3));
	} else if (!strcmp(mode, "fixed")) {
		unsigned char **rows = heap_rows(4, W), *saved[4];
		memcpy(saved, rows, sizeof(saved));
		long s = lib_rows4(&im, rows);
		printf("fixed: %ld %lu %s\n", s, check(rows, 4, W), kept(rows, saved, 4));
	} else if (!strcmp(mode, "shared")) {
		unsigned char **heap = heap_rows(3, W);
		memcpy(shared_rows, heap, sizeof(shared_rows));
		long s = lib_rows(&im, shared_rows, 3);
		printf("shared: %ld %lu %s\n", s, check(shared_rows, 3, W),
		       kept(shared_rows, heap, 3));
	} else if (!strcmp(mode, "jumps")) {
		/*
		 * 100 longjmps out of a gate that lends 16 rows (1600 element
		 * records, of 1024): each call's records are given back.
		 */
		unsigned char **rows = heap_rows(16, W);
		volatile int n = 0;
		jmp_buf env;
		for (int i = 0; i < 100; i++)
			if (setjmp(env))
				n++;
			else
				lib_rows_throw(&im, rows, 16, &env);
		long s = lib_rows(&im, rows, 16);
		printf("jumps: %d %ld %lu\n", n, s, check(rows, 16, W));
	} else if (!strcmp(mode, "bare")) {
		unsigned char **rows = heap_rows(2, W);
		printf("bare: %ld\n", lib_rows_bare(&im, rows, 2));
	} else if (!strcmp(mode, "over")) {
		unsigned char pix[2][24] = {{1}, {2}};
		unsigned char *rows[1] = {pix[1]};
		struct img wide = {32};
		printf("over: %ld\n", lib_rows(&wide, rows, 1));
	} else if (!strcmp(mode, "big")) {
		/* 80 rows of 4000 bytes: 320 KiB, more than the arena's largest slot. */
		unsigned char **rows = heap_rows(80, 4000);
		struct img wide = {4000};
		printf("big: %ld\n", lib_rows(&wide, rows, 80));
	} else {
		return 2;
	}
	return 0;
}
