//! The example WASI host's memory per call is bounded whatever counts a
//! guest names (third review, finding 6: 33 million iovecs made the host
//! hold 2.9 GB; 5 million subscriptions, 0.7 GB). A counting allocator
//! measures the host's peak heap during each guest's run, over a guest
//! memory of 256 MiB (which the engine maps itself, outside the heap).
//!
//! One test, so that nothing else allocates meanwhile in this binary.
#![cfg(not(any(miri, guest_memory_no_engines)))]

#[allow(dead_code)]
#[path = "../examples/wasi_run/wasi/mod.rs"]
mod wasi;

#[path = "common/counting.rs"]
mod counting;

use counting::{Counting, peak_growth};

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The bound the host keeps per call, over what a harmless call needs.
const BOUND: usize = 64 << 20;

const EINVAL: i32 = 28;

/// A guest with a 256 MiB memory (zeroed: every iovec names nothing, every
/// subscription is a clock due at once) whose `_start` exits with the errno
/// of `call`.
fn guest(call: &str) -> String {
    format!(
        r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_pwrite" (func $fd_pwrite (param i32 i32 i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_pread" (func $fd_pread (param i32 i32 i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open" (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 4096)
  (data (i32.const {NAME}) "f")
  (func (export "_start") {call} (call $proc_exit)))"#
    )
}

/// Where the guest keeps a file name ("f") and the descriptor it opens:
/// the last 8 bytes of its memory, past the largest iovec array.
const NAME: u32 = (256 << 20) - 8;
const FD: u32 = NAME + 4;

/// Opens "f" in the preopened folder (fd 3) with the rights to read, write
/// and seek, and leaves its descriptor at [`FD`].
fn open_file() -> String {
    let rights = (1 << 1) | (1 << 2) | (1 << 6);
    format!(
        "(drop (call $path_open (i32.const 3) (i32.const 0) (i32.const {NAME}) (i32.const 1) \
         (i32.const 1) (i64.const {rights}) (i64.const {rights}) (i32.const 0) (i32.const {FD})))"
    )
}

/// The guest's exit code and the host's peak heap growth while it ran.
fn run(engine: &wasmtime::Engine, call: &str) -> (i32, usize) {
    let module = wasmtime::Module::new(engine, guest(call)).unwrap();
    let folder = std::env::temp_dir().join(format!("wasi-peak-memory-{}", std::process::id()));
    std::fs::create_dir_all(&folder).unwrap();
    let config = wasi::Config {
        args: vec!["guest".into()],
        env: Vec::new(),
        stdin: Box::new(std::io::empty()),
        stdout: Box::new(std::io::sink()),
        stderr: Box::new(std::io::sink()),
        preopens: vec![(folder.clone(), "dir".into())],
    };
    let (code, peak) = peak_growth(|| {
        wasi::run_program(engine, &module, config).expect("the guest must not trap")
    });
    std::fs::remove_dir_all(&folder).unwrap();
    (code, peak)
}

#[test]
fn no_guest_count_makes_the_host_allocate_more_than_64_mib_a_call() {
    let engine = wasi::engine().unwrap();
    // 33,554,431 iovecs: the most 256 MiB holds (8 bytes each).
    let iovecs = (256u32 << 20) / 8 - 1;
    // Subscriptions (48 bytes) and events (32) for 3 million: 240 MB.
    let subs = 3_000_000u32;
    let events_at = subs * 48;
    let nevents_at = events_at + subs * 32;
    let cases = [
        (
            "fd_write",
            format!(
                "(call $fd_write (i32.const 1) (i32.const 0) (i32.const {iovecs}) (i32.const 8))"
            ),
        ),
        (
            "fd_read",
            format!(
                "(call $fd_read (i32.const 0) (i32.const 0) (i32.const {iovecs}) (i32.const 8))"
            ),
        ),
        (
            "fd_pwrite",
            format!(
                "{} (call $fd_pwrite (i32.load (i32.const {FD})) (i32.const 0) (i32.const {iovecs}) (i64.const 0) (i32.const {FD}))",
                open_file()
            ),
        ),
        (
            "fd_pread",
            format!(
                "{} (call $fd_pread (i32.load (i32.const {FD})) (i32.const 0) (i32.const {iovecs}) (i64.const 0) (i32.const {FD}))",
                open_file()
            ),
        ),
        (
            "poll_oneoff",
            format!(
                "(call $poll_oneoff (i32.const 0) (i32.const {events_at}) (i32.const {subs}) (i32.const {nevents_at}))"
            ),
        ),
    ];
    let (_, harmless) = run(
        &engine,
        "(call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))",
    );
    assert!(harmless < BOUND, "a harmless call took {harmless} bytes");
    for (name, call) in &cases {
        let (code, peak) = run(&engine, call);
        println!("{name}: errno {code}, peak heap growth {peak} bytes (harmless call: {harmless})");
        assert!(
            peak < harmless + BOUND,
            "{name}: the host's heap grew by {peak} bytes"
        );
    }
    // Iovec counts past `IOV_MAX` are refused as `readv`/`writev` refuse
    // them, and so are subscriptions past the host's limit.
    for (name, call) in &cases {
        let (code, _) = run(&engine, call);
        assert_eq!(code, EINVAL, "{name}");
    }
    // The file opens (the `fd_p*` cases above reached their iovecs).
    let (code, _) = run(
        &engine,
        &format!(
            "{} (call $fd_pwrite (i32.load (i32.const {FD})) (i32.const 0) (i32.const 1) (i64.const 0) (i32.const {FD}))",
            open_file()
        ),
    );
    assert_eq!(code, 0, "fd_pwrite to the opened file");
    // At the limits, calls go through, within the bound.
    let max_subs = wasi::host::MAX_SUBSCRIPTIONS;
    let at_the_limits = [
        (
            "fd_write, IOV_MAX iovecs",
            format!(
                "(call $fd_write (i32.const 1) (i32.const 0) (i32.const {}) (i32.const 0x100000))",
                wasi::io::IOV_MAX
            ),
        ),
        (
            "fd_write, one more",
            format!(
                "(call $fd_write (i32.const 1) (i32.const 0) (i32.const {}) (i32.const 0x100000))",
                wasi::io::IOV_MAX + 1
            ),
        ),
        (
            "poll_oneoff, the most subscriptions",
            format!(
                "(call $poll_oneoff (i32.const 0) (i32.const 0x400000) (i32.const {max_subs}) (i32.const 0x800000))"
            ),
        ),
        (
            "poll_oneoff, one more",
            format!(
                "(call $poll_oneoff (i32.const 0) (i32.const 0x400000) (i32.const {}) (i32.const 0x800000))",
                max_subs + 1
            ),
        ),
    ];
    for (i, (name, call)) in at_the_limits.iter().enumerate() {
        let (code, peak) = run(&engine, call);
        println!("{name}: errno {code}, peak heap growth {peak} bytes");
        assert_eq!(code, if i % 2 == 0 { 0 } else { EINVAL }, "{name}");
        assert!(
            peak < harmless + BOUND,
            "{name}: the heap grew by {peak} bytes"
        );
    }
}
