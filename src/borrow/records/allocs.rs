//! Every allocation the records make: a tree insert, a push onto the small
//! list, the box of records beyond the slot.
//!
//! Any of them may panic on allocation failure (an allocation error hook
//! that panics); the callers order their updates so that such a panic only
//! ever over-counts, never forgets a borrow. In tests, [`fail_point`] makes
//! a chosen one of them panic, to check exactly that.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;

/// Inserts into a tree.
#[inline]
pub(super) fn insert<V>(map: &mut BTreeMap<u64, V>, key: u64, value: V) {
    #[cfg(test)]
    fail_point::hit();
    map.insert(key, value);
}

/// Pushes onto the small list; the first push allocates room for
/// `capacity` entries at once.
#[inline]
pub(super) fn push<T>(list: &mut Vec<T>, entry: T, capacity: usize) {
    #[cfg(test)]
    fail_point::hit();
    if list.capacity() == 0 {
        list.reserve_exact(capacity);
    }
    list.push(entry);
}

/// A new box holding `T::default()`.
pub(super) fn boxed<T: Default>() -> Box<T> {
    #[cfg(test)]
    fail_point::hit();
    Box::default()
}

/// Fault injection for the tests: make the `n`-th next allocation panic.
#[cfg(test)]
pub(in crate::borrow) mod fail_point {
    use core::cell::Cell;

    std::thread_local! {
        static COUNTDOWN: Cell<Option<u32>> = const { Cell::new(None) };
    }

    /// The `n`-th allocation from now (0: the next one) panics; `None`
    /// disarms.
    pub(in crate::borrow) fn arm(n: Option<u32>) {
        COUNTDOWN.with(|c| c.set(n));
    }

    pub(in crate::borrow) fn hit() {
        COUNTDOWN.with(|c| match c.get() {
            Some(0) => {
                c.set(None);
                panic!("injected allocation failure");
            }
            Some(n) => c.set(Some(n - 1)),
            None => {}
        });
    }
}
