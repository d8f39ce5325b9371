//! [`Span`]: bounds around every borrow of one kind beyond the slot, so an
//! access outside them skips every search.
//!
//! Promises: a span always covers every borrow of its kind recorded beyond
//! the slot (it is widened before a borrow is recorded, so even a panic
//! part-way leaves it covering); it may cover more.

use super::slot::Single;

/// Bounds covering every borrow of one kind recorded in
/// [`More`](super::more::More): a region outside them overlaps none of
/// those borrows, whatever their number, so the list and tree searches are
/// skipped. Borrows clustered in one part of memory (a host call's buffers)
/// leave every access elsewhere at the cost of no borrows at all.
///
/// Conservative: it grows as borrows are added and shrinks back to empty
/// only when `More` holds no borrow of its kind, so after releases it may
/// cover more than the borrows left, which only costs a search.
#[derive(Clone, Copy, Debug)]
pub(super) struct Span {
    start: u64,
    end: u64,
}

impl Default for Span {
    /// Covers nothing.
    fn default() -> Self {
        Span {
            start: u64::MAX,
            end: 0,
        }
    }
}

impl Span {
    #[inline(always)]
    pub(super) fn cover(&mut self, s: &Single) {
        self.start = self.start.min(s.start);
        self.end = self.end.max(s.end);
    }

    #[inline(always)]
    pub(super) fn overlaps(&self, start: u64, end: u64) -> bool {
        self.start < end && start < self.end
    }
}
