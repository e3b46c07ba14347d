/* libjpeg-turbo: compresses a 32x24 RGB image into memory, decompresses it,
 * reading the scanlines into the buffer the library's allocator gives, and
 * prints the size and a checksum; then decodes garbage, whose error comes
 * back through a longjmp from the program's own error_exit. */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

#define W 32
#define H 24

struct err {
	struct jpeg_error_mgr pub;
	jmp_buf jump;
};

static void on_error_exit(j_common_ptr cinfo)
{
	struct err *e = (struct err *)cinfo->err;
	char msg[JMSG_LENGTH_MAX];
	(*cinfo->err->format_message)(cinfo, msg);
	printf("jpeg error: %s\n", msg);
	longjmp(e->jump, 1);
}

static unsigned long compress(unsigned char **out)
{
	struct jpeg_compress_struct cinfo;
	struct err jerr;
	unsigned long size = 0;
	cinfo.err = jpeg_std_error(&jerr.pub);
	jerr.pub.error_exit = on_error_exit;
	if (setjmp(jerr.jump)) {
		jpeg_destroy_compress(&cinfo);
		return 0;
	}
	jpeg_create_compress(&cinfo);
	jpeg_mem_dest(&cinfo, out, &size);
	cinfo.image_width = W;
	cinfo.image_height = H;
	cinfo.input_components = 3;
	cinfo.in_color_space = JCS_RGB;
	jpeg_set_defaults(&cinfo);
	jpeg_set_quality(&cinfo, 90, TRUE);
	jpeg_start_compress(&cinfo, TRUE);
	JSAMPLE row[W * 3];
	while (cinfo.next_scanline < H) {
		for (int x = 0; x < W; x++) {
			row[3 * x] = (JSAMPLE)(x * 8);
			row[3 * x + 1] = (JSAMPLE)(cinfo.next_scanline * 10);
			row[3 * x + 2] = 128;
		}
		JSAMPROW rp = row;
		jpeg_write_scanlines(&cinfo, &rp, 1);
	}
	jpeg_finish_compress(&cinfo);
	jpeg_destroy_compress(&cinfo);
	return size;
}

static int decompress(const unsigned char *data, unsigned long size)
{
	struct jpeg_decompress_struct cinfo;
	struct err jerr;
	cinfo.err = jpeg_std_error(&jerr.pub);
	jerr.pub.error_exit = on_error_exit;
	if (setjmp(jerr.jump)) {
		jpeg_destroy_decompress(&cinfo);
		return -1;
	}
	jpeg_create_decompress(&cinfo);
	jpeg_mem_src(&cinfo, data, size);
	jpeg_read_header(&cinfo, TRUE);
	jpeg_start_decompress(&cinfo);
	printf("decoded: %ux%u, %d components\n", cinfo.output_width, cinfo.output_height,
	       cinfo.output_components);
	int stride = cinfo.output_width * cinfo.output_components;
	JSAMPARRAY buf = (*cinfo.mem->alloc_sarray)((j_common_ptr)&cinfo, JPOOL_IMAGE, stride, 1);
	unsigned long sum = 0;
	while (cinfo.output_scanline < cinfo.output_height) {
		jpeg_read_scanlines(&cinfo, buf, 1);
		for (int i = 0; i < stride; i++)
			sum = sum * 31 + buf[0][i];
	}
	printf("pixels: checksum %lu\n", sum);
	jpeg_finish_decompress(&cinfo);
	jpeg_destroy_decompress(&cinfo);
	return 0;
}

int main(void)
{
	unsigned char *jpg = NULL;
	unsigned long size = compress(&jpg);
	printf("compressed: %lu bytes\n", size);
	if (!size || decompress(jpg, size)) {
		printf("FAILED\n");
		return 1;
	}
	free(jpg);
	unsigned char junk[64];
	memset(junk, 0x5a, sizeof(junk));
	printf("garbage: %s\n", decompress(junk, sizeof(junk)) ? "refused" : "accepted");
	return 0;
}
