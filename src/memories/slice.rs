//! [`SliceMemory`]: a guest memory over a borrowed `&mut [u8]`.

use core::cell::UnsafeCell;
use core::fmt;

use super::tracked_memory;
use crate::BorrowTracker;

/// A guest memory over `&'a mut [u8]`, such as the slice an engine hands a
/// host function (wasmtime's `Memory::data_mut`).
///
/// Make one per host call: the `&mut` borrow it holds keeps the engine from
/// running the guest or growing its memory meanwhile.
///
/// Any thread may use a `SliceMemory`: each access and each borrow takes a
/// small lock (one atomic read-modify-write). So it is the memory to hold
/// across an `.await` in an async host function, whose future a
/// multi-threaded executor may resume on another thread, and the one to share
/// between threads (say, to fill iovecs in parallel). A synchronous host
/// function, which runs on one thread from start to end, goes faster with a
/// [`LocalSliceMemory`]: no atomic operation at all, and the compiler refuses
/// to let it cross an `.await` in a future that may change threads.
///
/// [`LocalSliceMemory`]: crate::LocalSliceMemory
///
/// Zero-copy views of multi-byte types need the bytes to start at a host
/// address aligned for the type; engine memories are page-aligned. Over a
/// misaligned slice those views fail with `PtrNotAligned` (reads, writes and
/// copies still work, and [`as_cow`](crate::GuestPtr::as_cow) copies).
///
/// # Examples
///
/// ```
/// use guest_memory::{GuestMemory, SliceMemory};
///
/// let mut bytes = vec![0u8; 64];
/// let mem = SliceMemory::new(&mut bytes);
/// mem.ptr::<u64>(8).write(7)?;
/// drop(mem);
/// assert_eq!(bytes[8], 7);
/// # Ok::<(), guest_memory::GuestError>(())
/// ```
pub struct SliceMemory<'a> {
    // Invariant: the bytes of the `&'a mut [u8]` given to `new`, so this value
    // has exclusive access to them for `'a`, and reaches them only through
    // its `GuestMemory` impl.
    cells: &'a [UnsafeCell<u8>],
    // Invariant: made with the quick answer (`BorrowTracker::bound_here`)
    // only if `cells` starts at an address that is a multiple of 8, which
    // `unit_access` then promises without looking (`new_for_this_thread`
    // checks it).
    tracker: BorrowTracker,
}

// SAFETY: `SliceMemory` owns exclusive access to its bytes for `'a` (it holds
// what was a `&'a mut [u8]`, which is `Send`), and every access through
// `&self` from any thread goes through its `BorrowTracker`, which is `Sync`
// and serializes plain accesses against the borrows that guard views.
unsafe impl Send for SliceMemory<'_> {}
// SAFETY: see `Send`.
unsafe impl Sync for SliceMemory<'_> {}

impl<'a> SliceMemory<'a> {
    /// A memory over `bytes`, with nothing borrowed, that any thread may use.
    #[inline]
    pub fn new(bytes: &'a mut [u8]) -> Self {
        Self::with_tracker(bytes, BorrowTracker::new())
    }

    /// A memory over `bytes` for the calling thread only (with the `std`
    /// feature; without it, for any thread). Its tracker gives the quick
    /// answer only if `bytes` starts at a multiple of 8, as every engine's
    /// memory does; over other bytes each access looks at the records.
    #[inline]
    pub(super) fn new_for_this_thread(bytes: &'a mut [u8]) -> Self {
        #[cfg(feature = "std")]
        let tracker = BorrowTracker::bound_here(crate::memory::unit_aligned(bytes.as_ptr()));
        #[cfg(not(feature = "std"))]
        let tracker = BorrowTracker::new();
        Self::with_tracker(bytes, tracker)
    }

    #[inline]
    fn with_tracker(bytes: &'a mut [u8], tracker: BorrowTracker) -> Self {
        let cells: *mut [u8] = bytes;
        // SAFETY: `UnsafeCell<u8>` has the same layout as `u8`, so the cast
        // slice has the same length and alignment. The `&'a mut` is consumed,
        // so this is the only access to the bytes for `'a`, which makes the
        // interior mutability that `UnsafeCell` declares legitimate.
        let cells = unsafe { &*(cells as *const [UnsafeCell<u8>]) };
        SliceMemory { cells, tracker }
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

tracked_memory!(SliceMemory<'_>);

impl fmt::Debug for SliceMemory<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SliceMemory")
            .field("len", &self.cells.len())
            .field("tracker", &self.tracker)
            .finish()
    }
}
