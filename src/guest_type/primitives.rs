//! [`GuestType`] for numbers and `bool`: little-endian on every host,
//! aligned to their size; numbers are [`GuestTypeTransparent`] (zero-copy
//! views) where their in-memory bytes are the guest's, `bool` never.

use alloc::vec::Vec;

use super::encoding::{le_bytes, put_bytes, read_le, write_le};
use super::{GuestLayout, GuestType, GuestTypeTransparent};
use crate::memory::read_uninit;
use crate::raw;
use crate::{GuestError, GuestPtr};

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
                read_le::<$size, $size>(ptr.mem(), ptr.offset()).map($ty::from_le_bytes)
            }
            #[inline]
            fn write(ptr: &GuestPtr<'_, Self>, val: Self) -> Result<(), GuestError> {
                write_le::<$size, $size>(ptr.mem(), ptr.offset(), val.to_le_bytes())
            }
            #[inline]
            fn decode(_: &GuestPtr<'a, Self>, bytes: &[u8]) -> Result<Self, GuestError> {
                le_bytes::<$size>(bytes).map($ty::from_le_bytes)
            }
            #[inline]
            fn encode(val: Self, bytes: &mut [u8]) -> Result<(), GuestError> {
                put_bytes(bytes, &val.to_le_bytes())
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
        read_le::<1, 1>(ptr.mem(), ptr.offset()).map(|[b]| b != 0)
    }
    #[inline]
    fn write(ptr: &GuestPtr<'_, Self>, val: Self) -> Result<(), GuestError> {
        write_le::<1, 1>(ptr.mem(), ptr.offset(), [u8::from(val)])
    }
    #[inline]
    fn decode(_: &GuestPtr<'a, Self>, bytes: &[u8]) -> Result<Self, GuestError> {
        le_bytes::<1>(bytes).map(|[b]| b != 0)
    }
    #[inline]
    fn encode(val: Self, bytes: &mut [u8]) -> Result<(), GuestError> {
        put_bytes(bytes, &[u8::from(val)])
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
