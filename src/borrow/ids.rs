//! Identities: of trackers, so that a handle names the tracker that issued
//! it, and of threads, so that a tracker bound to one thread knows it is
//! there.
//!
//! Promises: a tracker identity is never given to two trackers, and a thread
//! identity never to two threads, in the life of the process (both are 64-bit
//! counters that would need 2^63 uses to wrap); no identity is 0 or
//! [`ANY_THREAD`]. A tracker takes its identity at its first borrow
//! ([`LazyId`]), so making one takes none. With `std`, tracker identities are
//! handed out to each thread in blocks, so taking one touches shared memory
//! once in 65,536, and a thread takes its own identity when it first binds a
//! tracker. Without `std` there are no threads to tell apart, and tracker
//! identities come from one process-wide counter.

#[cfg(feature = "std")]
pub(super) use with_std::{fresh_id, this_thread, this_thread_if_known};
#[cfg(not(feature = "std"))]
pub(super) use without_std::{fresh_id, this_thread_if_known};

/// A tracker's identity shifted left by one (the raw value of its shared
/// borrows' handles), assigned when first asked for, that is at the
/// tracker's first borrow: a memory made per host call that only reads and
/// writes never needs one, and making it touches no identity source. Where
/// the target has no 64-bit atomics the identity is assigned at once.
pub(super) struct LazyId {
    #[cfg(target_has_atomic = "64")]
    id: core::sync::atomic::AtomicU64,
    #[cfg(not(target_has_atomic = "64"))]
    id: u64,
}

impl LazyId {
    #[inline(always)]
    pub(super) fn new() -> Self {
        #[cfg(target_has_atomic = "64")]
        let id = core::sync::atomic::AtomicU64::new(0);
        #[cfg(not(target_has_atomic = "64"))]
        let id = fresh_id() << 1;
        LazyId { id }
    }

    /// The identity, shifted, assigning it first if it has none yet: every
    /// caller, on every thread, sees the same one.
    #[inline(always)]
    pub(super) fn get(&self) -> u64 {
        match self.if_assigned() {
            0 => self.assign(),
            id => id,
        }
    }

    /// The identity, shifted, or 0 if none has been assigned yet (so no
    /// handle of this tracker exists, and 0 is no tracker's).
    #[inline(always)]
    pub(super) fn if_assigned(&self) -> u64 {
        #[cfg(target_has_atomic = "64")]
        return self.id.load(core::sync::atomic::Ordering::Relaxed);
        #[cfg(not(target_has_atomic = "64"))]
        return self.id;
    }

    #[cold]
    #[inline(never)]
    fn assign(&self) -> u64 {
        #[cfg(target_has_atomic = "64")]
        {
            use core::sync::atomic::Ordering::Relaxed;
            // Identities are never 0, so neither is this. Two first borrows
            // on two threads (a tracker for any thread) agree on whichever
            // identity was stored first; a handle reaches another thread only
            // through something that orders it after that store, so every
            // thread that holds a handle sees the identity it carries.
            let fresh = fresh_id() << 1;
            match self.id.compare_exchange(0, fresh, Relaxed, Relaxed) {
                Ok(_) => fresh,
                Err(first) => first,
            }
        }
        #[cfg(not(target_has_atomic = "64"))]
        self.id
    }
}

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

/// Tracker identities without `std`: one process-wide source that takes no
/// lock, so that an interrupt handler making a memory while the code it
/// interrupted is doing the same never waits for it (a spin lock here
/// deadlocked). A 64-bit counter where the target has 64-bit atomics; on
/// targets without (`thumbv7em`), where a 32-bit counter could wrap (a
/// reused identity would let a handle release another tracker's borrow),
/// [`Epochs`](super::epochs::Epochs). There are no thread identities: every
/// tracker is for any thread.
#[cfg(not(feature = "std"))]
mod without_std {
    /// The next tracker identity. 2^63 trackers would be needed to reuse
    /// one.
    #[cfg(target_has_atomic = "64")]
    static NEXT_ID: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(1);

    /// A tracker identity no other tracker has had.
    #[cfg(target_has_atomic = "64")]
    #[inline]
    pub(in crate::borrow) fn fresh_id() -> u64 {
        NEXT_ID.fetch_add(1, core::sync::atomic::Ordering::Relaxed)
    }

    #[cfg(not(target_has_atomic = "64"))]
    static IDS: super::epochs::Epochs = super::epochs::Epochs::new();

    /// A tracker identity no other tracker has had.
    #[cfg(not(target_has_atomic = "64"))]
    #[inline]
    pub(in crate::borrow) fn fresh_id() -> u64 {
        IDS.next()
    }

    /// No thread has an identity without `std`.
    #[inline(always)]
    pub(in crate::borrow) fn this_thread_if_known() -> u64 {
        0
    }

    /// Third review, finding 2: with a spin lock around the counter, an
    /// interrupt handler that made a memory while the interrupted code was
    /// making one spun forever. A signal handler stands in for the
    /// interrupt: it makes trackers while the interrupted thread does too.
    #[cfg(all(test, unix, not(miri), target_has_atomic = "64"))]
    #[test]
    fn an_interrupt_making_a_tracker_never_waits_for_the_code_it_interrupted() {
        use core::sync::atomic::{AtomicU64, Ordering};
        use std::sync::mpsc;
        use std::time::Duration;

        static MADE_IN_HANDLER: AtomicU64 = AtomicU64::new(0);
        extern "C" fn on_signal(_: libc::c_int) {
            // A tracker takes its identity at its first borrow.
            let t = crate::BorrowTracker::new();
            let r = crate::Region::new(0, 1);
            t.mut_unborrow(t.mut_borrow(r).expect("a fresh tracker lends"));
            MADE_IN_HANDLER.fetch_add(1, Ordering::Relaxed);
        }

        let (done_tx, done_rx) = mpsc::channel();
        let (tid_tx, tid_rx) = mpsc::channel();
        // The interrupted thread: makes trackers as fast as it can until
        // enough signals have been handled.
        std::thread::spawn(move || {
            // SAFETY: plain FFI calls with valid arguments; the handler only
            // makes a tracker (atomic operations, no lock) and counts.
            unsafe {
                let mut action: libc::sigaction = core::mem::zeroed();
                action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as usize;
                libc::sigemptyset(&mut action.sa_mask);
                assert_eq!(
                    libc::sigaction(libc::SIGUSR1, &action, core::ptr::null_mut()),
                    0
                );
                tid_tx.send(libc::pthread_self()).unwrap();
            }
            while MADE_IN_HANDLER.load(Ordering::Relaxed) < 5_000 {
                for _ in 0..100 {
                    core::hint::black_box(super::fresh_id());
                }
            }
            done_tx.send(()).unwrap();
        });
        let target = tid_rx.recv().unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        let finished = loop {
            match done_rx.try_recv() {
                Ok(()) => break true,
                Err(mpsc::TryRecvError::Disconnected) => panic!("the interrupted thread failed"),
                Err(mpsc::TryRecvError::Empty) => {}
            }
            if std::time::Instant::now() > deadline {
                break false;
            }
            // SAFETY: `target` is a live thread (it ends only after `done`)
            // with a handler for the signal installed.
            unsafe { libc::pthread_kill(target, libc::SIGUSR1) };
            std::thread::yield_now();
        };
        assert!(
            finished,
            "the interrupted thread stopped making progress: {} of 5000 handled",
            MADE_IN_HANDLER.load(Ordering::Relaxed)
        );
    }
}

/// Identities for targets without 64-bit atomics. Compiled for every test
/// run too (Miri's included), so that it is tested on any host.
#[cfg(any(test, all(not(feature = "std"), not(target_has_atomic = "64"))))]
mod epochs {
    use alloc::boxed::Box;
    use core::ptr;
    use core::sync::atomic::{AtomicPtr, AtomicU32, Ordering};

    /// How many identities one [`Epoch`] hands out (fewer in tests, so that
    /// they reach the next epoch).
    const PER_EPOCH: u32 = if cfg!(test) { 1000 } else { u32::MAX };

    /// One epoch of identities: `number << 32 | n` for each `n` that
    /// `taken` counts through, from 1 to [`PER_EPOCH`].
    struct Epoch {
        /// Set before the epoch is published, never changed after.
        number: u32,
        /// The last `n` handed out in this epoch.
        taken: AtomicU32,
        /// The epoch before, a published `Box` (null for the first, which
        /// is no `Box`): every epoch stays reachable, and `Drop` frees them.
        before: *mut Epoch,
    }

    /// A lock-free source of 64-bit identities needing only 32-bit atomics
    /// and pointer compare-and-swap. Each identity is an epoch's number and
    /// a count within the epoch, unique since the count is one atomic
    /// counter that never wraps. When an epoch runs out, whoever sees it
    /// first allocates the next one and publishes it with one
    /// compare-and-swap from the exhausted epoch; the losers of that race
    /// free theirs and take from the winner's. Epochs are never freed (one
    /// small allocation leaks per 2^32 identities), so a pointer to an
    /// epoch is never reused and the compare-and-swap cannot be fooled
    /// (no ABA). Nobody ever waits for anybody: a caller interrupted
    /// part-way holds nothing the interrupt needs. (Making an epoch
    /// allocates, once per 2^32 identities: from an interrupt that is as
    /// safe as the global allocator is there.)
    pub(in crate::borrow) struct Epochs {
        current: AtomicPtr<Epoch>,
        first: Epoch,
    }

    impl Epochs {
        pub(in crate::borrow) const fn new() -> Self {
            Epochs {
                current: AtomicPtr::new(ptr::null_mut()),
                first: Epoch {
                    number: 0,
                    taken: AtomicU32::new(0),
                    before: ptr::null_mut(),
                },
            }
        }

        /// An identity this source never gave before: never 0, below 2^63.
        pub(in crate::borrow) fn next(&self) -> u64 {
            let (mut at, mut epoch) = self.current();
            let mut n = epoch.taken.load(Ordering::Relaxed);
            loop {
                if n == PER_EPOCH {
                    (at, epoch) = self.advance(at, epoch.number);
                    n = epoch.taken.load(Ordering::Relaxed);
                    continue;
                }
                match epoch.taken.compare_exchange_weak(
                    n,
                    n + 1,
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => return u64::from(epoch.number) << 32 | u64::from(n + 1),
                    Err(now) => n = now,
                }
            }
        }

        /// The epoch identities are taken from now: `current` as loaded
        /// (null for the first epoch), and the epoch.
        fn current(&self) -> (*mut Epoch, &Epoch) {
            let p = self.current.load(Ordering::Acquire);
            if p.is_null() {
                (p, &self.first)
            } else {
                // SAFETY: a non-null `current` was published below from a
                // `Box`, with release ordering, and loaded with acquire
                // ordering: it points to an initialized `Epoch`, freed only
                // by `Drop`, which `&self` rules out until this borrow ends.
                (p, unsafe { &*p })
            }
        }

        /// The epoch after the one `done` points to (numbered `number`),
        /// which has run out: made and published by this call, or by
        /// whichever call published it first.
        #[cold]
        fn advance(&self, done: *mut Epoch, number: u32) -> (*mut Epoch, &Epoch) {
            let number = number.checked_add(1).expect("2^63 tracker identities");
            assert!(number < 1 << 31, "2^63 tracker identities");
            let next = Box::into_raw(Box::new(Epoch {
                number,
                taken: AtomicU32::new(0),
                before: done,
            }));
            match self
                .current
                .compare_exchange(done, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => {}
                Err(_) => {
                    // SAFETY: `next` came from `Box::into_raw` above and was
                    // never published, so nothing else refers to it.
                    drop(unsafe { Box::from_raw(next) });
                }
            }
            // Published, by this call or another: each epoch has exactly
            // one successor, since `current` leaves `done` only once and
            // epochs are never freed while `self` lives.
            self.current()
        }
    }

    // SAFETY: the raw pointers are to `Epoch`s, which hold only atomics and
    // plain numbers written before publication; they are shared between
    // threads only through `current`'s release/acquire, so `Epochs` may be
    // sent and shared as its atomics may.
    unsafe impl Send for Epochs {}
    // SAFETY: see `Send`.
    unsafe impl Sync for Epochs {}

    impl Drop for Epochs {
        /// Frees the published epochs (a static source is never dropped: its
        /// epochs stay reachable from it).
        fn drop(&mut self) {
            let mut p = *self.current.get_mut();
            while !p.is_null() {
                // SAFETY: `p` is `current` or an epoch's `before`: a
                // published `Box` never freed before now, and with `&mut
                // self` no other thread can reach it. Each is freed once, as
                // the chain runs back to the first epoch (null).
                let epoch = unsafe { Box::from_raw(p) };
                p = epoch.before;
            }
        }
    }

    #[cfg(test)]
    mod tests {
        use alloc::vec::Vec;

        use super::{Epochs, PER_EPOCH};

        #[test]
        fn identities_are_unique_across_epochs_and_threads() {
            let ids = Epochs::new();
            let (threads, each) = if cfg!(miri) { (3, 700) } else { (4, 5_000) };
            let mut all: Vec<u64> = std::thread::scope(|s| {
                let handles: Vec<_> = (0..threads)
                    .map(|_| s.spawn(|| (0..each).map(|_| ids.next()).collect::<Vec<_>>()))
                    .collect();
                handles
                    .into_iter()
                    .flat_map(|h| h.join().unwrap())
                    .collect()
            });
            let n = all.len();
            assert!(all.iter().all(|&id| id != 0 && id < 1 << 63));
            all.sort_unstable();
            all.dedup();
            assert_eq!(all.len(), n, "an identity was given twice");
            // Several epochs were used up on the way (numbered from 0).
            let used_up = n as u64 / u64::from(PER_EPOCH);
            assert!(used_up >= 2 && all.last().unwrap() >> 32 >= used_up - 1);
        }
    }
}
