//! Views of `str` in guest memory: [`GuestStr`], [`GuestStrMut`] and
//! [`GuestStrCow`].

use alloc::string::String;
use core::fmt;
use core::ops::{Deref, DerefMut};

use crate::{GuestCow, GuestError, GuestPtr, GuestSlice, GuestSliceMut};

impl<'a> GuestPtr<'a, str> {
    /// A shared, zero-copy view of the string, or `Ok(None)` on a shared
    /// memory (use [`as_cow`](Self::as_cow) or [`to_string`](Self::to_string)
    /// there). The bytes stay shared-borrowed until the view is dropped.
    ///
    /// # Errors
    ///
    /// [`GuestError::PtrOverflow`], [`GuestError::PtrOutOfBounds`],
    /// [`GuestError::PtrBorrowed`] (a mut borrow overlaps),
    /// [`GuestError::InvalidUtf8`].
    ///
    /// # Examples
    ///
    /// ```
    /// use guest_memory::{GuestMemory, OwnedMemory};
    ///
    /// let mem = OwnedMemory::from(b"hello, guest".to_vec());
    /// let s = mem.ptr::<str>((7, 5)).as_str()?.expect("not shared memory");
    /// assert_eq!(&*s, "guest");
    /// # Ok::<(), guest_memory::GuestError>(())
    /// ```
    pub fn as_str(&self) -> Result<Option<GuestStr<'a>>, GuestError> {
        let Some(bytes) = self.as_bytes().as_slice()? else {
            return Ok(None);
        };
        core::str::from_utf8(&bytes)?;
        Ok(Some(GuestStr { bytes }))
    }

    /// An exclusive, zero-copy view of the string, or `Ok(None)` on a shared
    /// memory. The bytes stay mut-borrowed until the view is dropped.
    ///
    /// # Errors
    ///
    /// As for [`as_str`](Self::as_str), but any overlapping borrow is
    /// [`GuestError::PtrBorrowed`].
    pub fn as_str_mut(&self) -> Result<Option<GuestStrMut<'a>>, GuestError> {
        let Some(bytes) = self.as_bytes().as_slice_mut()? else {
            return Ok(None);
        };
        core::str::from_utf8(&bytes)?;
        Ok(Some(GuestStrMut { bytes }))
    }

    /// The string borrowed in place, or copied out on a shared memory.
    ///
    /// # Errors
    ///
    /// As for [`as_str`](Self::as_str).
    pub fn as_cow(&self) -> Result<GuestStrCow<'a>, GuestError> {
        match self.as_bytes().as_cow()? {
            GuestCow::Borrowed(bytes) => {
                core::str::from_utf8(&bytes)?;
                Ok(GuestStrCow::Borrowed(GuestStr { bytes }))
            }
            GuestCow::Copied(v) => Ok(GuestStrCow::Copied(
                String::from_utf8(v).map_err(|e| e.utf8_error())?,
            )),
        }
    }

    /// Copies the string out; works on every memory, shared ones included.
    ///
    /// # Errors
    ///
    /// As for [`as_str`](Self::as_str).
    pub fn to_string(&self) -> Result<String, GuestError> {
        let v = self.as_bytes().to_vec()?;
        String::from_utf8(v).map_err(|e| GuestError::InvalidUtf8(e.utf8_error()))
    }
}

/// A shared, zero-copy view of a UTF-8 string in guest memory; dereferences
/// to `&str`. The bytes are shared-borrowed while this lives.
pub struct GuestStr<'a> {
    bytes: GuestSlice<'a, u8>,
}

/// An exclusive, zero-copy view of a UTF-8 string in guest memory;
/// dereferences to `&mut str`. The bytes are mut-borrowed while this lives.
pub struct GuestStrMut<'a> {
    bytes: GuestSliceMut<'a, u8>,
}

impl Deref for GuestStr<'_> {
    type Target = str;
    #[inline]
    fn deref(&self) -> &str {
        // SAFETY: the bytes were checked to be UTF-8 when the view was made,
        // and the shared borrow the view holds keeps anyone from changing them.
        unsafe { core::str::from_utf8_unchecked(&self.bytes) }
    }
}

impl Deref for GuestStrMut<'_> {
    type Target = str;
    #[inline]
    fn deref(&self) -> &str {
        // SAFETY: checked to be UTF-8 when the view was made; since then only
        // this view could change the bytes (it holds the mut borrow), and only
        // through `&mut str`, whose safe API keeps them UTF-8.
        unsafe { core::str::from_utf8_unchecked(&self.bytes) }
    }
}

impl DerefMut for GuestStrMut<'_> {
    #[inline]
    fn deref_mut(&mut self) -> &mut str {
        // SAFETY: as for `deref`; handing out `&mut str` (not `&mut [u8]`)
        // keeps every later change UTF-8.
        unsafe { core::str::from_utf8_unchecked_mut(&mut self.bytes) }
    }
}

/// A string in guest memory: borrowed in place, or copied out where that is
/// not possible (shared memory).
#[derive(Debug)]
pub enum GuestStrCow<'a> {
    /// A zero-copy view.
    Borrowed(GuestStr<'a>),
    /// A copy.
    Copied(String),
}

impl Deref for GuestStrCow<'_> {
    type Target = str;
    #[inline]
    fn deref(&self) -> &str {
        match self {
            GuestStrCow::Borrowed(s) => s,
            GuestStrCow::Copied(s) => s,
        }
    }
}

macro_rules! str_traits {
    ($($view:ident),*) => {$(
        impl fmt::Debug for $view<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&**self, f)
            }
        }
        impl fmt::Display for $view<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&**self, f)
            }
        }
        impl PartialEq<str> for $view<'_> {
            fn eq(&self, other: &str) -> bool {
                **self == *other
            }
        }
        impl PartialEq<&str> for $view<'_> {
            fn eq(&self, other: &&str) -> bool {
                **self == **other
            }
        }
        impl PartialEq<String> for $view<'_> {
            fn eq(&self, other: &String) -> bool {
                **self == **other
            }
        }
    )*};
}

str_traits!(GuestStr, GuestStrMut);

impl fmt::Display for GuestStrCow<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

impl PartialEq<str> for GuestStrCow<'_> {
    fn eq(&self, other: &str) -> bool {
        **self == *other
    }
}

impl PartialEq<&str> for GuestStrCow<'_> {
    fn eq(&self, other: &&str) -> bool {
        **self == **other
    }
}

impl PartialEq<String> for GuestStrCow<'_> {
    fn eq(&self, other: &String) -> bool {
        **self == **other
    }
}
