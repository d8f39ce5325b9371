//! [`SharedSliceMemory`]: a guest memory over shared (multi-threaded) memory.

use core::cell::UnsafeCell;
use core::fmt;

use super::tracked_memory;
use crate::BorrowTracker;

/// A guest memory over cells that other threads write at any time, such as
/// wasmtime's `SharedMemory::data()`.
///
/// Nothing here ever makes a Rust reference into the memory: there are no
/// zero-copy views ([`as_slice`](crate::GuestPtr::as_slice) is `Ok(None)`,
/// [`as_cow`](crate::GuestPtr::as_cow) copies), and every read, write and copy
/// is made of relaxed atomic accesses, as wide as alignment allows, so an
/// aligned value is never torn. Borrows are still tracked (so the borrow
/// rules read the same on every memory), but they cannot stop the guest's own
/// threads, and plain reads, writes and copies neither take the tracker's
/// lock nor consult it: threads using one shared memory never contend.
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

    #[inline]
    fn cells(&self) -> &[UnsafeCell<u8>] {
        self.cells
    }
}

tracked_memory!(SharedSliceMemory<'_>, shared = true);

impl fmt::Debug for SharedSliceMemory<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedSliceMemory")
            .field("len", &self.cells.len())
            .field("tracker", &self.tracker)
            .finish()
    }
}
