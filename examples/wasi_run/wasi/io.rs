//! Scatter/gather: `fd_read`, `fd_write`, `fd_pread`, `fd_pwrite`.
//!
//! On a non-shared memory every buffer an iovec array names is borrowed at
//! once (shared for writes, mut for reads, so overlapping read buffers are
//! refused with `EFAULT` rather than aliased) and handed to one vectored
//! system call: full `readv`/`writev` semantics. A shared memory lends no
//! views; there the bytes go through one bounded host buffer, [`CHUNK`] bytes
//! at a time, so a guest naming the same large buffer many times makes the
//! host transfer more but never hold more.

use std::io::{IoSlice, IoSliceMut, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;

use guest_memory::{GuestError, GuestMemory, GuestPtr, GuestType};

use super::host::{Ctx, WasiResult, check_out};
use super::table::{Desc, OpenFile};
use super::types::{Ciovec, Errno, Iovec, Rights};

/// The most a shared-memory transfer holds in host memory at once.
pub const CHUNK: u32 = 64 * 1024;

/// The most iovecs one call may name, as POSIX's `IOV_MAX` on Linux: more
/// are `EINVAL`, as `readv` and `writev` answer. A guest-chosen count
/// otherwise decides how much the host allocates (24 host bytes an iovec,
/// and as much again for the buffers): 33 million iovecs fit in 256 MiB.
pub const IOV_MAX: u32 = 1024;

/// The buffers an iovec (or ciovec) array names, in order, each checked for
/// bounds; more than [`IOV_MAX`] of them, or lengths adding up past
/// `u32::MAX`, are `EINVAL`, as `readv` and `writev` answer.
fn buffers<'a, V: GuestType<'a>>(
    mem: &'a dyn GuestMemory,
    iovs: u32,
    len: u32,
    parts: fn(&V) -> (GuestPtr<'a, u8>, u32),
) -> Result<Vec<GuestPtr<'a, [u8]>>, Errno> {
    let list = GuestPtr::<[V]>::new(mem, (iovs, len));
    list.region()?;
    if len > IOV_MAX {
        return Err(Errno::Inval);
    }
    let list = list.to_vec()?;
    let mut total = 0u32;
    let mut bufs = Vec::with_capacity(list.len());
    for v in &list {
        let (buf, len) = parts(v);
        total = total.checked_add(len).ok_or(Errno::Inval)?;
        let buf = buf.as_array(len);
        buf.region()?;
        bufs.push(buf);
    }
    Ok(bufs)
}

/// Every buffer split into pieces of at most [`CHUNK`] bytes, in order.
fn chunks<'a, 'b>(bufs: &'b [GuestPtr<'a, [u8]>]) -> impl Iterator<Item = GuestPtr<'a, [u8]>> + 'b {
    bufs.iter().flat_map(|buf| {
        (0..buf.len().div_ceil(CHUNK)).filter_map(move |i| {
            let start = i * CHUNK;
            buf.get_range(start..buf.len().min(start + CHUNK))
        })
    })
}

fn to_u32(n: usize) -> Result<u32, Errno> {
    Ok(u32::try_from(n).map_err(GuestError::from)?)
}

/// Where a transfer happens: the descriptor's position, or an offset.
#[derive(Clone, Copy)]
enum At {
    Position,
    Offset(u64),
}

impl At {
    /// The rights this takes besides reading or writing.
    fn rights(self) -> Rights {
        match self {
            At::Position => Rights::empty(),
            At::Offset(_) => Rights::FD_SEEK,
        }
    }
}

/// Writes `data` to `desc` at `at`; returns how much was written.
fn write_to(desc: &mut Desc, at: At, data: &[IoSlice<'_>]) -> Result<usize, Errno> {
    match (desc, at) {
        (Desc::Writer(w), At::Position) => {
            let mut n = 0;
            for buf in data {
                w.write_all(buf)?;
                n += buf.len();
            }
            Ok(n)
        }
        (Desc::File(f), at) if f.write => match at {
            At::Position => {
                if f.append {
                    f.file.seek(SeekFrom::End(0))?;
                }
                Ok(f.file.write_vectored(data)?)
            }
            At::Offset(mut offset) => {
                let mut n = 0;
                for buf in data {
                    let k = f.file.write_at(buf, offset)?;
                    n += k;
                    offset += k as u64;
                    if k < buf.len() {
                        break;
                    }
                }
                Ok(n)
            }
        },
        (Desc::Writer(_), At::Offset(_)) => Err(Errno::Spipe),
        _ => Err(Errno::Badf),
    }
}

/// Reads from `desc` at `at` into `data`; returns how much was read.
fn read_from(desc: &mut Desc, at: At, data: &mut [IoSliceMut<'_>]) -> Result<usize, Errno> {
    match (desc, at) {
        (Desc::Reader(r), At::Position) => {
            let mut n = 0;
            for buf in data {
                let k = r.read(buf)?;
                n += k;
                if k < buf.len() {
                    break;
                }
            }
            Ok(n)
        }
        (Desc::File(OpenFile { file, read, .. }), at) if *read => match at {
            At::Position => Ok(file.read_vectored(data)?),
            At::Offset(mut offset) => {
                let mut n = 0;
                for buf in data {
                    let k = file.read_at(buf, offset)?;
                    n += k;
                    offset += k as u64;
                    if k < buf.len() {
                        break;
                    }
                }
                Ok(n)
            }
        },
        (Desc::Reader(_), At::Offset(_)) => Err(Errno::Spipe),
        _ => Err(Errno::Badf),
    }
}

fn gather(
    ctx: &mut Ctx,
    mem: &dyn GuestMemory,
    fd: u32,
    iovs: u32,
    len: u32,
    at: At,
    nwritten: u32,
) -> WasiResult {
    let desc = ctx.table.get(fd, Rights::FD_WRITE | at.rights())?;
    let bufs = buffers(mem, iovs, len, |v: &Ciovec<'_>| (v.buf, v.buf_len))?;
    let nwritten = check_out(GuestPtr::<u32>::new(mem, nwritten))?;
    let total = if mem.is_shared_memory() {
        let mut total = 0;
        let mut at = at;
        for chunk in chunks(&bufs) {
            let bytes = chunk.to_vec()?;
            let n = write_to(desc, at, &[IoSlice::new(&bytes)])?;
            total += n;
            if let At::Offset(o) = &mut at {
                *o += n as u64;
            }
            if n < bytes.len() {
                break;
            }
        }
        total
    } else {
        let mut views = Vec::with_capacity(bufs.len());
        for buf in &bufs {
            views.push(buf.as_cow()?);
        }
        let slices: Vec<IoSlice<'_>> = views.iter().map(|v| IoSlice::new(v)).collect();
        write_to(desc, at, &slices)?
    };
    nwritten.write(to_u32(total)?)?;
    Ok(())
}

fn scatter(
    ctx: &mut Ctx,
    mem: &dyn GuestMemory,
    fd: u32,
    iovs: u32,
    len: u32,
    at: At,
    nread: u32,
) -> WasiResult {
    let desc = ctx.table.get(fd, Rights::FD_READ | at.rights())?;
    let bufs = buffers(mem, iovs, len, |v: &Iovec<'_>| (v.buf, v.buf_len))?;
    let nread = check_out(GuestPtr::<u32>::new(mem, nread))?;
    let total = if mem.is_shared_memory() {
        let mut total = 0;
        let mut at = at;
        let mut scratch = Vec::new();
        for chunk in chunks(&bufs) {
            scratch.resize(chunk.len() as usize, 0);
            let n = read_from(desc, at, &mut [IoSliceMut::new(&mut scratch)])?;
            chunk
                .get_range(0..to_u32(n)?)
                .ok_or(Errno::Fault)?
                .copy_from_slice(&scratch[..n])?;
            total += n;
            if let At::Offset(o) = &mut at {
                *o += n as u64;
            }
            if n < scratch.len() {
                break;
            }
        }
        total
    } else {
        let mut views = Vec::with_capacity(bufs.len());
        for buf in &bufs {
            views.push(buf.as_slice_mut()?.ok_or(Errno::Fault)?);
        }
        let mut slices: Vec<IoSliceMut<'_>> =
            views.iter_mut().map(|v| IoSliceMut::new(v)).collect();
        read_from(desc, at, &mut slices)?
    };
    nread.write(to_u32(total)?)?;
    Ok(())
}

/// `fd_write(fd, iovs, iovs_len, nwritten)`.
pub fn fd_write(
    ctx: &mut Ctx,
    mem: &dyn GuestMemory,
    fd: u32,
    iovs: u32,
    len: u32,
    nwritten: u32,
) -> WasiResult {
    gather(ctx, mem, fd, iovs, len, At::Position, nwritten)
}

/// `fd_pwrite(fd, iovs, iovs_len, offset, nwritten)`: the position stays.
pub fn fd_pwrite(
    ctx: &mut Ctx,
    mem: &dyn GuestMemory,
    fd: u32,
    iovs: u32,
    len: u32,
    offset: u64,
    nwritten: u32,
) -> WasiResult {
    offset_ok(offset)?;
    gather(ctx, mem, fd, iovs, len, At::Offset(offset), nwritten)
}

/// `fd_read(fd, iovs, iovs_len, nread)`.
pub fn fd_read(
    ctx: &mut Ctx,
    mem: &dyn GuestMemory,
    fd: u32,
    iovs: u32,
    len: u32,
    nread: u32,
) -> WasiResult {
    scatter(ctx, mem, fd, iovs, len, At::Position, nread)
}

/// `fd_pread(fd, iovs, iovs_len, offset, nread)`: the position stays.
pub fn fd_pread(
    ctx: &mut Ctx,
    mem: &dyn GuestMemory,
    fd: u32,
    iovs: u32,
    len: u32,
    offset: u64,
    nread: u32,
) -> WasiResult {
    offset_ok(offset)?;
    scatter(ctx, mem, fd, iovs, len, At::Offset(offset), nread)
}

/// Offsets are `u64` in WASI but signed on the host.
fn offset_ok(offset: u64) -> WasiResult {
    i64::try_from(offset).map(drop).map_err(|_| Errno::Inval)
}
