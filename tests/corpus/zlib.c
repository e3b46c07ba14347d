/* zlib: deflates 64 KiB of generated text with a z_stream on the stack,
 * inflates it back and compares; then inflates garbage and prints zlib's
 * message. */
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#define N 65536

static unsigned char in[N], packed[N], out[N];

int main(void)
{
	for (int i = 0; i < N; i++)
		in[i] = "the corpus of unmodified libraries\n"[i % 35] ^ (unsigned char)(i / 4096);
	z_stream s;
	memset(&s, 0, sizeof(s));
	if (deflateInit(&s, 9) != Z_OK) {
		printf("FAILED: deflateInit\n");
		return 1;
	}
	s.next_in = in;
	s.avail_in = N;
	s.next_out = packed;
	s.avail_out = N;
	int r = deflate(&s, Z_FINISH);
	uLong packed_len = s.total_out;
	deflateEnd(&s);
	printf("deflate: %s, %lu -> %lu bytes, adler32 %08lx\n",
	       r == Z_STREAM_END ? "done" : "FAILED", (unsigned long)N, packed_len,
	       adler32(1L, in, N));

	memset(&s, 0, sizeof(s));
	inflateInit(&s);
	s.next_in = packed;
	s.avail_in = (uInt)packed_len;
	s.next_out = out;
	s.avail_out = N;
	r = inflate(&s, Z_FINISH);
	printf("inflate: %s, %lu bytes, %s\n", r == Z_STREAM_END ? "done" : "FAILED", s.total_out,
	       s.total_out == N && !memcmp(in, out, N) ? "identical" : "DIFFERENT");
	inflateEnd(&s);

	memset(&s, 0, sizeof(s));
	inflateInit(&s);
	unsigned char junk[] = "garbage, not a zlib stream";
	s.next_in = junk;
	s.avail_in = sizeof(junk);
	s.next_out = out;
	s.avail_out = N;
	r = inflate(&s, Z_FINISH);
	printf("garbage: %d, %s\n", r, s.msg ? s.msg : "no message");
	inflateEnd(&s);
	printf("crc32: %08lx\n", crc32(0L, (const Bytef *)"corpus", 6));
	return 0;
}
