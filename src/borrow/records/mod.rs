//! The borrow records themselves, without locking or threads: [`Maps`], the
//! one interface the tracker uses.
//!
//! Where the borrows are: the [`slot`] holds the newest borrowed region;
//! the others are in [`More`] (allocated the first time a second borrow
//! arrives, and kept): a small list while there are few, the trees beyond
//! (mut borrows `start -> end`; shared ones as counted [`segments`]), each
//! kind under a [`span`] that lets an access outside it skip the search.
//! Every allocation goes through [`allocs`], where tests inject failures.
//!
//! Promises, for every method: the queries answer exactly for the borrows
//! recorded (`mut_overlaps`, `shared_overlaps`, `allows`); a borrow added
//! stays recorded until removed; a panic part-way through an update (an
//! allocation failure) leaves every borrow granted before it recorded. The
//! callers check conflicts before adding, and remove only what they added.
//! Every method is `O(log n)` plus the shared segments walked.

mod allocs;
mod more;
mod segments;
mod slot;
mod span;

#[cfg(test)]
mod tests;

use alloc::boxed::Box;
#[cfg(test)]
pub(super) use allocs::fail_point;

use more::More;
use slot::{Single, Slot};

use crate::Region;

/// The slot and [`More`]. The slot keeps the tracker small — a memory made
/// per host call moves and drops a few words, never two trees — and makes
/// the usual pattern cheap however much else is held: a view taken and
/// dropped goes into the free slot and out of it again, and the borrows
/// held meanwhile stay where they are.
///
/// Invariant: the slot may be empty while `More` is not, and may hold the
/// same shared region as an entry of `More`; each records its own borrows.
#[derive(Default)]
pub(super) struct Maps {
    single: Slot,
    more: Option<Box<More>>,
}

// A memory made per host call drops its records once per call, nearly
// always with nothing beyond the slot: that test inline, the rest out of
// line, so the drop glue of every memory inlines into the caller.
impl Drop for Maps {
    #[inline]
    fn drop(&mut self) {
        if let Some(more) = self.more.take() {
            drop_more(more);
        }
    }
}

/// Frees the list and trees beyond the slot.
#[cold]
#[inline(never)]
fn drop_more(more: Box<More>) {
    drop(more);
}

impl Maps {
    /// Whether nothing was ever recorded beyond the slot and the slot is
    /// empty: one test of two words (the slot's count, the address of
    /// `More`). `false` says nothing.
    #[inline(always)]
    pub(super) fn holds_nothing(&self) -> bool {
        let more = self
            .more
            .as_deref()
            .map_or(0, |m| core::ptr::from_ref(m).addr());
        self.single.count | more as u64 == 0
    }

    #[inline]
    pub(super) fn is_empty(&self) -> bool {
        self.single.count == 0 && self.more.as_ref().is_none_or(|m| m.is_empty())
    }

    /// `Some(yes())` if an access of `r` (a write if `write`) conflicts
    /// with no borrow; `None` if it does.
    ///
    /// The slot and the spans are checked inline; only a region that
    /// meets the slot's borrow or a span goes on to a search, out of line
    /// and as the last call, so that the usual answer saves no
    /// registers.
    #[inline(always)]
    pub(super) fn allows<T>(&self, r: Region, write: bool, yes: impl FnOnce() -> T) -> Option<T> {
        // Inline, only "taken, and overlapping?" is asked of the slot
        // (two instructions on the usual answer); whether the overlap
        // conflicts — a write, or a mut borrow — is settled out of line.
        let (start, end) = (u64::from(r.start), r.end());
        let meets_slot = self.single.get().is_some_and(|s| s.overlaps(r));
        if !meets_slot {
            let Some(m) = &self.more else {
                return Some(yes());
            };
            if !m.spans_meet(start, end, write) {
                return Some(yes());
            }
        }
        self.allows_searching(r, write, yes)
    }

    /// [`allows`](Self::allows) once the inline checks could not answer,
    /// answered as the queries answer: a read under shared borrows only,
    /// or an empty region, is allowed.
    #[cold]
    #[inline(never)]
    fn allows_searching<T>(&self, r: Region, write: bool, yes: impl FnOnce() -> T) -> Option<T> {
        if r.is_empty() {
            return Some(yes());
        }
        if let Some(s) = self.single.get()
            && s.overlaps(r)
            && (write || s.shared == 0)
        {
            return None;
        }
        match &self.more {
            None => Some(yes()),
            Some(m) => m.allows(r, write, yes),
        }
    }

    /// The single slot and the small list, as one list.
    fn listed(&self) -> impl Iterator<Item = Single> {
        let few = self.more.as_ref().map_or(&[][..], |m| m.listed());
        self.single.get().into_iter().chain(few.iter().copied())
    }

    pub(super) fn mut_count(&self) -> usize {
        let trees = self.more.as_ref().map_or(0, |m| m.tree_counts().0);
        trees + self.listed().filter(|s| s.shared == 0).count()
    }

    pub(super) fn shared_segment_count(&self) -> usize {
        let trees = self.more.as_ref().map_or(0, |m| m.tree_counts().1);
        trees + self.listed().filter(|s| s.shared > 0).count()
    }

    pub(super) fn any(&self) -> Option<Region> {
        if let Some(s) = self.listed().next() {
            return Some(region(s.start, s.end));
        }
        let (s, e) = self.more.as_ref()?.first_in_trees()?;
        Some(region(s, e))
    }

    // The queries look everywhere: the slot, then `More`, whose spans
    // answer for the list and the trees at once when `r` lies outside
    // every borrow recorded there.

    #[inline]
    pub(super) fn mut_overlaps(&self, r: Region) -> bool {
        if r.is_empty() {
            return false;
        }
        if let Some(s) = self.single.get()
            && s.shared == 0
            && s.overlaps(r)
        {
            return true;
        }
        self.more.as_ref().is_some_and(|m| m.mut_overlaps(r))
    }

    #[inline]
    pub(super) fn shared_overlaps(&self, r: Region) -> bool {
        if r.is_empty() {
            return false;
        }
        if let Some(s) = self.single.get()
            && s.shared > 0
            && s.overlaps(r)
        {
            return true;
        }
        self.more.as_ref().is_some_and(|m| m.shared_overlaps(r))
    }

    /// Records a borrow of `r` the caller has checked: mut if `shared`
    /// is 0, else `shared` shared borrows.
    #[inline]
    fn add(&mut self, r: Region, shared: u64) {
        if self.single.count == 0 {
            self.single = Slot::of(r, shared);
            return;
        }
        // The region travels as a `Region` (one register), not as a
        // `Single` built here: that would go through the stack.
        self.add_to_more(r, shared);
    }

    /// [`add`](Self::add) when the slot is taken: the new borrow takes
    /// the slot, and what held it moves to `More`, copied before the slot
    /// is overwritten, so a panicking allocation leaves every granted
    /// borrow recorded (the new one is not granted then).
    #[inline(never)]
    fn add_to_more(&mut self, r: Region, shared: u64) {
        let entry = Single::of(r, shared);
        match self.single.get() {
            Some(s) if s.shared > 0 && shared > 0 && s.is_span(&entry) => {
                self.single.count += shared;
            }
            Some(moved) => {
                self.more.get_or_insert_with(allocs::boxed).add(moved);
                self.single = Slot::of(r, shared);
            }
            None => self.single = Slot::of(r, shared),
        }
    }

    /// Records a mut borrow; the caller has checked it overlaps nothing.
    #[inline]
    pub(super) fn add_mut(&mut self, r: Region) {
        if !r.is_empty() {
            self.add(r, 0);
        }
    }

    /// Adds one to the cover count over `r`; the caller has checked that
    /// no mut borrow overlaps it.
    #[inline]
    pub(super) fn add_shared(&mut self, r: Region) {
        if !r.is_empty() {
            self.add(r, 1);
        }
    }

    /// Records a borrow of `r` (mut if `shared` is 0, else `shared`
    /// shared borrows) in the empty slot when no search is needed to
    /// grant it: `r` is not empty and lies outside the spans of the
    /// borrows beyond the slot that it could conflict with. Whether it
    /// did; if not, nothing changed.
    #[inline(always)]
    pub(super) fn try_add_alone(&mut self, r: Region, shared: u64) -> bool {
        if r.is_empty() {
            return false;
        }
        // Nothing recorded at all, the usual case, answers in one test.
        if !self.holds_nothing() {
            if self.single.count != 0 {
                return false;
            }
            if let Some(m) = &self.more
                && m.spans_meet(u64::from(r.start), r.end(), shared == 0)
            {
                return false;
            }
        }
        self.single = Slot::of(r, shared);
        true
    }

    /// Empties the slot if it holds exactly one borrow of `r` of this
    /// kind (`shared` as for [`try_add_alone`](Self::try_add_alone), 1 for
    /// a shared borrow); whether it did.
    #[inline(always)]
    pub(super) fn try_remove_alone(&mut self, r: Region, shared: u64) -> bool {
        if self.single == Slot::of(r, shared) {
            self.single.count = 0;
            return true;
        }
        false
    }

    /// Takes one borrow of exactly `r` off the single slot; whether it
    /// was there. An emptied slot stays empty until the next borrow
    /// (nothing moves back from `More`).
    #[inline]
    fn remove_single(&mut self, r: Region, shared: bool) -> bool {
        match self.single.get() {
            Some(s) if s.is(r) && (s.shared > 0) == shared => {
                if shared && s.shared > 1 {
                    self.single.count -= 1;
                } else {
                    self.single.count = 0;
                }
                true
            }
            _ => false,
        }
    }

    #[inline]
    pub(super) fn remove_mut(&mut self, r: Region) {
        if r.is_empty() || self.remove_single(r, false) {
            return;
        }
        match &mut self.more {
            Some(m) => m.remove_mut(r),
            None => debug_assert!(false, "released a mut borrow never recorded"),
        }
    }

    /// Takes one from the cover count over `r`.
    #[inline]
    pub(super) fn remove_shared(&mut self, r: Region) {
        if r.is_empty() || self.remove_single(r, true) {
            return;
        }
        match &mut self.more {
            Some(m) => m.remove_shared(r),
            None => debug_assert!(false, "released a shared borrow never recorded"),
        }
    }
}

/// A region from map bounds, which always came from a `Region`.
fn region(start: u64, end: u64) -> Region {
    let start32 = u32::try_from(start).unwrap_or(u32::MAX);
    let len = u32::try_from(end - start).unwrap_or(u32::MAX);
    Region::new(start32, len)
}
