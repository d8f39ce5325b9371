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
#[derive(PartialEq, Eq)]
#[must_use = "a borrow stays outstanding until its handle is given back"]
pub struct BorrowHandle {
    /// `raw | start << 64 | len << 96`. One integer rather than two
    /// fields: a handle returned inside a `Result` is written by the tracker
    /// as two 8-byte stores, and two `u64` fields are then copied out as one
    /// 16-byte vector load, which the processor cannot forward from two
    /// stores (a stall of about a dozen cycles, measured on `as_slice`); a
    /// `u128` is read back as two 8-byte loads, each forwarded.
    bits: u128,
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
        BorrowHandle {
            bits: raw as u128 | (region.packed() as u128) << 64,
        }
    }

    /// The value the issuing tracker stored in the handle.
    #[inline]
    pub const fn raw(&self) -> u64 {
        self.bits as u64
    }

    /// The region this handle borrows.
    #[inline]
    pub const fn region(&self) -> Region {
        // The two upper quarters of `bits`: each fits a `u32` exactly.
        Region::new((self.bits >> 64) as u32, (self.bits >> 96) as u32)
    }
}

impl core::fmt::Debug for BorrowHandle {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("BorrowHandle")
            .field("raw", &self.raw())
            .field("region", &self.region())
            .finish()
    }
}
