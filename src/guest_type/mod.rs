//! [`GuestType`]: how values are laid out in guest memory — the traits.
//!
//! The implementations are beside this file: [`primitives`] (numbers and
//! `bool`), [`pointers`] (guest pointers stored in guest memory), [`arrays`];
//! [`encoding`] holds the byte-level helpers they and the declaration macros
//! share. Declared records, enums and flags are in `declare`.

mod arrays;
mod encoding;
mod pointers;
mod primitives;

#[cfg(test)]
mod tests;

use alloc::vec::Vec;

pub(crate) use encoding::with_guest_bytes;
use encoding::write_encoded;
pub use encoding::write_with;

use crate::ptr::slice_bytes;
use crate::{GuestError, GuestMemory, GuestPtr};

/// A type that can be read from and written to guest memory.
///
/// Guest memory is little-endian on every host; the implementations here
/// convert on big-endian hosts. The layout follows the wasm32 C ABI: a value
/// takes `guest_size()` bytes at an offset that is a multiple of
/// `guest_align()`.
///
/// Implemented for `u8`–`u64`, `i8`–`i64`, `f32`, `f64`, `bool`, guest pointers
/// (`GuestPtr<T>` is one `u32`; `GuestPtr<[T]>` and `GuestPtr<str>` are an
/// offset and a length, two `u32`s) and arrays `[T; N]`; the
/// [`guest_struct!`](crate::guest_struct) family of macros implements it for
/// declared records.
///
/// Implementing it by hand, for a type of one's own, usually means
/// delegating to the type it is made of and validating; a type that is also
/// to be a [`guest_struct!`](crate::guest_struct) field implements
/// [`GuestLayout`] too. Arrays and records holding it read faster if it also
/// overrides [`decode`](Self::decode).
///
/// ```
/// use guest_memory::{GuestError, GuestLayout, GuestMemory, GuestPtr, GuestType, OwnedMemory};
///
/// /// A clock id: a `u32` in guest memory, of which only 0 to 3 are valid.
/// #[derive(Debug, Clone, Copy, PartialEq)]
/// struct ClockId(u32);
///
/// impl<'a> GuestType<'a> for ClockId {
///     fn guest_size() -> u32 {
///         u32::guest_size()
///     }
///     fn guest_align() -> usize {
///         u32::guest_align()
///     }
///     fn read(ptr: &GuestPtr<'a, Self>) -> Result<Self, GuestError> {
///         match ptr.cast::<u32>().read()? {
///             id @ 0..=3 => Ok(ClockId(id)),
///             _ => Err(GuestError::InvalidEnumValue("ClockId")),
///         }
///     }
///     fn write(ptr: &GuestPtr<'_, Self>, val: Self) -> Result<(), GuestError> {
///         ptr.cast::<u32>().write(val.0)
///     }
/// }
///
/// impl GuestLayout for ClockId {
///     const GUEST_SIZE: u32 = 4;
///     const GUEST_ALIGN: u32 = 4;
/// }
///
/// let mem = OwnedMemory::new(16);
/// mem.ptr::<ClockId>(4).write(ClockId(1))?;
/// assert_eq!(mem.ptr::<ClockId>(4).read()?, ClockId(1));
/// mem.ptr::<u32>(8).write(9)?;
/// assert!(matches!(mem.ptr::<ClockId>(8).read(), Err(GuestError::InvalidEnumValue("ClockId"))));
/// assert_eq!(mem.ptr::<[ClockId]>((4, 1)).to_vec()?, [ClockId(1)]);
/// # Ok::<(), GuestError>(())
/// ```
pub trait GuestType<'a>: Sized {
    /// Size in guest memory, in bytes.
    fn guest_size() -> u32;

    /// Alignment in guest memory, in bytes.
    ///
    /// A `usize` where [`guest_size`](Self::guest_size) is a `u32`, as the
    /// contract this crate follows (wiggle's) names them: a size is guest
    /// address arithmetic, done in `u32` with overflow checks, while an
    /// alignment is compared with host alignments (`align_of`) and never
    /// added to an offset. [`GuestLayout::GUEST_ALIGN`] gives it as a `u32`
    /// for layout arithmetic in `const` contexts.
    fn guest_align() -> usize;

    /// Reads a value.
    ///
    /// # Errors
    ///
    /// Any [`GuestError`] about the pointer, or the type's own validation.
    fn read(ptr: &GuestPtr<'a, Self>) -> Result<Self, GuestError>;

    /// Writes a value. Implementations must change nothing when they fail.
    ///
    /// # Errors
    ///
    /// Any [`GuestError`] about the pointer.
    fn write(ptr: &GuestPtr<'_, Self>, val: Self) -> Result<(), GuestError>;

    /// Decodes a value from `bytes`, its guest encoding, which the caller
    /// has just copied out of the memory at `ptr` (`bytes.len() ==
    /// guest_size()`); `ptr` supplies the memory and offset that values
    /// holding guest pointers need.
    ///
    /// Records, arrays and slices copy all of their bytes out with one
    /// check-and-copy and decode each field or element from the copy, which
    /// costs one lock round trip instead of one per field. The provided
    /// version ignores `bytes` and reads the value again with
    /// [`read`](Self::read): correct, but one more round trip. Every type
    /// the crate implements or declares overrides it.
    ///
    /// # Errors
    ///
    /// The type's own validation (for example
    /// [`GuestError::InvalidEnumValue`]). A caller's bug, never a guest
    /// value: the crate's types answer a `bytes` of another length with
    /// [`GuestError::SliceLengthsDiffer`], and a declared record at an
    /// offset whose end overflows with [`GuestError::PtrOverflow`].
    #[inline]
    fn decode(ptr: &GuestPtr<'a, Self>, bytes: &[u8]) -> Result<Self, GuestError> {
        let _ = bytes;
        Self::read(ptr)
    }

    /// Encodes `val` into `bytes`, its guest encoding (`bytes.len() ==
    /// guest_size()`, zeroed by the caller, so padding stays zero): the
    /// inverse of [`decode`](Self::decode).
    ///
    /// Records and arrays encode every field or element into one buffer
    /// (on the stack when small) and write it with one check-and-copy, so a
    /// write either changes every byte or, on an error, none. The provided
    /// version writes `val` with [`write`](Self::write) into a scratch
    /// memory and copies that out: correct, but an allocation per value.
    /// Every type the crate implements or declares overrides it.
    ///
    /// # Errors
    ///
    /// The type's own; the crate's types answer a `bytes` of another length
    /// (a caller's bug, never a guest value) with
    /// [`GuestError::SliceLengthsDiffer`].
    fn encode(val: Self, bytes: &mut [u8]) -> Result<(), GuestError> {
        let mut scratch = crate::OwnedMemory::new(bytes.len());
        Self::write(&GuestPtr::new(&scratch, 0), val)?;
        bytes.copy_from_slice(scratch.as_bytes_mut());
        Ok(())
    }

    /// Reads `ptr.len()` consecutive values.
    ///
    /// The provided version checks the whole region, copies it out in one
    /// step, and decodes element by element with [`decode`](Self::decode);
    /// plain numbers override it with one bulk copy into the result.
    ///
    /// # Errors
    ///
    /// As [`GuestPtr::region`], plus [`GuestError::PtrBorrowed`] if a mut
    /// borrow overlaps the region, then as [`decode`](Self::decode) for the
    /// first element that fails.
    fn read_slice(ptr: &GuestPtr<'a, [Self]>) -> Result<Vec<Self>, GuestError> {
        // Check the region before allocating: the length is the guest's. For
        // zero-size elements the check also bounds the count.
        let (r, _) = ptr.checked()?;
        let (mem, count) = (ptr.mem(), ptr.len() as usize);
        with_guest_bytes(mem, r, move |bytes| decode_all(mem, r.start, bytes, count))?
    }

    /// Writes `src` to consecutive values; the caller has checked the lengths
    /// match. A failed write changes nothing.
    ///
    /// The provided version encodes every element into one buffer with
    /// [`encode`](Self::encode) and then copies the buffer in one step;
    /// plain numbers override it with one bulk copy.
    ///
    /// # Errors
    ///
    /// As [`GuestPtr::region`], plus [`GuestError::PtrBorrowed`].
    fn write_slice(ptr: &GuestPtr<'_, [Self]>, src: &[Self]) -> Result<(), GuestError>
    where
        Self: Copy,
    {
        // Checks the region as a slice (zero-size elements included) before
        // encoding anything.
        slice_bytes(
            ptr.mem().base(),
            ptr.offset_base(),
            ptr.len(),
            Self::guest_size(),
            Self::guest_align(),
        )?;
        write_encoded(ptr.mem(), ptr.offset_base(), src.iter().copied())
    }
}

/// Decodes `count` consecutive values from `bytes`, the guest bytes copied
/// from `start` in `mem`: the loop of [`GuestType::read_slice`], with the
/// element size a constant in its own body and no capacity check per value.
#[inline]
fn decode_all<'a, T: GuestType<'a>>(
    mem: &'a dyn GuestMemory,
    start: u32,
    bytes: &[u8],
    count: usize,
) -> Result<Vec<T>, GuestError> {
    let size = T::guest_size();
    let mut out = Vec::<T>::with_capacity(count);
    let mut at = start;
    let mut decode_one = |chunk: &[u8]| -> Result<(), GuestError> {
        // `at` stays inside the region copied, a valid offset.
        let v = T::decode(&GuestPtr::new(mem, at), chunk)?;
        at = at.wrapping_add(size);
        // Always true: the capacity is `count`, and at most `count` values
        // come (a `push` here, never taken, costs the loop a grow path).
        if out.len() < out.capacity() {
            // SAFETY: within the capacity, as just checked; the slot is
            // past the initialized values, which `set_len` then includes.
            unsafe {
                out.as_mut_ptr().add(out.len()).write(v);
                out.set_len(out.len() + 1);
            }
        }
        Ok(())
    };
    if size == 0 {
        // The region check bounded the count of zero-size values.
        for _ in 0..count {
            decode_one(&[])?;
        }
    } else {
        for chunk in bytes.chunks_exact(size as usize).take(count) {
            decode_one(chunk)?;
        }
    }
    Ok(out)
}

/// A type's guest layout as constants, for compile-time layout arithmetic.
///
/// [`guest_struct!`](crate::guest_struct) computes each field's offset from
/// these, so every field type needs it; the crate implements it for every
/// type it implements [`GuestType`] for, and the declaration macros for what
/// they declare. For those, `GUEST_SIZE == guest_size()` and `GUEST_ALIGN ==
/// guest_align()`.
///
/// ```
/// use guest_memory::{GuestLayout, GuestPtr, guest_struct};
///
/// guest_struct! {
///     pub struct Stat { pub kind: u8, pub size: u64, pub nlink: u32 }
/// }
///
/// // Checked when the crate compiles, against the ABI the guest was built for.
/// const _: () = assert!(Stat::GUEST_SIZE == 24 && Stat::GUEST_ALIGN == 8);
/// const _: () = assert!(<GuestPtr<'static, str>>::GUEST_SIZE == 8);
/// const _: () = assert!(<[u16; 3]>::GUEST_SIZE == 6);
/// ```
pub trait GuestLayout {
    /// Size in guest memory, in bytes.
    const GUEST_SIZE: u32;
    /// Alignment in guest memory, in bytes (a power of two).
    const GUEST_ALIGN: u32;
}

/// A [`GuestType`] whose guest representation is its host representation.
///
/// Only these get zero-copy slices ([`GuestPtr::as_slice`]). The multi-byte
/// numbers are transparent only on little-endian hosts; `u8` and `i8`
/// everywhere.
///
/// # Safety
///
/// `size_of::<Self>() == guest_size()`, the type has no padding, every bit
/// pattern of that size is a valid `Self`, and the bytes of a value in guest
/// memory, read as a host `Self` in place, are the value
/// [`GuestType::read`] would return. (Host alignment is checked separately,
/// at run time.)
///
/// ```compile_fail,E0277
/// fn transparent<'a, T: guest_memory::GuestTypeTransparent<'a>>() {}
/// transparent::<bool>(); // not every bit pattern is a bool
/// ```
///
/// ```compile_fail,E0277
/// fn transparent<'a, T: guest_memory::GuestTypeTransparent<'a>>() {}
/// transparent::<usize>(); // its size depends on the host
/// ```
pub unsafe trait GuestTypeTransparent<'a>: GuestType<'a> {}

/// A result type for host functions in the errno style: a value meaning
/// "no error".
///
/// It lets the glue between an engine and host functions be written once,
/// generic over the errno type: a host function returns `Result<(),
/// GuestError>`, and the glue turns that into what the guest sees
/// (`examples/plugin/` does this for wasmtime and wasmi alike).
///
/// ```
/// use guest_memory::{GuestError, GuestErrorType, GuestMemory, OwnedMemory};
///
/// #[derive(Debug, PartialEq)]
/// struct Errno(u16);
///
/// impl GuestErrorType for Errno {
///     fn success() -> Self {
///         Errno(0)
///     }
/// }
///
/// impl From<GuestError> for Errno {
///     fn from(e: GuestError) -> Self {
///         match e.root_cause() {
///             GuestError::InvalidEnumValue(_) => Errno(28), // EINVAL
///             _ => Errno(21),                               // EFAULT
///         }
///     }
/// }
///
/// /// The errno a guest sees for a host function's result.
/// fn errno<E: GuestErrorType + From<GuestError>>(result: Result<(), GuestError>) -> E {
///     result.map_or_else(E::from, |()| E::success())
/// }
///
/// let mem = OwnedMemory::new(8);
/// assert_eq!(errno::<Errno>(mem.ptr::<u32>(4).write(1)), Errno(0));
/// assert_eq!(errno::<Errno>(mem.ptr::<u32>(8).write(1)), Errno(21));
/// ```
pub trait GuestErrorType {
    /// The value that means success.
    fn success() -> Self;
}
