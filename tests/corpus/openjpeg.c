/* OpenJPEG: encodes a 16x16 gray image losslessly into a JPEG 2000
 * codestream file, decodes it, and checks the pixels; the library's
 * messages go to the program's own handlers. */
#include <openjpeg.h>
#include <stdio.h>
#include <string.h>

#define W 16
#define H 16

static void on_error(const char *msg, void *data)
{
	(void)data;
	printf("openjpeg error: %s", msg);
}

static void on_warning(const char *msg, void *data)
{
	(void)data;
	printf("openjpeg warning: %s", msg);
}

static int encode(const char *path)
{
	opj_cparameters_t params;
	opj_set_default_encoder_parameters(&params);
	params.tcp_numlayers = 1;
	params.tcp_rates[0] = 0;
	params.cp_disto_alloc = 1;
	params.numresolution = 3;
	opj_image_cmptparm_t cmpt;
	memset(&cmpt, 0, sizeof(cmpt));
	cmpt.dx = cmpt.dy = 1;
	cmpt.w = W;
	cmpt.h = H;
	cmpt.prec = 8;
	opj_image_t *image = opj_image_create(1, &cmpt, OPJ_CLRSPC_GRAY);
	if (!image)
		return -1;
	image->x1 = W;
	image->y1 = H;
	for (int i = 0; i < W * H; i++)
		image->comps[0].data[i] = (i * 7) & 0xff;
	opj_codec_t *codec = opj_create_compress(OPJ_CODEC_J2K);
	opj_set_error_handler(codec, on_error, NULL);
	opj_set_warning_handler(codec, on_warning, NULL);
	opj_setup_encoder(codec, &params, image);
	opj_stream_t *stream = opj_stream_create_default_file_stream(path, OPJ_FALSE);
	int ok = stream && opj_start_compress(codec, image, stream) && opj_encode(codec, stream) &&
		 opj_end_compress(codec, stream);
	opj_stream_destroy(stream);
	opj_destroy_codec(codec);
	opj_image_destroy(image);
	return ok ? 0 : -1;
}

static int decode(const char *path)
{
	opj_dparameters_t params;
	opj_set_default_decoder_parameters(&params);
	opj_codec_t *codec = opj_create_decompress(OPJ_CODEC_J2K);
	opj_set_error_handler(codec, on_error, NULL);
	opj_set_warning_handler(codec, on_warning, NULL);
	opj_setup_decoder(codec, &params);
	opj_stream_t *stream = opj_stream_create_default_file_stream(path, OPJ_TRUE);
	opj_image_t *image = NULL;
	int ok = stream && opj_read_header(stream, codec, &image) &&
		 opj_decode(codec, stream, image) && opj_end_decompress(codec, stream);
	if (ok) {
		opj_image_comp_t *c = &image->comps[0];
		int wrong = 0;
		for (unsigned i = 0; i < c->w * c->h; i++)
			wrong += c->data[i] != (int)((i * 7) & 0xff);
		printf("decoded: %ux%u, %u component(s), %d wrong pixel(s)\n", c->w, c->h,
		       image->numcomps, wrong);
	}
	opj_image_destroy(image);
	opj_stream_destroy(stream);
	opj_destroy_codec(codec);
	return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : ".";
	char path[4096];
	snprintf(path, sizeof(path), "%s/corpus.j2k", dir);
	printf("openjpeg %s\n", opj_version());
	if (encode(path) || decode(path)) {
		printf("FAILED\n");
		return 1;
	}
	FILE *f = fopen(path, "wb");
	fputs("not a codestream", f);
	fclose(f);
	printf("garbage: %s\n", decode(path) ? "refused" : "accepted");
	remove(path);
	return 0;
}
