//! The guest's file descriptors: stdio, open files and directories, each
//! directory a `cap_std::fs::Dir` so no path opened through it can leave it.

use std::fs::File;
use std::io::{Read, Write};

use cap_std::fs::Dir;

use super::types::{Errno, Fdflags, Filetype, Rights};

/// What a file descriptor refers to.
pub enum Desc {
    /// A stream the guest reads (stdin).
    Reader(Box<dyn Read + Send>),
    /// A stream the guest writes (stdout, stderr).
    Writer(Box<dyn Write + Send>),
    /// An open regular file (or other non-directory).
    File(OpenFile),
    /// An open directory, the root of every path resolved through it.
    Dir(OpenDir),
}

/// An open file and what it was opened for.
pub struct OpenFile {
    /// The host file.
    pub file: File,
    /// Opened for reading.
    pub read: bool,
    /// Opened for writing.
    pub write: bool,
    /// Writes go to the end (`FDFLAGS_APPEND`), whatever the position.
    pub append: bool,
    /// The flags `fd_fdstat_get` reports besides `APPEND`.
    pub flags: Fdflags,
    /// The file's type, as the guest sees it.
    pub filetype: Filetype,
}

/// An open directory.
pub struct OpenDir {
    /// The sandboxed handle every path is resolved from.
    pub dir: Dir,
    /// The name the guest knows a preopened directory by.
    pub preopen: Option<String>,
}

/// Rights a regular file descriptor reports.
pub const FILE_RIGHTS: Rights = Rights::FD_DATASYNC
    .union(Rights::FD_READ)
    .union(Rights::FD_SEEK)
    .union(Rights::FD_FDSTAT_SET_FLAGS)
    .union(Rights::FD_SYNC)
    .union(Rights::FD_TELL)
    .union(Rights::FD_WRITE)
    .union(Rights::FD_ADVISE)
    .union(Rights::FD_ALLOCATE)
    .union(Rights::FD_FILESTAT_GET)
    .union(Rights::FD_FILESTAT_SET_SIZE)
    .union(Rights::FD_FILESTAT_SET_TIMES)
    .union(Rights::POLL_FD_READWRITE);

/// Rights a directory descriptor reports (no seeking, reading or writing).
pub const DIR_RIGHTS: Rights = Rights::FD_FDSTAT_SET_FLAGS
    .union(Rights::FD_SYNC)
    .union(Rights::FD_DATASYNC)
    .union(Rights::PATH_CREATE_DIRECTORY)
    .union(Rights::PATH_CREATE_FILE)
    .union(Rights::PATH_LINK_SOURCE)
    .union(Rights::PATH_LINK_TARGET)
    .union(Rights::PATH_OPEN)
    .union(Rights::FD_READDIR)
    .union(Rights::PATH_READLINK)
    .union(Rights::PATH_RENAME_SOURCE)
    .union(Rights::PATH_RENAME_TARGET)
    .union(Rights::PATH_FILESTAT_GET)
    .union(Rights::PATH_FILESTAT_SET_SIZE)
    .union(Rights::PATH_FILESTAT_SET_TIMES)
    .union(Rights::FD_FILESTAT_GET)
    .union(Rights::FD_FILESTAT_SET_TIMES)
    .union(Rights::PATH_SYMLINK)
    .union(Rights::PATH_REMOVE_DIRECTORY)
    .union(Rights::PATH_UNLINK_FILE);

/// Rights of stdin.
pub const READER_RIGHTS: Rights = Rights::FD_READ
    .union(Rights::FD_FDSTAT_SET_FLAGS)
    .union(Rights::FD_FILESTAT_GET)
    .union(Rights::POLL_FD_READWRITE);

/// Rights of stdout and stderr.
pub const WRITER_RIGHTS: Rights = Rights::FD_WRITE
    .union(Rights::FD_FDSTAT_SET_FLAGS)
    .union(Rights::FD_FILESTAT_GET)
    .union(Rights::POLL_FD_READWRITE);

/// A descriptor with its rights: `base` for what it may do itself,
/// `inheriting` for what descriptors opened through it may get.
struct Slot {
    desc: Desc,
    base: Rights,
    inheriting: Rights,
}

/// The descriptor table: slot `n` is fd `n`; a new descriptor takes the
/// lowest free number.
///
/// Rights are kept as preview 1 defines them: every function checks the
/// rights it needs (`ENOTCAPABLE` when one is missing), `fd_fdstat_set_rights`
/// may only drop rights, and a descriptor opened through a directory gets
/// the rights it asks for that the directory may pass on.
#[derive(Default)]
pub struct Table {
    slots: Vec<Option<Slot>>,
}

impl Table {
    fn slot(&self, fd: u32) -> Result<&Slot, Errno> {
        usize::try_from(fd)
            .ok()
            .and_then(|i| self.slots.get(i))
            .and_then(Option::as_ref)
            .ok_or(Errno::Badf)
    }

    fn slot_mut(&mut self, fd: u32) -> Result<&mut Slot, Errno> {
        usize::try_from(fd)
            .ok()
            .and_then(|i| self.slots.get_mut(i))
            .and_then(Option::as_mut)
            .ok_or(Errno::Badf)
    }

    /// The descriptor `fd`, which must hold the rights `need`: `EBADF` if
    /// it is not open, `ENOTCAPABLE` if a right is missing.
    pub fn get(&mut self, fd: u32, need: Rights) -> Result<&mut Desc, Errno> {
        let slot = self.slot_mut(fd)?;
        if !slot.base.contains(need) {
            return Err(Errno::Notcapable);
        }
        Ok(&mut slot.desc)
    }

    /// The open file `fd` with the rights `need`: `EBADF` for anything
    /// else, directories included.
    pub fn file(&mut self, fd: u32, need: Rights) -> Result<&mut OpenFile, Errno> {
        let slot = self.slot_mut(fd)?;
        let Desc::File(f) = &mut slot.desc else {
            return Err(Errno::Badf);
        };
        if !slot.base.contains(need) {
            return Err(Errno::Notcapable);
        }
        Ok(f)
    }

    /// The open directory `fd` with the rights `need`: `ENOTDIR` for any
    /// other descriptor.
    pub fn dir(&self, fd: u32, need: Rights) -> Result<&OpenDir, Errno> {
        let slot = self.slot(fd)?;
        let Desc::Dir(d) = &slot.desc else {
            return Err(Errno::Notdir);
        };
        if !slot.base.contains(need) {
            return Err(Errno::Notcapable);
        }
        Ok(d)
    }

    /// `fd`'s rights: base and inheriting.
    pub fn rights(&self, fd: u32) -> Result<(Rights, Rights), Errno> {
        let slot = self.slot(fd)?;
        Ok((slot.base, slot.inheriting))
    }

    /// Narrows `fd`'s rights; asking for a right it lacks is `ENOTCAPABLE`.
    pub fn set_rights(&mut self, fd: u32, base: Rights, inheriting: Rights) -> Result<(), Errno> {
        let slot = self.slot_mut(fd)?;
        if !slot.base.contains(base) || !slot.inheriting.contains(inheriting) {
            return Err(Errno::Notcapable);
        }
        slot.base = base;
        slot.inheriting = inheriting;
        Ok(())
    }

    /// Adds `desc` with these rights under the lowest free number.
    pub fn insert(&mut self, desc: Desc, base: Rights, inheriting: Rights) -> Result<u32, Errno> {
        let i = match self.slots.iter().position(Option::is_none) {
            Some(i) => i,
            None => {
                self.slots.push(None);
                self.slots.len() - 1
            }
        };
        let fd = u32::try_from(i).map_err(|_| Errno::Mfile)?;
        self.slots[i] = Some(Slot {
            desc,
            base,
            inheriting,
        });
        Ok(fd)
    }

    /// Closes `fd` (a stream is flushed first).
    pub fn remove(&mut self, fd: u32) -> Result<(), Errno> {
        if let Desc::Writer(w) = &mut self.slot_mut(fd)?.desc {
            let _ = w.flush();
        }
        self.slots[fd as usize] = None;
        Ok(())
    }

    /// `fd_renumber`: moves `from` onto `to`, closing what `to` was. Both
    /// must be open.
    pub fn renumber(&mut self, from: u32, to: u32) -> Result<(), Errno> {
        self.slot(from)?;
        if from == to {
            return Ok(());
        }
        self.remove(to)?;
        let slot = self.slots[from as usize].take();
        self.slots[to as usize] = slot;
        Ok(())
    }

    /// Flushes every stream the guest writes.
    pub fn flush(&mut self) {
        for slot in self.slots.iter_mut().flatten() {
            if let Desc::Writer(w) = &mut slot.desc {
                let _ = w.flush();
            }
        }
    }
}
