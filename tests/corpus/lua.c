/* Lua 5.4: runs a script that calls C functions of the program (one of them
 * raises a Lua error, which the script catches with pcall), reads a table
 * back, and reports a runtime error of a chunk run with lua_pcall. */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdio.h>

static int c_add(lua_State *L)
{
	lua_Integer a = luaL_checkinteger(L, 1), b = luaL_checkinteger(L, 2);
	lua_pushinteger(L, a + b);
	return 1;
}

static int c_fail(lua_State *L)
{
	return luaL_error(L, "c_fail called with %s", luaL_checkstring(L, 1));
}

static const char script[] = "local t = {}\n"
			     "for i = 1, 10 do t[i] = add(i, i * i) end\n"
			     "local ok, err = pcall(fail, 'a bad argument')\n"
			     "result = { sum = 0, caught = err, ok = ok }\n"
			     "for _, v in ipairs(t) do result.sum = result.sum + v end\n"
			     "return string.format('%d values, last %d', #t, t[#t])\n";

int main(void)
{
	lua_State *L = luaL_newstate();
	luaL_openlibs(L);
	lua_register(L, "add", c_add);
	lua_register(L, "fail", c_fail);
	lua_pushstring(L, "corpus");
	lua_setglobal(L, "name");
	if (luaL_loadstring(L, script) != LUA_OK || lua_pcall(L, 0, 1, 0) != LUA_OK) {
		printf("FAILED: %s\n", lua_tostring(L, -1));
		return 1;
	}
	printf("script: %s\n", lua_tostring(L, -1));
	lua_pop(L, 1);
	lua_getglobal(L, "result");
	lua_getfield(L, -1, "sum");
	printf("sum: %lld\n", (long long)lua_tointeger(L, -1));
	lua_getfield(L, -2, "ok");
	printf("pcall ok: %s\n", lua_toboolean(L, -1) ? "true" : "false");
	lua_getfield(L, -3, "caught");
	printf("caught: %s\n", lua_tostring(L, -1));
	lua_settop(L, 0);
	int st = luaL_dostring(L, "local x = nil; return x.field");
	printf("error chunk: status %d, %s\n", st, lua_tostring(L, -1));
	lua_close(L);
	return 0;
}
