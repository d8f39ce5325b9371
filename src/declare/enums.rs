//! [`guest_enum!`](crate::guest_enum): field-less enums over an integer,
//! whose unknown discriminants are an error when read or converted.

#[cfg(doc)]
use crate::{GuestError, GuestType};

/// Declares a guest enum: a field-less enum with the given integer repr,
/// deriving `Debug, Clone, Copy, PartialEq, Eq, Hash`, with `TryFrom<repr>`,
/// `From<Self> for repr`, [`GuestType`] and
/// [`GuestLayout`](crate::GuestLayout).
///
/// An unknown discriminant, read or converted, is
/// [`GuestError::InvalidEnumValue`], naming the type. Attributes and doc
/// comments on the enum and each variant are passed through.
///
/// # Examples
///
/// ```
/// use guest_memory::{GuestError, GuestMemory, OwnedMemory, guest_enum};
///
/// guest_enum! {
///     /// Where `fd_seek` counts from.
///     pub enum Whence: u8 { Set = 0, Cur = 1, End = 2 }
/// }
///
/// let mem = OwnedMemory::from(vec![2, 7]);
/// assert_eq!(mem.ptr::<Whence>(0).read()?, Whence::End);
/// assert!(matches!(mem.ptr::<Whence>(1).read(), Err(GuestError::InvalidEnumValue("Whence"))));
/// assert_eq!(Whence::try_from(1u8)?, Whence::Cur);
/// assert_eq!(u8::from(Whence::Cur), 1);
/// # Ok::<(), GuestError>(())
/// ```
#[macro_export]
macro_rules! guest_enum {
    (
        $(#[$attr:meta])*
        $vis:vis enum $name:ident : $repr:ident {
            $(
                $(#[$vattr:meta])*
                $variant:ident = $value:expr
            ),* $(,)?
        }
    ) => {
        $(#[$attr])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[repr($repr)]
        $vis enum $name {
            $(
                $(#[$vattr])*
                $variant = $value,
            )*
        }

        impl ::core::convert::TryFrom<$repr> for $name {
            type Error = $crate::GuestError;
            fn try_from(value: $repr) -> ::core::result::Result<Self, $crate::GuestError> {
                $(
                    if value == $name::$variant as $repr {
                        return ::core::result::Result::Ok($name::$variant);
                    }
                )*
                ::core::result::Result::Err($crate::GuestError::InvalidEnumValue(::core::stringify!($name)))
            }
        }

        impl ::core::convert::From<$name> for $repr {
            fn from(value: $name) -> $repr {
                value as $repr
            }
        }

        $crate::__guest_repr_impls!($name: $repr,
            |bits| <$name as ::core::convert::TryFrom<$repr>>::try_from(bits),
            |val| val as $repr);
    };
}
