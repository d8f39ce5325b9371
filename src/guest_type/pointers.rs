//! [`GuestType`] for guest pointers stored in guest memory: `GuestPtr<T>` is
//! one `u32` offset; `GuestPtr<[T]>` and `GuestPtr<str>` are an offset and a
//! length, two `u32`s. What they point to is checked when they are used, not
//! when they are read.

use super::encoding::{le_bytes, put_bytes, read_le, write_le};
use super::{GuestLayout, GuestType};
use crate::{GuestError, GuestMemory, GuestPtr};

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
    #[inline]
    fn encode(val: Self, bytes: &mut [u8]) -> Result<(), GuestError> {
        put_bytes(bytes, &val.offset().to_le_bytes())
    }
}

/// Reads the `(offset, length)` pair of a slice or string pointer.
fn read_pair(mem: &dyn GuestMemory, offset: u32) -> Result<(u32, u32), GuestError> {
    decode_pair(&read_le::<8, 4>(mem, offset)?)
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
fn write_pair(mem: &dyn GuestMemory, offset: u32, pair: (u32, u32)) -> Result<(), GuestError> {
    write_le::<8, 4>(mem, offset, encode_pair(pair))
}

/// The guest encoding of the `(offset, length)` pair of a slice or string
/// pointer.
#[inline]
fn encode_pair((base, len): (u32, u32)) -> [u8; 8] {
    let mut b = [0u8; 8];
    b[..4].copy_from_slice(&base.to_le_bytes());
    b[4..].copy_from_slice(&len.to_le_bytes());
    b
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
    #[inline]
    fn encode(val: Self, bytes: &mut [u8]) -> Result<(), GuestError> {
        put_bytes(bytes, &encode_pair(val.offset()))
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
    #[inline]
    fn encode(val: Self, bytes: &mut [u8]) -> Result<(), GuestError> {
        put_bytes(bytes, &encode_pair(val.offset()))
    }
}
