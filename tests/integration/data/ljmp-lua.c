/*
 * tests/integration/longjmp.sh: Debian's unmodified liblua5.4.a in its own
 * compartment. lua_pcall calls app_fail, a C function of the application,
 * whose luaL_error longjmps inside Lua back to lua_pcall's setjmp: two
 * gates back (app -> lua -> app -> lua). Then a chunk whose own pcall
 * catches app_fail's errors and calls app_fail again, each time while
 * the application still sits in the frames of the call the error
 * abandoned.
 */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdio.h>

int app_fail(lua_State *L)
{
	lua_Integer n = luaL_checkinteger(L, 1);
	if (n % 2)
		return luaL_error(L, "odd %d", (int)n);
	lua_pushinteger(L, n / 2);
	return 1;
}

int main(void)
{
	lua_State *L = luaL_newstate();
	long errors = 0, sum = 0;

	for (int i = 0; i < 200; i++) {
		lua_pushcfunction(L, app_fail);
		lua_pushinteger(L, i);
		if (lua_pcall(L, 1, 1, 0) == LUA_ERRRUN)
			errors++;
		else
			sum += (long)lua_tointeger(L, -1);
		lua_pop(L, 1);
	}
	if (luaL_loadstring(L, "return 6 * 7") || lua_pcall(L, 0, 1, 0))
		return 1;
	luaL_requiref(L, "_G", luaopen_base, 1);
	lua_pop(L, 1);
	lua_register(L, "f", app_fail);
	if (luaL_loadstring(L, "local n = 0 for i = 1, 100 do if not pcall(f, 2 * i + 1) then "
			       "n = n + 1 end end return n + f(4)") ||
	    lua_pcall(L, 0, 1, 0))
		return printf("lua: %s\n", lua_tostring(L, -1));
	printf("lua: %ld errors, sum %ld, %d, top %d, pcall %d\n", errors, sum,
	       (int)lua_tointeger(L, -2), lua_gettop(L) - 2, (int)lua_tointeger(L, -1));
	lua_close(L);
	return 0;
}
