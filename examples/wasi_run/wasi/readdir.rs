//! `fd_readdir`: directory entries packed into the guest's buffer.

use guest_memory::{GuestError, GuestLayout as _, GuestMemory, GuestPtr};

use super::fds::filetype;
use super::host::{Ctx, WasiResult, check_out};
use super::types::{Dirent, Errno, Filetype, Rights};

/// One entry: its inode, type and name.
struct Entry {
    ino: u64,
    ty: Filetype,
    name: String,
}

/// The directory's entries, `.` and `..` first, in the host's order. A name
/// that is not UTF-8 is `EILSEQ`, as wasmtime answers.
fn entries(dir: &cap_std::fs::Dir) -> Result<Vec<Entry>, Errno> {
    use cap_std::fs::MetadataExt;
    let ino = dir.dir_metadata()?.ino();
    let mut out = vec![
        Entry {
            ino,
            ty: Filetype::Directory,
            name: ".".into(),
        },
        Entry {
            ino,
            ty: Filetype::Directory,
            name: "..".into(),
        },
    ];
    for entry in dir.entries()? {
        let entry = entry?;
        out.push(Entry {
            ino: entry.metadata()?.ino(),
            ty: filetype(entry.file_type()?),
            name: entry.file_name().into_string().map_err(|_| Errno::Ilseq)?,
        });
    }
    Ok(out)
}

/// `fd_readdir(fd, buf, buf_len, cookie, bufused)`: entries from number
/// `cookie` on, each a `dirent` (its `d_next` the cookie of the entry after
/// it) and the name, no NUL. As the spec says, the last entry is cut off
/// when the buffer is full, so `bufused == buf_len` means "call again".
pub fn fd_readdir(
    ctx: &mut Ctx,
    mem: &dyn GuestMemory,
    fd: u32,
    buf: u32,
    buf_len: u32,
    cookie: u64,
    bufused: u32,
) -> WasiResult {
    let buf = GuestPtr::<[u8]>::new(mem, (buf, buf_len));
    buf.region()?;
    let bufused = check_out(GuestPtr::<u32>::new(mem, bufused))?;
    let entries = entries(
        &ctx.table
            .dir(fd, Rights::FD_READDIR)
            .map_err(|e| match e {
                Errno::Notdir => Errno::Badf,
                e => e,
            })?
            .dir,
    )?;
    let start = usize::try_from(cookie).unwrap_or(usize::MAX);
    let mut bytes = Vec::new();
    for (i, entry) in entries.iter().enumerate().skip(start) {
        if bytes.len() >= buf_len as usize {
            break;
        }
        let header = Dirent {
            d_next: i as u64 + 1,
            d_ino: entry.ino,
            d_namlen: u32::try_from(entry.name.len()).map_err(GuestError::from)?,
            d_type: entry.ty,
        };
        bytes.extend_from_slice(&dirent_bytes(header)?);
        bytes.extend_from_slice(entry.name.as_bytes());
    }
    bytes.truncate(buf_len as usize);
    let used = u32::try_from(bytes.len()).map_err(GuestError::from)?;
    buf.get_range(0..used)
        .ok_or(Errno::Fault)?
        .copy_from_slice(&bytes)?;
    bufused.write(used)?;
    Ok(())
}

/// A `dirent`'s guest bytes, laid out by the crate (a scratch memory of
/// exactly its size), so the record may be cut anywhere.
fn dirent_bytes(d: Dirent) -> Result<Vec<u8>, Errno> {
    let mut scratch = [0u8; Dirent::GUEST_SIZE as usize];
    let mem = guest_memory::LocalSliceMemory::new(&mut scratch);
    GuestPtr::<Dirent>::new(&*mem, 0).write(d)?;
    drop(mem);
    Ok(scratch.to_vec())
}
