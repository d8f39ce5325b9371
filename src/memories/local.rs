//! [`LocalSliceMemory`]: a [`SliceMemory`] bound to its thread, behind an
//! owner that cannot leave it.

use core::fmt;
use core::marker::PhantomData;
use core::ops::Deref;

use super::SliceMemory;
use crate::{GuestMemory, GuestPtr, Pointee};

/// A guest memory over `&'a mut [u8]` for one synchronous stretch of host
/// code on one thread: a synchronous host function, or the part of an async
/// one between two `.await`s.
///
/// It reads, writes and borrows without a single atomic operation, because
/// only the thread that made it can reach it: the value is neither `Send`
/// nor `Sync`, so a future that holds it across an `.await` is not `Send`
/// either, and a multi-threaded executor (tokio's, wasmtime's
/// `func_wrap_async`) refuses it at compile time rather than resuming it on
/// another thread. The memory itself is lent as a `&dyn GuestMemory`
/// through `Deref`: `&*mem` goes wherever host code takes one.
///
/// Which memory where:
/// - a synchronous host function: a `LocalSliceMemory` per call;
/// - an async host function: a `LocalSliceMemory` per synchronous section
///   (make it again from the engine's bytes after each `.await`; wasmtime's
///   borrow rules lead there anyway, since `data_mut` borrows the `Caller`),
///   or a [`SliceMemory`] held across the `.await`s, which any thread may use
///   at the cost of a small lock per access;
/// - several threads at once: a [`SliceMemory`].
///
/// A `&dyn GuestMemory` taken from it can still be handed to a scoped thread
/// by hand; there every borrow and access fails with
/// [`GuestError::WrongThread`](crate::GuestError::WrongThread) (and a view
/// made here but dropped there stays recorded as borrowed): deterministic,
/// never undefined behaviour. Without the `std` feature there are no thread
/// identities, and the memory behind it is one for any thread.
///
/// # Examples
///
/// ```
/// use guest_memory::{GuestError, GuestMemory, GuestPtr, LocalSliceMemory};
///
/// fn host_fn(mem: &dyn GuestMemory, out: u32) -> Result<(), GuestError> {
///     GuestPtr::<u64>::new(mem, out).write(7)
/// }
///
/// let mut bytes = vec![0u8; 64];
/// let mem = LocalSliceMemory::new(&mut bytes);
/// host_fn(&*mem, 8)?;
/// assert_eq!(mem.ptr::<u64>(8).read()?, 7);
/// drop(mem);
/// assert_eq!(bytes[8], 7);
/// # Ok::<(), GuestError>(())
/// ```
///
/// Held across an `.await` in a future that must be `Send`, it does not
/// compile ("future cannot be sent between threads safely … has type
/// `LocalSliceMemory<'_>` which is not `Send`"); the fix is to drop it before
/// the `.await` and make a new one after, or to hold a [`SliceMemory`]:
///
/// ```compile_fail
/// use guest_memory::{GuestPtr, LocalSliceMemory};
///
/// fn spawn(_: impl Future<Output = ()> + Send) {}
///
/// async fn host_fn(bytes: &mut [u8]) {
///     let mem = LocalSliceMemory::new(bytes);
///     let n = GuestPtr::<u32>::new(&*mem, 0).read().unwrap();
///     std::future::ready(()).await;
///     GuestPtr::<u32>::new(&*mem, 4).write(n).unwrap();
/// }
///
/// let mut bytes = vec![0u8; 8];
/// spawn(host_fn(&mut bytes));
/// ```
///
/// Each synchronous section with a memory of its own compiles and is as
/// fast as a synchronous host function:
///
/// ```
/// use guest_memory::{GuestPtr, LocalSliceMemory};
///
/// fn spawn(_: impl Future<Output = ()> + Send) {}
///
/// async fn host_fn(bytes: &mut [u8]) {
///     let n = {
///         let mem = LocalSliceMemory::new(bytes);
///         GuestPtr::<u32>::new(&*mem, 0).read().unwrap()
///     };
///     std::future::ready(()).await;
///     let mem = LocalSliceMemory::new(bytes);
///     GuestPtr::<u32>::new(&*mem, 4).write(n).unwrap();
/// }
///
/// let mut bytes = vec![0u8; 8];
/// spawn(host_fn(&mut bytes));
/// ```
pub struct LocalSliceMemory<'a> {
    // Invariant: its tracker is bound to the thread that made this value
    // (with the `std` feature), and this value never leaves that thread.
    mem: SliceMemory<'a>,
    /// Neither `Send` nor `Sync`: what makes a future holding this value
    /// across an `.await` not `Send`.
    _this_thread: PhantomData<*const ()>,
}

impl<'a> LocalSliceMemory<'a> {
    /// A memory over `bytes`, with nothing borrowed, for the calling thread.
    #[inline]
    pub fn new(bytes: &'a mut [u8]) -> Self {
        LocalSliceMemory {
            mem: SliceMemory::new_for_this_thread(bytes),
            _this_thread: PhantomData,
        }
    }

    /// A pointer into this memory: [`GuestMemory::ptr`], which the lent
    /// `dyn GuestMemory` cannot offer.
    #[inline]
    pub fn ptr<T: ?Sized + Pointee>(&self, offset: T::Pointer) -> GuestPtr<'_, T> {
        GuestPtr::new(&self.mem, offset)
    }

    /// The memory's length in bytes.
    pub fn len(&self) -> usize {
        self.mem.len()
    }

    /// Whether the memory has no bytes.
    pub fn is_empty(&self) -> bool {
        self.mem.is_empty()
    }
}

impl<'a> Deref for LocalSliceMemory<'a> {
    type Target = dyn GuestMemory + 'a;

    #[inline]
    fn deref(&self) -> &(dyn GuestMemory + 'a) {
        &self.mem
    }
}

impl fmt::Debug for LocalSliceMemory<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("LocalSliceMemory").field(&self.mem).finish()
    }
}
