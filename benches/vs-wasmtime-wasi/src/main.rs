//! End to end: the same `wasm32-wasi` programs, on the same inputs, run by
//! the example WASI host (built on guest-memory) and by wasmtime-wasi 48's
//! own preview 1 (`p1::add_to_linker_sync`), on one engine, alternating,
//! each run on a fresh scratch folder preopened as `/work`. Prints the
//! median wall time of instantiating and running each (compilation is done
//! once, outside the timing) and the ratio.
//!
//! ```text
//! cargo run --release --manifest-path benches/vs-wasmtime-wasi/Cargo.toml [ROUNDS]
//! ```
//!
//! `BENCH_QUICK=1` runs one round of small inputs (a smoke test for CI).

#[allow(dead_code)]
#[path = "../../../examples/wasi_run/wasi/mod.rs"]
mod wasi;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use wasmtime::{Engine, Linker, Module, Store};
use wasmtime_wasi::p1::{self, WasiP1Ctx};
use wasmtime_wasi::{FsPerms, I32Exit, WasiCtxBuilder};

/// One workload: a program, its arguments, and the files it starts with.
struct Case {
    name: &'static str,
    program: &'static str,
    args: Vec<String>,
    setup: fn(&Path),
}

fn guests() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/guests/c")
}

/// `bytes` of pseudo-random text from a small alphabet.
fn text(bytes: usize) -> Vec<u8> {
    let mut x = 0x2545_f491_4f6c_dd1du64;
    (0..bytes)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            b"the quick brown fox jumps over a lazy dog\n"[(x % 42) as usize]
        })
        .collect()
}

fn cases(quick: bool) -> Vec<Case> {
    let n = |full: u32, small: u32| (if quick { small } else { full }).to_string();
    vec![
        Case {
            name: "small appending writes (200k; 2k quick)",
            program: "writes.wasm",
            args: vec!["/work/log".into(), n(200_000, 2_000)],
            setup: |_| {},
        },
        Case {
            name: "sqlite rows, 1000 a transaction (100k; 1k quick)",
            program: "sqlite_rows.wasm",
            args: vec!["/work/t.db".into(), n(100_000, 1_000), "1000".into()],
            setup: |_| {},
        },
        Case {
            name: "gzip a text file (8 MiB; 512 KiB quick)",
            program: "gzip.wasm",
            args: vec!["/work/in".into(), "/work/in.gz".into()],
            setup: |dir| {
                let quick = std::env::var_os("BENCH_QUICK").is_some();
                let size = if quick { 512 << 10 } else { 8 << 20 };
                std::fs::write(dir.join("in"), text(size)).unwrap();
            },
        },
    ]
}

fn argv(case: &Case) -> Vec<String> {
    std::iter::once(case.program.to_string())
        .chain(case.args.iter().cloned())
        .collect()
}

fn ours(engine: &Engine, module: &Module, case: &Case, dir: &Path) -> i32 {
    let config = wasi::Config {
        args: argv(case),
        env: Vec::new(),
        stdin: Box::new(std::io::empty()),
        stdout: Box::new(std::io::sink()),
        stderr: Box::new(std::io::stderr()),
        preopens: vec![(dir.to_path_buf(), "/work".into())],
    };
    wasi::run_program(engine, module, config).expect("our host: the program trapped")
}

/// wasmtime-wasi as configured by default: blocking file operations go to
/// a worker thread.
fn theirs(engine: &Engine, module: &Module, case: &Case, dir: &Path) -> i32 {
    wasmtime_wasi_p1(engine, module, case, dir, false)
}

/// wasmtime-wasi allowed to block the calling thread: its fastest setting
/// for a synchronous embedding.
fn theirs_blocking(engine: &Engine, module: &Module, case: &Case, dir: &Path) -> i32 {
    wasmtime_wasi_p1(engine, module, case, dir, true)
}

fn wasmtime_wasi_p1(
    engine: &Engine,
    module: &Module,
    case: &Case,
    dir: &Path,
    allow_blocking: bool,
) -> i32 {
    let mut linker: Linker<WasiP1Ctx> = Linker::new(engine);
    p1::add_to_linker_sync(&mut linker, |ctx| ctx).unwrap();
    let ctx = WasiCtxBuilder::new()
        .allow_blocking_current_thread(allow_blocking)
        .args(&argv(case))
        .inherit_stderr()
        .preopened_dir(dir, "/work", FsPerms::ReadWrite)
        .unwrap()
        .build_p1();
    let mut store = Store::new(engine, ctx);
    let instance = linker.instantiate(&mut store, module).unwrap();
    let start = instance
        .get_typed_func::<(), ()>(&mut store, "_start")
        .unwrap();
    match start.call(&mut store, ()) {
        Ok(()) => 0,
        Err(e) => {
            e.downcast_ref::<I32Exit>()
                .expect("wasmtime-wasi: the program trapped")
                .0
        }
    }
}

/// The files a run left, with their sizes, sorted.
type Files = Vec<(String, u64)>;

/// Runs `host` once on a fresh scratch folder; returns the time taken and
/// the files left behind.
fn time(
    host: fn(&Engine, &Module, &Case, &Path) -> i32,
    engine: &Engine,
    module: &Module,
    case: &Case,
) -> (Duration, Files) {
    let dir = std::env::temp_dir().join(format!("vs-wasmtime-wasi-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    (case.setup)(&dir);
    let start = Instant::now();
    let code = host(engine, module, case, &dir);
    let took = start.elapsed();
    assert_eq!(code, 0, "{} exited with {code}", case.name);
    let mut files: Files = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let len = e.metadata().unwrap().len();
            (e.file_name().to_string_lossy().into_owned(), len)
        })
        .collect();
    files.sort();
    std::fs::remove_dir_all(&dir).unwrap();
    (took, files)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let quick = std::env::var_os("BENCH_QUICK").is_some();
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|r| r.parse().ok())
        .unwrap_or(if quick { 1 } else { 5 });
    let engine = wasi::engine().unwrap();
    println!("{rounds} rounds, median wall time per run (instantiate + run), fresh folder each");
    println!(
        "| workload | guest-memory host | wasmtime-wasi p1 | ratio | wasmtime-wasi p1, blocking allowed | ratio |"
    );
    println!("|---|---|---|---|---|---|");
    for case in cases(quick) {
        let module = Module::from_file(&engine, guests().join(case.program)).unwrap();
        let hosts: [fn(&Engine, &Module, &Case, &Path) -> i32; 3] = [ours, theirs, theirs_blocking];
        let mut times = [Vec::new(), Vec::new(), Vec::new()];
        for round in 0..rounds {
            // Rotate which goes first.
            let mut files: Vec<Files> = vec![Vec::new(); 3];
            for k in 0..3 {
                let h = (round + k) % 3;
                let (took, left) = time(hosts[h], &engine, &module, &case);
                times[h].push(took);
                files[h] = left;
            }
            // The same work was done: the same files, of the same sizes.
            assert!(
                files[0] == files[1] && files[0] == files[2],
                "{}: the hosts left different files: {files:?}",
                case.name
            );
        }
        let [a, b, c] = times.map(median);
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        println!(
            "| {} | {:.1} ms | {:.1} ms | {:.2}x | {:.1} ms | {:.2}x |",
            case.name,
            ms(a),
            ms(b),
            ms(a) / ms(b),
            ms(c),
            ms(a) / ms(c)
        );
    }
}
