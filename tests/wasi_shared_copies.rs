//! On a shared memory the example WASI host copies instead of borrowing;
//! a guest must not be able to make it hold more host memory than a bounded
//! amount, however much it asks to transfer. Here a guest names the same
//! 1 MiB buffer in many iovecs; the host's peak of live heap bytes (counted
//! by this binary's allocator) must not grow with the number of iovecs.
//!
//! One test only: the counter is process-wide.
//! Not under Miri: wasmtime compiles wasm to machine code.
#![cfg(not(any(miri, guest_memory_no_engines)))]

#[allow(dead_code)]
#[path = "../examples/wasi_run/wasi/mod.rs"]
mod wasi;

#[path = "common/counting.rs"]
mod counting;

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use counting::{Counting, peak_growth};

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Counts what is written, keeps nothing.
#[derive(Clone, Default)]
struct Count(Arc<AtomicU64>);

impl Write for Count {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.fetch_add(buf.len() as u64, Ordering::Relaxed);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

const MIB: u32 = 1 << 20;

/// Runs a guest that writes `n` iovecs, each the same 1 MiB buffer, to
/// stdout; returns the bytes written and the peak of live heap bytes
/// above where it started.
fn write_same_buffer(engine: &wasmtime::Engine, n: u32) -> (u64, usize) {
    let wat = format!(
        r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 18 18 shared)
  (func (export "_start") (local $i i32)
    (loop $fill
      (i32.store (i32.add (i32.const {iovs}) (i32.mul (local.get $i) (i32.const 8))) (i32.const 0))
      (i32.store (i32.add (i32.const {iovs_len}) (i32.mul (local.get $i) (i32.const 8))) (i32.const {MIB}))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $fill (i32.lt_u (local.get $i) (i32.const {n}))))
    (call $proc_exit (call $fd_write (i32.const 1) (i32.const {iovs}) (i32.const {n}) (i32.const {nwritten})))))"#,
        iovs = MIB,
        iovs_len = MIB + 4,
        nwritten = MIB + 0x8000,
    );
    let module = wasmtime::Module::new(engine, wat).unwrap();
    let out = Count::default();
    let config = wasi::Config {
        args: vec!["guest".into()],
        env: Vec::new(),
        stdin: Box::new(std::io::empty()),
        stdout: Box::new(out.clone()),
        stderr: Box::new(std::io::sink()),
        preopens: Vec::new(),
    };
    let (outcome, peak) =
        peak_growth(|| wasi::run(engine, &module, config).expect("the guest must not trap"));
    assert_eq!(outcome.exit_code, 0);
    let nwritten = &outcome.memory_after[(MIB + 0x8000) as usize..][..4];
    let written = out.0.load(Ordering::Relaxed);
    assert_eq!(
        u64::from(u32::from_le_bytes(nwritten.try_into().unwrap())),
        written
    );
    (written, peak)
}

#[test]
fn naming_one_buffer_many_times_does_not_make_the_host_hold_more() {
    let engine = wasi::engine().unwrap();
    let (one, peak_one) = write_same_buffer(&engine, 1);
    let (many, peak_many) = write_same_buffer(&engine, 128);
    assert_eq!(one, u64::from(MIB));
    assert_eq!(many, 128 * u64::from(MIB));
    // 128 MiB went through; the host held at most a chunk more than for one
    // iovec (plus the 1 KiB iovec list).
    let chunk = wasi::io::CHUNK as usize;
    assert!(
        peak_many <= peak_one + chunk + 4096,
        "peak live heap {peak_many} B for 128 iovecs vs {peak_one} B for one"
    );
}
