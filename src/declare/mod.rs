//! Declaring guest data the way WASI's witx does: [`guest_flags!`],
//! [`guest_enum!`] and [`guest_struct!`], plus [`GuestStruct`], the typed
//! pointers to a declared record's fields.
//!
//! Read in this order: [`layout`] (a record's offsets, size and alignment,
//! computed at compile time), [`fields`] (reading and writing one field,
//! naming it in errors), then the macros, each in its own file:
//! [`repr`] (what flags and enums share), [`flags`], [`enums`], [`structs`].
//! The macros reach the helpers through [`__private`], which is not public
//! API.
//!
//! [`guest_flags!`]: crate::guest_flags
//! [`guest_enum!`]: crate::guest_enum
//! [`guest_struct!`]: crate::guest_struct

mod enums;
mod fields;
mod flags;
mod layout;
mod repr;
mod structs;

use crate::{GuestError, GuestPtr, GuestType};

/// A record declared with [`guest_struct!`](crate::guest_struct): typed
/// pointers to each of its fields.
///
/// Reach them with [`GuestPtr::fields`]:
///
/// ```
/// use guest_memory::{GuestError, GuestMemory, GuestPtr, OwnedMemory, guest_struct};
///
/// guest_struct! {
///     pub struct Iovec<'a> { pub buf: GuestPtr<'a, u8>, pub buf_len: u32 }
/// }
///
/// let mem = OwnedMemory::new(16);
/// let iov = mem.ptr::<Iovec>(8);
/// // Set one field without reading or writing the whole record.
/// iov.fields()?.buf_len.write(5)?;
/// assert_eq!(iov.fields()?.buf_len.offset(), 12);
/// assert_eq!(iov.read()?.buf_len, 5);
/// # Ok::<(), GuestError>(())
/// ```
pub trait GuestStruct<'a>: GuestType<'a> {
    /// A struct with one public `GuestPtr` per field, named as the fields.
    type Fields;

    /// Pointers to each field of the record `ptr` points to.
    ///
    /// # Errors
    ///
    /// [`GuestError::PtrOverflow`] if the record would end past the 32-bit
    /// address space. Nothing else is checked until a field is used.
    fn fields(ptr: &GuestPtr<'a, Self>) -> Result<Self::Fields, GuestError>;
}

impl<'a, T: GuestStruct<'a>> GuestPtr<'a, T> {
    /// Typed pointers to each field of the declared record this points to.
    ///
    /// # Errors
    ///
    /// As [`GuestStruct::fields`].
    ///
    /// # Examples
    ///
    /// ```
    /// use guest_memory::{GuestMemory, GuestPtr, OwnedMemory, guest_struct};
    ///
    /// guest_struct! {
    ///     pub struct Iovec<'a> {
    ///         pub buf: GuestPtr<'a, u8>,
    ///         pub buf_len: u32,
    ///     }
    /// }
    ///
    /// let mem = OwnedMemory::new(64);
    /// let iov = mem.ptr::<Iovec>(16);
    /// iov.fields()?.buf_len.write(5)?;
    /// assert_eq!(mem.ptr::<u32>(20).read()?, 5);
    /// # Ok::<(), guest_memory::GuestError>(())
    /// ```
    #[inline]
    pub fn fields(&self) -> Result<T::Fields, GuestError> {
        T::fields(self)
    }
}

/// Support for the declaration macros; not part of the public API.
#[doc(hidden)]
pub mod __private {
    pub use super::fields::{
        assert_transparent, check_record, decode_field, encode_field, field_ptr, read_field,
        read_record,
    };
    pub use super::layout::{field_offsets, index_of, struct_align, struct_size};
    pub use crate::guest_type::write_with;
}
