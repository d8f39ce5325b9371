//! Zero-copy views, copies, and the "nothing is lost, nothing is half
//! written" rules, through the public API.

use std::sync::Arc;

use guest_memory::{
    GuestCow, GuestError, GuestMemory, GuestPtr, GuestStrCow, LocalSliceMemory, OwnedMemory,
    Region, SliceMemory,
};

#[test]
fn several_disjoint_mut_views_at_once() {
    // What a vectored fd_read needs: every iovec writable at the same time.
    let mem = OwnedMemory::new(64);
    let mut a = mem.ptr::<[u8]>((0, 8)).as_slice_mut().unwrap().unwrap();
    let mut b = mem.ptr::<[u8]>((8, 8)).as_slice_mut().unwrap().unwrap();
    let mut c = mem.ptr::<[u8]>((32, 4)).as_slice_mut().unwrap().unwrap();
    a.fill(1);
    b.fill(2);
    c.copy_from_slice(b"abcd");
    // Overlapping any of them is refused, in either direction.
    assert!(matches!(
        mem.ptr::<[u8]>((7, 2)).as_slice_mut(),
        Err(GuestError::PtrBorrowed(_))
    ));
    assert!(matches!(
        mem.ptr::<[u8]>((35, 1)).as_slice(),
        Err(GuestError::PtrBorrowed(_))
    ));
    drop((a, b, c));
    assert!(!mem.has_outstanding_borrows());
    let all = mem.ptr::<[u8]>((0, 36)).to_vec().unwrap();
    assert_eq!(
        &all[..16],
        &[1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2]
    );
    assert_eq!(&all[32..], b"abcd");
}

#[test]
fn shared_views_overlap_each_other() {
    let mem = OwnedMemory::from((0u8..32).collect::<Vec<_>>());
    let a = mem.ptr::<[u8]>((0, 16)).as_slice().unwrap().unwrap();
    let b = mem.ptr::<[u8]>((8, 16)).as_slice().unwrap().unwrap();
    let s = mem.ptr::<[u8]>((10, 4)).as_cow().unwrap();
    assert!(matches!(s, GuestCow::Borrowed(_)));
    assert_eq!(a[8..], b[..8]);
    assert_eq!(s, [10, 11, 12, 13]);
    assert!(mem.is_shared_borrowed(Region::new(20, 1)));
    assert!(!mem.is_mut_borrowed(Region::new(0, 32)));
    drop((a, b, s));
    assert!(!mem.has_outstanding_borrows());
}

#[test]
fn string_views() {
    let mem = OwnedMemory::from(b"hello world".to_vec());
    {
        let mut s = mem.ptr::<str>((6, 5)).as_str_mut().unwrap().unwrap();
        s.make_ascii_uppercase();
        assert_eq!(s, "WORLD");
        assert!(mem.ptr::<str>((0, 11)).as_str().is_err());
    }
    let s = mem.ptr::<str>((0, 11)).as_str().unwrap().unwrap();
    assert_eq!(s, "hello WORLD");
    assert_eq!(s.to_string(), "hello WORLD"); // Display
    let cow = mem.ptr::<str>((0, 5)).as_cow().unwrap();
    assert!(matches!(cow, GuestStrCow::Borrowed(_)));
    assert_eq!(cow, "hello");
    assert_eq!(mem.ptr::<str>((6, 5)).to_string().unwrap(), "WORLD");
    assert_eq!(
        mem.ptr::<[u8]>((0, 5)).as_str_ptr().to_string().unwrap(),
        "hello"
    );
    assert_eq!(mem.ptr::<str>((0, 5)).as_bytes().len(), 5);
    assert_eq!(mem.ptr::<str>((3, 0)).as_str().unwrap().unwrap(), "");
}

#[test]
fn copies_round_trip_every_primitive() {
    let mem = OwnedMemory::new(256);
    macro_rules! round_trip {
        ($($ty:ty => $vals:expr),*) => {$(
            let vals: Vec<$ty> = $vals;
            let p = mem.ptr::<[$ty]>((64, u32::try_from(vals.len()).unwrap()));
            p.copy_from_slice(&vals).unwrap();
            assert_eq!(p.to_vec().unwrap(), vals, stringify!($ty));
            for (i, v) in p.iter().enumerate() {
                assert_eq!(v.unwrap().read().unwrap(), vals[i], stringify!($ty));
            }
        )*};
    }
    round_trip!(
        u8 => vec![0, 1, 255],
        i8 => vec![-128, 0, 127],
        u16 => vec![0, 0xffff, 0x1234],
        i16 => vec![i16::MIN, -1, i16::MAX],
        u32 => vec![0, u32::MAX, 0xdead_beef],
        i32 => vec![i32::MIN, -7, i32::MAX],
        u64 => vec![u64::MAX, 1 << 63, 3],
        i64 => vec![i64::MIN, -1, i64::MAX],
        f32 => vec![1.5, -0.0, f32::INFINITY],
        f64 => vec![f64::MIN_POSITIVE, -1e300, 0.25]
    );
}

#[test]
fn failed_writes_change_nothing() {
    let mut mem = OwnedMemory::from(vec![0xaa; 64]);
    {
        // A borrow in the middle of the destination.
        let view = mem.ptr::<[u8]>((20, 1)).as_slice().unwrap().unwrap();
        let err = mem
            .ptr::<[u32]>((8, 8))
            .copy_from_slice(&[1; 8])
            .unwrap_err();
        assert!(matches!(err, GuestError::PtrBorrowed(_)));
        // The generic (element by element) path: arrays of guest pointers.
        let ptrs = [mem.ptr::<u8>(1); 4];
        let err = mem
            .ptr::<[GuestPtr<u8>]>((12, 4))
            .copy_from_slice(&ptrs)
            .unwrap_err();
        assert!(matches!(err, GuestError::PtrBorrowed(_)));
        let err = mem.ptr::<[u16; 8]>(16).write([7; 8]).unwrap_err();
        assert!(matches!(err, GuestError::PtrBorrowed(_)));
        drop(view);
        // Past the end, after a valid prefix.
        let err = mem
            .ptr::<[u64]>((48, 4))
            .copy_from_slice(&[1; 4])
            .unwrap_err();
        assert!(matches!(err, GuestError::PtrOutOfBounds(_)));
        let err = mem
            .ptr::<[GuestPtr<u8>; 8]>(48)
            .write([mem.ptr(0); 8])
            .unwrap_err();
        assert!(matches!(err, GuestError::PtrOutOfBounds(_)));
        let err = mem.ptr::<u64>(64).write(1).unwrap_err();
        assert!(matches!(err, GuestError::PtrOutOfBounds(_)));
    }
    assert!(mem.as_bytes_mut().iter().all(|&b| b == 0xaa));
}

#[test]
fn views_release_their_borrows_on_drop() {
    let mem = OwnedMemory::new(32);
    drop(mem.ptr::<[u8]>((0, 4)).as_slice().unwrap());
    drop(mem.ptr::<[u8]>((0, 4)).as_slice_mut().unwrap());
    drop(mem.ptr::<str>((0, 4)).as_str().unwrap());
    drop(mem.ptr::<str>((0, 4)).as_str_mut().unwrap());
    drop(mem.ptr::<str>((0, 4)).as_cow().unwrap());
    drop(mem.ptr::<[u8]>((0, 4)).as_cow().unwrap());
    assert!(!mem.has_outstanding_borrows());
    // An unchecked view takes no borrow at all.
    let raw = mem.ptr::<[u8]>((4, 8)).as_unsafe_slice_mut().unwrap();
    assert_eq!((raw.len(), raw.region()), (8, Region::new(4, 8)));
    assert!(!raw.is_shared_memory());
    assert!(!mem.has_outstanding_borrows());
    assert!(matches!(
        mem.ptr::<[u8]>((28, 5)).as_unsafe_slice_mut(),
        Err(GuestError::PtrOutOfBounds(_))
    ));
    #[cfg(target_endian = "little")]
    {
        let raw = mem.ptr::<[u32]>((4, 2)).as_unsafe_slice_mut().unwrap();
        assert_eq!((raw.len(), raw.region()), (2, Region::new(4, 8)));
        assert!(matches!(
            mem.ptr::<[u32]>((30, 2)).as_unsafe_slice_mut(),
            Err(GuestError::PtrNotAligned(..))
        ));
        assert!(matches!(
            mem.ptr::<[u32]>((28, 2)).as_unsafe_slice_mut(),
            Err(GuestError::PtrOutOfBounds(_))
        ));
    }
}

#[test]
fn a_view_can_move_to_another_thread() {
    let mem = OwnedMemory::new(32);
    let mut view = mem.ptr::<[u8]>((0, 4)).as_slice_mut().unwrap().unwrap();
    std::thread::scope(|s| {
        s.spawn(move || {
            view.copy_from_slice(&[9, 8, 7, 6]);
            // dropped on this thread, which releases the borrow
        });
    });
    assert!(!mem.has_outstanding_borrows());
    assert_eq!(mem.ptr::<u32>(0).read().unwrap(), 0x0607_0809);
}

#[test]
fn forwarding_impls_behave_like_the_memory() {
    fn exercise(mem: &dyn GuestMemory) {
        let p = GuestPtr::<u32>::new(mem, 4);
        p.write(42).unwrap();
        assert_eq!(p.read().unwrap(), 42);
        let v = GuestPtr::<[u8]>::new(mem, (0, 4))
            .as_slice_mut()
            .unwrap()
            .unwrap();
        assert!(mem.is_mut_borrowed(Region::new(2, 1)));
        assert!(matches!(
            GuestPtr::<u8>::new(mem, 1).read(),
            Err(GuestError::PtrBorrowed(_))
        ));
        drop(v);
        assert!(!mem.has_outstanding_borrows());
    }
    let owned = OwnedMemory::new(16);
    exercise(&owned);
    exercise(&&owned);
    let boxed: Box<dyn GuestMemory> = Box::new(OwnedMemory::new(16));
    exercise(&boxed);
    exercise(&*boxed);
    let arc: Arc<dyn GuestMemory> = Arc::new(OwnedMemory::new(16));
    exercise(&arc);
    let mut bytes = [0u8; 16];
    let mut slice = SliceMemory::new(&mut bytes);
    exercise(&slice);
    exercise(&&mut slice);
    let mut bytes = [0u8; 16];
    let local = LocalSliceMemory::new(&mut bytes);
    exercise(&*local);
    assert_eq!(local.ptr::<u32>(4).read().unwrap(), 42);
    // The provided `ptr` works on every wrapper.
    let r = &owned;
    assert_eq!(r.ptr::<u32>(4).read().unwrap(), 42);
    assert_eq!(arc.ptr::<u32>(4).read().unwrap(), 42);
}

/// Third review, finding 4: pointers were equal by the address of the
/// memory object, so pointers through an `Arc`, a clone of it and the
/// memory itself (the same bytes) differed, and two zero-size memory types
/// forwarding to different memories (one address) were equal. Equality is
/// by the memory's bytes: where `base()` starts and how long it is.
#[test]
fn pointers_are_equal_exactly_when_they_name_the_same_bytes() {
    use std::collections::hash_map::DefaultHasher;
    use std::hash::{Hash, Hasher};
    use std::sync::LazyLock;

    fn hash(p: &GuestPtr<'_, u32>) -> u64 {
        let mut h = DefaultHasher::new();
        p.hash(&mut h);
        h.finish()
    }

    let arc: Arc<OwnedMemory> = Arc::new(OwnedMemory::new(16));
    let clone = arc.clone();
    let (a, b, c) = (arc.ptr::<u32>(4), clone.ptr::<u32>(4), (*arc).ptr::<u32>(4));
    assert!(a == b && b == c, "one memory's bytes, three ways in");
    assert!(hash(&a) == hash(&b) && hash(&b) == hash(&c));
    assert_ne!(a, arc.ptr::<u32>(8));

    // Two memories of one size, never the same bytes.
    let other = OwnedMemory::new(16);
    assert_ne!(a, other.ptr::<u32>(4));

    static FIRST: LazyLock<OwnedMemory> = LazyLock::new(|| OwnedMemory::new(16));
    static SECOND: LazyLock<OwnedMemory> = LazyLock::new(|| OwnedMemory::new(16));
    /// A zero-size memory type forwarding to one of the statics.
    struct Fwd<const FIRST: bool>;
    impl<const F: bool> Fwd<F> {
        fn to(&self) -> &'static OwnedMemory {
            if F { &FIRST } else { &SECOND }
        }
    }
    // SAFETY: every method forwards to one `OwnedMemory`, so its rules hold.
    unsafe impl<const F: bool> GuestMemory for Fwd<F> {
        fn base(&self) -> &[core::cell::UnsafeCell<u8>] {
            self.to().base()
        }
        fn has_outstanding_borrows(&self) -> bool {
            self.to().has_outstanding_borrows()
        }
        fn is_mut_borrowed(&self, r: Region) -> bool {
            self.to().is_mut_borrowed(r)
        }
        fn is_shared_borrowed(&self, r: Region) -> bool {
            self.to().is_shared_borrowed(r)
        }
        fn mut_borrow(&self, r: Region) -> Result<guest_memory::BorrowHandle, GuestError> {
            self.to().mut_borrow(r)
        }
        fn shared_borrow(&self, r: Region) -> Result<guest_memory::BorrowHandle, GuestError> {
            self.to().shared_borrow(r)
        }
        fn mut_unborrow(&self, h: guest_memory::BorrowHandle) {
            self.to().mut_unborrow(h)
        }
        fn shared_unborrow(&self, h: guest_memory::BorrowHandle) {
            self.to().shared_unborrow(h)
        }
    }
    // Both at one address: zero-size fields of one tuple.
    let both = (Fwd::<true>, Fwd::<false>);
    assert!(core::ptr::addr_eq(&both.0, &both.1));
    let (p, q) = (both.0.ptr::<u32>(4), both.1.ptr::<u32>(4));
    assert_ne!(p, q, "two memories' bytes");
    assert_eq!(
        p,
        FIRST.ptr::<u32>(4),
        "the same bytes as the memory it forwards to"
    );
}
