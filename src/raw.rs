//! Every copy between guest memory and the host, in one place.
//!
//! Guest memory is a `[UnsafeCell<u8>]`. Two ways to move bytes across:
//!
//! - plain copies, for memories no one else writes concurrently; the caller
//!   proves that, through the borrow tracker, for the bytes it names;
//! - atomic copies, for shared memories that guest threads write at any
//!   moment: every access is a relaxed atomic load or store, as wide as the
//!   host address's alignment allows (up to 8 bytes; 4 on targets without
//!   64-bit atomics), so an aligned value of a width the target has atomics
//!   for is never torn, and no Rust reference to the bytes is ever made.

use alloc::vec::Vec;
use core::cell::UnsafeCell;
use core::mem::MaybeUninit;
#[cfg(target_has_atomic = "64")]
use core::sync::atomic::AtomicU64;
use core::sync::atomic::{AtomicU8, AtomicU16, AtomicU32, Ordering};

/// Copies `src` to `dst` with plain loads.
///
/// # Safety
///
/// For the duration of the call nothing else writes any byte of `src`, and
/// no Rust reference to those bytes that asserts uniqueness (`&mut`) exists.
///
/// # Panics
///
/// If the lengths differ (a bug in this crate, never a guest value).
#[inline]
pub(crate) unsafe fn copy_out(src: &[UnsafeCell<u8>], dst: &mut [MaybeUninit<u8>]) {
    assert_eq!(src.len(), dst.len());
    let s = UnsafeCell::raw_get(src.as_ptr()).cast_const();
    let d = dst.as_mut_ptr().cast::<u8>();
    // SAFETY: `s` is valid for reads of `src.len()` bytes: it comes from the
    // live slice `src`, and `UnsafeCell<u8>` has `u8`'s layout. `d` is valid
    // for writes of the same length (the lengths were just asserted equal),
    // from the exclusive `dst`. They do not overlap: `dst` is a `&mut`, which
    // cannot alias the guest bytes `src` names while the caller guarantees no
    // unique reference to them exists. The bytes are not written concurrently
    // (the caller's precondition), so the plain read is not a data race.
    unsafe { copy_small_or_bulk(s, d, src.len()) }
}

/// Copies `src` into `dst` with plain stores.
///
/// # Safety
///
/// For the duration of the call nothing else reads or writes any byte of
/// `dst`, and no Rust reference to those bytes exists.
///
/// # Panics
///
/// If the lengths differ (a bug in this crate, never a guest value).
#[inline]
pub(crate) unsafe fn copy_in(dst: &[UnsafeCell<u8>], src: &[u8]) {
    assert_eq!(src.len(), dst.len());
    let d = UnsafeCell::raw_get(dst.as_ptr());
    // SAFETY: `d` is valid for writes of `dst.len()` bytes: it is derived via
    // `UnsafeCell::raw_get` from the live `dst`, whose cells permit mutation
    // through a shared reference. `src` is valid for reads of that length.
    // They do not overlap, since `src` is a `&[u8]` that would forbid the
    // write were it inside `dst`. No one else accesses `dst` meanwhile (the
    // caller's precondition), so the write races nothing.
    unsafe { copy_small_or_bulk(src.as_ptr(), d, src.len()) }
}

/// `copy_nonoverlapping` with the sizes of primitive values unrolled, since
/// the length is not a constant where the copy happens.
///
/// # Safety
///
/// As for `core::ptr::copy_nonoverlapping(s, d, len)`.
#[inline(always)]
unsafe fn copy_small_or_bulk(s: *const u8, d: *mut u8, len: usize) {
    // SAFETY: each arm reads and writes exactly `len` bytes between `s` and
    // `d` without assuming alignment, which is what the caller guarantees
    // valid and non-overlapping.
    unsafe {
        match len {
            1 => d.write(s.read()),
            2 => d
                .cast::<[u8; 2]>()
                .write_unaligned(s.cast::<[u8; 2]>().read_unaligned()),
            4 => d
                .cast::<[u8; 4]>()
                .write_unaligned(s.cast::<[u8; 4]>().read_unaligned()),
            8 => d
                .cast::<[u8; 8]>()
                .write_unaligned(s.cast::<[u8; 8]>().read_unaligned()),
            _ => core::ptr::copy_nonoverlapping(s, d, len),
        }
    }
}

/// Copies `src` to `dst` with relaxed atomic loads.
///
/// # Safety
///
/// Every access anyone makes to the bytes of `src` during the call is atomic
/// (as on a shared linear memory, where the crate never makes references).
///
/// # Panics
///
/// If the lengths differ (a bug in this crate, never a guest value).
pub(crate) unsafe fn atomic_copy_out(src: &[UnsafeCell<u8>], dst: &mut [MaybeUninit<u8>]) {
    assert_eq!(src.len(), dst.len());
    let base = UnsafeCell::raw_get(src.as_ptr());
    let mut at = 0;
    for_each_unit(base as usize, src.len(), |width, len| {
        // SAFETY: `for_each_unit` yields consecutive units that tile
        // `0..src.len()`, each `len` bytes with `base + at` aligned to `len`
        // (1, 2, 4 or 8). So the pointer is in bounds of `src` and suitably
        // aligned for the atomic type of that width, as `from_ptr` requires;
        // all concurrent accesses are atomic (the caller's precondition), so
        // the atomic load races nothing. `dst[at..at + len]` is in bounds since
        // the lengths are equal, and written without alignment assumptions.
        unsafe {
            let p = base.add(at);
            let d = dst.as_mut_ptr().add(at).cast::<u8>();
            match width {
                #[cfg(target_has_atomic = "64")]
                Width::W8 => d
                    .cast::<u64>()
                    .write_unaligned(AtomicU64::from_ptr(p.cast()).load(Ordering::Relaxed)),
                Width::W4 => d
                    .cast::<u32>()
                    .write_unaligned(AtomicU32::from_ptr(p.cast()).load(Ordering::Relaxed)),
                Width::W2 => d
                    .cast::<u16>()
                    .write_unaligned(AtomicU16::from_ptr(p.cast()).load(Ordering::Relaxed)),
                Width::W1 => d.write(AtomicU8::from_ptr(p).load(Ordering::Relaxed)),
            }
        }
        at += len;
    });
}

/// Copies `src` into `dst` with relaxed atomic stores.
///
/// # Safety
///
/// As for [`atomic_copy_out`]: every concurrent access to `dst` is atomic.
///
/// # Panics
///
/// If the lengths differ (a bug in this crate, never a guest value).
pub(crate) unsafe fn atomic_copy_in(dst: &[UnsafeCell<u8>], src: &[u8]) {
    assert_eq!(src.len(), dst.len());
    let base = UnsafeCell::raw_get(dst.as_ptr());
    let mut at = 0;
    for_each_unit(base as usize, dst.len(), |width, len| {
        // SAFETY: as in `atomic_copy_out`, with the roles swapped: the unit at
        // `base + at` is in bounds of `dst` and aligned for its width, every
        // concurrent access is atomic, and `src[at..at + len]` is in bounds
        // and read without alignment assumptions.
        unsafe {
            let p = base.add(at);
            let s = src.as_ptr().add(at);
            match width {
                #[cfg(target_has_atomic = "64")]
                Width::W8 => AtomicU64::from_ptr(p.cast())
                    .store(s.cast::<u64>().read_unaligned(), Ordering::Relaxed),
                Width::W4 => AtomicU32::from_ptr(p.cast())
                    .store(s.cast::<u32>().read_unaligned(), Ordering::Relaxed),
                Width::W2 => AtomicU16::from_ptr(p.cast())
                    .store(s.cast::<u16>().read_unaligned(), Ordering::Relaxed),
                Width::W1 => AtomicU8::from_ptr(p).store(s.read(), Ordering::Relaxed),
            }
        }
        at += len;
    });
}

/// Whether `N` bytes are one unit that [`atomic_load_unit`] and
/// [`atomic_store_unit`] access: 1, 2, 4 or (where the target has 64-bit
/// atomics) 8.
#[inline(always)]
pub(crate) const fn is_unit(n: usize) -> bool {
    matches!(n, 1 | 2 | 4) || (n == 8 && cfg!(target_has_atomic = "64"))
}

/// The `N` bytes of `src`, loaded with one relaxed atomic load.
///
/// # Safety
///
/// `is_unit(N)`, `src` has `N` bytes and starts at an address aligned to
/// `N`, and every access to them that may run at the same time is atomic.
#[inline(always)]
pub(crate) unsafe fn atomic_load_unit<const N: usize>(src: &[UnsafeCell<u8>]) -> [u8; N] {
    debug_assert!(is_unit(N) && src.len() == N && src.as_ptr().addr().is_multiple_of(N));
    let p = UnsafeCell::raw_get(src.as_ptr());
    let mut out = [0u8; N];
    // SAFETY: the caller's precondition: `p` is `N` bytes, aligned for the
    // atomic type of that width, and nothing races the load non-atomically.
    // `from_ptr` also wants `p` valid for reads and writes while the atomic
    // reference lives: it comes from `UnsafeCell`s in bounds, and the
    // reference lives for this one load, which writes nothing (so a shared
    // view of the same bytes, which rule 9 allows under a read, sees no
    // write). Only the arm of `N` is compiled in; its bytes are `N` long.
    unsafe {
        match N {
            1 => out.copy_from_slice(&AtomicU8::from_ptr(p).load(Ordering::Relaxed).to_ne_bytes()),
            2 => out.copy_from_slice(
                &AtomicU16::from_ptr(p.cast())
                    .load(Ordering::Relaxed)
                    .to_ne_bytes(),
            ),
            4 => out.copy_from_slice(
                &AtomicU32::from_ptr(p.cast())
                    .load(Ordering::Relaxed)
                    .to_ne_bytes(),
            ),
            #[cfg(target_has_atomic = "64")]
            8 => out.copy_from_slice(
                &AtomicU64::from_ptr(p.cast())
                    .load(Ordering::Relaxed)
                    .to_ne_bytes(),
            ),
            _ => unreachable!("not a unit: {N} bytes"),
        }
    }
    out
}

/// Stores `bytes` to `dst` with one relaxed atomic store.
///
/// # Safety
///
/// As for [`atomic_load_unit`], for `dst`.
#[inline(always)]
pub(crate) unsafe fn atomic_store_unit<const N: usize>(dst: &[UnsafeCell<u8>], bytes: [u8; N]) {
    debug_assert!(is_unit(N) && dst.len() == N && dst.as_ptr().addr().is_multiple_of(N));
    let p = UnsafeCell::raw_get(dst.as_ptr());
    let mut v = [0u8; 8];
    v[..N].copy_from_slice(&bytes);
    // SAFETY: as in `atomic_load_unit`, for a store: `dst` comes from
    // `UnsafeCell`s in bounds, and the caller's precondition (a unit access
    // granted for a write) means no view of these bytes exists.
    unsafe {
        match N {
            1 => AtomicU8::from_ptr(p).store(v[0], Ordering::Relaxed),
            2 => AtomicU16::from_ptr(p.cast())
                .store(u16::from_ne_bytes([v[0], v[1]]), Ordering::Relaxed),
            4 => AtomicU32::from_ptr(p.cast()).store(
                u32::from_ne_bytes([v[0], v[1], v[2], v[3]]),
                Ordering::Relaxed,
            ),
            #[cfg(target_has_atomic = "64")]
            8 => AtomicU64::from_ptr(p.cast()).store(u64::from_ne_bytes(v), Ordering::Relaxed),
            _ => unreachable!("not a unit: {N} bytes"),
        }
    }
}

/// Reads the at most 8 bytes of `src` with relaxed atomic loads (one where
/// `src` is a single aligned unit) into the first `src.len()` bytes of the
/// result's `to_ne_bytes()`.
///
/// # Safety
///
/// As for [`atomic_copy_out`]: every concurrent access to `src` is atomic.
///
/// # Panics
///
/// If `src` is longer than 8 bytes (a bug in this crate).
#[inline(always)]
pub(crate) unsafe fn atomic_read_small(src: &[UnsafeCell<u8>]) -> u64 {
    let p = UnsafeCell::raw_get(src.as_ptr());
    let len = src.len();
    // Only asked of the powers of two below, where the mask is exact (a
    // division here would cost more than the rest of the access).
    let aligned = p.addr() & len.wrapping_sub(1) == 0;
    // SAFETY: in each load arm `p` is `len` bytes in bounds of `src`,
    // aligned for the atomic type of that size (a byte always is; the wider
    // arms require `aligned`), and every concurrent access is atomic (the
    // caller's precondition). The last arm has `atomic_copy_out`'s
    // precondition, the same, and the lengths it needs: `v[..len]` is `len`
    // bytes (the slice panics past 8), which it fills with initialized
    // values only, as `uninit_bytes` requires.
    unsafe {
        // Three widths, not four: four make a jump table, which costs a
        // 4-byte read more than its compares (2 bytes, rarer, go the
        // general way, which is one load too when aligned).
        match len {
            1 => first(u64::from(AtomicU8::from_ptr(p).load(Ordering::Relaxed)), 8),
            4 if aligned => first(
                u64::from(AtomicU32::from_ptr(p.cast()).load(Ordering::Relaxed)),
                32,
            ),
            #[cfg(target_has_atomic = "64")]
            8 if aligned => AtomicU64::from_ptr(p.cast()).load(Ordering::Relaxed),
            _ => {
                let mut v = [0u8; 8];
                atomic_copy_out(src, uninit_bytes(&mut v[..len]));
                u64::from_ne_bytes(v)
            }
        }
    }
}

/// Reads the at most 8 bytes of `src` with plain loads into the first
/// `src.len()` bytes of the result's `to_ne_bytes()`, built in a register.
///
/// # Safety
///
/// As for [`copy_out`]: nothing writes the bytes of `src` during the call
/// and no `&mut` to them exists.
///
/// # Panics
///
/// If `src` is longer than 8 bytes (a bug in this crate).
#[inline(always)]
pub(crate) unsafe fn read_small(src: &[UnsafeCell<u8>]) -> u64 {
    let p = UnsafeCell::raw_get(src.as_ptr());
    // SAFETY: each load arm reads exactly `src.len()` bytes of `src`,
    // without alignment assumptions, and the caller's precondition makes the
    // read race nothing. The last arm has `copy_out`'s precondition, the
    // same, and `v[..len]` of `src`'s length (the slice panics past 8),
    // which `copy_out` fills with initialized values only, as `uninit_bytes`
    // requires.
    unsafe {
        match src.len() {
            1 => first(u64::from(p.read()), 8),
            2 => first(u64::from(p.cast::<u16>().read_unaligned()), 16),
            4 => first(u64::from(p.cast::<u32>().read_unaligned()), 32),
            8 => p.cast::<u64>().read_unaligned(),
            len => {
                let mut v = [0u8; 8];
                copy_out(src, uninit_bytes(&mut v[..len]));
                u64::from_ne_bytes(v)
            }
        }
    }
}

/// Writes the first `dst.len()` bytes (at most 8) of `bytes.to_ne_bytes()`
/// to `dst` with relaxed atomic stores (one where `dst` is a single aligned
/// unit).
///
/// # Safety
///
/// As for [`atomic_copy_in`]: every concurrent access to `dst` is atomic.
///
/// # Panics
///
/// If `dst` is longer than 8 bytes (a bug in this crate).
#[inline(always)]
pub(crate) unsafe fn atomic_write_small(dst: &[UnsafeCell<u8>], bytes: u64) {
    let p = UnsafeCell::raw_get(dst.as_ptr());
    let len = dst.len();
    // Only asked of the powers of two below, where the mask is exact (a
    // division here would cost more than the rest of the access).
    let aligned = p.addr() & len.wrapping_sub(1) == 0;
    let b = bytes.to_ne_bytes();
    // SAFETY: as in `atomic_read_small`, for a store: in each store arm `p`
    // is `len` bytes of `dst`, aligned for its atomic type; the last arm has
    // `atomic_copy_in`'s precondition, the same, with `b[..len]` of `dst`'s
    // length (the slice panics past 8).
    unsafe {
        match len {
            4 if aligned => AtomicU32::from_ptr(p.cast()).store(
                u32::from_ne_bytes([b[0], b[1], b[2], b[3]]),
                Ordering::Relaxed,
            ),
            #[cfg(target_has_atomic = "64")]
            8 if aligned => AtomicU64::from_ptr(p.cast()).store(bytes, Ordering::Relaxed),
            _ => atomic_copy_in(dst, &b[..len]),
        }
    }
}

/// `x`, the `width` low bits of which are bytes loaded from memory, moved so
/// that those bytes come first in the result's `to_ne_bytes()`. Built in a
/// register: a narrow store read back wide would stall.
#[inline(always)]
fn first(x: u64, width: u32) -> u64 {
    if cfg!(target_endian = "little") {
        x
    } else {
        x << (64 - width)
    }
}

#[derive(Clone, Copy)]
enum Width {
    W1,
    W2,
    W4,
    /// Only where the target has 64-bit atomics; elsewhere words are 4 bytes.
    #[cfg(target_has_atomic = "64")]
    W8,
}

/// Splits `len` bytes starting at host address `addr` into consecutive units
/// of 1, 2, 4 or 8 bytes, each aligned to its own size: small units up to the
/// first 8-aligned address, then 8-byte words, then small units again. Calls
/// `f(width, bytes)` for each in order; the bytes add up to `len`.
#[inline(always)]
fn for_each_unit(addr: usize, len: usize, mut f: impl FnMut(Width, usize)) {
    // The usual case first: one primitive value, aligned, in one unit.
    let one = match len {
        1 => Some(Width::W1),
        2 => Some(Width::W2),
        4 => Some(Width::W4),
        #[cfg(target_has_atomic = "64")]
        8 => Some(Width::W8),
        _ => None,
    };
    if let Some(width) = one
        && addr & (len - 1) == 0
    {
        f(width, len);
        return;
    }
    let mut addr = addr;
    let mut left = len;
    for (width, size) in [(Width::W1, 1), (Width::W2, 2), (Width::W4, 4)] {
        if addr & size != 0 && left >= size {
            f(width, size);
            addr += size;
            left -= size;
        }
    }
    #[cfg(target_has_atomic = "64")]
    while left >= 8 && addr.is_multiple_of(8) {
        f(Width::W8, 8);
        addr += 8;
        left -= 8;
    }
    for (width, size) in [(Width::W4, 4), (Width::W2, 2), (Width::W1, 1)] {
        while left >= size && addr.is_multiple_of(size) {
            f(width, size);
            addr += size;
            left -= size;
        }
    }
    // An unaligned remainder (only when the head could not reach 8-alignment
    // because `len` was too short) goes byte by byte.
    while left > 0 {
        f(Width::W1, 1);
        left -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn units(addr: usize, len: usize) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut at = addr;
        for_each_unit(addr, len, |_, n| {
            out.push((at, n));
            at += n;
        });
        out
    }

    #[test]
    fn units_tile_the_range_each_aligned() {
        for addr in 0..16 {
            for len in 0..40 {
                let u = units(addr, len);
                assert_eq!(u.iter().map(|&(_, n)| n).sum::<usize>(), len);
                for (a, n) in u {
                    assert_eq!(a % n, 0, "addr {addr} len {len}: unit at {a} of {n}");
                }
            }
        }
    }

    #[test]
    fn aligned_words_are_single_units() {
        // A u32 at a 4-aligned address and a u64 at an 8-aligned one are each
        // one access, so a concurrent writer can never tear them.
        assert_eq!(units(4, 4), [(4, 4)]);
        assert_eq!(units(8, 8), [(8, 8)]);
        assert_eq!(units(12, 12), [(12, 4), (16, 8)]);
    }

    #[test]
    fn atomic_copies_round_trip_at_every_offset() {
        for start in 0..8 {
            for len in 0..40 {
                // Fresh cells each time: Miri's weak-memory model cannot mix
                // atomic accesses of different sizes to one location.
                let cells: Vec<UnsafeCell<u8>> = (0..64).map(|_| UnsafeCell::new(0)).collect();
                let data: Vec<u8> = (0..len as u8)
                    .map(|b| b.wrapping_mul(31).wrapping_add(start as u8))
                    .collect();
                let window = &cells[start..start + len];
                // SAFETY: single-threaded test; every access is atomic.
                unsafe { atomic_copy_in(window, &data) };
                let mut out = vec![MaybeUninit::new(0xAA); len];
                // SAFETY: as above.
                unsafe { atomic_copy_out(window, &mut out) };
                let out: Vec<u8> = out.iter().map(|b| unsafe_init(*b)).collect();
                assert_eq!(out, data, "start {start} len {len}");
            }
        }
    }

    fn unsafe_init(b: MaybeUninit<u8>) -> u8 {
        // SAFETY: every byte was initialised with 0xAA before the copy.
        unsafe { b.assume_init() }
    }
}

/// Plain numbers: no padding, so every byte of a value is initialized, and
/// every bit pattern is a valid value.
///
/// # Safety
///
/// Implement only for types with those two properties.
pub(crate) unsafe trait Plain: Copy {}

macro_rules! plain {
    ($($ty:ty),*) => {$(
        // SAFETY: a primitive number has no padding and no invalid values.
        unsafe impl Plain for $ty {}
    )*};
}
plain!(u8, i8, u16, i16, u32, i32, u64, i64, f32, f64);

/// The bytes of `src`, in host byte order.
#[inline]
pub(crate) fn as_bytes<T: Plain>(src: &[T]) -> &[u8] {
    // SAFETY: `T: Plain` has no padding, so all `size_of_val(src)` bytes
    // behind `src` are initialized; `u8` needs no alignment; the result
    // borrows `src`, so the bytes stay valid and unmodified while it lives.
    unsafe { core::slice::from_raw_parts(src.as_ptr().cast::<u8>(), core::mem::size_of_val(src)) }
}

/// An initialized byte buffer, viewed as possibly uninitialized bytes to be
/// overwritten.
///
/// # Safety
///
/// The caller stores only initialized bytes through the result.
#[inline]
pub(crate) unsafe fn uninit_bytes(buf: &mut [u8]) -> &mut [MaybeUninit<u8>] {
    // SAFETY: `MaybeUninit<u8>` has the layout of `u8`, so length and
    // alignment are kept. Writing through the result could de-initialize
    // `buf` only by storing uninitialized bytes, which the caller does not
    // do; the result reborrows `buf`, so it is the only access path.
    unsafe { &mut *(core::ptr::from_mut(buf) as *mut [MaybeUninit<u8>]) }
}

/// The bytes of the first `n` spare elements of `v`'s capacity, to be filled
/// before `set_len(n)`.
///
/// # Panics
///
/// If `v` has fewer than `n` spare elements (a bug in this crate).
#[inline]
pub(crate) fn spare_bytes<T>(v: &mut Vec<T>, n: usize) -> &mut [MaybeUninit<u8>] {
    let spare = &mut v.spare_capacity_mut()[..n];
    let bytes = core::mem::size_of_val(spare);
    // SAFETY: `spare` is `bytes` bytes of exclusively borrowed memory;
    // `MaybeUninit<u8>` has no validity requirement and alignment 1, so any
    // byte of it may be viewed and written as one. The result reborrows
    // `spare`, so it is the only access path while it lives.
    unsafe { core::slice::from_raw_parts_mut(spare.as_mut_ptr().cast::<MaybeUninit<u8>>(), bytes) }
}
