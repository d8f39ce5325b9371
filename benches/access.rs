//! The crate's access paths beside their floors (plain slice access,
//! `memcpy`, `std::str::from_utf8`), and beside themselves with borrows
//! outstanding elsewhere, as ratios measured in one process.
//!
//! `cargo bench --bench access` (`BENCH_QUICK=1` for a fast smoke run).

mod timing;

use std::cell::UnsafeCell;
use std::hint::black_box;

use guest_memory::{BorrowHandle, GuestMemory, OwnedMemory, Region, SharedSliceMemory};
use timing::{Case, Plan, Stats, fmt_ns, measure};

const MIB: usize = 1 << 20;
const FAR: u32 = 8 << 20; // where the outstanding borrows live

/// Takes `n` borrows of 8 bytes each, 16 bytes apart, starting at `FAR`.
fn hold(mem: &OwnedMemory, n: u32, mutable: bool) -> Vec<BorrowHandle> {
    (0..n)
        .map(|i| {
            let r = Region::new(FAR + 16 * i, 8);
            if mutable {
                mem.mut_borrow(r)
            } else {
                mem.shared_borrow(r)
            }
            .unwrap()
        })
        .collect()
}

fn release(mem: &OwnedMemory, handles: Vec<BorrowHandle>, mutable: bool) {
    for h in handles {
        if mutable {
            mem.mut_unborrow(h)
        } else {
            mem.shared_unborrow(h)
        }
    }
}

fn row(name: &str, s: Stats, base: Option<Stats>, floor: Option<Stats>) {
    let vs = |b: Option<Stats>| {
        b.map_or(String::from("-"), |b| {
            format!("{:.2}x", s.median / b.median)
        })
    };
    println!(
        "| {name:<36} | {:>10} | {:>10} | {:>14} | {:>9} |",
        fmt_ns(s.median),
        fmt_ns(s.min),
        vs(base),
        vs(floor)
    );
}

fn header(title: &str) {
    println!("\n{title}\n");
    println!(
        "| {:<36} | {:>10} | {:>10} | {:>14} | {:>9} |",
        "operation", "median", "min", "vs no borrows", "vs floor"
    );
    println!(
        "|{:-<38}|{:-<12}|{:-<12}|{:-<16}|{:-<11}|",
        "", "", "", "", ""
    );
}

fn primitives(plan: &Plan) {
    header("Primitive accesses and views (per operation)");
    let mem = OwnedMemory::new(16 * MIB);
    let plain = vec![0u8; 4096];
    let mut floor = measure(
        &mut [
            Case::new("floor: &[u8] read u32", |n| {
                for _ in 0..n {
                    let at = black_box(64usize);
                    black_box(u32::from_le_bytes(plain[at..at + 4].try_into().unwrap()));
                }
            }),
            Case::new("floor: &[u8] read u64", |n| {
                for _ in 0..n {
                    let at = black_box(64usize);
                    black_box(u64::from_le_bytes(plain[at..at + 8].try_into().unwrap()));
                }
            }),
        ],
        plan,
    )
    .into_iter();
    let (floor32, floor64) = (floor.next().unwrap(), floor.next().unwrap());
    row("floor: &[u8] read u32", floor32, None, None);
    row("floor: &[u8] read u64", floor64, None, None);

    let mut base: Vec<Stats> = Vec::new();
    for n in [0u32, 10, 1_000, 10_000] {
        // Reads conflict with mut borrows, so those are what is held for
        // reads and shared views; writes and mut views get shared borrows.
        let muts = hold(&mem, n, true);
        let stats_r = measure(
            &mut [
                Case::new("read u32", |k| {
                    for _ in 0..k {
                        black_box(mem.ptr::<u32>(black_box(64)).read().unwrap());
                    }
                }),
                Case::new("read u64", |k| {
                    for _ in 0..k {
                        black_box(mem.ptr::<u64>(black_box(64)).read().unwrap());
                    }
                }),
                Case::new("as_slice 64 B + drop", |k| {
                    for _ in 0..k {
                        black_box(mem.ptr::<[u8]>((black_box(128), 64)).as_slice().unwrap());
                    }
                }),
            ],
            plan,
        );
        release(&mem, muts, true);
        let shared = hold(&mem, n, false);
        let stats_w = measure(
            &mut [
                Case::new("write u32", |k| {
                    for _ in 0..k {
                        mem.ptr::<u32>(black_box(64)).write(black_box(7)).unwrap();
                    }
                }),
                Case::new("write u64", |k| {
                    for _ in 0..k {
                        mem.ptr::<u64>(black_box(64)).write(black_box(7)).unwrap();
                    }
                }),
                Case::new("as_slice_mut 64 B + drop", |k| {
                    for _ in 0..k {
                        black_box(
                            mem.ptr::<[u8]>((black_box(128), 64))
                                .as_slice_mut()
                                .unwrap(),
                        );
                    }
                }),
            ],
            plan,
        );
        release(&mem, shared, false);
        let all: Vec<Stats> = stats_r.into_iter().chain(stats_w).collect();
        let names = [
            "read u32",
            "read u64",
            "as_slice 64 B + drop",
            "write u32",
            "write u64",
            "as_slice_mut 64 B + drop",
        ];
        let floors = [
            Some(floor32),
            Some(floor64),
            None,
            Some(floor32),
            Some(floor64),
            None,
        ];
        if n == 0 {
            base = all.clone();
        }
        for (i, s) in all.iter().enumerate() {
            let baseline = if n == 0 { None } else { Some(base[i]) };
            row(
                &format!("{}, {n} borrowed", names[i]),
                *s,
                baseline,
                floors[i],
            );
        }
    }
}

fn bulk(plan: &Plan) {
    header("Bulk copies and strings (per call)");
    let mut owned = OwnedMemory::new(4 * MIB);
    owned
        .as_bytes_mut()
        .iter_mut()
        .enumerate()
        .for_each(|(i, b)| *b = b'a' + (i % 26) as u8);
    let mem = &owned;
    let plain: Vec<u8> = (0..MIB).map(|i| b'a' + (i % 26) as u8).collect();
    let cells: Vec<UnsafeCell<u8>> = (0..2 * MIB).map(|_| UnsafeCell::new(0)).collect();
    // SAFETY: the cells are reached only through `shared`, atomically.
    let shared = unsafe { SharedSliceMemory::new(&cells) };
    let mut dst = vec![0u8; MIB];

    let mut cases = vec![
        Case::new("floor: memcpy 1 MiB into a new Vec", |n| {
            for _ in 0..n {
                black_box(black_box(&plain[..]).to_vec());
            }
        }),
        Case::new("to_vec 1 MiB", |n| {
            for _ in 0..n {
                black_box(mem.ptr::<[u8]>((0, MIB as u32)).to_vec().unwrap());
            }
        }),
        Case::new("shared memory: to_vec 1 MiB", |n| {
            for _ in 0..n {
                black_box(shared.ptr::<[u8]>((0, MIB as u32)).to_vec().unwrap());
            }
        }),
    ];
    let s = measure(&mut cases, plan);
    row("floor: memcpy 1 MiB into a new Vec", s[0], None, None);
    row("to_vec 1 MiB", s[1], None, Some(s[0]));
    row("shared memory: to_vec 1 MiB", s[2], None, Some(s[0]));

    let mut cases = vec![
        Case::new("floor: memcpy 1 MiB", |n| {
            for _ in 0..n {
                dst.copy_from_slice(black_box(&plain[..]));
                black_box(&dst);
            }
        }),
        Case::new("copy_from_slice 1 MiB", |n| {
            for _ in 0..n {
                mem.ptr::<[u8]>((MIB as u32, MIB as u32))
                    .copy_from_slice(black_box(&plain))
                    .unwrap();
            }
        }),
        Case::new("shared memory: copy_from_slice 1 MiB", |n| {
            for _ in 0..n {
                shared
                    .ptr::<[u8]>((0, MIB as u32))
                    .copy_from_slice(black_box(&plain))
                    .unwrap();
            }
        }),
    ];
    let s = measure(&mut cases, plan);
    row("floor: memcpy 1 MiB", s[0], None, None);
    row("copy_from_slice 1 MiB", s[1], None, Some(s[0]));
    row(
        "shared memory: copy_from_slice 1 MiB",
        s[2],
        None,
        Some(s[0]),
    );

    let mut cases = vec![
        Case::new("floor: str::from_utf8 64 KiB", |n| {
            for _ in 0..n {
                black_box(std::str::from_utf8(black_box(&plain[..65536])).unwrap());
            }
        }),
        Case::new("as_str 64 KiB + drop", |n| {
            for _ in 0..n {
                black_box(mem.ptr::<str>((0, 65536)).as_str().unwrap());
            }
        }),
    ];
    let s = measure(&mut cases, plan);
    row("floor: str::from_utf8 64 KiB", s[0], None, None);
    row("as_str 64 KiB + drop", s[1], None, Some(s[0]));

    let words: Vec<u32> = (0..4096).collect();
    mem.ptr::<[u32]>((0, 4096)).copy_from_slice(&words).unwrap();
    let mut cases = vec![
        Case::new("floor: sum a &[u32] of 4096", |n| {
            for _ in 0..n {
                black_box(
                    black_box(&words[..])
                        .iter()
                        .fold(0u32, |a, &w| a.wrapping_add(w)),
                );
            }
        }),
        Case::new("iter().read() over [u32] of 4096", |n| {
            for _ in 0..n {
                let sum = mem
                    .ptr::<[u32]>((0, 4096))
                    .iter()
                    .fold(0u32, |a, p| a.wrapping_add(p.unwrap().read().unwrap()));
                black_box(sum);
            }
        }),
    ];
    let s = measure(&mut cases, plan);
    row("floor: sum a &[u32] of 4096", s[0], None, None);
    row("iter().read() over [u32] of 4096", s[1], None, Some(s[0]));
}

fn main() {
    let plan = Plan::from_env();
    primitives(&plan);
    bulk(&plan);
}
