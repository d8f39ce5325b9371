//! The borrow tracker against a brute-force oracle: a plain list of live
//! borrows, checked pairwise with `Region::overlaps`.

mod common;

use common::{Rng, iterations};
use guest_memory::{BorrowHandle, BorrowTracker, GuestError, Region};

struct Live {
    region: Region,
    is_mut: bool,
    handle: BorrowHandle,
}

fn random_region(rng: &mut Rng) -> Region {
    match rng.below(20) {
        // Near the top of the address space, where ends pass u32::MAX.
        0 => Region::new(u32::MAX - rng.below_u32(64), rng.below_u32(128)),
        // Empty regions, which conflict with nothing.
        1 => Region::new(rng.below_u32(512), 0),
        // Long regions covering many others.
        2 => Region::new(rng.below_u32(512), rng.below_u32(400)),
        _ => Region::new(rng.below_u32(512), 1 + rng.below_u32(24)),
    }
}

/// `release_weight` out of 10 + `release_weight` operations release a
/// borrow: high values keep few borrows live, so the tracker keeps moving
/// between no borrow, one borrow and several.
fn run(seed: u64, ops: usize, release_weight: u64) {
    let mut rng = Rng::new(seed);
    // Odd seeds check the tracker any thread may use, even ones the tracker
    // bound to this thread: the records are the same, the access differs.
    let tracker = if seed % 2 == 1 {
        BorrowTracker::new()
    } else {
        BorrowTracker::new_thread_bound()
    };
    let mut live: Vec<Live> = Vec::new();
    let (mut granted, mut refused) = (0u32, 0u32);

    for step in 0..ops {
        let r = random_region(&mut rng);
        let any_mut = live.iter().any(|l| l.is_mut && l.region.overlaps(r));
        let any_shared = live.iter().any(|l| !l.is_mut && l.region.overlaps(r));
        let op = rng.below(7 + release_weight);
        let op = if op < 6 {
            op
        } else if op < 6 + release_weight {
            6
        } else {
            9
        };
        match op {
            0..=2 => {
                let got = tracker.mut_borrow(r);
                let want_ok = !any_mut && !any_shared;
                match got {
                    Ok(handle) => {
                        assert!(
                            want_ok,
                            "step {step}: mut borrow of {r:?} granted over a conflict"
                        );
                        assert_eq!(handle.region(), r);
                        live.push(Live {
                            region: r,
                            is_mut: true,
                            handle,
                        });
                        granted += 1;
                    }
                    Err(GuestError::PtrBorrowed(e)) => {
                        assert!(
                            !want_ok,
                            "step {step}: mut borrow of {r:?} refused without a conflict"
                        );
                        assert_eq!(e, r);
                        refused += 1;
                    }
                    Err(e) => panic!("step {step}: unexpected error {e}"),
                }
            }
            3..=5 => {
                let got = tracker.shared_borrow(r);
                match got {
                    Ok(handle) => {
                        assert!(
                            !any_mut,
                            "step {step}: shared borrow of {r:?} granted over a mut borrow"
                        );
                        live.push(Live {
                            region: r,
                            is_mut: false,
                            handle,
                        });
                        granted += 1;
                    }
                    Err(GuestError::PtrBorrowed(e)) => {
                        assert!(
                            any_mut,
                            "step {step}: shared borrow of {r:?} refused without a mut borrow"
                        );
                        assert_eq!(e, r);
                        refused += 1;
                    }
                    Err(e) => panic!("step {step}: unexpected error {e}"),
                }
            }
            6..=8 if !live.is_empty() => {
                let i = usize::try_from(rng.below(live.len() as u64)).unwrap();
                let l = live.swap_remove(i);
                if l.is_mut {
                    tracker.mut_unborrow(l.handle);
                } else {
                    tracker.shared_unborrow(l.handle);
                }
            }
            _ => {
                assert_eq!(
                    tracker.is_mut_borrowed(r),
                    any_mut,
                    "step {step}: is_mut_borrowed({r:?})"
                );
                assert_eq!(
                    tracker.is_shared_borrowed(r),
                    any_shared,
                    "step {step}: is_shared_borrowed({r:?})"
                );
                let outstanding = live.iter().any(|l| !l.region.is_empty());
                assert_eq!(
                    tracker.has_outstanding_borrows(),
                    outstanding,
                    "step {step}"
                );
            }
        }
    }
    // Both outcomes must have been exercised for the run to mean anything.
    let floor = u32::try_from(ops / 200).unwrap();
    assert!(
        granted > floor && refused > floor,
        "granted {granted}, refused {refused}"
    );
    for l in live.drain(..) {
        if l.is_mut {
            tracker.mut_unborrow(l.handle);
        } else {
            tracker.shared_unborrow(l.handle);
        }
    }
    assert!(!tracker.has_outstanding_borrows());
    assert!(!tracker.is_shared_borrowed(Region::new(0, u32::MAX)));
}

#[test]
fn tracker_matches_brute_force_over_100k_operations() {
    run(0x5EED_0001, iterations(100_000, 2_000), 3);
}

#[test]
fn tracker_matches_brute_force_with_other_seeds() {
    for seed in 1..=4 {
        run(seed, iterations(25_000, 500), 3);
    }
}

#[test]
fn tracker_matches_brute_force_with_few_borrows_live() {
    for seed in 11..=14 {
        run(seed, iterations(25_000, 500), 12);
    }
}
