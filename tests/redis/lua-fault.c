/*
 * A faulty Lua C function for the containment test (tests/redis/contain.sh),
 * standing in for a memory-corruption exploit of Redis's Lua: linked only
 * into test images, never into examples/redis's.
 *
 * Redis opens its Lua libraries itself and then makes the globals read-only,
 * so the function cannot be added from outside: contain.sh renames the
 * real luaopen_bit in a copy of Redis's liblua.a (objcopy --redefine-sym)
 * and adds this object, whose luaopen_bit opens the real library and adds
 * bit.flexos_peek(address, n) to its table. Redis's code is unchanged.
 *
 * bit.flexos_peek(address, n): reads n bytes at address (a number, or a
 * string strtoull reads: "0x7f..." from DEBUG OBJECT) and returns them as a
 * string. A wild address crashes the Lua compartment; an address of Redis's
 * keyspace must end in a crash (process) or a fault report (intel-mpk), and
 * reads it under the one-compartment image.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lauxlib.h"
#include "lua.h"

int flexos_test_luaopen_bit_real(lua_State *L);
int luaopen_bit(lua_State *L);

static int peek(lua_State *L)
{
	const char *s = luaL_checkstring(L, 1);
	size_t n = (size_t)luaL_checkinteger(L, 2);
	char buf[256];

	if (n > sizeof(buf))
		return luaL_error(L, "flexos_peek: at most %d bytes", (int)sizeof(buf));
	/* volatile: the read must happen here, in this compartment's code. */
	const volatile char *p = (const volatile char *)(uintptr_t)strtoull(s, NULL, 0);
	for (size_t i = 0; i < n; i++)
		buf[i] = p[i];
	lua_pushlstring(L, buf, n);
	return 1;
}

int luaopen_bit(lua_State *L)
{
	int n = flexos_test_luaopen_bit_real(L);

	/* The real opener left its table, "bit", on the top of the stack. */
	lua_pushcfunction(L, peek);
	lua_setfield(L, -2, "flexos_peek");
	return n;
}
