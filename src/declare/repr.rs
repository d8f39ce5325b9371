//! What [`guest_flags!`](crate::guest_flags) and
//! [`guest_enum!`](crate::guest_enum) share: the `GuestLayout` and
//! `GuestType` impls of a type stored as an integer.

/// The `GuestLayout` and `GuestType` impls of a type stored as an integer
/// `repr`: decoded from the integer by `from` (which may fail), encoded by
/// `to`. Shared by [`guest_flags!`] and [`guest_enum!`]; not public API.
#[doc(hidden)]
#[macro_export]
macro_rules! __guest_repr_impls {
    ($name:ident : $repr:ty, |$bits:ident| $from:expr, |$val:ident| $to:expr) => {
        impl $crate::GuestLayout for $name {
            const GUEST_SIZE: u32 = <$repr as $crate::GuestLayout>::GUEST_SIZE;
            const GUEST_ALIGN: u32 = <$repr as $crate::GuestLayout>::GUEST_ALIGN;
        }

        impl<'a> $crate::GuestType<'a> for $name {
            #[inline]
            fn guest_size() -> u32 {
                <$repr as $crate::GuestType<'a>>::guest_size()
            }
            #[inline]
            fn guest_align() -> usize {
                <$repr as $crate::GuestType<'a>>::guest_align()
            }
            fn read(
                ptr: &$crate::GuestPtr<'a, Self>,
            ) -> ::core::result::Result<Self, $crate::GuestError> {
                let $bits = ptr.cast::<$repr>().read()?;
                $from
            }
            fn write(
                ptr: &$crate::GuestPtr<'_, Self>,
                $val: Self,
            ) -> ::core::result::Result<(), $crate::GuestError> {
                ptr.cast::<$repr>().write($to)
            }
            #[inline]
            fn decode(
                ptr: &$crate::GuestPtr<'a, Self>,
                bytes: &[u8],
            ) -> ::core::result::Result<Self, $crate::GuestError> {
                let $bits = <$repr as $crate::GuestType<'a>>::decode(&ptr.cast::<$repr>(), bytes)?;
                $from
            }
            #[inline]
            fn encode(
                $val: Self,
                bytes: &mut [u8],
            ) -> ::core::result::Result<(), $crate::GuestError> {
                <$repr as $crate::GuestType<'a>>::encode($to, bytes)
            }
        }
    };
}
