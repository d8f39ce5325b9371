//! The borrow tracker against a brute-force oracle: a plain list of live
//! borrows, checked pairwise with `Region::overlaps`.

mod common;

use common::{Rng, iterations};
use guest_memory::{
    BorrowHandle, BorrowTracker, GuestError, GuestMemory, GuestSlice, GuestSliceMut,
    LocalSliceMemory, Region, SliceMemory,
};

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

/// A view held by [`accesses`]: the region and whether it is a mut view,
/// with the view itself (dropped when released).
enum HeldView<'m> {
    Shared(Region, GuestSlice<'m, u8>),
    Mut(Region, GuestSliceMut<'m, u8>),
}

impl HeldView<'_> {
    fn region(&self) -> (Region, bool) {
        match self {
            HeldView::Shared(r, _) => (*r, false),
            HeldView::Mut(r, _) => (*r, true),
        }
    }
}

/// Primitive reads and writes on a memory holding views, against the same
/// brute-force overlap rule: a read fails exactly when a mut view overlaps
/// it, a write when any view does. On a memory bound to this thread these
/// take the direct-access path (the slot and the spans checked inline, the
/// list and the trees searched out of line); on one for any thread, the
/// locked path.
fn accesses(seed: u64, ops: usize, bound: bool) {
    let mut rng = Rng::new(seed);
    let mut bytes = vec![0u8; 640];
    let (local, any);
    let mem: &dyn GuestMemory = if bound {
        local = LocalSliceMemory::new(&mut bytes);
        &*local
    } else {
        any = SliceMemory::new(&mut bytes);
        &any
    };
    let mem = &mem;
    let mut held: Vec<HeldView<'_>> = Vec::new();
    let (mut allowed, mut refused) = (0u32, 0u32);
    for step in 0..ops {
        let start = rng.below_u32(600);
        let len = if rng.chance(10) {
            0
        } else {
            1 + rng.below_u32(24)
        };
        let r = Region::new(start, len);
        match rng.below(10) {
            0 | 1 => {
                if let Ok(Some(v)) = mem.ptr::<[u8]>((start, len)).as_slice() {
                    held.push(HeldView::Shared(r, v));
                }
            }
            2 => {
                if let Ok(Some(v)) = mem.ptr::<[u8]>((start, len)).as_slice_mut() {
                    held.push(HeldView::Mut(r, v));
                }
            }
            3 | 4 if !held.is_empty() => {
                let i = usize::try_from(rng.below(held.len() as u64)).unwrap();
                // Each view covers exactly its region until dropped here.
                let (r, len) = match held.swap_remove(i) {
                    HeldView::Shared(r, v) => (r, v.len()),
                    HeldView::Mut(r, v) => (r, v.len()),
                };
                assert_eq!(len, r.len as usize);
            }
            op => {
                // A u8 or a u32 access at the region's start (u32s aligned),
                // or, for an empty region, a copy of no bytes there (which
                // conflicts with nothing, inside a view or not).
                let (at, width) = match (len, op % 2) {
                    (0, _) => (start, 0),
                    (_, 0) => (start, 1),
                    _ => (start & !3, 4),
                };
                let r = Region::new(at, width);
                let write = op >= 7;
                let conflict = held.iter().any(|h| {
                    let (hr, is_mut) = h.region();
                    (is_mut || write) && hr.overlaps(r)
                });
                let got = match (width, write) {
                    (0, false) => mem.ptr::<[u8]>((at, 0)).to_vec().map(drop),
                    (0, true) => mem.ptr::<[u8]>((at, 0)).copy_from_slice(&[]),
                    (1, false) => mem.ptr::<u8>(at).read().map(drop),
                    (1, true) => mem.ptr::<u8>(at).write(7),
                    (_, false) => mem.ptr::<u32>(at).read().map(drop),
                    (_, true) => mem.ptr::<u32>(at).write(7),
                };
                match got {
                    Ok(()) => {
                        assert!(
                            !conflict,
                            "step {step}: access of {r:?} (write: {write}) allowed over a view"
                        );
                        allowed += 1;
                    }
                    Err(GuestError::PtrBorrowed(e)) => {
                        assert!(
                            conflict,
                            "step {step}: access of {r:?} (write: {write}) refused without a conflict"
                        );
                        assert_eq!(e, r);
                        refused += 1;
                    }
                    Err(e) => panic!("step {step}: unexpected error {e}"),
                }
            }
        }
        // Keep up to a few dozen views live, so the tracker's list, trees
        // and spans all come into play.
        if held.len() > 40 {
            held.truncate(20);
        }
    }
    let floor = u32::try_from(ops / 100).unwrap();
    assert!(
        allowed > floor && refused > floor,
        "allowed {allowed}, refused {refused}"
    );
}

#[test]
fn accesses_honour_held_views_on_both_memory_kinds() {
    for seed in 21..=24 {
        accesses(seed, iterations(20_000, 400), seed % 2 == 0);
    }
}
