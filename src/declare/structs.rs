//! [`guest_struct!`](crate::guest_struct): records laid out as the wasm32 C
//! ABI lays them out, read and written field by field, with typed pointers
//! to each field.

#[cfg(doc)]
use crate::{GuestError, GuestPtr, GuestStruct, GuestType};

/// Declares a guest record laid out like the wasm32 C ABI: each field at
/// its natural guest alignment, the size rounded up to the record's
/// alignment.
///
/// With or without one lifetime parameter (for fields that are guest
/// pointers). Attributes and doc comments on the struct and its fields are
/// passed through; nothing is derived. Each field type needs [`GuestType`] and
/// [`GuestLayout`](crate::GuestLayout): numbers, guest pointers, arrays, and
/// other declared structs, enums and flags.
///
/// The macro provides:
/// - [`GuestType`]: reads and writes go field by field, a field's error
///   wrapped in [`GuestError::InDataField`] naming the record and the field.
///   A write checks the destination and encodes every field before copying
///   the record in one step, so a failed write changes nothing.
/// - [`GuestLayout`](crate::GuestLayout): `GUEST_SIZE` and `GUEST_ALIGN` as
///   constants, and a `const fn guest_offset_of(field: &str) -> u32`, so a
///   host can check the layout against a spec at compile time (an unknown
///   field name is a compile error there).
/// - [`GuestStruct`]: [`GuestPtr::fields`] gives a typed pointer to each field.
///
/// Written first, `#[guest(transparent)]` declares a record without a
/// lifetime as [`GuestTypeTransparent`](crate::GuestTypeTransparent), so it
/// gets zero-copy slices. That is sound only if the host layout is the guest
/// layout byte for byte, so the macro adds `#[repr(C)]` and checks at compile
/// time that every field is transparent, that the host size and each host
/// field offset equal the guest ones, and that there is no padding; any
/// failure is a compile error. As with the multi-byte numbers, the record is
/// transparent only on little-endian hosts.
///
/// A transparent record with padding does not compile, on any host:
///
/// ```compile_fail,E0080
/// guest_memory::guest_struct! {
///     #[guest(transparent)]
///     pub struct Padded { pub a: u8, pub b: u32 }
/// }
/// ```
///
/// Nor does one whose padding only a field's [`GuestLayout`](crate::GuestLayout)
/// hides: here `Tag` is a correct transparent one-byte type that declares a
/// guest size of 4, which would make the guest layout of `Tagged` look
/// padding-free while its host layout has three padding bytes after `tag`:
///
/// ```compile_fail,E0080
/// use guest_memory::{GuestError, GuestLayout, GuestPtr, GuestType, GuestTypeTransparent};
///
/// #[derive(Clone, Copy)]
/// #[repr(transparent)]
/// pub struct Tag(u8);
/// impl GuestLayout for Tag {
///     const GUEST_SIZE: u32 = 4;
///     const GUEST_ALIGN: u32 = 4;
/// }
/// impl<'a> GuestType<'a> for Tag {
///     fn guest_size() -> u32 { 1 }
///     fn guest_align() -> usize { 1 }
///     fn read(p: &GuestPtr<'a, Self>) -> Result<Self, GuestError> { p.cast::<u8>().read().map(Tag) }
///     fn write(p: &GuestPtr<'_, Self>, v: Self) -> Result<(), GuestError> { p.cast::<u8>().write(v.0) }
/// }
/// // SAFETY: one byte, no padding, every bit pattern valid, and its bytes in
/// // place are what `read` returns: every rule of the trait holds.
/// unsafe impl GuestTypeTransparent<'_> for Tag {}
///
/// guest_memory::guest_struct! {
///     #[guest(transparent)]
///     pub struct Tagged { pub tag: Tag, pub value: u32 }
/// }
/// ```
///
/// Nor does one with a field that is not transparent (here on a
/// little-endian host; on a big-endian one the record is simply not
/// transparent):
///
/// ```compile_fail,ignore-s390x,E0277
/// guest_memory::guest_struct! {
///     #[guest(transparent)]
///     pub struct WithPointer { pub p: guest_memory::GuestPtr<'static, u32> }
/// }
/// ```
///
/// # Examples
///
/// ```
/// use guest_memory::{GuestError, GuestLayout, GuestMemory, GuestPtr, OwnedMemory, guest_struct};
///
/// guest_struct! {
///     /// A buffer the guest hands in.
///     #[derive(Debug, Clone, Copy)]
///     pub struct Iovec<'a> {
///         /// Its start.
///         pub buf: GuestPtr<'a, u8>,
///         /// Its length.
///         pub buf_len: u32,
///     }
/// }
///
/// guest_struct! {
///     #[guest(transparent)]
///     #[derive(Debug, Clone, Copy, PartialEq)]
///     pub struct Point { pub x: u32, pub y: u32 }
/// }
///
/// // The layout, checked at compile time.
/// const _: () = assert!(Iovec::GUEST_SIZE == 8 && Iovec::guest_offset_of("buf_len") == 4);
///
/// let mem = OwnedMemory::new(64);
/// mem.ptr::<Iovec>(0).write(Iovec { buf: mem.ptr(32), buf_len: 4 })?;
/// let iov = mem.ptr::<Iovec>(0).read()?;
/// assert_eq!((iov.buf.offset(), iov.buf_len), (32, 4));
///
/// // A field's error names the record and the field.
/// let err = mem.ptr::<Iovec>(60).read().unwrap_err();
/// assert!(matches!(err, GuestError::InDataField(c) if c.field == "buf_len"));
///
/// # #[cfg(target_endian = "little")] {
/// mem.ptr::<[Point]>((8, 2)).copy_from_slice(&[Point { x: 1, y: 2 }, Point { x: 3, y: 4 }])?;
/// let points = mem.ptr::<[Point]>((8, 2)).as_slice()?.expect("not shared memory");
/// assert_eq!(points[1], Point { x: 3, y: 4 });
/// # }
/// # Ok::<(), GuestError>(())
/// ```
#[macro_export]
macro_rules! guest_struct {
    // The impls, given the lifetime `GuestType` is generic over and the
    // struct's own lifetime, if it has one.
    (@impls [$gt:lifetime] [$($slt:lifetime)?] $name:ident { $($field:ident : $fty:ty),* }) => {
        impl $(<$slt>)? $name $(<$slt>)? {
            /// The guest offset of the field named `field`, in bytes from
            /// the start of the record. Unknown names panic, which in a
            /// constant is a compile error.
            pub const fn guest_offset_of(field: &str) -> u32 {
                let offsets = $crate::__private::field_offsets([
                    $((<$fty as $crate::GuestLayout>::GUEST_SIZE, <$fty as $crate::GuestLayout>::GUEST_ALIGN)),*
                ]);
                offsets[$crate::__private::index_of(&[$(::core::stringify!($field)),*], field)]
            }
        }

        impl $(<$slt>)? $crate::GuestLayout for $name $(<$slt>)? {
            const GUEST_SIZE: u32 = $crate::__private::struct_size([
                $((<$fty as $crate::GuestLayout>::GUEST_SIZE, <$fty as $crate::GuestLayout>::GUEST_ALIGN)),*
            ]);
            const GUEST_ALIGN: u32 = $crate::__private::struct_align([
                $((<$fty as $crate::GuestLayout>::GUEST_SIZE, <$fty as $crate::GuestLayout>::GUEST_ALIGN)),*
            ]);
        }

        impl<$gt> $crate::GuestType<$gt> for $name $(<$slt>)? {
            #[inline]
            fn guest_size() -> u32 {
                <Self as $crate::GuestLayout>::GUEST_SIZE
            }
            #[inline]
            fn guest_align() -> usize {
                <Self as $crate::GuestLayout>::GUEST_ALIGN as usize
            }
            fn read(ptr: &$crate::GuestPtr<$gt, Self>) -> ::core::result::Result<Self, $crate::GuestError> {
                // The whole record in one check-and-copy, decoded from the
                // copy. Should the copy fail, read field by field, so the
                // error names the first field that cannot be read.
                if let ::core::result::Result::Ok(value) = $crate::__private::read_record(
                    ptr.mem(),
                    ptr.offset(),
                    <Self as $crate::GuestLayout>::GUEST_SIZE,
                    <Self as $crate::GuestLayout>::GUEST_ALIGN,
                    |bytes| <Self as $crate::GuestType<$gt>>::decode(ptr, bytes),
                ) {
                    return value;
                }
                let value = $name {
                    $(
                        $field: $crate::__private::read_field(
                            ptr.mem(),
                            ptr.offset(),
                            const { Self::guest_offset_of(::core::stringify!($field)) },
                            ::core::stringify!($name),
                            ::core::stringify!($field),
                        )?,
                    )*
                };
                // Every field fits; the trailing padding must too, as a
                // write of the record would need it.
                $crate::__private::check_record(
                    ptr.mem(),
                    ptr.offset(),
                    <Self as $crate::GuestLayout>::GUEST_SIZE,
                    ::core::stringify!($name),
                    &[$(::core::stringify!($field)),*],
                )?;
                ::core::result::Result::Ok(value)
            }
            // Inline, and with no error path but the fields' own: after two
            // checks (a caller's bug, never a guest value, fails them) every
            // field's bytes lie at constant offsets that fit, and a field
            // that cannot be invalid (a number, a pointer, a record of
            // those) decodes to its value whatever the caller inlines.
            #[inline]
            fn decode(ptr: &$crate::GuestPtr<$gt, Self>, bytes: &[u8]) -> ::core::result::Result<Self, $crate::GuestError> {
                if bytes.len() != <Self as $crate::GuestLayout>::GUEST_SIZE as usize {
                    return ::core::result::Result::Err($crate::GuestError::SliceLengthsDiffer);
                }
                if ptr.offset().checked_add(<Self as $crate::GuestLayout>::GUEST_SIZE).is_none() {
                    return ::core::result::Result::Err($crate::GuestError::PtrOverflow);
                }
                ::core::result::Result::Ok($name {
                    $(
                        $field: $crate::__private::decode_field(
                            ptr.mem(),
                            ptr.offset(),
                            bytes,
                            const { Self::guest_offset_of(::core::stringify!($field)) },
                            ::core::stringify!($name),
                            ::core::stringify!($field),
                        )?,
                    )*
                })
            }
            // Encoded into a buffer on the stack, written in one step.
            fn write(ptr: &$crate::GuestPtr<'_, Self>, val: Self) -> ::core::result::Result<(), $crate::GuestError> {
                $crate::__private::write_with(
                    ptr.mem(),
                    ptr.offset(),
                    1,
                    <Self as $crate::GuestLayout>::GUEST_SIZE,
                    <Self as $crate::GuestLayout>::GUEST_ALIGN as usize,
                    |bytes| <Self as $crate::GuestType<$gt>>::encode(val, bytes),
                )
            }
            #[inline]
            fn encode(val: Self, bytes: &mut [u8]) -> ::core::result::Result<(), $crate::GuestError> {
                if bytes.len() != <Self as $crate::GuestLayout>::GUEST_SIZE as usize {
                    return ::core::result::Result::Err($crate::GuestError::SliceLengthsDiffer);
                }
                $(
                    $crate::__private::encode_field(
                        bytes,
                        const { Self::guest_offset_of(::core::stringify!($field)) },
                        val.$field,
                        ::core::stringify!($name),
                        ::core::stringify!($field),
                    )?;
                )*
                ::core::result::Result::Ok(())
            }
        }

        const _: () = {
            /// Typed pointers to each field of the record.
            #[derive(Debug, Clone, Copy)]
            #[allow(missing_docs)]
            pub struct Fields<$gt> {
                $(pub $field: $crate::GuestPtr<$gt, $fty>,)*
                // Uses the lifetime when the record has no fields.
                _lifetime: ::core::marker::PhantomData<&$gt ()>,
            }

            impl<$gt> $crate::GuestStruct<$gt> for $name $(<$slt>)? {
                type Fields = Fields<$gt>;
                fn fields(ptr: &$crate::GuestPtr<$gt, Self>) -> ::core::result::Result<Fields<$gt>, $crate::GuestError> {
                    // The whole record must fit, so every field offset does.
                    $crate::__private::field_ptr::<u8>(
                        ptr.mem(),
                        ptr.offset(),
                        <Self as $crate::GuestLayout>::GUEST_SIZE.saturating_sub(1),
                    )?;
                    ::core::result::Result::Ok(Fields {
                        $(
                            $field: $crate::__private::field_ptr(
                                ptr.mem(),
                                ptr.offset(),
                                const { Self::guest_offset_of(::core::stringify!($field)) },
                            )?,
                        )*
                        _lifetime: ::core::marker::PhantomData,
                    })
                }
            }
        };
    };

    // The transparency checks and impl, for a struct without a lifetime.
    (@transparent $name:ident { $($field:ident : $fty:ty),* }) => {
        // The layout checks hold on every host, so a declaration that could
        // never be transparent fails to compile everywhere.
        const _: () = {
            ::core::assert!(
                ::core::mem::size_of::<$name>() == <$name as $crate::GuestLayout>::GUEST_SIZE as usize,
                "host size differs from guest size"
            );
            $(
                ::core::assert!(
                    ::core::mem::offset_of!($name, $field) == $name::guest_offset_of(::core::stringify!($field)) as usize,
                    "host field offset differs from guest field offset"
                );
            )*
            // "No padding" is proved in host terms: the host sizes of the
            // fields add up to the host size of the struct. (The guest sizes
            // come from `GuestLayout`, which a safe impl may get wrong.)
            $(
                ::core::assert!(
                    ::core::mem::size_of::<$fty>() == <$fty as $crate::GuestLayout>::GUEST_SIZE as usize,
                    "a field's host size differs from its guest size"
                );
            )*
            ::core::assert!(
                0 $(+ ::core::mem::size_of::<$fty>())* == ::core::mem::size_of::<$name>(),
                "a transparent guest struct cannot have padding"
            );
        };

        #[cfg(target_endian = "little")]
        const _: () = {
            $($crate::__private::assert_transparent::<$fty>();)*
        };

        // SAFETY: checked at compile time just above, on the hosts this impl
        // exists for: every field is `GuestTypeTransparent`; with `repr(C)`,
        // the host size and every host field offset equal the guest ones, and
        // the fields' host sizes (`size_of`, which no impl can misstate) add
        // up to the struct's host size, so there is no padding byte. Hence
        // the record's bytes in place are its fields' bytes in place, each at
        // the guest offset its field is read from, every bit pattern is
        // valid, and its size is its guest size.
        #[cfg(target_endian = "little")]
        unsafe impl<'a> $crate::GuestTypeTransparent<'a> for $name {}
    };

    (
        #[guest(transparent)]
        $(#[$attr:meta])*
        $vis:vis struct $name:ident {
            $($(#[$fattr:meta])* $fvis:vis $field:ident : $fty:ty),* $(,)?
        }
    ) => {
        $(#[$attr])*
        #[repr(C)]
        $vis struct $name {
            $($(#[$fattr])* $fvis $field: $fty,)*
        }
        $crate::guest_struct!(@impls ['a] [] $name { $($field : $fty),* });
        $crate::guest_struct!(@transparent $name { $($field : $fty),* });
    };

    (
        $(#[$attr:meta])*
        $vis:vis struct $name:ident < $lt:lifetime > {
            $($(#[$fattr:meta])* $fvis:vis $field:ident : $fty:ty),* $(,)?
        }
    ) => {
        $(#[$attr])*
        $vis struct $name<$lt> {
            $($(#[$fattr])* $fvis $field: $fty,)*
        }
        $crate::guest_struct!(@impls [$lt] [$lt] $name { $($field : $fty),* });
    };

    (
        $(#[$attr:meta])*
        $vis:vis struct $name:ident {
            $($(#[$fattr:meta])* $fvis:vis $field:ident : $fty:ty),* $(,)?
        }
    ) => {
        $(#[$attr])*
        $vis struct $name {
            $($(#[$fattr])* $fvis $field: $fty,)*
        }
        $crate::guest_struct!(@impls ['a] [] $name { $($field : $fty),* });
    };
}
