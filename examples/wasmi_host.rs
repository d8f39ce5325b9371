//! The same plugin host on wasmi: the host functions of `examples/plugin/`,
//! unchanged, linked into wasmi and run against the same WAT guest (wasmi
//! has no shared memories, so only the ordinary one).
//!
//! Run with `cargo run --example wasmi_host`.

mod plugin;

use guest_memory::{GuestError, GuestMemory, LocalSliceMemory};
use plugin::{Errno, State};
use wasmi::{Caller, Engine, Extern, Linker, Module, Store};

/// The glue: from wasmi's `Caller` to a `&dyn GuestMemory`, then the
/// engine-independent host function, then its errno. (To trap instead of
/// returning an errno, return `Err(wasmi::Error::new(plugin::chain(&e)))`:
/// a message needs no `HostError` impl.)
fn with_memory(
    caller: &mut Caller<'_, State>,
    func: &'static str,
    body: impl FnOnce(&mut State, &dyn GuestMemory) -> Result<(), GuestError>,
) -> Result<i32, wasmi::Error> {
    let Some(Extern::Memory(memory)) = caller.get_export("memory") else {
        return Err(wasmi::Error::new(
            "the guest exports no memory named `memory`",
        ));
    };
    let (bytes, state) = memory.data_and_store_mut(&mut *caller);
    let mem = LocalSliceMemory::new(bytes);
    let errno: Errno = plugin::call(state, func, |state| body(state, &*mem));
    Ok(errno.0)
}

fn link(linker: &mut Linker<State>) -> Result<(), wasmi::Error> {
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

fn main() -> Result<(), wasmi::Error> {
    let engine = Engine::default();
    let guest = plugin::GUEST.replace("MEMORY", r#"(memory (export "memory") 1)"#);
    let module = Module::new(&engine, guest)?;
    let mut store = Store::new(&engine, State::default());
    let mut linker = Linker::new(&engine);
    link(&mut linker)?;
    let instance = linker.instantiate_and_start(&mut store, &module)?;
    instance
        .get_typed_func::<(), ()>(&store, "run")?
        .call(&mut store, ())?;

    println!("guest on wasmi:");
    for line in &store.data().log {
        println!("  logged: {line}");
    }
    for failure in &store.data().failures {
        println!("  refused: {failure}");
    }
    let memory = instance
        .get_memory(&store, "memory")
        .ok_or_else(|| wasmi::Error::new("no memory"))?;
    let (bytes, state) = memory.data_and_store_mut(&mut store);
    plugin::check(state, &*LocalSliceMemory::new(bytes))
        .map_err(|e| wasmi::Error::new(e.to_string()))?;
    println!("  every call got the errno it should, and refused calls wrote nothing");
    Ok(())
}
