//! The `path_*` functions. Every path is a `GuestPtr<str>` (not UTF-8 is
//! `EILSEQ`) resolved by cap-std relative to a directory descriptor's
//! `cap_std::fs::Dir`, which refuses any path that would leave it: `..`
//! past its root, absolute paths, and symlinks (absolute or climbing) on the
//! way all fail with `EPERM`, as wasmtime answers.

use cap_fs_ext::{DirExt, FollowSymlinks, OpenOptionsFollowExt, OpenOptionsMaybeDirExt};
use cap_std::fs::{Dir, OpenOptions, OpenOptionsExt as _};
use guest_memory::{GuestError, GuestMemory, GuestPtr};

use super::fds::{filestat, filetype, times};
use super::host::{Ctx, WasiResult, check_out};
use super::table::{DIR_RIGHTS, Desc, FILE_RIGHTS, OpenDir, OpenFile};
use super::types::{Errno, Fdflags, Filestat, Lookupflags, Oflags, Rights};

/// The guest's path string, copied out.
fn path(mem: &dyn GuestMemory, ptr: u32, len: u32) -> Result<String, Errno> {
    Ok(GuestPtr::<str>::new(mem, (ptr, len)).to_string()?)
}

fn lookup(flags: u32) -> Result<FollowSymlinks, Errno> {
    let flags = Lookupflags::from_bits(flags).ok_or(Errno::Inval)?;
    Ok(FollowSymlinks::follow(
        flags.contains(Lookupflags::SYMLINK_FOLLOW),
    ))
}

fn small<T: TryFrom<u32>>(x: u32) -> Result<T, Errno> {
    T::try_from(x).map_err(|_| Errno::Inval)
}

/// `path_open(fd, dirflags, path, path_len, oflags, rights_base,
/// rights_inheriting, fdflags, opened_fd)`.
#[allow(clippy::too_many_arguments)]
pub fn path_open(
    ctx: &mut Ctx,
    mem: &dyn GuestMemory,
    fd: u32,
    dirflags: u32,
    path_ptr: u32,
    path_len: u32,
    oflags: u32,
    base: u64,
    inheriting: u64,
    fdflags: u32,
    opened: u32,
) -> WasiResult {
    let follow = lookup(dirflags)?;
    let oflags = Oflags::from_bits(small(oflags)?).ok_or(Errno::Inval)?;
    let fdflags = Fdflags::from_bits(small(fdflags)?).ok_or(Errno::Inval)?;
    let opened = check_out(GuestPtr::<u32>::new(mem, opened))?;
    let path = path(mem, path_ptr, path_len)?;
    let mut need = Rights::PATH_OPEN;
    if oflags.contains(Oflags::CREAT) {
        need |= Rights::PATH_CREATE_FILE;
    }
    if oflags.contains(Oflags::TRUNC) {
        need |= Rights::PATH_FILESTAT_SET_SIZE;
    }
    // What the new descriptor may have: what it asks for, of what the
    // directory passes on.
    let (_, passed_on) = ctx.table.rights(fd)?;
    let base = Rights::from_bits_truncate(base) & passed_on;
    let inheriting = Rights::from_bits_truncate(inheriting) & passed_on;
    let dir = &ctx.table.dir(fd, need)?.dir;
    let write =
        base.intersects(Rights::FD_WRITE | Rights::FD_ALLOCATE | Rights::FD_FILESTAT_SET_SIZE);

    let desc = if oflags.contains(Oflags::DIRECTORY) {
        if oflags.intersects(Oflags::CREAT | Oflags::TRUNC) {
            return Err(Errno::Inval);
        }
        if write {
            return Err(Errno::Isdir);
        }
        let d = match follow {
            FollowSymlinks::Yes => dir.open_dir(&path)?,
            FollowSymlinks::No => dir.open_dir_nofollow(&path)?,
        };
        Desc::Dir(OpenDir {
            dir: d,
            preopen: None,
        })
    } else {
        let read = base.intersects(Rights::FD_READ | Rights::FD_READDIR);
        let creates = oflags.intersects(Oflags::CREAT | Oflags::TRUNC);
        let mut options = OpenOptions::new();
        // The host handle must be writable to create or truncate; the guest
        // may still write only if it asked for a write right.
        options
            .read(read || !(write || creates))
            .write(write || creates)
            .truncate(oflags.contains(Oflags::TRUNC))
            .follow(follow)
            .maybe_dir(!(write || creates));
        if oflags.contains(Oflags::CREAT) {
            if oflags.contains(Oflags::EXCL) {
                options.create_new(true);
            } else {
                options.create(true);
            }
        }
        let mut custom = 0;
        if fdflags.contains(Fdflags::DSYNC) {
            custom |= libc::O_DSYNC;
        }
        if fdflags.intersects(Fdflags::SYNC | Fdflags::RSYNC) {
            custom |= libc::O_SYNC;
        }
        options.custom_flags(custom);
        let file = dir.open_with(&path, &options)?;
        let meta = file.metadata()?;
        if meta.is_dir() {
            if write {
                return Err(Errno::Isdir);
            }
            Desc::Dir(OpenDir {
                dir: Dir::from_std_file(file.into_std()),
                preopen: None,
            })
        } else {
            Desc::File(OpenFile {
                file: file.into_std(),
                read: read || !write,
                write,
                append: fdflags.contains(Fdflags::APPEND),
                flags: fdflags - Fdflags::APPEND,
                filetype: filetype(meta.file_type()),
            })
        }
    };
    let kind_rights = match desc {
        Desc::Dir(_) => DIR_RIGHTS,
        _ => FILE_RIGHTS,
    };
    let new = ctx.table.insert(desc, base & kind_rights, inheriting)?;
    if let Err(e) = opened.write(new) {
        let _ = ctx.table.remove(new);
        return Err(e.into());
    }
    Ok(())
}

/// Reads the guest's path and applies `op` to it in directory `fd`, which
/// must hold the right `need`.
fn in_dir(
    ctx: &mut Ctx,
    mem: &dyn GuestMemory,
    (fd, p, n): (u32, u32, u32),
    need: Rights,
    op: fn(&Dir, String) -> std::io::Result<()>,
) -> WasiResult {
    let path = path(mem, p, n)?;
    op(&ctx.table.dir(fd, need)?.dir, path)?;
    Ok(())
}

/// `path_create_directory(fd, path, path_len)`.
pub fn path_create_directory(
    ctx: &mut Ctx,
    mem: &dyn GuestMemory,
    fd: u32,
    p: u32,
    n: u32,
) -> WasiResult {
    in_dir(
        ctx,
        mem,
        (fd, p, n),
        Rights::PATH_CREATE_DIRECTORY,
        |d, p| d.create_dir(p),
    )
}

/// `path_remove_directory(fd, path, path_len)`.
pub fn path_remove_directory(
    ctx: &mut Ctx,
    mem: &dyn GuestMemory,
    fd: u32,
    p: u32,
    n: u32,
) -> WasiResult {
    in_dir(
        ctx,
        mem,
        (fd, p, n),
        Rights::PATH_REMOVE_DIRECTORY,
        |d, p| d.remove_dir(p),
    )
}

/// `path_unlink_file(fd, path, path_len)`: files and symlinks, never
/// directories.
pub fn path_unlink_file(
    ctx: &mut Ctx,
    mem: &dyn GuestMemory,
    fd: u32,
    p: u32,
    n: u32,
) -> WasiResult {
    in_dir(ctx, mem, (fd, p, n), Rights::PATH_UNLINK_FILE, |d, p| {
        d.remove_file_or_symlink(p)
    })
}

/// `path_rename(fd, old_path, old_len, new_fd, new_path, new_len)`.
#[allow(clippy::too_many_arguments)]
pub fn path_rename(
    ctx: &mut Ctx,
    mem: &dyn GuestMemory,
    fd: u32,
    old_ptr: u32,
    old_len: u32,
    new_fd: u32,
    new_ptr: u32,
    new_len: u32,
) -> WasiResult {
    let old = path(mem, old_ptr, old_len)?;
    let new = path(mem, new_ptr, new_len)?;
    let from = &ctx.table.dir(fd, Rights::PATH_RENAME_SOURCE)?.dir;
    let to = &ctx.table.dir(new_fd, Rights::PATH_RENAME_TARGET)?.dir;
    from.rename(old, to, new)?;
    Ok(())
}

/// `path_link(old_fd, old_flags, old_path, old_len, new_fd, new_path,
/// new_len)`: a hard link; following a symlink at `old_path` is not offered
/// (`EINVAL`, as wasmtime).
#[allow(clippy::too_many_arguments)]
pub fn path_link(
    ctx: &mut Ctx,
    mem: &dyn GuestMemory,
    fd: u32,
    old_flags: u32,
    old_ptr: u32,
    old_len: u32,
    new_fd: u32,
    new_ptr: u32,
    new_len: u32,
) -> WasiResult {
    if lookup(old_flags)? == FollowSymlinks::Yes {
        return Err(Errno::Inval);
    }
    let old = path(mem, old_ptr, old_len)?;
    let new = path(mem, new_ptr, new_len)?;
    let from = &ctx.table.dir(fd, Rights::PATH_LINK_SOURCE)?.dir;
    let to = &ctx.table.dir(new_fd, Rights::PATH_LINK_TARGET)?.dir;
    from.hard_link(old, to, new)?;
    Ok(())
}

/// `path_symlink(old_path, old_len, fd, new_path, new_len)`: a link whose
/// target is absolute is refused (`EPERM`): it could only point outside.
pub fn path_symlink(
    ctx: &mut Ctx,
    mem: &dyn GuestMemory,
    old_ptr: u32,
    old_len: u32,
    fd: u32,
    new_ptr: u32,
    new_len: u32,
) -> WasiResult {
    let target = path(mem, old_ptr, old_len)?;
    let link = path(mem, new_ptr, new_len)?;
    let dir = &ctx.table.dir(fd, Rights::PATH_SYMLINK)?.dir;
    if target.starts_with('/') {
        return Err(Errno::Perm);
    }
    dir.symlink(target, link)?;
    Ok(())
}

/// `path_readlink(fd, path, path_len, buf, buf_len, bufused)`: the target,
/// cut to the buffer if longer, no NUL.
#[allow(clippy::too_many_arguments)]
pub fn path_readlink(
    ctx: &mut Ctx,
    mem: &dyn GuestMemory,
    fd: u32,
    p: u32,
    n: u32,
    buf: u32,
    buf_len: u32,
    bufused: u32,
) -> WasiResult {
    let path = path(mem, p, n)?;
    let bufused = check_out(GuestPtr::<u32>::new(mem, bufused))?;
    let buf = GuestPtr::<[u8]>::new(mem, (buf, buf_len));
    buf.region()?;
    let target = ctx
        .table
        .dir(fd, Rights::PATH_READLINK)?
        .dir
        .read_link_contents(path)?;
    let target = target
        .into_os_string()
        .into_string()
        .map_err(|_| Errno::Ilseq)?;
    let bytes = &target.as_bytes()[..target.len().min(buf_len as usize)];
    let used = u32::try_from(bytes.len()).map_err(GuestError::from)?;
    buf.get_range(0..used)
        .ok_or(Errno::Fault)?
        .copy_from_slice(bytes)?;
    bufused.write(used)?;
    Ok(())
}

/// `path_filestat_get(fd, flags, path, path_len, buf)`.
pub fn path_filestat_get(
    ctx: &mut Ctx,
    mem: &dyn GuestMemory,
    fd: u32,
    flags: u32,
    p: u32,
    n: u32,
    buf: u32,
) -> WasiResult {
    let follow = lookup(flags)?;
    let path = path(mem, p, n)?;
    let out = check_out(GuestPtr::<Filestat>::new(mem, buf))?;
    let dir = &ctx.table.dir(fd, Rights::PATH_FILESTAT_GET)?.dir;
    let meta = match follow {
        FollowSymlinks::Yes => dir.metadata(path)?,
        FollowSymlinks::No => dir.symlink_metadata(path)?,
    };
    out.write(filestat(&meta))?;
    Ok(())
}

/// `path_filestat_set_times(fd, flags, path, path_len, atim, mtim,
/// fst_flags)`.
#[allow(clippy::too_many_arguments)]
pub fn path_filestat_set_times(
    ctx: &mut Ctx,
    mem: &dyn GuestMemory,
    fd: u32,
    flags: u32,
    p: u32,
    n: u32,
    atim: u64,
    mtim: u64,
    fst_flags: u32,
) -> WasiResult {
    use cap_fs_ext::SystemTimeSpec;
    let follow = lookup(flags)?;
    let [a, m] = times(atim, mtim, fst_flags)?;
    let path = path(mem, p, n)?;
    let dir = &ctx.table.dir(fd, Rights::PATH_FILESTAT_SET_TIMES)?.dir;
    let spec = |t: Option<std::time::SystemTime>| {
        t.map(|t| SystemTimeSpec::Absolute(cap_std::time::SystemTime::from_std(t)))
    };
    match follow {
        FollowSymlinks::Yes => dir.set_times(path, spec(a), spec(m))?,
        FollowSymlinks::No => dir.set_symlink_times(path, spec(a), spec(m))?,
    }
    Ok(())
}
