//! [`GuestBuf`] and [`GuestBufMut`]: guest buffers that host code uses the
//! same way on every memory, shared or not.

use alloc::vec::Vec;
use core::cell::UnsafeCell;
use core::fmt;
use core::mem::{ManuallyDrop, size_of_val};
use core::ops::{Deref, DerefMut};

use crate::raw;
use crate::slice::Placement;
use crate::{
    BorrowHandle, GuestError, GuestMemory, GuestPtr, GuestSlice, GuestSliceMut,
    GuestTypeTransparent,
};

/// A guest buffer to read, from [`GuestPtr::as_buf`]; dereferences to
/// `&[T]`.
///
/// In place (a [`GuestSlice`]) where that is sound; on a shared memory (or
/// at a host address not aligned for `T`) a copy. Either way it holds a
/// shared borrow of its region until dropped, so the rules between buffers
/// are the same on every memory: buffers to read may overlap each other, and
/// none may overlap a [`GuestBufMut`].
///
/// ```
/// use core::cell::UnsafeCell;
/// use guest_memory::{GuestError, GuestMemory, SharedSliceMemory};
///
/// let cells: Vec<UnsafeCell<u8>> = (0..16).map(|_| UnsafeCell::new(b'a')).collect();
/// // SAFETY: nothing else accesses the cells.
/// let shared = unsafe { SharedSliceMemory::new(&cells) };
/// let buf = shared.ptr::<[u8]>((0, 4)).as_buf()?; // a copy: the memory is shared
/// assert!(buf.is_copy());
/// assert_eq!(buf, *b"aaaa");
/// assert!(matches!(shared.ptr::<[u8]>((2, 4)).as_buf_mut(), Err(GuestError::PtrBorrowed(_))));
/// # Ok::<(), GuestError>(())
/// ```
pub struct GuestBuf<'a, T> {
    inner: Inner<'a, T, GuestSlice<'a, T>>,
}

/// A guest buffer to fill, from [`GuestPtr::as_buf_mut`]; dereferences to
/// `&mut [T]`.
///
/// In place (a [`GuestSliceMut`]) where that is sound; on a shared memory (or
/// at a host address not aligned for `T`) a copy, written back to guest
/// memory when the buffer is dropped if it was ever borrowed mutably. Either
/// way it holds a mut borrow of its region until dropped, so on every memory
/// two buffers to fill never overlap each other or a [`GuestBuf`]: a guest
/// that names one buffer twice gets [`GuestError::PtrBorrowed`] on shared
/// memory too.
///
/// On a shared memory the guest's other threads may write the region while
/// the host holds the copy; the write-back replaces only the elements the
/// host changed (each whole, so an aligned value is never torn), and the
/// guest's writes to the rest survive.
///
/// ```
/// use guest_memory::{GuestError, GuestMemory, OwnedMemory};
///
/// let mem = OwnedMemory::new(16);
/// let mut buf = mem.ptr::<[u8]>((4, 3)).as_buf_mut()?; // in place: not shared
/// assert!(!buf.is_copy());
/// buf.copy_from_slice(b"abc");
/// drop(buf);
/// assert_eq!(mem.ptr::<[u8]>((4, 3)).to_vec()?, b"abc");
/// # Ok::<(), GuestError>(())
/// ```
pub struct GuestBufMut<'a, T> {
    inner: Inner<'a, T, GuestSliceMut<'a, T>>,
}

enum Inner<'a, T, V> {
    View(V),
    Copy(Copied<'a, T>),
}

/// A copy of a region, with the borrow of that region that the copy stands
/// in for.
struct Copied<'a, T> {
    data: Vec<T>,
    /// Exactly the region's bytes.
    bytes: &'a [UnsafeCell<u8>],
    mem: &'a dyn GuestMemory,
    handle: ManuallyDrop<BorrowHandle>,
    /// A mut borrow (else shared), and whether `data` may have changed.
    mutable: bool,
    dirty: bool,
    /// On a shared memory, for a buffer to fill: the bytes as copied, so
    /// that only the elements the host changed are written back and the
    /// guest's threads' writes to the rest survive.
    original: Option<Vec<u8>>,
}

// SAFETY: `bytes` are the memory's own (`mem.base()`'s), and `mem` is
// `Sync`, so any thread that holds this value could reach the same cells
// through `mem.base()`. They are read and written only in `new` and `drop`,
// under the borrow `handle` holds (which any thread may release, as
// `GuestMemory: Sync` allows) or atomically on a shared memory: on any
// thread alike. What else moves with the value is `Vec<T>`: `T: Send`.
// (So a buffer may be held across an `.await` in a future that changes
// threads.)
unsafe impl<T: Send> Send for Copied<'_, T> {}
// SAFETY: through `&Copied` only `&data` is reached (a `&[T]`); `bytes` are
// touched only through `&mut self`.
unsafe impl<T: Sync> Sync for Copied<'_, T> {}

impl<'a, T: GuestTypeTransparent<'a>> GuestPtr<'a, [T]> {
    /// The elements as a buffer to read, in place where that is sound and
    /// copied otherwise, holding a shared borrow of the region either way:
    /// one code path for every memory. See [`GuestBuf`].
    ///
    /// # Errors
    ///
    /// As for [`as_slice`](Self::as_slice): [`GuestError::PtrOverflow`],
    /// [`GuestError::PtrNotAligned`] (of the guest offset),
    /// [`GuestError::PtrOutOfBounds`], [`GuestError::PtrBorrowed`] (a mut
    /// borrow overlaps), on every memory.
    ///
    /// # Examples
    ///
    /// ```
    /// use guest_memory::{GuestError, GuestMemory, GuestPtr, OwnedMemory};
    ///
    /// /// Gathers the guest's buffers, as `fd_write` does, on any memory.
    /// fn gather(bufs: &[GuestPtr<'_, [u8]>]) -> Result<Vec<u8>, GuestError> {
    ///     let bufs = bufs.iter().map(|b| b.as_buf()).collect::<Result<Vec<_>, _>>()?;
    ///     Ok(bufs.iter().flat_map(|b| b.iter().copied()).collect())
    /// }
    ///
    /// let mem = OwnedMemory::new(16);
    /// mem.ptr::<[u8]>((0, 5)).copy_from_slice(b"hello")?;
    /// let out = gather(&[mem.ptr((0, 2)), mem.ptr((1, 4))])?; // overlapping reads are fine
    /// assert_eq!(out, b"heello");
    /// # Ok::<(), GuestError>(())
    /// ```
    pub fn as_buf(&self) -> Result<GuestBuf<'a, T>, GuestError> {
        let inner = match self.placement()? {
            Some(Placement::InPlace { ptr, len, region }) => {
                let handle = self.mem().shared_borrow(region)?;
                Inner::View(GuestSlice {
                    ptr,
                    len,
                    mem: self.mem(),
                    handle: ManuallyDrop::new(handle),
                })
            }
            None | Some(Placement::HostMisaligned(..)) => Inner::Copy(Copied::new(self, false)?),
        };
        Ok(GuestBuf { inner })
    }

    /// The elements as a buffer to fill, in place where that is sound and
    /// copied (and written back on drop) otherwise, holding a mut borrow of
    /// the region either way: one code path for every memory. See
    /// [`GuestBufMut`].
    ///
    /// # Errors
    ///
    /// As for [`as_slice_mut`](Self::as_slice_mut): any overlapping borrow is
    /// [`GuestError::PtrBorrowed`], on every memory.
    ///
    /// # Examples
    ///
    /// ```
    /// use guest_memory::{GuestError, GuestMemory, GuestPtr, OwnedMemory};
    ///
    /// /// Scatters `data` into the guest's buffers, as `fd_read` does, on any
    /// /// memory; returns how many bytes were placed.
    /// fn scatter(bufs: &[GuestPtr<'_, [u8]>], data: &[u8]) -> Result<usize, GuestError> {
    ///     let mut bufs = bufs.iter().map(|b| b.as_buf_mut()).collect::<Result<Vec<_>, _>>()?;
    ///     let mut done = 0;
    ///     for buf in &mut bufs {
    ///         let n = buf.len().min(data.len() - done);
    ///         buf[..n].copy_from_slice(&data[done..done + n]);
    ///         done += n;
    ///     }
    ///     Ok(done)
    /// }
    ///
    /// let mem = OwnedMemory::new(16);
    /// assert_eq!(scatter(&[mem.ptr((0, 2)), mem.ptr((8, 8))], b"hello")?, 5);
    /// assert_eq!(mem.ptr::<[u8]>((8, 3)).to_vec()?, b"llo");
    /// // A guest naming overlapping buffers is refused, on every memory.
    /// let overlapping = scatter(&[mem.ptr((0, 4)), mem.ptr((2, 4))], b"x");
    /// assert!(matches!(overlapping, Err(GuestError::PtrBorrowed(_))));
    /// # Ok::<(), GuestError>(())
    /// ```
    pub fn as_buf_mut(&self) -> Result<GuestBufMut<'a, T>, GuestError> {
        let inner = match self.placement()? {
            Some(Placement::InPlace { ptr, len, region }) => {
                let handle = self.mem().mut_borrow(region)?;
                Inner::View(GuestSliceMut {
                    ptr,
                    len,
                    mem: self.mem(),
                    handle: ManuallyDrop::new(handle),
                })
            }
            None | Some(Placement::HostMisaligned(..)) => Inner::Copy(Copied::new(self, true)?),
        };
        Ok(GuestBufMut { inner })
    }
}

impl<'a, T: GuestTypeTransparent<'a>> Copied<'a, T> {
    /// Borrows the region (mut if `mutable`) and copies it out. The caller
    /// has made every check of [`GuestPtr::as_slice`] but the borrow, so the
    /// region is inside the memory and `T`'s host size is its guest size.
    fn new(ptr: &GuestPtr<'a, [T]>, mutable: bool) -> Result<Self, GuestError> {
        let (region, bytes) = ptr.checked()?;
        let mem = ptr.mem();
        let handle = if mutable {
            mem.mut_borrow(region)?
        } else {
            mem.shared_borrow(region)?
        };
        let len = ptr.len() as usize;
        let mut data = Vec::<T>::with_capacity(len);
        let dst = raw::spare_bytes(&mut data, len);
        // SAFETY: `dst` and `bytes` have the same length: `len` elements of
        // `T`, whose host size is its guest size (checked by the caller), and
        // `bytes` is the region of `len` guest elements. On a shared memory
        // every access by anyone is atomic (trait rule 5), and so is this
        // copy. Otherwise `handle` is a borrow of exactly these bytes, so
        // nothing writes them and no `&mut` to them exists while it is held
        // (rule 4). Every byte the copy stores is initialized.
        unsafe {
            if mem.is_shared_memory() {
                raw::atomic_copy_out(bytes, dst);
            } else {
                raw::copy_out(bytes, dst);
            }
        }
        // SAFETY: the copy initialized all `len` elements' bytes, and every
        // bit pattern is a valid `T` (`GuestTypeTransparent`).
        unsafe { data.set_len(len) };
        let original = (mutable && mem.is_shared_memory()).then(|| as_bytes(&data).to_vec());
        Ok(Copied {
            data,
            bytes,
            mem,
            handle: ManuallyDrop::new(handle),
            mutable,
            dirty: false,
            original,
        })
    }
}

/// The bytes of `data`. `T` is `GuestTypeTransparent` (the only way to build
/// a `Copied`), so it has no padding: all its bytes are initialized.
fn as_bytes<T>(data: &[T]) -> &[u8] {
    // SAFETY: as above; the bytes borrow `data` for their lifetime.
    unsafe { core::slice::from_raw_parts(data.as_ptr().cast::<u8>(), size_of_val(data)) }
}

impl<T> Drop for Copied<'_, T> {
    fn drop(&mut self) {
        if self.dirty {
            let src = as_bytes(&self.data);
            match &self.original {
                // Shared memory: only the elements that changed, each whole,
                // in runs.
                Some(original) => {
                    let size = core::mem::size_of::<T>().max(1);
                    let changed = |i: usize| src[i..i + size] != original[i..i + size];
                    let mut i = 0;
                    while i + size <= src.len() {
                        if !changed(i) {
                            i += size;
                            continue;
                        }
                        let start = i;
                        while i + size <= src.len() && changed(i) {
                            i += size;
                        }
                        // SAFETY: `original` is kept only on a shared
                        // memory, where every access is atomic (rule 5), as
                        // this copy is; `start..i` lies within both, which
                        // have equal lengths as in `new`.
                        unsafe { raw::atomic_copy_in(&self.bytes[start..i], &src[start..i]) };
                    }
                }
                // SAFETY: `dirty` is only set on a mut borrow's copy, and that
                // borrow (`handle`) of exactly `bytes` is still held. The
                // lengths are equal as in `new`, and `data` was never resized
                // (only `DerefMut` to a slice reaches it). On a shared memory
                // every access is atomic (rule 5), as this copy is; otherwise
                // the mut borrow means nothing else reads or writes these
                // bytes and no reference to them exists (rule 4).
                None => unsafe {
                    if self.mem.is_shared_memory() {
                        raw::atomic_copy_in(self.bytes, src);
                    } else {
                        raw::copy_in(self.bytes, src);
                    }
                },
            }
        }
        // SAFETY: `handle` is taken only here, once, and never used again.
        let handle = unsafe { ManuallyDrop::take(&mut self.handle) };
        if self.mutable {
            self.mem.mut_unborrow(handle);
        } else {
            self.mem.shared_unborrow(handle);
        }
    }
}

impl<T, V: Deref<Target = [T]>> Inner<'_, T, V> {
    #[inline]
    fn elements(&self) -> &[T] {
        match self {
            Inner::View(v) => v,
            Inner::Copy(c) => &c.data,
        }
    }

    fn is_copy(&self) -> bool {
        matches!(self, Inner::Copy(_))
    }
}

impl<T> GuestBuf<'_, T> {
    /// Whether the buffer is a copy (shared memory, or a host address not
    /// aligned for `T`) rather than a view in place.
    pub fn is_copy(&self) -> bool {
        self.inner.is_copy()
    }
}

impl<T> GuestBufMut<'_, T> {
    /// Whether the buffer is a copy, written back when dropped, rather than
    /// a view in place.
    pub fn is_copy(&self) -> bool {
        self.inner.is_copy()
    }
}

impl<T> Deref for GuestBuf<'_, T> {
    type Target = [T];
    #[inline]
    fn deref(&self) -> &[T] {
        self.inner.elements()
    }
}

impl<T> Deref for GuestBufMut<'_, T> {
    type Target = [T];
    #[inline]
    fn deref(&self) -> &[T] {
        self.inner.elements()
    }
}

impl<T> DerefMut for GuestBufMut<'_, T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut [T] {
        match &mut self.inner {
            Inner::View(v) => v,
            Inner::Copy(c) => {
                c.dirty = true;
                &mut c.data
            }
        }
    }
}

crate::slice::slice_eq!(GuestBuf, GuestBufMut);

impl<T: fmt::Debug> fmt::Debug for GuestBuf<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: fmt::Debug> fmt::Debug for GuestBufMut<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
