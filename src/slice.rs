//! Views of `[T]` in guest memory: [`GuestSlice`], [`GuestSliceMut`],
//! [`GuestCow`] and [`UnsafeGuestSlice`].

use alloc::vec::Vec;
use core::cell::UnsafeCell;
use core::fmt;
use core::marker::PhantomData;
use core::mem::{ManuallyDrop, align_of, size_of};
use core::ops::{Deref, DerefMut};
use core::ptr::NonNull;

use crate::{
    BorrowHandle, GuestError, GuestMemory, GuestPtr, GuestType, GuestTypeTransparent, Region,
};

/// Where an in-place view of a checked `[T]` would point.
pub(crate) enum Placement<T> {
    /// Every check passed: `len` elements at `ptr`, covering `region`.
    /// `ptr` is non-null and aligned for `T` (dangling when `len == 0`) and
    /// the elements lie inside the memory's `base()`.
    InPlace {
        ptr: NonNull<T>,
        len: usize,
        region: Region,
    },
    /// The host address is not aligned for `T` (the guest offset is).
    HostMisaligned(Region, u32),
}

impl<'a, T: GuestType<'a>> GuestPtr<'a, [T]> {
    /// Every check a view needs, and where it would point; `None` on a
    /// shared memory, which is never viewed in place (but whose pointer is
    /// checked all the same, so a bad one is an error there too).
    #[inline]
    pub(crate) fn placement(&self) -> Result<Option<Placement<T>>, GuestError>
    where
        T: GuestTypeTransparent<'a>,
    {
        match self.mem().unshared_base() {
            Some(base) => self.host_location_in(base).map(Some),
            None => self.host_location().map(|_| None),
        }
    }

    /// Every check but the memory's kind: arithmetic, guest alignment and
    /// bounds of the region, host size and host alignment of the elements.
    #[inline]
    fn host_location(&self) -> Result<Placement<T>, GuestError>
    where
        T: GuestTypeTransparent<'a>,
    {
        self.host_location_in(self.mem().base())
    }

    /// [`host_location`](Self::host_location) against `base`, the memory's
    /// `base()` already asked for.
    #[inline]
    fn host_location_in(&self, base: &'a [UnsafeCell<u8>]) -> Result<Placement<T>, GuestError>
    where
        T: GuestTypeTransparent<'a>,
    {
        let (region, bytes) = self.checked_in(base)?;
        if u64::try_from(size_of::<T>()).ok() != Some(u64::from(T::guest_size())) {
            // Only an array type whose guest size saturated gets here; its
            // region holds fewer bytes than the host type, so no view.
            return Err(GuestError::PtrOverflow);
        }
        let len = usize::try_from(self.len()).map_err(|_| GuestError::PtrOverflow)?;
        if len == 0 {
            // No bytes to point at, and the memory's own address may be
            // unaligned (or dangling with alignment 1, for an empty memory).
            return Ok(Placement::InPlace {
                ptr: NonNull::dangling(),
                len,
                region,
            });
        }
        let ptr = UnsafeCell::raw_get(bytes.as_ptr()).cast::<T>();
        match NonNull::new(ptr) {
            Some(p) if ptr.addr() % align_of::<T>() == 0 => Ok(Placement::InPlace {
                ptr: p,
                len,
                region,
            }),
            _ => {
                let align = u32::try_from(align_of::<T>()).unwrap_or(u32::MAX);
                Ok(Placement::HostMisaligned(region, align))
            }
        }
    }

    /// A shared, zero-copy view of the elements, or `Ok(None)` on a shared
    /// memory (use [`as_cow`](Self::as_cow) or [`to_vec`](Self::to_vec)
    /// there). The region stays shared-borrowed until the view is dropped.
    ///
    /// # Errors
    ///
    /// [`GuestError::PtrOverflow`], [`GuestError::PtrNotAligned`],
    /// [`GuestError::PtrOutOfBounds`], [`GuestError::PtrBorrowed`] (a mut
    /// borrow overlaps). `PtrNotAligned` also when the host placed the memory
    /// at an address not aligned for `T`, which no engine does.
    ///
    /// # Examples
    ///
    /// ```
    /// use guest_memory::{GuestMemory, OwnedMemory};
    ///
    /// let mem = OwnedMemory::from(vec![1, 0, 2, 0, 3, 0]);
    /// let bytes = mem.ptr::<[u8]>((0, 6)).as_slice()?.expect("not shared memory");
    /// assert_eq!(&*bytes, &[1, 0, 2, 0, 3, 0]);
    /// assert!(mem.ptr::<[u8]>((2, 1)).as_slice_mut().is_err()); // borrowed
    /// # #[cfg(target_endian = "little")] // multi-byte views need a little-endian host
    /// assert_eq!(mem.ptr::<[u16]>((0, 3)).as_slice()?.unwrap(), [1, 2, 3]);
    /// # Ok::<(), guest_memory::GuestError>(())
    /// ```
    #[inline]
    pub fn as_slice(&self) -> Result<Option<GuestSlice<'a, T>>, GuestError>
    where
        T: GuestTypeTransparent<'a>,
    {
        match self.placement()? {
            Some(Placement::InPlace { ptr, len, region }) => {
                let handle = self.mem().shared_borrow(region)?;
                Ok(Some(GuestSlice {
                    ptr,
                    len,
                    mem: self.mem(),
                    handle: ManuallyDrop::new(handle),
                }))
            }
            None => Ok(None),
            Some(Placement::HostMisaligned(r, align)) => Err(GuestError::PtrNotAligned(r, align)),
        }
    }

    /// An exclusive, zero-copy view of the elements, or `Ok(None)` on a
    /// shared memory. The region stays mut-borrowed until the view is
    /// dropped.
    ///
    /// # Errors
    ///
    /// As for [`as_slice`](Self::as_slice), but any overlapping borrow is
    /// [`GuestError::PtrBorrowed`].
    #[inline]
    pub fn as_slice_mut(&self) -> Result<Option<GuestSliceMut<'a, T>>, GuestError>
    where
        T: GuestTypeTransparent<'a>,
    {
        match self.placement()? {
            Some(Placement::InPlace { ptr, len, region }) => {
                let handle = self.mem().mut_borrow(region)?;
                Ok(Some(GuestSliceMut {
                    ptr,
                    len,
                    mem: self.mem(),
                    handle: ManuallyDrop::new(handle),
                }))
            }
            None => Ok(None),
            Some(Placement::HostMisaligned(r, align)) => Err(GuestError::PtrNotAligned(r, align)),
        }
    }

    /// The elements borrowed in place where that is possible, copied
    /// otherwise (shared memory, or a host address not aligned for `T`).
    ///
    /// # Errors
    ///
    /// As for [`as_slice`](Self::as_slice), except the host alignment.
    #[inline]
    pub fn as_cow(&self) -> Result<GuestCow<'a, T>, GuestError>
    where
        T: GuestTypeTransparent<'a>,
    {
        match self.placement()? {
            Some(Placement::InPlace { ptr, len, region }) => {
                let handle = self.mem().shared_borrow(region)?;
                Ok(GuestCow::Borrowed(GuestSlice {
                    ptr,
                    len,
                    mem: self.mem(),
                    handle: ManuallyDrop::new(handle),
                }))
            }
            None | Some(Placement::HostMisaligned(..)) => Ok(GuestCow::Copied(self.to_vec()?)),
        }
    }

    /// The checked host location of the elements, with no borrow taken.
    ///
    /// Makes every check [`as_slice`](Self::as_slice) makes but the borrow:
    /// the pointer is aligned for `T` (dangling but aligned when there are
    /// no elements) and covers exactly the region. Works on shared memory
    /// too. Accessing the elements is up to the
    /// caller, in `unsafe` code, under the rules of [`UnsafeGuestSlice`].
    ///
    /// # Errors
    ///
    /// As for [`as_slice`](Self::as_slice), without
    /// [`GuestError::PtrBorrowed`].
    pub fn as_unsafe_slice_mut(&self) -> Result<UnsafeGuestSlice<'a, T>, GuestError>
    where
        T: GuestTypeTransparent<'a>,
    {
        match self.host_location()? {
            Placement::InPlace { ptr, len, region } => Ok(UnsafeGuestSlice {
                ptr: ptr.as_ptr(),
                len,
                region,
                mem: self.mem(),
                _life: PhantomData,
            }),
            Placement::HostMisaligned(r, align) => Err(GuestError::PtrNotAligned(r, align)),
        }
    }
}

/// A shared, zero-copy view of `[T]` in guest memory; dereferences to `&[T]`.
///
/// The region is shared-borrowed while this lives, so nothing writes it.
/// Made by [`GuestPtr::as_slice`] (`None` on a shared memory; for one code
/// path on every memory, see [`GuestPtr::as_buf`]).
///
/// ```
/// use guest_memory::{GuestError, GuestMemory, OwnedMemory};
///
/// let mem = OwnedMemory::new(16);
/// mem.ptr::<[u8]>((0, 4)).copy_from_slice(b"wasm")?;
/// let view = mem.ptr::<[u8]>((0, 4)).as_slice()?.expect("not a shared memory");
/// assert_eq!(view, *b"wasm");
/// // Shared views may overlap; nothing may write the region meanwhile.
/// let again = mem.ptr::<[u8]>((2, 2)).as_slice()?.unwrap();
/// assert_eq!(&again[..], b"sm");
/// assert!(matches!(mem.ptr::<u8>(3).write(0), Err(GuestError::PtrBorrowed(_))));
/// drop((view, again));
/// mem.ptr::<u8>(3).write(0)?;
/// # Ok::<(), GuestError>(())
/// ```
///
/// ```compile_fail,E0597
/// use guest_memory::{GuestMemory, OwnedMemory};
///
/// let view = {
///     let mem = OwnedMemory::new(8);
///     mem.ptr::<[u8]>((0, 8)).as_slice().unwrap().unwrap()
/// }; // a view cannot outlive its memory
/// ```
pub struct GuestSlice<'a, T> {
    pub(crate) ptr: NonNull<T>,
    pub(crate) len: usize,
    pub(crate) mem: &'a dyn GuestMemory,
    pub(crate) handle: ManuallyDrop<BorrowHandle>,
}

/// An exclusive, zero-copy view of `[T]` in guest memory; dereferences to
/// `&mut [T]`.
///
/// The region is mut-borrowed while this lives, so nothing else reads or
/// writes it. Made by [`GuestPtr::as_slice_mut`] (`None` on a shared memory;
/// for one code path on every memory, see [`GuestPtr::as_buf_mut`]).
///
/// ```
/// use guest_memory::{GuestError, GuestMemory, OwnedMemory};
///
/// let mem = OwnedMemory::new(16);
/// let mut a = mem.ptr::<[u8]>((0, 2)).as_slice_mut()?.unwrap();
/// let mut b = mem.ptr::<[u8]>((8, 2)).as_slice_mut()?.unwrap(); // disjoint: fine
/// a.copy_from_slice(&[1, 2]);
/// b[1] = 7;
/// // Overlapping anything held is refused.
/// assert!(matches!(mem.ptr::<[u8]>((1, 8)).as_slice(), Err(GuestError::PtrBorrowed(_))));
/// drop((a, b));
/// assert_eq!(mem.ptr::<[u8]>((0, 10)).to_vec()?, [1, 2, 0, 0, 0, 0, 0, 0, 0, 7]);
/// # Ok::<(), GuestError>(())
/// ```
pub struct GuestSliceMut<'a, T> {
    pub(crate) ptr: NonNull<T>,
    pub(crate) len: usize,
    pub(crate) mem: &'a dyn GuestMemory,
    pub(crate) handle: ManuallyDrop<BorrowHandle>,
}

// SAFETY: a `GuestSlice` is a `&[T]` plus a borrow of a `Sync` memory; like
// `&[T]` it may move to, and be shared with, other threads when `T: Sync`.
// Dropping it on another thread calls `shared_unborrow`, which `GuestMemory:
// Sync` allows.
unsafe impl<T: Sync> Send for GuestSlice<'_, T> {}
// SAFETY: as for `Send`: sharing a `GuestSlice` shares only `&[T]`.
unsafe impl<T: Sync> Sync for GuestSlice<'_, T> {}
// SAFETY: a `GuestSliceMut` is a `&mut [T]` plus a borrow of a `Sync` memory;
// like `&mut [T]` it may move to another thread when `T: Send`.
unsafe impl<T: Send> Send for GuestSliceMut<'_, T> {}
// SAFETY: sharing a `&GuestSliceMut` shares only `&[T]`, which needs `T: Sync`.
unsafe impl<T: Sync> Sync for GuestSliceMut<'_, T> {}

impl<T> Deref for GuestSlice<'_, T> {
    type Target = [T];
    #[inline]
    fn deref(&self) -> &[T] {
        // SAFETY: `placement` made `ptr` non-null and aligned for `T` (or
        // dangling for `len == 0`), and checked `size_of::<T>()` equals the
        // guest size, so the `len` elements are exactly the borrowed region,
        // inside the memory's `base()`, which stays valid while `mem` is
        // borrowed (trait rule 1). Guest bytes are initialized and every bit pattern is a valid
        // `T` (`GuestTypeTransparent`). The shared borrow in `handle` is
        // outstanding until `self` drops, so nothing writes these bytes
        // meanwhile (rule 4), and the result borrows `self`.
        unsafe { core::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl<T> Deref for GuestSliceMut<'_, T> {
    type Target = [T];
    #[inline]
    fn deref(&self) -> &[T] {
        // SAFETY: as for `GuestSlice::deref`; the mut borrow in `handle` keeps
        // everyone else from reading or writing the bytes, and `&self` keeps
        // this view from handing out `&mut` meanwhile.
        unsafe { core::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl<T> DerefMut for GuestSliceMut<'_, T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut [T] {
        // SAFETY: location, alignment, initialization and validity as for
        // `GuestSlice::deref`. The mut borrow in `handle` keeps everyone else
        // from reading or writing the bytes until `self` drops (rule 4), and
        // `&mut self` makes this the only reference derived from the view.
        unsafe { core::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

impl<T> Drop for GuestSlice<'_, T> {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: `handle` is taken only here, once, and never used again.
        let handle = unsafe { ManuallyDrop::take(&mut self.handle) };
        self.mem.shared_unborrow(handle);
    }
}

impl<T> Drop for GuestSliceMut<'_, T> {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: `handle` is taken only here, once, and never used again.
        let handle = unsafe { ManuallyDrop::take(&mut self.handle) };
        self.mem.mut_unborrow(handle);
    }
}

/// The elements of a `[T]` in guest memory: borrowed in place, or copied
/// out where that is not possible (shared memory). Made by
/// [`GuestPtr::as_cow`]; dereferences to `&[T]` either way.
///
/// ```
/// use guest_memory::{GuestCow, GuestError, GuestMemory, OwnedMemory};
///
/// let mem = OwnedMemory::new(16);
/// mem.ptr::<[u8]>((4, 2)).copy_from_slice(&[3, 4])?;
/// let cow = mem.ptr::<[u8]>((4, 2)).as_cow()?;
/// assert!(matches!(cow, GuestCow::Borrowed(_))); // `Copied` on a shared memory
/// assert_eq!(cow.iter().sum::<u8>(), 7);
/// # Ok::<(), GuestError>(())
/// ```
#[derive(Debug)]
pub enum GuestCow<'a, T> {
    /// A zero-copy view.
    Borrowed(GuestSlice<'a, T>),
    /// A copy.
    Copied(Vec<T>),
}

impl<T> Deref for GuestCow<'_, T> {
    type Target = [T];
    #[inline]
    fn deref(&self) -> &[T] {
        match self {
            GuestCow::Borrowed(s) => s,
            GuestCow::Copied(v) => v,
        }
    }
}

/// The checked host location of a `[T]` in guest memory, with no borrow
/// taken: for handing guest buffers to code that needs a raw pointer.
///
/// Bounds, guest alignment, host alignment of [`as_ptr`](Self::as_ptr) and
/// the host size of `T` (equal to its guest size) are checked, so
/// `as_ptr()` and `len()` cover exactly [`region`](Self::region), inside the
/// memory; an empty slice's pointer is dangling, non-null and aligned, so
/// `slice::from_raw_parts(as_ptr(), 0)` is always valid. Nothing else is: before dereferencing the pointer, `unsafe`
/// code must make sure no conflicting view exists (for example by holding a
/// borrow of [`region`](Self::region) from the memory), must not keep the
/// pointer past `'a`, and on a shared memory must access it only atomically.
///
/// Made by [`GuestPtr::as_unsafe_slice_mut`]; for handing a guest buffer to
/// an API that takes a raw pointer (a `read(2)` into guest memory, say):
///
/// ```
/// use guest_memory::{GuestError, GuestMemory, OwnedMemory};
///
/// let mem = OwnedMemory::new(16);
/// let raw = mem.ptr::<[u8]>((8, 4)).as_unsafe_slice_mut()?;
/// // Hold a mut borrow of the region while writing through the pointer, so
/// // no view or access of the crate can overlap it.
/// let borrow = mem.mut_borrow(raw.region())?;
/// // SAFETY: the pointer covers `raw.len()` bytes inside the memory, the mut
/// // borrow excludes every other access, and the memory is not shared.
/// unsafe { raw.as_ptr().copy_from_nonoverlapping(b"abcd".as_ptr(), raw.len()) };
/// mem.mut_unborrow(borrow);
/// assert_eq!(mem.ptr::<[u8]>((8, 4)).to_vec()?, b"abcd");
/// # Ok::<(), GuestError>(())
/// ```
pub struct UnsafeGuestSlice<'a, T> {
    ptr: *mut T,
    len: usize,
    region: Region,
    mem: &'a dyn GuestMemory,
    _life: PhantomData<&'a UnsafeCell<T>>,
}

impl<'a, T> UnsafeGuestSlice<'a, T> {
    /// The host address of the first element.
    #[inline]
    pub fn as_ptr(&self) -> *mut T {
        self.ptr
    }

    /// The number of elements.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no elements.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The guest region the elements occupy.
    #[inline]
    pub fn region(&self) -> Region {
        self.region
    }

    /// The memory the elements are in.
    #[inline]
    pub fn mem(&self) -> &'a dyn GuestMemory {
        self.mem
    }

    /// Whether that memory is shared (atomic access only).
    #[inline]
    pub fn is_shared_memory(&self) -> bool {
        self.mem.is_shared_memory()
    }
}

impl<T: fmt::Debug> fmt::Debug for GuestSlice<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: fmt::Debug> fmt::Debug for GuestSliceMut<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T> fmt::Debug for UnsafeGuestSlice<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnsafeGuestSlice")
            .field("region", &self.region)
            .field("len", &self.len)
            .finish()
    }
}

macro_rules! slice_eq {
    ($($view:ident),*) => {$(
        impl<T: PartialEq> PartialEq<[T]> for $view<'_, T> {
            fn eq(&self, other: &[T]) -> bool {
                **self == *other
            }
        }
        impl<T: PartialEq> PartialEq<&[T]> for $view<'_, T> {
            fn eq(&self, other: &&[T]) -> bool {
                **self == **other
            }
        }
        impl<T: PartialEq, const N: usize> PartialEq<[T; N]> for $view<'_, T> {
            fn eq(&self, other: &[T; N]) -> bool {
                **self == *other
            }
        }
        impl<T: PartialEq> PartialEq<Vec<T>> for $view<'_, T> {
            fn eq(&self, other: &Vec<T>) -> bool {
                **self == **other
            }
        }
    )*};
}

slice_eq!(GuestSlice, GuestSliceMut, GuestCow);

pub(crate) use slice_eq;
