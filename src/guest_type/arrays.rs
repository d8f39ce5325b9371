//! [`GuestType`] for arrays `[T; N]`: `N` elements back to back, aligned as
//! one; transparent when the element is. Sizes saturate at `u32::MAX` (no
//! such array fits in guest memory, so every access fails its bounds check).

use alloc::vec::Vec;

use super::encoding::{chunks, write_encoded};
use super::{GuestLayout, GuestType, GuestTypeTransparent};
use crate::{GuestError, GuestPtr};

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
    fn encode(val: Self, bytes: &mut [u8]) -> Result<(), GuestError> {
        let size = T::guest_size() as usize;
        if Some(bytes.len()) != size.checked_mul(N) {
            return Err(GuestError::SliceLengthsDiffer);
        }
        if size == 0 {
            return val.into_iter().try_for_each(|v| T::encode(v, &mut []));
        }
        for (chunk, v) in bytes.chunks_exact_mut(size).zip(val) {
            T::encode(v, chunk)?;
        }
        Ok(())
    }
}

// SAFETY: array elements are contiguous without padding, so the array has
// no padding, every bit pattern of it is valid, and its bytes in place are its
// elements' bytes in place. Its size is `N` times the element's, which is
// `guest_size()` unless that saturated at `u32::MAX`; the views check
// `size_of::<T>() == guest_size()` before making any reference, so such an
// array is never viewed in place.
unsafe impl<'a, T: GuestTypeTransparent<'a>, const N: usize> GuestTypeTransparent<'a> for [T; N] {}
