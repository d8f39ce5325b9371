//! The host functions of a small plugin host, written once against
//! `&dyn GuestMemory` and linked unchanged into wasmtime
//! (`examples/wasmtime_host.rs`) and wasmi (`examples/wasmi_host.rs`).
//!
//! The guest ABI, all under the import module `host`, each returning an
//! errno (`0` on success):
//! - `log(msg, msg_len)`: a UTF-8 string the host keeps;
//! - `point(id, out)`: writes a padded `Point` record to an out-pointer;
//! - `fill(iovs, iovs_len, nfilled)`: fills the guest's buffers (an array of
//!   `{ buf, buf_len }` iovecs) with the host's message, `fd_read`-style,
//!   and writes how many bytes it placed to the out-pointer `nfilled`.
//!
//! Nothing here knows which engine runs it or whether the memory is shared:
//! [`GuestPtr::as_buf_mut`] and [`GuestPtr::as_cow`] lend views in place on
//! an ordinary memory and copies on a shared one, under the same rules.

use guest_memory::{GuestError, GuestErrorType, GuestMemory, GuestPtr, guest_struct};

guest_struct! {
    /// A record with padding, as the guest's C compiler lays it out: `tag`
    /// at 0, `x` at 8 (seven padding bytes before it), `y` at 16; 24 bytes,
    /// aligned to 8.
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub struct Point {
        /// A small tag.
        pub tag: u8,
        /// A wide field, aligned to 8.
        pub x: u64,
        /// A narrow field; six trailing padding bytes follow.
        pub y: u16,
    }
}

guest_struct! {
    /// One guest buffer: where it starts and how long it is.
    #[derive(Debug, Clone, Copy)]
    pub struct Iovec<'a> {
        /// The first byte.
        pub buf: GuestPtr<'a, u8>,
        /// The length in bytes.
        pub buf_len: u32,
    }
}

/// What the host keeps between calls.
#[derive(Debug, Default)]
pub struct State {
    /// Every message the guest logged.
    pub log: Vec<String>,
    /// Every call that failed, with its error chain.
    pub failures: Vec<String>,
}

/// The bytes `fill` places, repeated as often as the buffers need.
pub const MESSAGE: &[u8] = b"greetings from the host! ";

/// `log(msg, msg_len)`.
pub fn log(state: &mut State, mem: &dyn GuestMemory, msg: u32, len: u32) -> Result<(), GuestError> {
    // Zero-copy where the memory allows, a copy on shared memory; one path.
    let msg = GuestPtr::<str>::new(mem, (msg, len)).as_cow()?;
    state.log.push(msg.to_string());
    Ok(())
}

/// `point(id, out)`.
pub fn point(mem: &dyn GuestMemory, id: u32, out: u32) -> Result<(), GuestError> {
    let p = Point {
        tag: u8::try_from(id)?,
        x: (1 << 40) | u64::from(id),
        y: 0xbeef,
    };
    // Checks alignment (8) and bounds of all 24 bytes, writes the fields
    // little-endian and zeroes the padding; a failed write changes nothing.
    GuestPtr::<Point>::new(mem, out).write(p)
}

/// `fill(iovs, iovs_len, nfilled)`.
pub fn fill(
    mem: &dyn GuestMemory,
    iovs: u32,
    iovs_len: u32,
    nfilled: u32,
) -> Result<(), GuestError> {
    // The whole array is checked and copied out in one step, before any
    // allocation a guest-chosen count could make huge.
    let iovs = GuestPtr::<[Iovec<'_>]>::new(mem, (iovs, iovs_len)).to_vec()?;
    // Every buffer at once: two that overlap are `PtrBorrowed`, shared
    // memory or not.
    let mut bufs = iovs
        .iter()
        .map(|iov| iov.buf.as_array(iov.buf_len).as_buf_mut())
        .collect::<Result<Vec<_>, _>>()?;
    let mut placed = 0usize;
    for buf in &mut bufs {
        for byte in buf.iter_mut() {
            *byte = MESSAGE[placed % MESSAGE.len()];
            placed += 1;
        }
    }
    drop(bufs); // releases the borrows (and writes copies back)
    GuestPtr::<u32>::new(mem, nfilled).write(u32::try_from(placed)?)
}

/// The guest's error numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Errno(pub i32);

impl Errno {
    /// A pointer outside memory, misaligned or overflowing.
    pub const FAULT: Errno = Errno(21);
    /// Buffers that overlap each other.
    pub const BUSY: Errno = Errno(10);
    /// A string that is not UTF-8.
    pub const ILSEQ: Errno = Errno(25);
    /// A value out of range.
    pub const INVAL: Errno = Errno(28);
}

impl GuestErrorType for Errno {
    fn success() -> Self {
        Errno(0)
    }
}

impl From<&GuestError> for Errno {
    /// By what was wrong at the bottom of the chain, however deep the
    /// record that held it.
    fn from(e: &GuestError) -> Errno {
        match e.root_cause() {
            GuestError::PtrBorrowed(_) => Errno::BUSY,
            GuestError::InvalidUtf8(_) => Errno::ILSEQ,
            GuestError::TryFromIntError(_)
            | GuestError::InvalidEnumValue(_)
            | GuestError::InvalidFlagValue(_) => Errno::INVAL,
            _ => Errno::FAULT,
        }
    }
}

/// Runs one host function's body and turns its result into the guest's
/// errno, keeping the error chain of a failure: the engine-independent half
/// of every binding.
pub fn call<E>(
    state: &mut State,
    func: &'static str,
    body: impl FnOnce(&mut State) -> Result<(), GuestError>,
) -> E
where
    E: GuestErrorType + for<'e> From<&'e GuestError>,
{
    match body(state) {
        Ok(()) => E::success(),
        Err(e) => {
            let e = e.in_func("host", func, "arguments");
            state.failures.push(chain(&e));
            E::from(&e)
        }
    }
}

/// Every message of an error's chain, once each, joined by `: `.
pub fn chain(e: &GuestError) -> String {
    let mut out = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cause = c.source();
    }
    out
}

/// The guest, in WAT, with its memory line left for the engine example to
/// fill in (an ordinary memory, or an imported shared one). Its `run`
/// export makes every call, good and hostile, and stores each errno at
/// `RESULTS`.
pub const GUEST: &str = r#"
(module
  (import "host" "log" (func $log (param i32 i32) (result i32)))
  (import "host" "point" (func $point (param i32 i32) (result i32)))
  (import "host" "fill" (func $fill (param i32 i32 i32) (result i32)))
  MEMORY
  (data (i32.const 16) "hello from the guest")
  (data (i32.const 48) "\ff\fe")
  ;; iovecs at 64: { 128, 5 } { 136, 16 }
  (data (i32.const 64) "\80\00\00\00\05\00\00\00\88\00\00\00\10\00\00\00")
  ;; iovecs at 80 that overlap: { 160, 8 } { 164, 8 }
  (data (i32.const 80) "\a0\00\00\00\08\00\00\00\a4\00\00\00\08\00\00\00")
  (func (export "run")
    (i32.store (i32.const 512) (call $log (i32.const 16) (i32.const 20)))
    (i32.store (i32.const 516) (call $point (i32.const 7) (i32.const 256)))
    (i32.store (i32.const 520) (call $fill (i32.const 64) (i32.const 2) (i32.const 400)))
    ;; hostile calls
    (i32.store (i32.const 524) (call $log (i32.const 48) (i32.const 2)))
    (i32.store (i32.const 528) (call $point (i32.const 7) (i32.const 65528)))
    (i32.store (i32.const 532) (call $point (i32.const 300) (i32.const 288)))
    (i32.store (i32.const 536) (call $fill (i32.const 80) (i32.const 2) (i32.const 404)))
    (i32.store (i32.const 540) (call $fill (i32.const 64) (i32.const 0x20000000) (i32.const 404)))
    (i32.store (i32.const 544) (call $log (i32.const 65530) (i32.const 100)))))
"#;

/// Where the guest stores each call's errno, in call order.
pub const RESULTS: u32 = 512;

/// The errno each call in `GUEST`'s `run` must get.
pub const EXPECTED: [Errno; 9] = [
    Errno(0),
    Errno(0),
    Errno(0),
    Errno::ILSEQ, // not UTF-8
    Errno::FAULT, // the record would run past the end of memory
    Errno::INVAL, // tag 300 does not fit a u8
    Errno::BUSY,  // overlapping buffers
    Errno::FAULT, // 2^29 iovecs, 4 GiB: refused before any work
    Errno::FAULT, // a string past the end of memory
];

/// Checks what the guest's `run` left in its memory and what the host
/// recorded; panics (failing the example) on any difference.
pub fn check(state: &State, mem: &dyn GuestMemory) -> Result<(), GuestError> {
    let results = GuestPtr::<[i32]>::new(mem, (RESULTS, 9)).to_vec()?;
    let results: Vec<Errno> = results.into_iter().map(Errno).collect();
    assert_eq!(results, EXPECTED, "errnos");
    assert_eq!(state.log, ["hello from the guest"]);
    let point = GuestPtr::<Point>::new(mem, 256).read()?;
    assert_eq!(
        point,
        Point {
            tag: 7,
            x: (1 << 40) | 7,
            y: 0xbeef
        }
    );
    assert_eq!(GuestPtr::<u32>::new(mem, 400).read()?, 21);
    let filled = [
        GuestPtr::<[u8]>::new(mem, (128, 5)).to_vec()?,
        GuestPtr::<[u8]>::new(mem, (136, 16)).to_vec()?,
    ]
    .concat();
    assert_eq!(filled, MESSAGE[..21]);
    // The hostile calls changed nothing they were refused.
    assert_eq!(GuestPtr::<[u8]>::new(mem, (160, 12)).to_vec()?, [0; 12]);
    assert_eq!(GuestPtr::<u32>::new(mem, 404).read()?, 0);
    assert_eq!(GuestPtr::<[u8]>::new(mem, (288, 24)).to_vec()?, [0; 24]);
    assert_eq!(state.failures.len(), 6);
    Ok(())
}
