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
