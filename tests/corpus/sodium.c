/* libsodium: hashes a message with BLAKE2b and SHA-256, encrypts it with a
 * fixed key and nonce (secretbox), decrypts it, and shows that a tampered
 * ciphertext is refused. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
	if (sodium_init() < 0) {
		printf("FAILED: sodium_init\n");
		return 1;
	}
	const unsigned char msg[] = "the corpus of unmodified libraries";
	size_t len = sizeof(msg) - 1;
	unsigned char h[crypto_generichash_BYTES], sha[crypto_hash_sha256_BYTES];
	char hex[2 * crypto_hash_sha256_BYTES + 1];
	crypto_generichash(h, sizeof(h), msg, len, NULL, 0);
	printf("blake2b: %s\n", sodium_bin2hex(hex, sizeof(hex), h, sizeof(h)));
	crypto_hash_sha256(sha, msg, len);
	printf("sha256: %s\n", sodium_bin2hex(hex, sizeof(hex), sha, sizeof(sha)));

	unsigned char key[crypto_secretbox_KEYBYTES], nonce[crypto_secretbox_NONCEBYTES];
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (unsigned char)i;
	memset(nonce, 7, sizeof(nonce));
	unsigned char box[crypto_secretbox_MACBYTES + sizeof(msg)], back[sizeof(msg)];
	crypto_secretbox_easy(box, msg, len, nonce, key);
	crypto_generichash(h, sizeof(h), box, crypto_secretbox_MACBYTES + len, NULL, 0);
	printf("secretbox: %s\n", sodium_bin2hex(hex, sizeof(hex), h, sizeof(h)));
	int r = crypto_secretbox_open_easy(back, box, crypto_secretbox_MACBYTES + len, nonce, key);
	printf("opened: %s, %s\n", r == 0 ? "ok" : "refused",
	       r == 0 && !memcmp(back, msg, len) ? "identical" : "different");
	box[3] ^= 1;
	r = crypto_secretbox_open_easy(back, box, crypto_secretbox_MACBYTES + len, nonce, key);
	printf("tampered: %s\n", r == 0 ? "accepted" : "refused");
	printf("equal: %d\n", sodium_memcmp(msg, msg, len));
	return 0;
}
