//! The checks every access makes before touching guest bytes, in this
//! order: arithmetic (no overflow), alignment of the guest offset, bounds.

use core::cell::UnsafeCell;

use crate::error::or_overflow;
use crate::memory::{checked_region, guest_bytes};
use crate::{GuestError, Region};

/// The region and bytes of `count` elements of `size` bytes at `offset`,
/// checked: arithmetic, alignment of the guest offset, bounds, in that order.
#[inline]
pub(crate) fn array_bytes(
    base: &[UnsafeCell<u8>],
    offset: u32,
    count: u32,
    size: u32,
    align: usize,
) -> Result<(Region, &[UnsafeCell<u8>]), GuestError> {
    let bytes = or_overflow(count.checked_mul(size))?;
    let r = checked_region(offset, bytes)?;
    check_align(r, align)?;
    Ok((r, guest_bytes(base, r)?))
}

/// [`array_bytes`] for a guest `[T]`, whose elements, when their guest size
/// is 0, are bounds-checked as if each took one byte: they touch no memory,
/// so nothing else would bound how many a guest can ask for, and every
/// per-element loop would run that often.
#[inline]
pub(crate) fn slice_bytes(
    base: &[UnsafeCell<u8>],
    offset: u32,
    count: u32,
    size: u32,
    align: usize,
) -> Result<(Region, &[UnsafeCell<u8>]), GuestError> {
    let checked = array_bytes(base, offset, count, size, align)?;
    if size == 0 {
        guest_bytes(base, checked_region(offset, count)?)?;
    }
    Ok(checked)
}

/// Fails unless `r.start` is a multiple of `align` (an alignment of 0 or 1
/// accepts every offset).
#[inline]
pub(crate) fn check_align(r: Region, align: usize) -> Result<(), GuestError> {
    if is_aligned(r.start, align) {
        Ok(())
    } else {
        Err(GuestError::PtrNotAligned(
            r,
            u32::try_from(align).unwrap_or(u32::MAX),
        ))
    }
}

/// Whether a guest offset is a multiple of `align` (0 counts as 1).
#[inline]
pub(crate) fn is_aligned(start: u32, align: usize) -> bool {
    if align.is_power_of_two() {
        // Every guest alignment: a mask, not a division.
        u64::from(start) & (u64::try_from(align).unwrap_or(u64::MAX) - 1) == 0
    } else {
        let align64 = u64::try_from(align).unwrap_or(u64::MAX);
        u64::from(start)
            .checked_rem(align64)
            .is_none_or(|rem| rem == 0)
    }
}
