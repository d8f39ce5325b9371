/* Included before every Lua source (see build.sh): Lua's error throw,
 * LUAI_THROW, is redefined to call this, as wasi-libc has no setjmp. */
struct lua_State;
_Noreturn void luarun_throw(struct lua_State *L);
