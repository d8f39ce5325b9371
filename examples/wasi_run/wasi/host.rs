//! The context, and the WASI functions that touch no file: arguments,
//! environment, clocks, random bytes, `poll_oneoff`, signals, sockets. Like
//! the rest they are written against `&dyn GuestMemory`: every guest pointer
//! goes through the crate, and no offset arithmetic is done by hand.

use std::fs::File;
use std::io::Read;
use std::time::{Duration, Instant, SystemTime};

use guest_memory::{GuestError, GuestMemory, GuestPtr};

use super::table::Table;
use super::types::{
    Clockid, Errno, Event, EventFdReadwrite, Eventrwflags, Eventtype, Rights, Sdflags, Signal,
    Subclockflags, Subscription, SubscriptionClock, SubscriptionFdReadwrite,
};

/// What a WASI function returns: success, or the errno to hand back.
pub type WasiResult = Result<(), Errno>;

/// The program's view of the world: arguments, environment, descriptors.
pub struct Ctx {
    args: Vec<String>,
    env: Vec<String>,
    /// Open file descriptors: stdio, preopens, and what the guest opened.
    pub table: Table,
    start: Instant,
    random: Option<File>,
}

impl Ctx {
    /// A context with these arguments (`args[0]` is the program name),
    /// environment and descriptors.
    pub fn new(args: Vec<String>, env: Vec<(String, String)>, table: Table) -> Self {
        Ctx {
            args,
            env: env.into_iter().map(|(k, v)| format!("{k}={v}")).collect(),
            table,
            start: Instant::now(),
            random: None,
        }
    }

    /// Flushes every stream the guest writes.
    pub fn flush(&mut self) {
        self.table.flush();
    }
}

/// Checks that `ptr` can hold a `T` before anything else is done, so a bad
/// result pointer is reported before any side effect.
pub fn check_out<'a, T: guest_memory::GuestType<'a>>(
    ptr: GuestPtr<'a, T>,
) -> Result<GuestPtr<'a, T>, Errno> {
    ptr.as_array(1).region()?;
    Ok(ptr)
}

/// The sizes `*_sizes_get` report for a list of strings, NUL-terminated.
fn sizes(strings: &[String]) -> Result<(u32, u32), Errno> {
    let count = u32::try_from(strings.len()).map_err(GuestError::from)?;
    let bytes: usize = strings.iter().map(|s| s.len() + 1).sum();
    Ok((count, u32::try_from(bytes).map_err(GuestError::from)?))
}

/// Writes `strings` as `args_get` / `environ_get` do: the NUL-terminated
/// bytes to `buf`, a pointer to each into `ptrs`. Both regions are checked
/// before either is written, and each is written in one step.
fn write_strings(mem: &dyn GuestMemory, strings: &[String], ptrs: u32, buf: u32) -> WasiResult {
    let (count, len) = sizes(strings)?;
    let ptrs = GuestPtr::<[GuestPtr<u8>]>::new(mem, (ptrs, count));
    let buf = GuestPtr::<[u8]>::new(mem, (buf, len));
    ptrs.region()?;
    buf.region()?;
    let mut bytes = Vec::with_capacity(len as usize);
    let mut starts = Vec::with_capacity(strings.len());
    for s in strings {
        let at = u32::try_from(bytes.len()).map_err(GuestError::from)?;
        starts.push(buf.get(at).ok_or(Errno::Fault)?);
        bytes.extend_from_slice(s.as_bytes());
        bytes.push(0);
    }
    buf.copy_from_slice(&bytes)?;
    ptrs.copy_from_slice(&starts)?;
    Ok(())
}

fn write_sizes(mem: &dyn GuestMemory, strings: &[String], count: u32, size: u32) -> WasiResult {
    let (n, len) = sizes(strings)?;
    let count = check_out(GuestPtr::<u32>::new(mem, count))?;
    let size = check_out(GuestPtr::<u32>::new(mem, size))?;
    count.write(n)?;
    size.write(len)?;
    Ok(())
}

/// `args_get(argv, argv_buf)`.
pub fn args_get(ctx: &mut Ctx, mem: &dyn GuestMemory, argv: u32, argv_buf: u32) -> WasiResult {
    write_strings(mem, &ctx.args, argv, argv_buf)
}

/// `args_sizes_get(argc, argv_buf_size)`.
pub fn args_sizes_get(
    ctx: &mut Ctx,
    mem: &dyn GuestMemory,
    argc: u32,
    buf_size: u32,
) -> WasiResult {
    write_sizes(mem, &ctx.args, argc, buf_size)
}

/// `environ_get(environ, environ_buf)`.
pub fn environ_get(ctx: &mut Ctx, mem: &dyn GuestMemory, environ: u32, buf: u32) -> WasiResult {
    write_strings(mem, &ctx.env, environ, buf)
}

/// `environ_sizes_get(count, buf_size)`.
pub fn environ_sizes_get(
    ctx: &mut Ctx,
    mem: &dyn GuestMemory,
    count: u32,
    buf_size: u32,
) -> WasiResult {
    write_sizes(mem, &ctx.env, count, buf_size)
}

/// `random_get(buf, buf_len)`, from the host's `/dev/urandom`.
pub fn random_get(ctx: &mut Ctx, mem: &dyn GuestMemory, buf: u32, len: u32) -> WasiResult {
    let target = GuestPtr::<[u8]>::new(mem, (buf, len));
    target.region()?;
    if ctx.random.is_none() {
        ctx.random = Some(File::open("/dev/urandom").map_err(|_| Errno::Io)?);
    }
    let source = ctx.random.as_mut().ok_or(Errno::Io)?;
    match target.as_slice_mut()? {
        Some(mut view) => source.read_exact(&mut view).map_err(|_| Errno::Io)?,
        None => {
            let mut bytes = vec![0; len as usize];
            source.read_exact(&mut bytes).map_err(|_| Errno::Io)?;
            target.copy_from_slice(&bytes)?;
        }
    }
    Ok(())
}

fn clock_id(id: u32) -> Result<Clockid, Errno> {
    match Clockid::try_from(id)? {
        id @ (Clockid::Realtime | Clockid::Monotonic) => Ok(id),
        // CPU-time clocks are not offered.
        _ => Err(Errno::Inval),
    }
}

fn now(ctx: &Ctx, id: Clockid) -> Result<u64, Errno> {
    let since = match id {
        Clockid::Realtime => SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_err(|_| Errno::Io)?,
        _ => ctx.start.elapsed(),
    };
    u64::try_from(since.as_nanos()).map_err(|_| Errno::Overflow)
}

/// `clock_res_get(id, resolution)`: nanoseconds.
pub fn clock_res_get(
    _ctx: &mut Ctx,
    mem: &dyn GuestMemory,
    id: u32,
    resolution: u32,
) -> WasiResult {
    clock_id(id)?;
    GuestPtr::<u64>::new(mem, resolution).write(1)?;
    Ok(())
}

/// `clock_time_get(id, precision, time)`.
pub fn clock_time_get(
    ctx: &mut Ctx,
    mem: &dyn GuestMemory,
    id: u32,
    _precision: u64,
    time: u32,
) -> WasiResult {
    let id = clock_id(id)?;
    let time = check_out(GuestPtr::<u64>::new(mem, time))?;
    time.write(now(ctx, id)?)?;
    Ok(())
}

/// `sock_shutdown(fd, how)`: no descriptor here is a socket.
pub fn sock_shutdown(ctx: &mut Ctx, fd: u32, how: u32) -> WasiResult {
    ctx.table.get(fd, Rights::empty())?;
    let how = u8::try_from(how).map_err(|_| Errno::Inval)?;
    Sdflags::from_bits(how).ok_or(Errno::Inval)?;
    Err(Errno::Notsock)
}

/// `sock_accept`, `sock_recv`, `sock_send`: no descriptor here is a socket,
/// so a live one is `ENOTSOCK` and a closed one `EBADF`.
pub fn not_a_socket(ctx: &mut Ctx, fd: u32) -> WasiResult {
    ctx.table.get(fd, Rights::empty())?;
    Err(Errno::Notsock)
}

/// `proc_raise(sig)`: signals are not delivered; a valid one is `ENOSYS`
/// (wasmtime's preview 1 answers the same), an invalid one `EINVAL`.
pub fn proc_raise(sig: u32) -> WasiResult {
    let sig = u8::try_from(sig).map_err(|_| Errno::Inval)?;
    Signal::try_from(sig)?;
    Err(Errno::Nosys)
}

/// `sched_yield()`.
pub fn sched_yield() -> WasiResult {
    std::thread::yield_now();
    Ok(())
}

/// The most subscriptions one `poll_oneoff` may name: more are `EINVAL` (as
/// `poll` answers more descriptors than a process may open). The host holds
/// about 64 bytes for each, so this bounds a call to a few MiB whatever the
/// guest's memory holds.
pub const MAX_SUBSCRIPTIONS: u32 = 1 << 16;

/// `poll_oneoff(in, out, nsubscriptions, nevents)`: fd subscriptions on
/// open descriptors are ready at once (files and stdio never block here); otherwise sleeps until the earliest clock
/// subscription is due and reports every due one.
pub fn poll_oneoff(
    ctx: &mut Ctx,
    mem: &dyn GuestMemory,
    subs: u32,
    events: u32,
    n: u32,
    nevents: u32,
) -> WasiResult {
    if n == 0 {
        return Err(Errno::Inval);
    }
    let subs = GuestPtr::<[Subscription]>::new(mem, (subs, n));
    let events = GuestPtr::<[Event]>::new(mem, (events, n));
    subs.region()?;
    events.region()?;
    if n > MAX_SUBSCRIPTIONS {
        return Err(Errno::Inval);
    }
    let nevents = check_out(GuestPtr::<u32>::new(mem, nevents))?;

    enum Wait {
        Ready(Event),
        Until(u64, Clockid, u64), // userdata, clock, deadline
    }
    let mut waits = Vec::new();
    for sub in subs.iter() {
        let sub = sub?;
        let Subscription { userdata, tag, .. } = sub.read()?;
        let payload = sub.fields()?.u;
        let ready = |error, type_| {
            Wait::Ready(Event {
                userdata,
                error,
                type_,
                fd_readwrite: EventFdReadwrite::default(),
            })
        };
        waits.push(match tag {
            Eventtype::Clock => {
                let SubscriptionClock {
                    id, timeout, flags, ..
                } = payload.cast::<SubscriptionClock>().read()?;
                let id = clock_id(u32::from(id))?;
                let deadline = if flags.contains(Subclockflags::SUBSCRIPTION_CLOCK_ABSTIME) {
                    timeout
                } else {
                    now(ctx, id)?.saturating_add(timeout)
                };
                Wait::Until(userdata, id, deadline)
            }
            Eventtype::FdRead | Eventtype::FdWrite => {
                let SubscriptionFdReadwrite { file_descriptor } =
                    payload.cast::<SubscriptionFdReadwrite>().read()?;
                match ctx.table.get(file_descriptor, Rights::empty()) {
                    Ok(_) => Wait::Ready(Event {
                        userdata,
                        error: Errno::Success,
                        type_: tag,
                        fd_readwrite: EventFdReadwrite {
                            nbytes: 1,
                            flags: Eventrwflags::empty(),
                        },
                    }),
                    Err(e) => ready(e, tag),
                }
            }
        });
    }

    let mut out: Vec<Event> = waits
        .iter()
        .filter_map(|w| match w {
            Wait::Ready(e) => Some(*e),
            Wait::Until(..) => None,
        })
        .collect();
    if out.is_empty() {
        // Sleep until the earliest deadline, then report every due clock.
        let mut earliest: Option<Duration> = None;
        for w in &waits {
            if let Wait::Until(_, id, deadline) = w {
                let left = Duration::from_nanos(deadline.saturating_sub(now(ctx, *id)?));
                earliest = Some(earliest.map_or(left, |e| e.min(left)));
            }
        }
        if let Some(left) = earliest {
            ctx.flush();
            std::thread::sleep(left);
        }
        for w in &waits {
            if let Wait::Until(userdata, id, deadline) = w
                && now(ctx, *id)? >= *deadline
            {
                out.push(Event {
                    userdata: *userdata,
                    error: Errno::Success,
                    type_: Eventtype::Clock,
                    fd_readwrite: EventFdReadwrite::default(),
                });
            }
        }
    }
    let count = u32::try_from(out.len()).map_err(GuestError::from)?;
    events
        .get_range(0..count)
        .ok_or(Errno::Fault)?
        .copy_from_slice(&out)?;
    nevents.write(count)?;
    Ok(())
}
