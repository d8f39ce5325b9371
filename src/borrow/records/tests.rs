//! Tests of the records, driven through the tracker: the shared segments
//! against byte-by-byte coverage counts, the direct-access answers against
//! the queries, and injected allocation failures against lost borrows.

use alloc::vec::Vec;

use super::{Maps, Single};
use crate::borrow::BorrowTracker;
use crate::{BorrowHandle, Region};

impl Maps {
    /// The shared borrows as canonical `(start, end, count)` segments.
    fn segments(&self) -> Vec<(u64, u64, u64)> {
        // The coverage counts, whichever structure holds them, as
        // canonical segments: exact over the listed borrows and the tree
        // segments, merged where touching counts agree.
        let listed: Vec<Single> = self.listed().filter(|s| s.shared > 0).collect();
        let tree = self.tree_segments();
        let mut points: Vec<u64> = Vec::new();
        for s in &listed {
            points.extend([s.start, s.end]);
        }
        for &(s, e, _) in &tree {
            points.extend([s, e]);
        }
        points.sort_unstable();
        points.dedup();
        let mut out: Vec<(u64, u64, u64)> = Vec::new();
        for w in points.windows(2) {
            let (a, b) = (w[0], w[1]);
            let c: u64 = listed
                .iter()
                .filter(|s| s.start <= a && b <= s.end)
                .map(|s| s.shared)
                .chain(tree.iter().filter(|t| t.0 <= a && b <= t.1).map(|t| t.2))
                .sum();
            if c == 0 {
                continue;
            }
            match out.last_mut() {
                Some(last) if last.1 == a && last.2 == c => last.1 = b,
                _ => out.push((a, b, c)),
            }
        }
        out
    }

    /// The tree's own segments, exactly as stored.
    fn tree_segments(&self) -> Vec<(u64, u64, u64)> {
        self.more
            .as_ref()
            .map_or_else(Vec::new, |m| m.tree_segments())
    }
}

/// A repeatable pseudo-random source: each call gives a number below
/// its argument.
fn xorshift(mut x: u64) -> impl FnMut(u64) -> u64 {
    move |n| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % n
    }
}

fn segments(t: &BorrowTracker) -> Vec<(u64, u64, u64)> {
    t.with_maps(|m| m.segments()).unwrap()
}

#[test]
fn shared_segments_stay_canonical() {
    let t = BorrowTracker::new();
    let a = t.shared_borrow(Region::new(0, 10)).unwrap();
    let b = t.shared_borrow(Region::new(5, 10)).unwrap();
    assert_eq!(segments(&t), [(0, 5, 1), (5, 10, 2), (10, 15, 1)]);
    let c = t.shared_borrow(Region::new(0, 5)).unwrap();
    assert_eq!(segments(&t), [(0, 10, 2), (10, 15, 1)]);
    t.shared_unborrow(a);
    assert_eq!(segments(&t), [(0, 15, 1)]);
    t.shared_unborrow(c);
    t.shared_unborrow(b);
    assert!(segments(&t).is_empty());
    assert!(!t.has_outstanding_borrows());
}

#[test]
fn shared_segments_are_exactly_the_coverage_counts() {
    // Byte-by-byte coverage counts over a small space, against the
    // segments, after every operation: counts agree and touching
    // segments never have equal counts.
    let t = BorrowTracker::new();
    let mut live: Vec<(Region, BorrowHandle)> = Vec::new();
    let mut next = xorshift(0x2545_f491_4f6c_dd1du64);
    let steps = if cfg!(miri) { 300 } else { 20_000 };
    let mut trees_seen = false;
    for step in 0..steps {
        // Up to 40 borrows live at once over 64 bytes: regions often touch
        // without overlapping, which is where merging matters, and the
        // records move between the slot, the list and the trees.
        // Phases of mostly taking and mostly releasing, so even Miri's
        // short run reaches the trees and comes back.
        let taking = step % 200 < 100;
        if live.is_empty() || (live.len() < 40 && (next(4) == 0) != taking) {
            let r = Region::new(next(52) as u32, next(12) as u32);
            live.push((r, t.shared_borrow(r).unwrap()));
        } else {
            let i = next(live.len() as u64) as usize;
            t.shared_unborrow(live.swap_remove(i).1);
        }
        let tree = t.with_maps(|m| m.tree_segments()).unwrap();
        trees_seen |= !tree.is_empty();
        for w in tree.windows(2) {
            let ((_, pe, pc), (s, _, c)) = (w[0], w[1]);
            assert!(
                pe <= s && !(pe == s && pc == c),
                "tree not canonical: {tree:?}"
            );
        }
        let mut want = [0u64; 64];
        for (r, _) in &live {
            for b in r.start..r.start + r.len {
                want[b as usize] += 1;
            }
        }
        let mut got = [0u64; 64];
        let segs = segments(&t);
        for (i, &(s, e, c)) in segs.iter().enumerate() {
            assert!(c > 0 && s < e);
            if i > 0 {
                let (_, pe, pc) = segs[i - 1];
                assert!(pe <= s && !(pe == s && pc == c), "not canonical: {segs:?}");
            }
            for b in s..e {
                got[b as usize] = c;
            }
        }
        assert_eq!(got, want, "{segs:?}");
    }
    for (_, h) in live {
        t.shared_unborrow(h);
    }
    assert!(!t.has_outstanding_borrows());
    assert!(trees_seen, "never reached the trees");
}

#[cfg(feature = "std")]
#[test]
fn direct_answers_are_exactly_the_queries() {
    // On the owner thread `allows_here` grants exactly the accesses the
    // queries find no conflict for — a read under shared borrows
    // included, in the slot or beyond it — and never refuses one it
    // could grant.
    let t = BorrowTracker::new_thread_bound();
    let mut live: Vec<(Region, bool, BorrowHandle)> = Vec::new();
    let mut next = xorshift(0x7b1d_3a5c_9e0f_2468u64);
    let steps = if cfg!(miri) { 120 } else { 3_000 };
    let (mut granted_under_shared, mut refused) = (false, false);
    for step in 0..steps {
        let taking = step % 120 < 60;
        if live.is_empty() || (live.len() < 30 && (next(4) == 0) != taking) {
            let r = Region::new(next(52) as u32, next(12) as u32);
            let mutable = next(3) == 0;
            let h = if mutable {
                t.mut_borrow(r)
            } else {
                t.shared_borrow(r)
            };
            if let Ok(h) = h {
                live.push((r, mutable, h));
            }
        } else {
            let (_, mutable, h) = live.swap_remove(next(live.len() as u64) as usize);
            if mutable {
                t.mut_unborrow(h)
            } else {
                t.shared_unborrow(h)
            }
        }
        let r = Region::new(next(60) as u32, next(6) as u32);
        for write in [false, true] {
            let want = !(t.is_mut_borrowed(r) || write && t.is_shared_borrowed(r));
            assert_eq!(
                t.allows_here(r, write, || ()).is_some(),
                want,
                "{r:?} write {write}"
            );
            granted_under_shared |= want && !write && t.is_shared_borrowed(r);
            refused |= !want;
        }
    }
    assert!(
        granted_under_shared && refused,
        "the cases of interest never arose"
    );
    for (_, mutable, h) in live {
        if mutable {
            t.mut_unborrow(h)
        } else {
            t.shared_unborrow(h)
        }
    }
}

#[test]
fn a_panicking_insert_never_forgets_a_borrow() {
    // Many borrows, mostly shared: the records reach the trees.
    panicking_inserts_never_forget_a_borrow(BorrowTracker::new, 40, 4);
    // Few borrows, half of them mut: the records stay in the small list.
    panicking_inserts_never_forget_a_borrow(BorrowTracker::new, 12, 2);
}

#[cfg(feature = "std")]
#[test]
fn a_panicking_insert_never_forgets_a_borrow_thread_bound() {
    panicking_inserts_never_forget_a_borrow(BorrowTracker::new_thread_bound, 40, 4);
    panicking_inserts_never_forget_a_borrow(BorrowTracker::new_thread_bound, 12, 2);
}

/// Random borrows over a small space, each operation with a chance that one
/// of its allocations panics (as an allocation failure does with a
/// panicking allocation error hook). A borrow whose call panicked was never
/// granted; a release whose call panicked may leave its borrow recorded (a
/// leak). What must never happen is a granted, unreleased borrow that the
/// tracker no longer enforces: after every step, every query — the records'
/// shared segments, `is_mut_borrowed`, `is_shared_borrowed`, the borrows
/// themselves and, on a thread-bound tracker, direct access — must still
/// see every live borrow, byte by byte.
/// At most `max_live` borrows live at once; one in `mut_one_in` is mut.
fn panicking_inserts_never_forget_a_borrow(
    make: fn() -> BorrowTracker,
    max_live: usize,
    mut_one_in: u64,
) {
    use std::panic::{AssertUnwindSafe, catch_unwind};

    let t = make();
    let mut live: Vec<(Region, bool, BorrowHandle)> = Vec::new();
    let mut next = xorshift(0x9e37_79b9_7f4a_7c15u64);
    let mut injected = 0;
    // Under Miri, which adds little to these checks of safe code, few steps:
    // each checks every query for every byte.
    let steps = if cfg!(miri) { 60 } else { 20_000 };
    for step in 0..steps {
        super::fail_point::arm((next(3) == 0).then(|| next(3) as u32));
        let taking = step % 200 < 100;
        if live.is_empty() || (live.len() < max_live && (next(4) == 0) != taking) {
            let r = Region::new(next(56) as u32, 1 + next(8) as u32);
            let is_mut = next(mut_one_in) == 0;
            let got = catch_unwind(AssertUnwindSafe(|| {
                if is_mut {
                    t.mut_borrow(r)
                } else {
                    t.shared_borrow(r)
                }
            }));
            match got {
                Ok(Ok(h)) => live.push((r, is_mut, h)),
                Ok(Err(_)) => {}
                Err(_) => injected += 1,
            }
        } else {
            let (_, is_mut, h) = live.swap_remove(next(live.len() as u64) as usize);
            let released = catch_unwind(AssertUnwindSafe(|| {
                if is_mut {
                    t.mut_unborrow(h)
                } else {
                    t.shared_unborrow(h)
                }
            }));
            injected += usize::from(released.is_err());
        }
        super::fail_point::arm(None);
        enforces_every_live_borrow(&t, &live);
    }
    assert!(
        injected > 0,
        "no allocation ever failed: the test tests nothing"
    );
}

/// Every query of `t` sees each borrow in `live` (it may see more: leaks).
fn enforces_every_live_borrow(t: &BorrowTracker, live: &[(Region, bool, BorrowHandle)]) {
    let mut shared = [0u64; 64];
    let mut is_mut = [false; 64];
    for (r, m, _) in live {
        for b in r.start..r.start + r.len {
            if *m {
                is_mut[b as usize] = true;
            } else {
                shared[b as usize] += 1;
            }
        }
    }
    let mut recorded = [0u64; 64];
    for (s, e, c) in segments(t) {
        for b in s..e {
            recorded[b as usize] = c;
        }
    }
    for b in 0..64u32 {
        let (i, byte) = (b as usize, Region::new(b, 1));
        let around = Region::new(b.saturating_sub(2), 5);
        if is_mut[i] {
            assert!(t.is_mut_borrowed(byte), "lost mut borrow of byte {b}");
            assert!(t.is_mut_borrowed(around), "lost mut borrow of byte {b}");
            assert!(t.shared_borrow(byte).is_err(), "byte {b} lent twice");
            assert!(t.allows_here(byte, false, || ()).is_none(), "byte {b}");
        }
        if shared[i] > 0 {
            assert!(recorded[i] >= shared[i], "lost a shared borrow of byte {b}");
            assert!(
                t.is_shared_borrowed(byte),
                "lost a shared borrow of byte {b}"
            );
            assert!(
                t.is_shared_borrowed(around),
                "lost a shared borrow of byte {b}"
            );
            assert!(
                t.mut_borrow(byte).is_err(),
                "byte {b} lent mutably while shared"
            );
            assert!(t.allows_here(byte, true, || ()).is_none(), "byte {b}");
        }
    }
}

/// The finding of the third review, step by step: the first push onto the
/// small list fails after its mut borrow was counted, and later the shared
/// borrows beyond the slot were forgotten.
#[test]
fn a_failed_first_push_onto_the_list_forgets_no_shared_borrow() {
    use std::panic::{AssertUnwindSafe, catch_unwind};

    let t = BorrowTracker::new();
    let a = t.mut_borrow(Region::new(0, 4)).unwrap();
    // The second borrow moves `a` from the slot to the list: the records
    // beyond the slot are allocated (0), then the list (1), which fails.
    super::fail_point::arm(Some(1));
    let failed = catch_unwind(AssertUnwindSafe(|| t.mut_borrow(Region::new(8, 4))));
    super::fail_point::arm(None);
    assert!(failed.is_err(), "the injected failure did not happen");
    let s = t.shared_borrow(Region::new(16, 4)).unwrap();
    let s2 = t.shared_borrow(Region::new(32, 4)).unwrap();
    t.mut_unborrow(a);
    assert!(t.is_shared_borrowed(Region::new(16, 4)));
    assert!(t.mut_borrow(Region::new(16, 4)).is_err());
    t.shared_unborrow(s);
    t.shared_unborrow(s2);
    assert!(!t.has_outstanding_borrows());
}

#[test]
fn short_borrows_inside_a_long_one_leave_no_splits() {
    let t = BorrowTracker::new();
    let long = t.shared_borrow(Region::new(0, 1000)).unwrap();
    for i in 0..100 {
        let h = t.shared_borrow(Region::new(i * 7, 3)).unwrap();
        t.shared_unborrow(h);
    }
    assert_eq!(segments(&t), [(0, 1000, 1)]);
    t.shared_unborrow(long);
}
