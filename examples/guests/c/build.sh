#!/usr/bin/env bash
# Builds the C guests in this folder for wasm32-wasi with Debian's clang 14,
# lld and wasi-libc:
#
#     bash examples/guests/c/build.sh [OUT_DIR]   # default: this folder
#
# fileops.wasm and writes.wasm are our own code. sqlite_rows.wasm links
# SQLite 3.50.2 (the amalgamation bundled in the libsqlite3-sys 0.35.0
# crate), lua.wasm is Lua 5.4.8 (the lua-src 548.1.2 crate) with our
# luarun.c as its main, gzip.wasm links zlib (bundled in libz-sys 1.1.31);
# those sources come from the Rust package registry through `cargo fetch`. Paths
# are mapped so the output does not depend on where things live: CI
# rebuilds and checks that the committed .wasm files match their sources.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(mkdir -p "${1:-$here}" && cd "${1:-$here}" && pwd)
for tool in clang wasm-ld; do
    command -v $tool >/dev/null || { echo "$tool is missing: apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32" >&2; exit 1; }
done

# The third-party sources, at pinned versions.
fetch=$(mktemp -d)
trap 'rm -rf "$fetch"' EXIT
mkdir -p "$fetch/src" && echo 'fn main() {}' > "$fetch/src/main.rs"
cat > "$fetch/Cargo.toml" <<'TOML'
[package]
name = "guest-sources"
version = "0.0.0"
edition = "2021"
[dependencies]
libsqlite3-sys = { version = "=0.35.0", default-features = false }
lua-src = "=548.1.2"
libz-sys = { version = "=1.1.31", default-features = false }
TOML
cargo fetch -q --manifest-path "$fetch/Cargo.toml"
registry=$(dirname "$(cargo metadata -q --format-version 1 --manifest-path "$fetch/Cargo.toml" \
    | python3 -c 'import json,sys; print(next(p["manifest_path"] for p in json.load(sys.stdin)["packages"] if p["name"] == "lua-src"))')")/..
registry=$(cd "$registry" && pwd)
sqlite=$registry/libsqlite3-sys-0.35.0/sqlite3
lua=$registry/lua-src-548.1.2/lua-5.4.8
zlib=$registry/libz-sys-1.1.31/src/zlib

cc() { clang --target=wasm32-wasi -O2 -ffile-prefix-map="$registry"=registry -ffile-prefix-map="$here"=. "$@"; }
cd "$here"

cc -o "$out/fileops.wasm" fileops.c
cc -o "$out/writes.wasm" writes.c

cc -I"$zlib" -DZ_HAVE_UNISTD_H -Wno-everything -o "$out/gzip.wasm" gzip.c \
    "$zlib"/{adler32,compress,crc32,deflate,gzclose,gzlib,gzread,gzwrite,inflate,infback,inftrees,inffast,trees,uncompr,zutil}.c

cc -I"$sqlite" -DSQLITE_THREADSAFE=0 -DSQLITE_OMIT_LOAD_EXTENSION -DLONGDOUBLE_TYPE=double \
    -D_WASI_EMULATED_MMAN -D_WASI_EMULATED_GETPID -D_WASI_EMULATED_SIGNAL \
    -D_WASI_EMULATED_PROCESS_CLOCKS -Wno-everything \
    -o "$out/sqlite_rows.wasm" sqlite_rows.c "$sqlite/sqlite3.c" \
    -lwasi-emulated-mman -lwasi-emulated-getpid -lwasi-emulated-signal -lwasi-emulated-process-clocks

# wasi-libc has no setjmp: Lua's error throw ends the program instead
# (LUAI_THROW/LUAI_TRY), os.execute and os.tmpname report failure.
lua_sources=()
for f in "$lua"/*.c; do
    case $(basename "$f") in lua.c | luac.c) ;; *) lua_sources+=("$f") ;; esac
done
cc -Ilua/stub -include lua/stub/luarun.h -I"$lua" -DLUA_USE_C89 \
    -D_WASI_EMULATED_PROCESS_CLOCKS -D_WASI_EMULATED_SIGNAL -Wno-everything \
    '-DLUAI_THROW(L,c)=luarun_throw(L)' '-DLUAI_TRY(L,c,a)={a}' -Dluai_jmpbuf=int \
    '-Dl_system(c)=((c)==NULL?0:-1)' '-Dlua_tmpnam(b,e)={e=1;}' \
    -o "$out/lua.wasm" lua/luarun.c "${lua_sources[@]}" \
    -lwasi-emulated-process-clocks -lwasi-emulated-signal
ls -l "$out"/*.wasm
