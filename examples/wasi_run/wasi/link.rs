//! The engine glue: each WASI import is a wasmtime host function that wraps
//! the guest's memory in one of the crate's memories for the length of the
//! call, and turns the outcome into an errno.

use guest_memory::{GuestMemory, LocalSliceMemory, SharedSliceMemory};
use wasmtime::{Caller, Extern, Linker, Module, Val, ValType};

use super::host::{self, Ctx, WasiResult};
use super::types::Errno;
use super::{fds, io, paths, readdir};

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
/// crate: a `LocalSliceMemory` over `Memory::data_mut` (one borrow tracker per
/// call), or a `SharedSliceMemory` over a shared memory's cells.
fn with_memory(
    caller: &mut Caller<'_, Ctx>,
    f: impl FnOnce(&mut Ctx, &dyn GuestMemory) -> WasiResult,
) -> wasmtime::Result<i32> {
    let result = match caller.get_export("memory") {
        Some(Extern::Memory(memory)) => {
            let (bytes, ctx) = memory.data_and_store_mut(&mut *caller);
            f(ctx, &*LocalSliceMemory::new(bytes))
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

/// Defines one WASI import: a host function taking wasm `i32`/`i64`
/// arguments, run with the context and the memory, returning the errno.
macro_rules! wasi {
    ($linker:ident, $name:literal, |$ctx:pat_param, $mem:pat_param $(, $arg:ident : $ty:ty)*| $body:expr) => {
        $linker.func_wrap(
            WASI,
            $name,
            |mut c: Caller<'_, Ctx>, $($arg: $ty),*| -> wasmtime::Result<i32> {
                with_memory(&mut c, |$ctx, $mem| $body)
            },
        )?;
    };
}

/// The 46 WASI preview 1 functions, all of which [`add_wasi`] defines.
pub const IMPLEMENTED: &[&str] = &[
    "args_get",
    "args_sizes_get",
    "environ_get",
    "environ_sizes_get",
    "clock_res_get",
    "clock_time_get",
    "fd_advise",
    "fd_allocate",
    "fd_close",
    "fd_datasync",
    "fd_fdstat_get",
    "fd_fdstat_set_flags",
    "fd_fdstat_set_rights",
    "fd_filestat_get",
    "fd_filestat_set_size",
    "fd_filestat_set_times",
    "fd_pread",
    "fd_prestat_get",
    "fd_prestat_dir_name",
    "fd_pwrite",
    "fd_read",
    "fd_readdir",
    "fd_renumber",
    "fd_seek",
    "fd_sync",
    "fd_tell",
    "fd_write",
    "path_create_directory",
    "path_filestat_get",
    "path_filestat_set_times",
    "path_link",
    "path_open",
    "path_readlink",
    "path_remove_directory",
    "path_rename",
    "path_symlink",
    "path_unlink_file",
    "poll_oneoff",
    "proc_exit",
    "proc_raise",
    "sched_yield",
    "random_get",
    "sock_accept",
    "sock_recv",
    "sock_send",
    "sock_shutdown",
];

/// A wasm `i64` argument as the unsigned value WASI means by it.
fn w(x: i64) -> u64 {
    x as u64
}

/// Defines every WASI preview 1 function (see [`IMPLEMENTED`]).
pub fn add_wasi(linker: &mut Linker<Ctx>) -> wasmtime::Result<()> {
    wasi!(linker, "args_get", |ctx, mem, argv: i32, buf: i32| {
        host::args_get(ctx, mem, u(argv), u(buf))
    });
    wasi!(
        linker,
        "args_sizes_get",
        |ctx, mem, argc: i32, size: i32| { host::args_sizes_get(ctx, mem, u(argc), u(size)) }
    );
    wasi!(linker, "environ_get", |ctx, mem, env: i32, buf: i32| {
        host::environ_get(ctx, mem, u(env), u(buf))
    });
    wasi!(
        linker,
        "environ_sizes_get",
        |ctx, mem, count: i32, size: i32| { host::environ_sizes_get(ctx, mem, u(count), u(size)) }
    );
    wasi!(linker, "clock_res_get", |ctx, mem, id: i32, res: i32| {
        host::clock_res_get(ctx, mem, u(id), u(res))
    });
    wasi!(
        linker,
        "clock_time_get",
        |ctx, mem, id: i32, precision: i64, time: i32| {
            host::clock_time_get(ctx, mem, u(id), w(precision), u(time))
        }
    );
    wasi!(
        linker,
        "fd_advise",
        |ctx, _, fd: i32, offset: i64, len: i64, advice: i32| {
            fds::fd_advise(ctx, u(fd), w(offset), w(len), u(advice))
        }
    );
    wasi!(
        linker,
        "fd_allocate",
        |ctx, _, fd: i32, offset: i64, len: i64| {
            fds::fd_allocate(ctx, u(fd), w(offset), w(len))
        }
    );
    wasi!(linker, "fd_close", |ctx, _, fd: i32| fds::fd_close(
        ctx,
        u(fd)
    ));
    wasi!(linker, "fd_datasync", |ctx, _, fd: i32| fds::fd_datasync(
        ctx,
        u(fd)
    ));
    wasi!(linker, "fd_fdstat_get", |ctx, mem, fd: i32, buf: i32| {
        fds::fd_fdstat_get(ctx, mem, u(fd), u(buf))
    });
    wasi!(
        linker,
        "fd_fdstat_set_flags",
        |ctx, _, fd: i32, flags: i32| { fds::fd_fdstat_set_flags(ctx, u(fd), u(flags)) }
    );
    wasi!(
        linker,
        "fd_fdstat_set_rights",
        |ctx, _, fd: i32, base: i64, inh: i64| {
            fds::fd_fdstat_set_rights(ctx, u(fd), w(base), w(inh))
        }
    );
    wasi!(linker, "fd_filestat_get", |ctx, mem, fd: i32, buf: i32| {
        fds::fd_filestat_get(ctx, mem, u(fd), u(buf))
    });
    wasi!(
        linker,
        "fd_filestat_set_size",
        |ctx, _, fd: i32, size: i64| { fds::fd_filestat_set_size(ctx, u(fd), w(size)) }
    );
    wasi!(
        linker,
        "fd_filestat_set_times",
        |ctx, _, fd: i32, a: i64, m: i64, flags: i32| {
            fds::fd_filestat_set_times(ctx, u(fd), w(a), w(m), u(flags))
        }
    );
    wasi!(linker, "fd_pread", |ctx,
                               mem,
                               fd: i32,
                               iovs: i32,
                               len: i32,
                               at: i64,
                               n: i32| {
        io::fd_pread(ctx, mem, u(fd), u(iovs), u(len), w(at), u(n))
    });
    wasi!(linker, "fd_prestat_get", |ctx, mem, fd: i32, buf: i32| {
        fds::fd_prestat_get(ctx, mem, u(fd), u(buf))
    });
    wasi!(
        linker,
        "fd_prestat_dir_name",
        |ctx, mem, fd: i32, path: i32, len: i32| {
            fds::fd_prestat_dir_name(ctx, mem, u(fd), u(path), u(len))
        }
    );
    wasi!(
        linker,
        "fd_pwrite",
        |ctx, mem, fd: i32, iovs: i32, len: i32, at: i64, n: i32| {
            io::fd_pwrite(ctx, mem, u(fd), u(iovs), u(len), w(at), u(n))
        }
    );
    wasi!(linker, "fd_read", |ctx,
                              mem,
                              fd: i32,
                              iovs: i32,
                              len: i32,
                              n: i32| {
        io::fd_read(ctx, mem, u(fd), u(iovs), u(len), u(n))
    });
    wasi!(
        linker,
        "fd_readdir",
        |ctx, mem, fd: i32, buf: i32, len: i32, cookie: i64, used: i32| {
            readdir::fd_readdir(ctx, mem, u(fd), u(buf), u(len), w(cookie), u(used))
        }
    );
    wasi!(linker, "fd_renumber", |ctx, _, from: i32, to: i32| {
        fds::fd_renumber(ctx, u(from), u(to))
    });
    wasi!(linker, "fd_seek", |ctx,
                              mem,
                              fd: i32,
                              offset: i64,
                              whence: i32,
                              new: i32| {
        fds::fd_seek(ctx, mem, u(fd), offset, u(whence), u(new))
    });
    wasi!(linker, "fd_sync", |ctx, _, fd: i32| fds::fd_sync(
        ctx,
        u(fd)
    ));
    wasi!(linker, "fd_tell", |ctx, mem, fd: i32, at: i32| {
        fds::fd_tell(ctx, mem, u(fd), u(at))
    });
    wasi!(linker, "fd_write", |ctx,
                               mem,
                               fd: i32,
                               iovs: i32,
                               len: i32,
                               n: i32| {
        io::fd_write(ctx, mem, u(fd), u(iovs), u(len), u(n))
    });
    wasi!(
        linker,
        "path_create_directory",
        |ctx, mem, fd: i32, p: i32, n: i32| {
            paths::path_create_directory(ctx, mem, u(fd), u(p), u(n))
        }
    );
    wasi!(
        linker,
        "path_filestat_get",
        |ctx, mem, fd: i32, fl: i32, p: i32, n: i32, buf: i32| {
            paths::path_filestat_get(ctx, mem, u(fd), u(fl), u(p), u(n), u(buf))
        }
    );
    wasi!(
        linker,
        "path_filestat_set_times",
        |ctx, mem, fd: i32, fl: i32, p: i32, n: i32, a: i64, m: i64, fst: i32| {
            paths::path_filestat_set_times(ctx, mem, u(fd), u(fl), u(p), u(n), w(a), w(m), u(fst))
        }
    );
    wasi!(
        linker,
        "path_link",
        |ctx, mem, fd: i32, fl: i32, p: i32, n: i32, fd2: i32, p2: i32, n2: i32| {
            paths::path_link(ctx, mem, u(fd), u(fl), u(p), u(n), u(fd2), u(p2), u(n2))
        }
    );
    wasi!(
        linker,
        "path_open",
        |ctx,
         mem,
         fd: i32,
         dirflags: i32,
         p: i32,
         n: i32,
         oflags: i32,
         base: i64,
         inheriting: i64,
         fdflags: i32,
         opened: i32| {
            paths::path_open(
                ctx,
                mem,
                u(fd),
                u(dirflags),
                u(p),
                u(n),
                u(oflags),
                w(base),
                w(inheriting),
                u(fdflags),
                u(opened),
            )
        }
    );
    wasi!(
        linker,
        "path_readlink",
        |ctx, mem, fd: i32, p: i32, n: i32, buf: i32, len: i32, used: i32| {
            paths::path_readlink(ctx, mem, u(fd), u(p), u(n), u(buf), u(len), u(used))
        }
    );
    wasi!(
        linker,
        "path_remove_directory",
        |ctx, mem, fd: i32, p: i32, n: i32| {
            paths::path_remove_directory(ctx, mem, u(fd), u(p), u(n))
        }
    );
    wasi!(
        linker,
        "path_rename",
        |ctx, mem, fd: i32, p: i32, n: i32, fd2: i32, p2: i32, n2: i32| {
            paths::path_rename(ctx, mem, u(fd), u(p), u(n), u(fd2), u(p2), u(n2))
        }
    );
    wasi!(
        linker,
        "path_symlink",
        |ctx, mem, p: i32, n: i32, fd: i32, p2: i32, n2: i32| {
            paths::path_symlink(ctx, mem, u(p), u(n), u(fd), u(p2), u(n2))
        }
    );
    wasi!(
        linker,
        "path_unlink_file",
        |ctx, mem, fd: i32, p: i32, n: i32| {
            paths::path_unlink_file(ctx, mem, u(fd), u(p), u(n))
        }
    );
    wasi!(
        linker,
        "poll_oneoff",
        |ctx, mem, subs: i32, events: i32, n: i32, nevents: i32| {
            host::poll_oneoff(ctx, mem, u(subs), u(events), u(n), u(nevents))
        }
    );
    linker.func_wrap(
        WASI,
        "proc_exit",
        |mut c: Caller<'_, Ctx>, code: i32| -> wasmtime::Result<()> {
            c.data_mut().flush();
            Err(wasmtime::Error::new(Exit(code)))
        },
    )?;
    wasi!(linker, "proc_raise", |_, _, sig: i32| host::proc_raise(u(
        sig
    )));
    wasi!(linker, "sched_yield", |_, _| host::sched_yield());
    wasi!(linker, "random_get", |ctx, mem, buf: i32, len: i32| {
        host::random_get(ctx, mem, u(buf), u(len))
    });
    wasi!(
        linker,
        "sock_accept",
        |ctx, _, fd: i32, _flags: i32, _out: i32| { host::not_a_socket(ctx, u(fd)) }
    );
    wasi!(
        linker,
        "sock_recv",
        |ctx, _, fd: i32, _iovs: i32, _len: i32, _fl: i32, _n: i32, _ofl: i32| {
            host::not_a_socket(ctx, u(fd))
        }
    );
    wasi!(
        linker,
        "sock_send",
        |ctx, _, fd: i32, _iovs: i32, _len: i32, _fl: i32, _n: i32| {
            host::not_a_socket(ctx, u(fd))
        }
    );
    wasi!(linker, "sock_shutdown", |ctx, _, fd: i32, how: i32| {
        host::sock_shutdown(ctx, u(fd), u(how))
    });
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
