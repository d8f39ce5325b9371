//! [`More`]: the borrows beyond the slot — a small unsorted list while
//! there are few, two trees beyond — with a [`Span`] around each kind.
//!
//! Promises: every borrow handed to [`More::add`] is recorded until it is
//! removed; the list and the trees never both hold anything (outside a panic
//! part-way through an update, which only over-counts); each span covers
//! every borrow of its kind recorded here, and `few_mut` is exactly the
//! number of mut borrows in the list.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use super::allocs::{insert, push};
use super::segments::Segments;
use super::slot::Single;
use super::span::Span;
use crate::Region;

/// How many borrowed regions the small list holds before they move to
/// the trees: room for 16 held elsewhere plus a few views of one's own.
const FEW: usize = 24;

/// The records beyond the slot.
#[derive(Default)]
pub(super) struct More {
    /// 2 to [`FEW`] borrowed regions, unsorted: each entry is a region
    /// with its kind and, for shared borrows, how many borrows of exactly
    /// that region there are. Searched from end to end, which at this
    /// size beats a tree lookup.
    few: Vec<Single>,
    /// Every outstanding mut borrow, `start -> end`; disjoint.
    exclusive: BTreeMap<u64, u64>,
    /// The union of the shared borrows as counted segments.
    shared: Segments,
    /// How many entries of `few` are mut borrows, exactly: the spans rely
    /// on it (one too few would empty the mut span, one too many the shared
    /// span, while such a borrow is listed).
    few_mut: usize,
    /// Covers every mut borrow in `few` and `exclusive`.
    mut_span: Span,
    /// Covers every shared borrow in `few` and `shared`.
    shared_span: Span,
}

impl More {
    /// [`Maps::allows`](super::Maps::allows) over these records alone, for
    /// a region that is not empty; the tree searches, out of line.
    #[inline(never)]
    pub(super) fn allows<T>(&self, r: Region, write: bool, yes: impl FnOnce() -> T) -> Option<T> {
        (!(self.mut_overlaps(r) || write && self.shared_overlaps(r))).then(yes)
    }

    /// Whether `[start, end)` meets the span of the mut borrows here, or,
    /// if `write`, that of the shared ones: if not, an access there (a
    /// write if `write`) conflicts with nothing here, with no search.
    #[inline(always)]
    pub(super) fn spans_meet(&self, start: u64, end: u64, write: bool) -> bool {
        self.mut_span.overlaps(start, end) || write && self.shared_span.overlaps(start, end)
    }

    #[inline]
    pub(super) fn is_empty(&self) -> bool {
        self.few.is_empty() && self.exclusive.is_empty() && self.shared.is_empty()
    }

    /// The small list.
    pub(super) fn listed(&self) -> &[Single] {
        &self.few
    }

    /// How many mut borrows and how many shared segments the trees hold.
    pub(super) fn tree_counts(&self) -> (usize, usize) {
        (self.exclusive.len(), self.shared.len())
    }

    /// One region held in the trees, as `(start, end)`, if any.
    pub(super) fn first_in_trees(&self) -> Option<(u64, u64)> {
        let mut_borrow = self.exclusive.first_key_value().map(|(&s, &e)| (s, e));
        mut_borrow.or_else(|| self.shared.first())
    }

    /// The shared tree's own segments, exactly as stored.
    #[cfg(test)]
    pub(super) fn tree_segments(&self) -> Vec<(u64, u64, u64)> {
        self.shared.iter().collect()
    }

    #[inline]
    pub(super) fn mut_overlaps(&self, r: Region) -> bool {
        if !self.mut_span.overlaps(u64::from(r.start), r.end()) {
            return false;
        }
        if self.few.iter().any(|s| s.shared == 0 && s.overlaps(r)) {
            return true;
        }
        if self.exclusive.is_empty() {
            return false;
        }
        match self.exclusive.range(..r.end()).next_back() {
            Some((_, &end)) => end > u64::from(r.start),
            None => false,
        }
    }

    #[inline]
    pub(super) fn shared_overlaps(&self, r: Region) -> bool {
        if !self.shared_span.overlaps(u64::from(r.start), r.end()) {
            return false;
        }
        if self.few.iter().any(|s| s.shared > 0 && s.overlaps(r)) {
            return true;
        }
        self.shared.overlaps(u64::from(r.start), r.end())
    }

    /// Records `entry` in the list or the trees, wherever the records
    /// are now; a full list moves to the trees first.
    pub(super) fn add(&mut self, entry: Single) {
        // A shared borrow of exactly this region can be listed only if
        // the region overlaps the shared span as it is before `entry`.
        let may_repeat = entry.shared > 0 && self.shared_span.overlaps(entry.start, entry.end);
        // Covered first: wherever the entry ends up, and even if that
        // panics part-way, the span covers it.
        if entry.shared == 0 {
            self.mut_span.cover(&entry);
        } else {
            self.shared_span.cover(&entry);
        }
        if !self.exclusive.is_empty() || !self.shared.is_empty() {
            self.add_to_trees(entry);
            return;
        }
        if may_repeat
            && let Some(s) = self
                .few
                .iter_mut()
                .find(|s| s.shared > 0 && s.is_span(&entry))
        {
            s.shared += entry.shared;
            return;
        }
        if self.few.len() < FEW {
            // Counted once listed: a push that panics (its allocation
            // failed) has listed nothing, and a count one too high would
            // read as "no shared borrow listed" and empty the shared span.
            push(&mut self.few, entry, FEW);
            self.few_mut += usize::from(entry.shared == 0);
            return;
        }
        // The list is full: everything moves to the trees, copied before
        // the list is cleared.
        for i in 0..self.few.len() {
            let listed = self.few[i];
            self.add_to_trees(listed);
        }
        self.few.clear();
        self.few_mut = 0;
        self.add_to_trees(entry);
    }

    fn add_to_trees(&mut self, entry: Single) {
        if entry.shared == 0 {
            insert(&mut self.exclusive, entry.start, entry.end);
        } else {
            self.shared.add(entry.start, entry.end, entry.shared);
        }
    }

    /// Takes one borrow of exactly `r` off the list; whether it was
    /// there.
    fn remove_listed(&mut self, r: Region, shared: bool) -> bool {
        // From the end: views are usually released newest first.
        let Some(i) = self
            .few
            .iter()
            .rposition(|s| s.is(r) && (s.shared > 0) == shared)
        else {
            return false;
        };
        if shared && self.few[i].shared > 1 {
            self.few[i].shared -= 1;
        } else {
            let gone = self.few.swap_remove(i);
            self.few_mut -= usize::from(gone.shared == 0);
        }
        true
    }

    pub(super) fn remove_mut(&mut self, r: Region) {
        if !self.remove_listed(r, false) {
            let end = self.exclusive.remove(&u64::from(r.start));
            debug_assert_eq!(end, Some(r.end()), "released a mut borrow never recorded");
        }
        self.shrink_spans();
    }

    /// Takes one from the cover count over `r`.
    pub(super) fn remove_shared(&mut self, r: Region) {
        if !self.remove_listed(r, true) {
            self.shared.remove_one(u64::from(r.start), r.end());
        }
        self.shrink_spans();
    }

    /// Empties the span of each kind of which nothing is recorded here
    /// any more.
    #[inline]
    fn shrink_spans(&mut self) {
        if self.few_mut == 0 && self.exclusive.is_empty() {
            self.mut_span = Span::default();
        }
        if self.few.len() == self.few_mut && self.shared.is_empty() {
            self.shared_span = Span::default();
        }
    }
}
