//! `GuestPtr::<u8>::c_str`: bounded reads of NUL-terminated strings.

use core::cell::UnsafeCell;

use guest_memory::{GuestError, GuestMemory, OwnedMemory, SharedSliceMemory};

#[test]
fn finds_the_nul_across_scan_chunks_and_within_the_limit_only() {
    let mem = OwnedMemory::new(2048);
    let text = vec![b'a'; 700];
    mem.ptr::<[u8]>((100, 700)).copy_from_slice(&text).unwrap();
    // Byte 800 is already 0: the string is 700 bytes, found in the 3rd chunk.
    let s = mem.ptr::<u8>(100).c_str(1000).unwrap();
    assert_eq!(s.offset(), (100, 700));
    assert_eq!(s.to_string().unwrap().len(), 700);
    // The NUL must be among the first `max_len` bytes.
    assert_eq!(mem.ptr::<u8>(100).c_str(701).unwrap().len(), 700);
    assert!(matches!(
        mem.ptr::<u8>(100).c_str(700),
        Err(GuestError::NoNulTerminator(r)) if (r.start, r.len) == (100, 700)
    ));
    // An empty string, and a zero limit.
    assert_eq!(mem.ptr::<u8>(0).c_str(1).unwrap().offset(), (0, 0));
    assert!(matches!(
        mem.ptr::<u8>(0).c_str(0),
        Err(GuestError::NoNulTerminator(_))
    ));
}

#[test]
fn memory_ending_first_is_out_of_bounds_not_a_panic() {
    let mem = OwnedMemory::new(16);
    mem.ptr::<[u8]>((0, 16))
        .copy_from_slice(&[b'z'; 16])
        .unwrap();
    for start in [0, 15, 16, 17, u32::MAX] {
        assert!(
            matches!(
                mem.ptr::<u8>(start).c_str(u32::MAX),
                Err(GuestError::PtrOutOfBounds(_))
            ),
            "{start}"
        );
    }
    // The last byte of memory may be the terminator.
    mem.ptr::<u8>(15).write(0).unwrap();
    assert_eq!(mem.ptr::<u8>(3).c_str(u32::MAX).unwrap().offset(), (3, 12));
}

#[test]
fn scans_respect_mut_borrows() {
    let mem = OwnedMemory::new(64);
    let view = mem.ptr::<[u8]>((40, 4)).as_slice_mut().unwrap().unwrap();
    // The string ends before the borrowed bytes: fine.
    assert_eq!(mem.ptr::<u8>(30).c_str(64).unwrap().len(), 0);
    assert!(matches!(
        mem.ptr::<[u8]>((30, 20)).to_vec(),
        Err(GuestError::PtrBorrowed(_))
    ));
    drop(view);
    mem.ptr::<[u8]>((30, 10))
        .copy_from_slice(&[b'q'; 10])
        .unwrap();
    let _view = mem.ptr::<[u8]>((40, 4)).as_slice_mut().unwrap().unwrap();
    assert!(matches!(
        mem.ptr::<u8>(30).c_str(64),
        Err(GuestError::PtrBorrowed(_))
    ));
}

#[test]
fn works_on_shared_memory() {
    let cells: Vec<UnsafeCell<u8>> = b"id=42\0rest".iter().map(|&b| UnsafeCell::new(b)).collect();
    // SAFETY: the cells are accessed only through `mem`, atomically.
    let mem = unsafe { SharedSliceMemory::new(&cells) };
    let s = mem.ptr::<u8>(0).c_str(10).unwrap();
    assert_eq!(s.to_string().unwrap(), "id=42");
    assert!(matches!(
        mem.ptr::<u8>(6).c_str(100),
        Err(GuestError::PtrOutOfBounds(_))
    ));
}

/// Third review, finding 5: on a memory larger than 4 GiB, a string whose
/// NUL is the last byte a 32-bit guest can address was `PtrOverflow` with a
/// limit that reaches past it (the scan read a chunk across the top of the
/// address space), though a small limit found it.
#[cfg(all(target_pointer_width = "64", not(miri)))]
#[test]
fn a_string_ending_at_the_top_of_the_address_space_is_found() {
    use std::alloc::{Layout, alloc_zeroed, dealloc};

    use guest_memory::SliceMemory;

    let len = (1usize << 32) + 64;
    let layout = Layout::from_size_align(len, 16).unwrap();
    // SAFETY: a non-zero size; the pages are zeroed lazily by the system, so
    // this costs address space, not 4 GiB of memory.
    let p = unsafe { alloc_zeroed(layout) };
    assert!(!p.is_null());
    {
        // SAFETY: `p` is `len` zeroed bytes that nothing else references until
        // the `dealloc` below, after `bytes` and `mem` are gone.
        let bytes = unsafe { core::slice::from_raw_parts_mut(p, len) };
        let mem = SliceMemory::new(bytes);
        let start = u32::MAX - 10;
        mem.ptr::<[u8]>((start, 10))
            .copy_from_slice(&[b'x'; 10])
            .unwrap();
        // Byte `u32::MAX` is the NUL (zeroed); the bytes past it are beyond
        // what a guest can address.
        for limit in [11, 16, 1000, u32::MAX] {
            let s = mem.ptr::<u8>(start).c_str(limit).unwrap();
            assert_eq!(s.offset(), (start, 10), "limit {limit}");
        }
        // Without a NUL up to the top, the scan stops there.
        mem.ptr::<u8>(u32::MAX).write(b'x').unwrap();
        assert!(matches!(
            mem.ptr::<u8>(start).c_str(u32::MAX),
            Err(GuestError::PtrOverflow)
        ));
    }
    // SAFETY: allocated above with this layout, freed once.
    unsafe { dealloc(p, layout) };
}
