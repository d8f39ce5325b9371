//! A small WASI preview 1 host on wasmtime, built on `guest-memory`.
//!
//! `types` declares the WASI records with the crate's macros, `host` holds
//! the functions (every guest pointer through the crate), `link` connects
//! them to wasmtime. Only stdio exists; there is no filesystem.

pub mod host;
pub mod link;
pub mod types;

use std::io::{Read, Write};

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

/// An engine with the proposals a WASI command may use.
pub fn engine() -> wasmtime::Result<Engine> {
    let mut config = EngineConfig::new();
    config.wasm_threads(true);
    config.shared_memory(true);
    Engine::new(&config)
}

/// Instantiates `module` with the WASI host and runs its `_start`.
///
/// # Errors
///
/// Linking or instantiation failures, and traps (anything but `proc_exit`).
pub fn run(engine: &Engine, module: &Module, config: Config) -> wasmtime::Result<Outcome> {
    let mut linker = Linker::new(engine);
    link::add_wasi(&mut linker)?;
    link::stub_unknown_imports(&mut linker, module)?;
    let ctx = Ctx::new(
        config.args,
        config.env,
        config.stdin,
        config.stdout,
        config.stderr,
    );
    let mut store = Store::new(engine, ctx);
    let instance = linker.instantiate(&mut store, module)?;
    let memory_before = snapshot(&instance, &mut store);
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
    let memory_after = snapshot(&instance, &mut store);
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
