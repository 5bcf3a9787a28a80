//! Text written ahead of a document, put into it by the document's own
//! formatter: elements written on other cores ([`crate::report`]'s
//! records), or the tables' entries, already JSON text
//! ([`crate::tables::Gathered`]).
//!
//! The writer of the document says that its formatter takes part
//! ([`accepting`]): asked to write a `null`, it writes the next pending
//! element instead, if one is pending ([`write_pending`]). Whoever holds
//! the text makes it pending ([`splicing`]) and serialises a [`Next`] for
//! each element, where the element goes. The formatter writes the
//! separators and the layout around each element, as for any other.
//!
//! With any other serializer nothing is accepted, and the holder of the
//! text writes it another way.

use std::cell::{Cell, RefCell};
use std::io::{self, Write};

use serde::{Serialize, Serializer};

thread_local! {
    static ACCEPTING: Cell<bool> = const { Cell::new(false) };
    static PENDING: RefCell<Option<Pending>> = const { RefCell::new(None) };
}

/// Elements waiting to be put in the document.
#[derive(Debug)]
struct Pending {
    text: Vec<u8>,
    /// Where each element ends in `text`.
    ends: Vec<usize>,
    /// The elements put in so far.
    at: usize,
}

/// Runs `write`, whose formatter writes pending elements in place of a
/// `null` ([`write_pending`]), with elements accepted on this thread.
pub fn accepting<R>(write: impl FnOnce() -> R) -> R {
    struct Reset(bool);
    impl Drop for Reset {
        fn drop(&mut self) {
            ACCEPTING.with(|a| a.set(self.0));
            PENDING.with(|p| p.borrow_mut().take());
        }
    }
    let _reset = Reset(ACCEPTING.with(|a| a.replace(true)));
    write()
}

/// Whether the document being written on this thread accepts elements.
pub fn accepted() -> bool {
    ACCEPTING.with(Cell::get)
}

/// Runs `put`, which serialises a [`Next`] for each element of `text` (each
/// ending where `ends` says), with those elements pending. It is an error
/// of the serialisation if some are left.
pub fn splicing<E: serde::ser::Error>(
    text: Vec<u8>,
    ends: Vec<usize>,
    put: impl FnOnce(usize) -> Result<(), E>,
) -> Result<(), E> {
    let count = ends.len();
    PENDING.with(|p| *p.borrow_mut() = Some(Pending { text, ends, at: 0 }));
    let put = put(count);
    let left = PENDING
        .with(|p| p.borrow_mut().take())
        .map(|p| p.ends.len() - p.at);
    put?;
    if left != Some(0) {
        return Err(E::custom(
            "text written ahead was not all put in the document",
        ));
    }
    Ok(())
}

/// For a formatter's `write_null`: writes the next pending element instead,
/// if one is pending.
pub fn write_pending<W: ?Sized + Write>(w: &mut W) -> Option<io::Result<()>> {
    PENDING.with(|p| {
        let mut p = p.borrow_mut();
        let p = p.as_mut()?;
        let start = p.at.checked_sub(1).map_or(0, |i| p.ends[i]);
        let end = *p.ends.get(p.at)?;
        p.at += 1;
        Some(w.write_all(&p.text[start..end]))
    })
}

/// Stands for the next pending element: serialised as a `null`, which the
/// formatter replaces with it.
#[derive(Debug, Clone, Copy)]
pub struct Next;

impl Serialize for Next {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_unit()
    }
}
