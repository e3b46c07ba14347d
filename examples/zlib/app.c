/*
 * Compresses a file with Debian's unmodified libz.a in a compartment of
 * its own, decompresses it again and checks the round trip byte for byte.
 * Then feeds zlib a corrupt stream and prints the message it hands back
 * (a string in zlib's memory, readable because zlib is a sandbox of the
 * application).
 *
 * Everything zlib touches is in shared memory: the z_stream, the buffers
 * and the version string deflateInit and inflateInit pass. No call here
 * is a gate in the source: flexos-link makes them from the symbol tables.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include <flexos/flexos.h>

static void *shared(size_t n)
{
	void *p = flexos_shared_calloc(1, n ? n : 1);
	if (!p) {
		perror("flexos_shared_calloc");
		exit(1);
	}
	return p;
}

static unsigned char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	long n;
	unsigned char *buf;

	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		perror(path);
		exit(1);
	}
	buf = shared((size_t)n);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		perror(path);
		exit(1);
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "/proc/self/exe";
	char *version = shared(sizeof(ZLIB_VERSION));
	z_stream *zs = shared(sizeof(*zs));
	size_t len, zlen, bound;
	unsigned char *in = read_file(path, &len), *z, *out;
	int rc;

	memcpy(version, ZLIB_VERSION, sizeof(ZLIB_VERSION));
	bound = deflateBound(NULL, len);
	z = shared(bound);
	out = shared(len + 1);

	if ((rc = deflateInit_(zs, Z_BEST_COMPRESSION, version, (int)sizeof(*zs))) != Z_OK) {
		fprintf(stderr, "zlib: deflateInit failed (%d)\n", rc);
		return 1;
	}
	zs->next_in = in;
	zs->avail_in = (uInt)len;
	zs->next_out = z;
	zs->avail_out = (uInt)bound;
	rc = deflate(zs, Z_FINISH);
	zlen = zs->total_out;
	deflateEnd(zs);
	if (rc != Z_STREAM_END) {
		fprintf(stderr, "zlib: deflate failed (%d)\n", rc);
		return 1;
	}

	memset(zs, 0, sizeof(*zs));
	if ((rc = inflateInit_(zs, version, (int)sizeof(*zs))) != Z_OK) {
		fprintf(stderr, "zlib: inflateInit failed (%d)\n", rc);
		return 1;
	}
	zs->next_in = z;
	zs->avail_in = (uInt)zlen;
	zs->next_out = out;
	zs->avail_out = (uInt)len + 1;
	rc = inflate(zs, Z_FINISH);
	size_t outlen = zs->total_out;
	inflateEnd(zs);
	int same = rc == Z_STREAM_END && outlen == len && !memcmp(in, out, len);
	printf("zlib: %s: %zu bytes -> %zu compressed -> %zu: %s\n", path, len, zlen, outlen,
	       same ? "identical" : "DIFFERENT");

	/* A corrupt stream: zlib's message is a string of zlib's. */
	memset(zs, 0, sizeof(*zs));
	inflateInit_(zs, version, (int)sizeof(*zs));
	z[0] ^= 0xff;
	zs->next_in = z;
	zs->avail_in = (uInt)zlen;
	zs->next_out = out;
	zs->avail_out = (uInt)len + 1;
	rc = inflate(zs, Z_FINISH);
	printf("zlib: a corrupt stream: %d, %s\n", rc, zs->msg ? zs->msg : "(no message)");
	int reported = rc == Z_DATA_ERROR && zs->msg && strstr(zs->msg, "incorrect header check");
	inflateEnd(zs);
	if (!same || !reported) {
		printf("zlib: FAILED\n");
		return 1;
	}
	printf("zlib: ok\n");
	return 0;
}
