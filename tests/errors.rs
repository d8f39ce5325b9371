//! Each `GuestError` the core produces, from a real bad guest input, checked
//! by variant and fields.

use guest_memory::{GuestError, GuestMemory, GuestPtr, OwnedMemory, Region};

#[test]
fn ptr_out_of_bounds_names_the_region() {
    let mem = OwnedMemory::new(64);
    let err = mem.ptr::<u32>(64).read().unwrap_err();
    assert!(
        matches!(err, GuestError::PtrOutOfBounds(r) if r == Region::new(64, 4)),
        "{err:?}"
    );
    let err = mem.ptr::<[u8]>((60, 5)).to_vec().unwrap_err();
    assert!(
        matches!(err, GuestError::PtrOutOfBounds(r) if r == Region::new(60, 5)),
        "{err:?}"
    );
    let err = mem.ptr::<str>((64, 1)).as_str().unwrap_err();
    assert!(
        matches!(err, GuestError::PtrOutOfBounds(r) if r == Region::new(64, 1)),
        "{err:?}"
    );
    // One past the end is fine for an empty slice, and nothing further.
    assert_eq!(mem.ptr::<[u8]>((64, 0)).to_vec().unwrap(), Vec::<u8>::new());
    assert!(matches!(
        mem.ptr::<[u8]>((65, 0)).to_vec(),
        Err(GuestError::PtrOutOfBounds(_))
    ));
    assert!(err.to_string().contains("offset 0x40, length 1"), "{err}");
}

#[test]
fn ptr_overflow_from_length_and_from_offset() {
    let mem = OwnedMemory::new(64);
    // element count * element size passes u32::MAX
    let err = mem.ptr::<[u32]>((0, 0x4000_0000)).to_vec().unwrap_err();
    assert!(matches!(err, GuestError::PtrOverflow), "{err:?}");
    // offset + length passes 2^32
    let err = mem.ptr::<[u8]>((u32::MAX, 2)).as_slice().unwrap_err();
    assert!(matches!(err, GuestError::PtrOverflow), "{err:?}");
    // offset + length == 2^32 is representable, just out of bounds
    let err = mem.ptr::<[u8]>((u32::MAX, 1)).as_slice().unwrap_err();
    assert!(
        matches!(err, GuestError::PtrOutOfBounds(r) if r == Region::new(u32::MAX, 1)),
        "{err:?}"
    );
    // pointer arithmetic
    assert!(matches!(
        mem.ptr::<u64>(u32::MAX - 7).add(1),
        Err(GuestError::PtrOverflow)
    ));
}

#[test]
fn ptr_not_aligned_checks_the_guest_offset() {
    let mem = OwnedMemory::new(64);
    let err = mem.ptr::<u32>(6).read().unwrap_err();
    assert!(
        matches!(err, GuestError::PtrNotAligned(r, 4) if r == Region::new(6, 4)),
        "{err:?}"
    );
    let err = mem.ptr::<[u64]>((4, 2)).to_vec().unwrap_err();
    assert!(
        matches!(err, GuestError::PtrNotAligned(r, 8) if r == Region::new(4, 16)),
        "{err:?}"
    );
    let err = mem.ptr::<u16>(1).write(1).unwrap_err();
    assert!(
        matches!(err, GuestError::PtrNotAligned(r, 2) if r == Region::new(1, 2)),
        "{err:?}"
    );
    // A guest pointer stored in memory is 4-aligned too.
    let err = mem.ptr::<GuestPtr<u8>>(2).read().unwrap_err();
    assert!(matches!(err, GuestError::PtrNotAligned(_, 4)), "{err:?}");
}

#[test]
fn host_misalignment_never_decides_guest_alignment() {
    // The same guest offsets, with the memory at a host address that is 1
    // mod 8: reads and writes answer exactly as on an aligned memory, on a
    // memory bound to this thread (direct accesses) and one for any thread.
    for bound in [true, false] {
        let mut backing = [0u8; 80];
        let skew = (8 - backing.as_ptr().addr() % 8) % 8 + 1;
        let bytes = &mut backing[skew..skew + 64];
        let (local, any);
        let mem: &dyn GuestMemory = if bound {
            local = guest_memory::LocalSliceMemory::new(bytes);
            &*local
        } else {
            any = guest_memory::SliceMemory::new(bytes);
            &any
        };
        let mem = &mem;
        mem.ptr::<u64>(8).write(0x0102_0304_0506_0708).unwrap();
        assert_eq!(mem.ptr::<u64>(8).read().unwrap(), 0x0102_0304_0506_0708);
        assert!(matches!(
            mem.ptr::<u64>(4).read(),
            Err(GuestError::PtrNotAligned(_, 8))
        ));
        assert_eq!(
            mem.ptr::<[u32]>((8, 2)).to_vec().unwrap(),
            [0x0506_0708, 0x0102_0304]
        );
        // A zero-copy view is impossible there; a copy works. (Multi-byte views
        // exist only on little-endian hosts.)
        #[cfg(target_endian = "little")]
        {
            let cow = mem.ptr::<[u32]>((8, 2)).as_cow().unwrap();
            assert!(matches!(cow, guest_memory::GuestCow::Copied(_)));
            assert_eq!(cow, [0x0506_0708, 0x0102_0304]);
            assert!(matches!(
                mem.ptr::<[u32]>((8, 2)).as_slice(),
                Err(GuestError::PtrNotAligned(_, 4))
            ));
        }
        // Bytes need no alignment.
        assert!(mem.ptr::<[u8]>((1, 3)).as_slice().unwrap().is_some());
    }
}

#[test]
fn ptr_borrowed_by_a_live_view() {
    let mem = OwnedMemory::new(64);
    let view = mem.ptr::<[u8]>((8, 8)).as_slice_mut().unwrap().unwrap();
    let err = mem.ptr::<u32>(12).read().unwrap_err();
    assert!(
        matches!(err, GuestError::PtrBorrowed(r) if r == Region::new(12, 4)),
        "{err:?}"
    );
    let err = mem.ptr::<[u8]>((0, 9)).as_slice().unwrap_err();
    assert!(
        matches!(err, GuestError::PtrBorrowed(r) if r == Region::new(0, 9)),
        "{err:?}"
    );
    // Neighbours are free.
    mem.ptr::<u32>(16).write(5).unwrap();
    mem.ptr::<u32>(4).write(5).unwrap();
    drop(view);
    mem.ptr::<u32>(12).read().unwrap();

    let shared = mem.ptr::<str>((0, 4)).as_str().unwrap().unwrap();
    mem.ptr::<u8>(2).read().unwrap(); // reading a shared-borrowed byte is fine
    let err = mem.ptr::<u8>(2).write(1).unwrap_err();
    assert!(
        matches!(err, GuestError::PtrBorrowed(r) if r == Region::new(2, 1)),
        "{err:?}"
    );
    drop(shared);
    assert!(!mem.has_outstanding_borrows());
}

#[test]
fn slice_lengths_differ() {
    let mem = OwnedMemory::new(64);
    let err = mem
        .ptr::<[u16]>((0, 3))
        .copy_from_slice(&[1, 2])
        .unwrap_err();
    assert!(matches!(err, GuestError::SliceLengthsDiffer), "{err:?}");
    let err = mem
        .ptr::<[u16]>((0, 3))
        .copy_from_slice(&[1, 2, 3, 4])
        .unwrap_err();
    assert!(matches!(err, GuestError::SliceLengthsDiffer), "{err:?}");
}

#[test]
fn invalid_utf8_including_a_cut_code_point() {
    let mem = OwnedMemory::from("héllo".as_bytes().to_vec());
    // "h" then the first byte of the two-byte "é": cut in the middle.
    let err = mem.ptr::<str>((0, 2)).as_str().unwrap_err();
    match err {
        GuestError::InvalidUtf8(e) => {
            assert_eq!(e.valid_up_to(), 1);
            assert_eq!(e.error_len(), None); // incomplete at the end
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        mem.ptr::<str>((2, 2)).to_string(),
        Err(GuestError::InvalidUtf8(_))
    ));
    assert!(matches!(
        mem.ptr::<str>((2, 1)).as_cow(),
        Err(GuestError::InvalidUtf8(_))
    ));
    assert!(matches!(
        mem.ptr::<str>((2, 4)).as_str_mut(),
        Err(GuestError::InvalidUtf8(_))
    ));
    // and the view's borrow was given back
    assert!(!mem.has_outstanding_borrows());
    assert_eq!(mem.ptr::<str>((0, 6)).as_str().unwrap().unwrap(), "héllo");
}

/// A host function that takes a 64-bit length from the guest and needs it
/// as a `u32`: `?` turns the failed conversion into a `GuestError`.
fn buffer_len(mem: &dyn GuestMemory, at: u32) -> Result<u32, GuestError> {
    let len: u64 = GuestPtr::<u64>::new(mem, at).read()?;
    Ok(u32::try_from(len)?)
}

#[test]
fn try_from_int_error_from_a_guest_value() {
    let mem = OwnedMemory::new(16);
    mem.ptr::<u64>(0).write(7).unwrap();
    mem.ptr::<u64>(8).write(1 << 40).unwrap();
    assert_eq!(buffer_len(&mem, 0).unwrap(), 7);
    assert!(matches!(
        buffer_len(&mem, 8),
        Err(GuestError::TryFromIntError(_))
    ));
}

#[test]
fn a_pointer_in_memory_pointing_out_of_bounds() {
    let mem = OwnedMemory::new(32);
    mem.ptr::<u32>(0).write(1000).unwrap(); // the guest stored a bad pointer
    let p: GuestPtr<'_, u32> = mem.ptr::<GuestPtr<u32>>(0).read().unwrap();
    assert_eq!(p.offset(), 1000);
    assert!(matches!(p.read(), Err(GuestError::PtrOutOfBounds(r)) if r == Region::new(1000, 4)));
    // and a stored slice pointer whose length runs past the end
    mem.ptr::<[u32]>((8, 2))
        .copy_from_slice(&[16, 100])
        .unwrap();
    let s: GuestPtr<'_, [u8]> = mem.ptr::<GuestPtr<[u8]>>(8).read().unwrap();
    assert_eq!(s.offset(), (16, 100));
    assert!(
        matches!(s.as_slice(), Err(GuestError::PtrOutOfBounds(r)) if r == Region::new(16, 100))
    );
}
