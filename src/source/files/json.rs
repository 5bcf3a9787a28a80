//! JSON input: one or more concatenated documents, each an object, a List,
//! or an array of objects and Lists (KubiScan's combined dump). Each object
//! is decoded straight from its slice of the text into its typed form,
//! without a tree of the whole file, and an error points at the field.

use serde::Deserialize;
use serde_json::value::RawValue;

use super::{
    Document, Head, Lines, Loader, ObjectHead, StatusHead, Undecodable, decode_as, diagnostic,
    line_column_of, path_error,
};
use crate::cores;
use crate::snapshot::{Kind, Object};
use crate::source::dump::DumpHeader;
use crate::source::{Location, SourceError};

/// Whether `text` reads as JSON rather than as YAML. Both may start with
/// `{` or `[`; a YAML flow mapping (`{apiVersion: v1, ...}`) has a bare
/// first key where JSON has a quoted one.
pub(super) fn looks_like_json(text: &str) -> bool {
    let mut rest = text.trim_start();
    loop {
        match rest.as_bytes().first() {
            Some(b'[') => rest = rest[1..].trim_start(),
            Some(b'{') => {
                return matches!(rest[1..].trim_start().as_bytes().first(), Some(b'"' | b'}'));
            }
            Some(b']') => return true,
            _ => return false,
        }
    }
}

/// The text being read, for positions.
struct Input<'t> {
    name: &'t str,
    text: &'t str,
    /// The line index, when every object's position is wanted.
    lines: Option<Lines>,
}

impl Input<'_> {
    /// Where a slice of the text starts.
    fn at(&self, raw: &str) -> Location {
        self.at_offset(self.offset(raw))
    }

    /// Where a slice of the text (`raw`, which must be part of it) starts.
    fn offset(&self, raw: &str) -> usize {
        raw.as_ptr() as usize - self.text.as_ptr() as usize
    }

    fn at_offset(&self, offset: usize) -> Location {
        let line_column = match &self.lines {
            Some(lines) => lines.line_column(self.text, offset),
            None => line_column_of(self.text, offset),
        };
        Location {
            file: self.name.to_string(),
            line_column: Some(line_column),
        }
    }

    /// A position reported by a parser of the slice `raw`, made absolute.
    fn within(&self, raw: &str, line: usize, column: usize) -> Location {
        let (base_line, base_column) = line_column_of(self.text, self.offset(raw));
        let line_column = if line <= 1 {
            (base_line, base_column + column.saturating_sub(1) as u64)
        } else {
            (base_line + line as u64 - 1, column as u64)
        };
        Location {
            file: self.name.to_string(),
            line_column: Some(line_column),
        }
    }
}

/// Reads a JSON input into `loader`.
pub(super) fn add(loader: &mut Loader, name: &str, text: &str) -> Result<(), SourceError> {
    let input = Input {
        name,
        text,
        lines: loader.wants_positions().then(|| Lines::of(text)),
    };
    // The usual input, one object or List and nothing else, is read in one
    // pass; anything else (several documents, an array, an error to word)
    // takes the general path below, which first cuts the text into
    // documents.
    let trimmed = text.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r'));
    if trimmed.starts_with('{')
        && let Ok(doc) = serde_json::from_str::<Doc>(trimmed)
    {
        return top_level(loader, &input, trimmed, Some(doc));
    }
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<&RawValue>();
    let mut documents = 0;
    loop {
        let offset = stream.byte_offset();
        let doc = match stream.next() {
            None => break,
            Some(Ok(doc)) => doc,
            Some(Err(e)) => return Err(syntax(&input, offset, documents, &e)),
        };
        documents += 1;
        match doc.get().as_bytes().first() {
            Some(b'{') => top_level(loader, &input, doc.get(), None)?,
            Some(b'[') => {
                let elements: Vec<&RawValue> =
                    serde_json::from_str(doc.get()).map_err(|e| syntax(&input, offset, 0, &e))?;
                for element in elements {
                    if !element.get().starts_with('{') {
                        return Err(SourceError::NotAnObject {
                            location: input.at(element.get()),
                            message: "expected a Kubernetes object or List in the array".into(),
                        });
                    }
                    top_level(loader, &input, element.get(), None)?;
                }
            }
            _ if doc.get() == "null" => {}
            _ => {
                return Err(SourceError::NotAnObject {
                    location: input.at(doc.get()),
                    message: "expected a Kubernetes object or List".into(),
                });
            }
        }
    }
    Ok(())
}

/// A parser's syntax error, in words: a truncated file and data after the
/// last document are named as such.
fn syntax(
    input: &Input<'_>,
    offset: usize,
    documents: usize,
    e: &serde_json::Error,
) -> SourceError {
    let rest = input.text[offset..].trim_start();
    let starts_value = matches!(
        rest.as_bytes().first(),
        Some(b'{' | b'[' | b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n')
    );
    let (location, message) = if documents > 0 && !starts_value {
        (
            input.at_offset(offset),
            "trailing data after the JSON document".to_string(),
        )
    } else if e.is_eof() {
        (
            input.at_offset(input.text.len()),
            "the JSON ends in the middle of a value: the file is truncated".to_string(),
        )
    } else {
        (
            Location {
                file: input.name.to_string(),
                line_column: Some((e.line() as u64, e.column() as u64)),
            },
            diagnostic::without_values(diagnostic::strip_position(&e.to_string())),
        )
    };
    SourceError::Syntax { location, message }
}

/// The head of a document: its type, items, header and status fields.
#[derive(Deserialize)]
struct Doc<'a> {
    #[serde(default)]
    kind: Option<String>,
    #[serde(default, rename = "apiVersion")]
    api_version: Option<String>,
    #[serde(default, borrow)]
    items: Option<Vec<&'a RawValue>>,
    #[serde(default)]
    rbacscan: Option<DumpHeader>,
}

/// A document (or an element of a top-level array): a List or an object.
/// `parsed` is its head when the caller has read it already.
fn top_level(
    loader: &mut Loader,
    input: &Input<'_>,
    doc: &str,
    parsed: Option<Doc<'_>>,
) -> Result<(), SourceError> {
    let location = input.at(doc);
    let head: Doc = match parsed {
        Some(head) => head,
        None => serde_json::from_str(doc).map_err(|e| SourceError::NotAnObject {
            location: input.within(doc, e.line(), e.column()),
            message: diagnostic::without_values(diagnostic::strip_position(&e.to_string())),
        })?,
    };
    let kind_head = Head {
        kind: head.kind.unwrap_or_default(),
        api_version: head.api_version.unwrap_or_default(),
        namespace: String::new(),
        name: String::new(),
    };
    let status = || serde_json::from_str::<StatusHead>(doc).unwrap_or_default();
    let Document::List(item_kind) = loader.document(&kind_head, status, &location)? else {
        let head = serde_json::from_str::<ObjectHead>(doc)
            .unwrap_or_default()
            .resolve(None);
        return add_object(loader, input, doc, head);
    };
    if let Some(header) = head.rbacscan {
        loader.apply_header(header, &location)?;
    }
    let list = item_kind
        .as_deref()
        .map(|k| (k, kind_head.api_version.as_str()));
    let items = head.items.unwrap_or_default();
    // The items are read on every core, a batch at a time (which bounds
    // the memory of objects decoded but not yet added), then added in their
    // order, so the first error and the copy that wins are the same as one
    // by one.
    for batch in items.chunks(BATCH) {
        let read = cores::map(batch, 64, |item| read_item(item, list));
        for (item, read) in batch.iter().zip(read) {
            let (head, decoded) = read.map_err(|(message, line, column)| match line {
                0 => SourceError::NotAnObject {
                    location: input.at(item.get()),
                    message,
                },
                _ => SourceError::NotAnObject {
                    location: input.within(item.get(), line, column),
                    message,
                },
            })?;
            match decoded {
                Some(result) => loader.add_decoded(
                    head,
                    || input.at(item.get()),
                    |_| {
                        result.map_err(|(message, line, column)| Undecodable {
                            location: Some(input.within(item.get(), line, column)),
                            message,
                        })
                    },
                )?,
                None => add_object(loader, input, item.get(), head)?,
            }
        }
    }
    Ok(())
}

/// Items of a list read together, on every core.
const BATCH: usize = 4096;

/// An item decoded: `None` when its kind is not one the loader reads (left
/// to the loader, which counts it), else the object or the message and
/// position of the decoding error.
type Decoded = Option<Result<Object, (String, usize, usize)>>;

/// Reads one list item: its head (type and identity; items of raw API list
/// responses take the list's item kind, `list`), then, for the kinds the
/// loader reads, the object. A head that cannot be read is the error, with
/// its message and position (line 0: the item is not an object at all).
fn read_item(
    item: &RawValue,
    list: Option<(&str, &str)>,
) -> Result<(Head, Decoded), (String, usize, usize)> {
    if !item.get().starts_with('{') {
        return Err(("list item is not an object".into(), 0, 0));
    }
    if let Some((head, object)) = super::one_pass::decode(item.get()) {
        return Ok((head, Some(Ok(object))));
    }
    read_apart(item.get(), list)
}

/// Reads an item's head, then (for the kinds the loader reads) the object:
/// the general way, for any item [`super::one_pass`] leaves.
pub(super) fn read_apart(
    text: &str,
    list: Option<(&str, &str)>,
) -> Result<(Head, Decoded), (String, usize, usize)> {
    let head = serde_json::from_str::<ObjectHead>(text)
        .map_err(|e| {
            let message = diagnostic::without_values(diagnostic::strip_position(&e.to_string()));
            (message, e.line(), e.column())
        })?
        .resolve(list);
    let decoded = Kind::from_type(&head.api_version, &head.kind).map(|k| decode(k, text));
    Ok((head, decoded))
}

fn add_object(
    loader: &mut Loader,
    input: &Input<'_>,
    raw: &str,
    head: Head,
) -> Result<(), SourceError> {
    let decode = |kind| {
        decode(kind, raw).map_err(|(message, line, column)| Undecodable {
            location: Some(input.within(raw, line, column)),
            message,
        })
    };
    loader.add_decoded(head, || input.at(raw), decode)
}

/// Decodes an object's text into its kind's type; on failure, the message
/// and the position in `text` the parser stopped at.
fn decode(kind: Kind, text: &str) -> Result<Object, (String, usize, usize)> {
    fn typed<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, (String, usize, usize)> {
        // Tracking the path of every field costs an allocation per key:
        // only a failed decode is done again, with the path tracked.
        T::deserialize(&mut serde_json::Deserializer::from_str(text)).or_else(|_| {
            serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_str(text))
                .map_err(|e| (path_error(&e), e.inner().line(), e.inner().column()))
        })
    }
    decode_as!(kind, text, typed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_and_yaml_flow_style_are_told_apart() {
        for json in [
            "{\"kind\": \"List\"}",
            " [ {\"a\": 1} ]",
            "[]",
            "{}",
            "[[{\"a\":1}]]",
        ] {
            assert!(looks_like_json(json), "{json}");
        }
        for yaml in [
            "{apiVersion: v1, kind: List}",
            "[{kind: Pod}]",
            "kind: Pod",
            "- a",
            "",
        ] {
            assert!(!looks_like_json(yaml), "{yaml}");
        }
    }

    /// A list long enough to be decoded on several threads and in several
    /// batches behaves as one decoded item by item: objects in order, the
    /// later copy wins, other kinds are counted, the first bad item is the
    /// error, named by its line.
    #[test]
    fn long_lists_decode_in_parallel_as_they_would_one_by_one() {
        let sa = |i: usize, ns: &str| {
            format!(
                r#"{{"apiVersion":"v1","kind":"ServiceAccount","metadata":{{"name":"sa-{i}","namespace":"{ns}"}}}}"#
            )
        };
        let mut items: Vec<String> = (0..BATCH + 600).map(|i| sa(i, "a")).collect();
        items[10] =
            r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","namespace":"a"}}"#
                .into();
        // A later copy of sa-20, with automount off, replaces the first.
        items.push(r#"{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"sa-20","namespace":"a"},"automountServiceAccountToken":false}"#.into());
        let text = format!(
            "{{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[\n{}\n]}}",
            items.join(",\n")
        );
        let mut l = Loader::new();
        l.add_text("big.json", &text).unwrap();
        let loaded = l.finish().unwrap();
        let sas = &loaded.snapshot.service_accounts;
        assert_eq!(sas.len(), BATCH + 600 - 1);
        let copy = sas
            .iter()
            .find(|s| s.metadata.name.as_deref() == Some("sa-20"))
            .unwrap();
        assert_eq!(copy.automount_service_account_token, Some(false));
        assert_eq!(loaded.provenance.skipped.get("ConfigMap (v1)"), Some(&1));
        // Two bad items: the first one (line 302: the header is line 1) is the error.
        items[300] = r#"{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"x","namespace":"a"},"automountServiceAccountToken":"yes"}"#.into();
        items[BATCH + 5] = r#"{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"y","namespace":"a"},"secrets":3}"#.into();
        let text = format!(
            "{{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[\n{}\n]}}",
            items.join(",\n")
        );
        let mut l = Loader::new();
        let err = l.add_text("big.json", &text).unwrap_err().to_string();
        assert!(err.starts_with("big.json:302:"), "{err}");
        assert!(err.contains("automountServiceAccountToken"), "{err}");
    }
}
