//! The byte-level helpers of every [`GuestType`] implementation and of the
//! declaration macros: checked little-endian reads and writes of a few bytes
//! (in place where the memory allows), a copy of guest bytes for decoding
//! (on the stack when small), and all-or-nothing writes of values encoded
//! into one buffer (on the stack when small).

use alloc::vec::Vec;
use core::mem::MaybeUninit;

use super::GuestType;
use crate::memory::{guest_bytes, read_in_place, read_into, read_uninit, region_for, small_bytes};
use crate::ptr::{array_bytes, check_align, is_aligned};
use crate::raw;
use crate::{GuestError, GuestMemory, Region};

/// Encodes `vals` with [`GuestType::encode`] into one buffer and copies it
/// into `mem` at `offset` in one step, so that either every element is
/// written or, on any error, nothing is.
///
/// # Errors
///
/// [`GuestError::PtrOverflow`], [`GuestError::PtrNotAligned`],
/// [`GuestError::PtrOutOfBounds`] for the destination, checked before any
/// work; [`GuestError::PtrBorrowed`]; an element's own error.
pub(super) fn write_encoded<'a, T: GuestType<'a>>(
    mem: &dyn GuestMemory,
    offset: u32,
    vals: impl ExactSizeIterator<Item = T>,
) -> Result<(), GuestError> {
    let size = T::guest_size();
    let count = u32::try_from(vals.len()).map_err(|_| GuestError::PtrOverflow)?;
    write_with(mem, offset, count, size, T::guest_align(), |bytes| {
        if size == 0 {
            return vals.into_iter().try_for_each(|v| T::encode(v, &mut []));
        }
        for (chunk, v) in bytes.chunks_exact_mut(size as usize).zip(vals) {
            T::encode(v, chunk)?;
        }
        Ok(())
    })
}

/// Checks the destination of `count` elements of `size` bytes at `offset`,
/// lets `fill` encode them into a zeroed buffer of that size (on the stack
/// when small), then copies the buffer to `mem` in one step. Nothing is
/// written to `mem` unless every check and all of `fill` succeed.
///
/// # Errors
///
/// [`GuestError::PtrOverflow`], [`GuestError::PtrNotAligned`],
/// [`GuestError::PtrOutOfBounds`] for the destination, before `fill` runs;
/// `fill`'s error; [`GuestError::PtrBorrowed`] from the final copy.
#[inline]
pub fn write_with(
    mem: &dyn GuestMemory,
    offset: u32,
    count: u32,
    size: u32,
    align: usize,
    fill: impl FnOnce(&mut [u8]) -> Result<(), GuestError>,
) -> Result<(), GuestError> {
    let (r, _) = array_bytes(mem.base(), offset, count, size, align)?;
    let len = r.len as usize;
    if len <= STACK_COPY {
        let mut buf = [0u8; STACK_COPY];
        let bytes = &mut buf[..len];
        fill(bytes)?;
        write_all(mem, r, bytes)
    } else {
        let mut bytes = alloc::vec![0u8; len];
        fill(&mut bytes)?;
        write_all(mem, r, &bytes)
    }
}

/// Copies `src` into `r` (of its length) in one step: in place where
/// [`GuestMemory::direct_access`] allows, else with one
/// [`GuestMemory::write_bytes`].
#[inline]
fn write_all(mem: &dyn GuestMemory, r: Region, src: &[u8]) -> Result<(), GuestError> {
    if let Some(base) = mem.direct_access(r, true) {
        let dst = guest_bytes(base, r)?;
        // SAFETY: `direct_access` answered for a write of `r`: no borrow
        // overlaps it and nothing else reads or writes the memory until this
        // thread calls it again (trait rule 7); this copy is made first, so
        // no reference to these bytes exists meanwhile. `copy_in` checks
        // that the lengths agree.
        unsafe { raw::copy_in(dst, src) };
        return Ok(());
    }
    mem.write_bytes(r.start, src)
}

/// `count` consecutive pieces of `size` bytes from the front of `bytes`
/// (empty ones if `size` is 0); fewer if `bytes` runs out.
#[inline]
pub(super) fn chunks(bytes: &[u8], size: u32, count: u32) -> impl Iterator<Item = &[u8]> {
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
pub(super) fn le_bytes<const N: usize>(bytes: &[u8]) -> Result<[u8; N], GuestError> {
    bytes.try_into().map_err(|_| GuestError::SliceLengthsDiffer)
}

/// Copies `src` into `bytes` of the same length; a length mismatch (a
/// caller's bug, never a guest value) is an error rather than a panic.
#[inline]
pub(super) fn put_bytes(bytes: &mut [u8], src: &[u8]) -> Result<(), GuestError> {
    if bytes.len() != src.len() {
        return Err(GuestError::SliceLengthsDiffer);
    }
    bytes.copy_from_slice(src);
    Ok(())
}

/// Reads `N` bytes at a pointer after checking its guest alignment `ALIGN`.
///
/// One unit (1, 2, 4 or 8 bytes, `ALIGN` a multiple of `N`) is read inline
/// only on the usual answer: guest-aligned, granted by
/// [`GuestMemory::unit_access`], in bounds; then one atomic load (on x86-64
/// and AArch64 the very instruction of a plain load), on shared memories
/// too. Everything else, errors included, is one call out of line, so that
/// the inline part stays small enough for a caller's loop to take in.
#[inline(always)]
pub(super) fn read_le<const N: usize, const ALIGN: usize>(
    mem: &dyn GuestMemory,
    offset: u32,
) -> Result<[u8; N], GuestError> {
    if one_unit::<N, ALIGN>()
        && let Some(src) = unit_bytes::<N, ALIGN>(mem, offset, false)
    {
        // SAFETY: `unit_bytes` answered: `src` is the `N` bytes at `offset`,
        // `N`-aligned, and every access that may run meanwhile is atomic
        // (trait rule 9); the load is made now, before any other call on
        // the memory.
        return Ok(unsafe { raw::atomic_load_unit::<N>(src) });
    }
    read_le_slow::<N, ALIGN>(mem, offset)
}

/// Whether `N` bytes of guest alignment `ALIGN` are one unit whose
/// guest-aligned offsets are `N`-aligned: `N` is 1, 2, 4 or 8 and `ALIGN` a
/// nonzero multiple of it.
#[inline(always)]
const fn one_unit<const N: usize, const ALIGN: usize>() -> bool {
    raw::is_unit(N) && ALIGN >= N && ALIGN.is_multiple_of(N)
}

/// The `N` bytes at `offset` when `offset` is a multiple of `ALIGN` (itself
/// a multiple of `N`, one unit), the memory's [`GuestMemory::unit_access`]
/// answers, and they lie in bounds: then they start at an address aligned
/// to `N` (the base at a multiple of 8, `N` dividing 8), and end by `2^32`
/// (an `N`-aligned offset ends there at the latest).
#[inline(always)]
fn unit_bytes<const N: usize, const ALIGN: usize>(
    mem: &dyn GuestMemory,
    offset: u32,
    write: bool,
) -> Option<&[core::cell::UnsafeCell<u8>]> {
    if !is_aligned(offset, ALIGN) {
        return None;
    }
    let r = Region::new(offset, N as u32);
    small_bytes(mem.unit_access(r, write)?, r)
}

/// Whether [`read_le_slow`] / [`write_le_slow`] may go straight to the one
/// call that makes a small access: a guest-aligned unit (so in the address
/// space) that the inline path offered to `unit_access` already.
#[inline(always)]
fn offered_unit<const N: usize, const ALIGN: usize>(offset: u32) -> bool {
    one_unit::<N, ALIGN>() && is_aligned(offset, ALIGN)
}

/// [`read_le`] whenever its inline path does not answer. A guest-aligned
/// unit the memory did not grant (a memory for any thread, a shared one
/// with something lent, a conflicting borrow, or out of bounds) goes to
/// [`GuestMemory::read_small`], the one call that makes the whole access;
/// the rest gets every check with its error, the direct access where it is
/// not one unit, and [`GuestMemory::read_bytes`] last, which reports what
/// is wrong.
#[inline(never)]
fn read_le_slow<const N: usize, const ALIGN: usize>(
    mem: &dyn GuestMemory,
    offset: u32,
) -> Result<[u8; N], GuestError> {
    let mut buf = [0u8; N];
    if offered_unit::<N, ALIGN>(offset) {
        if let Some(v) = mem.read_small(Region::new(offset, N as u32)) {
            buf.copy_from_slice(&v.to_ne_bytes()[..N]);
            return Ok(buf);
        }
    } else {
        check_align(Region::new(offset, N as u32), ALIGN)?;
        let r = region_for(offset, N)?;
        // SAFETY: `read_in_place` stores initialized bytes only, the guest's.
        if let Some(done) = read_in_place(mem, r, unsafe { raw::uninit_bytes(&mut buf) }) {
            return done.map(|()| buf);
        }
        if N <= 8
            && let Some(v) = mem.read_small(r)
        {
            buf.copy_from_slice(&v.to_ne_bytes()[..N]);
            return Ok(buf);
        }
    }
    read_into(mem, offset, &mut buf)?;
    Ok(buf)
}

/// Writes `N` bytes at a pointer after checking its guest alignment
/// `ALIGN`, as [`read_le`] reads: the usual answer inline, everything else
/// out of line.
#[inline(always)]
pub(super) fn write_le<const N: usize, const ALIGN: usize>(
    mem: &dyn GuestMemory,
    offset: u32,
    bytes: [u8; N],
) -> Result<(), GuestError> {
    if one_unit::<N, ALIGN>()
        && let Some(dst) = unit_bytes::<N, ALIGN>(mem, offset, true)
    {
        // SAFETY: as in `read_le`, for a store: `unit_bytes` answered for a
        // write, so no borrow overlaps these `N`-aligned bytes either.
        unsafe { raw::atomic_store_unit::<N>(dst, bytes) };
        return Ok(());
    }
    write_le_slow::<N, ALIGN>(mem, offset, bytes)
}

/// [`write_le`] whenever its inline path does not answer, as
/// [`read_le_slow`] for reads.
#[inline(never)]
fn write_le_slow<const N: usize, const ALIGN: usize>(
    mem: &dyn GuestMemory,
    offset: u32,
    bytes: [u8; N],
) -> Result<(), GuestError> {
    let small = |r: Region| {
        let mut v = [0u8; 8];
        v[..N].copy_from_slice(&bytes);
        mem.write_small(r, u64::from_ne_bytes(v))
    };
    if offered_unit::<N, ALIGN>(offset) {
        if small(Region::new(offset, N as u32)) {
            return Ok(());
        }
    } else {
        check_align(Region::new(offset, N as u32), ALIGN)?;
        let r = region_for(offset, N)?;
        if let Some(base) = mem.direct_access(r, true) {
            let dst = guest_bytes(base, r)?;
            // SAFETY: as in `read_in_place`, for a write: no borrow overlaps
            // `r` and nothing else reads or writes the memory until this
            // thread calls it again, and this copy is made first; so no
            // reference to these bytes exists.
            unsafe { raw::copy_in(dst, &bytes) };
            return Ok(());
        }
        if N <= 8 && small(r) {
            return Ok(());
        }
    }
    mem.write_bytes(offset, &bytes)
}
