//! The same operations on guest-memory, on wiggle 48 (wasmtime's runtime
//! today: an untracked `&mut [u8]`), on wiggle 17 (the seed's design, with its
//! own `BorrowChecker`) and on a plain bounds-checked `&[u8]` (the floor), the
//! cases of one comparison alternated in one process, medians printed with
//! the ratio each goal of the performance issue is stated in.
//!
//! Every memory is reached the way a host function reaches it: through a
//! `black_box`ed `&dyn GuestMemory` for guest-memory and wiggle 17, through a
//! `black_box`ed `&mut wiggle::GuestMemory` for wiggle 48.
//!
//! `cargo run --release --manifest-path benches/vs-wiggle/Cargo.toml`
//! (`BENCH_QUICK=1` for a fast smoke run; `BENCH_ONLY=NAME ITERS` runs one
//! operation `ITERS` times and exits, for `callgrind.sh`).

#[path = "../../timing/mod.rs"]
mod timing;

mod cases;

use timing::{Plan, Stats, fmt_ns};

/// One printed row: the operation, then the four columns, then the ratio
/// the goal is stated in.
pub struct Row {
    pub op: String,
    pub floor: Option<Stats>,
    pub ours: Stats,
    pub w48: Option<Stats>,
    pub w17: Option<Stats>,
    /// `(what the ratio is, its value, the goal)`.
    pub ratio: Option<(String, f64, String)>,
}

pub fn print_header() {
    println!(
        "| {:<40} | {:>9} | {:>9} | {:>9} | {:>9} | {:<26} | {:>7} | {:<7} |",
        "operation (median)", "floor", "ours", "wiggle 48", "wiggle 17", "ratio", "value", "goal"
    );
    println!(
        "|{:-<42}|{:-<11}|{:-<11}|{:-<11}|{:-<11}|{:-<28}|{:-<9}|{:-<9}|",
        "", "", "", "", "", "", "", ""
    );
}

pub fn print_row(r: &Row) {
    let cell = |s: Option<Stats>| s.map_or(String::from("-"), |s| fmt_ns(s.median));
    let (what, value, goal) = r.ratio.clone().map_or(
        (String::from("-"), String::from("-"), String::from("-")),
        |(w, v, g)| (w, format!("{v:.2}x"), g),
    );
    println!(
        "| {:<40} | {:>9} | {:>9} | {:>9} | {:>9} | {:<26} | {:>7} | {:<7} |",
        r.op,
        cell(r.floor),
        fmt_ns(r.ours.median),
        cell(r.w48),
        cell(r.w17),
        what,
        value,
        goal
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let (Some(name), Some(iters)) = (std::env::var_os("BENCH_ONLY"), args.get(1)) {
        let iters: u64 = iters.parse().expect("ITERS");
        cases::run_one(name.to_str().expect("a UTF-8 name"), iters);
        return;
    }
    let plan = Plan::from_env();
    println!("CPU: {}", cpu_name());
    print_header();
    for row in cases::all(&plan) {
        print_row(&row);
    }
}

/// The CPU's model name, as `/proc/cpuinfo` gives it.
fn cpu_name() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|n| n.trim().to_string())
        })
        .unwrap_or_else(|| String::from("unknown"))
}
