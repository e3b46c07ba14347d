/*
 * tests/integration/lend.sh: a static callback in an object built without
 * -g: its prototype comes from the config's prototypes: (lend-cb.h).
 */
#include <stdio.h>
#include <string.h>

#include "lend-cb.h"

struct acc {
	char text[64];
	int n;
};

static void on_word(void *ud, const char *word, int len)
{
	struct acc *a = ud;
	if (a->n + len + 1 < (int)sizeof(a->text)) {
		memcpy(a->text + a->n, word, (size_t)len);
		a->n += len;
		a->text[a->n++] = '.';
		a->text[a->n] = '\0';
	}
}

int words(void)
{
	struct acc a = {"", 0};
	int n = lib_words("alpha beta gamma", on_word, &a);
	return printf("words: %d %s\n", n, a.text) < 0;
}
