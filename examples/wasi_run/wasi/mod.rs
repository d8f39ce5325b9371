//! A WASI preview 1 host on wasmtime, built on `guest-memory`: all 46
//! functions, with files and directories sandboxed by cap-std.
//!
//! `types` declares the WASI records with the crate's macros; `table` holds
//! the descriptors; the functions are in `host` (no files), `io` (transfers),
//! `fds`, `paths` and `readdir`, every guest pointer through the crate;
//! `errno` maps host errors; `link` connects it all to wasmtime.

pub mod errno;
pub mod fds;
pub mod host;
pub mod io;
pub mod link;
pub mod paths;
pub mod readdir;
pub mod table;
pub mod types;

use std::io::{Read, Write};
use std::path::PathBuf;

use cap_std::ambient_authority;
use cap_std::fs::Dir;

use wasmtime::{Config as EngineConfig, Engine, Extern, Linker, Module, Store};

pub use host::Ctx;

/// What the guest sees.
pub struct Config {
    /// `argv`, program name first.
    pub args: Vec<String>,
    /// The environment, exactly.
    pub env: Vec<(String, String)>,
    /// Standard input.
    pub stdin: Box<dyn Read + Send>,
    /// Standard output.
    pub stdout: Box<dyn Write + Send>,
    /// Standard error.
    pub stderr: Box<dyn Write + Send>,
    /// Host folders to preopen, each with the name the guest sees it by,
    /// as fds 3, 4, ... in order.
    pub preopens: Vec<(PathBuf, String)>,
}

/// How a run ended, with the guest's memory before `_start` and after.
pub struct Outcome {
    /// 0 when `_start` returned, `n` after `proc_exit(n)`.
    pub exit_code: i32,
    /// The exported memory right after instantiation.
    pub memory_before: Vec<u8>,
    /// The exported memory when the guest finished.
    pub memory_after: Vec<u8>,
}

/// An engine with the proposals a WASI command may use: threads and shared
/// memory, and exception handling (current toolchains lower `setjmp` /
/// `longjmp` to it). Functions compile in parallel.
pub fn engine() -> wasmtime::Result<Engine> {
    let mut config = EngineConfig::new();
    config.wasm_threads(true);
    config.shared_memory(true);
    config.wasm_exceptions(true);
    config.parallel_compilation(true);
    Engine::new(&config)
}

/// The descriptor table a run starts with: stdin, stdout and stderr, then
/// each preopen.
///
/// # Errors
///
/// A preopen that cannot be opened as a directory.
pub fn table(config: Config) -> wasmtime::Result<table::Table> {
    use table::{DIR_RIGHTS, Desc, FILE_RIGHTS, OpenDir, READER_RIGHTS, WRITER_RIGHTS};
    use types::Rights;
    let mut t = table::Table::default();
    let none = Rights::empty();
    t.insert(Desc::Reader(config.stdin), READER_RIGHTS, none)
        .ok();
    t.insert(Desc::Writer(config.stdout), WRITER_RIGHTS, none)
        .ok();
    t.insert(Desc::Writer(config.stderr), WRITER_RIGHTS, none)
        .ok();
    for (host, guest) in config.preopens {
        let dir = Dir::open_ambient_dir(&host, ambient_authority())
            .map_err(|e| wasmtime::format_err!("cannot preopen {}: {e}", host.display()))?;
        let desc = Desc::Dir(OpenDir {
            dir,
            preopen: Some(guest),
        });
        t.insert(desc, DIR_RIGHTS, DIR_RIGHTS | FILE_RIGHTS).ok();
    }
    Ok(t)
}

/// Instantiates `module` with the WASI host and runs its `_start`, keeping
/// copies of the guest's memory before and after (for tests).
///
/// # Errors
///
/// Linking or instantiation failures, and traps (anything but `proc_exit`).
pub fn run(engine: &Engine, module: &Module, config: Config) -> wasmtime::Result<Outcome> {
    execute(engine, module, config, true)
}

/// [`run`] without the memory copies; returns the exit code.
///
/// # Errors
///
/// As for [`run`].
pub fn run_program(engine: &Engine, module: &Module, config: Config) -> wasmtime::Result<i32> {
    Ok(execute(engine, module, config, false)?.exit_code)
}

fn execute(
    engine: &Engine,
    module: &Module,
    mut config: Config,
    snapshots: bool,
) -> wasmtime::Result<Outcome> {
    let mut linker = Linker::new(engine);
    link::add_wasi(&mut linker)?;
    link::stub_unknown_imports(&mut linker, module)?;
    let (args, env) = (
        std::mem::take(&mut config.args),
        std::mem::take(&mut config.env),
    );
    let ctx = Ctx::new(args, env, table(config)?);
    let mut store = Store::new(engine, ctx);
    let instance = linker.instantiate(&mut store, module)?;
    let take = |store: &mut Store<Ctx>| {
        if snapshots {
            snapshot(&instance, store)
        } else {
            Vec::new()
        }
    };
    let memory_before = take(&mut store);
    let start = instance.get_typed_func::<(), ()>(&mut store, "_start")?;
    let result = start.call(&mut store, ());
    store.data_mut().flush();
    let exit_code = match result {
        Ok(()) => 0,
        Err(e) => match e.downcast_ref::<link::Exit>() {
            Some(link::Exit(code)) => *code,
            None => return Err(e),
        },
    };
    let memory_after = take(&mut store);
    Ok(Outcome {
        exit_code,
        memory_before,
        memory_after,
    })
}

fn snapshot(instance: &wasmtime::Instance, store: &mut Store<Ctx>) -> Vec<u8> {
    match instance.get_export(&mut *store, "memory") {
        Some(Extern::Memory(m)) => m.data(&*store).to_vec(),
        Some(Extern::SharedMemory(m)) => {
            let cells = m.data();
            let mut bytes = vec![0; cells.len()];
            // SAFETY: the guest has finished running and no other thread has
            // the memory, so nothing writes the cells while they are copied.
            unsafe {
                std::ptr::copy_nonoverlapping(
                    cells.as_ptr().cast::<u8>(),
                    bytes.as_mut_ptr(),
                    bytes.len(),
                )
            };
            bytes
        }
        _ => Vec::new(),
    }
}
