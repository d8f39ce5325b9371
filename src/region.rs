//! [`Region`]: a span of guest memory named by a 32-bit offset and length.

use core::fmt;

/// A span of guest memory: `len` bytes starting at guest offset `start`.
///
/// The exclusive end, [`Region::end`], is computed in `u64`, so a region that
/// runs past the 32-bit address space is still represented exactly rather
/// than wrapping around to low addresses.
///
/// # Examples
///
/// ```
/// use guest_memory::Region;
///
/// let a = Region::new(0x10, 8);
/// let b = Region::new(0x14, 8);
/// assert!(a.overlaps(b));
/// assert_eq!(a.end(), 0x18);
/// assert!(!Region::new(0x10, 0).overlaps(a)); // empty regions overlap nothing
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Region {
    /// Guest offset of the first byte.
    pub start: u32,
    /// Length in bytes.
    pub len: u32,
}

impl Region {
    /// A region of `len` bytes starting at `start`.
    #[inline]
    pub const fn new(start: u32, len: u32) -> Self {
        Region { start, len }
    }

    /// One past the last byte, as a `u64` so that it never overflows.
    #[inline]
    pub const fn end(&self) -> u64 {
        self.start as u64 + self.len as u64
    }

    /// `start | len << 32`: how a [`BorrowHandle`](crate::BorrowHandle) and
    /// the tracker's slot hold a region (one expression, so that a borrow
    /// computes it once for both).
    #[inline(always)]
    pub(crate) const fn packed(&self) -> u64 {
        self.start as u64 | (self.len as u64) << 32
    }

    /// Whether the region holds no bytes.
    #[inline]
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether the two regions share at least one byte.
    ///
    /// A zero-length region overlaps nothing, not even a region that contains
    /// its start.
    #[inline]
    pub const fn overlaps(&self, other: Region) -> bool {
        !self.is_empty()
            && !other.is_empty()
            && (self.start as u64) < other.end()
            && (other.start as u64) < self.end()
    }

    /// The region `times` copies of this one long, laid end to end from the
    /// same start, or `None` when that length does not fit in a `u32`.
    ///
    /// This is how an array's region is computed from its element's region:
    /// `Region::new(base, size).extend(count)`.
    ///
    /// ```
    /// use guest_memory::Region;
    ///
    /// assert_eq!(Region::new(8, 4).extend(3), Some(Region::new(8, 12)));
    /// assert_eq!(Region::new(8, 4).extend(u32::MAX), None);
    /// ```
    #[inline]
    pub const fn extend(&self, times: u32) -> Option<Region> {
        match self.len.checked_mul(times) {
            Some(len) => Some(Region::new(self.start, len)),
            None => None,
        }
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "offset {:#x}, length {}", self.start, self.len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlap_is_symmetric_and_exact() {
        let cases = [
            (Region::new(0, 4), Region::new(4, 4), false),
            (Region::new(0, 5), Region::new(4, 4), true),
            (Region::new(4, 4), Region::new(0, 5), true),
            (Region::new(2, 1), Region::new(0, 10), true),
            (Region::new(0, 10), Region::new(10, 0), false),
            (Region::new(5, 0), Region::new(0, 10), false),
            (Region::new(u32::MAX, 1), Region::new(u32::MAX, 1), true),
            (Region::new(u32::MAX, u32::MAX), Region::new(0, 1), false),
            (
                Region::new(u32::MAX, u32::MAX),
                Region::new(u32::MAX - 1, 2),
                true,
            ),
        ];
        for (a, b, want) in cases {
            assert_eq!(a.overlaps(b), want, "{a:?} vs {b:?}");
            assert_eq!(b.overlaps(a), want, "{b:?} vs {a:?}");
        }
    }

    #[test]
    fn end_never_wraps() {
        assert_eq!(Region::new(u32::MAX, u32::MAX).end(), 2 * u32::MAX as u64);
    }

    #[test]
    fn extend_is_checked() {
        assert_eq!(Region::new(1, 0).extend(u32::MAX), Some(Region::new(1, 0)));
        assert_eq!(Region::new(1, 2).extend(0), Some(Region::new(1, 0)));
        assert_eq!(Region::new(1, 0x1_0000).extend(0x1_0000), None);
    }

    #[test]
    fn display_names_offset_and_length() {
        assert_eq!(Region::new(16, 4).to_string(), "offset 0x10, length 4");
    }
}
