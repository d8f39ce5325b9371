//! [`BorrowHandle`]: the token for one outstanding borrow.

use crate::Region;

/// The token for one outstanding borrow of guest memory.
///
/// A tracker issues a handle from [`GuestMemory::mut_borrow`] or
/// [`GuestMemory::shared_borrow`] and takes it back, by value, in the matching
/// `*_unborrow`. A handle is neither `Copy` nor `Clone` and has no public
/// field, so safe code can neither forge one nor release a borrow twice.
///
/// Trackers written outside this crate make handles with the `unsafe`
/// [`BorrowHandle::new`] and read them back with [`BorrowHandle::raw`] and
/// [`BorrowHandle::region`].
///
/// [`GuestMemory::mut_borrow`]: crate::GuestMemory::mut_borrow
/// [`GuestMemory::shared_borrow`]: crate::GuestMemory::shared_borrow
///
/// ```compile_fail,E0277
/// fn is_clone<T: Clone>() {}
/// is_clone::<guest_memory::BorrowHandle>(); // a handle cannot be cloned
/// ```
///
/// ```compile_fail,E0277
/// fn is_copy<T: Copy>() {}
/// is_copy::<guest_memory::BorrowHandle>(); // nor copied
/// ```
#[derive(Debug, PartialEq, Eq)]
#[must_use = "a borrow stays outstanding until its handle is given back"]
pub struct BorrowHandle {
    raw: u64,
    region: Region,
}

impl BorrowHandle {
    /// Makes a handle carrying `raw`, a value of the issuing tracker's
    /// choosing (an index, a tracker identity), and the borrowed `region`.
    ///
    /// # Safety
    ///
    /// Only a borrow tracker may call this, to issue a handle for a borrow it
    /// has just recorded. The handle must not let any tracker release a borrow
    /// other than that one: in particular the caller must not make a second
    /// handle that the issuing tracker (or another one, such as this crate's
    /// [`BorrowTracker`](crate::BorrowTracker)) would accept for a borrow that
    /// is still outstanding. Safe code relies on "one handle, one borrow,
    /// released once".
    #[inline]
    pub const unsafe fn new(raw: u64, region: Region) -> Self {
        BorrowHandle { raw, region }
    }

    /// The value the issuing tracker stored in the handle.
    #[inline]
    pub const fn raw(&self) -> u64 {
        self.raw
    }

    /// The region this handle borrows.
    #[inline]
    pub const fn region(&self) -> Region {
        self.region
    }
}
