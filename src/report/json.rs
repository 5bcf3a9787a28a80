//! The JSON report: one document, schema in the README, laid out one
//! record per line: the top-level fields each on their own line, and each
//! element of a top-level list (a finding, a rule, a pod) on one line of
//! its own, compact. `grep`, `diff` and `git diff` see one finding per
//! line, and the file is about 60% of the size of an indented one (89 MB
//! instead of 153 MB on the 100,000-pod cluster of BENCHMARKS.md); `jq .`
//! indents it for reading.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::ser::Formatter;

use super::record_style::{self, Style};
use super::{Report, ReportError};
use crate::spliced;
use crate::tables::{self, Entries};

/// Writes the report as JSON, its tables last (see [`super::Document`]),
/// ending with a newline.
pub fn write(report: &Report, out: impl Write) -> Result<(), ReportError> {
    tables::with_tables(Entries::Json, || {
        record_style::writing(Style::Json, || {
            write_document(&super::Document::of(report), out)
        })
    })
}

/// Writes any document (a report, a fleet) with the report's layout,
/// ending with a newline.
pub fn write_document(value: &impl Serialize, out: impl Write) -> Result<(), ReportError> {
    // The serializer writes a few bytes at a time: into a buffer of this
    // type, not through whatever `out` dispatches to.
    let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
    write_records(value, &mut out)?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(())
}

/// Writes `value` as JSON with the layout of the report: nesting down to
/// `RECORD_DEPTH` is indented, anything deeper is compact.
pub fn write_records(value: &impl Serialize, out: &mut impl Write) -> Result<(), ReportError> {
    let mut ser = serde_json::Serializer::with_formatter(out, Records::default());
    spliced::accepting(|| value.serialize(&mut ser))?;
    Ok(())
}

/// Depth at which values are written on one line: 1 is the document's
/// fields, 2 the elements of its lists (and the fields of its objects).
const RECORD_DEPTH: usize = 2;

/// A formatter that indents like `jq` down to [`RECORD_DEPTH`] and writes
/// deeper values compactly.
#[derive(Debug, Default)]
pub(super) struct Records {
    /// Arrays and objects open.
    depth: usize,
    /// Whether the innermost open array or object has a value yet.
    has_value: bool,
}

impl Records {
    /// The formatter as it stands at an element of a top-level list.
    pub(super) fn at_element() -> Records {
        record_style::at_element(Records::default())
    }

    fn indented(&self) -> bool {
        self.depth <= RECORD_DEPTH
    }

    fn newline<W: ?Sized + Write>(&self, w: &mut W, depth: usize) -> io::Result<()> {
        w.write_all(b"\n")?;
        for _ in 0..depth {
            w.write_all(b"  ")?;
        }
        Ok(())
    }

    fn open<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(bracket)
    }

    fn close<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        let was_indented = self.indented();
        self.depth -= 1;
        if was_indented && self.has_value {
            self.newline(w, self.depth)?;
        }
        self.has_value = true;
        w.write_all(bracket)
    }

    fn separate<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if !first {
            w.write_all(b",")?;
        }
        if self.indented() {
            self.newline(w, self.depth)?;
        }
        Ok(())
    }
}

impl Formatter for Records {
    /// Writes an element written ahead instead, when one is pending
    /// ([`spliced`]).
    fn write_null<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        spliced::write_pending(w).unwrap_or_else(|| w.write_all(b"null"))
    }

    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.separate(w, first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.separate(w, first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(if self.indented() { b": " } else { b":" })
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn laid_out(v: &serde_json::Value) -> String {
        let mut out = Vec::new();
        write_records(v, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn top_level_fields_and_list_elements_each_get_a_line() {
        let v = json!({
            "schemaVersion": 2,
            "empty": [],
            "none": {},
            "findings": [{"code": "a", "evidence": [{"ruleRef": 1}]}, {"code": "b"}],
            "counts": {"findings": 2, "bySeverity": {"HIGH": 2}},
        });
        let text = laid_out(&v);
        assert_eq!(
            text,
            "{\n  \"counts\": {\n    \"bySeverity\": {\"HIGH\":2},\n    \"findings\": 2\n  },\n  \"empty\": [],\n  \"findings\": [\n    {\"code\":\"a\",\"evidence\":[{\"ruleRef\":1}]},\n    {\"code\":\"b\"}\n  ],\n  \"none\": {},\n  \"schemaVersion\": 2\n}"
        );
        // Whatever the layout, it is the same document.
        assert_eq!(serde_json::from_str::<serde_json::Value>(&text).unwrap(), v);
    }

    #[test]
    fn scalars_and_strings_are_written_as_json_writes_them() {
        let v = json!(["a\"b\n\u{1b}", 1.5, null, true]);
        let text = laid_out(&v);
        assert_eq!(
            text,
            "[\n  \"a\\\"b\\n\\u001b\",\n  1.5,\n  null,\n  true\n]"
        );
    }
}
