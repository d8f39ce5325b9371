//! [`OwnedMemory`]: a guest memory that owns its bytes.

use alloc::boxed::Box;
use alloc::vec;
use alloc::vec::Vec;
use core::cell::UnsafeCell;
use core::fmt;
use core::ptr::NonNull;

use super::tracked_memory;
use crate::{BorrowTracker, GuestError};

/// The most bytes a 32-bit guest can address: 4 GiB.
const MAX_LEN: u64 = 1 << 32;

/// Sixteen bytes at a 16-byte boundary: the allocation unit that gives the
/// memory's base its alignment.
#[derive(Clone, Copy)]
#[repr(C, align(16))]
struct Chunk([u8; 16]);

/// A guest memory that owns its bytes: for tests, for hosts that copy a
/// guest's memory out, and for scratch space.
///
/// The base is aligned to 16 bytes, so zero-copy views of every type work.
/// Plain byte access is through `&mut self` ([`as_bytes_mut`](Self::as_bytes_mut)),
/// which no `GuestPtr` or view into the memory can outlive.
///
/// # Examples
///
/// ```
/// use guest_memory::{GuestMemory, OwnedMemory};
///
/// let mut mem = OwnedMemory::new(16);
/// mem.ptr::<u16>(2).write(0xabcd)?;
/// mem.grow(16)?;
/// assert_eq!(mem.len(), 32);
/// assert_eq!(&mem.as_bytes_mut()[2..4], &[0xcd, 0xab]);
/// # Ok::<(), guest_memory::GuestError>(())
/// ```
///
/// ```compile_fail,E0502
/// use guest_memory::{GuestMemory, OwnedMemory};
///
/// let mut mem = OwnedMemory::new(16);
/// let view = mem.ptr::<[u8]>((0, 4)).as_slice().unwrap().unwrap();
/// mem.grow(16).unwrap(); // cannot grow while a view is alive
/// drop(view);
/// ```
///
/// ```compile_fail,E0502
/// use guest_memory::{GuestMemory, OwnedMemory};
///
/// let mut mem = OwnedMemory::new(16);
/// let p = mem.ptr::<u32>(0);
/// mem.grow(16).unwrap(); // nor while a pointer into it is
/// p.read().unwrap();
/// ```
pub struct OwnedMemory {
    // Invariant: `chunks` came from `Box::<[Chunk]>::into_raw` with
    // `chunk_count` elements, is owned by this value, and is reached only
    // through this value; `len <= chunk_count * 16` and `len <= 4 GiB`. Bytes
    // past `len` are zero.
    chunks: NonNull<Chunk>,
    chunk_count: usize,
    len: usize,
    // Invariant: never bound to a thread, so without the quick answer (the
    // chunks start at a multiple of 16 all the same).
    tracker: BorrowTracker,
}

// SAFETY: `OwnedMemory` owns its allocation, like a `Box<[u8]>`, which is
// `Send`; its tracker is `Send`.
unsafe impl Send for OwnedMemory {}
// SAFETY: through `&self` the bytes are reached only by the `GuestMemory`
// impl, whose every access is guarded by the `BorrowTracker` (itself `Sync`):
// views hold borrows, and plain reads and writes check and copy under its
// lock. So shared use from many threads does not race.
unsafe impl Sync for OwnedMemory {}

impl OwnedMemory {
    /// A zeroed memory of `len_bytes` bytes, its base aligned to 16.
    ///
    /// # Panics
    ///
    /// If `len_bytes` is more than 4 GiB, which a 32-bit guest cannot
    /// address, or the allocation fails.
    pub fn new(len_bytes: usize) -> Self {
        assert!(
            u64::try_from(len_bytes).is_ok_and(|n| n <= MAX_LEN),
            "OwnedMemory::new: {len_bytes} bytes is more than a 32-bit guest can address"
        );
        let chunk_count = len_bytes.div_ceil(16);
        let chunks: Box<[Chunk]> = vec![Chunk([0; 16]); chunk_count].into_boxed_slice();
        OwnedMemory {
            chunks: box_into_non_null(chunks),
            chunk_count,
            len: len_bytes,
            tracker: BorrowTracker::new(),
        }
    }

    /// The memory's length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the memory has no bytes.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The bytes, for plain host access.
    pub fn as_bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: `chunks` owns `chunk_count * 16 >= len` initialized bytes
        // (the type's invariant), `u8` needs no alignment, and `&mut self`
        // rules out every other access path for the result's lifetime: views
        // and pointers borrow `self`.
        unsafe { core::slice::from_raw_parts_mut(self.chunks.as_ptr().cast::<u8>(), self.len) }
    }

    /// Adds `additional` zeroed bytes at the end, moving the memory.
    ///
    /// # Errors
    ///
    /// [`GuestError::PtrBorrowed`] with one outstanding borrow's region if any
    /// borrow is outstanding (a handle taken with
    /// [`GuestMemory::mut_borrow`](crate::GuestMemory::mut_borrow) and not yet
    /// given back); [`GuestError::PtrOverflow`] if the memory would pass 4 GiB.
    /// On error nothing changes.
    pub fn grow(&mut self, additional: usize) -> Result<(), GuestError> {
        if let Some(r) = self.tracker.any_borrowed() {
            return Err(GuestError::PtrBorrowed(r));
        }
        let new_len = crate::error::or_overflow(
            self.len
                .checked_add(additional)
                .filter(|&n| u64::try_from(n).is_ok_and(|n| n <= MAX_LEN)),
        )?;
        let new_count = new_len.div_ceil(16);
        if new_count > self.chunk_count {
            let mut grown = vec![Chunk([0; 16]); new_count].into_boxed_slice();
            grown[..self.chunk_count].copy_from_slice(self.chunk_slice());
            let old = core::mem::replace(&mut self.chunks, box_into_non_null(grown));
            // SAFETY: `old` and `chunk_count` are the allocation this value
            // owned (the invariant); it is no longer reachable from `self`.
            drop(unsafe { box_from_non_null(old, self.chunk_count) });
            self.chunk_count = new_count;
        }
        self.len = new_len;
        Ok(())
    }

    fn chunk_slice(&mut self) -> &[Chunk] {
        // SAFETY: the allocation holds `chunk_count` initialized chunks (the
        // invariant), and `&mut self` excludes every other access meanwhile.
        unsafe { core::slice::from_raw_parts(self.chunks.as_ptr(), self.chunk_count) }
    }

    #[inline]
    fn cells(&self) -> &[UnsafeCell<u8>] {
        // SAFETY: the allocation holds `chunk_count * 16 >= len` bytes (the
        // invariant), valid until `self` is dropped or grown, which the borrow
        // of `self` prevents; `UnsafeCell<u8>` has `u8`'s layout. The pointer
        // comes from `Box::into_raw`, not from `&self`, so writing through the
        // cells is permitted.
        unsafe {
            core::slice::from_raw_parts(self.chunks.as_ptr().cast::<UnsafeCell<u8>>(), self.len)
        }
    }
}

tracked_memory!(OwnedMemory);

impl From<Vec<u8>> for OwnedMemory {
    /// A memory holding a copy of `bytes`.
    ///
    /// # Panics
    ///
    /// As [`OwnedMemory::new`].
    fn from(bytes: Vec<u8>) -> Self {
        let mut mem = OwnedMemory::new(bytes.len());
        mem.as_bytes_mut().copy_from_slice(&bytes);
        mem
    }
}

impl Drop for OwnedMemory {
    fn drop(&mut self) {
        // SAFETY: `chunks` and `chunk_count` are the allocation this value
        // owns (the invariant), and it is dropped exactly once, here.
        drop(unsafe { box_from_non_null(self.chunks, self.chunk_count) });
    }
}

impl fmt::Debug for OwnedMemory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedMemory")
            .field("len", &self.len)
            .field("tracker", &self.tracker)
            .finish()
    }
}

fn box_into_non_null(b: Box<[Chunk]>) -> NonNull<Chunk> {
    let raw: *mut [Chunk] = Box::into_raw(b);
    // SAFETY: `Box::into_raw` never returns null.
    unsafe { NonNull::new_unchecked(raw.cast::<Chunk>()) }
}

/// # Safety
///
/// `ptr` and `count` are a `Box<[Chunk]>` given up by `box_into_non_null`,
/// not yet taken back.
unsafe fn box_from_non_null(ptr: NonNull<Chunk>, count: usize) -> Box<[Chunk]> {
    let raw = core::ptr::slice_from_raw_parts_mut(ptr.as_ptr(), count);
    // SAFETY: the caller's contract: this is exactly such a box's raw form.
    unsafe { Box::from_raw(raw) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{GuestMemory, Region};

    #[test]
    fn base_is_aligned_to_16() {
        for len in [0, 1, 15, 16, 17, 100] {
            let mem = OwnedMemory::new(len);
            assert_eq!(mem.base().as_ptr().addr() % 16, 0);
            assert_eq!(mem.base().len(), len);
        }
    }

    #[test]
    fn grow_keeps_bytes_and_zeroes_the_rest() {
        let mut mem = OwnedMemory::from(vec![1, 2, 3]);
        mem.grow(0).unwrap();
        mem.grow(30).unwrap();
        assert_eq!(mem.len(), 33);
        let b = mem.as_bytes_mut();
        assert_eq!(&b[..4], &[1, 2, 3, 0]);
        assert!(b[3..].iter().all(|&x| x == 0));
    }

    #[test]
    fn grow_refuses_while_borrowed_or_past_4_gib() {
        let mut mem = OwnedMemory::new(8);
        let h = mem.mut_borrow(Region::new(2, 2)).unwrap();
        assert!(matches!(mem.grow(8), Err(GuestError::PtrBorrowed(r)) if r == Region::new(2, 2)));
        mem.mut_unborrow(h);
        assert!(matches!(mem.grow(usize::MAX), Err(GuestError::PtrOverflow)));
        assert_eq!(mem.len(), 8);
    }
}
