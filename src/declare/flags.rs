//! [`guest_flags!`](crate::guest_flags): flags types over `bitflags`, whose
//! unknown bits are an error when read.

#[cfg(doc)]
use crate::{GuestError, GuestType};

/// Declares a guest flags type: a [`bitflags`](crate::bitflags) type (with
/// all of its API) over `u8`, `u16`, `u32` or `u64`, plus [`GuestType`] and
/// [`GuestLayout`](crate::GuestLayout).
///
/// Reading a value with bits the type does not define is
/// [`GuestError::InvalidFlagValue`], naming the type. The type derives
/// `Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default` (the
/// default is the empty set); attributes and
/// doc comments on the type and on each flag are passed through.
///
/// # Examples
///
/// ```
/// use guest_memory::{GuestError, GuestMemory, OwnedMemory, guest_flags};
///
/// guest_flags! {
///     /// What a file descriptor may do.
///     pub struct Rights: u32 {
///         const READ = 1;
///         const WRITE = 1 << 1;
///     }
/// }
///
/// let mem = OwnedMemory::new(8);
/// mem.ptr::<Rights>(0).write(Rights::READ | Rights::WRITE)?;
/// assert_eq!(mem.ptr::<u32>(0).read()?, 3);
/// mem.ptr::<u32>(4).write(4)?;
/// assert!(matches!(mem.ptr::<Rights>(4).read(), Err(GuestError::InvalidFlagValue("Rights"))));
/// # Ok::<(), GuestError>(())
/// ```
#[macro_export]
macro_rules! guest_flags {
    (
        $(#[$attr:meta])*
        $vis:vis struct $name:ident : $repr:ty {
            $(
                $(#[$fattr:meta])*
                const $flag:ident = $value:expr;
            )*
        }
    ) => {
        $crate::bitflags::bitflags! {
            $(#[$attr])*
            #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
            $vis struct $name: $repr {
                $(
                    $(#[$fattr])*
                    const $flag = $value;
                )*
            }
        }

        $crate::__guest_repr_impls!($name: $repr,
            |bits| match $name::from_bits(bits) {
                ::core::option::Option::Some(flags) => ::core::result::Result::Ok(flags),
                ::core::option::Option::None => ::core::result::Result::Err(
                    $crate::GuestError::InvalidFlagValue(::core::stringify!($name)),
                ),
            },
            |val| val.bits());
    };
}
