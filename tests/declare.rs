//! The declaration macros: WASI record layouts against hand-computed wasm32
//! C layouts, round trips, every error path, and all 256 bit patterns of a
//! `u8` flags type.

use guest_memory::{
    GuestError, GuestLayout, GuestMemory, GuestType, OwnedMemory, Region, guest_flags, guest_struct,
};

// The WASI records the example host uses, checked here against the layouts
// the WASI spec gives; the records below are this test's own.
#[allow(dead_code)]
#[path = "../examples/wasi_run/wasi/types.rs"]
mod wasi_types;

use wasi_types::{
    Ciovec, Clockid, Errno, Event, EventFdReadwrite, Eventrwflags, Eventtype, Fdflags, Fdstat,
    Filetype, Iovec, Prestat, Rights, Subclockflags, Subscription, SubscriptionClock,
};

guest_struct! {
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub struct Filestat {
        pub dev: u64,
        pub ino: u64,
        pub filetype: Filetype,
        pub nlink: u64,
        pub size: u64,
        pub atim: u64,
        pub mtim: u64,
        pub ctim: u64,
    }
}

guest_struct! {
    /// Padding in the middle (after `a`) and at the end (after `c`).
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub struct Padded { pub a: u8, pub b: u32, pub c: u16 }
}

guest_struct! {
    /// Arrays and nested records as fields.
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub struct Nested { pub tag: [u8; 3], pub inner: Padded, pub words: [u16; 2] }
}

guest_struct! {
    #[guest(transparent)]
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub struct Pair { pub lo: u32, pub hi: u32 }
}

/// `(size, align)`, checking the constants agree with `GuestType`.
fn layout<T: GuestLayout + GuestType<'static>>() -> (u32, u32) {
    assert_eq!(T::guest_size(), T::GUEST_SIZE);
    assert_eq!(T::guest_align(), T::GUEST_ALIGN as usize);
    (T::GUEST_SIZE, T::GUEST_ALIGN)
}

// Checked at compile time too, as a host would against the spec.
const _: () = assert!(Fdstat::GUEST_SIZE == 24 && Fdstat::guest_offset_of("fs_rights_base") == 8);
const _: () = assert!(Subscription::GUEST_SIZE == 48 && Event::GUEST_SIZE == 32);

#[test]
fn wasi_layouts_match_the_c_abi() {
    assert_eq!(layout::<Iovec<'static>>(), (8, 4));
    assert_eq!(
        (
            Iovec::guest_offset_of("buf"),
            Iovec::guest_offset_of("buf_len")
        ),
        (0, 4)
    );
    assert_eq!(layout::<Ciovec<'static>>(), (8, 4));
    assert_eq!(Ciovec::guest_offset_of("buf_len"), 4);

    assert_eq!(layout::<Fdstat>(), (24, 8));
    let f = |n| Fdstat::guest_offset_of(n);
    assert_eq!(
        [
            f("fs_filetype"),
            f("fs_flags"),
            f("fs_rights_base"),
            f("fs_rights_inheriting")
        ],
        [0, 2, 8, 16]
    );

    assert_eq!(layout::<Prestat>(), (8, 4));
    assert_eq!(Prestat::guest_offset_of("pr_name_len"), 4);

    assert_eq!(layout::<SubscriptionClock>(), (32, 8));
    let f = |n| SubscriptionClock::guest_offset_of(n);
    assert_eq!(
        [f("id"), f("timeout"), f("precision"), f("flags")],
        [0, 8, 16, 24]
    );
    assert_eq!(layout::<Subscription>(), (48, 8));
    let f = |n| Subscription::guest_offset_of(n);
    assert_eq!([f("userdata"), f("tag"), f("u")], [0, 8, 16]);

    assert_eq!(layout::<EventFdReadwrite>(), (16, 8));
    assert_eq!(EventFdReadwrite::guest_offset_of("flags"), 8);
    assert_eq!(layout::<Event>(), (32, 8));
    let f = |n| Event::guest_offset_of(n);
    assert_eq!(
        [f("userdata"), f("error"), f("type_"), f("fd_readwrite")],
        [0, 8, 10, 16]
    );

    assert_eq!(layout::<Filestat>(), (64, 8));
    let f = |n| Filestat::guest_offset_of(n);
    assert_eq!(
        [
            f("dev"),
            f("ino"),
            f("filetype"),
            f("nlink"),
            f("size"),
            f("atim"),
            f("mtim"),
            f("ctim")
        ],
        [0, 8, 16, 24, 32, 40, 48, 56]
    );

    assert_eq!(layout::<Padded>(), (12, 4));
    assert_eq!(
        [
            Padded::guest_offset_of("a"),
            Padded::guest_offset_of("b"),
            Padded::guest_offset_of("c")
        ],
        [0, 4, 8]
    );
    assert_eq!(layout::<Nested>(), (20, 4));
    let f = |n| Nested::guest_offset_of(n);
    assert_eq!([f("tag"), f("inner"), f("words")], [0, 4, 16]);
    assert_eq!(layout::<Pair>(), (8, 4));
}

#[test]
fn records_round_trip_and_land_where_c_puts_them() {
    let mut mem = OwnedMemory::new(256);
    let fdstat = Fdstat {
        fs_filetype: Filetype::CharacterDevice,
        fs_flags: Fdflags::APPEND | Fdflags::SYNC,
        fs_rights_base: Rights::FD_READ | Rights::FD_WRITE,
        fs_rights_inheriting: Rights::empty(),
    };
    mem.ptr::<Fdstat>(8).write(fdstat).unwrap();
    assert_eq!(mem.ptr::<Fdstat>(8).read().unwrap(), fdstat);
    let sub = Subscription {
        userdata: 0x1122_3344_5566_7788,
        tag: Eventtype::Clock,
        u: [0; 4],
    };
    let clock = SubscriptionClock {
        id: Clockid::Monotonic,
        timeout: 5,
        precision: 6,
        flags: Subclockflags::SUBSCRIPTION_CLOCK_ABSTIME,
    };
    mem.ptr::<Subscription>(64).write(sub).unwrap();
    let union = mem
        .ptr::<Subscription>(64)
        .fields()
        .unwrap()
        .u
        .cast::<SubscriptionClock>();
    union.write(clock).unwrap();
    assert_eq!(union.read().unwrap(), clock);
    assert_eq!(
        mem.ptr::<Subscription>(64).read().unwrap().tag,
        Eventtype::Clock
    );
    let ev = Event {
        userdata: 9,
        error: Errno::Inval,
        type_: Eventtype::FdWrite,
        fd_readwrite: EventFdReadwrite {
            nbytes: 100,
            flags: Eventrwflags::FD_READWRITE_HANGUP,
        },
    };
    mem.ptr::<Event>(112).write(ev).unwrap();
    assert_eq!(mem.ptr::<Event>(112).read().unwrap(), ev);
    let nested = Nested {
        tag: *b"abc",
        inner: Padded { a: 1, b: 2, c: 3 },
        words: [4, 5],
    };
    mem.ptr::<Nested>(144).write(nested).unwrap();
    assert_eq!(mem.ptr::<Nested>(144).read().unwrap(), nested);
    let iov = Iovec {
        buf: mem.ptr(200),
        buf_len: 16,
    };
    mem.ptr::<Iovec>(168).write(iov).unwrap();
    let back = mem.ptr::<Iovec>(168).read().unwrap();
    assert_eq!((back.buf.offset(), back.buf_len), (200, 16));

    let b = mem.as_bytes_mut();
    assert_eq!(
        &b[8..32],
        &[
            2, 0, 17, 0, 0, 0, 0, 0, 66, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
        ]
    );
    assert_eq!(&b[64..72], &0x1122_3344_5566_7788u64.to_le_bytes());
    assert_eq!((b[72], b[80], b[88], b[96], b[104]), (0, 1, 5, 6, 1));
    assert_eq!((b[120], b[122], b[128], b[136]), (28, 2, 100, 1));
    assert_eq!(
        &b[144..164],
        &[
            b'a', b'b', b'c', 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 5, 0
        ]
    );
    assert_eq!(&b[168..176], &[200, 0, 0, 0, 16, 0, 0, 0]);
}

#[test]
fn field_pointers_reach_each_field() {
    let mem = OwnedMemory::new(128);
    let ev = mem.ptr::<Event>(32);
    let fields = ev.fields().unwrap();
    assert_eq!(fields.userdata.offset(), 32);
    assert_eq!(fields.error.offset(), 40);
    assert_eq!(fields.type_.offset(), 42);
    assert_eq!(fields.fd_readwrite.offset(), 48);
    fields.type_.write(Eventtype::FdRead).unwrap();
    fields
        .fd_readwrite
        .fields()
        .unwrap()
        .nbytes
        .write(77)
        .unwrap();
    let read = ev.read().unwrap();
    assert_eq!(
        (read.type_, read.fd_readwrite.nbytes),
        (Eventtype::FdRead, 77)
    );
    // A record that would run past the address space has no field pointers.
    assert!(matches!(
        mem.ptr::<Event>(u32::MAX - 16).fields(),
        Err(GuestError::PtrOverflow)
    ));
    assert!(mem.ptr::<Event>(u32::MAX - 31).fields().is_ok());
}

fn field_error(err: GuestError) -> (String, &'static str, GuestError) {
    match err {
        GuestError::InDataField(c) => {
            let guest_memory::DataFieldContext {
                typename,
                field,
                err,
                ..
            } = *c;
            (typename, field, err)
        }
        other => panic!("not a field error: {other:?}"),
    }
}

#[test]
fn read_errors_name_the_record_and_the_field() {
    let mem = OwnedMemory::new(64);
    // Straddles the end: the first field that does not fit is named.
    let (ty, field, inner) = field_error(mem.ptr::<Padded>(56).read().unwrap_err());
    assert_eq!((ty.as_str(), field), ("Padded", "c"));
    assert!(matches!(inner, GuestError::PtrOutOfBounds(r) if r == Region::new(64, 2)));
    // Every field fits, but the trailing padding runs past the end: the
    // record as a whole does not fit (a write would fail the same way).
    let short = OwnedMemory::new(62);
    let (ty, field, inner) = field_error(short.ptr::<Padded>(52).read().unwrap_err());
    assert_eq!((ty.as_str(), field), ("Padded", "c"));
    assert!(matches!(inner, GuestError::PtrOutOfBounds(r) if r == Region::new(52, 12)));
    assert!(matches!(
        short.ptr::<Padded>(52).write(Padded { a: 0, b: 0, c: 0 }),
        Err(GuestError::PtrOutOfBounds(_))
    ));
    // Misaligned.
    let (ty, field, inner) = field_error(mem.ptr::<Padded>(2).read().unwrap_err());
    assert_eq!((ty.as_str(), field), ("Padded", "b"));
    assert!(matches!(inner, GuestError::PtrNotAligned(_, 4)));
    // At the top of the address space: the first field is simply out of
    // bounds (and the second's offset would not even fit in a u32).
    let (_, field, inner) = field_error(mem.ptr::<Padded>(u32::MAX - 3).read().unwrap_err());
    assert_eq!(field, "a");
    assert!(matches!(inner, GuestError::PtrOutOfBounds(r) if r == Region::new(u32::MAX - 3, 1)));
    // A bad enum value, nested two records deep.
    mem.ptr::<u8>(42).write(9).unwrap(); // Event.type_ at 32 + 10
    let (ty, field, inner) = field_error(mem.ptr::<Event>(32).read().unwrap_err());
    assert_eq!((ty.as_str(), field), ("Event", "type_"));
    assert!(matches!(inner, GuestError::InvalidEnumValue("Eventtype")));
    // A bad flags value in a nested record.
    mem.ptr::<u8>(42).write(1).unwrap();
    mem.ptr::<u16>(56).write(2).unwrap(); // Event.fd_readwrite.flags at 32 + 16 + 8
    let (_, field, inner) = field_error(mem.ptr::<Event>(32).read().unwrap_err());
    assert_eq!(field, "fd_readwrite");
    let (ty, field, inner) = field_error(inner);
    assert_eq!((ty.as_str(), field), ("EventFdReadwrite", "flags"));
    assert!(matches!(
        inner,
        GuestError::InvalidFlagValue("Eventrwflags")
    ));
    // A bad enum discriminant in a u32 enum.
    mem.ptr::<u32>(0).write(4).unwrap();
    let (_, field, inner) = field_error(mem.ptr::<SubscriptionClock>(0).read().unwrap_err());
    assert_eq!(field, "id");
    assert!(matches!(inner, GuestError::InvalidEnumValue("Clockid")));
    assert!(matches!(
        Clockid::try_from(7u32),
        Err(GuestError::InvalidEnumValue("Clockid"))
    ));
}

#[test]
fn failed_record_writes_change_nothing() {
    let mut mem = OwnedMemory::from(vec![0x5a; 64]);
    let p = Padded { a: 1, b: 2, c: 3 };
    {
        // The last field would run past the end.
        assert!(matches!(
            mem.ptr::<Padded>(56).write(p),
            Err(GuestError::PtrOutOfBounds(_))
        ));
        assert!(matches!(
            mem.ptr::<Padded>(2).write(p),
            Err(GuestError::PtrNotAligned(_, 4))
        ));
        assert!(matches!(
            mem.ptr::<Padded>(u32::MAX - 3).write(p),
            Err(GuestError::PtrOverflow)
        ));
        // A borrow over the middle field only.
        let view = mem.ptr::<[u8]>((20, 1)).as_slice().unwrap().unwrap();
        assert!(matches!(
            mem.ptr::<Padded>(16).write(p),
            Err(GuestError::PtrBorrowed(_))
        ));
        let arr = [p; 2];
        assert!(matches!(
            mem.ptr::<[Padded]>((8, 2)).copy_from_slice(&arr),
            Err(GuestError::PtrBorrowed(_))
        ));
        drop(view);
    }
    assert!(mem.as_bytes_mut().iter().all(|&b| b == 0x5a));
    mem.ptr::<Padded>(16).write(p).unwrap();
    assert_eq!(
        &mem.as_bytes_mut()[16..28],
        &[1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0]
    );
}

guest_flags! {
    pub struct Small: u8 {
        const A = 1;
        const B = 1 << 1;
        const C = 1 << 2;
        const F = 1 << 5;
    }
}

#[test]
fn every_u8_bit_pattern_of_a_flags_type() {
    let mem = OwnedMemory::new(1);
    let known = 0b0010_0111u8;
    let mut accepted = 0;
    for bits in 0..=u8::MAX {
        mem.ptr::<u8>(0).write(bits).unwrap();
        match mem.ptr::<Small>(0).read() {
            Ok(flags) => {
                assert_eq!(bits & !known, 0, "{bits:#010b} accepted");
                assert_eq!(flags.bits(), bits);
                accepted += 1;
            }
            Err(GuestError::InvalidFlagValue(name)) => {
                assert_ne!(bits & !known, 0, "{bits:#010b} refused");
                assert_eq!(name, "Small");
            }
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(accepted, 16);
    mem.ptr::<Small>(0).write(Small::A | Small::F).unwrap();
    assert_eq!(mem.ptr::<u8>(0).read().unwrap(), 0b0010_0001);
}

#[test]
fn enums_convert_both_ways() {
    for v in 0..=u8::MAX {
        match Filetype::try_from(v) {
            Ok(t) => assert_eq!(u8::from(t), v),
            Err(e) => {
                assert!(v > 7);
                assert!(matches!(e, GuestError::InvalidEnumValue("Filetype")));
            }
        }
    }
}

#[cfg(target_endian = "little")]
#[test]
fn transparent_records_get_zero_copy_slices() {
    let mem = OwnedMemory::new(64);
    mem.ptr::<[Pair]>((8, 3))
        .copy_from_slice(&[
            Pair { lo: 1, hi: 2 },
            Pair { lo: 3, hi: 4 },
            Pair { lo: 5, hi: 6 },
        ])
        .unwrap();
    {
        let mut pairs = mem.ptr::<[Pair]>((8, 3)).as_slice_mut().unwrap().unwrap();
        assert_eq!(pairs[2], Pair { lo: 5, hi: 6 });
        pairs[0].hi = 9;
    }
    assert_eq!(mem.ptr::<u32>(12).read().unwrap(), 9);
    assert_eq!(
        mem.ptr::<[Pair]>((8, 3)).to_vec().unwrap()[0],
        Pair { lo: 1, hi: 9 }
    );
    assert!(matches!(
        mem.ptr::<[Pair]>((2, 1)).as_slice(),
        Err(GuestError::PtrNotAligned(_, 4))
    ));
}

/// Records, arrays of records and arrays of numbers are copied out in one
/// step, in place where the memory allows it (bound to this thread, no
/// conflicting borrow) and under the tracker's lock otherwise: both ways
/// honour the borrows held, and a bound memory refuses other threads.
#[test]
fn record_and_array_reads_honour_borrows_on_both_paths() {
    use guest_memory::{LocalSliceMemory, SliceMemory};
    let pads = [
        Padded { a: 1, b: 2, c: 3 },
        Padded { a: 4, b: 5, c: 6 },
        Padded { a: 7, b: 8, c: 9 },
    ];
    for bound in [true, false] {
        let mut bytes = vec![0u8; 256];
        let (local, any);
        let mem: &dyn GuestMemory = if bound {
            local = LocalSliceMemory::new(&mut bytes);
            &*local
        } else {
            any = SliceMemory::new(&mut bytes);
            &any
        };
        let mem = &mem;
        let records = mem.ptr::<[Padded]>((16, 3));
        records.copy_from_slice(&pads).unwrap();
        let words = mem.ptr::<[u32]>((128, 4));
        words.copy_from_slice(&[10, 11, 12, 13]).unwrap();

        // A mut borrow elsewhere: every read goes through.
        let elsewhere = mem.ptr::<[u8]>((200, 8)).as_slice_mut().unwrap().unwrap();
        assert_eq!(records.to_vec().unwrap(), pads, "bound: {bound}");
        assert_eq!(mem.ptr::<Padded>(28).read().unwrap(), pads[1]);
        assert_eq!(words.to_vec().unwrap(), [10, 11, 12, 13]);

        // A shared borrow over them: reads still go through.
        let shared = mem.ptr::<[u8]>((16, 128)).as_slice().unwrap().unwrap();
        assert_eq!(records.to_vec().unwrap(), pads);
        assert_eq!(words.to_vec().unwrap(), [10, 11, 12, 13]);
        drop(shared);

        // A mut borrow over the second record and the third word: the
        // arrays and that record are refused, the first record is not.
        let over = mem.ptr::<[u8]>((33, 1)).as_slice_mut().unwrap().unwrap();
        let over_word = mem.ptr::<[u8]>((137, 2)).as_slice_mut().unwrap().unwrap();
        for err in [
            records.to_vec().unwrap_err(),
            mem.ptr::<Padded>(28).read().unwrap_err(),
            words.to_vec().unwrap_err(),
            mem.ptr::<[Padded; 3]>(16).read().unwrap_err(),
        ] {
            assert!(
                matches!(err.root_cause(), GuestError::PtrBorrowed(_)),
                "bound: {bound}: {err:?}"
            );
        }
        assert_eq!(mem.ptr::<Padded>(16).read().unwrap(), pads[0]);
        drop((over, over_word, elsewhere));
        assert_eq!(mem.ptr::<[Padded; 3]>(16).read().unwrap(), pads);

        std::thread::scope(|s| {
            s.spawn(|| {
                let got = records.to_vec();
                if bound {
                    assert!(matches!(got, Err(GuestError::WrongThread)), "{got:?}");
                } else {
                    assert_eq!(got.unwrap(), pads);
                }
            });
        });
    }
}

/// A field type of the user's own with only `read` and `write`: records
/// holding it decode and encode it through the provided `decode` /
/// `encode`, and its failures name the field and change nothing.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Odd(u16);

impl GuestLayout for Odd {
    const GUEST_SIZE: u32 = 2;
    const GUEST_ALIGN: u32 = 2;
}

impl<'a> GuestType<'a> for Odd {
    fn guest_size() -> u32 {
        2
    }
    fn guest_align() -> usize {
        2
    }
    fn read(p: &guest_memory::GuestPtr<'a, Self>) -> Result<Self, GuestError> {
        match p.cast::<u16>().read()? {
            v if v % 2 == 1 => Ok(Odd(v)),
            _ => Err(GuestError::InvalidEnumValue("Odd")),
        }
    }
    fn write(p: &guest_memory::GuestPtr<'_, Self>, v: Self) -> Result<(), GuestError> {
        if v.0.is_multiple_of(2) {
            return Err(GuestError::InvalidEnumValue("Odd"));
        }
        p.cast::<u16>().write(v.0)
    }
}

guest_struct! {
    #[derive(Clone, Copy, Debug, PartialEq)]
    pub struct WithOdd { pub n: u32, pub odd: Odd }
}

#[test]
fn a_field_type_with_only_read_and_write_round_trips_and_fails_cleanly() {
    let mut mem = OwnedMemory::from(vec![0x5a; 40]);
    let good = WithOdd { n: 7, odd: Odd(3) };
    let bad = WithOdd { n: 8, odd: Odd(2) };
    mem.ptr::<WithOdd>(8).write(good).unwrap();
    assert_eq!(mem.ptr::<WithOdd>(8).read().unwrap(), good);
    assert_eq!(mem.ptr::<[WithOdd]>((8, 1)).to_vec().unwrap(), [good]);
    for err in [
        mem.ptr::<WithOdd>(16).write(bad).unwrap_err(),
        mem.ptr::<[WithOdd]>((16, 2))
            .copy_from_slice(&[good, bad])
            .unwrap_err(),
    ] {
        let (typename, field, err) = field_error(err);
        assert_eq!((typename.as_str(), field), ("WithOdd", "odd"));
        assert!(matches!(err, GuestError::InvalidEnumValue("Odd")));
    }
    // The good record, padding zeroed; the failed writes changed nothing.
    let bytes = mem.as_bytes_mut();
    assert_eq!(&bytes[8..16], &[7, 0, 0, 0, 3, 0, 0, 0]);
    assert!(bytes[16..].iter().all(|&b| b == 0x5a));
    mem.ptr::<u16>(12).write(4).unwrap();
    let (_, field, _) = field_error(mem.ptr::<WithOdd>(8).read().unwrap_err());
    assert_eq!(field, "odd");
}
