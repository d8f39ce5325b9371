//! Guest memory is little-endian on every host: the bytes in memory after a
//! write of each multi-byte type, and the values read back. Run under Miri
//! with `--target s390x-unknown-linux-gnu` this checks the big-endian paths.

use guest_memory::{GuestMemory, GuestPtr, OwnedMemory};

/// Writes with `write`, returns the first `n` bytes of memory.
fn bytes_after(n: usize, write: impl FnOnce(&OwnedMemory)) -> Vec<u8> {
    let mut mem = OwnedMemory::new(32);
    write(&mem);
    mem.as_bytes_mut()[..n].to_vec()
}

#[test]
fn integers_are_little_endian_in_memory() {
    assert_eq!(
        bytes_after(2, |m| m.ptr::<u16>(0).write(0x0102).unwrap()),
        [2, 1]
    );
    assert_eq!(
        bytes_after(2, |m| m.ptr::<i16>(0).write(-2).unwrap()),
        [0xfe, 0xff]
    );
    assert_eq!(
        bytes_after(4, |m| m.ptr::<u32>(0).write(0x0102_0304).unwrap()),
        [4, 3, 2, 1]
    );
    assert_eq!(
        bytes_after(4, |m| m.ptr::<i32>(0).write(-0x0102_0305).unwrap()),
        [0xfb, 0xfc, 0xfd, 0xfe]
    );
    assert_eq!(
        bytes_after(8, |m| m.ptr::<u64>(0).write(0x0102_0304_0506_0708).unwrap()),
        [8, 7, 6, 5, 4, 3, 2, 1]
    );
    assert_eq!(
        bytes_after(8, |m| m.ptr::<i64>(0).write(-1 << 8).unwrap()),
        [0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]
    );
    assert_eq!(
        bytes_after(1, |m| m.ptr::<i8>(0).write(-1).unwrap()),
        [0xff]
    );
}

#[test]
fn floats_are_little_endian_ieee_754() {
    assert_eq!(
        bytes_after(4, |m| m.ptr::<f32>(0).write(1.0).unwrap()),
        [0, 0, 0x80, 0x3f]
    );
    assert_eq!(
        bytes_after(8, |m| m.ptr::<f64>(0).write(-2.5).unwrap()),
        [0, 0, 0, 0, 0, 0, 0x04, 0xc0]
    );
}

#[test]
fn pointers_are_little_endian_offsets_and_lengths() {
    assert_eq!(
        bytes_after(4, |m| m
            .ptr::<GuestPtr<u64>>(0)
            .write(m.ptr(0x0a0b_0c0d))
            .unwrap()),
        [0x0d, 0x0c, 0x0b, 0x0a]
    );
    assert_eq!(
        bytes_after(8, |m| m
            .ptr::<GuestPtr<[u16]>>(0)
            .write(m.ptr((0x0102, 0x0304)))
            .unwrap()),
        [2, 1, 0, 0, 4, 3, 0, 0]
    );
    assert_eq!(
        bytes_after(8, |m| m
            .ptr::<GuestPtr<str>>(0)
            .write(m.ptr((5, 6)))
            .unwrap()),
        [5, 0, 0, 0, 6, 0, 0, 0]
    );
}

#[test]
fn arrays_and_bulk_copies_convert_each_element() {
    assert_eq!(
        bytes_after(4, |m| m.ptr::<[u16; 2]>(0).write([0x0102, 0x0304]).unwrap()),
        [2, 1, 4, 3]
    );
    assert_eq!(
        bytes_after(8, |m| m
            .ptr::<[u32]>((0, 2))
            .copy_from_slice(&[0x0102_0304, 0x0506_0708])
            .unwrap()),
        [4, 3, 2, 1, 8, 7, 6, 5]
    );
    assert_eq!(
        bytes_after(8, |m| m
            .ptr::<[GuestPtr<u8>]>((0, 2))
            .copy_from_slice(&[m.ptr(1), m.ptr(0x100)])
            .unwrap()),
        [1, 0, 0, 0, 0, 1, 0, 0]
    );
}

#[test]
fn reads_decode_little_endian() {
    let mem = OwnedMemory::from(vec![1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0x80, 0x3f]);
    assert_eq!(mem.ptr::<u16>(0).read().unwrap(), 0x0201);
    assert_eq!(mem.ptr::<u32>(4).read().unwrap(), 0x0807_0605);
    assert_eq!(mem.ptr::<u64>(0).read().unwrap(), 0x0807_0605_0403_0201);
    assert_eq!(mem.ptr::<f32>(8).read().unwrap(), 1.0);
    assert_eq!(
        mem.ptr::<[u16]>((0, 3)).to_vec().unwrap(),
        [0x0201, 0x0403, 0x0605]
    );
    assert_eq!(
        mem.ptr::<[i32; 2]>(0).read().unwrap(),
        [0x0403_0201, 0x0807_0605]
    );
    assert_eq!(
        mem.ptr::<GuestPtr<[u8]>>(0).read().unwrap().offset(),
        (0x0403_0201, 0x0807_0605)
    );
}

#[test]
fn zero_copy_views_of_multi_byte_types_only_on_little_endian_hosts() {
    // `u16` is `GuestTypeTransparent` only where host and guest agree.
    #[cfg(target_endian = "little")]
    {
        let mem = OwnedMemory::from(vec![1, 2, 3, 4]);
        let v = mem.ptr::<[u16]>((0, 2)).as_slice().unwrap().unwrap();
        assert_eq!(v, [0x0201, 0x0403]);
    }
    // Bytes are transparent everywhere.
    let mem = OwnedMemory::from(vec![1, 2, 3, 4]);
    assert_eq!(mem.ptr::<[u8]>((1, 2)).as_slice().unwrap().unwrap(), [2, 3]);
}
