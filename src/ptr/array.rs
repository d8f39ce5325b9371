//! What a pointer to `[T]` adds: its length, its elements (one check for
//! the whole array, then a pointer to each), sub-ranges that never panic,
//! and whole-array copies in and out.

use alloc::vec::Vec;
use core::cell::UnsafeCell;
use core::ops::Range;

use super::GuestPtr;
use super::checks::slice_bytes;
use crate::{GuestError, GuestType, Region};

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
