//! The engine glue: each WASI import is a wasmtime host function that wraps
//! the guest's memory in one of the crate's memories for the length of the
//! call, and turns the outcome into an errno.

use guest_memory::{GuestMemory, SharedSliceMemory, SliceMemory};
use wasmtime::{Caller, Extern, Linker, Module, Val, ValType};

use super::host::{self, Ctx, WasiResult};
use super::types::Errno;

/// The module WASI preview 1 imports come from.
pub const WASI: &str = "wasi_snapshot_preview1";

/// How `proc_exit` unwinds the guest: an error carrying the exit code.
#[derive(Debug)]
pub struct Exit(pub i32);

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "guest exited with code {}", self.0)
    }
}

impl std::error::Error for Exit {}

/// Runs `f` with the context and the guest's exported memory wrapped in the
/// crate: a `SliceMemory` over `Memory::data_mut` (one borrow tracker per
/// call), or a `SharedSliceMemory` over a shared memory's cells.
fn with_memory(
    caller: &mut Caller<'_, Ctx>,
    f: impl FnOnce(&mut Ctx, &dyn GuestMemory) -> WasiResult,
) -> wasmtime::Result<i32> {
    let result = match caller.get_export("memory") {
        Some(Extern::Memory(memory)) => {
            let (bytes, ctx) = memory.data_and_store_mut(&mut *caller);
            f(ctx, &SliceMemory::new(bytes))
        }
        Some(Extern::SharedMemory(memory)) => {
            // SAFETY: wasmtime hands out a shared memory's bytes as cells
            // because other guest threads may access them at any time; the
            // crate accesses them only atomically, and wasm code's own
            // accesses are the engine's to make, outside Rust's model.
            let mem = unsafe { SharedSliceMemory::new(memory.data()) };
            f(caller.data_mut(), &mem)
        }
        _ => wasmtime::bail!("the guest exports no memory named `memory`"),
    };
    Ok(errno(result))
}

fn errno(result: WasiResult) -> i32 {
    i32::from(u16::from(result.err().unwrap_or(Errno::Success)))
}

/// A wasm `i32` argument as the unsigned value WASI means by it.
fn u(x: i32) -> u32 {
    x as u32
}

/// The WASI functions [`add_wasi`] defines.
pub const IMPLEMENTED: &[&str] = &[
    "args_get",
    "args_sizes_get",
    "environ_get",
    "environ_sizes_get",
    "fd_write",
    "fd_read",
    "fd_close",
    "fd_seek",
    "fd_fdstat_get",
    "fd_prestat_get",
    "fd_prestat_dir_name",
    "proc_exit",
    "random_get",
    "clock_res_get",
    "clock_time_get",
    "sock_shutdown",
    "poll_oneoff",
    "sched_yield",
];

/// Defines every WASI function this host implements (see [`IMPLEMENTED`]).
pub fn add_wasi(linker: &mut Linker<Ctx>) -> wasmtime::Result<()> {
    linker.func_wrap(
        WASI,
        "args_get",
        |mut c: Caller<'_, Ctx>, argv: i32, buf: i32| {
            with_memory(&mut c, |ctx, mem| host::args_get(ctx, mem, u(argv), u(buf)))
        },
    )?;
    linker.func_wrap(
        WASI,
        "args_sizes_get",
        |mut c: Caller<'_, Ctx>, argc: i32, size: i32| {
            with_memory(&mut c, |ctx, mem| {
                host::args_sizes_get(ctx, mem, u(argc), u(size))
            })
        },
    )?;
    linker.func_wrap(
        WASI,
        "environ_get",
        |mut c: Caller<'_, Ctx>, env: i32, buf: i32| {
            with_memory(&mut c, |ctx, mem| {
                host::environ_get(ctx, mem, u(env), u(buf))
            })
        },
    )?;
    linker.func_wrap(
        WASI,
        "environ_sizes_get",
        |mut c: Caller<'_, Ctx>, count: i32, size: i32| {
            with_memory(&mut c, |ctx, mem| {
                host::environ_sizes_get(ctx, mem, u(count), u(size))
            })
        },
    )?;
    linker.func_wrap(
        WASI,
        "fd_write",
        |mut c: Caller<'_, Ctx>, fd: i32, iovs: i32, len: i32, n: i32| {
            with_memory(&mut c, |ctx, mem| {
                host::fd_write(ctx, mem, u(fd), u(iovs), u(len), u(n))
            })
        },
    )?;
    linker.func_wrap(
        WASI,
        "fd_read",
        |mut c: Caller<'_, Ctx>, fd: i32, iovs: i32, len: i32, n: i32| {
            with_memory(&mut c, |ctx, mem| {
                host::fd_read(ctx, mem, u(fd), u(iovs), u(len), u(n))
            })
        },
    )?;
    linker.func_wrap(WASI, "fd_close", |mut c: Caller<'_, Ctx>, fd: i32| {
        with_memory(&mut c, |ctx, _| host::fd_close(ctx, u(fd)))
    })?;
    linker.func_wrap(
        WASI,
        "fd_seek",
        |mut c: Caller<'_, Ctx>, fd: i32, offset: i64, whence: i32, new: i32| {
            with_memory(&mut c, |ctx, mem| {
                host::fd_seek(ctx, mem, u(fd), offset, u(whence), u(new))
            })
        },
    )?;
    linker.func_wrap(
        WASI,
        "fd_fdstat_get",
        |mut c: Caller<'_, Ctx>, fd: i32, buf: i32| {
            with_memory(&mut c, |ctx, mem| {
                host::fd_fdstat_get(ctx, mem, u(fd), u(buf))
            })
        },
    )?;
    linker.func_wrap(
        WASI,
        "fd_prestat_get",
        |mut c: Caller<'_, Ctx>, fd: i32, _buf: i32| {
            with_memory(&mut c, |ctx, _| host::fd_prestat_get(ctx, u(fd)))
        },
    )?;
    linker.func_wrap(
        WASI,
        "fd_prestat_dir_name",
        |mut c: Caller<'_, Ctx>, fd: i32, _path: i32, _len: i32| {
            with_memory(&mut c, |ctx, _| host::fd_prestat_dir_name(ctx, u(fd)))
        },
    )?;
    linker.func_wrap(
        WASI,
        "proc_exit",
        |mut c: Caller<'_, Ctx>, code: i32| -> wasmtime::Result<()> {
            c.data_mut().flush();
            Err(wasmtime::Error::new(Exit(code)))
        },
    )?;
    linker.func_wrap(
        WASI,
        "random_get",
        |mut c: Caller<'_, Ctx>, buf: i32, len: i32| {
            with_memory(&mut c, |ctx, mem| {
                host::random_get(ctx, mem, u(buf), u(len))
            })
        },
    )?;
    linker.func_wrap(
        WASI,
        "clock_res_get",
        |mut c: Caller<'_, Ctx>, id: i32, res: i32| {
            with_memory(&mut c, |ctx, mem| {
                host::clock_res_get(ctx, mem, u(id), u(res))
            })
        },
    )?;
    linker.func_wrap(
        WASI,
        "clock_time_get",
        |mut c: Caller<'_, Ctx>, id: i32, precision: i64, time: i32| {
            with_memory(&mut c, |ctx, mem| {
                host::clock_time_get(ctx, mem, u(id), precision as u64, u(time))
            })
        },
    )?;
    linker.func_wrap(
        WASI,
        "sock_shutdown",
        |mut c: Caller<'_, Ctx>, fd: i32, how: i32| {
            with_memory(&mut c, |ctx, _| host::sock_shutdown(ctx, u(fd), u(how)))
        },
    )?;
    linker.func_wrap(
        WASI,
        "poll_oneoff",
        |mut c: Caller<'_, Ctx>, subs: i32, events: i32, n: i32, nevents: i32| {
            with_memory(&mut c, |ctx, mem| {
                host::poll_oneoff(ctx, mem, u(subs), u(events), u(n), u(nevents))
            })
        },
    )?;
    linker.func_wrap(WASI, "sched_yield", |_: Caller<'_, Ctx>| {
        errno(host::sched_yield())
    })?;
    Ok(())
}

/// Links every function import the linker does not define yet to a stub:
/// one returning `ENOSYS` where the import returns a single `i32` (every
/// WASI function does), one that traps otherwise.
pub fn stub_unknown_imports(linker: &mut Linker<Ctx>, module: &Module) -> wasmtime::Result<()> {
    for import in module.imports() {
        let Some(ty) = import.ty().func().cloned() else {
            continue;
        };
        let (module_name, name) = (import.module().to_string(), import.name().to_string());
        if module_name == WASI && IMPLEMENTED.contains(&name.as_str()) {
            continue;
        }
        let returns_errno = matches!(ty.results().collect::<Vec<_>>()[..], [ValType::I32]);
        let what = format!("{module_name}::{name}");
        linker.func_new(&module_name, &name, ty, move |_, _, results| {
            if returns_errno {
                results[0] = Val::I32(i32::from(u16::from(Errno::Nosys)));
                Ok(())
            } else {
                wasmtime::bail!("called {what}, which this host does not implement")
            }
        })?;
    }
    Ok(())
}
