//! Pointers never panic on guest values: arithmetic and sub-ranges are
//! checked, and `Debug` shows what was asked for.

use super::*;
use crate::{GuestError, OwnedMemory, Region};

#[test]
fn debug_shows_offset_and_length() {
    let mem = OwnedMemory::new(0);
    assert_eq!(format!("{:?}", mem.ptr::<u8>(16)), "*guest 0x10");
    assert_eq!(format!("{:?}", mem.ptr::<[u32]>((16, 4))), "*guest 0x10/4");
    assert_eq!(format!("{:?}", mem.ptr::<str>((1, 2))), "*guest 0x1/2");
}

#[test]
fn add_is_checked() {
    let mem = OwnedMemory::new(0);
    let p = mem.ptr::<u32>(u32::MAX - 7);
    assert_eq!(p.add(1).unwrap().offset(), u32::MAX - 3);
    assert!(matches!(p.add(2), Err(GuestError::PtrOverflow)));
    assert!(matches!(
        mem.ptr::<u64>(0).add(u32::MAX),
        Err(GuestError::PtrOverflow)
    ));
}

#[test]
fn get_and_get_range_never_panic() {
    let mem = OwnedMemory::new(0);
    let s = mem.ptr::<[u32]>((u32::MAX - 3, 10));
    assert!(s.get(0).is_some());
    assert!(s.get(1).is_none()); // offset would pass u32::MAX
    assert!(s.get(10).is_none());
    #[allow(clippy::reversed_empty_ranges)]
    let reversed = 3..2;
    assert!(s.get_range(reversed).is_none());
    assert!(s.get_range(0..11).is_none());
    assert!(s.get_range(2..3).is_none());
    assert_eq!(
        s.get_range(0..1).map(|p| p.offset()),
        Some((u32::MAX - 3, 1))
    );
    let t = mem.ptr::<[u32]>((8, 10));
    assert_eq!(t.get_range(2..5).map(|p| p.offset()), Some((16, 3)));
    // Out of bounds of this empty memory: one error, up front.
    assert_eq!(t.iter().len(), 1);
    assert!(matches!(
        t.iter().collect::<Vec<_>>()[..],
        [Err(GuestError::PtrOutOfBounds(_))]
    ));
}

#[test]
fn iter_checks_the_whole_array_first() {
    let mem = OwnedMemory::new(64);
    let ok = mem.ptr::<[u64]>((16, 6));
    let mut it = ok.iter();
    assert_eq!(it.len(), 6);
    let first = it.next().unwrap().unwrap();
    assert_eq!(first.offset(), 16);
    assert_eq!(it.len(), 5);
    let rest: Vec<u32> = it.map(|p| p.unwrap().offset()).collect();
    assert_eq!(rest, [24, 32, 40, 48, 56]);
    // Each failure of `region`, and nothing after it.
    for (bad, want) in [
        (mem.ptr::<[u64]>((16, 7)), "out of bounds"),
        (mem.ptr::<[u64]>((4, 1)), "not aligned"),
        (mem.ptr::<[u64]>((8, u32::MAX)), "overflows"),
    ] {
        let items: Vec<_> = bad.iter().collect();
        assert_eq!(items.len(), 1, "{bad:?}");
        let err = items.into_iter().next().unwrap().unwrap_err();
        assert!(err.to_string().contains(want), "{err}");
    }
    // Zero-size elements: the count is bounded by the memory's length.
    let zst = mem.ptr::<[[u8; 0]]>((0, u32::MAX));
    assert_eq!(zst.iter().len(), 1);
    assert_eq!(mem.ptr::<[[u8; 0]]>((0, 64)).iter().len(), 64);
    // An array ending exactly at the top of the address space.
    let empty = OwnedMemory::new(0);
    let top = empty.ptr::<[u8]>((u32::MAX, 1));
    assert!(top.iter().next().unwrap().is_err());
}

#[test]
fn equality_and_hash_are_memory_and_offset() {
    use std::collections::HashSet;
    let a = OwnedMemory::new(8);
    let b = OwnedMemory::new(8);
    assert_eq!(a.ptr::<u32>(4), a.ptr::<u32>(4));
    assert_ne!(a.ptr::<u32>(4), a.ptr::<u32>(0));
    assert_ne!(a.ptr::<u32>(4), b.ptr::<u32>(4));
    assert_ne!(a.ptr::<[u8]>((4, 1)), a.ptr::<[u8]>((4, 2)));
    let set: HashSet<_> = [a.ptr::<str>((1, 2)), a.ptr((1, 2)), b.ptr((1, 2))]
        .into_iter()
        .collect();
    assert_eq!(set.len(), 2);
    // The same memory, reached through `&dyn`.
    let dynamic: &dyn GuestMemory = &a;
    assert_eq!(GuestPtr::<u8>::new(dynamic, 3), a.ptr::<u8>(3));
}

#[test]
fn alignment_is_of_the_guest_offset() {
    assert!(check_align(Region::new(8, 4), 4).is_ok());
    assert!(check_align(Region::new(6, 4), 4).is_err());
    assert!(check_align(Region::new(7, 4), 1).is_ok());
    assert!(check_align(Region::new(7, 4), 0).is_ok());
    assert!(check_align(Region::new(9, 4), 3).is_ok());
    assert!(check_align(Region::new(10, 4), 3).is_err());
    assert!(check_align(Region::new(u32::MAX, 4), usize::MAX / 2 + 1).is_err());
}

#[test]
fn pointers_are_send_sync_copy() {
    fn assert_traits<T: Send + Sync + Copy>() {}
    assert_traits::<GuestPtr<'static, u8>>();
    assert_traits::<GuestPtr<'static, [u64]>>();
    assert_traits::<GuestPtr<'static, str>>();
}
