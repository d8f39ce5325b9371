//! Safe access to a WebAssembly guest's linear memory from host code.
//!
//! A guest hands its host functions plain `u32` offsets and lengths. This
//! crate turns them into typed pointers ([`GuestPtr`]) whose every use is
//! checked — bounds, alignment of the guest offset, arithmetic overflow, and
//! outstanding borrows — and into zero-copy `&[T]` / `&str` views where that
//! is sound, or copies where it is not (shared memory). A bad guest value is
//! a [`GuestError`], never a panic and never undefined behaviour.
//!
//! # The safety model
//!
//! A [`GuestMemory`] is the guest's bytes plus a run-time borrow tracker. A
//! zero-copy view ([`GuestSlice`], [`GuestSliceMut`], [`GuestStr`],
//! [`GuestStrMut`]) holds a borrow of its region for as long as it lives:
//! overlapping shared borrows are fine, a mut borrow overlaps nothing. So a
//! host can hold several disjoint `&mut [u8]` into one memory at once — every
//! iovec of an `fd_read` — which a compile-time `&mut [u8]` over the whole
//! memory cannot. The [`BorrowTracker`] answers in `O(log n)` in the number of
//! outstanding borrows; a few borrows live in a small list, one in a single
//! slot, none costs an emptiness test.
//!
//! Memories are `Sync`. Each primitive read or write checks the borrows and
//! copies as one step ([`GuestMemory::read_bytes`]), so it cannot race a view
//! taken on another thread: a memory any thread may use ([`SliceMemory`])
//! does it under a small lock; a memory bound to its thread (the one a
//! [`LocalSliceMemory`] lends, what a host function makes per call or per
//! synchronous section) needs no lock, refuses other threads with
//! [`GuestError::WrongThread`], and lets primitive accesses skip the copy
//! call entirely when nothing conflicting is borrowed
//! ([`GuestMemory::unit_access`]: one dynamic call, then the access
//! inline). Its owner is neither `Send` nor `Sync`, so an async host
//! function cannot hold it across an `.await` in a future another thread
//! may resume: the compiler says so. Shared memories ([`SharedSliceMemory`])
//! get no views at all and only atomic accesses, a primitive one as quick
//! as on an unshared memory.
//!
//! # Example: a host function reading an iovec array
//!
//! ```
//! use guest_memory::{GuestError, GuestMemory, GuestPtr, OwnedMemory, guest_struct};
//!
//! guest_struct! {
//!     /// A buffer named by the guest: wasm32 C layout, 8 bytes, align 4.
//!     #[derive(Clone, Copy)]
//!     pub struct Iovec<'a> {
//!         pub buf: GuestPtr<'a, u8>,
//!         pub buf_len: u32,
//!     }
//! }
//!
//! /// Total length of the buffers named by a guest's iovec array, all of them
//! /// borrowed at once.
//! fn total_len<'a>(iovs: GuestPtr<'a, [Iovec<'a>]>) -> Result<u32, GuestError> {
//!     let mut views = Vec::new();
//!     for iov in iovs.iter() {
//!         let Iovec { buf, buf_len } = iov?.read()?;
//!         views.push(buf.as_array(buf_len).as_cow()?); // zero-copy unless shared memory
//!     }
//!     let total: usize = views.iter().map(|v| v.len()).sum();
//!     Ok(u32::try_from(total)?)
//! }
//!
//! let mem = OwnedMemory::new(1024);
//! let iov = |buf, buf_len| Iovec { buf: mem.ptr(buf), buf_len };
//! mem.ptr::<[Iovec]>((0, 2)).copy_from_slice(&[iov(100, 5), iov(200, 7)])?;
//! assert_eq!(total_len(mem.ptr((0, 2)))?, 12);
//! // The array runs past the end: `iter` reports it before the first record.
//! assert!(matches!(total_len(mem.ptr((1020, 2))), Err(GuestError::PtrOutOfBounds(_))));
//! # Ok::<(), GuestError>(())
//! ```
//!
//! # Where to start
//!
//! - [`OwnedMemory`], [`LocalSliceMemory`] and [`SliceMemory`] (over an
//!   engine's `&mut [u8]`: for one thread, and for any) and
//!   [`SharedSliceMemory`] are ready to use; [`GuestMemory::ptr`] makes a
//!   pointer.
//! - [`GuestPtr`] reads, writes, offsets, slices and views.
//! - [`GuestType`] says how a type is laid out in guest memory;
//!   [`guest_struct!`], [`guest_enum!`] and [`guest_flags!`] declare guest
//!   records, enums and flags the way WASI's witx does.
#![cfg_attr(not(any(feature = "std", test)), no_std)]
#![deny(unsafe_op_in_unsafe_fn, missing_docs, missing_debug_implementations)]
#![deny(clippy::undocumented_unsafe_blocks, clippy::missing_safety_doc)]
#![doc(test(attr(deny(warnings))))]

// Guest offsets are `u32`; on these hosts `u32 as usize` never truncates.
#[cfg(not(any(target_pointer_width = "32", target_pointer_width = "64")))]
compile_error!("guest-memory needs a 32- or 64-bit host");

extern crate alloc;

mod borrow;
mod buf;
mod declare;
mod error;
mod guest_type;
mod handle;
mod lock;
mod memories;
mod memory;
mod ptr;
mod raw;
mod region;
mod slice;
mod str;

pub use borrow::BorrowTracker;
pub use buf::{GuestBuf, GuestBufMut};
#[doc(hidden)]
pub use declare::__private;
pub use declare::GuestStruct;
pub use error::{DataFieldContext, FuncContext, GuestError};
pub use guest_type::{GuestErrorType, GuestLayout, GuestType, GuestTypeTransparent};
pub use handle::BorrowHandle;
pub use memories::{LocalSliceMemory, OwnedMemory, SharedSliceMemory, SliceMemory};
pub use memory::GuestMemory;
pub use ptr::{GuestPtr, Pointee};
pub use region::Region;

/// The `bitflags` crate, which [`guest_flags!`] builds on, so users need no
/// dependency of their own.
pub use bitflags;
pub use slice::{GuestCow, GuestSlice, GuestSliceMut, UnsafeGuestSlice};
pub use str::{GuestStr, GuestStrCow, GuestStrMut};

/// The README's example, compiled and run as a doctest.
#[cfg(all(doctest, not(guest_memory_no_engines)))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctest;
