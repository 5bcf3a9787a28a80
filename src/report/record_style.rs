//! Which writer is writing a report's document, for its long lists to be
//! written on every core ([`super::records`]) in that writer's layout.
//! Only the report's own writers say so ([`writing`]), around a report
//! whose lists are the document's fields: a fleet, whose reports are nested
//! deeper, or any other serializer, is written one element after the other.

use std::cell::Cell;
use std::io;

use serde_json::ser::Formatter;

/// The writers whose records can be written on every core.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// [`super::json`]'s layout.
    Json,
    /// [`super::yaml`]'s layout.
    Yaml,
}

thread_local! {
    static STYLE: Cell<Option<Style>> = const { Cell::new(None) };
}

/// Runs `write`, a writer of `style` writing a report's document.
pub fn writing<R>(style: Style, write: impl FnOnce() -> R) -> R {
    struct Reset(Option<Style>);
    impl Drop for Reset {
        fn drop(&mut self) {
            STYLE.with(|s| s.set(self.0));
        }
    }
    let _reset = Reset(STYLE.with(|s| s.replace(Some(style))));
    write()
}

/// The style of the report being written on this thread, if any.
pub fn current() -> Option<Style> {
    STYLE.with(Cell::get)
}

/// `formatter` as it stands at the first element of a list that is a field
/// of the document: driven through the calls that lead there, writing
/// nowhere.
pub(super) fn at_element<F: Formatter>(mut formatter: F) -> F {
    let w = &mut io::sink();
    // A sink takes every write.
    let _ = (formatter.begin_object(w))
        .and_then(|()| formatter.begin_object_key(w, true))
        .and_then(|()| formatter.begin_string(w))
        .and_then(|()| formatter.end_string(w))
        .and_then(|()| formatter.end_object_key(w))
        .and_then(|()| formatter.begin_object_value(w))
        .and_then(|()| formatter.begin_array(w))
        .and_then(|()| formatter.begin_array_value(w, true));
    formatter
}
