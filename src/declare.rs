//! Declaring guest data the way WASI's witx does: [`guest_flags!`],
//! [`guest_enum!`] and [`guest_struct!`], plus [`GuestStruct`], the typed
//! pointers to a declared record's fields.
//!
//! [`guest_flags!`]: crate::guest_flags
//! [`guest_enum!`]: crate::guest_enum
//! [`guest_struct!`]: crate::guest_struct

use crate::{GuestError, GuestPtr, GuestType};

/// A record declared with [`guest_struct!`](crate::guest_struct): typed
/// pointers to each of its fields.
///
/// Reach them with [`GuestPtr::fields`]:
///
/// ```
/// use guest_memory::{GuestError, GuestMemory, GuestPtr, OwnedMemory, guest_struct};
///
/// guest_struct! {
///     pub struct Iovec<'a> { pub buf: GuestPtr<'a, u8>, pub buf_len: u32 }
/// }
///
/// let mem = OwnedMemory::new(16);
/// let iov = mem.ptr::<Iovec>(8);
/// // Set one field without reading or writing the whole record.
/// iov.fields()?.buf_len.write(5)?;
/// assert_eq!(iov.fields()?.buf_len.offset(), 12);
/// assert_eq!(iov.read()?.buf_len, 5);
/// # Ok::<(), GuestError>(())
/// ```
pub trait GuestStruct<'a>: GuestType<'a> {
    /// A struct with one public `GuestPtr` per field, named as the fields.
    type Fields;

    /// Pointers to each field of the record `ptr` points to.
    ///
    /// # Errors
    ///
    /// [`GuestError::PtrOverflow`] if the record would end past the 32-bit
    /// address space. Nothing else is checked until a field is used.
    fn fields(ptr: &GuestPtr<'a, Self>) -> Result<Self::Fields, GuestError>;
}

impl<'a, T: GuestStruct<'a>> GuestPtr<'a, T> {
    /// Typed pointers to each field of the declared record this points to.
    ///
    /// # Errors
    ///
    /// As [`GuestStruct::fields`].
    ///
    /// # Examples
    ///
    /// ```
    /// use guest_memory::{GuestMemory, GuestPtr, OwnedMemory, guest_struct};
    ///
    /// guest_struct! {
    ///     pub struct Iovec<'a> {
    ///         pub buf: GuestPtr<'a, u8>,
    ///         pub buf_len: u32,
    ///     }
    /// }
    ///
    /// let mem = OwnedMemory::new(64);
    /// let iov = mem.ptr::<Iovec>(16);
    /// iov.fields()?.buf_len.write(5)?;
    /// assert_eq!(mem.ptr::<u32>(20).read()?, 5);
    /// # Ok::<(), guest_memory::GuestError>(())
    /// ```
    #[inline]
    pub fn fields(&self) -> Result<T::Fields, GuestError> {
        T::fields(self)
    }
}

/// Support for the declaration macros; not part of the public API.
#[doc(hidden)]
pub mod __private {
    use crate::{GuestError, GuestMemory, GuestPtr, GuestType, OwnedMemory};

    pub use crate::guest_type::write_via_scratch;

    /// Each field's offset under the wasm32 C ABI, from `(size, align)`.
    pub const fn field_offsets<const N: usize>(fields: [(u32, u32); N]) -> [u32; N] {
        let mut out = [0u32; N];
        let mut end = 0u32;
        let mut i = 0;
        while i < N {
            let (size, align) = fields[i];
            let at = align_up(end, align);
            out[i] = at;
            end = match at.checked_add(size) {
                Some(e) => e,
                None => panic!("guest struct larger than the 32-bit address space"),
            };
            i += 1;
        }
        out
    }

    /// The struct's alignment: its largest field alignment, at least 1.
    pub const fn struct_align<const N: usize>(fields: [(u32, u32); N]) -> u32 {
        let mut align = 1;
        let mut i = 0;
        while i < N {
            if fields[i].1 > align {
                align = fields[i].1;
            }
            i += 1;
        }
        align
    }

    /// The struct's size: past its last field, rounded up to its alignment.
    pub const fn struct_size<const N: usize>(fields: [(u32, u32); N]) -> u32 {
        let offsets = field_offsets(fields);
        let end = if N == 0 {
            0
        } else {
            offsets[N - 1] + fields[N - 1].0
        };
        align_up(end, struct_align(fields))
    }

    const fn align_up(x: u32, align: u32) -> u32 {
        if align <= 1 {
            return x;
        }
        match x.checked_add(align - 1) {
            Some(v) => v / align * align,
            None => panic!("guest struct larger than the 32-bit address space"),
        }
    }

    /// The position of `name` in `names`; a compile error in const context
    /// if it is missing.
    pub const fn index_of(names: &[&str], name: &str) -> usize {
        let mut i = 0;
        while i < names.len() {
            if str_eq(names[i], name) {
                return i;
            }
            i += 1;
        }
        panic!("no field of that name")
    }

    const fn str_eq(a: &str, b: &str) -> bool {
        let (a, b) = (a.as_bytes(), b.as_bytes());
        if a.len() != b.len() {
            return false;
        }
        let mut i = 0;
        while i < a.len() {
            if a[i] != b[i] {
                return false;
            }
            i += 1;
        }
        true
    }

    /// The pointer to a field at `offset` past `base`.
    #[inline]
    pub fn field_ptr<'a, T>(
        mem: &'a dyn GuestMemory,
        base: u32,
        offset: u32,
    ) -> Result<GuestPtr<'a, T>, GuestError> {
        let at = crate::error::or_overflow(base.checked_add(offset))?;
        Ok(GuestPtr::new(mem, at))
    }

    /// Reads one field, naming the record and field in any error.
    #[inline]
    pub fn read_field<'a, T: GuestType<'a>>(
        mem: &'a dyn GuestMemory,
        base: u32,
        offset: u32,
        typename: &'static str,
        field: &'static str,
    ) -> Result<T, GuestError> {
        field_ptr::<T>(mem, base, offset)
            .and_then(|p| p.read())
            .map_err(|e| e.in_data_field(typename, field))
    }

    /// Copies a whole record of `size` bytes at `base` out of `mem` in one
    /// check-and-copy (alignment, arithmetic, bounds, borrows) and decodes
    /// it with `decode`.
    ///
    /// # Errors
    ///
    /// The check's error, unwrapped; `decode`'s result is returned as is.
    #[inline]
    pub fn read_record<T>(
        mem: &dyn GuestMemory,
        base: u32,
        size: u32,
        align: u32,
        decode: impl FnOnce(&[u8]) -> Result<T, GuestError>,
    ) -> Result<Result<T, GuestError>, GuestError> {
        let r = crate::memory::checked_region(base, size)?;
        crate::ptr::check_align(r, align as usize)?;
        crate::guest_type::with_guest_bytes(mem, r, decode)
    }

    /// Decodes one field from its record's copied bytes, naming the record
    /// and field in any error.
    #[inline]
    pub fn decode_field<'a, T: GuestType<'a>>(
        mem: &'a dyn GuestMemory,
        base: u32,
        bytes: &[u8],
        offset: u32,
        typename: &'static str,
        field: &'static str,
    ) -> Result<T, GuestError> {
        let p = field_ptr::<T>(mem, base, offset).map_err(|e| e.in_data_field(typename, field))?;
        let start = offset as usize;
        let field_bytes = start
            .checked_add(T::guest_size() as usize)
            .and_then(|end| bytes.get(start..end));
        match field_bytes {
            Some(b) => T::decode(&p, b),
            // The record's layout and the field's size disagree (a wrong
            // hand-written `GuestLayout`): read the field from memory.
            None => p.read(),
        }
        .map_err(|e| e.in_data_field(typename, field))
    }

    /// Checks that a whole record, trailing padding included, is in bounds,
    /// once each field has been read; an error is reported against the last
    /// field, which the padding follows.
    #[inline]
    pub fn check_record(
        mem: &dyn GuestMemory,
        base: u32,
        size: u32,
        typename: &'static str,
        fields: &[&'static str],
    ) -> Result<(), GuestError> {
        match crate::ptr::array_bytes(mem.base(), base, 1, size, 1) {
            Ok(_) => Ok(()),
            Err(e) => Err(e.in_data_field(typename, fields.last().copied().unwrap_or(""))),
        }
    }

    /// Writes one field into a record's scratch encoding.
    #[inline]
    pub fn write_field<'a, T: GuestType<'a>>(
        scratch: &OwnedMemory,
        offset: u32,
        val: T,
        typename: &'static str,
        field: &'static str,
    ) -> Result<(), GuestError> {
        T::write(&GuestPtr::new(scratch, offset), val).map_err(|e| e.in_data_field(typename, field))
    }

    /// Fails to compile unless `T` is transparent.
    pub const fn assert_transparent<'a, T: crate::GuestTypeTransparent<'a>>() {}
}

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
        }
    };
}

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
/// assert!(matches!(err, GuestError::InDataField { field: "buf_len", .. }));
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
            fn decode(ptr: &$crate::GuestPtr<$gt, Self>, bytes: &[u8]) -> ::core::result::Result<Self, $crate::GuestError> {
                let _ = bytes; // unused when the record has no fields
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
            fn write(ptr: &$crate::GuestPtr<'_, Self>, val: Self) -> ::core::result::Result<(), $crate::GuestError> {
                $crate::__private::write_via_scratch(
                    ptr.mem(),
                    ptr.offset(),
                    1,
                    <Self as $crate::GuestLayout>::GUEST_SIZE,
                    <Self as $crate::GuestLayout>::GUEST_ALIGN as usize,
                    |scratch| {
                        $(
                            $crate::__private::write_field(
                                scratch,
                                const { Self::guest_offset_of(::core::stringify!($field)) },
                                val.$field,
                                ::core::stringify!($name),
                                ::core::stringify!($field),
                            )?;
                        )*
                        ::core::result::Result::Ok(())
                    },
                )
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
