//! A small test-and-test-and-set lock for the borrow tracker.
//!
//! The tracker's critical sections are short (a map lookup, a copy of a few
//! bytes), so a lock whose uncontended acquire is one compare-and-swap and
//! whose release is one plain store costs less than `std::sync::Mutex`, whose
//! release is a second read-modify-write. Under contention a waiter spins
//! briefly, then yields its time slice so that a preempted holder can finish.

use core::cell::UnsafeCell;
use core::ops::{Deref, DerefMut};
use core::sync::atomic::{AtomicUsize, Ordering};

/// Mutual exclusion around a `T`, without poisoning.
pub(crate) struct Lock<T> {
    /// 1 while held, else 0. A word rather than a `bool`: a new lock and
    /// its value are then zeroed in whole aligned stores, from which the
    /// first loads of the value forward. (With a one-byte flag the
    /// optimizer zeroes a 25-byte tracker with two overlapping 16-byte
    /// stores, and the first load of the records' pointer, straddling
    /// them, stalled: measured on a `SliceMemory` made per host call.)
    locked: AtomicUsize,
    value: UnsafeCell<T>,
}

// SAFETY: `Lock` hands out access to its `T` only through a `LockGuard`, and
// at most one guard exists at a time (acquiring needs the `0 -> 1`
// transition of `locked`, which only one thread can win; the guard's drop is
// the only `1 -> 0` transition). So the `T` is reached by one thread at
// a time, which is exactly what `T: Send` permits; the acquire/release
// orderings make each holder's writes visible to the next.
unsafe impl<T: Send> Sync for Lock<T> {}

impl<T> Lock<T> {
    pub(crate) const fn new(value: T) -> Self {
        Lock {
            locked: AtomicUsize::new(0),
            value: UnsafeCell::new(value),
        }
    }

    /// Waits for the lock and returns a guard that releases it on drop.
    #[inline]
    pub(crate) fn lock(&self) -> LockGuard<'_, T> {
        if self
            .locked
            .compare_exchange_weak(0, 1, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            self.lock_contended();
        }
        LockGuard { lock: self }
    }

    #[cold]
    #[inline(never)]
    fn lock_contended(&self) {
        let mut spins = 0u32;
        loop {
            // Test before test-and-set, so waiters share the cache line
            // instead of bouncing it with failed read-modify-writes.
            while self.locked.load(Ordering::Relaxed) != 0 {
                if spins < 64 {
                    spins += 1;
                    core::hint::spin_loop();
                } else {
                    #[cfg(feature = "std")]
                    std::thread::yield_now();
                    #[cfg(not(feature = "std"))]
                    core::hint::spin_loop();
                }
            }
            if self
                .locked
                .compare_exchange_weak(0, 1, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
            {
                return;
            }
        }
    }

    /// The value, without locking.
    ///
    /// # Safety
    ///
    /// For as long as the result lives, nothing else reaches the value: no
    /// other thread (through this method or the lock) and no other reference
    /// on this thread.
    #[inline]
    #[allow(clippy::mut_from_ref)]
    pub(crate) unsafe fn get_unlocked(&self) -> &mut T {
        // SAFETY: the caller guarantees this is the only access path to the
        // value while the result lives; `UnsafeCell` permits mutation through
        // `&self`.
        unsafe { &mut *self.value.get() }
    }

    /// Exclusive access without locking, through `&mut self`.
    pub(crate) fn get_mut(&mut self) -> &mut T {
        self.value.get_mut()
    }
}

/// Proof of holding a [`Lock`]; releases it on drop.
pub(crate) struct LockGuard<'a, T> {
    lock: &'a Lock<T>,
}

impl<T> Deref for LockGuard<'_, T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        // SAFETY: this guard exists only while `locked` is held by it (see the
        // `Sync` impl), so no other reference to the value exists for the
        // guard's lifetime, and the returned borrow cannot outlive the guard.
        unsafe { &*self.lock.value.get() }
    }
}

impl<T> DerefMut for LockGuard<'_, T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`: the guard holds the lock, so this is the only
        // access to the value, and `&mut self` makes the borrow unique among
        // this guard's own borrows.
        unsafe { &mut *self.lock.value.get() }
    }
}

impl<T> Drop for LockGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        self.lock.locked.store(0, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn excludes_across_threads() {
        // Non-atomic read-modify-writes of the counter lose updates unless the
        // lock really excludes; Miri would also report the race.
        let threads = if cfg!(miri) { 3 } else { 4 };
        let rounds = if cfg!(miri) { 50 } else { 20_000 };
        let lock = Arc::new(Lock::new(0u64));
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let lock = Arc::clone(&lock);
                std::thread::spawn(move || {
                    for _ in 0..rounds {
                        let mut g = lock.lock();
                        let v = *g;
                        std::hint::black_box(&v);
                        *g = v + 1;
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(*lock.lock(), threads * rounds);
    }
}
