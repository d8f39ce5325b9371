//! One borrowed region as the records hold it ([`Single`]), and the slot
//! that holds the newest one packed into two words ([`Slot`]).
//!
//! Promises: a [`Slot`] packs a region exactly as a [`BorrowHandle`] does,
//! so a release compares words instead of rebuilding the region; an empty
//! slot is all zeros.
//!
//! [`BorrowHandle`]: crate::BorrowHandle

use crate::Region;

/// One borrowed region and its kind: a mut borrow, or `shared` shared
/// borrows of exactly this region. Held in the slot (packed) and in the
/// small list; one view at a time is the common case, and a tree that goes
/// from empty to one entry and back allocates and frees a node each time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Single {
    pub(super) start: u64,
    pub(super) end: u64,
    /// 0 for a mut borrow, else the number of shared borrows.
    pub(super) shared: u64,
}

impl Single {
    #[inline(always)]
    pub(super) fn of(r: Region, shared: u64) -> Self {
        Single {
            start: u64::from(r.start),
            end: r.end(),
            shared,
        }
    }

    #[inline]
    pub(super) fn overlaps(&self, r: Region) -> bool {
        self.start < r.end() && u64::from(r.start) < self.end
    }

    #[inline]
    pub(super) fn is(&self, r: Region) -> bool {
        self.start == u64::from(r.start) && self.end == r.end()
    }

    pub(super) fn is_span(&self, other: &Single) -> bool {
        self.start == other.start && self.end == other.end
    }
}

/// The single slot, packed into two words: a borrow fills them and a
/// release compares them with its handle's own bits, where an
/// `Option<Single>` would take four stores and a rebuilt end.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Slot {
    /// The region as a handle packs it: `start | len << 32`.
    region: u64,
    /// 0 while the slot is empty, else one more than [`Single::shared`]:
    /// 1 for a mut borrow, `n + 1` for `n` shared borrows of exactly
    /// `region`. (Shared borrows of one region never number `u64::MAX`:
    /// each has a live handle.)
    pub(super) count: u64,
}

impl Slot {
    /// A slot holding a borrow of `r`: mut if `shared` is 0, else
    /// `shared` shared borrows.
    #[inline(always)]
    pub(super) fn of(r: Region, shared: u64) -> Self {
        Slot {
            region: r.packed(),
            count: shared + 1,
        }
    }

    /// What the slot holds, unpacked.
    #[inline(always)]
    pub(super) fn get(self) -> Option<Single> {
        if self.count == 0 {
            return None;
        }
        let start = self.region & u64::from(u32::MAX);
        Some(Single {
            start,
            end: start + (self.region >> 32),
            shared: self.count - 1,
        })
    }
}
