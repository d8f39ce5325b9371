//! One memory used from four threads at once: disjoint views, deliberately
//! conflicting views, and primitive accesses meeting views. Under Miri this
//! also checks that none of it is a data race.

mod common;

use std::sync::Arc;

use common::{Rng, iterations};
use guest_memory::{GuestError, GuestMemory, OwnedMemory, Region};

const THREADS: u32 = 4;
const OWN: u32 = 64; // bytes each thread owns
const CONTESTED: u32 = THREADS * OWN; // start of the region everyone fights over
const CONTESTED_LEN: u32 = 32;

fn worker(mem: &OwnedMemory, id: u32, rounds: usize) -> (u32, u32) {
    let mut rng = Rng::new(u64::from(id) + 1);
    let own = id * OWN;
    let (mut won, mut lost) = (0, 0);
    for round in 0..rounds {
        let tag = u8::try_from((round % 200) + 1).unwrap();
        match rng.below(4) {
            0 => {
                // Disjoint view: always granted; fill and check it.
                let mut v = mem.ptr::<[u8]>((own, OWN)).as_slice_mut().unwrap().unwrap();
                v.fill(tag);
                assert!(v.iter().all(|&b| b == tag));
            }
            1 => {
                // Disjoint primitive accesses: always succeed.
                let at = own + 4 * rng.below_u32(OWN / 4);
                mem.ptr::<u32>(at).write(u32::from(tag)).unwrap();
                assert_eq!(mem.ptr::<u32>(at).read().unwrap(), u32::from(tag));
            }
            2 => {
                // Contested exclusive view: either granted, and then nobody
                // else touches the bytes until it is dropped, or refused.
                match mem.ptr::<[u8]>((CONTESTED, CONTESTED_LEN)).as_slice_mut() {
                    Ok(Some(mut v)) => {
                        v.fill(tag);
                        std::thread::yield_now();
                        assert!(
                            v.iter().all(|&b| b == tag),
                            "someone wrote into a mut-borrowed region"
                        );
                        won += 1;
                    }
                    Err(GuestError::PtrBorrowed(r)) => {
                        assert_eq!(r, Region::new(CONTESTED, CONTESTED_LEN));
                        lost += 1;
                    }
                    other => panic!("unexpected {other:?}"),
                }
            }
            _ => {
                // Contested primitive access: succeeds unless a view is out.
                let at = CONTESTED + 4 * rng.below_u32(CONTESTED_LEN / 4);
                let res = if rng.chance(50) {
                    mem.ptr::<u32>(at).write(7).map(drop)
                } else {
                    mem.ptr::<u32>(at).read().map(drop)
                };
                match res {
                    Ok(()) => won += 1,
                    Err(GuestError::PtrBorrowed(_)) => lost += 1,
                    Err(e) => panic!("unexpected {e}"),
                }
            }
        }
    }
    // Leave a final mark in the owned region.
    mem.ptr::<[u8]>((own, OWN))
        .copy_from_slice(&[u8::try_from(id).unwrap() + 100; OWN as usize])
        .unwrap();
    (won, lost)
}

#[test]
fn four_threads_share_one_memory() {
    let rounds = iterations(20_000, 60);
    let mem = Arc::new(OwnedMemory::new((CONTESTED + CONTESTED_LEN) as usize));
    let handles: Vec<_> = (0..THREADS)
        .map(|id| {
            let mem = Arc::clone(&mem);
            std::thread::spawn(move || worker(&mem, id, rounds))
        })
        .collect();
    let mut won = 0;
    for h in handles {
        won += h.join().unwrap().0;
    }
    assert!(won > 0);
    assert!(!mem.has_outstanding_borrows(), "a borrow leaked");
    for id in 0..THREADS {
        let bytes = mem.ptr::<[u8]>((id * OWN, OWN)).to_vec().unwrap();
        assert!(bytes.iter().all(|&b| u32::from(b) == id + 100));
    }
}

#[test]
fn a_read_never_sees_a_view_half_written() {
    // One thread repeatedly takes the word mut-borrowed and rewrites it byte
    // by byte through the view; the others read it as a u32. Every read that
    // succeeds sees a whole value, because the check and the read are one
    // step and no view can be taken in between.
    let rounds = iterations(20_000, 40);
    let mem = Arc::new(OwnedMemory::new(8));
    std::thread::scope(|s| {
        let writer = {
            let mem = Arc::clone(&mem);
            s.spawn(move || {
                for i in 0..rounds {
                    let byte = if i % 2 == 0 { 0x11 } else { 0x22 };
                    if let Ok(Some(mut v)) = mem.ptr::<[u8]>((4, 4)).as_slice_mut() {
                        for b in v.iter_mut() {
                            *b = byte;
                            std::hint::black_box(&*b);
                        }
                    }
                }
            })
        };
        for _ in 0..THREADS - 1 {
            let mem = Arc::clone(&mem);
            s.spawn(move || {
                for _ in 0..rounds {
                    match mem.ptr::<u32>(4).read() {
                        Ok(v) => assert!(
                            [0, 0x1111_1111, 0x2222_2222].contains(&v),
                            "torn read {v:#x}"
                        ),
                        Err(GuestError::PtrBorrowed(_)) => {}
                        Err(e) => panic!("{e}"),
                    }
                }
            });
        }
        writer.join().unwrap();
    });
    assert!(!mem.has_outstanding_borrows());
}

/// A memory bound to its thread (a `LocalSliceMemory`'s, lent to scoped
/// threads by hand as a `&dyn GuestMemory`) refuses every other
/// thread: accesses and borrows fail with `WrongThread`, queries answer as
/// if everything were borrowed, and a view made on the owner but dropped
/// elsewhere leaves its region borrowed (refusing more, never less). The
/// owner keeps working throughout. Under Miri, the owner's unlocked records
/// show no data race with the refused threads.
#[test]
fn a_thread_bound_memory_refuses_other_threads() {
    let mut bytes = vec![0u8; 64];
    let local = guest_memory::LocalSliceMemory::new(&mut bytes);
    let mem: &dyn GuestMemory = &*local;
    let mem = &mem;
    mem.ptr::<u32>(0).write(7).unwrap();
    let view = mem.ptr::<[u8]>((16, 8)).as_slice().unwrap().unwrap();
    std::thread::scope(|s| {
        s.spawn(|| {
            assert!(matches!(
                mem.ptr::<u32>(0).read(),
                Err(GuestError::WrongThread)
            ));
            assert!(matches!(
                mem.ptr::<u32>(0).write(1),
                Err(GuestError::WrongThread)
            ));
            assert!(matches!(
                mem.ptr::<[u8]>((0, 4)).as_slice_mut(),
                Err(GuestError::WrongThread)
            ));
            assert!(matches!(
                mem.ptr::<[u8]>((0, 4)).to_vec(),
                Err(GuestError::WrongThread)
            ));
            assert!(mem.has_outstanding_borrows());
            assert!(mem.is_mut_borrowed(Region::new(40, 1)));
            assert!(!mem.is_mut_borrowed(Region::new(40, 0)));
        });
        // The owner, meanwhile, as usual.
        for i in 0..iterations(200, 20) as u32 {
            mem.ptr::<u32>(4).write(i).unwrap();
            assert_eq!(mem.ptr::<u32>(4).read().unwrap(), i);
        }
    });
    assert_eq!(mem.ptr::<u32>(0).read().unwrap(), 7);
    // A view dropped on another thread cannot release its borrow there.
    std::thread::scope(|s| {
        s.spawn(move || drop(view));
    });
    assert!(matches!(
        mem.ptr::<u8>(16).write(1),
        Err(GuestError::PtrBorrowed(_))
    ));
    assert!(mem.ptr::<u8>(16).read().is_ok());
    assert!(mem.ptr::<u8>(24).write(1).is_ok());
}

/// `SliceMemory::new` is shared by threads like an `OwnedMemory`.
#[test]
fn a_memory_for_any_thread_serves_every_thread() {
    let mut bytes = vec![0u8; 64];
    let mem = guest_memory::SliceMemory::new(&mut bytes);
    std::thread::scope(|s| {
        for t in 0..2u32 {
            let mem = &mem;
            s.spawn(move || {
                for i in 0..iterations(200, 20) as u32 {
                    mem.ptr::<u32>(8 * t).write(i).unwrap();
                    let v = mem.ptr::<[u8]>((8 * t, 4)).as_slice_mut().unwrap().unwrap();
                    assert_eq!(u32::from_le_bytes(v[..].try_into().unwrap()), i);
                }
            });
        }
    });
}
