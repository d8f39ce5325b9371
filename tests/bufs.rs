//! `GuestBuf` / `GuestBufMut`: one code path for shared and non-shared
//! memory, with the same rules between buffers on both.

use core::cell::UnsafeCell;

use guest_memory::{
    GuestError, GuestMemory, GuestPtr, OwnedMemory, SharedSliceMemory, SliceMemory,
};

/// `fd_read`-style: fills the guest's buffers in order from `data`.
fn scatter(bufs: &[GuestPtr<'_, [u8]>], data: &[u8]) -> Result<usize, GuestError> {
    let mut bufs = bufs
        .iter()
        .map(|b| b.as_buf_mut())
        .collect::<Result<Vec<_>, _>>()?;
    let mut done = 0;
    for buf in &mut bufs {
        let n = buf.len().min(data.len() - done);
        buf[..n].copy_from_slice(&data[done..done + n]);
        done += n;
    }
    Ok(done)
}

/// `fd_write`-style: gathers the guest's buffers in order.
fn gather(bufs: &[GuestPtr<'_, [u8]>]) -> Result<Vec<u8>, GuestError> {
    let bufs = bufs
        .iter()
        .map(|b| b.as_buf())
        .collect::<Result<Vec<_>, _>>()?;
    Ok(bufs.iter().flat_map(|b| b.iter().copied()).collect())
}

/// The same checks on any memory of 64 zeroed bytes; `copies` says whether
/// its buffers are copies.
fn same_rules_on(mem: &dyn GuestMemory, copies: bool) {
    let p = |offset, len| GuestPtr::<[u8]>::new(mem, (offset, len));
    assert_eq!(scatter(&[p(0, 3), p(8, 8)], b"hello world").unwrap(), 11);
    assert_eq!(GuestPtr::<[u8]>::new(mem, (0, 3)).to_vec().unwrap(), b"hel");
    assert_eq!(
        GuestPtr::<[u8]>::new(mem, (8, 8)).to_vec().unwrap(),
        b"lo world"
    );
    assert_eq!(gather(&[p(0, 3), p(8, 8)]).unwrap(), b"hello world");
    assert!(!mem.has_outstanding_borrows());

    // Reads may overlap each other.
    assert_eq!(gather(&[p(0, 3), p(1, 2)]).unwrap(), b"helel");
    // Fills may not overlap each other, nor a read; nothing is written then.
    let before = p(0, 64).to_vec().unwrap();
    assert!(matches!(
        scatter(&[p(0, 4), p(3, 4)], b"XXXXXXXX"),
        Err(GuestError::PtrBorrowed(r)) if (r.start, r.len) == (3, 4)
    ));
    assert!(!mem.has_outstanding_borrows());
    let read = p(10, 4).as_buf().unwrap();
    assert_eq!(read.is_copy(), copies);
    assert!(matches!(
        p(12, 4).as_buf_mut(),
        Err(GuestError::PtrBorrowed(_))
    ));
    let fill = p(20, 4).as_buf_mut().unwrap();
    assert_eq!(fill.is_copy(), copies);
    assert!(matches!(p(23, 1).as_buf(), Err(GuestError::PtrBorrowed(_))));
    // The host's own plain accesses meet the buffers' borrows as views' do:
    // no write under either kind, no read under a buffer to fill (on shared
    // memory the write was accepted, then undone by the write-back).
    let byte = |offset| GuestPtr::<u8>::new(mem, offset);
    assert_eq!(byte(11).read().unwrap(), b'w');
    assert!(matches!(byte(11).write(1), Err(GuestError::PtrBorrowed(_))));
    assert!(matches!(byte(21).write(1), Err(GuestError::PtrBorrowed(_))));
    assert!(matches!(byte(21).read(), Err(GuestError::PtrBorrowed(_))));
    assert!(matches!(
        GuestPtr::<[u8]>::new(mem, (18, 4)).copy_from_slice(b"abcd"),
        Err(GuestError::PtrBorrowed(_))
    ));
    byte(30).write(b'!').unwrap();
    drop((read, fill));
    byte(30).write(before[30]).unwrap();
    assert_eq!(p(0, 64).to_vec().unwrap(), before);

    // Bad pointers are refused alike.
    assert!(matches!(
        p(60, 8).as_buf(),
        Err(GuestError::PtrOutOfBounds(_))
    ));
    assert!(matches!(
        p(u32::MAX, 2).as_buf_mut(),
        Err(GuestError::PtrOverflow)
    ));
    // (Multi-byte elements get buffers only where they are transparent: on
    // little-endian hosts.)
    #[cfg(target_endian = "little")]
    assert!(matches!(
        GuestPtr::<[u32]>::new(mem, (2, 1)).as_buf(),
        Err(GuestError::PtrNotAligned(_, 4))
    ));
    // An empty buffer is fine anywhere inside.
    assert!(p(64, 0).as_buf_mut().unwrap().is_empty());
    assert!(!mem.has_outstanding_borrows());
}

#[test]
fn non_shared_memories_lend_views() {
    same_rules_on(&OwnedMemory::new(64), false);
    let mut bytes = vec![0u8; 64];
    same_rules_on(&SliceMemory::new(&mut bytes), false);
}

#[test]
fn shared_memory_lends_copies_under_the_same_rules() {
    let cells: Vec<UnsafeCell<u8>> = (0..64).map(|_| UnsafeCell::new(0)).collect();
    // SAFETY: the cells are accessed only through `mem`, atomically.
    let mem = unsafe { SharedSliceMemory::new(&cells) };
    same_rules_on(&mem, true);
}

#[test]
fn a_copy_is_written_back_only_where_the_host_changed_it() {
    use core::sync::atomic::{AtomicU8, Ordering};

    let cells: Vec<UnsafeCell<u8>> = (0..16).map(|_| UnsafeCell::new(0)).collect();
    // A guest thread's store: atomic, bypassing the crate.
    let guest_writes = |at: usize, v: u8| {
        // SAFETY: the cell is valid, and every access to it is atomic.
        unsafe { AtomicU8::from_ptr(cells[at].get()) }.store(v, Ordering::Relaxed)
    };
    // SAFETY: the cells are accessed only through `mem` and `guest_writes`,
    // atomically.
    let mem = unsafe { SharedSliceMemory::new(&cells) };
    // The guest writes while the host holds a buffer it only reads
    // through: its write survives.
    let buf = mem.ptr::<[u8]>((0, 4)).as_buf_mut().unwrap();
    guest_writes(1, 7);
    assert_eq!(buf[1], 0);
    drop(buf);
    assert_eq!(mem.ptr::<u8>(1).read().unwrap(), 7);
    // Changed, only the bytes the host changed go back: the guest's write
    // to the rest of the buffer survives (third review: the whole copy went
    // back, undoing it).
    let mut buf = mem.ptr::<[u8]>((0, 4)).as_buf_mut().unwrap();
    buf[0] = 1;
    guest_writes(2, 9);
    drop(buf);
    assert_eq!(mem.ptr::<[u8]>((0, 4)).to_vec().unwrap(), [1, 7, 9, 0]);
    // Elements go back whole, so an aligned value is never torn: a `u32`
    // the host rewrote replaces the guest's, all four bytes. (`[u32]`
    // buffers need a little-endian host.)
    #[cfg(target_endian = "little")]
    {
        let mut words = mem.ptr::<[u32]>((4, 2)).as_buf_mut().unwrap();
        words[0] = 0x0102_0304;
        guest_writes(4, 0xaa);
        guest_writes(8, 0xbb);
        drop(words);
        assert_eq!(mem.ptr::<u32>(4).read().unwrap(), 0x0102_0304);
        assert_eq!(mem.ptr::<u8>(8).read().unwrap(), 0xbb);
    }
}

#[cfg(target_endian = "little")] // multi-byte buffers need a little-endian host
#[test]
fn a_host_misaligned_memory_copies_and_writes_back() {
    // A memory starting one byte past an 8-aligned address: `u32` views are
    // impossible there, buffers copy instead.
    let mut backing = vec![0u64; 5];
    let bytes: &mut [u8] = bytemuck_bytes(&mut backing);
    let mem = SliceMemory::new(&mut bytes[1..33]);
    let p = mem.ptr::<[u32]>((4, 2));
    assert!(matches!(
        p.as_slice_mut(),
        Err(GuestError::PtrNotAligned(_, 4))
    ));
    let mut buf = p.as_buf_mut().unwrap();
    assert!(buf.is_copy());
    buf.copy_from_slice(&[0x0102_0304, 0x0506_0708]);
    // Held: the region is mut-borrowed as a view's would be.
    assert!(matches!(
        mem.ptr::<u8>(6).read(),
        Err(GuestError::PtrBorrowed(_))
    ));
    drop(buf);
    assert_eq!(p.to_vec().unwrap(), [0x0102_0304, 0x0506_0708]);
    let read = p.as_buf().unwrap();
    assert!(read.is_copy());
    assert_eq!(*read, [0x0102_0304, 0x0506_0708]);
    assert!(matches!(
        mem.ptr::<u8>(4).write(0),
        Err(GuestError::PtrBorrowed(_))
    ));
}

#[cfg(target_endian = "little")]
/// The bytes of a `u64` buffer (8-aligned).
fn bytemuck_bytes(v: &mut [u64]) -> &mut [u8] {
    let len = v.len() * 8;
    // SAFETY: `u64` has no padding and `u8` no alignment or validity
    // requirement; the result reborrows `v` exclusively.
    unsafe { core::slice::from_raw_parts_mut(v.as_mut_ptr().cast::<u8>(), len) }
}
