//! Host errors as WASI error numbers: an `io::Error` by its OS error code
//! where it has one, by its kind otherwise; a `GuestError` by what the guest
//! got wrong.

use std::io;

use guest_memory::GuestError;

use super::types::Errno;

impl From<GuestError> for Errno {
    /// Bad pointers of every kind are `EFAULT`, bad enum and flag values
    /// `EINVAL`, bad UTF-8 `EILSEQ`.
    fn from(e: GuestError) -> Errno {
        match e.root_cause() {
            GuestError::InvalidEnumValue(_) | GuestError::InvalidFlagValue(_) => Errno::Inval,
            GuestError::SliceLengthsDiffer => Errno::Inval,
            GuestError::InvalidUtf8(_) => Errno::Ilseq,
            GuestError::TryFromIntError(_) => Errno::Overflow,
            _ => Errno::Fault,
        }
    }
}

impl From<io::Error> for Errno {
    fn from(e: io::Error) -> Errno {
        match e.raw_os_error() {
            Some(code) => from_os(code),
            None => from_kind(e.kind()),
        }
    }
}

/// A Linux (or other Unix) `errno` value as the WASI error of that name.
fn from_os(code: i32) -> Errno {
    use libc::*;
    match code {
        E2BIG => Errno::TooBig,
        EACCES => Errno::Acces,
        EADDRINUSE => Errno::Addrinuse,
        EADDRNOTAVAIL => Errno::Addrnotavail,
        EAFNOSUPPORT => Errno::Afnosupport,
        EAGAIN => Errno::Again,
        EALREADY => Errno::Already,
        EBADF => Errno::Badf,
        EBADMSG => Errno::Badmsg,
        EBUSY => Errno::Busy,
        ECANCELED => Errno::Canceled,
        ECHILD => Errno::Child,
        ECONNABORTED => Errno::Connaborted,
        ECONNREFUSED => Errno::Connrefused,
        ECONNRESET => Errno::Connreset,
        EDEADLK => Errno::Deadlk,
        EDESTADDRREQ => Errno::Destaddrreq,
        EDOM => Errno::Dom,
        EDQUOT => Errno::Dquot,
        EEXIST => Errno::Exist,
        EFAULT => Errno::Fault,
        EFBIG => Errno::Fbig,
        EHOSTUNREACH => Errno::Hostunreach,
        EIDRM => Errno::Idrm,
        EILSEQ => Errno::Ilseq,
        EINPROGRESS => Errno::Inprogress,
        EINTR => Errno::Intr,
        EINVAL => Errno::Inval,
        EIO => Errno::Io,
        EISCONN => Errno::Isconn,
        EISDIR => Errno::Isdir,
        ELOOP => Errno::Loop,
        EMFILE => Errno::Mfile,
        EMLINK => Errno::Mlink,
        EMSGSIZE => Errno::Msgsize,
        EMULTIHOP => Errno::Multihop,
        ENAMETOOLONG => Errno::Nametoolong,
        ENETDOWN => Errno::Netdown,
        ENETRESET => Errno::Netreset,
        ENETUNREACH => Errno::Netunreach,
        ENFILE => Errno::Nfile,
        ENOBUFS => Errno::Nobufs,
        ENODEV => Errno::Nodev,
        ENOENT => Errno::Noent,
        ENOEXEC => Errno::Noexec,
        ENOLCK => Errno::Nolck,
        ENOLINK => Errno::Nolink,
        ENOMEM => Errno::Nomem,
        ENOMSG => Errno::Nomsg,
        ENOPROTOOPT => Errno::Noprotoopt,
        ENOSPC => Errno::Nospc,
        ENOSYS => Errno::Nosys,
        ENOTCONN => Errno::Notconn,
        ENOTDIR => Errno::Notdir,
        ENOTEMPTY => Errno::Notempty,
        ENOTRECOVERABLE => Errno::Notrecoverable,
        ENOTSOCK => Errno::Notsock,
        ENOTSUP => Errno::Notsup,
        ENOTTY => Errno::Notty,
        ENXIO => Errno::Nxio,
        EOVERFLOW => Errno::Overflow,
        EOWNERDEAD => Errno::Ownerdead,
        EPERM => Errno::Perm,
        EPIPE => Errno::Pipe,
        EPROTO => Errno::Proto,
        EPROTONOSUPPORT => Errno::Protonosupport,
        EPROTOTYPE => Errno::Prototype,
        ERANGE => Errno::Range,
        EROFS => Errno::Rofs,
        ESPIPE => Errno::Spipe,
        ESRCH => Errno::Srch,
        ESTALE => Errno::Stale,
        ETIMEDOUT => Errno::Timedout,
        ETXTBSY => Errno::Txtbsy,
        EXDEV => Errno::Xdev,
        _ => Errno::Io,
    }
}

/// An error with no OS code. cap-std reports a path that would leave its
/// directory as `PermissionDenied` without one: `EPERM`, as wasmtime answers.
fn from_kind(kind: io::ErrorKind) -> Errno {
    use io::ErrorKind as K;
    match kind {
        K::NotFound => Errno::Noent,
        K::PermissionDenied => Errno::Perm,
        K::AlreadyExists => Errno::Exist,
        K::InvalidInput => Errno::Inval,
        K::InvalidData => Errno::Ilseq,
        K::Unsupported => Errno::Notsup,
        K::OutOfMemory => Errno::Nomem,
        K::Interrupted => Errno::Intr,
        K::WouldBlock => Errno::Again,
        K::BrokenPipe => Errno::Pipe,
        K::TimedOut => Errno::Timedout,
        _ => Errno::Io,
    }
}
