//! Async host functions on wasmtime, on a multi-threaded tokio runtime.
//!
//! Many guest instances run at once, each in its own task. Their host
//! functions are futures (`Linker::func_wrap_async`) that read guest memory,
//! await something real (a timer, a yield to the scheduler), and then write
//! results back: after each `.await` the task may be running on another
//! worker thread. The example counts those moves and checks every result,
//! exiting non-zero on any mismatch (or if no task ever moved).
//!
//! The two ways an async host function makes its memory:
//! - `log` makes a [`LocalSliceMemory`] per synchronous section, again after
//!   the `.await`: no atomic operation per access, and the compiler refuses
//!   to let it cross an `.await` (the task's future would not be `Send`);
//! - `fill` makes one [`SliceMemory`] and holds it, with views of the
//!   guest's buffers, across the `.await`: any thread may use it, at a small
//!   lock per access.
//!
//! Run with `cargo run --example wasmtime_async`.

#[allow(dead_code)] // the async host functions use only part of it
mod plugin;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use guest_memory::{GuestError, GuestMemory, GuestPtr, LocalSliceMemory, SliceMemory};
use plugin::{Errno, Iovec, MESSAGE, State};
use wasmtime::{Caller, Engine, Extern, Linker, Memory, Module, Store};

/// Guest instances running at once, and calls to `run` each makes.
const INSTANCES: u32 = 32;
const ROUNDS: u32 = 8;

/// Awaits that resumed on another worker thread than they started on.
static MIGRATIONS: AtomicUsize = AtomicUsize::new(0);
/// Awaits in all.
static AWAITS: AtomicUsize = AtomicUsize::new(0);

/// Awaits `fut`, counting whether the task came back on another thread.
async fn counted<F: Future>(fut: F) -> F::Output {
    let before = thread::current().id();
    let out = fut.await;
    AWAITS.fetch_add(1, Ordering::Relaxed);
    if thread::current().id() != before {
        MIGRATIONS.fetch_add(1, Ordering::Relaxed);
    }
    out
}

fn memory_of(caller: &mut Caller<'_, State>) -> wasmtime::Result<Memory> {
    match caller.get_export("memory") {
        Some(Extern::Memory(memory)) => Ok(memory),
        _ => wasmtime::bail!("the guest exports no memory named `memory`"),
    }
}

/// The errno for a host function's result, keeping a failure's chain.
fn errno(state: &mut State, func: &'static str, result: Result<(), GuestError>) -> i32 {
    let errno: Errno = plugin::call(state, func, |_| result);
    errno.0
}

/// `log(msg, msg_len, out_len)`: keeps the guest's string, after an await
/// standing in for an async write to a log sink, and writes its length to
/// `*out_len`. A memory per synchronous section.
async fn log(
    caller: &mut Caller<'_, State>,
    msg: u32,
    len: u32,
    out: u32,
) -> wasmtime::Result<i32> {
    let memory = memory_of(caller)?;
    // Section one: copy the message out; the memory ends with the block.
    let text = {
        let mem = LocalSliceMemory::new(memory.data_mut(&mut *caller));
        GuestPtr::<str>::new(&*mem, (msg, len))
            .as_cow()
            .map(|s| s.to_string())
    };
    let text = match text {
        Ok(text) => text,
        Err(e) => return Ok(errno(caller.data_mut(), "log", Err(e))),
    };
    counted(tokio::time::sleep(Duration::from_micros(200))).await;
    // Section two: a new memory over the bytes as they are now.
    let (bytes, state) = memory.data_and_store_mut(&mut *caller);
    let mem = LocalSliceMemory::new(bytes);
    let result = GuestPtr::<u32>::new(&*mem, out).write(len);
    if result.is_ok() {
        state.log.push(text);
    }
    Ok(errno(state, "log", result))
}

/// `fill(iovs, iovs_len, nfilled)`: borrows every guest buffer, awaits (a
/// yield to the scheduler, standing in for a read from a socket), then fills
/// them. One memory, and the views into it, held across the `.await`.
async fn fill(mem: &dyn GuestMemory, iovs: u32, n: u32, nfilled: u32) -> Result<(), GuestError> {
    let iovs = GuestPtr::<[Iovec<'_>]>::new(mem, (iovs, n)).to_vec()?;
    let mut bufs = iovs
        .iter()
        .map(|iov| iov.buf.as_array(iov.buf_len).as_buf_mut())
        .collect::<Result<Vec<_>, _>>()?;
    counted(tokio::task::yield_now()).await;
    let mut placed = 0usize;
    for buf in &mut bufs {
        for byte in buf.iter_mut() {
            *byte = MESSAGE[placed % MESSAGE.len()];
            placed += 1;
        }
    }
    drop(bufs);
    GuestPtr::<u32>::new(mem, nfilled).write(u32::try_from(placed)?)
}

fn link(linker: &mut Linker<State>) -> wasmtime::Result<()> {
    linker.func_wrap_async(
        "host",
        "log",
        |mut caller: Caller<'_, State>, (msg, len, out): (u32, u32, u32)| {
            Box::new(async move { log(&mut caller, msg, len, out).await })
        },
    )?;
    linker.func_wrap_async(
        "host",
        "fill",
        |mut caller: Caller<'_, State>, (iovs, n, nfilled): (u32, u32, u32)| {
            Box::new(async move {
                let memory = memory_of(&mut caller)?;
                let (bytes, state) = memory.data_and_store_mut(&mut caller);
                let mem = SliceMemory::new(bytes);
                let result = fill(&mem, iovs, n, nfilled).await;
                Ok(errno(state, "fill", result))
            })
        },
    )?;
    Ok(())
}

/// Each round's good and hostile calls; the errnos go to `RESULTS + 32 *
/// round`, the out-values after them.
const GUEST: &str = r#"
(module
  (import "host" "log" (func $log (param i32 i32 i32) (result i32)))
  (import "host" "fill" (func $fill (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello from the guest")
  (data (i32.const 48) "\ff\fe")
  ;; iovecs at 64: { 128, 5 } { 136, 16 }
  (data (i32.const 64) "\80\00\00\00\05\00\00\00\88\00\00\00\10\00\00\00")
  ;; iovecs at 80 that overlap: { 160, 8 } { 164, 8 }
  (data (i32.const 80) "\a0\00\00\00\08\00\00\00\a4\00\00\00\08\00\00\00")
  (func (export "run") (param $round i32)
    (local $r i32)
    (local.set $r (i32.add (i32.const 512) (i32.mul (local.get $round) (i32.const 32))))
    (i32.store (local.get $r) (call $log (i32.const 16) (i32.const 20) (i32.add (local.get $r) (i32.const 24))))
    (i32.store offset=4 (local.get $r) (call $fill (i32.const 64) (i32.const 2) (i32.add (local.get $r) (i32.const 28))))
    ;; hostile calls
    (i32.store offset=8 (local.get $r) (call $log (i32.const 48) (i32.const 2) (i32.const 1024)))
    (i32.store offset=12 (local.get $r) (call $fill (i32.const 80) (i32.const 2) (i32.const 1028)))
    (i32.store offset=16 (local.get $r) (call $fill (i32.const 64) (i32.const 0x20000000) (i32.const 1028)))
    (i32.store offset=20 (local.get $r) (call $log (i32.const 65530) (i32.const 100) (i32.const 1024)))))
"#;

const RESULTS: u32 = 512;

/// The errno each call of a round must get.
const EXPECTED: [Errno; 6] = [
    Errno(0),
    Errno(0),
    Errno::ILSEQ, // not UTF-8
    Errno::BUSY,  // overlapping buffers
    Errno::FAULT, // 2^29 iovecs, 4 GiB: refused before any work
    Errno::FAULT, // a string past the end of memory
];

/// What one instance's rounds left in its memory and its state.
fn check(state: &State, mem: &dyn GuestMemory) -> Result<(), String> {
    let mut wrong = Vec::new();
    for round in 0..ROUNDS {
        let at = RESULTS + 32 * round;
        let read = |offset: u32| GuestPtr::<u32>::new(mem, at + offset).read();
        let errnos: Vec<Errno> = GuestPtr::<[i32]>::new(mem, (at, 6))
            .to_vec()
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(Errno)
            .collect();
        if errnos != EXPECTED {
            wrong.push(format!("round {round}: errnos {errnos:?}"));
        }
        if read(24).ok() != Some(20) || read(28).ok() != Some(21) {
            wrong.push(format!(
                "round {round}: out-values {:?} {:?}",
                read(24),
                read(28)
            ));
        }
    }
    let filled = [
        GuestPtr::<[u8]>::new(mem, (128, 5)).to_vec(),
        GuestPtr::<[u8]>::new(mem, (136, 16)).to_vec(),
    ];
    let filled: Vec<u8> = filled
        .into_iter()
        .flat_map(Result::unwrap_or_default)
        .collect();
    if filled != MESSAGE[..21] {
        wrong.push(format!("filled {:?}", String::from_utf8_lossy(&filled)));
    }
    // The refused calls wrote nothing.
    let untouched = GuestPtr::<[u8]>::new(mem, (160, 12)).to_vec().ok();
    if untouched != Some(vec![0; 12])
        || GuestPtr::<[u32]>::new(mem, (1024, 2)).to_vec().ok() != Some(vec![0, 0])
    {
        wrong.push("a refused call wrote to guest memory".into());
    }
    if state.log.len() != ROUNDS as usize || state.log.iter().any(|l| l != "hello from the guest") {
        wrong.push(format!("log {:?}", state.log));
    }
    if state.failures.len() != 4 * ROUNDS as usize {
        wrong.push(format!("{} failures recorded", state.failures.len()));
    }
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(wrong.join("; "))
    }
}

/// One guest instance, all its rounds, then its check.
async fn instance(
    engine: Engine,
    module: Module,
    linker: Arc<Linker<State>>,
) -> wasmtime::Result<Result<(), String>> {
    let mut store = Store::new(&engine, State::default());
    let instance = linker.instantiate_async(&mut store, &module).await?;
    let run = instance.get_typed_func::<u32, ()>(&mut store, "run")?;
    for round in 0..ROUNDS {
        run.call_async(&mut store, round).await?;
    }
    let memory = instance
        .get_memory(&mut store, "memory")
        .ok_or_else(|| wasmtime::format_err!("no memory"))?;
    let (bytes, state) = memory.data_and_store_mut(&mut store);
    Ok(check(state, &*LocalSliceMemory::new(bytes)))
}

fn main() -> wasmtime::Result<()> {
    let engine = Engine::default();
    let module = Module::new(&engine, GUEST)?;
    let mut linker = Linker::new(&engine);
    link(&mut linker)?;
    let linker = Arc::new(linker);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_time()
        .build()?;
    let outcomes = runtime.block_on(async {
        let tasks: Vec<_> = (0..INSTANCES)
            .map(|_| {
                runtime.spawn(instance(
                    engine.clone(),
                    module.clone(),
                    Arc::clone(&linker),
                ))
            })
            .collect();
        let mut outcomes = Vec::new();
        for task in tasks {
            outcomes.push(task.await);
        }
        outcomes
    });
    let mut failed = 0;
    for (i, outcome) in outcomes.into_iter().enumerate() {
        match outcome {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(wrong))) => {
                failed += 1;
                eprintln!("instance {i}: {wrong}");
            }
            Ok(Err(trap)) => {
                failed += 1;
                eprintln!("instance {i} trapped: {trap:?}");
            }
            Err(panic) => {
                failed += 1;
                eprintln!("instance {i} panicked: {panic}");
            }
        }
    }
    let (awaits, moved) = (
        AWAITS.load(Ordering::Relaxed),
        MIGRATIONS.load(Ordering::Relaxed),
    );
    println!(
        "{INSTANCES} instances x {ROUNDS} rounds on 4 worker threads: {} host calls, {awaits} awaits, \
         {moved} resumed on another thread; {} instances checked, {failed} wrong",
        INSTANCES * ROUNDS * 6,
        INSTANCES,
    );
    if failed > 0 {
        std::process::exit(1);
    }
    if moved == 0 {
        eprintln!(
            "no task ever resumed on another thread: the example did not test what it is for"
        );
        std::process::exit(1);
    }
    Ok(())
}
