//! Identities: of trackers, so that a handle names the tracker that issued
//! it, and of threads, so that a tracker bound to one thread knows it is
//! there.
//!
//! Promises: a tracker identity is never given to two trackers, and a thread
//! identity never to two threads, in the life of the process (both are 64-bit
//! counters that would need 2^63 uses to wrap); no identity is 0 or
//! [`ANY_THREAD`]. With `std`, tracker identities are handed out to each
//! thread in blocks, so making a tracker touches shared memory once in
//! 65,536, and a thread takes its own identity when it first binds a
//! tracker. Without `std` there are no threads to tell apart, and tracker
//! identities come from one process-wide counter.

#[cfg(feature = "std")]
pub(super) use with_std::{fresh_id, this_thread, this_thread_if_known};
#[cfg(not(feature = "std"))]
pub(super) use without_std::{fresh_id, this_thread_if_known};

/// `owner` of a tracker any thread may use: no thread's identity (those
/// count up from 1, and an unknown thread's is 0), so comparing `owner` with
/// the calling thread's identity alone says whether the tracker is bound to
/// this thread.
pub(super) const ANY_THREAD: u64 = u64::MAX;

/// Tracker and thread identities with `std`: per-thread blocks of tracker
/// identities, and per-thread identities for trackers bound to a thread.
#[cfg(feature = "std")]
mod with_std {
    use core::sync::atomic::{AtomicU64, Ordering};

    /// Source of blocks of tracker identities. 2^63 trackers would be
    /// needed to reuse one.
    static NEXT_ID_BLOCK: AtomicU64 = AtomicU64::new(1);

    /// How many identities a thread takes from [`NEXT_ID_BLOCK`] at once, so
    /// that making a tracker (one per host call, for a `SliceMemory`) touches
    /// no shared cache line but once in this many.
    const ID_BLOCK: u64 = 1 << 16;

    std::thread_local! {
        /// This thread's next identity and the end of its block.
        static IDS: core::cell::Cell<(u64, u64)> = const { core::cell::Cell::new((0, 0)) };
    }

    /// A tracker identity no other tracker has had.
    #[inline]
    pub(in crate::borrow) fn fresh_id() -> u64 {
        IDS.with(|ids| {
            let (mut next, mut end) = ids.get();
            if next == end {
                next = NEXT_ID_BLOCK.fetch_add(1, Ordering::Relaxed) * ID_BLOCK;
                end = next + ID_BLOCK;
            }
            ids.set((next + 1, end));
            next
        })
    }

    /// Source of thread identities (0 is never one). 2^64 threads would be
    /// needed to reuse one.
    static NEXT_THREAD_ID: AtomicU64 = AtomicU64::new(1);

    std::thread_local! {
        /// This thread's identity, 0 until first asked for.
        static THREAD_ID: core::cell::Cell<u64> = const { core::cell::Cell::new(0) };
    }

    /// The calling thread's identity if it has one yet, else 0. A thread
    /// gets one when it first binds a tracker, so a thread still at 0 owns
    /// none: the ownership tests need not give it one.
    #[inline(always)]
    pub(in crate::borrow) fn this_thread_if_known() -> u64 {
        THREAD_ID.with(core::cell::Cell::get)
    }

    /// The identity of the calling thread, unique among all threads the
    /// process ever runs (so, unlike an address, never reused).
    #[inline]
    pub(in crate::borrow) fn this_thread() -> u64 {
        match THREAD_ID.with(core::cell::Cell::get) {
            0 => first_ask(),
            known => known,
        }
    }

    /// Gives the calling thread its identity, on its first ask.
    #[cold]
    #[inline(never)]
    fn first_ask() -> u64 {
        let fresh = NEXT_THREAD_ID.fetch_add(1, Ordering::Relaxed);
        THREAD_ID.with(|id| id.set(fresh));
        fresh
    }
}

/// Tracker identities without `std`: one process-wide 64-bit counter behind
/// the crate's spin lock, since targets such as `thumbv7em` have no 64-bit
/// atomics and a 32-bit counter could wrap (a reused identity would let a
/// handle release another tracker's borrow). There are no thread
/// identities: every tracker is for any thread.
#[cfg(not(feature = "std"))]
mod without_std {
    use crate::lock::Lock;

    /// The next tracker identity. 2^63 trackers would be needed to reuse
    /// one.
    static NEXT_ID: Lock<u64> = Lock::new(1);

    /// A tracker identity no other tracker has had.
    #[inline]
    pub(in crate::borrow) fn fresh_id() -> u64 {
        let mut next = NEXT_ID.lock();
        let id = *next;
        *next += 1;
        id
    }

    /// No thread has an identity without `std`.
    #[inline(always)]
    pub(in crate::borrow) fn this_thread_if_known() -> u64 {
        0
    }
}
