//! A hand-written host function, `fd_write`-style, over an `OwnedMemory`
//! standing in for a guest's linear memory.
//!
//! The "guest" lays out a tag string and an array of iovecs
//! (`{ buf: u32, buf_len: u32 }`); the host function reads the string and
//! every buffer — all borrowed at once, zero-copy — prints them, and writes
//! the byte count back where the guest asked. Then the guest passes a bad
//! pointer, and the host gets a `GuestError` instead of a crash.
//!
//! Run with `cargo run --example quickstart`.

use guest_memory::{GuestError, GuestMemory, GuestPtr, GuestSlice, OwnedMemory, guest_struct};

guest_struct! {
    /// An iovec as the guest lays it out (wasm32 C ABI: 8 bytes, align 4).
    #[derive(Debug, Clone, Copy)]
    pub struct Iovec<'a> {
        /// Where the buffer starts.
        pub buf: GuestPtr<'a, u8>,
        /// How many bytes it holds.
        pub buf_len: u32,
    }
}

/// The host function: `write_tagged(tag, tag_len, iovs, iovs_len, nwritten)`,
/// its guest pointers already typed.
fn write_tagged<'a>(
    tag: GuestPtr<'_, str>,
    iovs: GuestPtr<'a, [Iovec<'a>]>,
    nwritten: GuestPtr<'_, u32>,
) -> Result<(), GuestError> {
    let tag = tag.as_cow()?; // zero-copy here; a copy on shared memory
    // Borrow every buffer at once. They may overlap each other (they are
    // only read), but not a region someone holds mutably.
    let mut bufs: Vec<GuestSlice<'_, u8>> = Vec::new();
    for iov in iovs.iter() {
        let Iovec { buf, buf_len } = iov?.read()?;
        let bytes = buf.as_array(buf_len);
        bufs.push(bytes.as_slice()?.expect("OwnedMemory is not shared memory"));
    }
    let mut total: u32 = 0;
    let mut line = String::new();
    for buf in &bufs {
        line.push_str(&String::from_utf8_lossy(buf));
        total = total
            .checked_add(u32::try_from(buf.len())?)
            .ok_or(GuestError::PtrOverflow)?;
    }
    println!("[{}] {line}", &*tag);
    drop(bufs); // give the borrows back before writing near them
    nwritten.write(total)
}

fn main() -> Result<(), GuestError> {
    let mem = OwnedMemory::new(4096);

    // What the guest would have done: data, then the records pointing at it.
    mem.ptr::<str>((0, 5))
        .as_bytes()
        .copy_from_slice(b"guest")?;
    mem.ptr::<[u8]>((64, 6)).copy_from_slice(b"hello ")?;
    mem.ptr::<[u8]>((128, 6)).copy_from_slice(b"world!")?;
    let iov = |buf, buf_len| Iovec {
        buf: mem.ptr(buf),
        buf_len,
    };
    mem.ptr::<[Iovec]>((256, 2))
        .copy_from_slice(&[iov(64, 6), iov(128, 6)])?;

    // The call, with the guest's offsets.
    let (tag, iovs, nwritten) = (mem.ptr((0, 5)), mem.ptr((256, 2)), mem.ptr(512));
    write_tagged(tag, iovs, nwritten)?;
    println!("nwritten = {}", mem.ptr::<u32>(512).read()?);

    // A hostile guest: an iovec whose buffer runs off the end of memory.
    mem.ptr::<Iovec>(264).write(iov(4000, 200))?;
    let err = write_tagged(tag, mem.ptr((256, 3)), nwritten).unwrap_err();
    println!("bad guest pointer: {err}");
    assert!(matches!(err, GuestError::PtrOutOfBounds(_)));
    assert!(!mem.has_outstanding_borrows());
    Ok(())
}
