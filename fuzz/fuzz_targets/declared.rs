//! Declared records, enums and flags read from arbitrary bytes at arbitrary
//! offsets. A read either fails with an error that names the field, or gives
//! a value that writes back to exactly the bytes it came from (padding
//! aside); nothing panics. Also: transparent records viewed in place agree
//! with their field-by-field reads; arrays of zero-size elements of any
//! guest-chosen length are refused or bounded by the memory's size; and
//! formatting a memory, its views and its errors works while views are live.
#![no_main]

use guest_memory::{
    GuestError, GuestLayout, GuestMemory, GuestPtr, GuestType, OwnedMemory, guest_enum,
    guest_flags, guest_struct,
};
use libfuzzer_sys::fuzz_target;

guest_enum! {
    pub enum Kind: u8 { A = 0, B = 1, C = 7 }
}

guest_enum! {
    pub enum Wide: u32 { X = 1, Y = 0x1000_0000 }
}

guest_flags! {
    pub struct Bits: u16 { const P = 1; const Q = 1 << 3; const R = 1 << 15; }
}

guest_struct! {
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub struct Inner { pub kind: Kind, pub bits: Bits, pub wide: Wide }
}

guest_struct! {
    #[derive(Debug, Clone, Copy)]
    pub struct Outer<'a> {
        pub tag: u8,
        pub inner: Inner,
        pub ptr: GuestPtr<'a, [u8]>,
        pub big: u64,
        pub pair: [i16; 3],
    }
}

guest_struct! {
    #[guest(transparent)]
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub struct Px { pub a: u16, pub b: u16, pub c: u32, pub d: [u8; 4] }
}

guest_struct! {
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub struct Empty {}
}

/// A transparent record's in-place view equals its decoded copy, and a write
/// through the view is what a decoded read then sees.
fn transparent(mem: &OwnedMemory, at: u32, count: u32) {
    let p = mem.ptr::<[Px]>((at, count));
    let copied = p.to_vec();
    match p.as_slice_mut() {
        Ok(Some(mut view)) => {
            assert_eq!(&*view, &copied.as_ref().unwrap()[..]);
            let _ = format!("{view:?} {mem:?}");
            if let Some(first) = view.first_mut() {
                first.c = first.c.wrapping_add(1);
                first.d[3] ^= 0x5a;
            }
            let want: Vec<Px> = view.to_vec();
            drop(view);
            assert_eq!(p.to_vec().unwrap(), want);
        }
        Ok(None) => unreachable!("not a shared memory"),
        Err(e) => {
            // The same checks fail for the copy, except host alignment.
            let _ = format!("{e} {e:?} {mem:?}");
            assert!(copied.is_err() || matches!(e, GuestError::PtrNotAligned(..)));
        }
    }
}

/// Zero-size elements: any count is either refused or at most one per
/// byte of memory, and costs no more than that.
fn zero_size(mem: &OwnedMemory, at: u32, count: u32) {
    let len = mem.len() as u64;
    for got in [
        mem.ptr::<[Empty]>((at, count)).to_vec().map(|v| v.len()),
        mem.ptr::<[[u32; 0]]>((at, count)).to_vec().map(|v| v.len()),
    ] {
        match got {
            Ok(n) => assert!(n as u64 == u64::from(count) && u64::from(at) + n as u64 <= len),
            Err(
                GuestError::PtrOutOfBounds(_)
                | GuestError::PtrOverflow
                | GuestError::PtrNotAligned(..),
            ) => {}
            Err(e) => panic!("{e:?}"),
        }
    }
}

/// The bytes a record occupies, with its padding bytes cleared.
fn unpadded<'a, T: GuestType<'a> + GuestLayout>(bytes: &[u8], fields: &[(u32, u32)]) -> Vec<u8> {
    let mut keep = vec![false; T::GUEST_SIZE as usize];
    for &(at, size) in fields {
        keep[at as usize..(at + size) as usize].fill(true);
    }
    bytes
        .iter()
        .zip(keep)
        .map(|(&b, k)| if k { b } else { 0 })
        .collect()
}

fn read_back<'a, T: GuestType<'a> + GuestLayout + Copy>(
    mem: &'a OwnedMemory,
    at: u32,
    fields: &[(u32, u32)],
) {
    match mem.ptr::<T>(at).read() {
        Ok(v) => {
            let size = T::GUEST_SIZE;
            let original = mem.ptr::<[u8]>((at, size)).to_vec().unwrap();
            let copy = OwnedMemory::new(size as usize);
            T::write(&GuestPtr::new(&copy, 0), v).unwrap();
            let written = copy.ptr::<[u8]>((0, size)).to_vec().unwrap();
            assert_eq!(
                unpadded::<T>(&written, fields),
                unpadded::<T>(&original, fields)
            );
        }
        Err(GuestError::InDataField(c)) => {
            assert!(!c.typename.is_empty() && !c.field.is_empty());
            assert!(!matches!(c.err, GuestError::PtrBorrowed(_)));
        }
        Err(e) => panic!("a record error must name its field: {e:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let (head, bytes) = data.split_at(data.len().min(4));
    let mut at = [0u8; 4];
    at[..head.len()].copy_from_slice(head);
    let raw_at = u32::from_le_bytes(at);
    let at = raw_at % (bytes.len() as u32 + 64);
    let mem = OwnedMemory::from(bytes.to_vec());

    // A guest-chosen count: from the input's first bytes, sometimes huge.
    let count = if raw_at & 0x8000_0000 != 0 {
        raw_at.rotate_left(7)
    } else {
        raw_at >> 24
    };
    if cfg!(target_endian = "little") {
        transparent(&mem, at, count);
    }
    zero_size(&mem, at, count);

    // Inner: kind u8 @0, bits u16 @2, wide u32 @4; size 8.
    read_back::<Inner>(&mem, at, &[(0, 1), (2, 2), (4, 4)]);
    // Outer: tag @0, inner @4 (8), ptr @12 (8), big @24 (8), pair @32 (6); size 40.
    let outer_fields = [(0, 1), (4, 1), (6, 2), (8, 4), (12, 8), (24, 8), (32, 6)];
    read_back::<Outer<'_>>(&mem, at, &outer_fields);
    // The enums and flags on their own.
    for result in [
        mem.ptr::<Kind>(at).read().map(drop),
        mem.ptr::<Wide>(at).read().map(drop),
        mem.ptr::<Bits>(at).read().map(drop),
    ] {
        match result {
            Ok(()) | Err(GuestError::InvalidEnumValue(_) | GuestError::InvalidFlagValue(_)) => {}
            Err(
                GuestError::PtrOutOfBounds(_)
                | GuestError::PtrNotAligned(..)
                | GuestError::PtrOverflow,
            ) => {}
            Err(e) => panic!("{e:?}"),
        }
    }
    // Field pointers agree with the declared layout wherever they exist.
    if let Ok(f) = mem.ptr::<Outer<'_>>(at).fields() {
        assert_eq!(f.big.offset(), at + Outer::guest_offset_of("big"));
        assert_eq!(f.pair.offset(), at + 32);
    }
    assert!(!mem.has_outstanding_borrows());
});
