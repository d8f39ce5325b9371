//! Layouts — sizes and alignments follow wasm32, and the `GuestLayout`
//! constants agree with the `GuestType` methods for every implementation —
//! and how `bool` reads and writes.

use alloc::vec::Vec;

use super::{GuestLayout, GuestType};
use crate::{GuestError, GuestMemory, GuestPtr, OwnedMemory};

#[test]
fn sizes_and_alignments_follow_wasm32() {
    assert_eq!((u8::guest_size(), u8::guest_align()), (1, 1));
    assert_eq!((i16::guest_size(), i16::guest_align()), (2, 2));
    assert_eq!((f64::guest_size(), f64::guest_align()), (8, 8));
    assert_eq!(
        (
            <GuestPtr<'_, u64>>::guest_size(),
            <GuestPtr<'_, u64>>::guest_align()
        ),
        (4, 4)
    );
    assert_eq!(<GuestPtr<'_, [u64]>>::guest_size(), 8);
    assert_eq!(<GuestPtr<'_, str>>::guest_align(), 4);
    assert_eq!(<[u16; 3]>::guest_size(), 6);
    assert_eq!(<[u16; 3]>::guest_align(), 2);
    assert_eq!(<[u64; 0x2000_0000]>::guest_size(), u32::MAX);
}

#[test]
fn layout_constants_agree_with_guest_type() {
    fn agree<'a, T: GuestType<'a> + GuestLayout>() {
        assert_eq!(
            T::GUEST_SIZE,
            T::guest_size(),
            "{}",
            core::any::type_name::<T>()
        );
        assert_eq!(
            T::GUEST_ALIGN as usize,
            T::guest_align(),
            "{}",
            core::any::type_name::<T>()
        );
    }
    agree::<u8>();
    agree::<i8>();
    agree::<u16>();
    agree::<i16>();
    agree::<u32>();
    agree::<i32>();
    agree::<u64>();
    agree::<i64>();
    agree::<f32>();
    agree::<f64>();
    agree::<bool>();
    agree::<GuestPtr<'_, u64>>();
    agree::<GuestPtr<'_, [u8]>>();
    agree::<GuestPtr<'_, str>>();
    agree::<[u16; 3]>();
    agree::<[[u64; 2]; 3]>();
    agree::<[u64; 0x2000_0000]>();
}

#[test]
fn bools_read_nonzero_as_true_and_write_0_or_1() {
    let mem = OwnedMemory::new(4);
    mem.ptr::<[u8]>((0, 4))
        .copy_from_slice(&[0, 1, 2, 0xff])
        .unwrap();
    let read: Vec<bool> = (0..4).map(|i| mem.ptr::<bool>(i).read().unwrap()).collect();
    assert_eq!(read, [false, true, true, true]);
    assert_eq!(mem.ptr::<[bool]>((0, 4)).to_vec().unwrap(), read);
    mem.ptr::<bool>(3).write(true).unwrap();
    mem.ptr::<[bool]>((1, 2))
        .copy_from_slice(&[false, true])
        .unwrap();
    assert_eq!(mem.ptr::<[u8]>((0, 4)).to_vec().unwrap(), [0, 0, 1, 1]);
    assert!(matches!(
        mem.ptr::<bool>(4).read(),
        Err(GuestError::PtrOutOfBounds(_))
    ));
    assert_eq!(<[bool; 3]>::guest_size(), 3);
}
