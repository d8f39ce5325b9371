//! Async host functions whose future is polled on one thread and resumed
//! on another, as a multi-threaded executor does when another worker picks
//! the task up. No executor is needed: the first poll runs on the test's
//! thread, the rest on a scoped thread. Every memory the docs teach for host
//! functions either works there (these tests) or is refused by the compiler
//! (`LocalSliceMemory` held across an `.await`: its `compile_fail` doctest).

use core::cell::UnsafeCell;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};
use std::thread;

use guest_memory::{
    GuestError, GuestMemory, GuestPtr, LocalSliceMemory, SharedSliceMemory, SliceMemory,
};

/// Pending on its first poll, ready on the next: an `.await` after which
/// the task may be on another thread.
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

/// Polls `fut` once here (it must wait), then to its end on another thread.
fn resume_elsewhere<F: Future + Send>(fut: F) -> F::Output
where
    F::Output: Send,
{
    let mut fut = Box::pin(fut);
    let first = fut.as_mut().poll(&mut Context::from_waker(Waker::noop()));
    assert!(first.is_pending(), "the host function did not wait");
    let here = thread::current().id();
    thread::scope(|s| {
        s.spawn(move || {
            assert_ne!(thread::current().id(), here);
            let mut cx = Context::from_waker(Waker::noop());
            loop {
                if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
                    return out;
                }
            }
        })
        .join()
        .unwrap()
    })
}

/// The README's host function made async: a view of the name is held
/// across the `.await`, the result written after it.
async fn greet(mem: &dyn GuestMemory, name: u32, len: u32, out: u32) -> Result<String, GuestError> {
    let name = GuestPtr::<str>::new(mem, (name, len)).as_cow()?;
    YieldOnce::default().await;
    GuestPtr::<u32>::new(mem, out).write(len)?;
    Ok(name.to_string())
}

/// An iovec-filling host function: a mut view taken before the `.await`,
/// filled and dropped after it.
async fn fill(mem: &dyn GuestMemory, buf: u32, len: u32) -> Result<(), GuestError> {
    let mut view = GuestPtr::<[u8]>::new(mem, (buf, len)).as_buf_mut()?;
    YieldOnce::default().await;
    view.fill(b'z');
    Ok(())
}

fn guest_bytes() -> Vec<u8> {
    let mut bytes = vec![0u8; 128];
    bytes[16..21].copy_from_slice(b"guest");
    bytes
}

#[test]
fn a_slice_memory_made_in_the_call_works_across_the_await() {
    let mut bytes = guest_bytes();
    let (name, left) = resume_elsewhere(async {
        let mem = SliceMemory::new(&mut bytes);
        let name = greet(&mem, 16, 5, 64).await;
        (name, mem.has_outstanding_borrows())
    });
    assert_eq!(name.unwrap(), "guest");
    assert!(!left, "a borrow stayed recorded");
    assert_eq!(bytes[64..68], 5u32.to_le_bytes());
}

#[test]
fn a_slice_memory_lent_to_the_call_has_nothing_borrowed_after_it() {
    let mut bytes = guest_bytes();
    let mem = SliceMemory::new(&mut bytes);
    assert_eq!(resume_elsewhere(greet(&mem, 16, 5, 64)).unwrap(), "guest");
    resume_elsewhere(fill(&mem, 32, 8)).unwrap();
    assert!(!mem.has_outstanding_borrows());
    // The regions the views held take a mut borrow again, here.
    assert!(mem.ptr::<[u8]>((16, 24)).as_slice_mut().unwrap().is_some());
    assert_eq!(mem.ptr::<u32>(64).read().unwrap(), 5);
    drop(mem);
    assert_eq!(&bytes[32..40], b"zzzzzzzz");
}

#[test]
fn a_shared_memory_lent_to_the_call_has_nothing_borrowed_after_it() {
    let cells: Vec<UnsafeCell<u8>> = guest_bytes().into_iter().map(UnsafeCell::new).collect();
    // SAFETY: the cells are accessed only through `mem`, atomically.
    let mem = unsafe { SharedSliceMemory::new(&cells) };
    assert_eq!(resume_elsewhere(greet(&mem, 16, 5, 64)).unwrap(), "guest");
    resume_elsewhere(fill(&mem, 32, 8)).unwrap();
    assert!(!mem.has_outstanding_borrows());
    assert!(mem.ptr::<[u8]>((16, 24)).as_buf_mut().is_ok());
    assert_eq!(mem.ptr::<u32>(64).read().unwrap(), 5);
    assert_eq!(mem.ptr::<[u8]>((32, 8)).to_vec().unwrap(), b"zzzzzzzz");
}

/// A `LocalSliceMemory` per synchronous section, made again from the bytes
/// after the `.await`: the pattern that keeps a synchronous host function's
/// speed. The future is `Send` because no memory crosses the `.await`.
async fn greet_in_sections(
    bytes: &mut [u8],
    name: u32,
    len: u32,
    out: u32,
) -> Result<String, GuestError> {
    let name = {
        let mem = LocalSliceMemory::new(bytes);
        let name = GuestPtr::<str>::new(&*mem, (name, len)).as_cow()?;
        name.to_string()
    };
    YieldOnce::default().await;
    let mem = LocalSliceMemory::new(bytes);
    mem.ptr::<u32>(out).write(len)?;
    let mut view = mem.ptr::<[u8]>((32, 8)).as_buf_mut()?;
    view.fill(b'z');
    Ok(name)
}

#[test]
fn a_local_memory_per_section_works_when_the_task_moves() {
    let mut bytes = guest_bytes();
    let name = resume_elsewhere(greet_in_sections(&mut bytes, 16, 5, 64));
    assert_eq!(name.unwrap(), "guest");
    assert_eq!(bytes[64..68], 5u32.to_le_bytes());
    assert_eq!(&bytes[32..40], b"zzzzzzzz");
    // Bad guest input is an error after the move as before it.
    let err = resume_elsewhere(greet_in_sections(&mut bytes, 16, 5, 128)).unwrap_err();
    assert!(matches!(err, GuestError::PtrOutOfBounds(_)), "{err:?}");
}
