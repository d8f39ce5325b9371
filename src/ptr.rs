//! [`Pointee`] and [`GuestPtr`]: typed pointers into guest memory.

use alloc::vec::Vec;
use core::cell::UnsafeCell;
use core::fmt;
use core::hash::{Hash, Hasher};
use core::marker::PhantomData;
use core::ops::Range;

use crate::error::or_overflow;
use crate::memory::{checked_region, guest_bytes};
use crate::{GuestError, GuestMemory, GuestType, Region};

mod private {
    pub trait Sealed {}
    impl<T> Sealed for T {}
    impl<T> Sealed for [T] {}
    impl Sealed for str {}
}

/// What a [`GuestPtr`] can point at: any sized `T`, a slice `[T]`, or `str`.
///
/// Sealed: the three implementations below are all there is.
///
/// ```
/// use guest_memory::{GuestMemory, GuestPtr, OwnedMemory};
///
/// let mem = OwnedMemory::new(16);
/// let one: GuestPtr<'_, u32> = mem.ptr(4); // a u32 offset
/// let many: GuestPtr<'_, [u16]> = mem.ptr((8, 4)); // offset and element count
/// let text: GuestPtr<'_, str> = mem.ptr((0, 3)); // offset and byte length
/// assert_eq!((one.offset(), many.offset(), text.offset()), (4, (8, 4), (0, 3)));
/// assert_eq!(many.as_ptr(), mem.ptr::<u16>(8));
/// ```
pub trait Pointee: private::Sealed {
    /// How the guest names one: a `u32` offset for a sized `T`, an
    /// `(offset, length)` pair of `u32`s for `[T]` (length in elements) and
    /// `str` (length in bytes).
    type Pointer: Copy + PartialEq + Eq + Hash + Send + Sync + fmt::Debug;

    #[doc(hidden)]
    fn debug(pointer: Self::Pointer, f: &mut fmt::Formatter<'_>) -> fmt::Result;

    #[doc(hidden)]
    fn start(pointer: Self::Pointer) -> u32;
}

impl<T> Pointee for T {
    type Pointer = u32;
    fn start(pointer: u32) -> u32 {
        pointer
    }
    fn debug(pointer: u32, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "*guest {pointer:#x}")
    }
}

impl<T> Pointee for [T] {
    type Pointer = (u32, u32);
    fn start((offset, _): (u32, u32)) -> u32 {
        offset
    }
    fn debug((offset, len): (u32, u32), f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "*guest {offset:#x}/{len}")
    }
}

impl Pointee for str {
    type Pointer = (u32, u32);
    fn start((offset, _): (u32, u32)) -> u32 {
        offset
    }
    fn debug((offset, len): (u32, u32), f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "*guest {offset:#x}/{len}")
    }
}

/// A typed pointer into guest memory: the guest's offset (and length, for
/// `[T]` and `str`) together with the memory it points into.
///
/// Making one checks nothing; every use checks bounds, alignment (of the
/// guest offset, so the answer never depends on where the host placed the
/// memory) and outstanding borrows, and reports a [`GuestError`] instead of
/// panicking. It is `Copy`, and `Send + Sync` since guest memories are.
///
/// Two pointers are equal (and hash alike) when they point into the same
/// memory (the same object, compared by address) at the same offset and,
/// for `[T]` and `str`, with the same length.
///
/// # Examples
///
/// ```
/// use guest_memory::{GuestError, GuestMemory, GuestPtr, OwnedMemory};
///
/// let mem = OwnedMemory::new(16);
/// let p: GuestPtr<'_, u16> = mem.ptr(4);
/// p.write(0x1234)?;
/// assert_eq!(p.add(1)?.offset(), 6);
/// assert_eq!(p.cast::<u8>().read()?, 0x34); // guest memory is little-endian
/// assert!(matches!(mem.ptr::<u16>(5).read(), Err(GuestError::PtrNotAligned(_, 2))));
/// assert_eq!(format!("{p:?}"), "*guest 0x4");
/// # Ok::<(), GuestError>(())
/// ```
pub struct GuestPtr<'a, T: ?Sized + Pointee> {
    mem: &'a dyn GuestMemory,
    pointer: T::Pointer,
    _type: PhantomData<fn() -> *const T>,
}

impl<'a, T: ?Sized + Pointee> GuestPtr<'a, T> {
    /// A pointer to `pointer` in `mem`. Checks nothing.
    #[inline]
    pub fn new(mem: &'a dyn GuestMemory, pointer: T::Pointer) -> Self {
        GuestPtr {
            mem,
            pointer,
            _type: PhantomData,
        }
    }

    /// The guest's offset (and length, for `[T]` and `str`).
    #[inline]
    pub fn offset(&self) -> T::Pointer {
        self.pointer
    }

    /// The memory this pointer points into.
    #[inline]
    pub fn mem(&self) -> &'a dyn GuestMemory {
        self.mem
    }

    /// The same offset, viewed as pointing to a `U`.
    #[inline]
    pub fn cast<U>(&self) -> GuestPtr<'a, U>
    where
        U: ?Sized + Pointee<Pointer = T::Pointer>,
    {
        GuestPtr::new(self.mem, self.pointer)
    }

    /// Whether the memory is shared (no zero-copy views; atomic accesses).
    #[inline]
    pub fn is_shared_memory(&self) -> bool {
        self.mem.is_shared_memory()
    }

    /// Whether the (first) offset is 0, the guest's null pointer.
    ///
    /// Offset 0 is an ordinary address in guest memory, so the crate reads
    /// and writes it like any other; this is for host functions whose ABI
    /// gives null a meaning (an optional out-pointer, say).
    ///
    /// ```
    /// use guest_memory::{GuestMemory, OwnedMemory};
    ///
    /// let mem = OwnedMemory::new(8);
    /// assert!(mem.ptr::<u32>(0).is_null());
    /// assert!(mem.ptr::<str>((0, 3)).is_null());
    /// assert!(!mem.ptr::<[u8]>((4, 0)).is_null());
    /// ```
    #[inline]
    pub fn is_null(&self) -> bool {
        T::start(self.pointer) == 0
    }
}

impl<'a, T> GuestPtr<'a, T> {
    /// Reads the value pointed to.
    ///
    /// # Errors
    ///
    /// [`GuestError::PtrNotAligned`], [`GuestError::PtrOverflow`],
    /// [`GuestError::PtrOutOfBounds`], [`GuestError::PtrBorrowed`] (a mut
    /// borrow overlaps), or whatever the type's own validation reports
    /// (for example [`GuestError::InvalidEnumValue`]).
    #[inline]
    pub fn read(&self) -> Result<T, GuestError>
    where
        T: GuestType<'a>,
    {
        T::read(self)
    }

    /// Writes `val` where this points. A failed write changes nothing.
    ///
    /// # Errors
    ///
    /// As for [`read`](Self::read), but any overlapping borrow conflicts.
    #[inline]
    pub fn write(&self, val: T) -> Result<(), GuestError>
    where
        T: GuestType<'a>,
    {
        T::write(self, val)
    }

    /// The pointer `n` elements further on.
    ///
    /// # Errors
    ///
    /// [`GuestError::PtrOverflow`] if the offset would pass `u32::MAX`.
    #[inline]
    pub fn add(&self, n: u32) -> Result<Self, GuestError>
    where
        T: GuestType<'a>,
    {
        let offset = or_overflow(
            n.checked_mul(T::guest_size())
                .and_then(|bytes| self.pointer.checked_add(bytes)),
        )?;
        Ok(GuestPtr::new(self.mem, offset))
    }

    /// A pointer to the `n` elements starting here. Checks nothing.
    #[inline]
    pub fn as_array(&self, n: u32) -> GuestPtr<'a, [T]> {
        GuestPtr::new(self.mem, (self.pointer, n))
    }
}

impl<'a, T> GuestPtr<'a, [T]> {
    /// The guest offset of the first element.
    #[inline]
    pub fn offset_base(&self) -> u32 {
        self.pointer.0
    }

    /// The number of elements.
    #[inline]
    pub fn len(&self) -> u32 {
        self.pointer.1
    }

    /// Whether there are no elements.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.pointer.1 == 0
    }

    /// A pointer to the first element (checks nothing).
    #[inline]
    pub fn as_ptr(&self) -> GuestPtr<'a, T> {
        GuestPtr::new(self.mem, self.pointer.0)
    }

    /// Pointers to each element, in order.
    ///
    /// The whole array is checked first, as [`region`](Self::region) checks
    /// it (arithmetic, guest alignment, bounds): if that fails, the iterator
    /// yields that one error and ends, so a guest-chosen count never makes a
    /// host loop run before the error shows. Otherwise it yields
    /// `len()` pointers, each `Ok`; borrows are checked when an element is
    /// used.
    ///
    /// ```
    /// use guest_memory::{GuestError, GuestMemory, OwnedMemory};
    ///
    /// let mem = OwnedMemory::new(64);
    /// let offsets: Vec<u32> = mem.ptr::<[u32]>((8, 3)).iter().map(|p| p.map(|p| p.offset()))
    ///     .collect::<Result<_, _>>()?;
    /// assert_eq!(offsets, [8, 12, 16]);
    ///
    /// let huge = mem.ptr::<[u32]>((8, 1 << 28)); // 1 GiB, in a 64-byte memory
    /// let mut it = huge.iter();
    /// assert_eq!(it.len(), 1);
    /// assert!(matches!(it.next(), Some(Err(GuestError::PtrOutOfBounds(_)))));
    /// assert!(it.next().is_none());
    /// # Ok::<(), GuestError>(())
    /// ```
    pub fn iter(
        &self,
    ) -> impl ExactSizeIterator<Item = Result<GuestPtr<'a, T>, GuestError>> + core::iter::FusedIterator
    where
        T: GuestType<'a>,
    {
        let (error, count) = match self.region() {
            Ok(_) => (None, self.len()),
            Err(e) => (Some(e), 0),
        };
        Elements {
            error,
            next: self.as_ptr(),
            left: count,
        }
    }

    /// A pointer to element `index`, or `None` if `index >= len()` or the
    /// element's offset would pass `u32::MAX`.
    #[inline]
    pub fn get(&self, index: u32) -> Option<GuestPtr<'a, T>>
    where
        T: GuestType<'a>,
    {
        if index < self.len() {
            self.as_ptr().add(index).ok()
        } else {
            None
        }
    }

    /// A pointer to the elements in `range`, or `None` if the range is
    /// reversed, ends past `len()`, or its start's offset would pass
    /// `u32::MAX`.
    pub fn get_range(&self, range: Range<u32>) -> Option<GuestPtr<'a, [T]>>
    where
        T: GuestType<'a>,
    {
        let count = range.end.checked_sub(range.start)?;
        if range.end > self.len() {
            return None;
        }
        let start = self.as_ptr().add(range.start).ok()?;
        Some(start.as_array(count))
    }

    /// The bytes this slice covers, checked: arithmetic, alignment of the
    /// guest offset, and bounds, in that order.
    ///
    /// An array of elements whose guest size is 0 covers no bytes, but is
    /// bounds-checked as if each element took one byte, so it can be no
    /// longer than the memory: a guest-chosen count never makes a
    /// per-element loop run more often than a byte array's would.
    ///
    /// # Errors
    ///
    /// [`GuestError::PtrOverflow`], [`GuestError::PtrNotAligned`],
    /// [`GuestError::PtrOutOfBounds`].
    pub fn region(&self) -> Result<Region, GuestError>
    where
        T: GuestType<'a>,
    {
        self.checked().map(|(r, _)| r)
    }

    /// Checks arithmetic, guest alignment and bounds; returns the region and
    /// its bytes.
    #[inline]
    pub(crate) fn checked(&self) -> Result<(Region, &'a [UnsafeCell<u8>]), GuestError>
    where
        T: GuestType<'a>,
    {
        self.checked_in(self.mem.base())
    }

    /// [`checked`](Self::checked) against `base`, the memory's `base()`
    /// already asked for.
    #[inline]
    pub(crate) fn checked_in(
        &self,
        base: &'a [UnsafeCell<u8>],
    ) -> Result<(Region, &'a [UnsafeCell<u8>]), GuestError>
    where
        T: GuestType<'a>,
    {
        slice_bytes(
            base,
            self.offset_base(),
            self.len(),
            T::guest_size(),
            T::guest_align(),
        )
    }

    /// Copies the elements out into a `Vec`; works on every memory.
    ///
    /// # Errors
    ///
    /// As for [`region`](Self::region), plus [`GuestError::PtrBorrowed`] if a
    /// mut borrow overlaps, or an element's own validation error.
    pub fn to_vec(&self) -> Result<Vec<T>, GuestError>
    where
        T: GuestType<'a>,
    {
        T::read_slice(self)
    }

    /// Copies `src` into the elements. A failed copy changes nothing.
    ///
    /// # Errors
    ///
    /// [`GuestError::SliceLengthsDiffer`] if `src.len() != self.len()`, then
    /// as for [`region`](Self::region), plus [`GuestError::PtrBorrowed`] if any
    /// borrow overlaps.
    pub fn copy_from_slice(&self, src: &[T]) -> Result<(), GuestError>
    where
        T: GuestType<'a> + Copy,
    {
        if u32::try_from(src.len()).ok() != Some(self.len()) {
            return Err(GuestError::SliceLengthsDiffer);
        }
        T::write_slice(self, src)
    }
}

impl<'a> GuestPtr<'a, [u8]> {
    /// The same bytes, as a string pointer.
    #[inline]
    pub fn as_str_ptr(&self) -> GuestPtr<'a, str> {
        self.cast()
    }
}

impl<'a> GuestPtr<'a, str> {
    /// The guest offset of the first byte.
    #[inline]
    pub fn offset_base(&self) -> u32 {
        self.pointer.0
    }

    /// The length in bytes.
    #[inline]
    pub fn len(&self) -> u32 {
        self.pointer.1
    }

    /// Whether the string is empty.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.pointer.1 == 0
    }

    /// The same bytes, as a byte-slice pointer.
    #[inline]
    pub fn as_bytes(&self) -> GuestPtr<'a, [u8]> {
        self.cast()
    }
}

/// The region and bytes of `count` elements of `size` bytes at `offset`,
/// checked: arithmetic, alignment of the guest offset, bounds, in that order.
#[inline]
pub(crate) fn array_bytes(
    base: &[UnsafeCell<u8>],
    offset: u32,
    count: u32,
    size: u32,
    align: usize,
) -> Result<(Region, &[UnsafeCell<u8>]), GuestError> {
    let bytes = or_overflow(count.checked_mul(size))?;
    let r = checked_region(offset, bytes)?;
    check_align(r, align)?;
    Ok((r, guest_bytes(base, r)?))
}

/// [`array_bytes`] for a guest `[T]`, whose elements, when their guest size
/// is 0, are bounds-checked as if each took one byte: they touch no memory,
/// so nothing else would bound how many a guest can ask for, and every
/// per-element loop would run that often.
#[inline]
pub(crate) fn slice_bytes(
    base: &[UnsafeCell<u8>],
    offset: u32,
    count: u32,
    size: u32,
    align: usize,
) -> Result<(Region, &[UnsafeCell<u8>]), GuestError> {
    let checked = array_bytes(base, offset, count, size, align)?;
    if size == 0 {
        guest_bytes(base, checked_region(offset, count)?)?;
    }
    Ok(checked)
}

/// Fails unless `r.start` is a multiple of `align` (an alignment of 0 or 1
/// accepts every offset).
#[inline]
pub(crate) fn check_align(r: Region, align: usize) -> Result<(), GuestError> {
    let aligned = if align.is_power_of_two() {
        // Every guest alignment: a mask, not a division.
        u64::from(r.start) & (u64::try_from(align).unwrap_or(u64::MAX) - 1) == 0
    } else {
        let align64 = u64::try_from(align).unwrap_or(u64::MAX);
        u64::from(r.start)
            .checked_rem(align64)
            .is_none_or(|rem| rem == 0)
    };
    if aligned {
        Ok(())
    } else {
        Err(GuestError::PtrNotAligned(
            r,
            u32::try_from(align).unwrap_or(u32::MAX),
        ))
    }
}

/// The iterator [`GuestPtr::iter`] returns: the array's one error, or a
/// pointer to each element of an array already checked.
struct Elements<'a, T> {
    error: Option<GuestError>,
    next: GuestPtr<'a, T>,
    left: u32,
}

impl<'a, T: GuestType<'a>> Iterator for Elements<'a, T> {
    type Item = Result<GuestPtr<'a, T>, GuestError>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if let Some(e) = self.error.take() {
            return Some(Err(e));
        }
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let here = self.next;
        // The array's region was checked, so every element's offset fits in
        // `u32`; only the one past the last element may not, and it is
        // never yielded.
        self.next = GuestPtr::new(here.mem, here.pointer.wrapping_add(T::guest_size()));
        Some(Ok(here))
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = usize::from(self.error.is_some()) + self.left as usize;
        (n, Some(n))
    }
}

impl<'a, T: GuestType<'a>> ExactSizeIterator for Elements<'a, T> {}

impl<'a, T: GuestType<'a>> core::iter::FusedIterator for Elements<'a, T> {}

impl<T: ?Sized + Pointee> PartialEq for GuestPtr<'_, T> {
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        core::ptr::addr_eq(self.mem, other.mem) && self.pointer == other.pointer
    }
}

impl<T: ?Sized + Pointee> Eq for GuestPtr<'_, T> {}

impl<T: ?Sized + Pointee> Hash for GuestPtr<'_, T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (self.mem as *const dyn GuestMemory)
            .cast::<()>()
            .hash(state);
        self.pointer.hash(state);
    }
}

impl<T: ?Sized + Pointee> Clone for GuestPtr<'_, T> {
    #[inline]
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: ?Sized + Pointee> Copy for GuestPtr<'_, T> {}

impl<T: ?Sized + Pointee> fmt::Debug for GuestPtr<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        T::debug(self.pointer, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::OwnedMemory;

    #[test]
    fn debug_shows_offset_and_length() {
        let mem = OwnedMemory::new(0);
        assert_eq!(format!("{:?}", mem.ptr::<u8>(16)), "*guest 0x10");
        assert_eq!(format!("{:?}", mem.ptr::<[u32]>((16, 4))), "*guest 0x10/4");
        assert_eq!(format!("{:?}", mem.ptr::<str>((1, 2))), "*guest 0x1/2");
    }

    #[test]
    fn add_is_checked() {
        let mem = OwnedMemory::new(0);
        let p = mem.ptr::<u32>(u32::MAX - 7);
        assert_eq!(p.add(1).unwrap().offset(), u32::MAX - 3);
        assert!(matches!(p.add(2), Err(GuestError::PtrOverflow)));
        assert!(matches!(
            mem.ptr::<u64>(0).add(u32::MAX),
            Err(GuestError::PtrOverflow)
        ));
    }

    #[test]
    fn get_and_get_range_never_panic() {
        let mem = OwnedMemory::new(0);
        let s = mem.ptr::<[u32]>((u32::MAX - 3, 10));
        assert!(s.get(0).is_some());
        assert!(s.get(1).is_none()); // offset would pass u32::MAX
        assert!(s.get(10).is_none());
        #[allow(clippy::reversed_empty_ranges)]
        let reversed = 3..2;
        assert!(s.get_range(reversed).is_none());
        assert!(s.get_range(0..11).is_none());
        assert!(s.get_range(2..3).is_none());
        assert_eq!(
            s.get_range(0..1).map(|p| p.offset()),
            Some((u32::MAX - 3, 1))
        );
        let t = mem.ptr::<[u32]>((8, 10));
        assert_eq!(t.get_range(2..5).map(|p| p.offset()), Some((16, 3)));
        // Out of bounds of this empty memory: one error, up front.
        assert_eq!(t.iter().len(), 1);
        assert!(matches!(
            t.iter().collect::<Vec<_>>()[..],
            [Err(GuestError::PtrOutOfBounds(_))]
        ));
    }

    #[test]
    fn iter_checks_the_whole_array_first() {
        let mem = OwnedMemory::new(64);
        let ok = mem.ptr::<[u64]>((16, 6));
        let mut it = ok.iter();
        assert_eq!(it.len(), 6);
        let first = it.next().unwrap().unwrap();
        assert_eq!(first.offset(), 16);
        assert_eq!(it.len(), 5);
        let rest: Vec<u32> = it.map(|p| p.unwrap().offset()).collect();
        assert_eq!(rest, [24, 32, 40, 48, 56]);
        // Each failure of `region`, and nothing after it.
        for (bad, want) in [
            (mem.ptr::<[u64]>((16, 7)), "out of bounds"),
            (mem.ptr::<[u64]>((4, 1)), "not aligned"),
            (mem.ptr::<[u64]>((8, u32::MAX)), "overflows"),
        ] {
            let items: Vec<_> = bad.iter().collect();
            assert_eq!(items.len(), 1, "{bad:?}");
            let err = items.into_iter().next().unwrap().unwrap_err();
            assert!(err.to_string().contains(want), "{err}");
        }
        // Zero-size elements: the count is bounded by the memory's length.
        let zst = mem.ptr::<[[u8; 0]]>((0, u32::MAX));
        assert_eq!(zst.iter().len(), 1);
        assert_eq!(mem.ptr::<[[u8; 0]]>((0, 64)).iter().len(), 64);
        // An array ending exactly at the top of the address space.
        let empty = OwnedMemory::new(0);
        let top = empty.ptr::<[u8]>((u32::MAX, 1));
        assert!(top.iter().next().unwrap().is_err());
    }

    #[test]
    fn equality_and_hash_are_memory_and_offset() {
        use std::collections::HashSet;
        let a = OwnedMemory::new(8);
        let b = OwnedMemory::new(8);
        assert_eq!(a.ptr::<u32>(4), a.ptr::<u32>(4));
        assert_ne!(a.ptr::<u32>(4), a.ptr::<u32>(0));
        assert_ne!(a.ptr::<u32>(4), b.ptr::<u32>(4));
        assert_ne!(a.ptr::<[u8]>((4, 1)), a.ptr::<[u8]>((4, 2)));
        let set: HashSet<_> = [a.ptr::<str>((1, 2)), a.ptr((1, 2)), b.ptr((1, 2))]
            .into_iter()
            .collect();
        assert_eq!(set.len(), 2);
        // The same memory, reached through `&dyn`.
        let dynamic: &dyn GuestMemory = &a;
        assert_eq!(GuestPtr::<u8>::new(dynamic, 3), a.ptr::<u8>(3));
    }

    #[test]
    fn alignment_is_of_the_guest_offset() {
        assert!(check_align(Region::new(8, 4), 4).is_ok());
        assert!(check_align(Region::new(6, 4), 4).is_err());
        assert!(check_align(Region::new(7, 4), 1).is_ok());
        assert!(check_align(Region::new(7, 4), 0).is_ok());
        assert!(check_align(Region::new(9, 4), 3).is_ok());
        assert!(check_align(Region::new(10, 4), 3).is_err());
        assert!(check_align(Region::new(u32::MAX, 4), usize::MAX / 2 + 1).is_err());
    }

    #[test]
    fn pointers_are_send_sync_copy() {
        fn assert_traits<T: Send + Sync + Copy>() {}
        assert_traits::<GuestPtr<'static, u8>>();
        assert_traits::<GuestPtr<'static, [u64]>>();
        assert_traits::<GuestPtr<'static, str>>();
    }
}
