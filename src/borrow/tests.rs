//! Tests of the tracker's own promises: handles, zero-length regions,
//! the top of the address space.

use super::BorrowTracker;
use crate::Region;

#[test]
fn zero_length_regions_conflict_with_nothing() {
    let t = BorrowTracker::new();
    let m = t.mut_borrow(Region::new(0, 16)).unwrap();
    let z1 = t.mut_borrow(Region::new(4, 0)).unwrap();
    let z2 = t.shared_borrow(Region::new(4, 0)).unwrap();
    assert!(!t.is_mut_borrowed(Region::new(4, 0)));
    t.mut_unborrow(z1);
    t.shared_unborrow(z2);
    t.mut_unborrow(m);
    assert!(!t.has_outstanding_borrows());
}

#[test]
fn regions_at_the_top_of_the_address_space() {
    let t = BorrowTracker::new();
    let a = t.mut_borrow(Region::new(u32::MAX, u32::MAX)).unwrap();
    assert!(t.is_mut_borrowed(Region::new(u32::MAX, 1)));
    assert!(!t.is_mut_borrowed(Region::new(u32::MAX - 1, 1)));
    assert!(t.shared_borrow(Region::new(u32::MAX - 1, 2)).is_err());
    t.mut_unborrow(a);
}

#[test]
#[should_panic(expected = "issued by another tracker")]
fn a_handle_from_another_tracker_is_refused() {
    let t1 = BorrowTracker::new();
    let t2 = BorrowTracker::new();
    let _mine = t2.mut_borrow(Region::new(0, 4)).unwrap();
    let theirs = t1.mut_borrow(Region::new(0, 4)).unwrap();
    t2.mut_unborrow(theirs);
}

/// A tracker takes its identity at its first borrow; one that never
/// borrowed still refuses another tracker's handle, of either kind.
#[test]
fn a_tracker_that_never_borrowed_refuses_other_handles() {
    for kind in [0, 1] {
        let result = std::panic::catch_unwind(|| {
            let t1 = BorrowTracker::new();
            let t2 = BorrowTracker::new();
            if kind == 0 {
                t2.shared_unborrow(t1.shared_borrow(Region::new(0, 4)).unwrap());
            } else {
                t2.mut_unborrow(t1.mut_borrow(Region::new(0, 4)).unwrap());
            }
        });
        let message = *result.unwrap_err().downcast::<String>().unwrap();
        assert!(message.contains("issued by another tracker"), "{message}");
    }
    // And two trackers' first borrows give them different identities.
    let (t1, t2) = (BorrowTracker::new(), BorrowTracker::new());
    let (h1, h2) = (
        t1.mut_borrow(Region::new(0, 4)).unwrap(),
        t2.mut_borrow(Region::new(0, 4)).unwrap(),
    );
    assert_ne!(h1.raw(), h2.raw());
    t1.mut_unborrow(h1);
    t2.mut_unborrow(h2);
}

#[test]
#[should_panic(expected = "given to mut_unborrow")]
fn a_shared_handle_cannot_end_a_mut_borrow() {
    let t = BorrowTracker::new();
    let s = t.shared_borrow(Region::new(0, 4)).unwrap();
    t.mut_unborrow(s);
}

#[test]
fn any_borrowed_names_a_live_borrow() {
    let mut t = BorrowTracker::new();
    assert_eq!(t.any_borrowed(), None);
    let h = t.shared_borrow(Region::new(8, 4)).unwrap();
    assert_eq!(t.any_borrowed(), Some(Region::new(8, 4)));
    t.shared_unborrow(h);
}

#[cfg(feature = "std")]
#[test]
fn debug_says_when_the_records_are_out_of_reach() {
    let t = BorrowTracker::new_thread_bound();
    let h = t.shared_borrow(Region::new(0, 4)).unwrap();
    assert!(format!("{t:?}").contains("shared_segments: 1"), "{t:?}");
    std::thread::scope(|s| {
        s.spawn(|| {
            let there = format!("{t:?}");
            assert!(there.contains("bound_to_another_thread"), "{there}");
        });
    });
    t.shared_unborrow(h);
}

/// A bound tracker answers "nothing borrowed, and this is my thread" from
/// one word (`free`): cleared by every borrow, set again by the release
/// that empties the records, whichever of their parts it empties, and
/// never anyone's on another thread or on a tracker for any thread.
#[cfg(feature = "std")]
#[test]
fn the_quick_answer_is_given_exactly_while_nothing_is_borrowed() {
    let t = BorrowTracker::new_thread_bound();
    let (r, elsewhere) = (Region::new(0, 8), Region::new(16, 8));
    // An access between the steps changes nothing of it.
    let quick = |t: &BorrowTracker| {
        let _ = t.allows_here(Region::new(100, 4), true, || ());
        t.is_quick_here()
    };
    assert!(t.is_quick_here());
    // One borrow in the slot.
    let h = t.mut_borrow(r).unwrap();
    assert!(!t.is_quick_here());
    assert!(t.allows_here(r, false, || ()).is_none());
    assert!(t.allows_here(elsewhere, true, || ()).is_some());
    assert!(!t.is_quick_here());
    t.mut_unborrow(h);
    assert!(t.is_quick_here(), "set again by the release");
    // Two at once (records beyond the slot), released in either order.
    for slot_first in [true, false] {
        let a = t.shared_borrow(r).unwrap();
        let b = t.shared_borrow(elsewhere).unwrap();
        assert!(t.allows_here(r, true, || ()).is_none());
        assert!(t.allows_here(elsewhere, true, || ()).is_none());
        assert!(t.allows_here(r, false, || ()).is_some());
        let (first, second) = if slot_first { (a, b) } else { (b, a) };
        t.shared_unborrow(first);
        assert!(!quick(&t), "one borrow is still recorded");
        assert!(
            t.allows_here(if slot_first { elsewhere } else { r }, true, || ())
                .is_none()
        );
        t.shared_unborrow(second);
        assert!(t.is_quick_here(), "set again once both are released");
        assert!(t.allows_here(r, true, || ()).is_some());
    }
    // A zero-length borrow records nothing: cleared, and set again by its
    // release.
    let z = t.mut_borrow(Region::new(4, 0)).unwrap();
    t.mut_unborrow(z);
    assert!(quick(&t));
    // A refused borrow changes nothing recorded.
    let h = t.mut_borrow(r).unwrap();
    assert!(t.shared_borrow(r).is_err());
    t.mut_unborrow(h);
    assert!(t.is_quick_here());
    // Another thread never gets the quick answer, nor any.
    std::thread::scope(|s| {
        s.spawn(|| {
            assert!(!t.is_quick_here());
            assert!(t.allows_here(elsewhere, false, || ()).is_none());
        });
    });
    // A tracker for any thread never has it, nor one made without it
    // (which still answers, the checked way).
    let any = BorrowTracker::new();
    assert!(!any.is_quick_here());
    any.mut_unborrow(any.mut_borrow(r).unwrap());
    assert!(!quick(&any));
    let slow = BorrowTracker::bound_here(false);
    assert!(!slow.is_quick_here());
    slow.mut_unborrow(slow.mut_borrow(r).unwrap());
    assert!(!quick(&slow));
    assert!(slow.allows_here(r, true, || ()).is_some());
}
