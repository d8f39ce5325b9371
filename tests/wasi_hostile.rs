//! Hostile guests, in WAT, against the example WASI host: bad pointers,
//! overflowing lengths, overlapping buffers, misalignment, impossible counts.
//! Each call must return its errno — the host neither panics nor traps, the
//! guest keeps running (it exits with that errno) — and nothing outside the
//! buffers the guest named may change.
//!
//! Not under Miri: wasmtime compiles wasm to machine code, which Miri cannot
//! run.
#![cfg(not(any(miri, guest_memory_no_engines)))]
// Lists of the ranges a call may write, some of them one long.
#![allow(clippy::single_range_in_vec_init)]

#[path = "common/capture.rs"]
mod capture;
#[allow(dead_code)]
#[path = "../examples/wasi_run/wasi/mod.rs"]
mod wasi;

use std::ops::Range;

use capture::Capture;

const EFAULT: i32 = 21;
const EINVAL: i32 = 28;
const EBADF: i32 = 8;
const ENOSYS: i32 = 52;
const ENOTSOCK: i32 = 57;
const ESPIPE: i32 = 70;

/// A data segment holding `bytes` at `at`.
fn data(at: u32, bytes: &[u8]) -> String {
    let escaped: String = bytes.iter().map(|b| format!("\\{b:02x}")).collect();
    format!("(data (i32.const {at}) \"{escaped}\")")
}

/// A data segment holding little-endian `u32`s at `at`.
fn words(at: u32, words: &[u32]) -> String {
    data(
        at,
        &words
            .iter()
            .flat_map(|w| w.to_le_bytes())
            .collect::<Vec<_>>(),
    )
}

/// A guest whose `_start` runs `body` (leaving an errno on the stack) and
/// exits with it. The first 8 KiB of memory are filled with 0xab first, so
/// that any stray write shows.
fn guest(body: &str, segments: &[String], shared: bool) -> String {
    let memory = if shared { "1 1 shared" } else { "1" };
    let fill = data(0, &[0xab; 8192]);
    format!(
        r#"(module
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $environ_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_seek" (func $fd_seek (param i32 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $fd_close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_renumber" (func $fd_renumber (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_shutdown" (func $sock_shutdown (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open" (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") {memory})
  {fill}
  {segments}
  (func (export "_start") {body} (call $proc_exit)))"#,
        segments = segments.join("\n  ")
    )
}

struct Run {
    errno: i32,
    stdout: String,
    before: Vec<u8>,
    after: Vec<u8>,
}

fn run_with(wat: &str, args: &[&str], stdin: &[u8]) -> Run {
    let engine = wasi::engine().unwrap();
    let module = wasmtime::Module::new(&engine, wat).unwrap();
    let stdout = Capture::default();
    let config = wasi::Config {
        args: std::iter::once("guest")
            .chain(args.iter().copied())
            .map(String::from)
            .collect(),
        env: vec![("KEY".into(), "value".into())],
        stdin: Box::new(std::io::Cursor::new(stdin.to_vec())),
        stdout: Box::new(stdout.clone()),
        stderr: Box::new(std::io::sink()),
        preopens: Vec::new(),
    };
    let outcome = wasi::run(&engine, &module, config).expect("the guest must not trap");
    Run {
        errno: outcome.exit_code,
        stdout: stdout.text(),
        before: outcome.memory_before,
        after: outcome.memory_after,
    }
}

fn run(body: &str, segments: &[String]) -> Run {
    run_with(&guest(body, segments, false), &[], b"")
}

impl Run {
    /// Asserts that memory changed only inside `allowed`.
    fn changed_only(&self, allowed: &[Range<usize>]) -> &Self {
        assert_eq!(self.before.len(), self.after.len());
        for (i, (b, a)) in self.before.iter().zip(&self.after).enumerate() {
            if b != a {
                assert!(
                    allowed.iter().any(|r| r.contains(&i)),
                    "byte {i:#x} changed from {b:#x} to {a:#x}"
                );
            }
        }
        self
    }

    fn unchanged(&self) -> &Self {
        self.changed_only(&[])
    }

    fn word(&self, at: usize) -> u32 {
        u32::from_le_bytes(self.after[at..at + 4].try_into().unwrap())
    }
}

fn call(f: &str, args: &[i64]) -> String {
    let args: Vec<String> = args.iter().map(|a| format!("(i32.const {a})")).collect();
    format!("(call ${f} {})", args.join(" "))
}

#[test]
fn fd_write_with_an_iovec_array_past_the_end() {
    let r = run(&call("fd_write", &[1, 65532, 2, 0x100]), &[]);
    assert_eq!(r.errno, EFAULT);
    r.unchanged();
    assert_eq!(r.stdout, "");
}

#[test]
fn fd_write_with_a_buf_len_running_off_the_end() {
    let segs = [data(0x10, b"hello"), words(0x200, &[0x10, 5, 65000, 1000])];
    let r = run(&call("fd_write", &[1, 0x200, 2, 0x100]), &segs);
    assert_eq!(r.errno, EFAULT);
    r.unchanged();
    assert_eq!(r.stdout, "", "nothing may be written when any iovec is bad");
}

#[test]
fn fd_write_with_lengths_that_overflow_u32_when_summed() {
    let segs = [words(0x200, &[0x10, 0xffff_fff0, 0x10, 0x20])];
    let r = run(&call("fd_write", &[1, 0x200, 2, 0x100]), &segs);
    assert_eq!(r.errno, EFAULT);
    r.unchanged();
    assert_eq!(r.stdout, "");
}

#[test]
fn fd_write_with_misaligned_pointers() {
    let segs = [data(0x10, b"hello"), words(0x200, &[0x10, 5])];
    let r = run(&call("fd_write", &[1, 0x201, 1, 0x100]), &segs);
    assert_eq!(r.errno, EFAULT, "misaligned iovec array");
    r.unchanged();
    let r = run(&call("fd_write", &[1, 0x200, 1, 0x101]), &segs);
    assert_eq!(r.errno, EFAULT, "misaligned nwritten");
    r.unchanged();
    assert_eq!(
        r.stdout, "",
        "a bad result pointer is found before any output"
    );
}

#[test]
fn fd_write_gathers_every_iovec() {
    let segs = [
        data(0x10, b"hello, "),
        data(0x40, b"hostile "),
        data(0x80, b"world"),
        words(0x200, &[0x10, 7, 0x40, 0, 0x40, 8, 0x80, 5]),
    ];
    let r = run(&call("fd_write", &[1, 0x200, 4, 0x100]), &segs);
    assert_eq!(r.errno, 0);
    assert_eq!(r.stdout, "hello, hostile world");
    r.changed_only(&[0x100..0x104]);
    assert_eq!(r.word(0x100), 20);
}

#[test]
fn renumbering_a_descriptor_onto_itself_keeps_it_open() {
    let segs = [data(0x10, b"still here"), words(0x200, &[0x10, 10])];
    let body = format!(
        "(drop {}) {}",
        call("fd_renumber", &[1, 1]),
        call("fd_write", &[1, 0x200, 1, 0x100])
    );
    let r = run(&body, &segs);
    assert_eq!((r.errno, r.stdout.as_str()), (0, "still here"));
    // Onto another open descriptor: stdout now goes where stderr went, and
    // the old number is closed.
    let body = format!(
        "(drop {}) {}",
        call("fd_renumber", &[2, 1]),
        call("fd_write", &[2, 0x200, 1, 0x100])
    );
    let r = run(&body, &segs);
    assert_eq!((r.errno, r.stdout.as_str()), (EBADF, ""));
}

#[test]
fn fd_read_scatters_into_every_iovec() {
    let segs = [words(0x200, &[0x300, 4, 0x310, 20])];
    let wat = guest(&call("fd_read", &[0, 0x200, 2, 0x100]), &segs, false);
    let r = run_with(&wat, &[], b"hello world");
    assert_eq!(r.errno, 0);
    r.changed_only(&[0x100..0x104, 0x300..0x304, 0x310..0x317]);
    assert_eq!(&r.after[0x300..0x304], b"hell");
    assert_eq!(&r.after[0x310..0x317], b"o world");
    assert_eq!(r.word(0x100), 11);
}

#[test]
fn fd_read_refuses_overlapping_iovecs() {
    let segs = [words(0x200, &[0x300, 10, 0x305, 10])];
    let wat = guest(&call("fd_read", &[0, 0x200, 2, 0x100]), &segs, false);
    let r = run_with(&wat, &[], b"hello world, and more");
    assert_eq!(r.errno, EFAULT);
    r.unchanged();
}

#[test]
fn fd_read_and_fd_write_on_shared_memory_copy() {
    let segs = [words(0x200, &[0x300, 4, 0x310, 20])];
    let r = run_with(
        &guest(&call("fd_read", &[0, 0x200, 2, 0x100]), &segs, true),
        &[],
        b"hello world",
    );
    assert_eq!(r.errno, 0);
    r.changed_only(&[0x100..0x104, 0x300..0x304, 0x310..0x317]);
    assert_eq!(&r.after[0x300..0x304], b"hell");
    assert_eq!(&r.after[0x310..0x317], b"o world");
    let segs = [
        data(0x10, b"shared "),
        data(0x40, b"memory"),
        words(0x200, &[0x10, 7, 0x40, 6]),
    ];
    let r = run_with(
        &guest(&call("fd_write", &[1, 0x200, 2, 0x100]), &segs, true),
        &[],
        b"",
    );
    assert_eq!((r.errno, r.stdout.as_str()), (0, "shared memory"));
    // A bad iovec is refused there too.
    let segs = [words(0x200, &[65530, 10])];
    let r = run_with(
        &guest(&call("fd_write", &[1, 0x200, 1, 0x100]), &segs, true),
        &[],
        b"",
    );
    assert_eq!(r.errno, EFAULT);
    r.unchanged();
}

#[test]
fn args_get_into_out_of_range_or_misaligned_buffers() {
    let args = ["a", "bb"]; // "guest\0a\0bb\0": 11 bytes, 3 pointers
    // The string buffer runs past the end.
    let r = run_with(
        &guest(&call("args_get", &[0x400, 65530]), &[], false),
        &args,
        b"",
    );
    assert_eq!(r.errno, EFAULT);
    r.unchanged();
    // The pointer array is too small for the memory left.
    let r = run_with(
        &guest(&call("args_get", &[65528, 0x500]), &[], false),
        &args,
        b"",
    );
    assert_eq!(r.errno, EFAULT);
    r.unchanged();
    // A misaligned pointer array.
    let r = run_with(
        &guest(&call("args_get", &[0x401, 0x500]), &[], false),
        &args,
        b"",
    );
    assert_eq!(r.errno, EFAULT);
    r.unchanged();
    // And the good case writes exactly the two buffers.
    let r = run_with(
        &guest(&call("args_get", &[0x400, 0x500]), &[], false),
        &args,
        b"",
    );
    assert_eq!(r.errno, 0);
    r.changed_only(&[0x400..0x40c, 0x500..0x50b]);
    assert_eq!(&r.after[0x500..0x50b], b"guest\0a\0bb\0");
    assert_eq!(
        [r.word(0x400), r.word(0x404), r.word(0x408)],
        [0x500, 0x506, 0x508]
    );
    // environ_get follows the same rules.
    let r = run(&call("environ_get", &[0x400, 65534]), &[]);
    assert_eq!(r.errno, EFAULT);
    r.unchanged();
}

#[test]
fn poll_oneoff_with_no_or_too_many_subscriptions() {
    let r = run(&call("poll_oneoff", &[0x600, 0x800, 0, 0x100]), &[]);
    assert_eq!(r.errno, EINVAL, "nsubscriptions = 0");
    r.unchanged();
    let r = run(
        &call("poll_oneoff", &[0x600, 0x800, 0x1000_0000, 0x100]),
        &[],
    );
    assert_eq!(r.errno, EFAULT, "a huge count");
    r.unchanged();
    let r = run(&call("poll_oneoff", &[0x600, 0x800, -1, 0x100]), &[]);
    assert_eq!(r.errno, EFAULT, "a count whose size overflows");
    r.unchanged();
}

#[test]
fn poll_oneoff_with_bad_subscriptions() {
    // tag 5 is no event type
    let segs = [words(0x600, &[7, 0, 5, 0, 1, 0, 1000, 0, 0, 0, 0, 0])];
    let r = run(&call("poll_oneoff", &[0x600, 0x800, 1, 0x100]), &segs);
    assert_eq!(r.errno, EINVAL);
    r.unchanged();
    // events array past the end
    let segs = [words(0x600, &[7, 0, 0, 0, 1, 0, 1000, 0, 0, 0, 0, 0])];
    let r = run(&call("poll_oneoff", &[0x600, 65520, 1, 0x100]), &segs);
    assert_eq!(r.errno, EFAULT);
    r.unchanged();
}

#[test]
fn poll_oneoff_reports_a_due_clock() {
    // userdata 7, tag clock, then {id monotonic, timeout 1000 ns, precision 0, flags 0}
    let segs = [words(0x600, &[7, 0, 0, 0, 1, 0, 1000, 0, 0, 0, 0, 0])];
    let r = run(&call("poll_oneoff", &[0x600, 0x800, 1, 0x100]), &segs);
    assert_eq!(r.errno, 0);
    r.changed_only(&[0x100..0x104, 0x800..0x820]);
    assert_eq!(r.word(0x100), 1);
    assert_eq!(r.word(0x800), 7); // userdata
    assert_eq!(
        &r.after[0x808..0x80c],
        &[0, 0, 0, 0],
        "errno 0, type clock, padding written as zero"
    );
}

#[test]
fn random_get_out_of_range_and_in_range() {
    let r = run(&call("random_get", &[65530, 16]), &[]);
    assert_eq!(r.errno, EFAULT);
    r.unchanged();
    let r = run(&call("random_get", &[0x700, 32]), &[]);
    assert_eq!(r.errno, 0);
    r.changed_only(&[0x700..0x720]);
    assert_ne!(
        &r.after[0x700..0x720],
        &[0xab; 32],
        "32 random bytes were written"
    );
}

#[test]
fn clock_time_get_with_a_bad_clock_or_pointer() {
    let r = run(
        "(call $clock_time_get (i32.const 9) (i64.const 0) (i32.const 0x100))",
        &[],
    );
    assert_eq!(r.errno, EINVAL);
    r.unchanged();
    let r = run(
        "(call $clock_time_get (i32.const 1) (i64.const 0) (i32.const 0x104))",
        &[],
    );
    assert_eq!(r.errno, EFAULT, "a u64 at an offset that is 4 mod 8");
    r.unchanged();
    let r = run(
        "(call $clock_time_get (i32.const 0) (i64.const 0) (i32.const 0x100))",
        &[],
    );
    assert_eq!(r.errno, 0);
    r.changed_only(&[0x100..0x108]);
}

#[test]
fn stdio_is_not_seekable_or_a_socket_and_other_fds_do_not_exist() {
    assert_eq!(
        run(
            "(call $fd_seek (i32.const 1) (i64.const 0) (i32.const 0) (i32.const 0x100))",
            &[]
        )
        .errno,
        ESPIPE
    );
    assert_eq!(
        run(
            "(call $fd_seek (i32.const 9) (i64.const 0) (i32.const 0) (i32.const 0x100))",
            &[]
        )
        .errno,
        EBADF
    );
    assert_eq!(
        run(
            "(call $fd_seek (i32.const 1) (i64.const 0) (i32.const 7) (i32.const 0x100))",
            &[]
        )
        .errno,
        EINVAL
    );
    assert_eq!(run(&call("sock_shutdown", &[1, 1]), &[]).errno, ENOTSOCK);
    assert_eq!(run(&call("sock_shutdown", &[9, 1]), &[]).errno, EBADF);
    assert_eq!(run(&call("fd_close", &[9]), &[]).errno, EBADF);
    assert_eq!(
        run(&call("fd_write", &[7, 0x200, 0, 0x100]), &[]).errno,
        EBADF
    );
}

#[test]
fn imports_the_host_does_not_define_return_enosys() {
    let wat = r#"(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "wasi_unstable" "fd_close" (func $old (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start") (call $old (i32.const 1)) (call $proc_exit)))"#;
    assert_eq!(run_with(wat, &[], b"").errno, ENOSYS);
}

#[test]
fn path_open_without_a_preopen_is_ebadf() {
    let r = run(
        "(call $path_open (i32.const 3) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i64.const 0) (i64.const 0) (i32.const 0) (i32.const 0))",
        &[],
    );
    assert_eq!(r.errno, EBADF);
    r.unchanged();
}

#[test]
fn programs_using_exception_handling_load_and_run() {
    // Current toolchains lower `setjmp`/`longjmp` to the exception-handling
    // proposal; the engine must accept it. This guest throws and catches.
    let wat = r#"(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (tag $jump (param i32))
  (memory (export "memory") 1)
  (func (export "_start")
    (block $caught (result i32)
      (try_table (catch $jump $caught) (throw $jump (i32.const 42)))
      (i32.const 0))
    (call $proc_exit)))"#;
    assert_eq!(run_with(wat, &[], b"").errno, 42);
}
