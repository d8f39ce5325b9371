//! The same operations on guest-memory and on wiggle 17's runtime (with its
//! own `BorrowChecker`), alternated in one process, printed as one table:
//! operation, ours, wiggle 17, speed-up.
//!
//! `cargo run --release --manifest-path benches/vs-wiggle/Cargo.toml`
//! (`BENCH_QUICK=1` for a fast smoke run).

#[path = "../../timing/mod.rs"]
mod timing;

use std::cell::UnsafeCell;
use std::hint::black_box;

use guest_memory as ours;
use timing::{Case, Plan, fmt_ns, measure};
use wiggle::borrow::BorrowChecker;

const MIB: u32 = 1 << 20;
const FAR: u32 = 8 << 20;

/// A wiggle memory over owned cells, tracked by wiggle's own checker.
struct WiggleMem {
    cells: Box<[UnsafeCell<u8>]>,
    bc: BorrowChecker,
}

// SAFETY: the cells are reached only through wiggle's `GuestMemory` API,
// which the `BorrowChecker` guards (as wiggle's own memories do).
unsafe impl Send for WiggleMem {}
// SAFETY: as for `Send`.
unsafe impl Sync for WiggleMem {}

// SAFETY: `base` is the whole allocation, valid while `self` lives; every
// borrow method forwards to the one `BorrowChecker` of this memory.
unsafe impl wiggle::GuestMemory for WiggleMem {
    fn base(&self) -> &[UnsafeCell<u8>] {
        &self.cells
    }
    fn has_outstanding_borrows(&self) -> bool {
        self.bc.has_outstanding_borrows()
    }
    fn is_mut_borrowed(&self, r: wiggle::Region) -> bool {
        self.bc.is_mut_borrowed(r)
    }
    fn is_shared_borrowed(&self, r: wiggle::Region) -> bool {
        self.bc.is_shared_borrowed(r)
    }
    fn mut_borrow(&self, r: wiggle::Region) -> Result<wiggle::BorrowHandle, wiggle::GuestError> {
        self.bc.mut_borrow(r)
    }
    fn shared_borrow(&self, r: wiggle::Region) -> Result<wiggle::BorrowHandle, wiggle::GuestError> {
        self.bc.shared_borrow(r)
    }
    fn mut_unborrow(&self, h: wiggle::BorrowHandle) {
        self.bc.mut_unborrow(h)
    }
    fn shared_unborrow(&self, h: wiggle::BorrowHandle) {
        self.bc.shared_unborrow(h)
    }
}

fn wiggle_mem(len: u32) -> WiggleMem {
    WiggleMem { cells: (0..len).map(|_| UnsafeCell::new(b'a')).collect(), bc: BorrowChecker::new() }
}

/// `n` borrows, 8 bytes each, 16 apart, far from where the operations run.
fn hold_ours(mem: &ours::OwnedMemory, n: u32, mutable: bool) -> Vec<ours::BorrowHandle> {
    use ours::GuestMemory;
    (0..n)
        .map(|i| {
            let r = ours::Region::new(FAR + 16 * i, 8);
            if mutable { mem.mut_borrow(r) } else { mem.shared_borrow(r) }.unwrap()
        })
        .collect()
}

fn release_ours(mem: &ours::OwnedMemory, hs: Vec<ours::BorrowHandle>, mutable: bool) {
    use ours::GuestMemory;
    for h in hs {
        if mutable { mem.mut_unborrow(h) } else { mem.shared_unborrow(h) }
    }
}

fn hold_wiggle(mem: &WiggleMem, n: u32, mutable: bool) -> Vec<wiggle::BorrowHandle> {
    use wiggle::GuestMemory;
    (0..n)
        .map(|i| {
            let r = wiggle::Region::new(FAR + 16 * i, 8);
            if mutable { mem.mut_borrow(r) } else { mem.shared_borrow(r) }.unwrap()
        })
        .collect()
}

fn release_wiggle(mem: &WiggleMem, hs: Vec<wiggle::BorrowHandle>, mutable: bool) {
    use wiggle::GuestMemory;
    for h in hs {
        if mutable { mem.mut_unborrow(h) } else { mem.shared_unborrow(h) }
    }
}

fn row(op: &str, ours_ns: f64, wiggle_ns: f64) {
    println!("| {op:<34} | {:>10} | {:>10} | {:>7.2}x |", fmt_ns(ours_ns), fmt_ns(wiggle_ns), wiggle_ns / ours_ns);
}

/// Times `a` (ours) and `b` (wiggle) alternately and prints a row.
fn compare(plan: &Plan, op: &str, a: impl FnMut(u64), b: impl FnMut(u64)) {
    let s = measure(&mut [Case::new("ours", a), Case::new("wiggle", b)], plan);
    row(op, s[0].median, s[1].median);
}

fn main() {
    let plan = Plan::from_env();
    let mem = ours::OwnedMemory::new((16 * MIB) as usize);
    let wmem = wiggle_mem(16 * MIB);
    let w: &dyn wiggle::GuestMemory = &wmem;

    println!("| {:<34} | {:>10} | {:>10} | {:>8} |", "operation (median)", "ours", "wiggle 17", "speed-up");
    println!("|{:-<36}|{:-<12}|{:-<12}|{:-<10}|", "", "", "", "");
    for n in [0u32, 10, 1_000, 10_000] {
        let suffix = if n == 0 { String::new() } else { format!(", {n} borrowed") };
        // Reads and shared views conflict only with mut borrows: hold those.
        let (ho, hw) = (hold_ours(&mem, n, true), hold_wiggle(&wmem, n, true));
        compare(
            &plan,
            &format!("read u32{suffix}"),
            |k| {
                for _ in 0..k {
                    black_box(ours::GuestPtr::<u32>::new(&mem, black_box(64)).read().unwrap());
                }
            },
            |k| {
                for _ in 0..k {
                    black_box(wiggle::GuestPtr::<u32>::new(w, black_box(64)).read().unwrap());
                }
            },
        );
        compare(
            &plan,
            &format!("as_slice 64 B + drop{suffix}"),
            |k| {
                for _ in 0..k {
                    black_box(ours::GuestPtr::<[u8]>::new(&mem, (black_box(128), 64)).as_slice().unwrap());
                }
            },
            |k| {
                for _ in 0..k {
                    black_box(wiggle::GuestPtr::<[u8]>::new(w, (black_box(128), 64)).as_slice().unwrap());
                }
            },
        );
        release_ours(&mem, ho, true);
        release_wiggle(&wmem, hw, true);
        // Writes and mut views conflict with any borrow: hold shared ones.
        let (ho, hw) = (hold_ours(&mem, n, false), hold_wiggle(&wmem, n, false));
        compare(
            &plan,
            &format!("write u32{suffix}"),
            |k| {
                for _ in 0..k {
                    ours::GuestPtr::<u32>::new(&mem, black_box(64)).write(black_box(7)).unwrap();
                }
            },
            |k| {
                for _ in 0..k {
                    wiggle::GuestPtr::<u32>::new(w, black_box(64)).write(black_box(7)).unwrap();
                }
            },
        );
        compare(
            &plan,
            &format!("as_slice_mut 64 B + drop{suffix}"),
            |k| {
                for _ in 0..k {
                    black_box(ours::GuestPtr::<[u8]>::new(&mem, (black_box(128), 64)).as_slice_mut().unwrap());
                }
            },
            |k| {
                for _ in 0..k {
                    black_box(wiggle::GuestPtr::<[u8]>::new(w, (black_box(128), 64)).as_slice_mut().unwrap());
                }
            },
        );
        release_ours(&mem, ho, false);
        release_wiggle(&wmem, hw, false);
    }

    let src = vec![b'a'; MIB as usize];
    compare(
        &plan,
        "to_vec 1 MiB",
        |k| {
            for _ in 0..k {
                black_box(ours::GuestPtr::<[u8]>::new(&mem, (0, MIB)).to_vec().unwrap());
            }
        },
        |k| {
            for _ in 0..k {
                black_box(wiggle::GuestPtr::<[u8]>::new(w, (0, MIB)).to_vec().unwrap());
            }
        },
    );
    compare(
        &plan,
        "copy_from_slice 1 MiB",
        |k| {
            for _ in 0..k {
                ours::GuestPtr::<[u8]>::new(&mem, (MIB, MIB)).copy_from_slice(black_box(&src)).unwrap();
            }
        },
        |k| {
            for _ in 0..k {
                wiggle::GuestPtr::<[u8]>::new(w, (MIB, MIB)).copy_from_slice(black_box(&src)).unwrap();
            }
        },
    );
    compare(
        &plan,
        "as_str 64 KiB + drop",
        |k| {
            for _ in 0..k {
                black_box(ours::GuestPtr::<str>::new(&mem, (2 * MIB, 65536)).as_str().unwrap());
            }
        },
        |k| {
            for _ in 0..k {
                black_box(wiggle::GuestPtr::<str>::new(w, (0, 65536)).as_str().unwrap());
            }
        },
    );
}
