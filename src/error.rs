//! [`GuestError`]: everything that can be wrong with a guest-supplied value.

use alloc::boxed::Box;
use alloc::string::String;

use crate::Region;

/// An error caused by a value the guest supplied: a pointer, a length, a
/// discriminant, some bytes.
///
/// Every guest-controlled value that the crate cannot accept becomes one of
/// these, never a panic. Messages say what was wrong and, where the variant
/// carries one, the guest region involved.
///
/// Two variants only add context: [`InFunc`](Self::InFunc) (where in a host
/// function) and [`InDataField`](Self::InDataField) (which field of a guest
/// record, nested as deep as the records are), each a boxed
/// [`FuncContext`] / [`DataFieldContext`], so that the error is three words
/// and every `Result` small. (The boxes hold what were the variants' own
/// fields, the inner error included: match `GuestError::InFunc(ctx)` and
/// read `ctx.funcname`, `ctx.err`.) Their messages name the context only; the error
/// inside is their [`source`](core::error::Error::source), so a reporter
/// that walks the chain
/// (anyhow's `{:#}`, wasmtime's traps) prints each message once. Every other
/// variant is a root cause and has no source. To map an error to an errno,
/// match on [`root_cause`](Self::root_cause):
///
/// ```
/// use guest_memory::{GuestError, GuestMemory, OwnedMemory};
///
/// fn errno(e: &GuestError) -> u16 {
///     match e.root_cause() {
///         GuestError::InvalidEnumValue(_) | GuestError::InvalidFlagValue(_) => 28, // EINVAL
///         GuestError::InvalidUtf8(_) => 25,                                       // EILSEQ
///         _ => 21,                                                                // EFAULT
///     }
/// }
///
/// let e = GuestError::InvalidEnumValue("Whence")
///     .in_data_field("Event", "type_")
///     .in_func("wasi", "poll_oneoff", "subscriptions");
/// assert_eq!(errno(&e), 28);
/// assert_eq!(e.to_string(), "in function wasi::poll_oneoff at subscriptions");
///
/// // Each message of the chain, once:
/// let mut chain = vec![e.to_string()];
/// let mut cause = core::error::Error::source(&e);
/// while let Some(c) = cause {
///     chain.push(c.to_string());
///     cause = c.source();
/// }
/// assert_eq!(
///     chain,
///     ["in function wasi::poll_oneoff at subscriptions", "in data field Event.type_",
///      "invalid enum value for Whence"]
/// );
/// # let mem = OwnedMemory::new(4);
/// # assert_eq!(errno(&mem.ptr::<u32>(4).read().unwrap_err()), 21);
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GuestError {
    /// A flags value had bits set that the flags type does not define.
    #[error("invalid flag value for {0}")]
    InvalidFlagValue(&'static str),
    /// An enum discriminant did not name any variant.
    #[error("invalid enum value for {0}")]
    InvalidEnumValue(&'static str),
    /// Pointer arithmetic (offset plus length, element count times element
    /// size) does not fit in the 32-bit guest address space.
    #[error("pointer arithmetic overflows the 32-bit guest address space")]
    PtrOverflow,
    /// The region does not lie inside guest memory.
    #[error("pointer out of bounds: {0}")]
    PtrOutOfBounds(Region),
    /// The region's guest offset is not a multiple of the alignment.
    #[error("pointer not aligned to {1}: {0}")]
    PtrNotAligned(Region, u32),
    /// The region overlaps an outstanding borrow that conflicts with the
    /// access.
    #[error("pointer borrowed: {0}")]
    PtrBorrowed(Region),
    /// A memory bound to one thread (see the tracker's
    /// [two kinds](crate::BorrowTracker#two-kinds)) was used from another.
    #[error("guest memory used from a thread other than the one it is bound to")]
    WrongThread,
    /// No NUL byte ended a C string within the length allowed
    /// ([`GuestPtr::c_str`](crate::GuestPtr::c_str)).
    #[error("no NUL terminator within {0}")]
    NoNulTerminator(Region),
    /// A copy between two slices of different lengths.
    #[error("slice lengths differ")]
    SliceLengthsDiffer,
    /// An error raised inside a host function, with where it happened: the
    /// message is the context's, the underlying error its `source`. (Boxed,
    /// so that every `Result` of the crate stays small.)
    #[error(transparent)]
    InFunc(Box<FuncContext>),
    /// An error in one field of a guest record, as for
    /// [`InFunc`](Self::InFunc).
    #[error(transparent)]
    InDataField(Box<DataFieldContext>),
    /// Bytes that had to be a string were not valid UTF-8.
    #[error("invalid UTF-8 in guest string: {0}")]
    InvalidUtf8(core::str::Utf8Error),
    /// A guest integer did not fit the host integer type it was converted to
    /// (produced by `?` on `TryFrom` conversions in host code).
    #[error("integer conversion failed: {0}")]
    TryFromIntError(core::num::TryFromIntError),
}

/// Where in a host function an error happened: the payload of
/// [`GuestError::InFunc`], made by [`GuestError::in_func`].
///
/// ```
/// use guest_memory::GuestError;
///
/// let e = GuestError::PtrOverflow.in_func("wasi", "fd_write", "iovs");
/// let GuestError::InFunc(ctx) = &e else { unreachable!() };
/// assert_eq!((ctx.funcname, ctx.location), ("fd_write", "iovs"));
/// assert!(matches!(ctx.err, GuestError::PtrOverflow));
/// ```
#[derive(Debug, thiserror::Error)]
#[error("in function {modulename}::{funcname} at {location}")]
#[non_exhaustive]
pub struct FuncContext {
    /// The module the host function belongs to.
    pub modulename: &'static str,
    /// The host function's name.
    pub funcname: &'static str,
    /// Where in the function, for example the argument being decoded.
    pub location: &'static str,
    /// The underlying error.
    #[source]
    pub err: GuestError,
}

/// Which field of a guest record an error is in: the payload of
/// [`GuestError::InDataField`], made by [`GuestError::in_data_field`] (the
/// declaration macros do).
#[derive(Debug, thiserror::Error)]
#[error("in data field {typename}.{field}")]
#[non_exhaustive]
pub struct DataFieldContext {
    /// The record type's name.
    pub typename: String,
    /// The field's name.
    pub field: &'static str,
    /// The underlying error.
    #[source]
    pub err: GuestError,
}

// Every `Result` of the crate carries a `GuestError`: the rare, large
// payloads are boxed so that it stays three words.
const _: () = assert!(core::mem::size_of::<GuestError>() <= 24);
const _: () = assert!(core::mem::size_of::<Result<u32, GuestError>>() <= 24);

// Written out rather than `#[from]`, which would also make the wrapped error
// the `source` and so print its message twice in a chain: these are root
// causes, and their messages already include the wrapped error's.
impl From<core::str::Utf8Error> for GuestError {
    fn from(e: core::str::Utf8Error) -> Self {
        GuestError::InvalidUtf8(e)
    }
}

impl From<core::num::TryFromIntError> for GuestError {
    fn from(e: core::num::TryFromIntError) -> Self {
        GuestError::TryFromIntError(e)
    }
}

/// `Some(v)` as `Ok(v)`, `None` as [`GuestError::PtrOverflow`]: a `match`,
/// not `ok_or`, because an eagerly built `GuestError` is dropped through its
/// (non-trivial) drop glue on every success, which hot paths feel.
#[inline(always)]
pub(crate) fn or_overflow<T>(v: Option<T>) -> Result<T, GuestError> {
    match v {
        Some(v) => Ok(v),
        None => Err(GuestError::PtrOverflow),
    }
}

impl GuestError {
    /// Wraps `self` with where it happened in a host function: the boundary
    /// helper for [`GuestError::InFunc`].
    ///
    /// ```
    /// use guest_memory::{GuestMemory, OwnedMemory};
    ///
    /// let mem = OwnedMemory::new(8);
    /// let err = mem.ptr::<u32>(8).read().map_err(|e| e.in_func("wasi", "fd_write", "nwritten"));
    /// let err = err.unwrap_err();
    /// assert_eq!(err.to_string(), "in function wasi::fd_write at nwritten");
    /// assert_eq!(err.root_cause().to_string(), "pointer out of bounds: offset 0x8, length 4");
    /// ```
    pub fn in_func(
        self,
        modulename: &'static str,
        funcname: &'static str,
        location: &'static str,
    ) -> Self {
        GuestError::InFunc(Box::new(FuncContext {
            modulename,
            funcname,
            location,
            err: self,
        }))
    }

    /// The error under every [`InFunc`](Self::InFunc) and
    /// [`InDataField`](Self::InDataField) wrapper: what was actually wrong
    /// (`self` if it is not a wrapper). Match on this to map an error to an
    /// errno; see the type's docs.
    pub fn root_cause(&self) -> &GuestError {
        let mut e = self;
        loop {
            e = match e {
                GuestError::InFunc(c) => &c.err,
                GuestError::InDataField(c) => &c.err,
                _ => return e,
            };
        }
    }

    /// Wraps `self` as the error of one field of a guest record
    /// ([`GuestError::InDataField`]); the declaration macros do this.
    pub fn in_data_field(self, typename: impl Into<String>, field: &'static str) -> Self {
        GuestError::InDataField(Box::new(DataFieldContext {
            typename: typename.into(),
            field,
            err: self,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_region() {
        let e = GuestError::PtrOutOfBounds(Region::new(0x20, 8));
        assert_eq!(
            e.to_string(),
            "pointer out of bounds: offset 0x20, length 8"
        );
        let e = GuestError::PtrNotAligned(Region::new(0x21, 4), 4);
        assert_eq!(
            e.to_string(),
            "pointer not aligned to 4: offset 0x21, length 4"
        );
        let e = GuestError::PtrBorrowed(Region::new(0, 1));
        assert_eq!(e.to_string(), "pointer borrowed: offset 0x0, length 1");
    }

    #[test]
    fn context_wraps_and_chains() {
        let e = GuestError::PtrOverflow.in_func("wasi", "fd_write", "iovs");
        assert_eq!(e.to_string(), "in function wasi::fd_write at iovs");
        let source = core::error::Error::source(&e).expect("has a source");
        assert!(source.to_string().contains("overflows"));
        assert!(core::error::Error::source(source).is_none());
        assert!(matches!(e.root_cause(), GuestError::PtrOverflow));
        let e = GuestError::InvalidEnumValue("Whence").in_data_field("Event", "type_");
        assert!(
            matches!(&e, GuestError::InDataField(c) if c.typename == "Event" && c.field == "type_")
        );
        assert_eq!(e.to_string(), "in data field Event.type_");
        assert!(matches!(
            e.root_cause(),
            GuestError::InvalidEnumValue("Whence")
        ));
    }

    #[test]
    fn root_causes_have_no_source_and_keep_their_details() {
        let bad = std::hint::black_box([0xffu8]);
        let utf8 = core::str::from_utf8(&bad).unwrap_err();
        let e = GuestError::from(utf8);
        assert!(core::error::Error::source(&e).is_none());
        assert_eq!(
            e.to_string(),
            format!("invalid UTF-8 in guest string: {utf8}")
        );
        let int = u8::try_from(300u32).unwrap_err();
        let e = GuestError::from(int);
        assert!(core::error::Error::source(&e).is_none());
        assert!(e.to_string().starts_with("integer conversion failed: "));
        assert!(matches!(e.root_cause(), GuestError::TryFromIntError(_)));
    }
}
