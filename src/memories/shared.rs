//! [`SharedSliceMemory`]: a guest memory over shared (multi-threaded) memory.

use core::cell::UnsafeCell;
use core::fmt;
use core::mem::MaybeUninit;
use core::sync::atomic::{AtomicUsize, Ordering};

use crate::memory::{guest_bytes, region_for, small_bytes, unit_aligned};
use crate::raw;
use crate::{BorrowHandle, BorrowTracker, GuestError, GuestMemory, Region};

/// A guest memory over cells that other threads write at any time, such as
/// wasmtime's `SharedMemory::data()`.
///
/// Nothing here ever makes a Rust reference into the memory: there are no
/// zero-copy views ([`as_slice`](crate::GuestPtr::as_slice) is `Ok(None)`,
/// [`as_cow`](crate::GuestPtr::as_cow) copies), and every read, write and copy
/// is made of relaxed atomic accesses, as wide as alignment allows, so an
/// aligned value is never torn. Borrows are still tracked, so the host's
/// rules read the same on every memory: while the host holds a
/// [`GuestBufMut`](crate::GuestBufMut) (a copy here), its own reads and
/// writes of those bytes are [`GuestError::PtrBorrowed`], and under a
/// [`GuestBuf`](crate::GuestBuf) its writes are, as on an ordinary memory.
/// Borrows cannot stop the guest's own threads, whose writes to a buffer's
/// bytes survive wherever the host did not change the buffer. While nothing
/// is borrowed, plain reads, writes and copies take no lock (one atomic load
/// says so): threads using one shared memory never contend.
///
/// # Examples
///
/// ```
/// use core::cell::UnsafeCell;
/// use guest_memory::{GuestMemory, SharedSliceMemory};
///
/// let cells: Vec<UnsafeCell<u8>> = (0..64).map(|_| UnsafeCell::new(0)).collect();
/// // SAFETY: these cells are touched only through `mem`, whose accesses are atomic.
/// let mem = unsafe { SharedSliceMemory::new(&cells) };
/// mem.ptr::<u32>(4).write(9)?;
/// assert_eq!(mem.ptr::<u32>(4).read()?, 9);
/// assert!(mem.ptr::<[u8]>((0, 8)).as_slice()?.is_none());
/// assert_eq!(mem.ptr::<[u8]>((4, 2)).to_vec()?, [9, 0]);
/// # Ok::<(), guest_memory::GuestError>(())
/// ```
pub struct SharedSliceMemory<'a> {
    // Invariant: for `'a`, every access to these cells by anyone is atomic
    // (the contract of `new`), and they stay allocated.
    cells: &'a [UnsafeCell<u8>],
    tracker: BorrowTracker,
    /// How many borrows are outstanding: raised after each is granted,
    /// lowered after each is released. While 0, plain accesses skip the
    /// tracker.
    lent: AtomicUsize,
}

// SAFETY: every access this type makes to the cells is atomic, and `new`'s
// contract makes every other access to them atomic too, so using them from
// any thread, at the same time, is free of data races.
unsafe impl Send for SharedSliceMemory<'_> {}
// SAFETY: see `Send`.
unsafe impl Sync for SharedSliceMemory<'_> {}

impl<'a> SharedSliceMemory<'a> {
    /// A shared memory over `cells`.
    ///
    /// # Safety
    ///
    /// For `'a`, every access anyone makes to `cells` — other threads, the
    /// guest, other host code — is atomic. This is how a WebAssembly engine's
    /// shared memory is specified; cells reachable by non-atomic code (say,
    /// behind a single-threaded `Cell`-like type) must not be passed, since
    /// this type lets other threads write them.
    ///
    /// One gap remains that no host can close: a guest may race accesses of
    /// different widths on the same bytes (a 4-byte store against this
    /// type's 8-byte load), which Rust's memory model leaves undefined even
    /// when both are atomic. Engines' shared memories are in the same
    /// position; this type keeps its side to single atomic accesses, as wide
    /// as alignment allows, so an aligned value is never torn.
    pub unsafe fn new(cells: &'a [UnsafeCell<u8>]) -> Self {
        SharedSliceMemory {
            cells,
            tracker: BorrowTracker::new(),
            lent: AtomicUsize::new(0),
        }
    }

    /// The memory's length in bytes.
    pub fn len(&self) -> usize {
        self.cells.len()
    }

    /// Whether the memory has no bytes.
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }
}

impl SharedSliceMemory<'_> {
    /// Counts a borrow `tracker` granted.
    #[inline]
    fn lent(&self, granted: Result<BorrowHandle, GuestError>) -> Result<BorrowHandle, GuestError> {
        if granted.is_ok() {
            self.lent.fetch_add(1, Ordering::Relaxed);
        }
        granted
    }

    /// `read_bytes` while a borrow may be outstanding: checked against the
    /// borrows and copied under the tracker's lock. Out of line, so that the
    /// usual path saves no registers for it.
    #[cold]
    #[inline(never)]
    fn read_checked(
        &self,
        r: Region,
        src: &[UnsafeCell<u8>],
        dst: &mut [MaybeUninit<u8>],
    ) -> Result<(), GuestError> {
        self.tracker.with_read_access(r, || {
            // SAFETY: as in `read_bytes`: all accesses are atomic.
            unsafe { raw::atomic_copy_out(src, dst) }
        })
    }

    /// `write_bytes` while a borrow may be outstanding, as
    /// [`read_checked`](Self::read_checked) for reads.
    #[cold]
    #[inline(never)]
    fn write_checked(
        &self,
        r: Region,
        dst: &[UnsafeCell<u8>],
        src: &[u8],
    ) -> Result<(), GuestError> {
        self.tracker.with_write_access(r, || {
            // SAFETY: as in `read_bytes`: all accesses are atomic.
            unsafe { raw::atomic_copy_in(dst, src) }
        })
    }

    /// Whether a borrow may be outstanding. A borrow taken by this thread,
    /// or by another before something ordered it before this call, is seen
    /// (coherence of one atomic); one being taken at the same moment on
    /// another thread may not be, and then the access races it as a guest
    /// thread's would.
    #[inline]
    fn may_be_lent(&self) -> bool {
        self.lent.load(Ordering::Relaxed) != 0
    }
}

// SAFETY: rule 1: `cells` is the whole memory, valid for `'a`, which
// outlives every borrow of `self`. Rule 2: the memory owns its tracker.
// Rule 3: every borrow method forwards to the `BorrowTracker`, which is
// exact (`lent` only counts). Rule 4 does not apply to a shared memory, and
// the crate makes no reference into it. Rule 5: shared, as
// `is_shared_memory` says; every access here is atomic, and `new`'s contract
// makes everyone else's atomic too. Rule 6: `read_bytes` / `write_bytes`
// check bounds, and while a borrow is outstanding check it and copy under
// the tracker's lock; every copy is atomic and fills `dst`. `read_small` /
// `write_small` answer only while nothing is lent, when `read_bytes` /
// `write_bytes` would copy without the tracker too, and then make the whole
// access, atomically. Rule 7: the provided `None`. Rule 8: `unshared_base`
// is `None`, the memory being shared. Rule 9: `unit_access` answers only
// over cells starting at a multiple of 8, and every access to them is
// atomic (`new`'s contract); like the atomic copies of rule 6 the access
// need not consult the borrows, and it answers only while nothing is lent,
// when those copies would not either.
unsafe impl GuestMemory for SharedSliceMemory<'_> {
    #[inline]
    fn base(&self) -> &[UnsafeCell<u8>] {
        self.cells
    }
    fn has_outstanding_borrows(&self) -> bool {
        self.tracker.has_outstanding_borrows()
    }
    fn is_mut_borrowed(&self, r: Region) -> bool {
        self.tracker.is_mut_borrowed(r)
    }
    fn is_shared_borrowed(&self, r: Region) -> bool {
        self.tracker.is_shared_borrowed(r)
    }
    fn mut_borrow(&self, r: Region) -> Result<BorrowHandle, GuestError> {
        self.lent(self.tracker.mut_borrow(r))
    }
    fn shared_borrow(&self, r: Region) -> Result<BorrowHandle, GuestError> {
        self.lent(self.tracker.shared_borrow(r))
    }
    fn mut_unborrow(&self, h: BorrowHandle) {
        self.tracker.mut_unborrow(h);
        self.lent.fetch_sub(1, Ordering::Relaxed);
    }
    fn shared_unborrow(&self, h: BorrowHandle) {
        self.tracker.shared_unborrow(h);
        self.lent.fetch_sub(1, Ordering::Relaxed);
    }
    #[inline]
    fn is_shared_memory(&self) -> bool {
        true
    }
    #[inline]
    fn unshared_base(&self) -> Option<&[UnsafeCell<u8>]> {
        None
    }
    #[inline]
    fn unit_access(&self, r: Region, write: bool) -> Option<&[UnsafeCell<u8>]> {
        let _ = (r, write);
        (!self.may_be_lent() && unit_aligned(self.cells.as_ptr())).then_some(self.cells)
    }
    #[inline]
    fn read_small(&self, r: Region) -> Option<u64> {
        if self.may_be_lent() {
            return None;
        }
        let src = small_bytes(self.cells, r)?;
        // SAFETY: as in `read_bytes`: every access is atomic, and so is this
        // copy (one load where `src` is a single aligned unit); `src` has at
        // most 8 bytes.
        Some(unsafe { raw::atomic_read_small(src) })
    }
    #[inline]
    fn write_small(&self, r: Region, bytes: u64) -> bool {
        if self.may_be_lent() {
            return false;
        }
        let Some(dst) = small_bytes(self.cells, r) else {
            return false;
        };
        // SAFETY: as in `read_small`, for a store of `dst`'s at most 8 bytes.
        unsafe { raw::atomic_write_small(dst, bytes) };
        true
    }
    #[inline]
    fn read_bytes(&self, offset: u32, dst: &mut [MaybeUninit<u8>]) -> Result<(), GuestError> {
        let r = region_for(offset, dst.len())?;
        let src = guest_bytes(self.cells, r)?;
        if self.may_be_lent() {
            return self.read_checked(r, src, dst);
        }
        // SAFETY: on a shared memory every access, the crate's and the
        // guest's, is atomic (`new`'s contract), and so is this copy.
        unsafe { raw::atomic_copy_out(src, dst) };
        Ok(())
    }
    #[inline]
    fn write_bytes(&self, offset: u32, src: &[u8]) -> Result<(), GuestError> {
        let r = region_for(offset, src.len())?;
        let dst = guest_bytes(self.cells, r)?;
        if self.may_be_lent() {
            return self.write_checked(r, dst, src);
        }
        // SAFETY: as in `read_bytes`: all accesses are atomic.
        unsafe { raw::atomic_copy_in(dst, src) };
        Ok(())
    }
}

impl fmt::Debug for SharedSliceMemory<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedSliceMemory")
            .field("len", &self.cells.len())
            .field("tracker", &self.tracker)
            .finish()
    }
}
