//! Regression tests for what the second adversarial review broke, one test
//! per finding; `docs/attacks.md` lists every attack and the test that shows
//! it fails. Hangs are caught by a watchdog, undefined behaviour by Miri.

mod common;

use std::sync::mpsc;
use std::time::Duration;

use guest_memory::{
    GuestError, GuestLayout, GuestMemory, GuestPtr, GuestType, OwnedMemory, SliceMemory,
    guest_struct,
};

/// Runs `f` on another thread and fails the test if it has not finished in
/// `secs` seconds (the thread is then left spinning; the test process ends).
fn within<R: Send + 'static>(secs: u64, what: &str, f: impl FnOnce() -> R + Send + 'static) -> R {
    let (tx, rx) = mpsc::channel();
    let thread = std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    // Miri runs thousands of times slower than native code, and its clock
    // is virtual; give it room so only a real hang trips the watchdog.
    let limit = Duration::from_secs(if cfg!(miri) { secs * 1000 } else { secs });
    match rx.recv_timeout(limit) {
        Ok(r) => r,
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            // `f` panicked: pass its panic on.
            std::panic::resume_unwind(thread.join().unwrap_err())
        }
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("{what}: still running after {secs} s (a hang)")
        }
    }
}

/// Finding 2: `Debug` for a memory used to format while holding the
/// tracker's lock, so a writer that reads the same memory spun forever.
#[test]
fn formatting_a_memory_into_a_writer_that_reads_it_does_not_hang() {
    use core::fmt::Write;

    /// A `fmt::Write` that reads guest memory on every write.
    struct ReadsMemory<'a> {
        mem: &'a dyn GuestMemory,
        reads: usize,
        out: String,
    }
    impl Write for ReadsMemory<'_> {
        fn write_str(&mut self, s: &str) -> core::fmt::Result {
            GuestPtr::<u32>::new(self.mem, 0)
                .read()
                .map_err(|_| core::fmt::Error)?;
            self.reads += 1;
            self.out.push_str(s);
            Ok(())
        }
    }

    let out = within(10, "Debug of a memory", || {
        let mem = OwnedMemory::new(16);
        let _view = mem.ptr::<[u8]>((8, 4)).as_slice().unwrap().unwrap();
        let mut w = ReadsMemory {
            mem: &mem,
            reads: 0,
            out: String::new(),
        };
        write!(w, "{mem:?}").unwrap();
        assert!(w.reads > 0);
        w.out
    });
    assert!(out.contains("OwnedMemory"), "{out}");
    assert!(out.contains("shared_segments: 1"), "{out}");
}

/// A memory whose bytes start one byte past an 8-aligned address, so no
/// `u64` is host-aligned in it.
#[cfg(target_endian = "little")]
fn misaligned(buf: &mut [u64; 4]) -> SliceMemory<'_> {
    // SAFETY: the `[u64; 4]` is 32 initialized bytes that `buf` borrows
    // exclusively for the returned lifetime; `u8` needs no alignment.
    let bytes = unsafe { core::slice::from_raw_parts_mut(buf.as_mut_ptr().cast::<u8>(), 32) };
    SliceMemory::new(&mut bytes[1..])
}

/// Finding 3: an empty `as_unsafe_slice_mut` skipped the host alignment
/// check, so `from_raw_parts(as_ptr(), 0)` for `[u64]` was undefined
/// behaviour on a misaligned or empty memory. Miri reports that. (`u64` is
/// transparent, so it has unsafe slices, on little-endian hosts only.)
#[cfg(target_endian = "little")]
#[test]
fn empty_unsafe_slices_point_at_aligned_addresses() {
    let mut buf = [0u64; 4];
    let mem = misaligned(&mut buf);
    let mut empty: [u8; 0] = [];
    let none = SliceMemory::new(&mut empty);
    for mem in [&mem as &dyn GuestMemory, &none] {
        let u = GuestPtr::<[u64]>::new(mem, (0, 0))
            .as_unsafe_slice_mut()
            .unwrap();
        assert!(u.as_ptr().is_aligned());
        assert_eq!(u.len(), 0);
        // SAFETY: no element is read; the pointer is non-null and aligned,
        // which is all a zero-length slice needs.
        let s = unsafe { core::slice::from_raw_parts(u.as_ptr(), u.len()) };
        assert!(s.is_empty());
    }
    // A non-empty slice at a misaligned host address is refused.
    assert!(matches!(
        mem.ptr::<[u64]>((0, 1)).as_unsafe_slice_mut(),
        Err(GuestError::PtrNotAligned(_, 8))
    ));
}

/// Finding 4: `as_unsafe_slice_mut` did not check that the host size of the
/// element is its guest size. `[u8; 1 << 32]` has a guest size saturated at
/// `u32::MAX`, so one of them fits a 4 GiB - 1 memory by guest arithmetic
/// while its host size runs one byte past the end.
#[cfg(all(target_pointer_width = "64", not(miri)))]
#[test]
fn unsafe_slices_never_cover_more_than_their_region() {
    use std::alloc::{Layout, alloc_zeroed, dealloc};

    type Huge = [u8; 1 << 32];
    let len = u32::MAX as usize;
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
        assert_eq!(<Huge as GuestType>::guest_size(), u32::MAX);
        assert!(matches!(
            mem.ptr::<[Huge]>((0, 1)).as_unsafe_slice_mut(),
            Err(GuestError::PtrOverflow)
        ));
    }
    // SAFETY: allocated above with this layout, freed once.
    unsafe { dealloc(p, layout) };
}

guest_struct! {
    /// A record with no fields: guest size 0.
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub struct Empty {}
}

/// `guest_struct! { pub struct E {} }` did not compile.
#[test]
fn records_without_fields_are_declarable() {
    assert_eq!((Empty::GUEST_SIZE, Empty::GUEST_ALIGN), (0, 1));
    let mem = OwnedMemory::new(4);
    assert_eq!(mem.ptr::<Empty>(4).read().unwrap(), Empty {});
    mem.ptr::<Empty>(4).write(Empty {}).unwrap();
    assert!(mem.ptr::<Empty>(5).read().is_err());
    let _fields = mem.ptr::<Empty>(0).fields().unwrap();
}

/// Also fixed: a `[T]` of zero-size elements with a guest-chosen length of
/// four billion made `to_vec` loop four billion times. Such an array is now
/// checked as if each element took one byte, so its work is bounded by the
/// memory's size like any other array's.
#[test]
fn zero_size_elements_cost_no_more_than_bytes() {
    within(10, "to_vec of 2^32 - 1 zero-size elements", || {
        let mem = OwnedMemory::new(64);
        for count in [65, u32::MAX] {
            let err = mem.ptr::<[[u32; 0]]>((0, count)).to_vec().unwrap_err();
            assert!(
                matches!(err, GuestError::PtrOutOfBounds(r) if r.len == count),
                "{err}"
            );
            let err = mem.ptr::<[Empty]>((0, count)).to_vec().unwrap_err();
            assert!(matches!(err, GuestError::PtrOutOfBounds(_)), "{err}");
            assert!(
                mem.ptr::<[[u32; 0]]>((0, count))
                    .copy_from_slice(&vec![[]; 65][..])
                    .is_err()
            );
        }
        // As many as the memory has bytes still work, and touch nothing.
        assert_eq!(mem.ptr::<[Empty]>((0, 64)).to_vec().unwrap().len(), 64);
        assert_eq!(mem.ptr::<[[u8; 0]]>((60, 4)).to_vec().unwrap().len(), 4);
        assert!(mem.ptr::<[[u8; 0]]>((61, 4)).to_vec().is_err());
    });
}

/// A memory a user wrote by the trait's docs, with only the eight required
/// methods: the provided `read_bytes` / `write_bytes` must keep it sound.
struct Minimal {
    cells: Box<[core::cell::UnsafeCell<u8>]>,
    tracker: guest_memory::BorrowTracker,
}

// SAFETY: the cells are reached only through the `GuestMemory` impl below,
// whose every access the crate guards with borrows from `tracker` (`Sync`).
unsafe impl Sync for Minimal {}

// SAFETY: rule 1: `base()` is the owned cells, valid while `self` is. Rule 2:
// one tracker, owned. Rule 3: the `BorrowTracker` is exact. Rule 4: nothing
// but the crate reaches the cells, and it honours the borrows. Rule 5: not
// shared; rule 6: `read_bytes` / `write_bytes` are the provided ones.
unsafe impl GuestMemory for Minimal {
    fn base(&self) -> &[core::cell::UnsafeCell<u8>] {
        &self.cells
    }
    fn has_outstanding_borrows(&self) -> bool {
        self.tracker.has_outstanding_borrows()
    }
    fn is_mut_borrowed(&self, r: guest_memory::Region) -> bool {
        self.tracker.is_mut_borrowed(r)
    }
    fn is_shared_borrowed(&self, r: guest_memory::Region) -> bool {
        self.tracker.is_shared_borrowed(r)
    }
    fn mut_borrow(
        &self,
        r: guest_memory::Region,
    ) -> Result<guest_memory::BorrowHandle, GuestError> {
        self.tracker.mut_borrow(r)
    }
    fn shared_borrow(
        &self,
        r: guest_memory::Region,
    ) -> Result<guest_memory::BorrowHandle, GuestError> {
        self.tracker.shared_borrow(r)
    }
    fn mut_unborrow(&self, h: guest_memory::BorrowHandle) {
        self.tracker.mut_unborrow(h)
    }
    fn shared_unborrow(&self, h: guest_memory::BorrowHandle) {
        self.tracker.shared_unborrow(h)
    }
}

/// Primitive accesses on one thread race views taken and written on
/// another, on a memory with only the required methods. Miri reports any
/// data race; the values show no torn write.
#[test]
fn a_memory_with_only_the_required_methods_is_sound_across_threads() {
    let mem = Minimal {
        cells: (0..64).map(|_| core::cell::UnsafeCell::new(0)).collect(),
        tracker: guest_memory::BorrowTracker::new(),
    };
    let rounds = common::iterations(2_000, 30);
    std::thread::scope(|s| {
        s.spawn(|| {
            for i in 0..rounds {
                let fill = (i % 250) as u8 + 1;
                if let Ok(Some(mut v)) = mem.ptr::<[u8]>((0, 8)).as_slice_mut() {
                    v.fill(fill);
                }
                let _ = mem
                    .ptr::<u64>(8)
                    .write(u64::from(fill) * 0x0101_0101_0101_0101);
            }
        });
        for _ in 0..rounds {
            for at in [0, 8] {
                match mem.ptr::<u64>(at).read() {
                    Ok(v) => assert_eq!(v, (v & 0xff) * 0x0101_0101_0101_0101, "torn: {v:#x}"),
                    Err(GuestError::PtrBorrowed(_)) => {}
                    Err(e) => panic!("{e}"),
                }
            }
        }
    });
    assert!(!mem.has_outstanding_borrows());
    // The rules still read the same: a live shared view blocks writes only.
    let view = mem.ptr::<[u8]>((0, 4)).as_slice().unwrap().unwrap();
    assert!(mem.ptr::<u8>(2).read().is_ok());
    assert!(matches!(
        mem.ptr::<u8>(2).write(1),
        Err(GuestError::PtrBorrowed(_))
    ));
    drop(view);
    mem.ptr::<u8>(2).write(1).unwrap();
}
