//! guest-memory beside wiggle 48, from outside the crate: only the public
//! API, records declared here as a user declares them, memory behind a
//! `black_box`ed `&dyn GuestMemory` (wiggle 48's behind a `black_box`ed
//! `&mut GuestMemory`), the two sides of each goal alternated in one
//! process, medians printed with each goal's ratio.
//!
//! `cargo run --release --manifest-path benches/outside/Cargo.toml`
//! (`--profile release-cu1` for one codegen unit; `BENCH_QUICK=1` for a
//! smoke run; `BENCH_ONLY=NAME ITERS` runs one operation `ITERS` times and
//! exits, for `callgrind.sh`: NAME is `ours_OP` or `w48_OP`).

#[path = "../../timing/mod.rs"]
mod timing;

use std::cell::UnsafeCell;
use std::hint::black_box;

use guest_memory::{
    GuestMemory, GuestPtr, LocalSliceMemory, SharedSliceMemory, guest_enum, guest_flags,
    guest_struct,
};
use timing::{Case, Plan, fmt_ns, measure};

guest_struct! {
    /// An iovec as WASI declares it: 8 bytes, align 4.
    #[derive(Clone, Copy, Debug)]
    pub struct Iovec<'a> {
        pub buf: GuestPtr<'a, u8>,
        pub buf_len: u32,
    }
}

guest_enum! {
    /// What an entry is about.
    pub enum Kind: u8 { Clock = 0, FdRead = 1, FdWrite = 2 }
}

guest_flags! {
    /// What an entry allows.
    pub struct Rights: u16 {
        const READ = 1;
        const WRITE = 1 << 1;
        const SEEK = 1 << 2;
    }
}

guest_struct! {
    /// A record with fields that can be invalid: an enum, a `bool`, flags;
    /// 16 bytes, align 8.
    #[derive(Clone, Copy, Debug)]
    pub struct Entry {
        pub kind: Kind,
        pub ready: bool,
        pub rights: Rights,
        pub len: u32,
        pub id: u64,
    }
}

guest_struct! {
    /// A record holding records: 24 bytes, align 8.
    #[derive(Clone, Copy, Debug)]
    pub struct Nested<'a> {
        pub iov: Iovec<'a>,
        pub entry: Entry,
    }
}

/// The same records for wiggle 48, read field by field as its generated
/// code does.
mod w48 {
    use wiggle48::{GuestError, GuestMemory, GuestPtr, GuestType};

    #[derive(Clone, Copy)]
    pub struct Iovec {
        pub buf: GuestPtr<u8>,
        pub buf_len: u32,
    }

    impl GuestType for Iovec {
        fn guest_size() -> u32 {
            8
        }
        fn guest_align() -> usize {
            4
        }
        fn read(mem: &GuestMemory, p: GuestPtr<Self>) -> Result<Self, GuestError> {
            let at = p.cast::<u8>();
            let buf = mem.read(at.cast::<GuestPtr<u8>>())?;
            let buf_len = mem.read(at.add(4)?.cast::<u32>())?;
            Ok(Iovec { buf, buf_len })
        }
        fn write(mem: &mut GuestMemory, p: GuestPtr<Self>, v: Self) -> Result<(), GuestError> {
            let at = p.cast::<u8>();
            mem.write(at.cast::<GuestPtr<u8>>(), v.buf)?;
            mem.write(at.add(4)?.cast::<u32>(), v.buf_len)
        }
    }

    #[derive(Clone, Copy)]
    #[allow(dead_code)] // read, never looked at
    pub struct Entry {
        pub kind: u8,
        pub ready: bool,
        pub rights: u16,
        pub len: u32,
        pub id: u64,
    }

    impl GuestType for Entry {
        fn guest_size() -> u32 {
            16
        }
        fn guest_align() -> usize {
            8
        }
        fn read(mem: &GuestMemory, p: GuestPtr<Self>) -> Result<Self, GuestError> {
            let at = p.cast::<u8>();
            let kind = mem.read(at)?;
            if kind > 2 {
                return Err(GuestError::InvalidEnumValue("Kind"));
            }
            let ready = mem.read(at.add(1)?)? != 0;
            let rights = mem.read(at.add(2)?.cast::<u16>())?;
            if rights & !7 != 0 {
                return Err(GuestError::InvalidFlagValue("Rights"));
            }
            let len = mem.read(at.add(4)?.cast::<u32>())?;
            let id = mem.read(at.add(8)?.cast::<u64>())?;
            Ok(Entry {
                kind,
                ready,
                rights,
                len,
                id,
            })
        }
        fn write(_: &mut GuestMemory, _: GuestPtr<Self>, _: Self) -> Result<(), GuestError> {
            unimplemented!("not measured")
        }
    }

    #[derive(Clone, Copy)]
    #[allow(dead_code)] // read, never looked at
    pub struct Nested {
        pub iov: Iovec,
        pub entry: Entry,
    }

    impl GuestType for Nested {
        fn guest_size() -> u32 {
            24
        }
        fn guest_align() -> usize {
            8
        }
        fn read(mem: &GuestMemory, p: GuestPtr<Self>) -> Result<Self, GuestError> {
            let at = p.cast::<u8>();
            let iov = mem.read(at.cast::<Iovec>())?;
            let entry = mem.read(at.add(8)?.cast::<Entry>())?;
            Ok(Nested { iov, entry })
        }
        fn write(_: &mut GuestMemory, _: GuestPtr<Self>, _: Self) -> Result<(), GuestError> {
            unimplemented!("not measured")
        }
    }
}

const LEN: u32 = 64 << 10;
const IOVECS_AT: u32 = 0;
const ENTRIES_AT: u32 = 256;
const NESTED_AT: u32 = 768;
const TEXT_AT: u32 = 4096;

/// The guest's bytes: 16 iovecs, 16 entries, 16 nested records, and text.
fn contents() -> Vec<u8> {
    let mut bytes = vec![b'a'; LEN as usize];
    let mem = LocalSliceMemory::new(&mut bytes);
    let iovec = |i: u32| Iovec {
        buf: mem.ptr(8192 + 64 * i),
        buf_len: 64,
    };
    let entry = |i: u32| Entry {
        kind: Kind::try_from((i % 3) as u8).unwrap(),
        ready: i % 2 == 1,
        rights: Rights::from_bits_truncate((i % 8) as u16),
        len: i,
        id: u64::from(i) << 33,
    };
    let iovecs: Vec<Iovec> = (0..16).map(iovec).collect();
    mem.ptr::<[Iovec]>((IOVECS_AT, 16))
        .copy_from_slice(&iovecs)
        .unwrap();
    let entries: Vec<Entry> = (0..16).map(entry).collect();
    mem.ptr::<[Entry]>((ENTRIES_AT, 16))
        .copy_from_slice(&entries)
        .unwrap();
    let nested: Vec<Nested> = (0..16)
        .map(|i| Nested {
            iov: iovec(i),
            entry: entry(i),
        })
        .collect();
    mem.ptr::<[Nested]>((NESTED_AT, 16))
        .copy_from_slice(&nested)
        .unwrap();
    drop(mem);
    bytes
}

/// One operation on each side. Ours take the memory as a host function
/// gets it; wiggle 48's take its `&mut GuestMemory`.
mod ops {
    use super::*;

    pub fn ours_read_u32(m: &dyn GuestMemory) -> u32 {
        ours_read_u32_at(m, 64)
    }
    pub fn w48_read_u32(m: &mut wiggle48::GuestMemory<'_>) -> u32 {
        w48_read_u32_at(m, 64)
    }
    #[inline(always)]
    pub fn ours_read_u32_at(m: &dyn GuestMemory, at: u32) -> u32 {
        GuestPtr::<u32>::new(m, black_box(at)).read().unwrap()
    }
    #[inline(always)]
    pub fn w48_read_u32_at(m: &mut wiggle48::GuestMemory<'_>, at: u32) -> u32 {
        m.read(wiggle48::GuestPtr::<u32>::new(black_box(at)))
            .unwrap()
    }
    pub fn ours_write_u32(m: &dyn GuestMemory) {
        GuestPtr::<u32>::new(m, black_box(64))
            .write(black_box(7))
            .unwrap()
    }
    pub fn w48_write_u32(m: &mut wiggle48::GuestMemory<'_>) {
        m.write(wiggle48::GuestPtr::<u32>::new(black_box(64)), black_box(7))
            .unwrap()
    }
    pub fn ours_as_slice_64(m: &dyn GuestMemory) -> u8 {
        let v = GuestPtr::<[u8]>::new(m, (black_box(128), 64))
            .as_slice()
            .unwrap()
            .unwrap();
        v[0]
    }
    pub fn w48_as_slice_64(m: &mut wiggle48::GuestMemory<'_>) -> u8 {
        let v = m
            .as_slice(wiggle48::GuestPtr::<[u8]>::new((black_box(128), 64)))
            .unwrap()
            .unwrap();
        v[0]
    }
    pub fn ours_as_str_64(m: &dyn GuestMemory) -> usize {
        let s = GuestPtr::<str>::new(m, (black_box(TEXT_AT), 64))
            .as_str()
            .unwrap()
            .unwrap();
        s.len()
    }
    pub fn w48_as_str_64(m: &mut wiggle48::GuestMemory<'_>) -> usize {
        let s = m
            .as_str(wiggle48::GuestPtr::<str>::new((black_box(TEXT_AT), 64)))
            .unwrap()
            .unwrap();
        s.len()
    }
    pub fn ours_iovecs_16(m: &dyn GuestMemory) -> Vec<Iovec<'_>> {
        GuestPtr::<[Iovec]>::new(m, (black_box(IOVECS_AT), 16))
            .to_vec()
            .unwrap()
    }
    pub fn w48_iovecs_16(m: &mut wiggle48::GuestMemory<'_>) -> Vec<w48::Iovec> {
        let p = wiggle48::GuestPtr::<[w48::Iovec]>::new((black_box(IOVECS_AT), 16));
        p.iter()
            .map(|p| m.read(p?))
            .collect::<Result<Vec<_>, _>>()
            .unwrap()
    }
    pub fn ours_entries_16(m: &dyn GuestMemory) -> Vec<Entry> {
        GuestPtr::<[Entry]>::new(m, (black_box(ENTRIES_AT), 16))
            .to_vec()
            .unwrap()
    }
    pub fn w48_entries_16(m: &mut wiggle48::GuestMemory<'_>) -> Vec<w48::Entry> {
        let p = wiggle48::GuestPtr::<[w48::Entry]>::new((black_box(ENTRIES_AT), 16));
        p.iter()
            .map(|p| m.read(p?))
            .collect::<Result<Vec<_>, _>>()
            .unwrap()
    }
    pub fn ours_nested_16(m: &dyn GuestMemory) -> Vec<Nested<'_>> {
        GuestPtr::<[Nested]>::new(m, (black_box(NESTED_AT), 16))
            .to_vec()
            .unwrap()
    }
    pub fn w48_nested_16(m: &mut wiggle48::GuestMemory<'_>) -> Vec<w48::Nested> {
        let p = wiggle48::GuestPtr::<[w48::Nested]>::new((black_box(NESTED_AT), 16));
        p.iter()
            .map(|p| m.read(p?))
            .collect::<Result<Vec<_>, _>>()
            .unwrap()
    }
    /// A host function: the memory made over the engine's bytes, one read.
    pub fn ours_per_call(bytes: &mut [u8]) -> u32 {
        let mem = LocalSliceMemory::new(black_box(bytes));
        GuestPtr::<u32>::new(black_box(&*mem), black_box(64))
            .read()
            .unwrap()
    }
    pub fn w48_per_call(bytes: &mut [u8]) -> u32 {
        let mut mem = wiggle48::GuestMemory::Unshared(black_box(bytes));
        black_box(&mut mem)
            .read(wiggle48::GuestPtr::<u32>::new(black_box(64)))
            .unwrap()
    }
}

/// The memories: ours over the engine's bytes (made once, as for a host
/// call that makes many accesses), wiggle 48's over a copy of them, and a
/// shared memory for each.
struct Env {
    ours: LocalSliceMemory<'static>,
    w48: Vec<u8>,
    cells: &'static [UnsafeCell<u8>],
    ours_shared: SharedSliceMemory<'static>,
    per_call: Vec<u8>,
}

impl Env {
    fn new() -> Self {
        let cells: &'static [UnsafeCell<u8>] =
            Box::leak(contents().into_iter().map(UnsafeCell::new).collect());
        Env {
            ours: LocalSliceMemory::new(Box::leak(contents().into_boxed_slice())),
            w48: contents(),
            cells,
            // SAFETY: the cells are reached only through this memory and
            // wiggle 48's shared memory, both of which access them atomically.
            ours_shared: unsafe { SharedSliceMemory::new(cells) },
            per_call: contents(),
        }
    }

    /// Runs `f` `k` times on ours, as a host function receives it.
    fn ours<R>(&self, k: u64, f: impl Fn(&dyn GuestMemory) -> R) {
        for _ in 0..k {
            black_box(f(black_box(&*self.ours)));
        }
    }

    fn ours_shared<R>(&self, k: u64, f: impl Fn(&dyn GuestMemory) -> R) {
        for _ in 0..k {
            black_box(f(black_box(&self.ours_shared)));
        }
    }

    fn w48<R>(&mut self, k: u64, f: impl Fn(&mut wiggle48::GuestMemory<'_>) -> R) {
        let mut mem = wiggle48::GuestMemory::Unshared(&mut self.w48);
        for _ in 0..k {
            black_box(f(black_box(&mut mem)));
        }
    }

    fn w48_shared<R>(&self, k: u64, f: impl Fn(&mut wiggle48::GuestMemory<'_>) -> R) {
        let mut mem = wiggle48::GuestMemory::Shared(self.cells);
        for _ in 0..k {
            black_box(f(black_box(&mut mem)));
        }
    }
}

/// The goals: the operation, its name for `BENCH_ONLY`, the goal on ours /
/// wiggle 48.
const GOALS: &[(&str, &str, f64)] = &[
    ("read u32", "read_u32", 1.1),
    ("write u32", "write_u32", 1.1),
    ("as_slice 64 B + drop", "as_slice_64", 1.5),
    ("as_str 64 B + drop", "as_str_64", 1.5),
    ("16 iovecs into a Vec", "iovecs_16", 0.5),
    (
        "16 records (enum, bool, flags) into a Vec",
        "entries_16",
        0.5,
    ),
    ("16 nested records into a Vec", "nested_16", 0.5),
    ("per host call: new memory + read u32", "per_call", 1.5),
    ("shared memory: read u32", "shared_read_u32", 1.1),
    ("shared memory: write u32", "shared_write_u32", 1.1),
];

/// Runs `side`'s (`ours` or `w48`) operation `op` `k` times.
fn run(env: &mut Env, side: &str, op: &str, k: u64) {
    use ops::*;
    match (side, op) {
        ("ours", "read_u32") => env.ours(k, ours_read_u32),
        ("w48", "read_u32") => env.w48(k, w48_read_u32),
        ("ours", "write_u32") => env.ours(k, ours_write_u32),
        ("w48", "write_u32") => env.w48(k, w48_write_u32),
        ("ours", "as_slice_64") => env.ours(k, ours_as_slice_64),
        ("w48", "as_slice_64") => env.w48(k, w48_as_slice_64),
        ("ours", "as_str_64") => env.ours(k, ours_as_str_64),
        ("w48", "as_str_64") => env.w48(k, w48_as_str_64),
        ("ours", "iovecs_16") => env.ours(k, |m| ours_iovecs_16(m).len()),
        ("w48", "iovecs_16") => env.w48(k, w48_iovecs_16),
        ("ours", "entries_16") => env.ours(k, ours_entries_16),
        ("w48", "entries_16") => env.w48(k, w48_entries_16),
        ("ours", "nested_16") => env.ours(k, |m| ours_nested_16(m).len()),
        ("w48", "nested_16") => env.w48(k, w48_nested_16),
        ("ours", "per_call") => {
            for _ in 0..k {
                black_box(ours_per_call(&mut env.per_call));
            }
        }
        ("w48", "per_call") => {
            for _ in 0..k {
                black_box(w48_per_call(&mut env.per_call));
            }
        }
        ("ours", "shared_read_u32") => env.ours_shared(k, ours_read_u32),
        ("w48", "shared_read_u32") => env.w48_shared(k, w48_read_u32),
        ("ours", "shared_write_u32") => env.ours_shared(k, ours_write_u32),
        ("w48", "shared_write_u32") => env.w48_shared(k, w48_write_u32),
        _ => panic!("no operation {side}_{op}"),
    }
}

/// Reads of one shared memory from one thread and from two at once (at
/// disjoint offsets); the two-thread throughput over one thread's, for ours
/// and for wiggle 48 beside it (how far code of this size scales here:
/// virtual CPUs may share a core). Samples are ten times the usual length,
/// as starting two threads can take milliseconds.
fn shared_two_threads(env: &Env, plan: &Plan) -> (f64, f64) {
    let ours: &dyn GuestMemory = &env.ours_shared;
    let ours_reads = |at: u32, k: u64| {
        for _ in 0..k {
            black_box(ops::ours_read_u32_at(black_box(ours), at));
        }
    };
    let cells = SharedCells(env.cells);
    let w48_reads = |at: u32, k: u64| {
        let mut mem = wiggle48::GuestMemory::Shared(cells.get());
        for _ in 0..k {
            black_box(ops::w48_read_u32_at(black_box(&mut mem), at));
        }
    };
    let two = |f: &(dyn Fn(u32, u64) + Sync), k: u64| {
        std::thread::scope(|s| {
            s.spawn(|| f(64, k));
            s.spawn(|| f(2048, k));
        });
    };
    let long = Plan {
        sample: plan.sample * 10,
        rounds: plan.rounds,
    };
    let s = measure(
        &mut [
            Case::new("ours, one thread", |k| ours_reads(64, k)),
            Case::new("ours, two threads", |k| two(&ours_reads, k)),
            Case::new("w48, one thread", |k| w48_reads(64, k)),
            Case::new("w48, two threads", |k| two(&w48_reads, k)),
        ],
        &long,
    );
    // Two threads make twice the reads in `median` per k.
    let speedup = |one: f64, two: f64| 2.0 * one / two;
    (
        speedup(s[0].median, s[1].median),
        speedup(s[2].median, s[3].median),
    )
}

/// wiggle 48's shared memory, for the second thread: `&[UnsafeCell<u8>]` is
/// not `Sync`.
#[derive(Clone, Copy)]
struct SharedCells(&'static [UnsafeCell<u8>]);

// SAFETY: the two-thread cases only read the cells, from both threads, and
// nothing else runs meanwhile: no access races a write.
unsafe impl Sync for SharedCells {}

impl SharedCells {
    fn get(self) -> &'static [UnsafeCell<u8>] {
        self.0
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mut env = Env::new();
    if let (Some(name), Some(iters)) = (std::env::var_os("BENCH_ONLY"), args.get(1)) {
        let name = name.into_string().expect("a UTF-8 name");
        let (side, op) = name.split_once('_').expect("ours_OP or w48_OP");
        run(&mut env, side, op, iters.parse().expect("ITERS"));
        return;
    }
    let plan = Plan::from_env();
    println!(
        "| {:<42} | {:>9} | {:>9} | {:>16} | {:>6} |",
        "operation (median)", "ours", "wiggle 48", "ours / wiggle 48", "goal"
    );
    println!(
        "|{:-<44}|{:-<11}|{:-<11}|{:-<18}|{:-<8}|",
        "", "", "", "", ""
    );
    let (ours_scaling, w48_scaling) = shared_two_threads(&env, &plan);
    let env = std::cell::RefCell::new(env);
    for &(what, op, goal) in GOALS {
        let mut cases = [
            Case::new("ours", |k| run(&mut env.borrow_mut(), "ours", op, k)),
            Case::new("w48", |k| run(&mut env.borrow_mut(), "w48", op, k)),
        ];
        let stats = measure(&mut cases, &plan);
        let ratio = stats[0].median / stats[1].median;
        println!(
            "| {:<42} | {:>9} | {:>9} | {:>15.2}x | ≤ {goal:<4} |",
            what,
            fmt_ns(stats[0].median),
            fmt_ns(stats[1].median),
            ratio
        );
    }
    // Here the columns are each side's two-thread throughput over its
    // one-thread throughput, and the ratio column is ours.
    println!(
        "| {:<42} | {:>9} | {:>9} | {:>15.2}x | ≥ {:<4} |",
        "shared memory: 2 threads / 1 thread, reads",
        format!("{ours_scaling:.2}x"),
        format!("{w48_scaling:.2}x"),
        ours_scaling,
        1.8
    );
}
