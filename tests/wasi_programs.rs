//! Real C programs, built for `wasm32-wasi` with clang and wasi-libc (sources
//! and `build.sh` in `examples/guests/c/`), run through the example WASI host
//! on a preopened scratch folder: a database engine (SQLite, locking with a
//! directory), a script interpreter (Lua) doing file work, and our own
//! program walking through the file operations real programs use. Each must
//! finish with the expected output and leave exactly the files it should.
//!
//! Not under Miri: wasmtime compiles wasm to machine code.
#![cfg(not(any(miri, guest_memory_no_engines)))]

#[path = "common/capture.rs"]
mod capture;
#[allow(dead_code)]
#[path = "../examples/wasi_run/wasi/mod.rs"]
mod wasi;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use capture::Capture;

/// A scratch folder, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("wasi-programs-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    /// The names in the folder, sorted.
    fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.0)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn guests() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/guests/c")
}

/// One engine, and each program compiled once for all the tests.
fn compiled(program: &str) -> (wasmtime::Engine, wasmtime::Module) {
    type Cache = (wasmtime::Engine, Mutex<HashMap<String, wasmtime::Module>>);
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let (engine, modules) = CACHE.get_or_init(|| (wasi::engine().unwrap(), Mutex::default()));
    let mut modules = modules.lock().unwrap();
    let module = modules
        .entry(program.to_string())
        .or_insert_with(|| wasmtime::Module::from_file(engine, guests().join(program)).unwrap());
    (engine.clone(), module.clone())
}

/// Runs `program` with `args`, the scratch folder preopened as `/work` and
/// the guests' folder as `/guests`; returns exit code, stdout and stderr.
fn run(program: &str, scratch: &Scratch, args: &[&str]) -> (i32, String, String) {
    let (engine, module) = compiled(program);
    let (stdout, stderr) = (Capture::default(), Capture::default());
    let config = wasi::Config {
        args: std::iter::once(program)
            .chain(args.iter().copied())
            .map(String::from)
            .collect(),
        env: Vec::new(),
        stdin: Box::new(std::io::empty()),
        stdout: Box::new(stdout.clone()),
        stderr: Box::new(stderr.clone()),
        preopens: vec![
            (scratch.0.clone(), "/work".into()),
            (guests(), "/guests".into()),
        ],
    };
    let outcome = wasi::run(&engine, &module, config).expect("the program must not trap");
    (outcome.exit_code, stdout.text(), stderr.text())
}

#[test]
fn sqlite_inserts_rows_in_transactions_and_the_database_stays_sound() {
    let scratch = Scratch::new("sqlite");
    let (code, out, err) = run("sqlite_rows.wasm", &scratch, &["/work/t.db", "2000", "100"]);
    assert_eq!((code, err.as_str()), (0, ""), "stdout: {out}");
    assert_eq!(out, "rows: 2000, sum: 1999000\nintegrity: ok\n");
    // A second run opens the same file and adds to it.
    let (code, out, err) = run("sqlite_rows.wasm", &scratch, &["/work/t.db", "500", "7"]);
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(out, "rows: 2500, sum: 2123750\nintegrity: ok\n");
    // The lock directory and the rollback journal are gone: only the
    // database is left.
    assert_eq!(scratch.names(), ["t.db"]);
    let header = std::fs::read(scratch.0.join("t.db")).unwrap();
    assert!(header.starts_with(b"SQLite format 3\0"));
}

#[test]
fn sqlite_waits_for_no_one_and_refuses_a_held_lock() {
    // SQLite's dotfile lock is a directory `DB.lock`; while another process
    // holds it, a write must fail with "database is locked", not corrupt.
    let scratch = Scratch::new("sqlite_locked");
    let (code, ..) = run("sqlite_rows.wasm", &scratch, &["/work/t.db", "10", "10"]);
    assert_eq!(code, 0);
    std::fs::create_dir(scratch.0.join("t.db.lock")).unwrap();
    let (code, _, err) = run("sqlite_rows.wasm", &scratch, &["/work/t.db", "10", "10"]);
    assert_eq!(code, 1);
    assert!(err.contains("database is locked"), "{err}");
    std::fs::remove_dir(scratch.0.join("t.db.lock")).unwrap();
    let (code, out, _) = run("sqlite_rows.wasm", &scratch, &["/work/t.db", "10", "10"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("rows: 20,"), "{out}");
}

#[test]
fn lua_runs_a_script_that_writes_seeks_appends_renames_and_removes() {
    let scratch = Scratch::new("lua");
    let (code, out, err) = run("lua.wasm", &scratch, &["/guests/files.lua", "/work"]);
    assert_eq!((code, err.as_str()), (0, ""), "stdout: {out}");
    assert_eq!(out, "lua: 1000 lines, sum 500500, 8901 bytes\n");
    assert!(scratch.names().is_empty(), "{:?}", scratch.names());
    // A script's error is reported and ends the program.
    let (code, _, err) = run("lua.wasm", &scratch, &["/guests/files.lua"]);
    assert_eq!(code, 1);
    assert!(err.contains("usage: files.lua DIR"), "{err}");
}

#[test]
fn a_c_program_walks_through_every_common_file_operation() {
    let scratch = Scratch::new("fileops");
    let (code, out, err) = run("fileops.wasm", &scratch, &["/work"]);
    assert_eq!((code, err.as_str()), (0, ""), "stdout: {out}");
    assert_eq!(out.lines().filter(|l| l.starts_with("ok ")).count(), 37);
    assert!(out.ends_with("done\n"));
    assert!(scratch.names().is_empty(), "{:?}", scratch.names());
}

#[test]
fn gzip_compresses_a_file_and_gets_it_back() {
    let scratch = Scratch::new("gzip");
    // 1 MiB of text with some repetition, so it compresses.
    let text: Vec<u8> = (0..1u32 << 20)
        .map(|i| b"abcdefghij\n"[(i.wrapping_mul(2_654_435_761) >> 28) as usize % 11])
        .collect();
    std::fs::write(scratch.0.join("in.txt"), &text).unwrap();
    let (code, out, err) = run("gzip.wasm", &scratch, &["/work/in.txt", "/work/in.gz"]);
    assert_eq!((code, err.as_str()), (0, ""), "stdout: {out}");
    let packed = std::fs::metadata(scratch.0.join("in.gz")).unwrap().len();
    assert_eq!(out, format!("1048576 -> {packed} bytes\n"));
    assert!(packed < 1 << 20, "{packed}");
    let (code, _, err) = run(
        "gzip.wasm",
        &scratch,
        &["-d", "/work/in.gz", "/work/out.txt"],
    );
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(std::fs::read(scratch.0.join("out.txt")).unwrap(), text);
}

#[test]
fn many_small_appending_writes_land_in_order() {
    let scratch = Scratch::new("writes");
    std::fs::write(scratch.0.join("log"), "start\n").unwrap();
    let (code, _, err) = run("writes.wasm", &scratch, &["/work/log", "10000"]);
    assert_eq!((code, err.as_str()), (0, ""));
    let log = std::fs::read_to_string(scratch.0.join("log")).unwrap();
    let want: String = std::iter::once("start\n".to_string())
        .chain((0..10000).map(|i| format!("event {i}\n")))
        .collect();
    assert!(log == want, "the log differs");
}
