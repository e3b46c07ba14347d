/* tests/integration/lend.sh: a handler type, as a library's header declares one. */
#ifndef LEND_CB_H
#define LEND_CB_H
typedef void (*lend_word_fn)(void *ud, const char *word, int len);
int lib_words(const char *text, lend_word_fn fn, void *ud);
#endif
