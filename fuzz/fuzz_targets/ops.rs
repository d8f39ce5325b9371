//! Random sequences of reads, writes, views, copies and pointer arithmetic
//! on one memory, each result checked against a plain model: the bytes
//! (a write that succeeded is visible; one that failed changed nothing) and
//! the live views (a granted view never overlaps a conflicting live one;
//! every refusal names a real conflict).
#![no_main]

use guest_memory::{
    GuestError, GuestMemory, GuestPtr, GuestSlice, GuestSliceMut, GuestStr, GuestStrMut,
    OwnedMemory, Region,
};
use libfuzzer_sys::fuzz_target;

/// Reads the fuzz input as a stream of small numbers.
struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }
    fn u16(&mut self) -> u16 {
        u16::from(self.byte().unwrap_or(0)) | u16::from(self.byte().unwrap_or(0)) << 8
    }
    fn u32(&mut self) -> u32 {
        u32::from(self.u16()) | u32::from(self.u16()) << 16
    }
    /// An offset: usually near the memory, sometimes anywhere.
    fn offset(&mut self, size: usize) -> u32 {
        match self.byte().unwrap_or(0) % 8 {
            0 => self.u32(),
            1 => u32::MAX - u32::from(self.byte().unwrap_or(0)),
            _ => u32::from(self.u16()) % (size as u32 + 16),
        }
    }
    /// A length: usually small, sometimes huge.
    fn len(&mut self) -> u32 {
        match self.byte().unwrap_or(0) % 8 {
            0 => self.u32(),
            _ => u32::from(self.byte().unwrap_or(0)),
        }
    }
}

// Each variant is held for the borrow it keeps, and sometimes written through.
#[allow(dead_code)]
enum View<'m> {
    Slice(GuestSlice<'m, u8>),
    SliceMut(GuestSliceMut<'m, u8>),
    Str(GuestStr<'m>),
    StrMut(GuestStrMut<'m>),
}

struct Live<'m> {
    region: Region,
    exclusive: bool,
    view: View<'m>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Want {
    Ok,
    Overflow,
    NotAligned,
    OutOfBounds,
    Borrowed,
}

fn class(e: &GuestError) -> Want {
    match e {
        GuestError::PtrOverflow => Want::Overflow,
        GuestError::PtrNotAligned(..) => Want::NotAligned,
        GuestError::PtrOutOfBounds(_) => Want::OutOfBounds,
        GuestError::PtrBorrowed(_) => Want::Borrowed,
        other => panic!("unexpected error {other:?}"),
    }
}

fn check<T: std::fmt::Debug>(what: &str, got: &Result<T, GuestError>, want: Want) {
    let got_class = match got {
        Ok(_) => Want::Ok,
        Err(e) => class(e),
    };
    assert_eq!(got_class, want, "{what}: got {got:?}");
}

struct Model {
    bytes: Vec<u8>,
}

impl Model {
    fn conflict(&self, views: &[Live<'_>], r: Region, write: bool) -> bool {
        views
            .iter()
            .any(|v| (write || v.exclusive) && v.region.overlaps(r))
    }

    /// What a primitive access of `len` bytes, aligned to `align`, gives.
    fn primitive(&self, views: &[Live<'_>], offset: u32, len: u32, write: bool) -> Want {
        if offset % len != 0 {
            return Want::NotAligned;
        }
        self.region(views, offset, len, write)
    }

    /// What a checked access to `len` bytes at `offset` (alignment 1) gives.
    fn region(&self, views: &[Live<'_>], offset: u32, len: u32, write: bool) -> Want {
        let end = u64::from(offset) + u64::from(len);
        if end > 1 << 32 {
            Want::Overflow
        } else if end > self.bytes.len() as u64 {
            Want::OutOfBounds
        } else if self.conflict(views, Region::new(offset, len), write) {
            Want::Borrowed
        } else {
            Want::Ok
        }
    }

    fn range(&self, offset: u32, len: usize) -> std::ops::Range<usize> {
        offset as usize..offset as usize + len
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let size = usize::from(input.u16() % 2048);
    let mut model = Model {
        bytes: vec![0; size],
    };
    let mem = OwnedMemory::new(size);
    let mut views: Vec<Live<'_>> = Vec::new();

    while let Some(op) = input.byte() {
        match op % 12 {
            0 | 1 => {
                // A primitive write or read of 1, 2, 4 or 8 bytes.
                let width = 1u32 << (input.byte().unwrap_or(0) % 4);
                let at = input.offset(size);
                let write = op % 12 == 0;
                let want = model.primitive(&views, at, width, write);
                let value = u64::from(input.u32()) << 32 | u64::from(input.u32());
                let got: Result<u64, GuestError> = match (width, write) {
                    (1, true) => mem.ptr::<u8>(at).write(value as u8).map(|()| 0),
                    (2, true) => mem.ptr::<u16>(at).write(value as u16).map(|()| 0),
                    (4, true) => mem.ptr::<u32>(at).write(value as u32).map(|()| 0),
                    (_, true) => mem.ptr::<u64>(at).write(value).map(|()| 0),
                    (1, false) => mem.ptr::<u8>(at).read().map(u64::from),
                    (2, false) => mem.ptr::<u16>(at).read().map(u64::from),
                    (4, false) => mem.ptr::<u32>(at).read().map(u64::from),
                    (_, false) => mem.ptr::<u64>(at).read(),
                };
                check("primitive", &got, want);
                if let Ok(v) = got {
                    let r = model.range(at, width as usize);
                    if write {
                        model.bytes[r].copy_from_slice(&value.to_le_bytes()[..width as usize]);
                    } else {
                        let mut le = [0u8; 8];
                        le[..width as usize].copy_from_slice(&model.bytes[r]);
                        assert_eq!(v, u64::from_le_bytes(le), "read at {at}");
                    }
                }
            }
            2 | 3 | 4 | 5 => {
                // Take a view and keep it.
                let (at, len) = (input.offset(size), input.len());
                let exclusive = op % 2 == 1;
                let want = model.region(&views, at, len, exclusive);
                let region = Region::new(at, len);
                let is_str = op % 12 >= 4;
                let utf8 = want == Want::Ok
                    && std::str::from_utf8(&model.bytes[model.range(at, len as usize)]).is_ok();
                let view = match (is_str, exclusive) {
                    (false, false) => mem
                        .ptr::<[u8]>((at, len))
                        .as_slice()
                        .map(|v| View::Slice(v.unwrap())),
                    (false, true) => mem
                        .ptr::<[u8]>((at, len))
                        .as_slice_mut()
                        .map(|v| View::SliceMut(v.unwrap())),
                    (true, false) => mem
                        .ptr::<str>((at, len))
                        .as_str()
                        .map(|v| View::Str(v.unwrap())),
                    (true, true) => mem
                        .ptr::<str>((at, len))
                        .as_str_mut()
                        .map(|v| View::StrMut(v.unwrap())),
                };
                match view {
                    Ok(view) => {
                        assert_eq!(want, Want::Ok, "view of {region:?} granted");
                        assert!(!is_str || utf8);
                        views.push(Live {
                            region,
                            exclusive,
                            view,
                        });
                    }
                    Err(GuestError::InvalidUtf8(_)) => assert!(is_str && want == Want::Ok && !utf8),
                    Err(e) => assert_eq!(class(&e), want, "view of {region:?}: {e}"),
                }
            }
            6 => {
                if !views.is_empty() {
                    let i = usize::from(input.byte().unwrap_or(0)) % views.len();
                    views.swap_remove(i);
                }
            }
            7 => {
                // Change the bytes through a live exclusive view.
                let fill = input.byte().unwrap_or(0);
                if let Some(v) = views.iter_mut().find(|v| v.exclusive) {
                    let r = model.range(v.region.start, v.region.len as usize);
                    match &mut v.view {
                        View::SliceMut(s) => {
                            s.fill(fill);
                            model.bytes[r].fill(fill);
                        }
                        View::StrMut(s) => {
                            s.make_ascii_uppercase();
                            model.bytes[r].make_ascii_uppercase();
                        }
                        _ => unreachable!(),
                    }
                }
            }
            8 => {
                // Copy out.
                let (at, len) = (input.offset(size), input.len());
                let want = model.region(&views, at, len, false);
                let got = mem.ptr::<[u8]>((at, len)).to_vec();
                check("to_vec", &got, want);
                if let Ok(v) = got {
                    assert_eq!(v[..], model.bytes[model.range(at, len as usize)]);
                }
            }
            9 => {
                // Copy in, all or nothing.
                let (at, len) = (input.offset(size), input.byte().unwrap_or(0));
                let src: Vec<u8> = (0..len).map(|i| i ^ 0x5a).collect();
                let short = input.byte().unwrap_or(0) % 8 == 0;
                let got = mem
                    .ptr::<[u8]>((at, u32::from(len) + u32::from(short)))
                    .copy_from_slice(&src);
                if short {
                    assert!(matches!(got, Err(GuestError::SliceLengthsDiffer)));
                } else {
                    check(
                        "copy_from_slice",
                        &got,
                        model.region(&views, at, u32::from(len), true),
                    );
                    if got.is_ok() {
                        let r = model.range(at, src.len());
                        model.bytes[r].copy_from_slice(&src);
                    }
                }
            }
            10 => {
                // Pointer arithmetic.
                let (at, n) = (input.u32(), input.u32());
                let p = mem.ptr::<u32>(at);
                let want = n.checked_mul(4).and_then(|b| at.checked_add(b));
                assert_eq!(p.add(n).ok().map(|q| q.offset()), want);
                let arr = p.as_array(n);
                let (a, b) = (
                    input.u32() % (n.saturating_add(2)),
                    input.u32() % (n.saturating_add(2)),
                );
                let got = arr.get_range(a..b).map(|q| q.offset());
                let want = (a <= b && b <= n)
                    .then(|| {
                        a.checked_mul(4)
                            .and_then(|x| at.checked_add(x))
                            .map(|s| (s, b - a))
                    })
                    .flatten();
                assert_eq!(got, want);
            }
            _ => {
                // A pointer stored in guest memory, then used.
                let at = input.offset(size);
                let want = model.primitive(&views, at, 4, false);
                let got = mem.ptr::<GuestPtr<u8>>(at).read();
                check("pointer read", &got, want);
                if let Ok(p) = got {
                    let stored =
                        u32::from_le_bytes(model.bytes[model.range(at, 4)].try_into().unwrap());
                    assert_eq!(p.offset(), stored);
                    let want = model.primitive(&views, stored, 1, false);
                    let got = p.read();
                    check("through a stored pointer", &got, want);
                    if let Ok(b) = got {
                        assert_eq!(b, model.bytes[stored as usize]);
                    }
                }
            }
        }
    }
    drop(views);
    assert!(!mem.has_outstanding_borrows(), "a borrow leaked");
    assert_eq!(
        mem.ptr::<[u8]>((0, size as u32)).to_vec().unwrap(),
        model.bytes
    );
});
