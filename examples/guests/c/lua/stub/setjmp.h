/* wasi-libc has no setjmp; Lua is built with LUAI_THROW/LUAI_TRY replaced, so nothing here is used. */
