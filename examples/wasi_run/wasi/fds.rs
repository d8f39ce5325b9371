//! The `fd_*` functions that are not transfers: positions, status, sizes,
//! times, hints, syncing, closing, renumbering and the preopen queries.

use std::fs::FileTimes;
use std::io::{Seek, SeekFrom};
use std::time::{Duration, SystemTime};

use cap_std::fs::{Metadata, MetadataExt};
use guest_memory::{GuestError, GuestMemory, GuestPtr};

use super::host::{Ctx, WasiResult, check_out};
use super::table::Desc;
use super::types::{
    Advice, Errno, Fdflags, Fdstat, Filestat, Filetype, Fstflags, Preopentype, Prestat, Rights,
    Whence,
};

/// A host file type as the guest's.
pub fn filetype(ty: cap_std::fs::FileType) -> Filetype {
    use cap_std::fs::FileTypeExt;
    if ty.is_dir() {
        Filetype::Directory
    } else if ty.is_file() {
        Filetype::RegularFile
    } else if ty.is_symlink() {
        Filetype::SymbolicLink
    } else if ty.is_block_device() {
        Filetype::BlockDevice
    } else if ty.is_char_device() {
        Filetype::CharacterDevice
    } else if ty.is_socket() {
        Filetype::SocketStream
    } else {
        Filetype::Unknown
    }
}

fn nanos(t: std::io::Result<cap_std::time::SystemTime>) -> u64 {
    t.ok()
        .and_then(|t| t.into_std().duration_since(SystemTime::UNIX_EPOCH).ok())
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// Host metadata as a WASI `filestat`.
pub fn filestat(m: &Metadata) -> Filestat {
    let ctim = u64::try_from(m.ctime())
        .ok()
        .and_then(|s| s.checked_mul(1_000_000_000))
        .and_then(|s| s.checked_add(u64::try_from(m.ctime_nsec()).ok()?))
        .unwrap_or(0);
    Filestat {
        dev: m.dev(),
        ino: m.ino(),
        filetype: filetype(m.file_type()),
        nlink: m.nlink(),
        size: m.len(),
        atim: nanos(m.accessed()),
        mtim: nanos(m.modified()),
        ctim,
    }
}

/// Timestamps from a `*_set_times` call: `None` leaves one unchanged.
/// Setting a time both to a value and to "now" is `EINVAL`.
pub fn times(atim: u64, mtim: u64, flags: u32) -> Result<[Option<SystemTime>; 2], Errno> {
    let flags = u16::try_from(flags).map_err(|_| Errno::Inval)?;
    let flags = Fstflags::from_bits(flags).ok_or(Errno::Inval)?;
    let pick = |set: Fstflags, now: Fstflags, value: u64| -> Result<Option<SystemTime>, Errno> {
        match (flags.contains(set), flags.contains(now)) {
            (true, true) => Err(Errno::Inval),
            (true, false) => SystemTime::UNIX_EPOCH
                .checked_add(Duration::from_nanos(value))
                .map(Some)
                .ok_or(Errno::Overflow),
            (false, true) => Ok(Some(SystemTime::now())),
            (false, false) => Ok(None),
        }
    };
    Ok([
        pick(Fstflags::ATIM, Fstflags::ATIM_NOW, atim)?,
        pick(Fstflags::MTIM, Fstflags::MTIM_NOW, mtim)?,
    ])
}

/// `fd_close(fd)`. Preopens may be closed too.
pub fn fd_close(ctx: &mut Ctx, fd: u32) -> WasiResult {
    ctx.table.remove(fd)
}

/// `fd_renumber(from, to)`.
pub fn fd_renumber(ctx: &mut Ctx, from: u32, to: u32) -> WasiResult {
    ctx.table.renumber(from, to)
}

/// Streams cannot seek (`ESPIPE`), directories are not files (`EBADF`).
fn seekable(ctx: &mut Ctx, fd: u32) -> WasiResult {
    match ctx.table.get(fd, Rights::empty())? {
        Desc::File(_) => Ok(()),
        Desc::Dir(_) => Err(Errno::Badf),
        _ => Err(Errno::Spipe),
    }
}

/// `fd_seek(fd, offset, whence, newoffset)`.
pub fn fd_seek(
    ctx: &mut Ctx,
    mem: &dyn GuestMemory,
    fd: u32,
    offset: i64,
    whence: u32,
    newoffset: u32,
) -> WasiResult {
    let whence = u8::try_from(whence).map_err(|_| Errno::Inval)?;
    let whence = Whence::try_from(whence)?;
    // Asking where one is takes only `FD_TELL`.
    let need = if whence == Whence::Cur && offset == 0 {
        Rights::FD_TELL
    } else {
        Rights::FD_SEEK
    };
    seekable(ctx, fd)?;
    let out = check_out(GuestPtr::<u64>::new(mem, newoffset))?;
    let file = &mut ctx.table.file(fd, need)?.file;
    let pos = match whence {
        Whence::Set => SeekFrom::Start(u64::try_from(offset).map_err(|_| Errno::Inval)?),
        Whence::Cur => SeekFrom::Current(offset),
        Whence::End => SeekFrom::End(offset),
    };
    let at = file.seek(pos)?;
    out.write(at)?;
    Ok(())
}

/// `fd_tell(fd, offset)`.
pub fn fd_tell(ctx: &mut Ctx, mem: &dyn GuestMemory, fd: u32, offset: u32) -> WasiResult {
    let out = check_out(GuestPtr::<u64>::new(mem, offset))?;
    seekable(ctx, fd)?;
    let at = ctx
        .table
        .file(fd, Rights::FD_TELL)?
        .file
        .stream_position()?;
    out.write(at)?;
    Ok(())
}

/// `fd_fdstat_get(fd, buf)`.
pub fn fd_fdstat_get(ctx: &mut Ctx, mem: &dyn GuestMemory, fd: u32, buf: u32) -> WasiResult {
    let out = check_out(GuestPtr::<Fdstat>::new(mem, buf))?;
    let (fs_rights_base, fs_rights_inheriting) = ctx.table.rights(fd)?;
    let (fs_filetype, fs_flags) = match ctx.table.get(fd, Rights::empty())? {
        Desc::Reader(_) => (Filetype::CharacterDevice, Fdflags::empty()),
        Desc::Writer(_) => (Filetype::CharacterDevice, Fdflags::APPEND),
        Desc::File(f) => {
            let mut flags = f.flags;
            flags.set(Fdflags::APPEND, f.append);
            (f.filetype, flags)
        }
        Desc::Dir(_) => (Filetype::Directory, Fdflags::empty()),
    };
    let stat = Fdstat {
        fs_filetype,
        fs_flags,
        fs_rights_base,
        fs_rights_inheriting,
    };
    out.write(stat)?;
    Ok(())
}

/// `fd_fdstat_set_flags(fd, flags)`: `APPEND` and `NONBLOCK` on files (a
/// regular file never blocks); the synchronous-I/O flags cannot be changed
/// (`EINVAL`), but may be passed back as they are.
pub fn fd_fdstat_set_flags(ctx: &mut Ctx, fd: u32, flags: u32) -> WasiResult {
    let flags = u16::try_from(flags).map_err(|_| Errno::Inval)?;
    let flags = Fdflags::from_bits(flags).ok_or(Errno::Inval)?;
    match ctx.table.get(fd, Rights::FD_FDSTAT_SET_FLAGS)? {
        Desc::File(f) => {
            let sync = Fdflags::DSYNC | Fdflags::RSYNC | Fdflags::SYNC;
            if flags & sync != f.flags & sync {
                return Err(Errno::Inval);
            }
            f.append = flags.contains(Fdflags::APPEND);
            f.flags = flags - Fdflags::APPEND;
            Ok(())
        }
        Desc::Dir(_) => Err(Errno::Badf),
        _ if flags
            .difference(Fdflags::APPEND | Fdflags::NONBLOCK)
            .is_empty() =>
        {
            Ok(())
        }
        _ => Err(Errno::Inval),
    }
}

/// `fd_fdstat_set_rights(fd, base, inheriting)`: rights may only be
/// dropped; asking for one the descriptor lacks is `ENOTCAPABLE`.
pub fn fd_fdstat_set_rights(ctx: &mut Ctx, fd: u32, base: u64, inheriting: u64) -> WasiResult {
    let base = Rights::from_bits(base).ok_or(Errno::Inval)?;
    let inheriting = Rights::from_bits(inheriting).ok_or(Errno::Inval)?;
    ctx.table.set_rights(fd, base, inheriting)
}

/// `fd_filestat_get(fd, buf)`.
pub fn fd_filestat_get(ctx: &mut Ctx, mem: &dyn GuestMemory, fd: u32, buf: u32) -> WasiResult {
    let out = check_out(GuestPtr::<Filestat>::new(mem, buf))?;
    let stat = match ctx.table.get(fd, Rights::FD_FILESTAT_GET)? {
        Desc::File(f) => filestat(&Metadata::from_file(&f.file)?),
        Desc::Dir(d) => filestat(&d.dir.dir_metadata()?),
        _ => Filestat {
            dev: 0,
            ino: 0,
            filetype: Filetype::CharacterDevice,
            nlink: 0,
            size: 0,
            atim: 0,
            mtim: 0,
            ctim: 0,
        },
    };
    out.write(stat)?;
    Ok(())
}

/// `fd_filestat_set_size(fd, size)`.
pub fn fd_filestat_set_size(ctx: &mut Ctx, fd: u32, size: u64) -> WasiResult {
    let f = ctx.table.file(fd, Rights::FD_FILESTAT_SET_SIZE)?;
    if !f.write {
        return Err(Errno::Badf);
    }
    f.file.set_len(size)?;
    Ok(())
}

/// `fd_filestat_set_times(fd, atim, mtim, fst_flags)`.
pub fn fd_filestat_set_times(
    ctx: &mut Ctx,
    fd: u32,
    atim: u64,
    mtim: u64,
    flags: u32,
) -> WasiResult {
    let [a, m] = times(atim, mtim, flags)?;
    let mut t = FileTimes::new();
    if let Some(a) = a {
        t = t.set_accessed(a);
    }
    if let Some(m) = m {
        t = t.set_modified(m);
    }
    match ctx.table.get(fd, Rights::FD_FILESTAT_SET_TIMES)? {
        Desc::File(f) => f.file.set_times(t)?,
        Desc::Dir(d) => {
            use cap_fs_ext::{DirExt, SystemTimeSpec};
            let spec = |t: Option<SystemTime>| {
                t.map(|t| SystemTimeSpec::Absolute(cap_std::time::SystemTime::from_std(t)))
            };
            d.dir.set_times(".", spec(a), spec(m))?;
        }
        _ => return Err(Errno::Badf),
    }
    Ok(())
}

/// `fd_advise(fd, offset, len, advice)`: checked, then taken as the hint it
/// is (nothing to do).
pub fn fd_advise(ctx: &mut Ctx, fd: u32, offset: u64, len: u64, advice: u32) -> WasiResult {
    let advice = u8::try_from(advice).map_err(|_| Errno::Inval)?;
    Advice::try_from(advice)?;
    offset.checked_add(len).ok_or(Errno::Inval)?;
    ctx.table.file(fd, Rights::FD_ADVISE)?;
    Ok(())
}

/// `fd_allocate(fd, offset, len)`: not offered (wasmtime's preview 1 answers
/// `ENOTSUP` too); a bad descriptor is still `EBADF`.
pub fn fd_allocate(ctx: &mut Ctx, fd: u32, _offset: u64, _len: u64) -> WasiResult {
    ctx.table.file(fd, Rights::FD_ALLOCATE)?;
    Err(Errno::Notsup)
}

/// `fd_sync(fd)`.
pub fn fd_sync(ctx: &mut Ctx, fd: u32) -> WasiResult {
    match ctx.table.get(fd, Rights::FD_SYNC)? {
        Desc::File(f) => f.file.sync_all()?,
        Desc::Dir(_) => {}
        _ => return Err(Errno::Inval),
    }
    Ok(())
}

/// `fd_datasync(fd)`.
pub fn fd_datasync(ctx: &mut Ctx, fd: u32) -> WasiResult {
    match ctx.table.get(fd, Rights::FD_DATASYNC)? {
        Desc::File(f) => f.file.sync_data()?,
        Desc::Dir(_) => {}
        _ => return Err(Errno::Inval),
    }
    Ok(())
}

fn preopen_name(ctx: &mut Ctx, fd: u32) -> Result<String, Errno> {
    match ctx.table.get(fd, Rights::empty())? {
        Desc::Dir(d) => d.preopen.clone().ok_or(Errno::Badf),
        _ => Err(Errno::Badf),
    }
}

/// `fd_prestat_get(fd, buf)`.
pub fn fd_prestat_get(ctx: &mut Ctx, mem: &dyn GuestMemory, fd: u32, buf: u32) -> WasiResult {
    let name = preopen_name(ctx, fd)?;
    let stat = Prestat {
        tag: Preopentype::Dir,
        pr_name_len: u32::try_from(name.len()).map_err(GuestError::from)?,
    };
    GuestPtr::<Prestat>::new(mem, buf).write(stat)?;
    Ok(())
}

/// `fd_prestat_dir_name(fd, path, path_len)`: the name, no NUL; a buffer
/// shorter than the name is `ENAMETOOLONG`.
pub fn fd_prestat_dir_name(
    ctx: &mut Ctx,
    mem: &dyn GuestMemory,
    fd: u32,
    path: u32,
    len: u32,
) -> WasiResult {
    let name = preopen_name(ctx, fd)?;
    let n = u32::try_from(name.len()).map_err(GuestError::from)?;
    if n > len {
        return Err(Errno::Nametoolong);
    }
    GuestPtr::<[u8]>::new(mem, (path, n)).copy_from_slice(name.as_bytes())?;
    Ok(())
}
