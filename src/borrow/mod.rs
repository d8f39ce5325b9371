//! [`BorrowTracker`]: the run-time record of which guest regions are lent out.
//!
//! Read in this order, one file at a time:
//!
//! - [`tracker`]: the public [`BorrowTracker`], its two kinds (any thread,
//!   or bound to one) and the handles it issues; it decides *whether* a
//!   borrow is granted and who may touch the records.
//! - [`ids`]: tracker and thread identities, with and without `std`.
//! - [`records`]: the records themselves behind one internal interface
//!   (`Maps`): a slot for the newest borrow, then a small list, then two
//!   ordered maps keyed by a region's start and holding disjoint intervals,
//!   so that "does anything here overlap `[s, e)`?" is one predecessor
//!   lookup — mut borrows `start -> end`, and shared borrows as segments
//!   each carrying how many shared borrows cover it — each kind under a
//!   span that lets an access elsewhere skip the search.
//!
//! A handle carries its region and the issuing tracker's identity, so
//! releasing needs no slab, handles never run out, and a handle given to the
//! wrong tracker is caught instead of releasing somebody else's borrow.

mod ids;
mod records;
mod tracker;

#[cfg(test)]
mod tests;

pub use tracker::BorrowTracker;
