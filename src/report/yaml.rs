//! The YAML reports (`-o yaml`): the same document as the JSON report, the
//! same fields and names, laid out like it: the document's fields and the
//! fields of its objects as block mappings, each element of a top-level
//! list (a finding, a pod) on a line of its own as a flow collection
//! (`- {"code": "hot-pod", ...}`), so `grep` and `diff` see one finding per
//! line. Every key and string is double-quoted and escaped, with JSON's
//! escapes (which YAML shares) and `\uXXXX` for what YAML may not hold raw
//! (C1 controls, DEL, line and paragraph separators, byte-order marks):
//! cluster names cannot break the document or change what it says.
//!
//! The report and the fleet are written this way, by `serde_json`'s
//! serializer through `YamlRecords`: streaming, at JSON's speed. The
//! smaller documents (answers, `unused`) are written by `serde-saphyr`.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::ser::{CompactFormatter, Formatter};

use super::record_style::{self, Style};
use super::{Report, ReportError};
use crate::spliced;
use crate::tables::{self, Entries};

/// Writes `value` as one YAML document (by `serde-saphyr`).
pub fn write(value: &impl Serialize, mut out: impl Write) -> Result<(), ReportError> {
    serde_saphyr::to_io_writer(&mut out, value)?;
    out.flush()?;
    Ok(())
}

/// Writes the report as YAML, its tables last (see [`super::Document`]).
pub fn write_report(report: &Report, out: impl Write) -> Result<(), ReportError> {
    tables::with_tables(Entries::Values, || {
        record_style::writing(Style::Yaml, || {
            write_records(&super::Document::of(report), out)
        })
    })
}

/// Writes a document (a report, a fleet) as YAML laid out like the JSON
/// report (see the module's documentation), ending with a newline.
pub fn write_records(value: &impl Serialize, out: impl Write) -> Result<(), ReportError> {
    let mut out = io::BufWriter::with_capacity(1 << 16, out);
    let mut ser = serde_json::Serializer::with_formatter(&mut out, YamlRecords::default());
    spliced::accepting(|| value.serialize(&mut ser))?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(())
}

/// Depth down to which collections are block collections: 1 is the
/// document, 2 its fields' objects and lists; deeper ones are flow.
const BLOCK_DEPTH: usize = 2;

/// One open collection.
#[derive(Debug, Clone, Copy)]
struct Open {
    /// A sequence, else a mapping.
    sequence: bool,
    /// A block collection, else a flow one.
    block: bool,
    /// Whether it has an element yet.
    has_value: bool,
}

/// A `serde_json` formatter that writes YAML: block collections down to
/// [`BLOCK_DEPTH`], flow collections below, JSON-quoted strings.
#[derive(Debug, Default)]
pub(super) struct YamlRecords {
    /// The collections open, outermost first.
    open: Vec<Open>,
    /// Whether anything was written yet.
    started: bool,
    /// A block mapping's `:` was written and its value has not started:
    /// a space goes before a value on the same line.
    space_pending: bool,
}

impl YamlRecords {
    /// The formatter as it stands at an element of a top-level list.
    pub(super) fn at_element() -> YamlRecords {
        record_style::at_element(YamlRecords::default())
    }

    /// Before a value that starts on the current line.
    fn inline_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.started = true;
        if std::mem::take(&mut self.space_pending) {
            w.write_all(b" ")?;
        }
        Ok(())
    }

    /// A new line, indented for an element of the innermost collection.
    fn new_line<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.space_pending = false;
        if self.started {
            w.write_all(b"\n")?;
        }
        self.started = true;
        for _ in 1..self.open.len() {
            w.write_all(b"  ")?;
        }
        Ok(())
    }

    fn begin<W: ?Sized + Write>(&mut self, w: &mut W, sequence: bool) -> io::Result<()> {
        let block = self.open.len() < BLOCK_DEPTH && self.open.last().is_none_or(|o| o.block);
        if !block {
            self.inline_value(w)?;
            w.write_all(if sequence { b"[" } else { b"{" })?;
        }
        self.open.push(Open {
            sequence,
            block,
            has_value: false,
        });
        Ok(())
    }

    fn end<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        let Some(o) = self.open.pop() else {
            return Ok(());
        };
        match (o.block, o.has_value) {
            // An empty block collection is written as an empty flow one.
            (true, false) => {
                self.inline_value(w)?;
                w.write_all(if o.sequence { b"[]" } else { b"{}" })
            }
            (true, true) => Ok(()),
            (false, _) => w.write_all(if o.sequence { b"]" } else { b"}" }),
        }
    }

    fn element<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        let Some(o) = self.open.last_mut() else {
            return Ok(());
        };
        o.has_value = true;
        let (sequence, block) = (o.sequence, o.block);
        if block {
            self.new_line(w)?;
            if sequence {
                w.write_all(b"- ")?;
            }
            Ok(())
        } else if first {
            Ok(())
        } else {
            w.write_all(b", ")
        }
    }
}

/// The scalar writers: each starts a value on the current line, then
/// writes as JSON does.
macro_rules! scalars {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {$(
        fn $method<W: ?Sized + Write>(&mut self, w: &mut W $(, $arg: $ty)*) -> io::Result<()> {
            self.inline_value(w)?;
            CompactFormatter.$method(w $(, $arg)*)
        }
    )*};
}

impl Formatter for YamlRecords {
    /// Writes an element written ahead instead, when one is pending
    /// ([`spliced`]): it starts on the current line, as a flow collection.
    fn write_null<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        match spliced::write_pending(w) {
            Some(written) => written,
            None => {
                self.inline_value(w)?;
                CompactFormatter.write_null(w)
            }
        }
    }

    scalars! {
        write_bool(value: bool);
        write_i8(value: i8);
        write_i16(value: i16);
        write_i32(value: i32);
        write_i64(value: i64);
        write_i128(value: i128);
        write_u8(value: u8);
        write_u16(value: u16);
        write_u32(value: u32);
        write_u64(value: u64);
        write_u128(value: u128);
        write_f32(value: f32);
        write_f64(value: f64);
        write_number_str(value: &str);
        begin_string();
        write_byte_array(value: &[u8]);
        write_raw_fragment(fragment: &str);
    }

    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        // JSON escapes the C0 controls, `"` and `\`; YAML may not hold
        // these either, raw in a double-quoted scalar.
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if matches!(
                c,
                '\u{7f}'
                    ..='\u{9f}' | '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
            ) {
                w.write_all(&fragment.as_bytes()[start..i])?;
                write!(w, "\\u{:04x}", c as u32)?;
                start = i + c.len_utf8();
            }
        }
        w.write_all(&fragment.as_bytes()[start..])
    }

    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.begin(w, true)
    }

    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.end(w)
    }

    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.element(w, first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.begin(w, false)
    }

    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.end(w)
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.element(w, first)
    }

    fn end_object_key<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        Ok(())
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        if self.open.last().is_some_and(|o| o.block) {
            self.space_pending = true;
            w.write_all(b":")
        } else {
            w.write_all(b": ")
        }
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn yaml(v: &serde_json::Value) -> String {
        let mut out = Vec::new();
        write_records(v, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn fields_are_block_mappings_and_list_elements_flow_records() {
        let v = json!({
            "schemaVersion": 4,
            "empty": [],
            "none": {},
            "findings": [{"code": "a", "evidence": [{"ruleRef": 1}]}, {"code": "b"}],
            "counts": {"findings": 2, "bySeverity": {"HIGH": 2}},
        });
        let text = yaml(&v);
        assert_eq!(
            text,
            "\"counts\":\n  \"bySeverity\": {\"HIGH\": 2}\n  \"findings\": 2\n\"empty\": []\n\"findings\":\n  - {\"code\": \"a\", \"evidence\": [{\"ruleRef\": 1}]}\n  - {\"code\": \"b\"}\n\"none\": {}\n\"schemaVersion\": 4\n"
        );
        // A YAML reader reads the same document back.
        let back: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
        assert_eq!(back, v);
    }

    #[test]
    fn strings_yaml_may_not_hold_raw_are_escaped_and_read_back_the_same() {
        let hostile = "a\"b\n\u{1b}\u{7f}\u{85}\u{2028}\u{2029}\u{feff}: #&*!|>'%@`<<";
        let v = json!({"name": hostile, "list": [hostile], "<<": {"*a": null}, "n": -1.5});
        let text = yaml(&v);
        for raw in [
            '\u{7f}', '\u{85}', '\u{2028}', '\u{2029}', '\u{feff}', '\u{1b}',
        ] {
            assert!(!text.contains(raw), "{raw:?} raw in {text}");
        }
        let back: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
        assert_eq!(back, v);
    }

    #[test]
    fn a_document_of_only_a_list_or_a_scalar_is_yaml_too() {
        for v in [json!([{"a": 1}, [], {}]), json!("x"), json!([]), json!({})] {
            let back: serde_json::Value = serde_saphyr::from_str(&yaml(&v)).unwrap();
            assert_eq!(back, v, "{}", yaml(&v));
        }
    }
}
