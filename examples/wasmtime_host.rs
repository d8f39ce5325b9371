//! A plugin host on wasmtime: the host functions of `examples/plugin/`,
//! linked into wasmtime, run against a WAT guest twice — once over an
//! ordinary memory, once over a shared one — with the same code.
//!
//! Run with `cargo run --example wasmtime_host`.

mod plugin;

use guest_memory::{GuestError, GuestMemory, LocalSliceMemory, SharedSliceMemory};
use plugin::{Errno, State};
use wasmtime::{Caller, Config, Engine, Extern, Linker, MemoryType, Module, SharedMemory, Store};

/// The glue: from wasmtime's `Caller` to a `&dyn GuestMemory`, then the
/// engine-independent host function, then its errno.
fn with_memory(
    caller: &mut Caller<'_, State>,
    func: &'static str,
    body: impl FnOnce(&mut State, &dyn GuestMemory) -> Result<(), GuestError>,
) -> wasmtime::Result<i32> {
    let errno: Errno = match caller.get_export("memory") {
        Some(Extern::Memory(memory)) => {
            // The guest's bytes and the host state, both borrowed from the
            // store for this one call.
            let (bytes, state) = memory.data_and_store_mut(&mut *caller);
            let mem = LocalSliceMemory::new(bytes);
            plugin::call(state, func, |state| body(state, &*mem))
        }
        Some(Extern::SharedMemory(memory)) => {
            // SAFETY: wasmtime hands out a shared memory's bytes as cells
            // because other guest threads may access them at any time; the
            // crate accesses them only atomically, and wasm code's own
            // accesses are the engine's to make, outside Rust's model.
            let mem = unsafe { SharedSliceMemory::new(memory.data()) };
            plugin::call(caller.data_mut(), func, |state| body(state, &mem))
        }
        _ => wasmtime::bail!("the guest exports no memory named `memory`"),
    };
    Ok(errno.0)
}

fn link(linker: &mut Linker<State>) -> wasmtime::Result<()> {
    linker.func_wrap(
        "host",
        "log",
        |mut c: Caller<'_, State>, msg: u32, len: u32| {
            with_memory(&mut c, "log", |state, mem| {
                plugin::log(state, mem, msg, len)
            })
        },
    )?;
    linker.func_wrap(
        "host",
        "point",
        |mut c: Caller<'_, State>, id: u32, out: u32| {
            with_memory(&mut c, "point", |_, mem| plugin::point(mem, id, out))
        },
    )?;
    linker.func_wrap(
        "host",
        "fill",
        |mut c: Caller<'_, State>, iovs: u32, n: u32, nfilled: u32| {
            with_memory(&mut c, "fill", |_, mem| plugin::fill(mem, iovs, n, nfilled))
        },
    )?;
    Ok(())
}

fn run(shared: bool) -> wasmtime::Result<()> {
    let mut config = Config::new();
    config.wasm_threads(true).shared_memory(true);
    let engine = Engine::new(&config)?;
    let memory_line = if shared {
        r#"(import "env" "memory" (memory 1 1 shared)) (export "memory" (memory 0))"#
    } else {
        r#"(memory (export "memory") 1)"#
    };
    let module = Module::new(&engine, plugin::GUEST.replace("MEMORY", memory_line))?;
    let mut store = Store::new(&engine, State::default());
    let mut linker = Linker::new(&engine);
    link(&mut linker)?;
    if shared {
        let memory = SharedMemory::new(&engine, MemoryType::shared(1, 1))?;
        linker.define(&store, "env", "memory", memory)?;
    }
    let instance = linker.instantiate(&mut store, &module)?;
    instance
        .get_typed_func::<(), ()>(&mut store, "run")?
        .call(&mut store, ())?;

    let kind = if shared { "a shared" } else { "an ordinary" };
    println!("guest over {kind} memory:");
    for line in &store.data().log {
        println!("  logged: {line}");
    }
    for failure in &store.data().failures {
        println!("  refused: {failure}");
    }
    match instance.get_export(&mut store, "memory") {
        Some(Extern::Memory(memory)) => {
            let (bytes, state) = memory.data_and_store_mut(&mut store);
            plugin::check(state, &*LocalSliceMemory::new(bytes))?;
        }
        Some(Extern::SharedMemory(memory)) => {
            // SAFETY: as in `with_memory`; no guest code runs meanwhile.
            let mem = unsafe { SharedSliceMemory::new(memory.data()) };
            plugin::check(store.data(), &mem)?;
        }
        _ => wasmtime::bail!("no memory"),
    }
    println!("  every call got the errno it should, and refused calls wrote nothing");
    Ok(())
}

fn main() -> wasmtime::Result<()> {
    run(false)?;
    run(true)?;
    Ok(())
}
