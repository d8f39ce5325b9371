//! Reading, decoding and writing one field of a declared record at run
//! time, for the code `guest_struct!` generates: a field's error is wrapped
//! with the record's and the field's names
//! ([`GuestError::InDataField`](crate::GuestError::InDataField)).

use crate::{GuestError, GuestMemory, GuestPtr, GuestType};

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

/// Reads one field, naming the record and field in any error. Out of line:
/// it serves only the paths where a record's bytes could not be used whole
/// (the record did not fit, or a wrong hand-written `GuestLayout`).
#[cold]
#[inline(never)]
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
/// and field in any error. Every path but the decode itself is out of line,
/// so a field whose decode cannot fail costs no error handling. (The
/// record's `decode` has checked that `base` plus its size fits, so the
/// offset check folds away.)
#[inline(always)]
pub fn decode_field<'a, T: GuestType<'a>>(
    mem: &'a dyn GuestMemory,
    base: u32,
    bytes: &[u8],
    offset: u32,
    typename: &'static str,
    field: &'static str,
) -> Result<T, GuestError> {
    let start = offset as usize;
    let field_bytes = start
        .checked_add(T::guest_size() as usize)
        .and_then(|end| bytes.get(start..end));
    let (Some(at), Some(b)) = (base.checked_add(offset), field_bytes) else {
        // The record's bytes do not hold the field (a wrong hand-written
        // `GuestLayout`), or its offset overflows: read it from memory.
        return read_field(mem, base, offset, typename, field);
    };
    match T::decode(&GuestPtr::new(mem, at), b) {
        Ok(v) => Ok(v),
        Err(e) => Err(in_field(e, typename, field)),
    }
}

/// A field's error wrapped with its record's and its own name, out of line.
#[cold]
#[inline(never)]
fn in_field(e: GuestError, typename: &'static str, field: &'static str) -> GuestError {
    e.in_data_field(typename, field)
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

/// Encodes one field into its record's buffer, naming the record and field
/// in any error (the record's `encode` has checked the buffer's length, so
/// the field's bytes are at constant offsets in it).
#[inline(always)]
pub fn encode_field<'a, T: GuestType<'a>>(
    bytes: &mut [u8],
    offset: u32,
    val: T,
    typename: &'static str,
    field: &'static str,
) -> Result<(), GuestError> {
    let start = offset as usize;
    let field_bytes = start
        .checked_add(T::guest_size() as usize)
        .and_then(|end| bytes.get_mut(start..end));
    let result = match field_bytes {
        Some(b) => T::encode(val, b),
        None => Err(GuestError::SliceLengthsDiffer),
    };
    match result {
        Ok(()) => Ok(()),
        Err(e) => Err(in_field(e, typename, field)),
    }
}

/// Fails to compile unless `T` is transparent.
pub const fn assert_transparent<'a, T: crate::GuestTypeTransparent<'a>>() {}
