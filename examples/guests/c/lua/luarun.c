/* A minimal Lua command line for WASI: runs the script named by argv[1]
 * with the rest of the arguments in `arg`. wasi-libc has no setjmp, so a
 * Lua error cannot be caught: it is printed and ends the program (exit 1). */
#include <stdio.h>
#include <stdlib.h>
#include "lua.h"
#include "lauxlib.h"
#include "lualib.h"

_Noreturn void luarun_throw(lua_State *L) {
  const char *msg = lua_tostring(L, -1);
  fprintf(stderr, "lua: %s\n", msg ? msg : "(error object is not a string)");
  exit(1);
}

int main(int argc, char **argv) {
  if (argc < 2) { fprintf(stderr, "usage: lua SCRIPT [ARGS]...\n"); return 2; }
  lua_State *L = luaL_newstate();
  luaL_openlibs(L);
  lua_createtable(L, argc, 0);
  for (int i = 0; i < argc; i++) { lua_pushstring(L, argv[i]); lua_rawseti(L, -2, i - 1); }
  lua_setglobal(L, "arg");
  if (luaL_dofile(L, argv[1]) != LUA_OK) luarun_throw(L);
  lua_close(L);
  return 0;
}
