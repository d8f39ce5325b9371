//! What a pointer to one `T` adds: reading and writing the value (bounds,
//! alignment and borrows checked, little-endian), and pointer arithmetic
//! that reports overflow instead of wrapping.

use super::GuestPtr;
use crate::error::or_overflow;
use crate::{GuestError, GuestType};

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
