//! The [`GuestMemory`] trait and its forwarding impls.

use alloc::boxed::Box;
#[cfg(target_has_atomic = "ptr")]
use alloc::sync::Arc;
use core::cell::UnsafeCell;
use core::mem::MaybeUninit;

use crate::raw;
use crate::{BorrowHandle, GuestError, GuestPtr, Pointee, Region};

/// A guest's linear memory, with run-time tracking of the regions lent out.
///
/// The crate builds every safe view of guest memory — [`GuestPtr`] reads and
/// writes, [`GuestSlice`](crate::GuestSlice) and friends — on this trait. Most
/// hosts never implement it: [`OwnedMemory`](crate::OwnedMemory),
/// [`SliceMemory`](crate::SliceMemory) and
/// [`SharedSliceMemory`](crate::SharedSliceMemory) are ready-made, and
/// [`BorrowTracker`](crate::BorrowTracker) does the tracking for a memory of
/// your own.
///
/// # Safety
///
/// The crate turns the answers of these methods into Rust references and
/// plain (non-atomic) memory accesses, so an implementor guarantees all of
/// the following.
///
/// 1. **`base()` is the memory.** It returns the guest's whole linear memory.
///    The slice is valid, and neither freed, moved nor shrunk, for as long as
///    the `&self` it came from is borrowed: in engine terms, until the guest is
///    re-entered or its memory grown, neither of which may happen while `self`
///    is borrowed.
/// 2. **One tracker per memory.** All `GuestMemory` values alive at the same
///    time over the same bytes share one borrow tracking, so a borrow taken
///    through one is seen by all.
/// 3. **The tracking is truthful.** `mut_borrow(r)` succeeds only if no
///    outstanding borrow overlaps `r`; `shared_borrow(r)` only if no
///    outstanding mut borrow overlaps `r`; a borrow stays outstanding until its
///    handle is passed to the matching `*_unborrow`; `is_mut_borrowed`,
///    `is_shared_borrowed` and `has_outstanding_borrows` report the
///    outstanding borrows exactly. Zero-length regions overlap nothing. All of
///    this holds when the methods are called concurrently from any threads.
///    (A memory bound to one thread may refuse every borrow asked from
///    another, answer its queries there as if everything were borrowed, and
///    keep a borrow released there recorded: each of those refuses more,
///    never less.)
/// 4. **Nothing else touches borrowed bytes.** While a mut borrow of a region
///    of a non-shared memory is outstanding nothing but the holder of its
///    handle reads or writes those bytes; while a shared borrow is
///    outstanding nothing writes them. "Nothing" includes the guest, other
///    host code and other threads. (A shared memory's own threads write it at
///    any time; rule 5 covers it.)
/// 5. **Non-shared means not concurrently written.** If `is_shared_memory()`
///    is `false`, the bytes are accessed only through this trait's methods
///    and the views they grant while `self` is borrowed. If it is `true`,
///    the crate makes no references into the memory and accesses it only
///    atomically, and every other concurrent access must be atomic too.
/// 6. **Overridden copies keep the rules.** An implementation of
///    [`read_bytes`](Self::read_bytes) or [`write_bytes`](Self::write_bytes)
///    other than the provided one checks bounds and borrows and copies as one
///    step — no borrow that would conflict with the access can be taken
///    between the check and the end of the copy — and on success has written
///    every byte of `dst`, with initialized values only. On a shared memory
///    the copy is atomic and need not consult the borrows. The same holds
///    for an override of [`read_small`](Self::read_small) or
///    [`write_small`](Self::write_small) that answers (`Some` / `true`): it
///    has made the whole access of `r`, as `read_bytes` / `write_bytes`
///    would have.
/// 7. **Direct access is exclusive.** If
///    [`direct_access(r, write)`](Self::direct_access) returns
///    `Some(bytes)`, then `bytes` is `base()`, the memory is not shared, no
///    outstanding borrow overlaps `r` that conflicts with the access (any
///    borrow for a write, a mut borrow for a read), and until the calling
///    thread next calls a method of this memory no other thread takes a
///    borrow of it or reads or writes its bytes. (A memory bound to one
///    thread can promise that; a memory any thread may use cannot without a
///    lock, and keeps the provided `None`.)
/// 8. **`unshared_base` agrees.** An override of
///    [`unshared_base`](Self::unshared_base) returns `None` exactly when
///    `is_shared_memory()` is `true`, and `Some(base())` otherwise.
/// 9. **Unit access races nothing.** If
///    [`unit_access(r, write)`](Self::unit_access) returns `Some(bytes)`,
///    then `bytes` is `base()` and starts at an address that is a multiple
///    of 8, no outstanding borrow overlaps `r` that conflicts with the
///    access (a shared memory need not promise this: its atomic copies need
///    not consult the borrows either, rule 6), and one relaxed atomic access of `r` (a store if `write`; 1,
///    2, 4 or 8 bytes at an address aligned to its size) made before the
///    calling thread next calls a method of this memory races no other
///    access: every access that may run at the same time is atomic (or
///    there is none, as under rule 7).
///
/// # Thread safety of the crate's own accesses
///
/// `GuestMemory` is `Sync`, so a primitive `read` on one thread can meet a
/// [`GuestSliceMut`](crate::GuestSliceMut) being taken on another. The crate
/// never checks the borrow state and then accesses memory later, except
/// where the memory itself promised that nothing can intervene
/// ([`direct_access`](Self::direct_access), rule 7;
/// [`unit_access`](Self::unit_access), rule 9) and then only for the one
/// access made right away: every other access and copy goes through
/// `read_bytes` / `write_bytes` (or `read_small` / `write_small`), whose
/// check and copy are one step. The provided versions hold a shared
/// (for reads) or mut (for writes) borrow for the duration of the copy; the
/// shipped memories override them to do the check and the copy under their
/// [`BorrowTracker`](crate::BorrowTracker)'s lock, which is cheaper and never
/// makes two plain accesses fail against each other.
///
/// # Examples
///
/// ```
/// use guest_memory::{GuestMemory, OwnedMemory};
///
/// let mem = OwnedMemory::new(64);
/// mem.ptr::<u32>(8).write(0xdead_beef).unwrap();
/// assert_eq!(mem.ptr::<u32>(8).read().unwrap(), 0xdead_beef);
/// ```
// What the crate relies on, beyond the list above: `base()` is re-read on
// every access rather than cached, so a memory may hand out a different slice
// after it was grown through `&mut self`; and every view the crate creates
// (`GuestSlice` and friends) holds its handle until it is dropped, so rule 4
// makes the reference inside it exclusive (mut) or immutable (shared).
pub unsafe trait GuestMemory: Send + Sync {
    /// The whole linear memory.
    fn base(&self) -> &[UnsafeCell<u8>];

    /// Whether any borrow is outstanding.
    fn has_outstanding_borrows(&self) -> bool;

    /// Whether an outstanding mut borrow overlaps `r`.
    fn is_mut_borrowed(&self, r: Region) -> bool;

    /// Whether an outstanding shared borrow overlaps `r`.
    fn is_shared_borrowed(&self, r: Region) -> bool;

    /// Records an exclusive borrow of `r`.
    ///
    /// # Errors
    ///
    /// [`GuestError::PtrBorrowed`] if any outstanding borrow overlaps `r`.
    fn mut_borrow(&self, r: Region) -> Result<BorrowHandle, GuestError>;

    /// Records a shared borrow of `r`.
    ///
    /// # Errors
    ///
    /// [`GuestError::PtrBorrowed`] if an outstanding mut borrow overlaps `r`.
    fn shared_borrow(&self, r: Region) -> Result<BorrowHandle, GuestError>;

    /// Ends a mut borrow.
    fn mut_unborrow(&self, h: BorrowHandle);

    /// Ends a shared borrow.
    fn shared_unborrow(&self, h: BorrowHandle);

    /// A typed pointer into this memory; nothing is checked until it is used.
    ///
    /// `offset` is a `u32` for a sized `T` and an `(offset, length)` pair for
    /// `[T]` and `str`.
    ///
    /// On a `&dyn GuestMemory`, which is what host code passes around, write
    /// [`GuestPtr::new`] instead: Rust lets a trait object call a generic
    /// method only if the method requires `Self: Sized`, which makes it
    /// uncallable on the object itself (and an inherent `ptr` on
    /// `dyn GuestMemory` would make every such call ambiguous with this one).
    ///
    /// ```
    /// use guest_memory::{GuestError, GuestMemory, GuestPtr, OwnedMemory};
    ///
    /// fn host_fn(mem: &dyn GuestMemory, out: u32) -> Result<(), GuestError> {
    ///     GuestPtr::<u32>::new(mem, out).write(42)
    /// }
    ///
    /// let mem = OwnedMemory::new(8);
    /// host_fn(&mem, 4)?;
    /// assert_eq!(mem.ptr::<u32>(4).read()?, 42);
    /// # Ok::<(), GuestError>(())
    /// ```
    ///
    /// ```compile_fail
    /// use guest_memory::{GuestMemory, GuestPtr};
    /// fn host_fn(mem: &dyn GuestMemory) -> GuestPtr<'_, u32> {
    ///     mem.ptr::<u32>(4) // needs `Self: Sized`: use `GuestPtr::new(mem, 4)`
    /// }
    /// ```
    #[inline]
    fn ptr<'a, T>(&'a self, offset: T::Pointer) -> GuestPtr<'a, T>
    where
        Self: Sized,
        T: ?Sized + Pointee,
    {
        GuestPtr::new(self, offset)
    }

    /// Whether this is a shared memory, written by other threads at any time.
    /// Shared memories get no zero-copy views; every access is atomic.
    #[inline]
    fn is_shared_memory(&self) -> bool {
        false
    }

    /// `Some(base())` unless this is a shared memory, `None` then: the two
    /// answers a zero-copy view needs first, in one call. The provided
    /// version asks [`is_shared_memory`](Self::is_shared_memory) and
    /// [`base`](Self::base); an override must answer the same (trait
    /// rule 8).
    #[inline]
    fn unshared_base(&self) -> Option<&[UnsafeCell<u8>]> {
        if self.is_shared_memory() {
            None
        } else {
            Some(self.base())
        }
    }

    /// The whole memory, when one plain access of `r` (a write if `write`)
    /// needs no further tracking: no borrow that conflicts with it overlaps
    /// `r`, and no other thread can borrow or access the memory before the
    /// calling thread's next call of one of its methods (trait rule 7). The
    /// crate then makes that access directly, right away, and calls nothing
    /// on the memory in between.
    ///
    /// The provided version returns `None`, which is always correct: the
    /// access then goes through [`read_bytes`](Self::read_bytes) or
    /// [`write_bytes`](Self::write_bytes). The shipped memories bound to one
    /// thread ([`LocalSliceMemory`](crate::LocalSliceMemory)'s) answer on that
    /// thread, which makes a primitive access one short dynamic call plus an
    /// inlined bounds check and copy.
    #[inline]
    fn direct_access(&self, r: Region, write: bool) -> Option<&[UnsafeCell<u8>]> {
        let _ = (r, write);
        None
    }

    /// The whole memory, when one relaxed atomic access of `r` (a store if
    /// `write`) of 1, 2, 4 or 8 bytes, aligned to its size, needs no further
    /// tracking (trait rule 9): the memory then starts at a multiple of 8,
    /// so a primitive value at a guest-aligned offset is host-aligned too.
    /// A primitive read or write asks this first, and then makes the access
    /// itself, right away, calling nothing on the memory in between.
    ///
    /// The provided version answers as
    /// [`direct_access`](Self::direct_access) does over a memory starting
    /// at a multiple of 8 (an exclusive access may be atomic), and `None`
    /// otherwise. A shared memory may answer too, where `direct_access`
    /// cannot: [`SharedSliceMemory`](crate::SharedSliceMemory) does while
    /// nothing is lent, which makes its primitive accesses one dynamic call
    /// and one atomic instruction.
    #[inline]
    fn unit_access(&self, r: Region, write: bool) -> Option<&[UnsafeCell<u8>]> {
        self.direct_access(r, write)
            .filter(|base| unit_aligned(base.as_ptr()))
    }

    /// Reads the bytes of `r` (at most 8: one primitive value) as
    /// [`read_bytes`](Self::read_bytes) would — bounds, borrows and copy in
    /// one step — and returns them as the first `r.len` bytes of the
    /// answer's `to_ne_bytes()`; or `None`, and the crate then calls
    /// `read_bytes`, which reports any error (trait rule 6).
    ///
    /// What a primitive read calls when [`unit_access`](Self::unit_access)
    /// says no: one dynamic call whose answer comes back in registers. The
    /// provided version returns `None`; the shipped memories answer, under
    /// their lock or, on a shared memory with nothing lent, with one atomic
    /// load.
    #[inline]
    fn read_small(&self, r: Region) -> Option<u64> {
        let _ = r;
        None
    }

    /// Writes the first `r.len` bytes (at most 8) of `bytes.to_ne_bytes()`
    /// to `r` as [`write_bytes`](Self::write_bytes) would, and returns
    /// `true`; or writes nothing and returns `false`, and the crate then
    /// calls `write_bytes`, which reports any error (trait rule 6). The
    /// provided version returns `false`.
    #[inline]
    fn write_small(&self, r: Region, bytes: u64) -> bool {
        let _ = (r, bytes);
        false
    }

    /// Copies `dst.len()` guest bytes starting at `offset` into `dst`; the
    /// bounds check, the borrow check and the copy are one step.
    ///
    /// On success every byte of `dst` has been written.
    ///
    /// # Errors
    ///
    /// [`GuestError::PtrOverflow`] if the region does not fit in the 32-bit
    /// address space, [`GuestError::PtrOutOfBounds`] if it runs past the end of
    /// memory, [`GuestError::PtrBorrowed`] if a mut borrow overlaps it. On error
    /// `dst` may have been partly written.
    fn read_bytes(&self, offset: u32, dst: &mut [MaybeUninit<u8>]) -> Result<(), GuestError> {
        let r = region_for(offset, dst.len())?;
        let src = guest_bytes(self.base(), r)?;
        let h = self.shared_borrow(r)?;
        if self.is_shared_memory() {
            // SAFETY: a shared memory is accessed only atomically by everyone
            // (trait rule 5), and this copy is atomic.
            unsafe { raw::atomic_copy_out(src, dst) };
        } else {
            // SAFETY: the shared borrow `h` of exactly these bytes is
            // outstanding for the whole copy, so nothing writes them and no
            // `&mut` to them exists (trait rules 3 and 4).
            unsafe { raw::copy_out(src, dst) };
        }
        self.shared_unborrow(h);
        Ok(())
    }

    /// Copies `src` into guest memory starting at `offset`; the bounds check,
    /// the borrow check and the copy are one step, so a failed write changes
    /// nothing.
    ///
    /// # Errors
    ///
    /// [`GuestError::PtrOverflow`], [`GuestError::PtrOutOfBounds`] as for
    /// [`read_bytes`](Self::read_bytes); [`GuestError::PtrBorrowed`] if any
    /// borrow overlaps the region.
    fn write_bytes(&self, offset: u32, src: &[u8]) -> Result<(), GuestError> {
        let r = region_for(offset, src.len())?;
        let dst = guest_bytes(self.base(), r)?;
        let h = self.mut_borrow(r)?;
        if self.is_shared_memory() {
            // SAFETY: as in `read_bytes`: every access to a shared memory is
            // atomic, and so is this copy.
            unsafe { raw::atomic_copy_in(dst, src) };
        } else {
            // SAFETY: the mut borrow `h` of exactly these bytes is outstanding
            // for the whole copy, so nothing else reads or writes them and no
            // reference to them exists (trait rules 3 and 4).
            unsafe { raw::copy_in(dst, src) };
        }
        self.mut_unborrow(h);
        Ok(())
    }
}

/// The region of `len` bytes at `offset`.
///
/// # Errors
///
/// [`GuestError::PtrOverflow`] if it does not fit in the 32-bit address space.
#[inline]
pub(crate) fn region_for(offset: u32, len: usize) -> Result<Region, GuestError> {
    let len = u32::try_from(len).map_err(|_| GuestError::PtrOverflow)?;
    checked_region(offset, len)
}

/// `Region::new(start, len)`, refusing regions that end past `2^32`.
#[inline]
pub(crate) fn checked_region(start: u32, len: u32) -> Result<Region, GuestError> {
    match start.checked_add(len) {
        Some(_) => Ok(Region::new(start, len)),
        // `start + len == 2^32` is the one end past `u32::MAX` that is fine:
        // the region ends exactly at the top of the address space.
        None if u64::from(start) + u64::from(len) == 1 << 32 => Ok(Region::new(start, len)),
        None => Err(GuestError::PtrOverflow),
    }
}

/// The bytes of `base` that `r` names.
///
/// # Errors
///
/// [`GuestError::PtrOutOfBounds`] if `r` does not lie inside `base`.
#[inline]
pub(crate) fn guest_bytes(
    base: &[UnsafeCell<u8>],
    r: Region,
) -> Result<&[UnsafeCell<u8>], GuestError> {
    let start = usize::try_from(r.start).ok();
    let end = usize::try_from(r.end()).ok();
    // A `match`, not `ok_or`: an eager error value would be built and
    // dropped on every successful access.
    match start.zip(end).and_then(|(start, end)| base.get(start..end)) {
        Some(bytes) => Ok(bytes),
        None => Err(GuestError::PtrOutOfBounds(r)),
    }
}

/// Whether a memory starting at `p` may answer `unit_access` (trait rule
/// 9): its address is a multiple of 8, the widest unit.
#[inline(always)]
pub(crate) fn unit_aligned<T>(p: *const T) -> bool {
    p.addr().is_multiple_of(8)
}

/// The at most 8 bytes of `base` that `r` names, for `read_small` /
/// `write_small`; `None` if `r` is longer or does not lie inside `base`.
/// No error value is built: the caller's fallback reports it.
#[inline(always)]
pub(crate) fn small_bytes(base: &[UnsafeCell<u8>], r: Region) -> Option<&[UnsafeCell<u8>]> {
    if r.len > 8 {
        return None;
    }
    let start = usize::try_from(r.start).ok()?;
    base.get(start..start.checked_add(r.len as usize)?)
}

/// Copies the bytes of `r` into `dst` (as long) in place, taking no lock, if
/// the memory's [`GuestMemory::direct_access`] allows it; `None` if it does
/// not, and nothing was copied. On `Some(Ok(()))` every byte of `dst` is
/// initialized.
#[inline]
pub(crate) fn read_in_place(
    mem: &dyn GuestMemory,
    r: Region,
    dst: &mut [MaybeUninit<u8>],
) -> Option<Result<(), GuestError>> {
    let base = mem.direct_access(r, false)?;
    Some(guest_bytes(base, r).map(|src| {
        // SAFETY: `direct_access` answered for a read of `r`, so (trait rule
        // 7) no mut borrow overlaps it and no other thread writes the memory
        // until this thread calls it again; this copy is made first. So
        // nothing writes these bytes meanwhile and no `&mut` to them exists.
        // `copy_out` checks that the lengths agree.
        unsafe { raw::copy_out(src, dst) }
    }))
}

/// Copies `dst.len()` bytes at `offset` out of `mem`: in place where
/// [`read_in_place`] can, else with one [`GuestMemory::read_bytes`]. On
/// success every byte of `dst` is initialized.
#[inline]
pub(crate) fn read_uninit(
    mem: &dyn GuestMemory,
    offset: u32,
    dst: &mut [MaybeUninit<u8>],
) -> Result<(), GuestError> {
    let r = region_for(offset, dst.len())?;
    match read_in_place(mem, r, dst) {
        Some(done) => done,
        None => mem.read_bytes(offset, dst),
    }
}

/// [`GuestMemory::read_bytes`] into an initialized buffer.
#[inline]
pub(crate) fn read_into(
    mem: &dyn GuestMemory,
    offset: u32,
    dst: &mut [u8],
) -> Result<(), GuestError> {
    // SAFETY: `read_bytes` stores initialized bytes only (trait rule 6; the
    // provided version copies initialized guest bytes).
    let dst = unsafe { raw::uninit_bytes(dst) };
    mem.read_bytes(offset, dst)
}

macro_rules! forward_guest_memory {
    ($($ty:ty),* $(,)?) => {$(
        // SAFETY: every method, provided ones included (but `ptr`, whose
        // provided body already builds a pointer to this wrapper), forwards to
        // the wrapped memory, so each of the trait's rules holds for the
        // wrapper exactly when it holds for `T`.
        unsafe impl<T: ?Sized + GuestMemory> GuestMemory for $ty {
            #[inline]
            fn base(&self) -> &[UnsafeCell<u8>] {
                T::base(self)
            }
            #[inline]
            fn has_outstanding_borrows(&self) -> bool {
                T::has_outstanding_borrows(self)
            }
            #[inline]
            fn is_mut_borrowed(&self, r: Region) -> bool {
                T::is_mut_borrowed(self, r)
            }
            #[inline]
            fn is_shared_borrowed(&self, r: Region) -> bool {
                T::is_shared_borrowed(self, r)
            }
            #[inline]
            fn mut_borrow(&self, r: Region) -> Result<BorrowHandle, GuestError> {
                T::mut_borrow(self, r)
            }
            #[inline]
            fn shared_borrow(&self, r: Region) -> Result<BorrowHandle, GuestError> {
                T::shared_borrow(self, r)
            }
            #[inline]
            fn mut_unborrow(&self, h: BorrowHandle) {
                T::mut_unborrow(self, h)
            }
            #[inline]
            fn shared_unborrow(&self, h: BorrowHandle) {
                T::shared_unborrow(self, h)
            }
            #[inline]
            fn is_shared_memory(&self) -> bool {
                T::is_shared_memory(self)
            }
            #[inline]
            fn unshared_base(&self) -> Option<&[UnsafeCell<u8>]> {
                T::unshared_base(self)
            }
            #[inline]
            fn direct_access(&self, r: Region, write: bool) -> Option<&[UnsafeCell<u8>]> {
                T::direct_access(self, r, write)
            }
            #[inline]
            fn unit_access(&self, r: Region, write: bool) -> Option<&[UnsafeCell<u8>]> {
                T::unit_access(self, r, write)
            }
            #[inline]
            fn read_small(&self, r: Region) -> Option<u64> {
                T::read_small(self, r)
            }
            #[inline]
            fn write_small(&self, r: Region, bytes: u64) -> bool {
                T::write_small(self, r, bytes)
            }
            #[inline]
            fn read_bytes(&self, offset: u32, dst: &mut [MaybeUninit<u8>]) -> Result<(), GuestError> {
                T::read_bytes(self, offset, dst)
            }
            #[inline]
            fn write_bytes(&self, offset: u32, src: &[u8]) -> Result<(), GuestError> {
                T::write_bytes(self, offset, src)
            }
        }
    )*};
}

forward_guest_memory!(&T, &mut T, Box<T>);
#[cfg(target_has_atomic = "ptr")]
forward_guest_memory!(Arc<T>);
