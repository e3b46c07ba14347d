/* libpng: writes a 24x16 RGB gradient to a PNG file through a FILE *, reads
 * it back, and prints its header and a checksum of its pixels; then reads a
 * truncated copy, whose error comes back through a longjmp from the
 * program's own error handler. */
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define W 24
#define H 16

static void on_error(png_structp png, png_const_charp msg)
{
	printf("png error: %s\n", msg);
	longjmp(png_jmpbuf(png), 1);
}

static void on_warning(png_structp png, png_const_charp msg)
{
	(void)png;
	printf("png warning: %s\n", msg);
}

static int write_png(const char *path)
{
	FILE *fp = fopen(path, "wb");
	if (!fp)
		return -1;
	png_structp png =
	    png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, on_error, on_warning);
	png_infop info = png_create_info_struct(png);
	if (setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, &info);
		fclose(fp);
		return -1;
	}
	png_init_io(png, fp);
	png_set_IHDR(png, info, W, H, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
		     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_text text = {.compression = PNG_TEXT_COMPRESSION_NONE,
			 .key = "Comment",
			 .text = "made by the FlexOS corpus"};
	png_set_text(png, info, &text, 1);
	png_write_info(png, info);
	png_byte row[W * 3];
	for (int y = 0; y < H; y++) {
		for (int x = 0; x < W; x++) {
			row[3 * x] = (png_byte)(x * 10);
			row[3 * x + 1] = (png_byte)(y * 15);
			row[3 * x + 2] = (png_byte)((x + y) * 5);
		}
		png_write_row(png, row);
	}
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	fclose(fp);
	return 0;
}

static int read_png(const char *path)
{
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return -1;
	png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, on_error, on_warning);
	png_infop info = png_create_info_struct(png);
	png_bytep rows[H] = {0};
	if (setjmp(png_jmpbuf(png))) {
		for (int y = 0; y < H; y++)
			free(rows[y]);
		png_destroy_read_struct(&png, &info, NULL);
		fclose(fp);
		return -1;
	}
	png_init_io(png, fp);
	png_read_info(png, info);
	png_uint_32 w, h;
	int depth, color;
	png_get_IHDR(png, info, &w, &h, &depth, &color, NULL, NULL, NULL);
	printf("header: %ux%u, depth %d, color type %d\n", (unsigned)w, (unsigned)h, depth, color);
	if (w != W || h != H)
		png_error(png, "unexpected size");
	for (int y = 0; y < H; y++)
		rows[y] = malloc(png_get_rowbytes(png, info));
	png_read_image(png, rows);
	png_read_end(png, info);
	png_textp text;
	int ntext = 0;
	png_get_text(png, info, &text, &ntext);
	for (int i = 0; i < ntext; i++)
		printf("text: %s = %s\n", text[i].key, text[i].text);
	unsigned long sum = 0;
	for (int y = 0; y < H; y++) {
		for (int x = 0; x < W * 3; x++)
			sum = sum * 31 + rows[y][x];
		free(rows[y]);
	}
	printf("pixels: checksum %lu\n", sum);
	png_destroy_read_struct(&png, &info, NULL);
	fclose(fp);
	return 0;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : ".";
	char path[4096], cut[4096];
	snprintf(path, sizeof(path), "%s/corpus.png", dir);
	snprintf(cut, sizeof(cut), "%s/corpus-cut.png", dir);
	printf("libpng %s\n", png_get_libpng_ver(NULL));
	if (write_png(path) || read_png(path)) {
		printf("FAILED\n");
		return 1;
	}
	/* The first 60 bytes: a header and part of the data, then nothing. */
	FILE *in = fopen(path, "rb"), *out = fopen(cut, "wb");
	char buf[60];
	size_t n = fread(buf, 1, sizeof(buf), in);
	fwrite(buf, 1, n, out);
	fclose(in);
	fclose(out);
	printf("truncated: %s\n", read_png(cut) ? "refused" : "accepted");
	remove(path);
	remove(cut);
	return 0;
}
