//! [`Segments`]: the union of many shared borrows, as disjoint segments
//! each carrying how many shared borrows cover it.
//!
//! Promises: the segments are canonical — disjoint, none with count 0, and
//! touching segments always have different counts (they are merged
//! otherwise) — so they are a function of the live borrows alone and number
//! at most twice the live shared borrows. A panicking insert part-way
//! through an update leaves every byte covered at least as often as before
//! (never less: see [`allocs`](super::allocs)).

use alloc::collections::BTreeMap;

use super::allocs::insert;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Segment {
    end: u64,
    count: u64,
}

/// Shared borrows' cover counts, keyed by each segment's start.
#[derive(Default)]
pub(super) struct Segments(BTreeMap<u64, Segment>);

impl Segments {
    #[inline]
    pub(super) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(super) fn len(&self) -> usize {
        self.0.len()
    }

    /// The first segment, as `(start, end)`.
    pub(super) fn first(&self) -> Option<(u64, u64)> {
        self.0.first_key_value().map(|(&s, seg)| (s, seg.end))
    }

    /// Every segment as `(start, end, count)`, in order.
    #[cfg(test)]
    pub(super) fn iter(&self) -> impl Iterator<Item = (u64, u64, u64)> + '_ {
        self.0.iter().map(|(&s, seg)| (s, seg.end, seg.count))
    }

    /// Whether any segment overlaps `[s, e)` (`s < e`).
    #[inline]
    pub(super) fn overlaps(&self, s: u64, e: u64) -> bool {
        if self.0.is_empty() {
            return false;
        }
        match self.0.range(..e).next_back() {
            Some((_, seg)) => seg.end > s,
            None => false,
        }
    }

    /// Adds `count` to the cover count over `[s, e)`.
    pub(super) fn add(&mut self, s: u64, e: u64, count: u64) {
        if !self.overlaps(s, e) && !self.touches_count(s, e, count) {
            // The common case: a new segment of its own, nothing to
            // split, nothing to merge.
            insert(&mut self.0, s, Segment { end: e, count });
            return;
        }
        self.split_at(s);
        self.split_at(e);
        let mut cursor = s;
        while cursor < e {
            let next = self.0.range_mut(cursor..e).next();
            match next {
                Some((&start, seg)) if start == cursor => {
                    seg.count += count;
                    cursor = seg.end;
                }
                Some((&start, _)) => {
                    let seg = Segment { end: start, count };
                    insert(&mut self.0, cursor, seg);
                    cursor = start;
                }
                None => {
                    insert(&mut self.0, cursor, Segment { end: e, count });
                    cursor = e;
                }
            }
        }
        self.merge_at(s);
        self.merge_at(e);
    }

    /// Takes one from the cover count over `[s, e)`, dropping segments at
    /// zero. The caller has recorded a shared borrow of exactly `[s, e)`.
    pub(super) fn remove_one(&mut self, s: u64, e: u64) {
        if self.0.get(&s) == Some(&Segment { end: e, count: 1 }) {
            // The common case: the borrow's own segment. Its touching
            // neighbours have other counts, so nothing needs merging.
            self.0.remove(&s);
            return;
        }
        self.split_at(s);
        self.split_at(e);
        let mut cursor = s;
        while cursor < e {
            let Some((&start, seg)) = self.0.range_mut(cursor..e).next() else {
                debug_assert!(false, "released a shared borrow never recorded");
                break;
            };
            debug_assert_eq!(start, cursor, "released a shared borrow never recorded");
            cursor = seg.end;
            seg.count -= 1;
            if seg.count == 0 {
                self.0.remove(&start);
            }
        }
        self.merge_at(s);
        self.merge_at(e);
    }

    /// Whether a segment with count `count` ends at `s` or starts at `e`:
    /// a new segment `[s, e)` of that count would have to merge with it.
    fn touches_count(&self, s: u64, e: u64, count: u64) -> bool {
        let left = self
            .0
            .range(..s)
            .next_back()
            .is_some_and(|(_, seg)| seg.end == s && seg.count == count);
        left || self.0.get(&e).is_some_and(|seg| seg.count == count)
    }

    /// Makes `p` a segment boundary if it falls strictly inside one.
    ///
    /// The tail is inserted before the head is cut short, so a panicking
    /// insert leaves the coverage as it was.
    fn split_at(&mut self, p: u64) {
        let Some((_, &seg)) = self.0.range(..p).next_back() else {
            return;
        };
        if seg.end > p {
            insert(&mut self.0, p, seg);
            if let Some((_, head)) = self.0.range_mut(..p).next_back() {
                head.end = p;
            }
        }
    }

    /// Joins the segments ending and starting at `p` if their counts match.
    fn merge_at(&mut self, p: u64) {
        let Some(right) = self.0.get(&p).copied() else {
            return;
        };
        if let Some((_, left)) = self.0.range_mut(..p).next_back()
            && left.end == p
            && left.count == right.count
        {
            left.end = right.end;
            self.0.remove(&p);
        }
    }
}
