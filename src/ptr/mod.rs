//! [`Pointee`] and [`GuestPtr`]: typed pointers into guest memory.
//!
//! This file: the pointer itself, what every pointer can do, and its
//! comparisons. Beside it, what a pointer to each kind of pointee adds:
//! [`value`] (one `T`: read, write, arithmetic), [`array`] (`[T]`: elements,
//! copies), [`string`] (`str`); and [`checks`], the bounds and alignment
//! checks every access goes through. The views (`as_slice`, `as_str`, ...)
//! are in `slice` and `str`.

mod array;
mod checks;
mod string;
mod value;

#[cfg(test)]
mod tests;

use core::fmt;
use core::hash::{Hash, Hasher};
use core::marker::PhantomData;

pub(crate) use checks::{array_bytes, check_align, is_aligned, slice_bytes};

use crate::GuestMemory;

mod private {
    pub trait Sealed {}
    impl<T> Sealed for T {}
    impl<T> Sealed for [T] {}
    impl Sealed for str {}
}

/// What a [`GuestPtr`] can point at: any sized `T`, a slice `[T]`, or `str`.
///
/// Sealed: the three implementations below are all there is.
///
/// ```
/// use guest_memory::{GuestMemory, GuestPtr, OwnedMemory};
///
/// let mem = OwnedMemory::new(16);
/// let one: GuestPtr<'_, u32> = mem.ptr(4); // a u32 offset
/// let many: GuestPtr<'_, [u16]> = mem.ptr((8, 4)); // offset and element count
/// let text: GuestPtr<'_, str> = mem.ptr((0, 3)); // offset and byte length
/// assert_eq!((one.offset(), many.offset(), text.offset()), (4, (8, 4), (0, 3)));
/// assert_eq!(many.as_ptr(), mem.ptr::<u16>(8));
/// ```
pub trait Pointee: private::Sealed {
    /// How the guest names one: a `u32` offset for a sized `T`, an
    /// `(offset, length)` pair of `u32`s for `[T]` (length in elements) and
    /// `str` (length in bytes).
    type Pointer: Copy + PartialEq + Eq + Hash + Send + Sync + fmt::Debug;

    #[doc(hidden)]
    fn debug(pointer: Self::Pointer, f: &mut fmt::Formatter<'_>) -> fmt::Result;

    #[doc(hidden)]
    fn start(pointer: Self::Pointer) -> u32;
}

impl<T> Pointee for T {
    type Pointer = u32;
    fn start(pointer: u32) -> u32 {
        pointer
    }
    fn debug(pointer: u32, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "*guest {pointer:#x}")
    }
}

impl<T> Pointee for [T] {
    type Pointer = (u32, u32);
    fn start((offset, _): (u32, u32)) -> u32 {
        offset
    }
    fn debug((offset, len): (u32, u32), f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "*guest {offset:#x}/{len}")
    }
}

impl Pointee for str {
    type Pointer = (u32, u32);
    fn start((offset, _): (u32, u32)) -> u32 {
        offset
    }
    fn debug((offset, len): (u32, u32), f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "*guest {offset:#x}/{len}")
    }
}

/// A typed pointer into guest memory: the guest's offset (and length, for
/// `[T]` and `str`) together with the memory it points into.
///
/// Making one checks nothing; every use checks bounds, alignment (of the
/// guest offset, so the answer never depends on where the host placed the
/// memory) and outstanding borrows, and reports a [`GuestError`](crate::GuestError) instead of
/// panicking. It is `Copy`, and `Send + Sync` since guest memories are.
///
/// Two pointers are equal (and hash alike) when they point into the same
/// memory at the same offset and, for `[T]` and `str`, with the same length.
/// The same memory means the same bytes — `base()` starting at one address,
/// as long — however it is reached: through an `Arc`, a clone of it, a
/// reference or the memory itself.
///
/// # Examples
///
/// ```
/// use guest_memory::{GuestError, GuestMemory, GuestPtr, OwnedMemory};
///
/// let mem = OwnedMemory::new(16);
/// let p: GuestPtr<'_, u16> = mem.ptr(4);
/// p.write(0x1234)?;
/// assert_eq!(p.add(1)?.offset(), 6);
/// assert_eq!(p.cast::<u8>().read()?, 0x34); // guest memory is little-endian
/// assert!(matches!(mem.ptr::<u16>(5).read(), Err(GuestError::PtrNotAligned(_, 2))));
/// assert_eq!(format!("{p:?}"), "*guest 0x4");
/// # Ok::<(), GuestError>(())
/// ```
pub struct GuestPtr<'a, T: ?Sized + Pointee> {
    mem: &'a dyn GuestMemory,
    pointer: T::Pointer,
    _type: PhantomData<fn() -> *const T>,
}

impl<'a, T: ?Sized + Pointee> GuestPtr<'a, T> {
    /// A pointer to `pointer` in `mem`. Checks nothing.
    #[inline]
    pub fn new(mem: &'a dyn GuestMemory, pointer: T::Pointer) -> Self {
        GuestPtr {
            mem,
            pointer,
            _type: PhantomData,
        }
    }

    /// The guest's offset (and length, for `[T]` and `str`).
    #[inline]
    pub fn offset(&self) -> T::Pointer {
        self.pointer
    }

    /// The memory this pointer points into.
    #[inline]
    pub fn mem(&self) -> &'a dyn GuestMemory {
        self.mem
    }

    /// The same offset, viewed as pointing to a `U`.
    #[inline]
    pub fn cast<U>(&self) -> GuestPtr<'a, U>
    where
        U: ?Sized + Pointee<Pointer = T::Pointer>,
    {
        GuestPtr::new(self.mem, self.pointer)
    }

    /// Whether the memory is shared (no zero-copy views; atomic accesses).
    #[inline]
    pub fn is_shared_memory(&self) -> bool {
        self.mem.is_shared_memory()
    }

    /// Whether the (first) offset is 0, the guest's null pointer.
    ///
    /// Offset 0 is an ordinary address in guest memory, so the crate reads
    /// and writes it like any other; this is for host functions whose ABI
    /// gives null a meaning (an optional out-pointer, say).
    ///
    /// ```
    /// use guest_memory::{GuestMemory, OwnedMemory};
    ///
    /// let mem = OwnedMemory::new(8);
    /// assert!(mem.ptr::<u32>(0).is_null());
    /// assert!(mem.ptr::<str>((0, 3)).is_null());
    /// assert!(!mem.ptr::<[u8]>((4, 0)).is_null());
    /// ```
    #[inline]
    pub fn is_null(&self) -> bool {
        T::start(self.pointer) == 0
    }
}

impl<T: ?Sized + Pointee> PartialEq for GuestPtr<'_, T> {
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        self.pointer == other.pointer && same_bytes(self.mem, other.mem)
    }
}

/// Whether two memories are the same bytes: their `base()`s start at one
/// address and are as long. (Not the memory objects' addresses: one memory
/// is reached through many objects — `Arc` clones, `&`, `Box` — and
/// zero-size memory types forwarding to different memories share one.)
#[inline]
fn same_bytes(a: &dyn GuestMemory, b: &dyn GuestMemory) -> bool {
    let (a, b) = (a.base(), b.base());
    core::ptr::eq(a.as_ptr(), b.as_ptr()) && a.len() == b.len()
}

impl<T: ?Sized + Pointee> Eq for GuestPtr<'_, T> {}

impl<T: ?Sized + Pointee> Hash for GuestPtr<'_, T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let base = self.mem.base();
        base.as_ptr().hash(state);
        base.len().hash(state);
        self.pointer.hash(state);
    }
}

impl<T: ?Sized + Pointee> Clone for GuestPtr<'_, T> {
    #[inline]
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: ?Sized + Pointee> Copy for GuestPtr<'_, T> {}

impl<T: ?Sized + Pointee> fmt::Debug for GuestPtr<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        T::debug(self.pointer, f)
    }
}
