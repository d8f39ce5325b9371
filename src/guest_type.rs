//! [`GuestType`]: how values are laid out in guest memory.

use alloc::vec::Vec;
use core::mem::MaybeUninit;

use crate::memory::{guest_bytes, read_in_place, read_into, read_uninit, region_for};
use crate::ptr::{array_bytes, check_align, slice_bytes};
use crate::raw;
use crate::{GuestError, GuestMemory, GuestPtr, OwnedMemory, Region};

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
    /// [`GuestError::InvalidEnumValue`]).
    #[inline]
    fn decode(ptr: &GuestPtr<'a, Self>, bytes: &[u8]) -> Result<Self, GuestError> {
        let _ = bytes;
        Self::read(ptr)
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
        let count = ptr.len();
        with_guest_bytes(ptr.mem(), r, |bytes| {
            // Asked here rather than captured, so the optimizer sees the
            // constant in this closure's own body.
            let size = Self::guest_size();
            let mut out = Vec::with_capacity(count as usize);
            let mut at = 0u32;
            for chunk in chunks(bytes, size, count) {
                // In range: `at` stays below the region's end, a valid `u32`
                // offset, since `count * size` fits the region.
                let elem = GuestPtr::new(ptr.mem(), r.start.wrapping_add(at));
                out.push(Self::decode(&elem, chunk)?);
                at = at.wrapping_add(size);
            }
            Ok(out)
        })?
    }

    /// Writes `src` to consecutive values; the caller has checked the lengths
    /// match. A failed write changes nothing.
    ///
    /// The provided version encodes every element into a scratch buffer with
    /// [`write`](Self::write) and then copies the buffer in one step; plain
    /// numbers override it with one bulk copy.
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

/// Encodes `vals` with [`GuestType::write`] into a scratch memory and copies
/// the scratch into `mem` at `offset` in one step, so that either every
/// element is written or, on any error, nothing is.
///
/// # Errors
///
/// [`GuestError::PtrOverflow`], [`GuestError::PtrNotAligned`],
/// [`GuestError::PtrOutOfBounds`] for the destination, checked before any
/// work; [`GuestError::PtrBorrowed`]; an element's own error.
pub(crate) fn write_encoded<'a, T: GuestType<'a>>(
    mem: &dyn GuestMemory,
    offset: u32,
    vals: impl ExactSizeIterator<Item = T>,
) -> Result<(), GuestError> {
    let size = T::guest_size();
    let count = u32::try_from(vals.len()).map_err(|_| GuestError::PtrOverflow)?;
    write_via_scratch(mem, offset, count, size, T::guest_align(), |scratch| {
        for (i, v) in (0..count).zip(vals) {
            // In range: `i * size` is below the region's length, a `u32`.
            T::write(&GuestPtr::new(scratch, i * size), v)?;
        }
        Ok(())
    })
}

/// Checks the destination of `count` elements of `size` bytes at `offset`,
/// lets `fill` encode them into a zeroed scratch memory of that size (based
/// at guest offset 0, which every alignment divides), then copies the
/// scratch to `mem` in one step. Nothing is written to `mem` unless every
/// check and all of `fill` succeed.
///
/// # Errors
///
/// [`GuestError::PtrOverflow`], [`GuestError::PtrNotAligned`],
/// [`GuestError::PtrOutOfBounds`] for the destination, before `fill` runs;
/// `fill`'s error; [`GuestError::PtrBorrowed`] from the final copy.
pub fn write_via_scratch(
    mem: &dyn GuestMemory,
    offset: u32,
    count: u32,
    size: u32,
    align: usize,
    fill: impl FnOnce(&OwnedMemory) -> Result<(), GuestError>,
) -> Result<(), GuestError> {
    let (r, _) = array_bytes(mem.base(), offset, count, size, align)?;
    let mut scratch = OwnedMemory::new(r.len as usize);
    fill(&scratch)?;
    mem.write_bytes(offset, scratch.as_bytes_mut())
}

/// `count` consecutive pieces of `size` bytes from the front of `bytes`
/// (empty ones if `size` is 0); fewer if `bytes` runs out.
#[inline]
fn chunks(bytes: &[u8], size: u32, count: u32) -> impl Iterator<Item = &[u8]> {
    let size = size as usize;
    // Two steps, so that each piece visibly has length `size` (a constant
    // for every declared type): decoders' bounds checks on it fold away,
    // and with them their fallback paths.
    (0..count as usize).map_while(move |i| bytes.get(i.checked_mul(size)?..)?.get(..size))
}

/// The largest copy [`with_guest_bytes`] makes on the stack.
const STACK_COPY: usize = 128;

/// Copies the bytes of `r` out of `mem` with one check-and-copy (in place
/// where [`GuestMemory::direct_access`] allows, else one
/// [`GuestMemory::read_bytes`]) and hands the copy to `f`. Small regions are
/// copied to the stack.
///
/// # Errors
///
/// As [`GuestMemory::read_bytes`]; `f` is not called then.
#[inline]
pub(crate) fn with_guest_bytes<R>(
    mem: &dyn GuestMemory,
    r: Region,
    f: impl FnOnce(&[u8]) -> R,
) -> Result<R, GuestError> {
    let len = r.len as usize;
    if len <= STACK_COPY {
        let mut buf = [MaybeUninit::<u8>::uninit(); STACK_COPY];
        let dst = &mut buf[..len];
        read_uninit(mem, r.start, dst)?;
        // SAFETY: `read_uninit` succeeded, so it wrote every byte of `dst`
        // with an initialized value; `MaybeUninit<u8>` and
        // `u8` have one layout, and the result reborrows `buf`.
        let bytes = unsafe { &*(core::ptr::from_mut(dst) as *const [u8]) };
        Ok(f(bytes))
    } else {
        let mut v = Vec::<u8>::with_capacity(len);
        read_uninit(mem, r.start, raw::spare_bytes(&mut v, len))?;
        // SAFETY: `read_uninit` succeeded, so it initialized all `len` spare
        // bytes.
        unsafe { v.set_len(len) };
        Ok(f(&v))
    }
}

/// The first `N` of `bytes` as an array; a length mismatch (a caller's
/// bug, never a guest value) is an error rather than a panic.
#[inline]
pub(crate) fn le_bytes<const N: usize>(bytes: &[u8]) -> Result<[u8; N], GuestError> {
    bytes.try_into().map_err(|_| GuestError::SliceLengthsDiffer)
}

/// Reads `N` bytes at a pointer after checking its guest alignment.
#[inline]
fn read_le<const N: usize>(
    mem: &dyn GuestMemory,
    offset: u32,
    align: usize,
) -> Result<[u8; N], GuestError> {
    check_align(Region::new(offset, N as u32), align)?;
    let mut buf = [0u8; N];
    let r = region_for(offset, N)?;
    // SAFETY: `read_in_place` stores initialized bytes only, the guest's.
    if let Some(done) = read_in_place(mem, r, unsafe { raw::uninit_bytes(&mut buf) }) {
        return done.map(|()| buf);
    }
    read_le_copied(mem, offset)
}

/// [`read_le`] through [`GuestMemory::read_bytes`], out of line: the
/// in-place read above then needs no stack frame for this call's result.
#[inline(never)]
fn read_le_copied<const N: usize>(
    mem: &dyn GuestMemory,
    offset: u32,
) -> Result<[u8; N], GuestError> {
    let mut buf = [0u8; N];
    read_into(mem, offset, &mut buf)?;
    Ok(buf)
}

/// Writes `N` bytes at a pointer after checking its guest alignment.
#[inline]
fn write_le<const N: usize>(
    mem: &dyn GuestMemory,
    offset: u32,
    align: usize,
    bytes: [u8; N],
) -> Result<(), GuestError> {
    check_align(Region::new(offset, N as u32), align)?;
    let r = region_for(offset, N)?;
    if let Some(base) = mem.direct_access(r, true) {
        let dst = guest_bytes(base, r)?;
        // SAFETY: as in `read_le`, for a write: no borrow overlaps `r` and
        // nothing else reads or writes the memory until this thread calls it
        // again, and this copy is made first; so no reference to these
        // bytes exists.
        unsafe { raw::copy_in(dst, &bytes) };
        return Ok(());
    }
    mem.write_bytes(offset, &bytes)
}

macro_rules! primitives {
    ($($ty:ident $size:literal),* $(,)?) => {$(
        impl GuestLayout for $ty {
            const GUEST_SIZE: u32 = $size;
            const GUEST_ALIGN: u32 = $size;
        }

        impl<'a> GuestType<'a> for $ty {
            #[inline]
            fn guest_size() -> u32 {
                $size
            }
            #[inline]
            fn guest_align() -> usize {
                $size
            }
            #[inline]
            fn read(ptr: &GuestPtr<'a, Self>) -> Result<Self, GuestError> {
                read_le::<$size>(ptr.mem(), ptr.offset(), $size).map($ty::from_le_bytes)
            }
            #[inline]
            fn write(ptr: &GuestPtr<'_, Self>, val: Self) -> Result<(), GuestError> {
                write_le::<$size>(ptr.mem(), ptr.offset(), $size, val.to_le_bytes())
            }
            #[inline]
            fn decode(_: &GuestPtr<'a, Self>, bytes: &[u8]) -> Result<Self, GuestError> {
                le_bytes::<$size>(bytes).map($ty::from_le_bytes)
            }
            fn read_slice(ptr: &GuestPtr<'a, [Self]>) -> Result<Vec<Self>, GuestError> {
                let r = ptr.region()?;
                let mut out = Vec::<$ty>::with_capacity(r.len as usize / $size);
                read_uninit(ptr.mem(), r.start, raw::spare_bytes(&mut out, ptr.len() as usize))?;
                // SAFETY: `read_uninit` succeeded, so it initialized all
                // `len * size_of` spare bytes, and every bit
                // pattern is a valid number.
                unsafe { out.set_len(ptr.len() as usize) };
                if cfg!(target_endian = "big") {
                    for v in &mut out {
                        *v = $ty::from_le_bytes(v.to_ne_bytes());
                    }
                }
                Ok(out)
            }
            fn write_slice(ptr: &GuestPtr<'_, [Self]>, src: &[Self]) -> Result<(), GuestError> {
                let r = ptr.region()?;
                if cfg!(target_endian = "little") {
                    ptr.mem().write_bytes(r.start, raw::as_bytes(src))
                } else {
                    let bytes: Vec<u8> = src.iter().flat_map(|v| v.to_le_bytes()).collect();
                    ptr.mem().write_bytes(r.start, &bytes)
                }
            }
        }
    )*};
}

primitives!(u8 1, i8 1, u16 2, i16 2, u32 4, i32 4, u64 8, i64 8, f32 4, f64 8);

/// One byte, as witx's and the wasm C ABI's `bool`: reads any nonzero byte
/// as `true` (as C compilers for wasm, wiggle and the component model's
/// lifting do), writes `0` or `1`. Not [`GuestTypeTransparent`]: a byte other
/// than 0 or 1 is not a valid Rust `bool`, so there are no zero-copy views of
/// `[bool]`; [`GuestPtr::to_vec`] copies.
impl GuestLayout for bool {
    const GUEST_SIZE: u32 = 1;
    const GUEST_ALIGN: u32 = 1;
}

impl<'a> GuestType<'a> for bool {
    #[inline]
    fn guest_size() -> u32 {
        1
    }
    #[inline]
    fn guest_align() -> usize {
        1
    }
    #[inline]
    fn read(ptr: &GuestPtr<'a, Self>) -> Result<Self, GuestError> {
        read_le::<1>(ptr.mem(), ptr.offset(), 1).map(|[b]| b != 0)
    }
    #[inline]
    fn write(ptr: &GuestPtr<'_, Self>, val: Self) -> Result<(), GuestError> {
        write_le::<1>(ptr.mem(), ptr.offset(), 1, [u8::from(val)])
    }
    #[inline]
    fn decode(_: &GuestPtr<'a, Self>, bytes: &[u8]) -> Result<Self, GuestError> {
        le_bytes::<1>(bytes).map(|[b]| b != 0)
    }
}

// SAFETY: one byte, no padding, every bit pattern valid, no byte order.
unsafe impl GuestTypeTransparent<'_> for u8 {}
// SAFETY: as for `u8`.
unsafe impl GuestTypeTransparent<'_> for i8 {}

macro_rules! transparent_on_little_endian {
    ($($ty:ident),*) => {$(
        // SAFETY: a plain number: its size is its guest size, it has no
        // padding, every bit pattern is valid, and on a little-endian host its
        // in-memory bytes are the guest's little-endian encoding.
        #[cfg(target_endian = "little")]
        unsafe impl GuestTypeTransparent<'_> for $ty {}
    )*};
}

transparent_on_little_endian!(u16, i16, u32, i32, u64, i64, f32, f64);

impl<T> GuestLayout for GuestPtr<'_, T> {
    const GUEST_SIZE: u32 = 4;
    const GUEST_ALIGN: u32 = 4;
}

impl<T> GuestLayout for GuestPtr<'_, [T]> {
    const GUEST_SIZE: u32 = 8;
    const GUEST_ALIGN: u32 = 4;
}

impl GuestLayout for GuestPtr<'_, str> {
    const GUEST_SIZE: u32 = 8;
    const GUEST_ALIGN: u32 = 4;
}

impl<T: GuestLayout, const N: usize> GuestLayout for [T; N] {
    /// Saturates at `u32::MAX`, as [`GuestType::guest_size`] does.
    const GUEST_SIZE: u32 = {
        let n = if N > u32::MAX as usize {
            u32::MAX
        } else {
            N as u32
        };
        n.saturating_mul(T::GUEST_SIZE)
    };
    const GUEST_ALIGN: u32 = T::GUEST_ALIGN;
}

impl<'a, T> GuestType<'a> for GuestPtr<'a, T> {
    #[inline]
    fn guest_size() -> u32 {
        4
    }
    #[inline]
    fn guest_align() -> usize {
        4
    }
    #[inline]
    fn read(ptr: &GuestPtr<'a, Self>) -> Result<Self, GuestError> {
        let offset = ptr.cast::<u32>().read()?;
        Ok(GuestPtr::new(ptr.mem(), offset))
    }
    #[inline]
    fn write(ptr: &GuestPtr<'_, Self>, val: Self) -> Result<(), GuestError> {
        ptr.cast::<u32>().write(val.offset())
    }
    #[inline]
    fn decode(ptr: &GuestPtr<'a, Self>, bytes: &[u8]) -> Result<Self, GuestError> {
        let offset = u32::from_le_bytes(le_bytes(bytes)?);
        Ok(GuestPtr::new(ptr.mem(), offset))
    }
}

/// Reads the `(offset, length)` pair of a slice or string pointer.
fn read_pair(mem: &dyn GuestMemory, offset: u32) -> Result<(u32, u32), GuestError> {
    decode_pair(&read_le::<8>(mem, offset, 4)?)
}

/// Decodes the `(offset, length)` pair of a slice or string pointer.
#[inline]
fn decode_pair(bytes: &[u8]) -> Result<(u32, u32), GuestError> {
    let [a0, a1, a2, a3, b0, b1, b2, b3] = le_bytes::<8>(bytes)?;
    Ok((
        u32::from_le_bytes([a0, a1, a2, a3]),
        u32::from_le_bytes([b0, b1, b2, b3]),
    ))
}

/// Writes the `(offset, length)` pair of a slice or string pointer.
fn write_pair(
    mem: &dyn GuestMemory,
    offset: u32,
    (base, len): (u32, u32),
) -> Result<(), GuestError> {
    let mut b = [0u8; 8];
    b[..4].copy_from_slice(&base.to_le_bytes());
    b[4..].copy_from_slice(&len.to_le_bytes());
    write_le::<8>(mem, offset, 4, b)
}

impl<'a, T> GuestType<'a> for GuestPtr<'a, [T]> {
    #[inline]
    fn guest_size() -> u32 {
        8
    }
    #[inline]
    fn guest_align() -> usize {
        4
    }
    fn read(ptr: &GuestPtr<'a, Self>) -> Result<Self, GuestError> {
        Ok(GuestPtr::new(
            ptr.mem(),
            read_pair(ptr.mem(), ptr.offset())?,
        ))
    }
    fn write(ptr: &GuestPtr<'_, Self>, val: Self) -> Result<(), GuestError> {
        write_pair(ptr.mem(), ptr.offset(), val.offset())
    }
    #[inline]
    fn decode(ptr: &GuestPtr<'a, Self>, bytes: &[u8]) -> Result<Self, GuestError> {
        Ok(GuestPtr::new(ptr.mem(), decode_pair(bytes)?))
    }
}

impl<'a> GuestType<'a> for GuestPtr<'a, str> {
    #[inline]
    fn guest_size() -> u32 {
        8
    }
    #[inline]
    fn guest_align() -> usize {
        4
    }
    fn read(ptr: &GuestPtr<'a, Self>) -> Result<Self, GuestError> {
        Ok(GuestPtr::new(
            ptr.mem(),
            read_pair(ptr.mem(), ptr.offset())?,
        ))
    }
    fn write(ptr: &GuestPtr<'_, Self>, val: Self) -> Result<(), GuestError> {
        write_pair(ptr.mem(), ptr.offset(), val.offset())
    }
    #[inline]
    fn decode(ptr: &GuestPtr<'a, Self>, bytes: &[u8]) -> Result<Self, GuestError> {
        Ok(GuestPtr::new(ptr.mem(), decode_pair(bytes)?))
    }
}

impl<'a, T: GuestType<'a>, const N: usize> GuestType<'a> for [T; N] {
    /// `N` times the element's size; saturates at `u32::MAX` (no such array
    /// fits in guest memory, so every access then fails its bounds check).
    fn guest_size() -> u32 {
        u32::try_from(N)
            .ok()
            .and_then(|n| n.checked_mul(T::guest_size()))
            .unwrap_or(u32::MAX)
    }
    fn guest_align() -> usize {
        T::guest_align()
    }
    fn read(ptr: &GuestPtr<'a, Self>) -> Result<Self, GuestError> {
        let n = u32::try_from(N).map_err(|_| GuestError::PtrOverflow)?;
        let v = T::read_slice(&ptr.cast::<T>().as_array(n))?;
        // `read_slice` returns exactly `n` elements on success.
        v.try_into().map_err(|_| GuestError::SliceLengthsDiffer)
    }
    fn write(ptr: &GuestPtr<'_, Self>, val: Self) -> Result<(), GuestError> {
        write_encoded(ptr.mem(), ptr.offset(), val.into_iter())
    }
    fn decode(ptr: &GuestPtr<'a, Self>, bytes: &[u8]) -> Result<Self, GuestError> {
        let n = u32::try_from(N).map_err(|_| GuestError::PtrOverflow)?;
        let size = T::guest_size();
        let mut out = Vec::with_capacity(N);
        let mut elem = ptr.cast::<T>();
        for (i, chunk) in chunks(bytes, size, n).enumerate() {
            if i > 0 {
                elem = elem.add(1)?;
            }
            out.push(T::decode(&elem, chunk)?);
        }
        // Exactly `n` elements unless `bytes` was short (a caller's bug).
        out.try_into().map_err(|_| GuestError::SliceLengthsDiffer)
    }
}

// SAFETY: array elements are contiguous without padding, so the array has
// no padding, every bit pattern of it is valid, and its bytes in place are its
// elements' bytes in place. Its size is `N` times the element's, which is
// `guest_size()` unless that saturated at `u32::MAX`; the views check
// `size_of::<T>() == guest_size()` before making any reference, so such an
// array is never viewed in place.
unsafe impl<'a, T: GuestTypeTransparent<'a>, const N: usize> GuestTypeTransparent<'a> for [T; N] {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_alignments_follow_wasm32() {
        assert_eq!((u8::guest_size(), u8::guest_align()), (1, 1));
        assert_eq!((i16::guest_size(), i16::guest_align()), (2, 2));
        assert_eq!((f64::guest_size(), f64::guest_align()), (8, 8));
        assert_eq!(
            (
                <GuestPtr<'_, u64>>::guest_size(),
                <GuestPtr<'_, u64>>::guest_align()
            ),
            (4, 4)
        );
        assert_eq!(<GuestPtr<'_, [u64]>>::guest_size(), 8);
        assert_eq!(<GuestPtr<'_, str>>::guest_align(), 4);
        assert_eq!(<[u16; 3]>::guest_size(), 6);
        assert_eq!(<[u16; 3]>::guest_align(), 2);
        assert_eq!(<[u64; 0x2000_0000]>::guest_size(), u32::MAX);
    }

    #[test]
    fn layout_constants_agree_with_guest_type() {
        fn agree<'a, T: GuestType<'a> + GuestLayout>() {
            assert_eq!(
                T::GUEST_SIZE,
                T::guest_size(),
                "{}",
                core::any::type_name::<T>()
            );
            assert_eq!(
                T::GUEST_ALIGN as usize,
                T::guest_align(),
                "{}",
                core::any::type_name::<T>()
            );
        }
        agree::<u8>();
        agree::<i8>();
        agree::<u16>();
        agree::<i16>();
        agree::<u32>();
        agree::<i32>();
        agree::<u64>();
        agree::<i64>();
        agree::<f32>();
        agree::<f64>();
        agree::<bool>();
        agree::<GuestPtr<'_, u64>>();
        agree::<GuestPtr<'_, [u8]>>();
        agree::<GuestPtr<'_, str>>();
        agree::<[u16; 3]>();
        agree::<[[u64; 2]; 3]>();
        agree::<[u64; 0x2000_0000]>();
    }

    #[test]
    fn bools_read_nonzero_as_true_and_write_0_or_1() {
        let mem = OwnedMemory::new(4);
        mem.ptr::<[u8]>((0, 4))
            .copy_from_slice(&[0, 1, 2, 0xff])
            .unwrap();
        let read: Vec<bool> = (0..4).map(|i| mem.ptr::<bool>(i).read().unwrap()).collect();
        assert_eq!(read, [false, true, true, true]);
        assert_eq!(mem.ptr::<[bool]>((0, 4)).to_vec().unwrap(), read);
        mem.ptr::<bool>(3).write(true).unwrap();
        mem.ptr::<[bool]>((1, 2))
            .copy_from_slice(&[false, true])
            .unwrap();
        assert_eq!(mem.ptr::<[u8]>((0, 4)).to_vec().unwrap(), [0, 0, 1, 1]);
        assert!(matches!(
            mem.ptr::<bool>(4).read(),
            Err(GuestError::PtrOutOfBounds(_))
        ));
        assert_eq!(<[bool; 3]>::guest_size(), 3);
    }
}
