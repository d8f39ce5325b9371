//! Views of `str` in guest memory: [`GuestStr`], [`GuestStrMut`] and
//! [`GuestStrCow`].

use alloc::string::String;
use core::fmt;
use core::ops::{Deref, DerefMut};

use crate::error::or_overflow;
use crate::memory::read_into;
use crate::{GuestCow, GuestError, GuestPtr, GuestSlice, GuestSliceMut, Region};

/// How many bytes [`GuestPtr::c_str`] copies out per step of its scan.
const SCAN_CHUNK: u32 = 256;

impl<'a> GuestPtr<'a, u8> {
    /// The NUL-terminated string starting here, as a string pointer to the
    /// bytes before the NUL, looking at no more than `max_len` bytes: for
    /// ABIs that pass C strings (`char *`) without a length.
    ///
    /// The scan copies the bytes out a chunk at a time, so it works on every
    /// memory, shared ones included; the string is checked to be UTF-8 when
    /// it is used (its bytes may change meanwhile on a shared memory, which
    /// those checks then see).
    ///
    /// # Errors
    ///
    /// [`GuestError::NoNulTerminator`] if none of the first `max_len` bytes
    /// is a NUL; [`GuestError::PtrOutOfBounds`] if memory ends first;
    /// [`GuestError::PtrOverflow`] if the scan would pass the end of the
    /// address space; [`GuestError::PtrBorrowed`] if a mut borrow overlaps
    /// the bytes scanned.
    ///
    /// ```
    /// use guest_memory::{GuestError, GuestMemory, OwnedMemory};
    ///
    /// let mem = OwnedMemory::new(64);
    /// mem.ptr::<[u8]>((8, 6)).copy_from_slice(b"hello\0")?;
    /// let s = mem.ptr::<u8>(8).c_str(32)?;
    /// assert_eq!(s.offset(), (8, 5));
    /// assert_eq!(s.to_string()?, "hello");
    /// assert!(matches!(mem.ptr::<u8>(8).c_str(5), Err(GuestError::NoNulTerminator(_))));
    /// mem.ptr::<u8>(63).write(b'x')?;
    /// assert!(matches!(mem.ptr::<u8>(63).c_str(32), Err(GuestError::PtrOutOfBounds(_))));
    /// # Ok::<(), GuestError>(())
    /// ```
    pub fn c_str(&self, max_len: u32) -> Result<GuestPtr<'a, str>, GuestError> {
        let start = self.offset();
        let mem = self.mem();
        let mut chunk = [0u8; SCAN_CHUNK as usize];
        let mut scanned = 0u32;
        while scanned < max_len {
            let at = or_overflow(start.checked_add(scanned))?;
            // A chunk ends at the end of memory, and at the top of the 32-bit
            // address space (before it, on a memory larger than 4 GiB).
            let left_in_memory = mem.base().len().saturating_sub(at as usize);
            let left_in_space = (u32::MAX - at).saturating_add(1);
            let n = (max_len - scanned).min(SCAN_CHUNK).min(left_in_space);
            let n = usize::try_from(n).map_or(left_in_memory, |n| n.min(left_in_memory));
            if n == 0 {
                return Err(GuestError::PtrOutOfBounds(Region::new(at, 1)));
            }
            let bytes = &mut chunk[..n];
            match read_into(mem, at, bytes) {
                Ok(()) => {}
                // Some byte of the chunk is mut-borrowed: read it byte by
                // byte, so that a string ending before that byte still reads.
                Err(GuestError::PtrBorrowed(_)) if n > 1 => {
                    for (i, byte) in bytes.iter_mut().enumerate() {
                        let here = or_overflow(at.checked_add(i as u32))?;
                        read_into(mem, here, core::slice::from_mut(byte))?;
                        if *byte == 0 {
                            break;
                        }
                    }
                }
                Err(e) => return Err(e),
            }
            if let Some(nul) = bytes.iter().position(|&b| b == 0) {
                // `nul < n <= max_len - scanned`, so this stays below `max_len`.
                let len = scanned + nul as u32;
                return Ok(GuestPtr::new(mem, (start, len)));
            }
            // `n <= max_len - scanned`.
            scanned += n as u32;
        }
        Err(GuestError::NoNulTerminator(Region::new(start, max_len)))
    }
}

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
    #[inline]
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
    #[inline]
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
    #[inline]
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
/// to `&str`. The bytes are shared-borrowed while this lives. Made by
/// [`GuestPtr::as_str`] (`None` on a shared memory, where
/// [`GuestPtr::as_cow`] copies).
///
/// ```
/// use guest_memory::{GuestError, GuestMemory, OwnedMemory};
///
/// let mem = OwnedMemory::new(16);
/// mem.ptr::<[u8]>((0, 5)).copy_from_slice(b"hello")?;
/// let s = mem.ptr::<str>((0, 5)).as_str()?.unwrap();
/// assert_eq!(s, "hello");
/// assert!(s.starts_with("he"));
/// mem.ptr::<u8>(8).write(0xff)?;
/// assert!(matches!(mem.ptr::<str>((8, 1)).as_str(), Err(GuestError::InvalidUtf8(_))));
/// # Ok::<(), GuestError>(())
/// ```
pub struct GuestStr<'a> {
    bytes: GuestSlice<'a, u8>,
}

/// An exclusive, zero-copy view of a UTF-8 string in guest memory;
/// dereferences to `&mut str`. The bytes are mut-borrowed while this lives.
/// Made by [`GuestPtr::as_str_mut`]; it hands out `&mut str`, never `&mut
/// [u8]`, so the bytes stay UTF-8.
///
/// ```
/// use guest_memory::{GuestError, GuestMemory, OwnedMemory};
///
/// let mem = OwnedMemory::new(16);
/// mem.ptr::<[u8]>((0, 5)).copy_from_slice(b"shout")?;
/// mem.ptr::<str>((0, 5)).as_str_mut()?.unwrap().make_ascii_uppercase();
/// assert_eq!(mem.ptr::<str>((0, 5)).to_string()?, "SHOUT");
/// # Ok::<(), GuestError>(())
/// ```
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
/// not possible (shared memory). Made by [`GuestPtr::as_cow`] on a
/// `GuestPtr<str>`; dereferences to `&str` either way.
///
/// ```
/// use guest_memory::{GuestError, GuestMemory, GuestStrCow, OwnedMemory};
///
/// let mem = OwnedMemory::new(16);
/// mem.ptr::<[u8]>((0, 2)).copy_from_slice(b"ok")?;
/// let s = mem.ptr::<str>((0, 2)).as_cow()?;
/// assert!(matches!(s, GuestStrCow::Borrowed(_)));
/// assert_eq!(s, "ok");
/// # Ok::<(), GuestError>(())
/// ```
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
