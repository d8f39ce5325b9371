//! The operations compared, each built for every implementation that has
//! it.

use std::cell::{RefCell, UnsafeCell};
use std::hint::black_box;
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicU32, Ordering};
use std::task::{Context, Poll, Waker};

use guest_memory as ours;
use guest_memory::GuestPtr;
use wiggle17::GuestMemory as _;

use crate::Row;
use crate::timing::{Case, Plan, Stats, measure};

const MIB: u32 = 1 << 20;
/// Where borrows held "elsewhere" live, far from where operations run.
const FAR: u32 = 8 << 20;
/// The text the `as_str` cases view: ASCII, so every implementation
/// validates the same bytes.
const TEXT_AT: u32 = 4096;

ours::guest_struct! {
    /// An iovec as WASI declares it.
    #[derive(Clone, Copy)]
    pub struct Iovec<'a> {
        pub buf: GuestPtr<'a, u8>,
        pub buf_len: u32,
    }
}

/// The same record for wiggle 48, read field by field as its generated code
/// does.
#[derive(Clone, Copy)]
pub struct Iovec48 {
    pub buf: wiggle48::GuestPtr<u8>,
    pub buf_len: u32,
}

impl wiggle48::GuestType for Iovec48 {
    fn guest_size() -> u32 {
        8
    }
    fn guest_align() -> usize {
        4
    }
    fn read(
        mem: &wiggle48::GuestMemory,
        p: wiggle48::GuestPtr<Self>,
    ) -> Result<Self, wiggle48::GuestError> {
        let at = p.cast::<u8>();
        let buf = mem.read(at.cast::<wiggle48::GuestPtr<u8>>())?;
        let buf_len = mem.read(at.add(4)?.cast::<u32>())?;
        Ok(Iovec48 { buf, buf_len })
    }
    fn write(
        mem: &mut wiggle48::GuestMemory,
        p: wiggle48::GuestPtr<Self>,
        v: Self,
    ) -> Result<(), wiggle48::GuestError> {
        let at = p.cast::<u8>();
        mem.write(at.cast::<wiggle48::GuestPtr<u8>>(), v.buf)?;
        mem.write(at.add(4)?.cast::<u32>(), v.buf_len)
    }
}

/// The same record for wiggle 17.
#[derive(Clone, Copy)]
pub struct Iovec17<'a> {
    pub buf: wiggle17::GuestPtr<'a, u8>,
    pub buf_len: u32,
}

impl<'a> wiggle17::GuestType<'a> for Iovec17<'a> {
    fn guest_size() -> u32 {
        8
    }
    fn guest_align() -> usize {
        4
    }
    fn read(p: &wiggle17::GuestPtr<'a, Self>) -> Result<Self, wiggle17::GuestError> {
        let at = p.cast::<u8>();
        let buf = at.cast::<wiggle17::GuestPtr<'a, u8>>().read()?;
        let buf_len = at.add(4)?.cast::<u32>().read()?;
        Ok(Iovec17 { buf, buf_len })
    }
    fn write(p: &wiggle17::GuestPtr<'_, Self>, v: Self) -> Result<(), wiggle17::GuestError> {
        let at = p.cast::<u8>();
        at.cast::<u32>().write(v.buf.offset())?;
        at.add(4)?.cast::<u32>().write(v.buf_len)
    }
}

/// A wiggle 17 memory over owned cells, tracked by wiggle's own checker.
pub struct Wiggle17Mem {
    cells: Box<[UnsafeCell<u8>]>,
    bc: wiggle17::borrow::BorrowChecker,
}

// SAFETY: the cells are reached only through wiggle's `GuestMemory` API,
// which the `BorrowChecker` guards (as wiggle's own memories do).
unsafe impl Send for Wiggle17Mem {}
// SAFETY: as for `Send`.
unsafe impl Sync for Wiggle17Mem {}

// SAFETY: `base` is the whole allocation, valid while `self` lives; every
// borrow method forwards to the one `BorrowChecker` of this memory.
unsafe impl wiggle17::GuestMemory for Wiggle17Mem {
    fn base(&self) -> &[UnsafeCell<u8>] {
        &self.cells
    }
    fn has_outstanding_borrows(&self) -> bool {
        self.bc.has_outstanding_borrows()
    }
    fn is_mut_borrowed(&self, r: wiggle17::Region) -> bool {
        self.bc.is_mut_borrowed(r)
    }
    fn is_shared_borrowed(&self, r: wiggle17::Region) -> bool {
        self.bc.is_shared_borrowed(r)
    }
    fn mut_borrow(
        &self,
        r: wiggle17::Region,
    ) -> Result<wiggle17::BorrowHandle, wiggle17::GuestError> {
        self.bc.mut_borrow(r)
    }
    fn shared_borrow(
        &self,
        r: wiggle17::Region,
    ) -> Result<wiggle17::BorrowHandle, wiggle17::GuestError> {
        self.bc.shared_borrow(r)
    }
    fn mut_unborrow(&self, h: wiggle17::BorrowHandle) {
        self.bc.mut_unborrow(h)
    }
    fn shared_unborrow(&self, h: wiggle17::BorrowHandle) {
        self.bc.shared_unborrow(h)
    }
}

/// The memories every case runs on, with the same contents: `b'a'`
/// everywhere but 16 iovecs at offset 0.
pub struct Env {
    plain: Vec<u8>,
    /// What a synchronous host function makes over the engine's bytes: a
    /// `LocalSliceMemory`, bound to this thread.
    ours: ours::LocalSliceMemory<'static>,
    /// The same for the cases with borrows held elsewhere.
    ours_held: ours::LocalSliceMemory<'static>,
    /// A `SliceMemory` any thread may use (every access takes a lock).
    ours_any: ours::SliceMemory<'static>,
    w48: RefCell<Vec<u8>>,
    w17: Wiggle17Mem,
    w17_held: Wiggle17Mem,
}

/// The default memory size: room for the bulk cases and the held borrows.
const LEN: u32 = 16 * MIB;

fn contents(len: u32) -> Vec<u8> {
    let mut v = vec![b'a'; len as usize];
    for i in 0..16u32 {
        let at = (8 * i) as usize;
        v[at..at + 4].copy_from_slice(&(1024 + 64 * i).to_le_bytes());
        v[at + 4..at + 8].copy_from_slice(&64u32.to_le_bytes());
    }
    v
}

/// Bytes that live as long as the process (the benchmark's memories do).
fn leaked(len: u32) -> &'static mut [u8] {
    Box::leak(contents(len).into_boxed_slice())
}

fn wiggle17_mem(len: u32) -> Wiggle17Mem {
    Wiggle17Mem {
        cells: contents(len).into_iter().map(UnsafeCell::new).collect(),
        bc: wiggle17::borrow::BorrowChecker::new(),
    }
}

impl Env {
    /// Memories of `len` bytes each.
    pub fn new(len: u32) -> Self {
        Env {
            plain: contents(len),
            ours: ours::LocalSliceMemory::new(leaked(len)),
            ours_held: ours::LocalSliceMemory::new(leaked(len)),
            ours_any: ours::SliceMemory::new(leaked(len)),
            w48: RefCell::new(contents(len)),
            w17: wiggle17_mem(len),
            w17_held: wiggle17_mem(len),
        }
    }

    /// Ours, as a host function receives it.
    fn ours(&self) -> &dyn ours::GuestMemory {
        black_box(&*self.ours)
    }

    fn w17(&self) -> &dyn wiggle17::GuestMemory {
        black_box(&self.w17)
    }

    /// Runs `f` `k` times on ours, as a host function receives it: the
    /// shape of `benches/outside`'s loop, so that the two harnesses count
    /// one operation alike (`benches/agree.sh` compares them).
    fn ours_each<R>(&self, k: u64, f: impl Fn(&dyn ours::GuestMemory) -> R) {
        let m: &dyn ours::GuestMemory = &*self.ours;
        for _ in 0..k {
            black_box(f(black_box(m)));
        }
    }

    /// Runs `f` `k` times with wiggle 48's memory over the bytes, as a host
    /// function receives it (a fresh `black_box`ed reference each time).
    fn w48<R>(&self, k: u64, mut f: impl FnMut(&mut wiggle48::GuestMemory<'_>) -> R) {
        let mut bytes = self.w48.borrow_mut();
        let mut mem = wiggle48::GuestMemory::Unshared(&mut bytes);
        for _ in 0..k {
            black_box(f(black_box(&mut mem)));
        }
    }
}

/// Holds `n` borrows, 8 bytes each, 16 apart, at `FAR`.
fn hold_ours(mem: &dyn ours::GuestMemory, n: u32, mutable: bool) -> Vec<ours::BorrowHandle> {
    (0..n)
        .map(|i| {
            let r = ours::Region::new(FAR + 16 * i, 8);
            if mutable {
                mem.mut_borrow(r)
            } else {
                mem.shared_borrow(r)
            }
            .unwrap()
        })
        .collect()
}

/// `n` mut borrows of 8 bytes around where the operations run (one at 0,
/// the rest from 200 up, 16 bytes apart), so the tracker's span of held
/// borrows covers the operations' regions (64..68, 128..192) and its list or
/// trees must be searched: the worst placement for the span shortcut.
fn hold_ours_around(mem: &dyn ours::GuestMemory, n: u32) -> Vec<ours::BorrowHandle> {
    (0..n)
        .map(|i| {
            let at = if i == 0 { 0 } else { 200 + 16 * (i - 1) };
            mem.mut_borrow(ours::Region::new(at, 8)).unwrap()
        })
        .collect()
}

fn release_ours(mem: &dyn ours::GuestMemory, hs: Vec<ours::BorrowHandle>, mutable: bool) {
    for h in hs {
        if mutable {
            mem.mut_unborrow(h)
        } else {
            mem.shared_unborrow(h)
        }
    }
}

fn hold_w17(mem: &Wiggle17Mem, n: u32, mutable: bool) -> Vec<wiggle17::BorrowHandle> {
    (0..n)
        .map(|i| {
            let r = wiggle17::Region::new(FAR + 16 * i, 8);
            if mutable {
                mem.mut_borrow(r)
            } else {
                mem.shared_borrow(r)
            }
            .unwrap()
        })
        .collect()
}

fn release_w17(mem: &Wiggle17Mem, hs: Vec<wiggle17::BorrowHandle>, mutable: bool) {
    for h in hs {
        if mutable {
            mem.mut_unborrow(h)
        } else {
            mem.shared_unborrow(h)
        }
    }
}

/// A case that runs `body` `k` times.
macro_rules! case {
    ($name:expr, |$env:ident| $body:expr) => {
        Case::new($name, |k| {
            for _ in 0..k {
                black_box($body);
            }
        })
    };
}

/// A wiggle 48 case that runs `body` `k` times on the memory `m`.
macro_rules! case48 {
    ($e:ident, |$m:ident| $body:expr) => {
        Case::new("w48", |k| $e.w48(k, |$m| $body))
    };
}

// The single operations, one function per implementation, so that
// `callgrind.sh` can count the instructions of exactly one of them.

fn floor_read_u32(e: &Env) -> u32 {
    let p = black_box(&e.plain[..]);
    let at = black_box(64usize);
    u32::from_le_bytes(p[at..at + 4].try_into().unwrap())
}
fn ours_read_u32(e: &Env) -> u32 {
    GuestPtr::<u32>::new(e.ours(), black_box(64))
        .read()
        .unwrap()
}
/// The operations `callgrind.sh` counts, one function each, in the shape
/// of `benches/outside`'s (see [`Env::ours_each`]).
mod counted {
    use super::*;

    pub fn ours_read_u32(m: &dyn ours::GuestMemory) -> u32 {
        GuestPtr::<u32>::new(m, black_box(64)).read().unwrap()
    }
    pub fn ours_write_u32(m: &dyn ours::GuestMemory) {
        GuestPtr::<u32>::new(m, black_box(64))
            .write(black_box(7))
            .unwrap()
    }
    pub fn w48_write_u32(m: &mut wiggle48::GuestMemory<'_>) {
        m.write(wiggle48::GuestPtr::<u32>::new(black_box(64)), black_box(7))
            .unwrap()
    }
    pub fn ours_as_slice_64(m: &dyn ours::GuestMemory) -> u8 {
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
    pub fn ours_iovecs_16(m: &dyn ours::GuestMemory) -> Vec<Iovec<'_>> {
        GuestPtr::<[Iovec]>::new(m, (black_box(0), 16))
            .to_vec()
            .unwrap()
    }
    /// A host function: the memory made over the engine's bytes, one read.
    pub fn ours_per_call(bytes: &mut [u8]) -> u32 {
        let mem = ours::LocalSliceMemory::new(black_box(bytes));
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

fn w48_read_u32(m: &mut wiggle48::GuestMemory<'_>) -> u32 {
    m.read(wiggle48::GuestPtr::<u32>::new(black_box(64)))
        .unwrap()
}
fn w17_read_u32(e: &Env) -> u32 {
    wiggle17::GuestPtr::<u32>::new(e.w17(), black_box(64))
        .read()
        .unwrap()
}

/// Pending on its first poll, ready on the next: the `.await` in the async
/// host calls, after which an executor may resume the task anywhere.
#[derive(Default)]
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            Poll::Pending
        }
    }
}

/// Polls `fut` to its end (twice, for the host calls below).
fn drive<F: Future>(fut: F) -> F::Output {
    let mut fut = pin!(fut);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return out;
        }
    }
}

/// An async host function, ours as the docs teach it: a `LocalSliceMemory`
/// for each synchronous section, made again after the `.await`.
async fn ours_async_call(bytes: &mut [u8]) {
    let v = {
        let mem = ours::LocalSliceMemory::new(black_box(&mut *bytes));
        GuestPtr::<u32>::new(black_box(&*mem), black_box(64))
            .read()
            .unwrap()
    };
    YieldOnce::default().await;
    let mem = ours::LocalSliceMemory::new(black_box(&mut *bytes));
    GuestPtr::<u32>::new(black_box(&*mem), black_box(68))
        .write(black_box(v))
        .unwrap();
}

/// The same with one `SliceMemory` (any thread's) held across the `.await`.
async fn ours_async_call_held(bytes: &mut [u8]) {
    let mem = ours::SliceMemory::new(black_box(bytes));
    let m: &dyn ours::GuestMemory = black_box(&mem);
    let v = GuestPtr::<u32>::new(m, black_box(64)).read().unwrap();
    YieldOnce::default().await;
    GuestPtr::<u32>::new(m, black_box(68))
        .write(black_box(v))
        .unwrap();
}

/// Wiggle 48's: its memory held across the `.await`, as wiggle allows.
async fn w48_async_call(bytes: &mut [u8]) {
    let mut mem = wiggle48::GuestMemory::Unshared(black_box(bytes));
    let m = black_box(&mut mem);
    let v = w48_read_u32(m);
    YieldOnce::default().await;
    m.write(wiggle48::GuestPtr::<u32>::new(black_box(68)), black_box(v))
        .unwrap();
}

/// One operation of each implementation, by name, for `callgrind.sh`.
pub fn run_one(name: &str, iters: u64) {
    // Small memories: only the single operations run here, and setting up
    // costs callgrind time.
    let e = &Env::new(64 << 10);
    let k = iters;
    let repeat = |f: &dyn Fn()| {
        for _ in 0..k {
            f();
        }
    };
    // `ours_as_slice_64_held_N` / `ours_read_u32_held_N`: the operation
    // with `N` mut borrows held elsewhere; `..._around_N`: with `N` held
    // around it (callgrind only).
    let held_case = name
        .rsplit_once("_held_")
        .map(|(op, n)| (op, n, false))
        .or_else(|| name.rsplit_once("_around_").map(|(op, n)| (op, n, true)));
    if let Some((op, n, around)) = held_case {
        let n: u32 = n.parse().expect("a count after _held_ or _around_");
        let e = &Env::new(FAR + 16 * n + 16);
        let held = if around {
            hold_ours_around(&*e.ours_held, n)
        } else {
            hold_ours(&*e.ours_held, n, true)
        };
        let m: &dyn ours::GuestMemory = &*e.ours_held;
        match op {
            "ours_as_slice_64" => repeat(&|| {
                black_box(
                    GuestPtr::<[u8]>::new(black_box(m), (black_box(128), 64))
                        .as_slice()
                        .unwrap(),
                );
            }),
            "ours_read_u32" => repeat(&|| {
                black_box(
                    GuestPtr::<u32>::new(black_box(m), black_box(64))
                        .read()
                        .unwrap(),
                );
            }),
            other => panic!("no held variant of {other}"),
        }
        release_ours(&*e.ours_held, held, true);
        return;
    }
    match name {
        // A read inside a shared view the host holds (callgrind only).
        "ours_read_u32_in_shared_view" => {
            let view = GuestPtr::<[u8]>::new(e.ours(), (0, 256))
                .as_slice()
                .unwrap();
            repeat(&|| {
                black_box(ours_read_u32(e));
            });
            drop(view);
        }
        "floor_read_u32" => repeat(&|| {
            black_box(floor_read_u32(e));
        }),
        "ours_read_u32" => e.ours_each(k, counted::ours_read_u32),
        "w48_read_u32" => e.w48(k, w48_read_u32),
        "w17_read_u32" => repeat(&|| {
            black_box(w17_read_u32(e));
        }),
        "ours_write_u32" => e.ours_each(k, counted::ours_write_u32),
        "w48_write_u32" => e.w48(k, counted::w48_write_u32),
        "ours_as_slice_64" => e.ours_each(k, counted::ours_as_slice_64),
        "w48_as_slice_64" => e.w48(k, counted::w48_as_slice_64),
        "ours_iovecs_16" => e.ours_each(k, |m| counted::ours_iovecs_16(m).len()),
        "w48_iovecs_16" => e.w48(k, w48_iovecs),
        "ours_shared_read_u32" | "ours_shared_read_u32_2_threads" => {
            let cells: Vec<UnsafeCell<u8>> = (0..4096).map(|_| UnsafeCell::new(0)).collect();
            // SAFETY: the cells are accessed only through `mem`, atomically.
            let mem = unsafe { ours::SharedSliceMemory::new(&cells) };
            let m: &dyn ours::GuestMemory = &mem;
            let reads = |at: u32| {
                for _ in 0..k {
                    black_box(
                        GuestPtr::<u32>::new(black_box(m), black_box(at))
                            .read()
                            .unwrap(),
                    );
                }
            };
            if name.ends_with("2_threads") {
                std::thread::scope(|s| {
                    s.spawn(|| reads(64));
                    s.spawn(|| reads(2048));
                });
            } else {
                for _ in 0..k {
                    black_box(counted::ours_read_u32(black_box(m)));
                }
            }
        }
        "ours_iovecs_16_iter" => repeat(&|| {
            black_box(
                GuestPtr::<[Iovec]>::new(e.ours(), (black_box(0), 16))
                    .iter()
                    .map(|p| p?.read())
                    .collect::<Result<Vec<_>, _>>()
                    .unwrap(),
            );
        }),
        "ours_slice_memory_per_call" => {
            let mut bytes = e.w48.borrow_mut();
            for _ in 0..k {
                black_box(counted::ours_per_call(&mut bytes));
            }
        }
        "w48_slice_memory_per_call" => {
            let mut bytes = e.w48.borrow_mut();
            for _ in 0..k {
                black_box(counted::w48_per_call(&mut bytes));
            }
        }
        "ours_read_u32_any" => {
            let any: &dyn ours::GuestMemory = &e.ours_any;
            repeat(&|| {
                black_box(
                    GuestPtr::<u32>::new(black_box(any), black_box(64))
                        .read()
                        .unwrap(),
                );
            })
        }
        "ours_async_call" => {
            let mut bytes = e.w48.borrow_mut();
            for _ in 0..k {
                drive(ours_async_call(&mut bytes));
            }
        }
        "ours_async_call_held" => {
            let mut bytes = e.w48.borrow_mut();
            for _ in 0..k {
                drive(ours_async_call_held(&mut bytes));
            }
        }
        "w48_async_call" => {
            let mut bytes = e.w48.borrow_mut();
            for _ in 0..k {
                drive(w48_async_call(&mut bytes));
            }
        }
        other => panic!("no operation {other}; see run_one in cases.rs"),
    }
}

fn w48_iovecs(m: &mut wiggle48::GuestMemory<'_>) -> Vec<Iovec48> {
    let p = wiggle48::GuestPtr::<[Iovec48]>::new((black_box(0), 16));
    p.iter()
        .map(|p| m.read(p?))
        .collect::<Result<Vec<_>, _>>()
        .unwrap()
}

fn w17_iovecs(e: &Env) -> Vec<Iovec17<'_>> {
    let p = wiggle17::GuestPtr::<[Iovec17]>::new(e.w17(), (black_box(0), 16));
    p.iter()
        .map(|p| p?.read())
        .collect::<Result<Vec<_>, _>>()
        .unwrap()
}

fn floor_iovecs(e: &Env) -> Vec<(u32, u32)> {
    let p = black_box(&e.plain[..]);
    let at = black_box(0usize);
    (0..16)
        .map(|i| {
            let b = &p[at + 8 * i..at + 8 * i + 8];
            (
                u32::from_le_bytes(b[..4].try_into().unwrap()),
                u32::from_le_bytes(b[4..].try_into().unwrap()),
            )
        })
        .collect()
}

/// Measures the given columns (in one alternated run) and makes a row.
fn row(
    plan: &Plan,
    op: &str,
    floor: Option<Case<'_>>,
    ours: Case<'_>,
    w48: Option<Case<'_>>,
    w17: Option<Case<'_>>,
    ratio: impl FnOnce(Option<Stats>, Stats, Option<Stats>) -> Option<(String, f64, String)>,
) -> Row {
    let present = [floor.is_some(), true, w48.is_some(), w17.is_some()];
    let mut cases: Vec<Case<'_>> = [floor, Some(ours), w48, w17]
        .into_iter()
        .flatten()
        .collect();
    let mut stats = measure(&mut cases, plan).into_iter();
    let mut take = |here: bool| if here { stats.next() } else { None };
    let floor = take(present[0]);
    let ours = take(present[1]).unwrap();
    let w48 = take(present[2]);
    let w17 = take(present[3]);
    let ratio = ratio(floor, ours, w48);
    Row {
        op: op.to_string(),
        floor,
        ours,
        w48,
        w17,
        ratio,
    }
}

fn vs_w48(
    goal: &'static str,
) -> impl FnOnce(Option<Stats>, Stats, Option<Stats>) -> Option<(String, f64, String)> {
    move |_, ours, w48| {
        w48.map(|w| {
            (
                "ours / wiggle 48".to_string(),
                ours.median / w.median,
                goal.to_string(),
            )
        })
    }
}

fn vs_floor(
    goal: &'static str,
) -> impl FnOnce(Option<Stats>, Stats, Option<Stats>) -> Option<(String, f64, String)> {
    move |floor, ours, _| {
        floor.map(|f| {
            (
                "ours / floor".to_string(),
                ours.median / f.median,
                goal.to_string(),
            )
        })
    }
}

/// Every row, in the order of the goals.
pub fn all(plan: &Plan) -> Vec<Row> {
    let e = Env::new(LEN);
    let e = &e;
    let mut rows = Vec::new();

    rows.push(row(
        plan,
        "read u32",
        Some(case!("floor", |e| floor_read_u32(e))),
        case!("ours", |e| ours_read_u32(e)),
        Some(case48!(e, |m| w48_read_u32(m))),
        Some(case!("w17", |e| w17_read_u32(e))),
        vs_w48("<= 1.1x"),
    ));
    let any: &dyn ours::GuestMemory = &e.ours_any;
    rows.push(row(
        plan,
        "read u32, memory for any thread",
        Some(case!("floor", |e| floor_read_u32(e))),
        case!("ours", |e| GuestPtr::<u32>::new(
            black_box(any),
            black_box(64)
        )
        .read()
        .unwrap()),
        Some(case48!(e, |m| w48_read_u32(m))),
        None,
        vs_w48("-"),
    ));
    let mut plain_w = e.plain.clone();
    rows.push(row(
        plan,
        "write u32",
        Some(Case::new("floor", |k| {
            for _ in 0..k {
                let p = black_box(&mut plain_w[..]);
                let at = black_box(64usize);
                p[at..at + 4].copy_from_slice(&black_box(7u32).to_le_bytes());
            }
        })),
        case!("ours", |e| GuestPtr::<u32>::new(e.ours(), black_box(64))
            .write(black_box(7))
            .unwrap()),
        Some(case48!(e, |m| m
            .write(wiggle48::GuestPtr::<u32>::new(black_box(64)), black_box(7))
            .unwrap())),
        Some(case!("w17", |e| wiggle17::GuestPtr::<u32>::new(
            e.w17(),
            black_box(64)
        )
        .write(black_box(7))
        .unwrap())),
        vs_w48("<= 1.1x"),
    ));
    // Shared memory, one thread: ours a `SharedSliceMemory`, wiggle 48's
    // `GuestMemory::Shared`, each over cells of its own.
    let cells = || -> &'static [UnsafeCell<u8>] {
        Box::leak((0..4096).map(|_| UnsafeCell::new(0)).collect())
    };
    let (ours_cells, w48_cells) = (cells(), cells());
    // SAFETY: these cells are accessed only through this memory, atomically.
    let shared = unsafe { ours::SharedSliceMemory::new(ours_cells) };
    let shared: &dyn ours::GuestMemory = &shared;
    rows.push(row(
        plan,
        "shared memory: read u32",
        None,
        Case::new("ours", |k| {
            for _ in 0..k {
                black_box(counted::ours_read_u32(black_box(shared)));
            }
        }),
        Some(Case::new("w48", |k| {
            let mut m = wiggle48::GuestMemory::Shared(w48_cells);
            for _ in 0..k {
                black_box(w48_read_u32(black_box(&mut m)));
            }
        })),
        None,
        vs_w48("<= 1.1x"),
    ));
    rows.push(row(
        plan,
        "shared memory: write u32",
        None,
        Case::new("ours", |k| {
            for _ in 0..k {
                counted::ours_write_u32(black_box(shared));
            }
        }),
        Some(Case::new("w48", |k| {
            let mut m = wiggle48::GuestMemory::Shared(w48_cells);
            for _ in 0..k {
                counted::w48_write_u32(black_box(&mut m));
            }
        })),
        None,
        vs_w48("<= 1.1x"),
    ));
    rows.push(row(
        plan,
        "as_slice 64 B + drop",
        Some(case!("floor", |e| black_box(&e.plain[..])
            .get(black_box(128)..128 + 64)
            .unwrap()
            .len())),
        case!("ours", |e| GuestPtr::<[u8]>::new(
            e.ours(),
            (black_box(128), 64)
        )
        .as_slice()
        .unwrap()),
        Some(case48!(e, |m| m
            .as_slice(wiggle48::GuestPtr::<[u8]>::new((black_box(128), 64)))
            .unwrap()
            .map(|s| s.len()))),
        Some(case!("w17", |e| wiggle17::GuestPtr::<[u8]>::new(
            e.w17(),
            (black_box(128), 64)
        )
        .as_slice()
        .unwrap())),
        vs_w48("<= 1.5x"),
    ));
    rows.push(row(
        plan,
        "as_str 64 B + drop",
        Some(case!("floor", |e| std::str::from_utf8(
            &black_box(&e.plain[..])[black_box(TEXT_AT as usize)..TEXT_AT as usize + 64]
        )
        .unwrap()
        .len())),
        case!("ours", |e| GuestPtr::<str>::new(
            e.ours(),
            (black_box(TEXT_AT), 64)
        )
        .as_str()
        .unwrap()),
        Some(case48!(e, |m| m
            .as_str(wiggle48::GuestPtr::<str>::new((black_box(TEXT_AT), 64)))
            .unwrap()
            .map(str::len))),
        Some(case!("w17", |e| wiggle17::GuestPtr::<str>::new(
            e.w17(),
            (black_box(TEXT_AT), 64)
        )
        .as_str()
        .unwrap())),
        vs_w48("<= 1.5x"),
    ));
    rows.push(row(
        plan,
        "16 iovecs into a Vec (ours: to_vec)",
        Some(case!("floor", |e| floor_iovecs(e))),
        case!("ours", |e| GuestPtr::<[Iovec]>::new(
            e.ours(),
            (black_box(0), 16)
        )
        .to_vec()
        .unwrap()),
        Some(case48!(e, |m| w48_iovecs(m))),
        Some(case!("w17", |e| w17_iovecs(e))),
        vs_w48("<= 0.5x"),
    ));
    rows.push(row(
        plan,
        "16 iovecs, iter + read each",
        Some(case!("floor", |e| floor_iovecs(e))),
        case!("ours", |e| GuestPtr::<[Iovec]>::new(
            e.ours(),
            (black_box(0), 16)
        )
        .iter()
        .map(|p| p?.read())
        .collect::<Result<Vec<_>, _>>()
        .unwrap()),
        Some(case48!(e, |m| w48_iovecs(m))),
        Some(case!("w17", |e| w17_iovecs(e))),
        vs_w48("-"),
    ));
    let mut bytes_ours = contents(LEN);
    let mut bytes_w48 = contents(LEN);
    rows.push(row(
        plan,
        "per host call: new memory + read u32",
        Some(case!("floor", |e| floor_read_u32(e))),
        Case::new("ours", |k| {
            for _ in 0..k {
                let mem = ours::LocalSliceMemory::new(black_box(&mut bytes_ours[..]));
                let m: &dyn ours::GuestMemory = black_box(&*mem);
                black_box(GuestPtr::<u32>::new(m, black_box(64)).read().unwrap());
            }
        }),
        Some(Case::new("w48", |k| {
            for _ in 0..k {
                let mut mem = wiggle48::GuestMemory::Unshared(black_box(&mut bytes_w48[..]));
                black_box(w48_read_u32(black_box(&mut mem)));
            }
        })),
        None,
        vs_w48("<= 1.5x"),
    ));
    let mut bytes_ours = contents(64 << 10);
    let mut bytes_w48 = contents(64 << 10);
    rows.push(row(
        plan,
        "async host call: read, .await, write",
        None,
        Case::new("ours", |k| {
            for _ in 0..k {
                drive(ours_async_call(&mut bytes_ours));
            }
        }),
        Some(Case::new("w48", |k| {
            for _ in 0..k {
                drive(w48_async_call(&mut bytes_w48));
            }
        })),
        None,
        vs_w48("<= 2x"),
    ));
    let mut bytes_any = contents(64 << 10);
    rows.push(row(
        plan,
        "the same, one SliceMemory held across",
        None,
        Case::new("ours", |k| {
            for _ in 0..k {
                drive(ours_async_call_held(&mut bytes_any));
            }
        }),
        Some(Case::new("w48", |k| {
            for _ in 0..k {
                drive(w48_async_call(&mut bytes_w48));
            }
        })),
        None,
        vs_w48("-"),
    ));

    // Views with borrows held elsewhere, against the same view with none.
    let clean: &dyn ours::GuestMemory = &*e.ours;
    for n in [1u32, 4, 16] {
        let held = hold_ours(&*e.ours_held, n, true);
        let held_w17 = hold_w17(&e.w17_held, n, true);
        let m: &dyn ours::GuestMemory = &*e.ours_held;
        let w17: &dyn wiggle17::GuestMemory = &e.w17_held;
        rows.push(row(
            plan,
            &format!("as_slice 64 B + drop, {n} held"),
            Some(case!("none held", |e| GuestPtr::<[u8]>::new(
                black_box(clean),
                (black_box(128), 64)
            )
            .as_slice()
            .unwrap())),
            case!("ours", |e| GuestPtr::<[u8]>::new(
                black_box(m),
                (black_box(128), 64)
            )
            .as_slice()
            .unwrap()),
            None,
            Some(case!("w17", |e| wiggle17::GuestPtr::<[u8]>::new(
                black_box(w17),
                (black_box(128), 64)
            )
            .as_slice()
            .unwrap())),
            |none, ours, _| {
                none.map(|z| {
                    (
                        "vs none held".to_string(),
                        ours.median / z.median,
                        "<= 1.3x".to_string(),
                    )
                })
            },
        ));
        release_ours(&*e.ours_held, held, true);
        release_w17(&e.w17_held, held_w17, true);
    }
    for n in [1_000u32, 10_000] {
        let held = hold_ours(&*e.ours_held, n, true);
        let held_w17 = hold_w17(&e.w17_held, n, true);
        let m: &dyn ours::GuestMemory = &*e.ours_held;
        let w17: &dyn wiggle17::GuestMemory = &e.w17_held;
        rows.push(row(
            plan,
            &format!("read u32, {n} held"),
            Some(case!("none held", |e| GuestPtr::<u32>::new(
                black_box(clean),
                black_box(64)
            )
            .read()
            .unwrap())),
            case!("ours", |e| GuestPtr::<u32>::new(
                black_box(m),
                black_box(64)
            )
            .read()
            .unwrap()),
            None,
            Some(case!("w17", |e| wiggle17::GuestPtr::<u32>::new(
                black_box(w17),
                black_box(64)
            )
            .read()
            .unwrap())),
            |none, ours, _| {
                none.map(|z| {
                    (
                        "vs none held".to_string(),
                        ours.median / z.median,
                        "<= 2x".to_string(),
                    )
                })
            },
        ));
        release_ours(&*e.ours_held, held, true);
        release_w17(&e.w17_held, held_w17, true);
    }

    rows.push(shared_two_threads(plan));

    let src = vec![b'a'; MIB as usize];
    // The floors work on the very bytes `ours` copies (its `SliceMemory`'s),
    // so that where the bytes lie makes no difference: a buffer of their own
    // — even one placed as the memories' are, 1 MiB into 16 MiB — was up to
    // 27% faster to copy into than any of the three guest memories, wiggle
    // 48's plain `&mut [u8]` included, in some runs and not in others.
    let bytes = e.ours.base().as_ptr().cast_mut().cast::<u8>();
    rows.push(row(
        plan,
        "to_vec 1 MiB",
        Some(case!("floor", |e| {
            // SAFETY: `bytes` spans the memory's `LEN` bytes (cells, so a
            // plain read through them is allowed), and no view of them or
            // write to them is live during the case.
            unsafe { std::slice::from_raw_parts(black_box(bytes), MIB as usize) }.to_vec()
        })),
        case!("ours", |e| GuestPtr::<[u8]>::new(
            e.ours(),
            (black_box(0), MIB)
        )
        .to_vec()
        .unwrap()),
        Some(case48!(e, |m| m
            .to_vec(wiggle48::GuestPtr::<[u8]>::new((black_box(0), MIB)))
            .unwrap())),
        Some(case!("w17", |e| wiggle17::GuestPtr::<[u8]>::new(
            e.w17(),
            (black_box(0), MIB)
        )
        .to_vec()
        .unwrap())),
        vs_floor("<= 1.1x"),
    ));
    rows.push(row(
        plan,
        "copy_from_slice 1 MiB",
        Some(Case::new("floor", |k| {
            for _ in 0..k {
                // SAFETY: `MIB..2 * MIB` lies inside the memory's `LEN`
                // bytes, which are cells (writing through a pointer from a
                // shared reference to them is allowed); no view of them is
                // live, and `src` is a different allocation.
                unsafe {
                    std::ptr::copy_nonoverlapping(
                        black_box(&src).as_ptr(),
                        black_box(bytes).add(MIB as usize),
                        MIB as usize,
                    );
                }
            }
        })),
        case!("ours", |e| GuestPtr::<[u8]>::new(
            e.ours(),
            (black_box(MIB), MIB)
        )
        .copy_from_slice(black_box(&src))
        .unwrap()),
        Some(case48!(e, |m| m
            .copy_from_slice(
                black_box(&src),
                wiggle48::GuestPtr::<[u8]>::new((black_box(MIB), MIB))
            )
            .unwrap())),
        Some(case!("w17", |e| wiggle17::GuestPtr::<[u8]>::new(
            e.w17(),
            (black_box(MIB), MIB)
        )
        .copy_from_slice(black_box(&src))
        .unwrap())),
        vs_floor("<= 1.1x"),
    ));
    rows.push(row(
        plan,
        "as_str 64 KiB + drop",
        Some(case!("floor", |e| {
            // SAFETY: as for `to_vec`: inside the memory, nothing writes.
            // The length is a run-time value, as a guest's is: with a
            // constant one the compiler builds `from_utf8` a loop of its own
            // (up to 1.26x faster on an AMD EPYC than the one every
            // implementation here, wiggle's included, runs).
            let text = unsafe {
                std::slice::from_raw_parts(black_box(bytes).add(2 * MIB as usize), black_box(65536))
            };
            std::str::from_utf8(text).unwrap().len()
        })),
        case!("ours", |e| GuestPtr::<str>::new(
            e.ours(),
            (black_box(2 * MIB), 65536)
        )
        .as_str()
        .unwrap()),
        Some(case48!(e, |m| m
            .as_str(wiggle48::GuestPtr::<str>::new((black_box(2 * MIB), 65536)))
            .unwrap()
            .map(str::len))),
        Some(case!("w17", |e| wiggle17::GuestPtr::<str>::new(
            e.w17(),
            (black_box(2 * MIB), 65536)
        )
        .as_str()
        .unwrap())),
        vs_floor("<= 1.1x"),
    ));
    rows
}

/// Reads of disjoint offsets of one `SharedSliceMemory` from one thread and
/// from two at once; the ratio is the two-thread throughput over one. The
/// floor column does the same with plain atomic loads, which shows how far
/// two threads scale on the machine itself (virtual CPUs may share a core).
fn shared_two_threads(plan: &Plan) -> Row {
    let cells: Vec<UnsafeCell<u8>> = (0..4096).map(|_| UnsafeCell::new(0)).collect();
    // SAFETY: the cells are accessed only through `mem`, atomically.
    let mem = unsafe { ours::SharedSliceMemory::new(&cells) };
    let m: &dyn ours::GuestMemory = &mem;
    let reads = |at: u32, k: u64| {
        for _ in 0..k {
            black_box(
                GuestPtr::<u32>::new(black_box(m), black_box(at))
                    .read()
                    .unwrap(),
            );
        }
    };
    let words: Vec<AtomicU32> = (0..1024).map(|_| AtomicU32::new(0)).collect();
    let loads = |at: usize, k: u64| {
        for _ in 0..k {
            black_box(black_box(&words[..])[black_box(at)].load(Ordering::Relaxed));
        }
    };
    // The crate's reads with nothing shared at all: each thread reads its own
    // `LocalSliceMemory`, bound to it. How these scale is how far code of
    // this size scales on the machine.
    let own_reads = |at: u32, k: u64| {
        let mut bytes = vec![0u8; 4096];
        let mem = ours::LocalSliceMemory::new(&mut bytes);
        let m: &dyn ours::GuestMemory = &*mem;
        for _ in 0..k {
            black_box(
                GuestPtr::<u32>::new(black_box(m), black_box(at))
                    .read()
                    .unwrap(),
            );
        }
    };
    let two = |f: &(dyn Fn(u64) + Sync), g: &(dyn Fn(u64) + Sync), k: u64| {
        std::thread::scope(|s| {
            s.spawn(|| f(k));
            s.spawn(|| g(k));
        });
    };
    // Samples ten times the usual length: starting two threads and waking
    // a second (virtual) CPU can take milliseconds, which a 20 ms sample
    // would count as reading time.
    let long = Plan {
        sample: plan.sample * 10,
        rounds: plan.rounds,
    };
    let s = measure(
        &mut [
            Case::new("floor, one thread", |k| loads(16, k)),
            Case::new("floor, two threads", |k| {
                two(&|k| loads(16, k), &|k| loads(512, k), k)
            }),
            Case::new("own memory, one thread", |k| own_reads(64, k)),
            Case::new("own memories, two threads", |k| {
                two(&|k| own_reads(64, k), &|k| own_reads(2048, k), k)
            }),
            Case::new("one thread", |k| reads(64, k)),
            Case::new("two threads", |k| {
                two(&|k| reads(64, k), &|k| reads(2048, k), k)
            }),
        ],
        &long,
    );
    // Two threads do twice the reads in `median` per k.
    let speedup = |one: Stats, two: Stats| 2.0 * one.median / two.median;
    Row {
        op: "shared memory: 2 threads vs 1, disjoint".to_string(),
        floor: Some(s[1]),
        ours: s[5],
        w48: None,
        w17: None,
        ratio: Some((
            format!(
                "2-thread / 1-thread throughput (floor: {:.2}x; nothing shared: {:.2}x)",
                speedup(s[0], s[1]),
                speedup(s[2], s[3])
            ),
            speedup(s[4], s[5]),
            ">= 1.8x".to_string(),
        )),
    }
}
