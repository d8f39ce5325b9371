//! The public [`BorrowTracker`] and its two kinds (any thread, behind a
//! small lock; or bound to one thread, without atomics), and the handles it
//! issues.
//!
//! Promises: a borrow is granted only if no recorded borrow conflicts with
//! it, and stays recorded until its handle comes back to the tracker that
//! issued it; a handle given to another tracker, or of the other kind, is
//! refused (a panic) and releases nothing. On a thread a bound tracker is
//! not bound to, nothing is granted and nothing is released, so the records
//! only ever over-count. The records themselves are [`Maps`], reached only
//! through [`BorrowTracker::with_maps`] and its quick variant.

#[cfg(feature = "std")]
use core::sync::atomic::{AtomicU64, Ordering};

#[cfg(feature = "std")]
use super::ids::this_thread;
use super::ids::{ANY_THREAD, LazyId, this_thread_if_known};
use super::records::Maps;
use crate::lock::Lock;
use crate::{BorrowHandle, GuestError, Region};

/// Low bit of a handle's `raw` value: set for mut borrows.
const MUT_BIT: u64 = 1;

/// An interval-based borrow tracker, embeddable in any [`GuestMemory`].
///
/// Overlapping shared borrows are allowed; a mut borrow overlaps no other
/// borrow; a zero-length region conflicts with nothing (its borrow is granted
/// and records nothing). Each operation costs `O(log n)` in the number of
/// outstanding borrows, plus the number of shared segments a shared borrow
/// spans when shared borrows overlap one another.
///
/// # Two kinds
///
/// - [`BorrowTracker::new`]: any thread may use it; every operation takes a
///   small spin lock (one atomic read-modify-write and a store), and with
///   nothing borrowed that is most of its cost.
/// - `BorrowTracker::new_thread_bound` (with the `std` feature): only the
///   thread that made it may use it, and that thread needs no atomic
///   operation at all. From any other thread, borrows and accesses fail
///   with [`GuestError::WrongThread`], the queries answer as if everything
///   were borrowed, and a release (a view made on the owning thread, dropped
///   on another) leaves its borrow recorded: the region stays borrowed,
///   which refuses more, never less. A memory made per host call, which
///   lives and dies on one thread, loses nothing by it
///   ([`LocalSliceMemory`](crate::LocalSliceMemory) makes one, behind an
///   owner that cannot leave the thread).
///
/// [`GuestMemory`]: crate::GuestMemory
///
/// # Examples
///
/// ```
/// use guest_memory::{BorrowTracker, GuestError, Region};
///
/// let t = BorrowTracker::new();
/// let a = t.shared_borrow(Region::new(0, 8)).unwrap();
/// let b = t.shared_borrow(Region::new(4, 8)).unwrap(); // shared borrows may overlap
/// assert!(matches!(t.mut_borrow(Region::new(6, 1)), Err(GuestError::PtrBorrowed(_))));
/// t.shared_unborrow(a);
/// t.shared_unborrow(b);
/// let m = t.mut_borrow(Region::new(6, 1)).unwrap();
/// t.mut_unborrow(m);
/// assert!(!t.has_outstanding_borrows());
///
/// let bound = BorrowTracker::new_thread_bound();
/// std::thread::scope(|s| {
///     s.spawn(|| {
///         let refused = bound.mut_borrow(Region::new(0, 4));
///         assert!(matches!(refused, Err(GuestError::WrongThread)));
///     });
/// });
/// bound.mut_unborrow(bound.mut_borrow(Region::new(0, 4)).unwrap());
/// ```
pub struct BorrowTracker {
    /// This tracker's identity, shifted left by one: the raw value of its
    /// shared borrows' handles (a mut borrow's adds [`MUT_BIT`]); assigned
    /// at the first borrow.
    handle_id: LazyId,
    /// [`ANY_THREAD`], or the identity of the one thread that may reach
    /// `maps`. Fixed at construction.
    owner: u64,
    /// `owner` while the records hold no borrow, so that the owning thread
    /// learns "nothing borrowed, and this is my thread" from one compare
    /// (the quick answer); else [`ANY_THREAD`]. Always [`ANY_THREAD`] on a
    /// tracker made without the quick answer.
    // Invariant: equal to `owner` only if `owner != ANY_THREAD` and `maps`
    // records no borrow. Only code that reaches `maps` changes it (the
    // thread `owner`, or a holder of the lock of a tracker for any thread,
    // where it stays `ANY_THREAD`): it is cleared before any borrow is
    // recorded, and restored on a release that leaves the records empty.
    // Other threads' loads compare it with their own identity, which it
    // never is.
    free: FreeOwner,
    // Invariant: with `owner == ANY_THREAD`, `maps` is reached only through
    // its lock; otherwise only by the thread `owner`, without the lock, and
    // never re-entrantly (`with_maps` runs crate code only).
    maps: Lock<Maps>,
}

impl BorrowTracker {
    /// A tracker with nothing borrowed, for any thread.
    #[inline]
    pub fn new() -> Self {
        BorrowTracker {
            handle_id: LazyId::new(),
            owner: ANY_THREAD,
            free: FreeOwner::new(ANY_THREAD),
            maps: Lock::new(Maps::default()),
        }
    }

    /// A tracker with nothing borrowed, bound to the calling thread: that
    /// thread uses it without any atomic operation; other threads are
    /// refused, as the type's docs say. Needs the `std` feature (threads
    /// are told apart by a thread-local).
    #[cfg(feature = "std")]
    #[inline]
    pub fn new_thread_bound() -> Self {
        Self::bound_here(true)
    }

    /// A tracker bound to the calling thread; with the quick answer of
    /// [`allows_here`](Self::allows_here) if `quick` (a memory whose
    /// `unit_access` relies on it makes its tracker with it only over a
    /// base at a multiple of 8).
    #[cfg(feature = "std")]
    #[inline]
    pub(crate) fn bound_here(quick: bool) -> Self {
        let owner = this_thread();
        BorrowTracker {
            handle_id: LazyId::new(),
            owner,
            free: FreeOwner::new(if quick { owner } else { ANY_THREAD }),
            maps: Lock::new(Maps::default()),
        }
    }

    /// `Some(yes())` if this tracker is bound to the calling thread and no
    /// recorded borrow conflicts with an access of `r` (a write if `write`):
    /// until this thread's next call nothing can change that, since every
    /// other thread is refused. `None` on any other thread, for a tracker of
    /// any thread, and on a conflict (the caller then makes the access the
    /// locked way, which refuses it as it should). `yes` runs only
    /// on the way out, so that nothing it needs is held across the checks
    /// and no path saves registers.
    #[inline(always)]
    pub(crate) fn allows_here<T>(
        &self,
        r: Region,
        write: bool,
        yes: impl FnOnce() -> T,
    ) -> Option<T> {
        // The usual answer: bound here, nothing borrowed.
        if self.is_quick_here() {
            return Some(yes());
        }
        self.allows_here_checked(r, write, yes)
    }

    /// Whether the quick answer holds: this tracker, made with it, is
    /// bound to the calling thread and records no borrow.
    #[inline(always)]
    pub(crate) fn is_quick_here(&self) -> bool {
        self.free.is(this_thread_if_known())
    }

    /// [`allows_here`](Self::allows_here) without the quick answer: the
    /// owner and the records themselves are looked at.
    #[inline(always)]
    pub(crate) fn allows_here_checked<T>(
        &self,
        r: Region,
        write: bool,
        yes: impl FnOnce() -> T,
    ) -> Option<T> {
        if !self.is_bound_here() {
            return None;
        }
        // SAFETY: bound to this thread, so by the invariant on `maps` no
        // other thread reaches the records, and no other reference to them
        // is live on this thread (this is crate code, never called from
        // inside `with_maps`); the shared reference ends with this
        // expression.
        let maps = unsafe { &*self.maps.get_unlocked() };
        maps.allows(r, write, yes)
    }

    /// Whether this tracker is bound to the calling thread (never, for a
    /// tracker of any thread: [`ANY_THREAD`] is no thread's identity).
    #[inline(always)]
    fn is_bound_here(&self) -> bool {
        self.owner == this_thread_if_known()
    }

    /// Runs `f` on the records when this tracker is bound to the calling
    /// thread, else returns `None`; for the quick paths of borrowing and
    /// releasing, which run only there and inline into each memory's trait
    /// methods. `f` is this module's own code, as for
    /// [`with_maps`](Self::with_maps).
    #[inline(always)]
    fn with_maps_here<R>(&self, f: impl FnOnce(&mut Maps) -> R) -> Option<R> {
        if !self.is_bound_here() {
            return None;
        }
        // SAFETY: bound to this thread, so by the invariant on `maps` no
        // other thread reaches the records; no other reference to them is
        // live on this thread, since `f` never calls back into the tracker
        // and this is not called from inside `with_maps`.
        Some(f(unsafe { self.maps.get_unlocked() }))
    }

    /// Runs `f` on the borrow records, or returns `None` if this thread may
    /// not reach them. `f` is always this module's own code: it never calls
    /// back into the tracker and never runs a caller's code.
    #[inline(always)]
    pub(super) fn with_maps<R>(&self, f: impl FnOnce(&mut Maps) -> R) -> Option<R> {
        // One call site for `f`, so that it is inlined.
        let guard = if self.owner == ANY_THREAD {
            Some(self.maps.lock())
        } else if self.is_bound_here() {
            None
        } else {
            return None;
        };
        // SAFETY: either `guard` holds the lock (a tracker for any thread),
        // or the tracker is bound to this thread, so by the invariant on
        // `maps` no other thread ever reaches the records. Either way no
        // other reference to them is live: `guard` is not dereferenced, the
        // only other path is this method, and `f` never calls back into the
        // tracker, so calls never nest.
        let result = f(unsafe { self.maps.get_unlocked() });
        drop(guard);
        Some(result)
    }

    /// Whether any borrow is outstanding (`true` when asked from a thread
    /// the tracker is not bound to).
    pub fn has_outstanding_borrows(&self) -> bool {
        self.with_maps(|m| !m.is_empty()).unwrap_or(true)
    }

    /// Whether an outstanding mut borrow overlaps `r` (`true` when asked from
    /// a thread the tracker is not bound to, unless `r` is empty).
    pub fn is_mut_borrowed(&self, r: Region) -> bool {
        self.with_maps(|m| m.mut_overlaps(r))
            .unwrap_or(!r.is_empty())
    }

    /// Whether an outstanding shared borrow overlaps `r` (`true` when asked
    /// from a thread the tracker is not bound to, unless `r` is empty).
    pub fn is_shared_borrowed(&self, r: Region) -> bool {
        self.with_maps(|m| m.shared_overlaps(r))
            .unwrap_or(!r.is_empty())
    }

    /// Records an exclusive borrow of `r`.
    ///
    /// # Errors
    ///
    /// [`GuestError::PtrBorrowed`] if any outstanding borrow overlaps `r`;
    /// [`GuestError::WrongThread`] from a thread the tracker is not bound to.
    #[inline]
    pub fn mut_borrow(&self, r: Region) -> Result<BorrowHandle, GuestError> {
        // A tracker's first borrow, which gives it its identity, goes the
        // searching way: the quick path then calls nothing.
        let id = self.handle_id.if_assigned();
        if id != 0 && self.with_maps_here(|m| self.add_alone(m, r, 0)) == Some(true) {
            return Ok(self.handle_with(id, r, MUT_BIT));
        }
        self.mut_borrow_searching(r)
    }

    /// [`mut_borrow`](Self::mut_borrow) when the quick path does not answer:
    /// the slot is taken, or `r` meets the span of the borrows beyond it,
    /// or the tracker is for any thread.
    #[inline(never)]
    fn mut_borrow_searching(&self, r: Region) -> Result<BorrowHandle, GuestError> {
        let granted = self.with_maps(|m| {
            let free = !m.mut_overlaps(r) && !m.shared_overlaps(r);
            if free {
                self.free.clear();
                m.add_mut(r);
            }
            free
        });
        match granted {
            Some(true) => Ok(self.handle(r, MUT_BIT)),
            Some(false) => Err(GuestError::PtrBorrowed(r)),
            None => Err(GuestError::WrongThread),
        }
    }

    /// Records a shared borrow of `r`.
    ///
    /// # Errors
    ///
    /// [`GuestError::PtrBorrowed`] if an outstanding mut borrow overlaps `r`;
    /// [`GuestError::WrongThread`] from a thread the tracker is not bound to.
    #[inline]
    pub fn shared_borrow(&self, r: Region) -> Result<BorrowHandle, GuestError> {
        // As in `mut_borrow`.
        let id = self.handle_id.if_assigned();
        if id != 0 && self.with_maps_here(|m| self.add_alone(m, r, 1)) == Some(true) {
            return Ok(self.handle_with(id, r, 0));
        }
        self.shared_borrow_searching(r)
    }

    /// [`shared_borrow`](Self::shared_borrow) when the quick path does not
    /// answer, as for [`mut_borrow_searching`](Self::mut_borrow_searching).
    #[inline(never)]
    fn shared_borrow_searching(&self, r: Region) -> Result<BorrowHandle, GuestError> {
        let granted = self.with_maps(|m| {
            let free = !m.mut_overlaps(r);
            if free {
                self.free.clear();
                m.add_shared(r);
            }
            free
        });
        match granted {
            Some(true) => Ok(self.handle(r, 0)),
            Some(false) => Err(GuestError::PtrBorrowed(r)),
            None => Err(GuestError::WrongThread),
        }
    }

    /// Ends the mut borrow `h` stands for. From a thread the tracker is not
    /// bound to, the borrow stays recorded.
    ///
    /// # Panics
    ///
    /// If `h` was not issued by this tracker's [`mut_borrow`](Self::mut_borrow)
    /// (it came from another tracker, or is a shared borrow's handle). Safe
    /// code can only get there by mixing up two memories; the borrow is not
    /// released, so nothing aliases.
    #[inline]
    pub fn mut_unborrow(&self, h: BorrowHandle) {
        if h.raw() == self.handle_id.if_assigned() | MUT_BIT
            && self.with_maps_here(|m| self.remove_alone(m, h.region(), 0)) == Some(true)
        {
            return;
        }
        self.mut_unborrow_searching(h);
    }

    /// [`mut_unborrow`](Self::mut_unborrow) when the quick path does not
    /// answer: the handle is checked, and the borrow looked for everywhere.
    #[inline(never)]
    fn mut_unborrow_searching(&self, h: BorrowHandle) {
        let r = self.check_handle(&h, MUT_BIT);
        self.with_maps(|m| {
            m.remove_mut(r);
            self.released(m);
        });
    }

    /// Ends the shared borrow `h` stands for. From a thread the tracker is
    /// not bound to, the borrow stays recorded.
    ///
    /// # Panics
    ///
    /// If `h` was not issued by this tracker's
    /// [`shared_borrow`](Self::shared_borrow), as for
    /// [`mut_unborrow`](Self::mut_unborrow).
    #[inline]
    pub fn shared_unborrow(&self, h: BorrowHandle) {
        if h.raw() == self.handle_id.if_assigned()
            && self.with_maps_here(|m| self.remove_alone(m, h.region(), 1)) == Some(true)
        {
            return;
        }
        self.shared_unborrow_searching(h);
    }

    /// [`shared_unborrow`](Self::shared_unborrow) when the quick path does
    /// not answer, as for
    /// [`mut_unborrow_searching`](Self::mut_unborrow_searching).
    #[inline(never)]
    fn shared_unborrow_searching(&self, h: BorrowHandle) {
        let r = self.check_handle(&h, 0);
        self.with_maps(|m| {
            m.remove_shared(r);
            self.released(m);
        });
    }

    /// After a release under `with_maps`: on a bound tracker (then on its
    /// own thread) with nothing borrowed any more, the next access is quick
    /// again.
    #[inline(always)]
    fn released(&self, m: &Maps) {
        if self.owner != ANY_THREAD && m.is_empty() {
            self.free.restore();
        }
    }

    /// The quick borrow, on the owner thread: [`Maps::try_add_alone`],
    /// the quick answer cleared first (`shared` as there).
    #[inline(always)]
    fn add_alone(&self, m: &mut Maps, r: Region, shared: u64) -> bool {
        self.free.clear();
        m.try_add_alone(r, shared)
    }

    /// The quick release, on the owner thread: [`Maps::try_remove_alone`],
    /// and the quick answer restored if that emptied the records.
    #[inline(always)]
    fn remove_alone(&self, m: &mut Maps, r: Region, shared: u64) -> bool {
        let done = m.try_remove_alone(r, shared);
        if done && m.is_empty() {
            self.free.restore();
        }
        done
    }

    /// Runs `f` while no mut borrow overlaps `r` and none can be taken: the
    /// borrow check and the access `f` makes are one step.
    ///
    /// This is how the shipped memories read guest bytes without racing a
    /// [`GuestSliceMut`](crate::GuestSliceMut) being taken on another thread.
    /// `f` runs with the records locked (or, bound to this thread, borrowed),
    /// so it is always the crate's own copy code, never a caller's: a closure
    /// that used the tracker would wait forever. (That is why this is not
    /// public; a memory of a user's own gets a sound copy from
    /// `GuestMemory`'s provided methods.)
    ///
    /// # Errors
    ///
    /// [`GuestError::PtrBorrowed`] if a mut borrow overlaps `r`;
    /// [`GuestError::WrongThread`]; `f` is not run then.
    #[inline]
    pub(crate) fn with_read_access<R>(
        &self,
        r: Region,
        f: impl FnOnce() -> R,
    ) -> Result<R, GuestError> {
        match self.with_maps(|m| (!m.mut_overlaps(r)).then(f)) {
            Some(Some(done)) => Ok(done),
            Some(None) => Err(GuestError::PtrBorrowed(r)),
            None => Err(GuestError::WrongThread),
        }
    }

    /// Runs `f` while no borrow at all overlaps `r` and none can be taken, as
    /// [`with_read_access`](Self::with_read_access) does for reads.
    ///
    /// # Errors
    ///
    /// [`GuestError::PtrBorrowed`] if any borrow overlaps `r`;
    /// [`GuestError::WrongThread`]; `f` is not run then.
    #[inline]
    pub(crate) fn with_write_access<R>(
        &self,
        r: Region,
        f: impl FnOnce() -> R,
    ) -> Result<R, GuestError> {
        match self.with_maps(|m| (!m.mut_overlaps(r) && !m.shared_overlaps(r)).then(f)) {
            Some(Some(done)) => Ok(done),
            Some(None) => Err(GuestError::PtrBorrowed(r)),
            None => Err(GuestError::WrongThread),
        }
    }

    /// One outstanding borrow's region, if any, seen through `&mut self`.
    pub(crate) fn any_borrowed(&mut self) -> Option<Region> {
        self.maps.get_mut().any()
    }

    fn handle(&self, r: Region, kind: u64) -> BorrowHandle {
        self.handle_with(self.handle_id.get(), r, kind)
    }

    /// [`handle`](Self::handle) given this tracker's identity `id`, as
    /// [`LazyId::get`] or a nonzero [`LazyId::if_assigned`] returns it.
    #[inline(always)]
    fn handle_with(&self, id: u64, r: Region, kind: u64) -> BorrowHandle {
        // SAFETY: this tracker just recorded a borrow of `r` of this kind, and
        // `id` is its identity. The raw value names this tracker and the
        // kind; `check_handle` accepts a handle only with both matching, and
        // the maps release exactly the borrow of `r` (a mut borrow of `r` is
        // unique; shared borrows of the same region are interchangeable).
        // Handles are neither `Clone` nor constructible in safe code, so each
        // is released at most once.
        unsafe { BorrowHandle::new(id | kind, r) }
    }

    fn check_handle(&self, h: &BorrowHandle, kind: u64) -> Region {
        // Assigns an identity if there is none yet: then no handle was
        // issued here, and the fresh identity matches none.
        let id = self.handle_id.get();
        let want = id | kind;
        if h.raw() != want {
            let what = if h.raw() >> 1 != id >> 1 {
                "issued by another tracker"
            } else if kind == MUT_BIT {
                "a shared borrow's handle given to mut_unborrow"
            } else {
                "a mut borrow's handle given to shared_unborrow"
            };
            panic!("BorrowTracker: handle for {} was {what}", h.region());
        }
        h.region()
    }
}

impl Default for BorrowTracker {
    fn default() -> Self {
        Self::new()
    }
}

impl core::fmt::Debug for BorrowTracker {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Counted under the lock, formatted after it: the formatter's writer
        // is the caller's code, and may use this very memory.
        let counts = self.with_maps(|m| (m.mut_count(), m.shared_segment_count()));
        let mut d = f.debug_struct("BorrowTracker");
        match counts {
            Some((mut_borrows, shared_segments)) => d
                .field("mut_borrows", &mut_borrows)
                .field("shared_segments", &shared_segments),
            None => d.field("bound_to_another_thread", &true),
        }
        .finish()
    }
}

/// [`BorrowTracker::free`]: a bound tracker's owner while it records no
/// borrow. Relaxed atomics: on a bound tracker only the owner stores, and
/// it reads its own stores; another thread may read any value, none of
/// which is its identity. (On a tracker for any thread every value is
/// [`ANY_THREAD`], whoever stores it.)
#[cfg(feature = "std")]
struct FreeOwner {
    now: AtomicU64,
    /// What [`restore`](Self::restore) sets: the owner, or [`ANY_THREAD`]
    /// on a tracker without the quick answer.
    quick: u64,
}

#[cfg(feature = "std")]
impl FreeOwner {
    #[inline(always)]
    const fn new(quick: u64) -> Self {
        FreeOwner {
            now: AtomicU64::new(quick),
            quick,
        }
    }

    /// Whether it is `thread`: then `thread` owns the tracker and nothing
    /// is borrowed.
    #[inline(always)]
    fn is(&self, thread: u64) -> bool {
        self.now.load(Ordering::Relaxed) == thread
    }

    /// Before a borrow is recorded.
    #[inline(always)]
    fn clear(&self) {
        self.now.store(ANY_THREAD, Ordering::Relaxed);
    }

    /// By the owner, having seen the records empty.
    #[inline(always)]
    fn restore(&self) {
        self.now.store(self.quick, Ordering::Relaxed);
    }
}

/// Without `std` no tracker is bound to a thread: never anyone's.
#[cfg(not(feature = "std"))]
struct FreeOwner;

#[cfg(not(feature = "std"))]
impl FreeOwner {
    #[inline(always)]
    const fn new(_: u64) -> Self {
        FreeOwner
    }
    #[inline(always)]
    fn is(&self, _: u64) -> bool {
        false
    }
    #[inline(always)]
    fn clear(&self) {}
    #[inline(always)]
    fn restore(&self) {}
}
