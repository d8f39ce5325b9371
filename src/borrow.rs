//! [`BorrowTracker`]: the run-time record of which guest regions are lent out.
//!
//! Two ordered maps, both keyed by a region's start and both holding disjoint
//! intervals, so that "does anything here overlap `[s, e)`?" is one
//! predecessor lookup:
//!
//! - `exclusive`: every outstanding mut borrow, `start -> end`. Mut borrows
//!   overlap nothing, so they are disjoint by construction.
//! - `shared`: the union of all outstanding shared borrows, cut into disjoint
//!   segments each carrying how many shared borrows cover it. Touching
//!   segments always have different counts (they are merged otherwise), so
//!   the segments are a function of the live borrows alone and number at most
//!   twice the live shared borrows.
//!
//! While only one region is borrowed it lives in a `single` slot instead, so
//! the common "one view at a time" pattern never touches (or allocates) a
//! tree node.
//!
//! A handle carries its region and the issuing tracker's identity, so
//! releasing needs no slab, handles never run out, and a handle given to the
//! wrong tracker is caught instead of releasing somebody else's borrow.

use maps::Maps;

use crate::lock::Lock;
use crate::{BorrowHandle, GuestError, Region};

/// Low bit of a handle's `raw` value: set for mut borrows.
const MUT_BIT: u64 = 1;

#[cfg(feature = "std")]
use ids::{fresh_id, this_thread, this_thread_if_known};
#[cfg(not(feature = "std"))]
use no_std_ids::{fresh_id, this_thread_if_known};

/// Tracker and thread identities with `std`: per-thread blocks of tracker
/// identities, and per-thread identities for trackers bound to a thread.
#[cfg(feature = "std")]
mod ids {
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
    pub(super) fn fresh_id() -> u64 {
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
    pub(super) fn this_thread_if_known() -> u64 {
        THREAD_ID.with(core::cell::Cell::get)
    }

    /// The identity of the calling thread, unique among all threads the
    /// process ever runs (so, unlike an address, never reused).
    #[inline]
    pub(super) fn this_thread() -> u64 {
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
mod no_std_ids {
    use crate::lock::Lock;

    /// The next tracker identity. 2^63 trackers would be needed to reuse
    /// one.
    static NEXT_ID: Lock<u64> = Lock::new(1);

    /// A tracker identity no other tracker has had.
    #[inline]
    pub(super) fn fresh_id() -> u64 {
        let mut next = NEXT_ID.lock();
        let id = *next;
        *next += 1;
        id
    }

    /// No thread has an identity without `std`.
    #[inline(always)]
    pub(super) fn this_thread_if_known() -> u64 {
        0
    }
}

/// `owner` of a tracker any thread may use: no thread's identity (those
/// count up from 1, and an unknown thread's is 0), so comparing `owner` with
/// the calling thread's identity alone says whether the tracker is bound to
/// this thread.
const ANY_THREAD: u64 = u64::MAX;

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
///   ([`SliceMemory::new`](crate::SliceMemory::new) makes one).
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
    /// shared borrows' handles (a mut borrow's adds [`MUT_BIT`]).
    handle_id: u64,
    /// [`ANY_THREAD`], or the identity of the one thread that may reach
    /// `maps`. Fixed at construction.
    owner: u64,
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
            handle_id: fresh_id() << 1,
            owner: ANY_THREAD,
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
        BorrowTracker {
            handle_id: fresh_id() << 1,
            owner: this_thread(),
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
    fn with_maps<R>(&self, f: impl FnOnce(&mut Maps) -> R) -> Option<R> {
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
        if self.with_maps_here(|m| m.try_add_alone(r, 0)) == Some(true) {
            return Ok(self.handle(r, MUT_BIT));
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
        if self.with_maps_here(|m| m.try_add_alone(r, 1)) == Some(true) {
            return Ok(self.handle(r, 0));
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
        if h.raw() == self.handle_id | MUT_BIT
            && self.with_maps_here(|m| m.try_remove_alone(h.region(), 0)) == Some(true)
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
        self.with_maps(|m| m.remove_mut(r));
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
        if h.raw() == self.handle_id
            && self.with_maps_here(|m| m.try_remove_alone(h.region(), 1)) == Some(true)
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
        self.with_maps(|m| m.remove_shared(r));
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
        // SAFETY: this tracker just recorded a borrow of `r` of this kind. The
        // raw value names this tracker and the kind; `check_handle` accepts a
        // handle only with both matching, and the maps release exactly the
        // borrow of `r` (a mut borrow of `r` is unique; shared borrows of the
        // same region are interchangeable). Handles are neither `Clone` nor
        // constructible in safe code, so each is released at most once.
        unsafe { BorrowHandle::new(self.handle_id | kind, r) }
    }

    fn check_handle(&self, h: &BorrowHandle, kind: u64) -> Region {
        let want = self.handle_id | kind;
        if h.raw() != want {
            let what = if h.raw() >> 1 != self.handle_id >> 1 {
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

/// The borrow records themselves, without locking. Every method is
/// `O(log n)` plus the shared segments walked.
mod maps {
    use alloc::boxed::Box;
    use alloc::collections::BTreeMap;
    use alloc::vec::Vec;

    use crate::Region;

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    struct Segment {
        end: u64,
        count: u64,
    }

    /// The one borrowed region, while there is only one: a mut borrow, or
    /// `shared` shared borrows of exactly this region. Kept out of the trees
    /// because one view at a time is the common case, and a tree that goes
    /// from empty to one entry and back allocates and frees a node each time.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    struct Single {
        start: u64,
        end: u64,
        /// 0 for a mut borrow, else the number of shared borrows.
        shared: u64,
    }

    impl Single {
        #[inline(always)]
        fn of(r: Region, shared: u64) -> Self {
            Single {
                start: u64::from(r.start),
                end: r.end(),
                shared,
            }
        }

        #[inline]
        fn overlaps(&self, r: Region) -> bool {
            self.start < r.end() && u64::from(r.start) < self.end
        }

        #[inline]
        fn is(&self, r: Region) -> bool {
            self.start == u64::from(r.start) && self.end == r.end()
        }

        fn is_span(&self, other: &Single) -> bool {
            self.start == other.start && self.end == other.end
        }
    }

    /// The single slot, packed into two words: a borrow fills them and a
    /// release compares them with its handle's own bits, where an
    /// `Option<Single>` would take four stores and a rebuilt end.
    #[derive(Clone, Copy, Default, PartialEq, Eq)]
    struct Slot {
        /// The region as a handle packs it: `start | len << 32`.
        region: u64,
        /// 0 while the slot is empty, else one more than [`Single::shared`]:
        /// 1 for a mut borrow, `n + 1` for `n` shared borrows of exactly
        /// `region`. (Shared borrows of one region never number `u64::MAX`:
        /// each has a live handle.)
        count: u64,
    }

    impl Slot {
        /// A slot holding a borrow of `r`: mut if `shared` is 0, else
        /// `shared` shared borrows.
        #[inline(always)]
        fn of(r: Region, shared: u64) -> Self {
            Slot {
                region: u64::from(r.start) | u64::from(r.len) << 32,
                count: shared + 1,
            }
        }

        /// What the slot holds, unpacked.
        #[inline(always)]
        fn get(self) -> Option<Single> {
            if self.count == 0 {
                return None;
            }
            let start = self.region & u64::from(u32::MAX);
            Some(Single {
                start,
                end: start + (self.region >> 32),
                shared: self.count - 1,
            })
        }
    }

    /// Where the borrows are: the single slot holds the newest borrowed
    /// region; the others are in [`More`] (allocated the first time a second
    /// borrow arrives, and kept): a small list while up to [`FEW`] are
    /// there, the trees beyond. The slot keeps the tracker small — a memory
    /// made per host call moves and drops a few words, never two trees — and
    /// makes the usual pattern cheap however much else is held: a view taken
    /// and dropped goes into the free slot and out of it again, and the
    /// borrows held meanwhile stay where they are.
    ///
    /// Invariant: the list and the trees never both hold anything (outside a
    /// panic part-way through an update). The slot may be empty while `More`
    /// is not, and may hold the same shared region as an entry of `More`;
    /// each records its own borrows.
    #[derive(Default)]
    pub(super) struct Maps {
        single: Slot,
        more: Option<Box<More>>,
    }

    /// Bounds covering every borrow of one kind recorded in [`More`]: a
    /// region outside them overlaps none of those borrows, whatever their
    /// number, so the list and tree searches are skipped. Borrows clustered
    /// in one part of memory (a host call's buffers) leave every access
    /// elsewhere at the cost of no borrows at all.
    ///
    /// Conservative: it grows as borrows are added and shrinks back to empty
    /// only when [`More`] holds no borrow of its kind, so after releases it
    /// may cover more than the borrows left, which only costs a search.
    #[derive(Clone, Copy, Debug)]
    struct Span {
        start: u64,
        end: u64,
    }

    impl Default for Span {
        /// Covers nothing.
        fn default() -> Self {
            Span {
                start: u64::MAX,
                end: 0,
            }
        }
    }

    impl Span {
        #[inline(always)]
        fn cover(&mut self, s: &Single) {
            self.start = self.start.min(s.start);
            self.end = self.end.max(s.end);
        }

        #[inline(always)]
        fn overlaps(&self, start: u64, end: u64) -> bool {
            self.start < end && start < self.end
        }
    }

    /// The records beyond the single slot.
    #[derive(Default)]
    struct More {
        /// 2 to [`FEW`] borrowed regions, unsorted: each entry is a region
        /// with its kind and, for shared borrows, how many borrows of exactly
        /// that region there are. Searched from end to end, which at this
        /// size beats a tree lookup.
        few: Vec<Single>,
        /// Every outstanding mut borrow, `start -> end`; disjoint.
        exclusive: BTreeMap<u64, u64>,
        /// The union of the shared borrows as disjoint segments with cover
        /// counts; touching segments have different counts.
        shared: BTreeMap<u64, Segment>,
        /// How many entries of `few` are mut borrows; never less than that
        /// (the spans rely on it), so it is raised before a push.
        few_mut: usize,
        /// Covers every mut borrow in `few` and `exclusive`.
        mut_span: Span,
        /// Covers every shared borrow in `few` and `shared`.
        shared_span: Span,
    }

    /// How many borrowed regions the small list holds before they move to
    /// the trees: room for 16 held elsewhere plus a few views of one's own.
    const FEW: usize = 24;

    impl Maps {
        #[inline]
        pub(super) fn is_empty(&self) -> bool {
            self.single.count == 0 && self.more.as_ref().is_none_or(|m| m.is_empty())
        }

        /// `Some(yes())` if an access of `r` (a write if `write`) conflicts
        /// with no borrow; `None` if it does.
        ///
        /// The slot and the spans are checked inline; only a region that
        /// meets the slot's borrow or a span goes on to a search, out of line
        /// and as the last call, so that the usual answer saves no
        /// registers.
        #[inline(always)]
        pub(super) fn allows<T>(
            &self,
            r: Region,
            write: bool,
            yes: impl FnOnce() -> T,
        ) -> Option<T> {
            // Inline, only "taken, and overlapping?" is asked of the slot
            // (two instructions on the usual answer); whether the overlap
            // conflicts — a write, or a mut borrow — is settled out of line.
            let (start, end) = (u64::from(r.start), r.end());
            let meets_slot = self.single.get().is_some_and(|s| s.overlaps(r));
            if !meets_slot {
                let Some(m) = &self.more else {
                    return Some(yes());
                };
                if !(m.mut_span.overlaps(start, end) || write && m.shared_span.overlaps(start, end))
                {
                    return Some(yes());
                }
            }
            self.allows_searching(r, write, yes)
        }

        /// [`allows`](Self::allows) once the inline checks could not answer,
        /// answered as the queries answer: a read under shared borrows only,
        /// or an empty region, is allowed.
        #[cold]
        #[inline(never)]
        fn allows_searching<T>(
            &self,
            r: Region,
            write: bool,
            yes: impl FnOnce() -> T,
        ) -> Option<T> {
            if r.is_empty() {
                return Some(yes());
            }
            if let Some(s) = self.single.get()
                && s.overlaps(r)
                && (write || s.shared == 0)
            {
                return None;
            }
            match &self.more {
                None => Some(yes()),
                Some(m) => m.allows(r, write, yes),
            }
        }

        /// The single slot and the small list, as one list.
        fn listed(&self) -> impl Iterator<Item = Single> {
            let few = self.more.as_ref().map_or(&[][..], |m| &m.few[..]);
            self.single.get().into_iter().chain(few.iter().copied())
        }

        pub(super) fn mut_count(&self) -> usize {
            let trees = self.more.as_ref().map_or(0, |m| m.exclusive.len());
            trees + self.listed().filter(|s| s.shared == 0).count()
        }

        pub(super) fn shared_segment_count(&self) -> usize {
            let trees = self.more.as_ref().map_or(0, |m| m.shared.len());
            trees + self.listed().filter(|s| s.shared > 0).count()
        }

        pub(super) fn any(&self) -> Option<Region> {
            if let Some(s) = self.listed().next() {
                return Some(region(s.start, s.end));
            }
            let m = self.more.as_ref()?;
            let (&s, &e) = m
                .exclusive
                .first_key_value()
                .or_else(|| m.shared.first_key_value().map(|(s, seg)| (s, &seg.end)))?;
            Some(region(s, e))
        }

        // The queries look everywhere: the slot, then `More`, whose spans
        // answer for the list and the trees at once when `r` lies outside
        // every borrow recorded there.

        #[inline]
        pub(super) fn mut_overlaps(&self, r: Region) -> bool {
            if r.is_empty() {
                return false;
            }
            if let Some(s) = self.single.get()
                && s.shared == 0
                && s.overlaps(r)
            {
                return true;
            }
            self.more.as_ref().is_some_and(|m| m.mut_overlaps(r))
        }

        #[inline]
        pub(super) fn shared_overlaps(&self, r: Region) -> bool {
            if r.is_empty() {
                return false;
            }
            if let Some(s) = self.single.get()
                && s.shared > 0
                && s.overlaps(r)
            {
                return true;
            }
            self.more.as_ref().is_some_and(|m| m.shared_overlaps(r))
        }

        /// Records a borrow of `r` the caller has checked: mut if `shared`
        /// is 0, else `shared` shared borrows.
        #[inline]
        fn add(&mut self, r: Region, shared: u64) {
            if self.single.count == 0 {
                self.single = Slot::of(r, shared);
                return;
            }
            // The region travels as a `Region` (one register), not as a
            // `Single` built here: that would go through the stack.
            self.add_to_more(r, shared);
        }

        /// [`add`](Self::add) when the slot is taken: the new borrow takes
        /// the slot, and what held it moves to `More`, copied before the slot
        /// is overwritten, so a panicking allocation leaves every granted
        /// borrow recorded (the new one is not granted then).
        #[inline(never)]
        fn add_to_more(&mut self, r: Region, shared: u64) {
            let entry = Single::of(r, shared);
            match self.single.get() {
                Some(s) if s.shared > 0 && shared > 0 && s.is_span(&entry) => {
                    self.single.count += shared;
                }
                Some(moved) => {
                    more_of(&mut self.more).add(moved);
                    self.single = Slot::of(r, shared);
                }
                None => self.single = Slot::of(r, shared),
            }
        }

        /// Records a mut borrow; the caller has checked it overlaps nothing.
        #[inline]
        pub(super) fn add_mut(&mut self, r: Region) {
            if !r.is_empty() {
                self.add(r, 0);
            }
        }

        /// Adds one to the cover count over `r`; the caller has checked that
        /// no mut borrow overlaps it.
        #[inline]
        pub(super) fn add_shared(&mut self, r: Region) {
            if !r.is_empty() {
                self.add(r, 1);
            }
        }

        /// Records a borrow of `r` (mut if `shared` is 0, else `shared`
        /// shared borrows) in the empty slot when no search is needed to
        /// grant it: `r` is not empty and lies outside the spans of the
        /// borrows beyond the slot that it could conflict with. Whether it
        /// did; if not, nothing changed.
        #[inline(always)]
        pub(super) fn try_add_alone(&mut self, r: Region, shared: u64) -> bool {
            if self.single.count != 0 || r.is_empty() {
                return false;
            }
            if let Some(m) = &self.more {
                let (s, e) = (u64::from(r.start), r.end());
                if m.mut_span.overlaps(s, e) || shared == 0 && m.shared_span.overlaps(s, e) {
                    return false;
                }
            }
            self.single = Slot::of(r, shared);
            true
        }

        /// Empties the slot if it holds exactly one borrow of `r` of this
        /// kind (`shared` as for [`try_add_alone`](Self::try_add_alone), 1 for
        /// a shared borrow); whether it did.
        #[inline(always)]
        pub(super) fn try_remove_alone(&mut self, r: Region, shared: u64) -> bool {
            if self.single == Slot::of(r, shared) {
                self.single.count = 0;
                return true;
            }
            false
        }

        /// Takes one borrow of exactly `r` off the single slot; whether it
        /// was there. An emptied slot stays empty until the next borrow
        /// (nothing moves back from `More`).
        #[inline]
        fn remove_single(&mut self, r: Region, shared: bool) -> bool {
            match self.single.get() {
                Some(s) if s.is(r) && (s.shared > 0) == shared => {
                    if shared && s.shared > 1 {
                        self.single.count -= 1;
                    } else {
                        self.single.count = 0;
                    }
                    true
                }
                _ => false,
            }
        }

        #[inline]
        pub(super) fn remove_mut(&mut self, r: Region) {
            if r.is_empty() || self.remove_single(r, false) {
                return;
            }
            match &mut self.more {
                Some(m) => m.remove_mut(r),
                None => debug_assert!(false, "released a mut borrow never recorded"),
            }
        }

        /// Takes one from the cover count over `r`.
        #[inline]
        pub(super) fn remove_shared(&mut self, r: Region) {
            if r.is_empty() || self.remove_single(r, true) {
                return;
            }
            match &mut self.more {
                Some(m) => m.remove_shared(r),
                None => debug_assert!(false, "released a shared borrow never recorded"),
            }
        }

        /// The shared borrows as `(start, end, count)` segments.
        #[cfg(test)]
        pub(super) fn segments(&self) -> Vec<(u64, u64, u64)> {
            // The coverage counts, whichever structure holds them, as
            // canonical segments: exact over the listed borrows and the tree
            // segments, merged where touching counts agree.
            let listed: Vec<Single> = self.listed().filter(|s| s.shared > 0).collect();
            let tree = self.tree_segments();
            let mut points: Vec<u64> = Vec::new();
            for s in &listed {
                points.extend([s.start, s.end]);
            }
            for &(s, e, _) in &tree {
                points.extend([s, e]);
            }
            points.sort_unstable();
            points.dedup();
            let mut out: Vec<(u64, u64, u64)> = Vec::new();
            for w in points.windows(2) {
                let (a, b) = (w[0], w[1]);
                let c: u64 = listed
                    .iter()
                    .filter(|s| s.start <= a && b <= s.end)
                    .map(|s| s.shared)
                    .chain(tree.iter().filter(|t| t.0 <= a && b <= t.1).map(|t| t.2))
                    .sum();
                if c == 0 {
                    continue;
                }
                match out.last_mut() {
                    Some(last) if last.1 == a && last.2 == c => last.1 = b,
                    _ => out.push((a, b, c)),
                }
            }
            out
        }

        /// The tree's own segments, exactly as stored.
        #[cfg(test)]
        pub(super) fn tree_segments(&self) -> Vec<(u64, u64, u64)> {
            self.more.as_ref().map_or_else(Vec::new, |m| {
                m.shared
                    .iter()
                    .map(|(&s, seg)| (s, seg.end, seg.count))
                    .collect()
            })
        }
    }

    /// The records beyond the slot, allocated on first need (which, like an
    /// insert, may panic: nothing has changed then).
    fn more_of(more: &mut Option<Box<More>>) -> &mut More {
        more.get_or_insert_with(|| {
            #[cfg(test)]
            fail_point::hit();
            Box::default()
        })
    }

    impl More {
        /// [`Maps::allows`] over these records alone, for a region that is
        /// not empty; the tree searches, out of line.
        #[inline(never)]
        fn allows<T>(&self, r: Region, write: bool, yes: impl FnOnce() -> T) -> Option<T> {
            (!(self.mut_overlaps(r) || write && self.shared_overlaps(r))).then(yes)
        }

        fn is_empty(&self) -> bool {
            self.few.is_empty() && self.exclusive.is_empty() && self.shared.is_empty()
        }

        #[inline]
        fn mut_overlaps(&self, r: Region) -> bool {
            if !self.mut_span.overlaps(u64::from(r.start), r.end()) {
                return false;
            }
            if self.few.iter().any(|s| s.shared == 0 && s.overlaps(r)) {
                return true;
            }
            if self.exclusive.is_empty() {
                return false;
            }
            match self.exclusive.range(..r.end()).next_back() {
                Some((_, &end)) => end > u64::from(r.start),
                None => false,
            }
        }

        #[inline]
        fn shared_overlaps(&self, r: Region) -> bool {
            if !self.shared_span.overlaps(u64::from(r.start), r.end()) {
                return false;
            }
            if self.few.iter().any(|s| s.shared > 0 && s.overlaps(r)) {
                return true;
            }
            self.shared_overlaps_in_tree(r)
        }

        fn shared_overlaps_in_tree(&self, r: Region) -> bool {
            if self.shared.is_empty() {
                return false;
            }
            match self.shared.range(..r.end()).next_back() {
                Some((_, seg)) => seg.end > u64::from(r.start),
                None => false,
            }
        }

        /// Records `entry` in the list or the trees, wherever the records
        /// are now; a full list moves to the trees first.
        fn add(&mut self, entry: Single) {
            // A shared borrow of exactly this region can be listed only if
            // the region overlaps the shared span as it is before `entry`.
            let may_repeat = entry.shared > 0 && self.shared_span.overlaps(entry.start, entry.end);
            // Covered first: wherever the entry ends up, and even if that
            // panics part-way, the span covers it.
            if entry.shared == 0 {
                self.mut_span.cover(&entry);
            } else {
                self.shared_span.cover(&entry);
            }
            if !self.exclusive.is_empty() || !self.shared.is_empty() {
                self.add_to_trees(entry);
                return;
            }
            if may_repeat
                && let Some(s) = self
                    .few
                    .iter_mut()
                    .find(|s| s.shared > 0 && s.is_span(&entry))
            {
                s.shared += entry.shared;
                return;
            }
            if self.few.len() < FEW {
                self.few_mut += usize::from(entry.shared == 0);
                push(&mut self.few, entry);
                return;
            }
            // The list is full: everything moves to the trees, copied before
            // the list is cleared.
            for i in 0..self.few.len() {
                let listed = self.few[i];
                self.add_to_trees(listed);
            }
            self.few.clear();
            self.few_mut = 0;
            self.add_to_trees(entry);
        }

        fn add_to_trees(&mut self, entry: Single) {
            if entry.shared == 0 {
                insert(&mut self.exclusive, entry.start, entry.end);
            } else {
                self.add_shared_to_tree(entry.start, entry.end, entry.shared);
            }
        }

        /// Takes one borrow of exactly `r` off the list; whether it was
        /// there.
        fn remove_listed(&mut self, r: Region, shared: bool) -> bool {
            // From the end: views are usually released newest first.
            let Some(i) = self
                .few
                .iter()
                .rposition(|s| s.is(r) && (s.shared > 0) == shared)
            else {
                return false;
            };
            if shared && self.few[i].shared > 1 {
                self.few[i].shared -= 1;
            } else {
                let gone = self.few.swap_remove(i);
                self.few_mut -= usize::from(gone.shared == 0);
            }
            true
        }

        fn remove_mut(&mut self, r: Region) {
            if !self.remove_listed(r, false) {
                let end = self.exclusive.remove(&u64::from(r.start));
                debug_assert_eq!(end, Some(r.end()), "released a mut borrow never recorded");
            }
            self.shrink_spans();
        }

        /// Empties the span of each kind of which nothing is recorded here
        /// any more.
        #[inline]
        fn shrink_spans(&mut self) {
            if self.few_mut == 0 && self.exclusive.is_empty() {
                self.mut_span = Span::default();
            }
            if self.few.len() == self.few_mut && self.shared.is_empty() {
                self.shared_span = Span::default();
            }
        }

        /// Takes one from the cover count over `r`, dropping segments at zero.
        fn remove_shared(&mut self, r: Region) {
            if self.remove_listed(r, true) {
                self.shrink_spans();
                return;
            }
            let (s, e) = (u64::from(r.start), r.end());
            if self.shared.get(&s) == Some(&Segment { end: e, count: 1 }) {
                // The common case: the borrow's own segment. Its touching
                // neighbours have other counts, so nothing needs merging.
                self.shared.remove(&s);
                self.shrink_spans();
                return;
            }
            self.split_at(s);
            self.split_at(e);
            let mut cursor = s;
            while cursor < e {
                let Some((&start, seg)) = self.shared.range_mut(cursor..e).next() else {
                    debug_assert!(false, "released a shared borrow never recorded");
                    break;
                };
                debug_assert_eq!(start, cursor, "released a shared borrow never recorded");
                cursor = seg.end;
                seg.count -= 1;
                if seg.count == 0 {
                    self.shared.remove(&start);
                }
            }
            self.merge_at(s);
            self.merge_at(e);
            self.shrink_spans();
        }

        /// Adds `count` to the cover count over `[s, e)` in the tree.
        fn add_shared_to_tree(&mut self, s: u64, e: u64, count: u64) {
            if !self.shared_overlaps_in_tree(region(s, e)) && !self.touches_count(s, e, count) {
                // The common case: a new segment of its own, nothing to
                // split, nothing to merge.
                insert(&mut self.shared, s, Segment { end: e, count });
                return;
            }
            self.split_at(s);
            self.split_at(e);
            let mut cursor = s;
            while cursor < e {
                let next = self.shared.range_mut(cursor..e).next();
                match next {
                    Some((&start, seg)) if start == cursor => {
                        seg.count += count;
                        cursor = seg.end;
                    }
                    Some((&start, _)) => {
                        let seg = Segment { end: start, count };
                        insert(&mut self.shared, cursor, seg);
                        cursor = start;
                    }
                    None => {
                        insert(&mut self.shared, cursor, Segment { end: e, count });
                        cursor = e;
                    }
                }
            }
            self.merge_at(s);
            self.merge_at(e);
        }

        /// Whether a segment with count `count` ends at `s` or starts at `e`:
        /// a new segment `[s, e)` of that count would have to merge with it.
        fn touches_count(&self, s: u64, e: u64, count: u64) -> bool {
            let left = self
                .shared
                .range(..s)
                .next_back()
                .is_some_and(|(_, seg)| seg.end == s && seg.count == count);
            left || self.shared.get(&e).is_some_and(|seg| seg.count == count)
        }

        /// Makes `p` a segment boundary if it falls strictly inside one.
        ///
        /// The tail is inserted before the head is cut short, so a panicking
        /// insert leaves the coverage as it was.
        fn split_at(&mut self, p: u64) {
            let Some((_, &seg)) = self.shared.range(..p).next_back() else {
                return;
            };
            if seg.end > p {
                insert(&mut self.shared, p, seg);
                if let Some((_, head)) = self.shared.range_mut(..p).next_back() {
                    head.end = p;
                }
            }
        }

        /// Joins the segments ending and starting at `p` if their counts match.
        fn merge_at(&mut self, p: u64) {
            let Some(right) = self.shared.get(&p).copied() else {
                return;
            };
            if let Some((_, left)) = self.shared.range_mut(..p).next_back()
                && left.end == p
                && left.count == right.count
            {
                left.end = right.end;
                self.shared.remove(&p);
            }
        }
    }

    /// Every insert into the trees goes through here. An insert allocates,
    /// and may panic on allocation failure (`-Zoom=panic`); the callers
    /// order their updates so that a panic here only ever over-counts, never
    /// forgets a borrow. Tests inject such panics.
    #[inline]
    fn insert<V>(map: &mut BTreeMap<u64, V>, key: u64, value: V) {
        #[cfg(test)]
        fail_point::hit();
        map.insert(key, value);
    }

    /// Every push onto the small list goes through here, like [`insert`]:
    /// the first may allocate.
    #[inline]
    fn push(list: &mut Vec<Single>, entry: Single) {
        #[cfg(test)]
        fail_point::hit();
        if list.capacity() == 0 {
            list.reserve_exact(FEW);
        }
        list.push(entry);
    }

    /// A region from map bounds, which always came from a `Region`.
    fn region(start: u64, end: u64) -> Region {
        let start32 = u32::try_from(start).unwrap_or(u32::MAX);
        let len = u32::try_from(end - start).unwrap_or(u32::MAX);
        Region::new(start32, len)
    }

    /// Fault injection for the tests: make the `n`-th next insert panic.
    #[cfg(test)]
    pub(super) mod fail_point {
        use core::cell::Cell;

        std::thread_local! {
            static COUNTDOWN: Cell<Option<u32>> = const { Cell::new(None) };
        }

        /// The `n`-th insert from now (0: the next one) panics; `None`
        /// disarms.
        pub(crate) fn arm(n: Option<u32>) {
            COUNTDOWN.with(|c| c.set(n));
        }

        pub(super) fn hit() {
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
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A repeatable pseudo-random source: each call gives a number below
    /// its argument.
    fn xorshift(mut x: u64) -> impl FnMut(u64) -> u64 {
        move |n| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        }
    }

    fn segments(t: &BorrowTracker) -> Vec<(u64, u64, u64)> {
        t.with_maps(|m| m.segments()).unwrap()
    }

    #[test]
    fn shared_segments_stay_canonical() {
        let t = BorrowTracker::new();
        let a = t.shared_borrow(Region::new(0, 10)).unwrap();
        let b = t.shared_borrow(Region::new(5, 10)).unwrap();
        assert_eq!(segments(&t), [(0, 5, 1), (5, 10, 2), (10, 15, 1)]);
        let c = t.shared_borrow(Region::new(0, 5)).unwrap();
        assert_eq!(segments(&t), [(0, 10, 2), (10, 15, 1)]);
        t.shared_unborrow(a);
        assert_eq!(segments(&t), [(0, 15, 1)]);
        t.shared_unborrow(c);
        t.shared_unborrow(b);
        assert!(segments(&t).is_empty());
        assert!(!t.has_outstanding_borrows());
    }

    #[test]
    fn shared_segments_are_exactly_the_coverage_counts() {
        // Byte-by-byte coverage counts over a small space, against the
        // segments, after every operation: counts agree and touching
        // segments never have equal counts.
        let t = BorrowTracker::new();
        let mut live: Vec<(Region, BorrowHandle)> = Vec::new();
        let mut next = xorshift(0x2545_f491_4f6c_dd1du64);
        let steps = if cfg!(miri) { 300 } else { 20_000 };
        let mut trees_seen = false;
        for step in 0..steps {
            // Up to 40 borrows live at once over 64 bytes: regions often touch
            // without overlapping, which is where merging matters, and the
            // records move between the slot, the list and the trees.
            // Phases of mostly taking and mostly releasing, so even Miri's
            // short run reaches the trees and comes back.
            let taking = step % 200 < 100;
            if live.is_empty() || (live.len() < 40 && (next(4) == 0) != taking) {
                let r = Region::new(next(52) as u32, next(12) as u32);
                live.push((r, t.shared_borrow(r).unwrap()));
            } else {
                let i = next(live.len() as u64) as usize;
                t.shared_unborrow(live.swap_remove(i).1);
            }
            let tree = t.with_maps(|m| m.tree_segments()).unwrap();
            trees_seen |= !tree.is_empty();
            for w in tree.windows(2) {
                let ((_, pe, pc), (s, _, c)) = (w[0], w[1]);
                assert!(
                    pe <= s && !(pe == s && pc == c),
                    "tree not canonical: {tree:?}"
                );
            }
            let mut want = [0u64; 64];
            for (r, _) in &live {
                for b in r.start..r.start + r.len {
                    want[b as usize] += 1;
                }
            }
            let mut got = [0u64; 64];
            let segs = segments(&t);
            for (i, &(s, e, c)) in segs.iter().enumerate() {
                assert!(c > 0 && s < e);
                if i > 0 {
                    let (_, pe, pc) = segs[i - 1];
                    assert!(pe <= s && !(pe == s && pc == c), "not canonical: {segs:?}");
                }
                for b in s..e {
                    got[b as usize] = c;
                }
            }
            assert_eq!(got, want, "{segs:?}");
        }
        for (_, h) in live {
            t.shared_unborrow(h);
        }
        assert!(!t.has_outstanding_borrows());
        assert!(trees_seen, "never reached the trees");
    }

    #[cfg(feature = "std")]
    #[test]
    fn direct_answers_are_exactly_the_queries() {
        // On the owner thread `allows_here` grants exactly the accesses the
        // queries find no conflict for — a read under shared borrows
        // included, in the slot or beyond it — and never refuses one it
        // could grant.
        let t = BorrowTracker::new_thread_bound();
        let mut live: Vec<(Region, bool, BorrowHandle)> = Vec::new();
        let mut next = xorshift(0x7b1d_3a5c_9e0f_2468u64);
        let steps = if cfg!(miri) { 120 } else { 3_000 };
        let (mut granted_under_shared, mut refused) = (false, false);
        for step in 0..steps {
            let taking = step % 120 < 60;
            if live.is_empty() || (live.len() < 30 && (next(4) == 0) != taking) {
                let r = Region::new(next(52) as u32, next(12) as u32);
                let mutable = next(3) == 0;
                let h = if mutable {
                    t.mut_borrow(r)
                } else {
                    t.shared_borrow(r)
                };
                if let Ok(h) = h {
                    live.push((r, mutable, h));
                }
            } else {
                let (_, mutable, h) = live.swap_remove(next(live.len() as u64) as usize);
                if mutable {
                    t.mut_unborrow(h)
                } else {
                    t.shared_unborrow(h)
                }
            }
            let r = Region::new(next(60) as u32, next(6) as u32);
            for write in [false, true] {
                let want = !(t.is_mut_borrowed(r) || write && t.is_shared_borrowed(r));
                assert_eq!(
                    t.allows_here(r, write, || ()).is_some(),
                    want,
                    "{r:?} write {write}"
                );
                granted_under_shared |= want && !write && t.is_shared_borrowed(r);
                refused |= !want;
            }
        }
        assert!(
            granted_under_shared && refused,
            "the cases of interest never arose"
        );
        for (_, mutable, h) in live {
            if mutable {
                t.mut_unborrow(h)
            } else {
                t.shared_unborrow(h)
            }
        }
    }

    #[test]
    fn a_panicking_insert_never_forgets_a_borrow() {
        // Random borrows over a small space, each operation with a chance
        // that one of its tree inserts panics (as an allocation failure does
        // under `-Zoom=panic`). A borrow whose call panicked was never
        // granted; a release whose call panicked may leave its borrow
        // recorded (a leak). What must never happen is a granted,
        // unreleased borrow that the tracker no longer enforces.
        use std::panic::{AssertUnwindSafe, catch_unwind};

        let t = BorrowTracker::new();
        let mut live: Vec<(Region, bool, BorrowHandle)> = Vec::new();
        let mut next = xorshift(0x9e37_79b9_7f4a_7c15u64);
        let mut injected = 0;
        let steps = if cfg!(miri) { 300 } else { 20_000 };
        for step in 0..steps {
            maps::fail_point::arm((next(3) == 0).then(|| next(3) as u32));
            let taking = step % 200 < 100;
            if live.is_empty() || (live.len() < 40 && (next(4) == 0) != taking) {
                let r = Region::new(next(56) as u32, 1 + next(8) as u32);
                let is_mut = next(4) == 0;
                let got = catch_unwind(AssertUnwindSafe(|| {
                    if is_mut {
                        t.mut_borrow(r)
                    } else {
                        t.shared_borrow(r)
                    }
                }));
                match got {
                    Ok(Ok(h)) => live.push((r, is_mut, h)),
                    Ok(Err(_)) => {}
                    Err(_) => injected += 1,
                }
            } else {
                let (_, is_mut, h) = live.swap_remove(next(live.len() as u64) as usize);
                let released = catch_unwind(AssertUnwindSafe(|| {
                    if is_mut {
                        t.mut_unborrow(h)
                    } else {
                        t.shared_unborrow(h)
                    }
                }));
                injected += usize::from(released.is_err());
            }
            maps::fail_point::arm(None);

            let mut shared = [0u64; 64];
            for (r, is_mut, _) in &live {
                for b in r.start..r.start + r.len {
                    if *is_mut {
                        assert!(t.is_mut_borrowed(Region::new(b, 1)), "lost mut {r}");
                        assert!(t.shared_borrow(Region::new(b, 1)).is_err());
                    } else {
                        shared[b as usize] += 1;
                    }
                }
            }
            let mut recorded = [0u64; 64];
            for (s, e, c) in segments(&t) {
                for b in s..e {
                    recorded[b as usize] = c;
                }
            }
            for b in 0..64 {
                assert!(recorded[b] >= shared[b], "lost a shared borrow of byte {b}");
            }
        }
        assert!(
            injected > 0,
            "no insert ever failed: the test tests nothing"
        );
    }

    #[test]
    fn short_borrows_inside_a_long_one_leave_no_splits() {
        let t = BorrowTracker::new();
        let long = t.shared_borrow(Region::new(0, 1000)).unwrap();
        for i in 0..100 {
            let h = t.shared_borrow(Region::new(i * 7, 3)).unwrap();
            t.shared_unborrow(h);
        }
        assert_eq!(segments(&t), [(0, 1000, 1)]);
        t.shared_unborrow(long);
    }

    #[test]
    fn zero_length_regions_conflict_with_nothing() {
        let t = BorrowTracker::new();
        let m = t.mut_borrow(Region::new(0, 16)).unwrap();
        let z1 = t.mut_borrow(Region::new(4, 0)).unwrap();
        let z2 = t.shared_borrow(Region::new(4, 0)).unwrap();
        assert!(!t.is_mut_borrowed(Region::new(4, 0)));
        t.mut_unborrow(z1);
        t.shared_unborrow(z2);
        t.mut_unborrow(m);
        assert!(!t.has_outstanding_borrows());
    }

    #[test]
    fn regions_at_the_top_of_the_address_space() {
        let t = BorrowTracker::new();
        let a = t.mut_borrow(Region::new(u32::MAX, u32::MAX)).unwrap();
        assert!(t.is_mut_borrowed(Region::new(u32::MAX, 1)));
        assert!(!t.is_mut_borrowed(Region::new(u32::MAX - 1, 1)));
        assert!(t.shared_borrow(Region::new(u32::MAX - 1, 2)).is_err());
        t.mut_unborrow(a);
    }

    #[test]
    #[should_panic(expected = "issued by another tracker")]
    fn a_handle_from_another_tracker_is_refused() {
        let t1 = BorrowTracker::new();
        let t2 = BorrowTracker::new();
        let _mine = t2.mut_borrow(Region::new(0, 4)).unwrap();
        let theirs = t1.mut_borrow(Region::new(0, 4)).unwrap();
        t2.mut_unborrow(theirs);
    }

    #[test]
    #[should_panic(expected = "given to mut_unborrow")]
    fn a_shared_handle_cannot_end_a_mut_borrow() {
        let t = BorrowTracker::new();
        let s = t.shared_borrow(Region::new(0, 4)).unwrap();
        t.mut_unborrow(s);
    }

    #[test]
    fn any_borrowed_names_a_live_borrow() {
        let mut t = BorrowTracker::new();
        assert_eq!(t.any_borrowed(), None);
        let h = t.shared_borrow(Region::new(8, 4)).unwrap();
        assert_eq!(t.any_borrowed(), Some(Region::new(8, 4)));
        t.shared_unborrow(h);
    }
}
