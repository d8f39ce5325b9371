//! What a pointer to `str` adds, and the conversions between `[u8]` and
//! `str` pointers. UTF-8 is checked by the views and copies, not here.

use super::GuestPtr;

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
