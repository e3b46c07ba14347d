/*
 * This file is private to flexos-link: routing references to static
 * functions listed under 'callbacks:' through their stubs, in the private
 * copy of their object.
 */
#ifndef FLEXOS_LINK_REWRITE_H
#define FLEXOS_LINK_REWRITE_H

#include <stdbool.h>
#include <stddef.h>

struct flx_static_callback {
	char *fn;   /* the static function (or a global one, in an archive) */
	char *stub; /* the weak symbol objcopy added at its address, which the stub overrides */
	/*
	 * In an archive: the member that defines it, and the objcopy
	 * arguments that add symbols at its address, which must reach that
	 * member only. Global callbacks of an archive have no stub to rewrite
	 * (stub NULL): only the symbols.
	 */
	char *member;
	char *add[2];
};

/*
 * Makes every reference of the object at path that takes the address of
 * one of the n static functions name its stub instead. Returns 0, or -1
 * after printing why (a malformed object, or a function whose address is
 * never taken).
 */
int flx_rewrite_static_callbacks(const char *path, const struct flx_static_callback *cbs, size_t n);

/*
 * Sets taken[i] to whether the object at path takes the address of its
 * static function fns[i] (what flx_rewrite_static_callbacks would route).
 * Returns 0, or -1 after printing why.
 */
int flx_static_address_taken(const char *path, const char *const *fns, size_t n, bool *taken);

#endif
