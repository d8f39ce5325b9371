//! Ready-made memories, so that no host has to `unsafe impl GuestMemory`.
//!
//! Each embeds a [`BorrowTracker`] and does its primitive accesses and copies
//! under the tracker's lock: the borrow check and the copy are one step, and
//! two plain accesses never fail against each other. A shared memory lends
//! no views, so while no buffer is lent its accesses, all atomic, take no
//! lock at all.

mod local;
mod owned;
mod shared;
mod slice;

pub use local::LocalSliceMemory;
pub use owned::OwnedMemory;
pub use shared::SharedSliceMemory;
pub use slice::SliceMemory;

use core::cell::UnsafeCell;
use core::mem::MaybeUninit;

use crate::memory::{guest_bytes, region_for, small_bytes};
use crate::raw;
use crate::{BorrowTracker, GuestError, Region};

/// `read_bytes` for an unshared memory whose bytes are reached only through
/// `tracker`'s views and these two functions (the invariant each memory type
/// keeps). (A shared memory has its own: see `shared.rs`.)
#[inline]
fn tracked_read(
    tracker: &BorrowTracker,
    base: &[UnsafeCell<u8>],
    offset: u32,
    dst: &mut [MaybeUninit<u8>],
) -> Result<(), GuestError> {
    let r = region_for(offset, dst.len())?;
    let src = guest_bytes(base, r)?;
    tracker.with_read_access(r, || {
        // SAFETY: the memory's bytes are written only through a
        // `GuestSliceMut` (which needs a mut borrow) or `tracked_write`
        // (which needs the tracker's lock). The lock is held for this whole
        // copy and no mut borrow overlaps `r`, so neither can touch these
        // bytes meanwhile, and no `&mut` to them exists.
        unsafe { raw::copy_out(src, dst) }
    })
}

/// `write_bytes` for the same memories as [`tracked_read`].
#[inline]
fn tracked_write(
    tracker: &BorrowTracker,
    base: &[UnsafeCell<u8>],
    offset: u32,
    src: &[u8],
) -> Result<(), GuestError> {
    let r = region_for(offset, src.len())?;
    let dst = guest_bytes(base, r)?;
    tracker.with_write_access(r, || {
        // SAFETY: the bytes are read or written only through views (which
        // need a borrow) or `tracked_read` / `tracked_write` (which need the
        // lock). The lock is held and no borrow overlaps `r`, so nothing else
        // reads or writes these bytes during the copy and no reference to
        // them exists.
        unsafe { raw::copy_in(dst, src) }
    })
}

/// `read_small` for the same memories as [`tracked_read`]: the copy in a
/// `u64`, returned in registers; `None` (nothing read) on any error, which
/// `read_bytes` then reports.
#[inline]
fn tracked_read_small(tracker: &BorrowTracker, base: &[UnsafeCell<u8>], r: Region) -> Option<u64> {
    let src = small_bytes(base, r)?;
    tracker
        .with_read_access(r, || {
            // SAFETY: as in `tracked_read`: the lock is held for the copy and
            // no mut borrow overlaps `r`; `src` has at most 8 bytes.
            unsafe { raw::read_small(src) }
        })
        .ok()
}

/// `write_small` for the same memories as [`tracked_read`]; `false`
/// (nothing written) on any error, which `write_bytes` then reports.
#[inline]
fn tracked_write_small(
    tracker: &BorrowTracker,
    base: &[UnsafeCell<u8>],
    r: Region,
    bytes: u64,
) -> bool {
    let Some(dst) = small_bytes(base, r) else {
        return false;
    };
    tracker
        .with_write_access(r, || {
            // SAFETY: as in `tracked_write`: the lock is held for the copy
            // and no borrow overlaps `r`; `dst` is at most the 8 bytes given.
            unsafe { raw::copy_in(dst, &bytes.to_ne_bytes()[..dst.len()]) }
        })
        .is_ok()
}

/// Implements `GuestMemory` for an unshared memory type with a `tracker:
/// BorrowTracker` field and a `fn cells(&self) -> &[UnsafeCell<u8>]` method.
macro_rules! tracked_memory {
    ($ty:ty) => {
        // SAFETY: rule 1: `cells()` is the whole memory and stays valid while
        // `&self` is borrowed (each type's own invariant, stated on it). Rule
        // 2: the type owns its tracker, and its bytes are reachable only
        // through this impl while `self` is borrowed. Rule 3: every borrow
        // method forwards to the `BorrowTracker`, which is exact. Rule 4: the
        // bytes are reached only through views holding borrows and through
        // `tracked_read` / `tracked_write`, which check under the tracker's
        // lock. Rule 5: not shared, as `is_shared_memory` says. Rule 6:
        // `tracked_read` / `tracked_write` check bounds and borrows and copy
        // under one lock acquisition; a successful copy fills `dst`. Rule 7:
        // `direct_access` answers only when the tracker is bound to the
        // calling thread and records no conflicting borrow over the region;
        // such a tracker refuses every other thread, and only this thread's
        // own next call could change its records. Rule 8: `unshared_base` is
        // `cells()`, the memory not being shared. Rule 9: `unit_access`
        // answers only when `direct_access` would, so nothing else accesses
        // the memory at all (rule 7), and only over `cells()` starting at a
        // multiple of 8: checked, or promised by the tracker's quick answer,
        // which each type asks for only over such cells. `read_small` /
        // `write_small` check and copy under one lock acquisition, as the
        // copies of rule 6 do, and answer only when they made the access.
        unsafe impl $crate::GuestMemory for $ty {
            #[inline]
            fn base(&self) -> &[core::cell::UnsafeCell<u8>] {
                self.cells()
            }
            #[inline]
            fn has_outstanding_borrows(&self) -> bool {
                self.tracker.has_outstanding_borrows()
            }
            #[inline]
            fn is_mut_borrowed(&self, r: $crate::Region) -> bool {
                self.tracker.is_mut_borrowed(r)
            }
            #[inline]
            fn is_shared_borrowed(&self, r: $crate::Region) -> bool {
                self.tracker.is_shared_borrowed(r)
            }
            #[inline]
            fn mut_borrow(
                &self,
                r: $crate::Region,
            ) -> Result<$crate::BorrowHandle, $crate::GuestError> {
                self.tracker.mut_borrow(r)
            }
            #[inline]
            fn shared_borrow(
                &self,
                r: $crate::Region,
            ) -> Result<$crate::BorrowHandle, $crate::GuestError> {
                self.tracker.shared_borrow(r)
            }
            #[inline]
            fn mut_unborrow(&self, h: $crate::BorrowHandle) {
                self.tracker.mut_unborrow(h)
            }
            #[inline]
            fn shared_unborrow(&self, h: $crate::BorrowHandle) {
                self.tracker.shared_unborrow(h)
            }
            #[inline]
            fn is_shared_memory(&self) -> bool {
                false
            }
            #[inline]
            fn unshared_base(&self) -> Option<&[core::cell::UnsafeCell<u8>]> {
                Some(self.cells())
            }
            #[inline]
            fn direct_access(
                &self,
                r: $crate::Region,
                write: bool,
            ) -> Option<&[core::cell::UnsafeCell<u8>]> {
                // Nothing borrowed, and borrows away from `r`, are answered
                // inline; a search among the borrows, when one is needed, is
                // out of line and the last call, so no path saves registers.
                self.tracker.allows_here(r, write, || self.cells())
            }
            #[inline]
            fn unit_access(
                &self,
                r: $crate::Region,
                write: bool,
            ) -> Option<&[core::cell::UnsafeCell<u8>]> {
                // The quick answer, given only over cells at a multiple of 8
                // (each type's invariant), needs no look at them.
                if self.tracker.is_quick_here() {
                    return Some(self.cells());
                }
                self.tracker
                    .allows_here_checked(r, write, || self.cells())
                    .filter(|cells| $crate::memory::unit_aligned(cells.as_ptr()))
            }
            #[inline]
            fn read_small(&self, r: $crate::Region) -> Option<u64> {
                super::tracked_read_small(&self.tracker, self.cells(), r)
            }
            #[inline]
            fn write_small(&self, r: $crate::Region, bytes: u64) -> bool {
                super::tracked_write_small(&self.tracker, self.cells(), r, bytes)
            }
            #[inline]
            fn read_bytes(
                &self,
                offset: u32,
                dst: &mut [core::mem::MaybeUninit<u8>],
            ) -> Result<(), $crate::GuestError> {
                super::tracked_read(&self.tracker, self.cells(), offset, dst)
            }
            #[inline]
            fn write_bytes(&self, offset: u32, src: &[u8]) -> Result<(), $crate::GuestError> {
                super::tracked_write(&self.tracker, self.cells(), offset, src)
            }
        }
    };
}

use tracked_memory;
