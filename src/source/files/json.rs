//! JSON input: one or more concatenated documents, each an object, a List,
//! or an array of objects and Lists (KubiScan's combined dump). Each object
//! is decoded straight from its slice of the text into its typed form,
//! without a tree of the whole file, and an error points at the field.

use std::sync::Arc;

use serde::Deserialize;
use serde::de::{self, MapAccess, Visitor};
use serde_json::value::RawValue;

use super::Loader;
use super::decode::{Head, ObjectHead, Undecodable, decode_as, path_error};
use super::document::{Document, StatusHead};
use super::position::{Lines, line_column_of};
use crate::cores;
use crate::snapshot::{Kind, Object};
use crate::source::diagnostic;
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
struct Text<'t> {
    name: &'t str,
    text: &'t str,
    /// The line index, when every object's position is wanted.
    lines: Option<Lines>,
}

impl Text<'_> {
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
    let input = Text {
        name,
        text,
        lines: loader.wants_positions().then(|| Lines::of(text)),
    };
    // The usual input, one object or List and nothing else, is read in one
    // pass, a List's items decoded meanwhile; anything else (several documents, an array, an error to word)
    // takes the general path below, which first cuts the text into
    // documents.
    let trimmed = text.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r'));
    if trimmed.starts_with('{') {
        match top_level(loader, &input, trimmed, Parse::Streamed) {
            Err(Unread::Syntax(_)) => {}
            Err(Unread::Failed(e)) => return Err(e),
            Ok(()) => return Ok(()),
        }
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
            Some(b'{') => top_level(loader, &input, doc.get(), Parse::Whole)
                .map_err(|e| e.into_error(&input, doc.get()))?,
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
                    top_level(loader, &input, element.get(), Parse::Whole)
                        .map_err(|e| e.into_error(&input, element.get()))?;
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
fn syntax(input: &Text<'_>, offset: usize, documents: usize, e: &serde_json::Error) -> SourceError {
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

/// A document's head without its items, which are handed on as they are
/// read.
#[derive(Default)]
struct DocHead {
    kind: Option<String>,
    api_version: Option<String>,
    rbacscan: Option<DumpHeader>,
}

/// How [`top_level`] parses a document.
#[derive(Clone, Copy)]
enum Parse {
    /// In one pass, its items handed on to be decoded while the rest of
    /// the text is read (the usual input: one List and nothing else).
    Streamed,
    /// Whole, then its items (the general path).
    Whole,
}

/// Why [`top_level`] did not read a document.
enum Unread {
    /// It does not parse as one JSON object. After a streamed parse, the
    /// general path reads it again and words why.
    Syntax(serde_json::Error),
    /// The error to report.
    Failed(SourceError),
}

impl Unread {
    /// The error to report for document `doc`.
    fn into_error(self, input: &Text<'_>, doc: &str) -> SourceError {
        match self {
            Unread::Failed(e) => e,
            Unread::Syntax(e) => SourceError::NotAnObject {
                location: input.within(doc, e.line(), e.column()),
                message: diagnostic::without_values(diagnostic::strip_position(&e.to_string())),
            },
        }
    }
}

/// A document (or an element of a top-level array): a List or an object.
///
/// A List's items are decoded on every core, a batch at a time, while the
/// rest of the text is still being read ([`cores::map_as_produced`]), and
/// added in their order, so the first error and the copy that wins are the
/// same as one by one. Nothing is added unless the whole document parses.
fn top_level<'t>(
    loader: &mut Loader,
    input: &Text<'_>,
    doc: &'t str,
    parse: Parse,
) -> Result<(), Unread> {
    let location = input.at(doc);
    let produce = |feed: &mut dyn FnMut(Vec<&'t RawValue>)| {
        match parse {
            Parse::Streamed => stream(doc, feed),
            Parse::Whole => whole(doc, feed),
        }
        .map_err(Unread::Syntax)
    };
    // Items whose type comes first decode in one pass, on the worker; the
    // others are read below, once the list's own kind is known.
    let first_pass = |item: &&RawValue| {
        let text = item.get();
        text.starts_with('{')
            .then(|| super::one_pass::decode(text))
            .flatten()
    };
    let consume =
        |head: DocHead, batches: &mut dyn Iterator<Item = (Arc<Vec<&'t RawValue>>, _)>| {
            add_document(loader, input, doc, &location, head, batches).map_err(Unread::Failed)
        };
    cores::map_as_produced(AHEAD, produce, first_pass, consume)
}

/// An item decoded in one pass with its head, or `None` when it must be
/// read the general way ([`read_item`]).
type FirstPass = Option<(Head, Object)>;

/// Adds a document whose head is read: an object, or a List's items,
/// batch by batch (with the objects decoded in one pass, where they could
/// be).
fn add_document(
    loader: &mut Loader,
    input: &Text<'_>,
    doc: &str,
    location: &Location,
    head: DocHead,
    batches: &mut dyn Iterator<Item = (Arc<Vec<&RawValue>>, Vec<FirstPass>)>,
) -> Result<(), SourceError> {
    let kind_head = Head {
        kind: head.kind.unwrap_or_default(),
        api_version: head.api_version.unwrap_or_default(),
        namespace: String::new(),
        name: String::new(),
    };
    let status = || serde_json::from_str::<StatusHead>(doc).unwrap_or_default();
    let Document::List(item_kind) = loader.document(&kind_head, status, location)? else {
        let head = serde_json::from_str::<ObjectHead>(doc)
            .unwrap_or_default()
            .resolve(None);
        return add_object(loader, input, doc, head);
    };
    if let Some(header) = head.rbacscan {
        loader.apply_header(header, location)?;
    }
    let list = item_kind
        .as_deref()
        .map(|k| (k, kind_head.api_version.as_str()));
    for (batch, decoded) in batches {
        // The rest of the batch, read the general way on every core.
        let rest: Vec<&RawValue> = (batch.iter().zip(&decoded))
            .filter(|(_, d)| d.is_none())
            .map(|(item, _)| *item)
            .collect();
        let mut rest = cores::map(&rest, 64, |item| read_item(item, list)).into_iter();
        for (item, decoded) in batch.iter().zip(decoded) {
            let read = match decoded {
                Some((head, object)) => Ok((head, Some(Ok(object)))),
                None => rest.next().unwrap_or_else(|| read_item(item, list)),
            };
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

/// Reads a document whole, then hands its items to `feed` a batch at a time.
fn whole<'t>(doc: &'t str, feed: &mut dyn FnMut(Vec<&'t RawValue>)) -> serde_json::Result<DocHead> {
    let whole: Doc = serde_json::from_str(doc)?;
    for batch in whole.items.unwrap_or_default().chunks(BATCH) {
        feed(batch.to_vec());
    }
    Ok(DocHead {
        kind: whole.kind,
        api_version: whole.api_version,
        rbacscan: whole.rbacscan,
    })
}

/// Reads a document's head in one pass, handing its items to `feed` a
/// batch at a time as they are read: the same fields as [`Doc`], accepted
/// and refused alike (a repeated field, a value of the wrong type,
/// anything after the object).
fn stream<'t>(
    doc: &'t str,
    feed: &mut dyn FnMut(Vec<&'t RawValue>),
) -> serde_json::Result<DocHead> {
    let mut de = serde_json::Deserializer::from_str(doc);
    let head = de::Deserializer::deserialize_map(&mut de, HeadVisitor { feed })?;
    de.end()?;
    Ok(head)
}

/// The fields of [`Doc`].
#[derive(Deserialize)]
#[serde(field_identifier)]
enum Field {
    #[serde(rename = "kind")]
    Kind,
    #[serde(rename = "apiVersion")]
    ApiVersion,
    #[serde(rename = "items")]
    Items,
    #[serde(rename = "rbacscan")]
    Rbacscan,
    #[serde(other)]
    Other,
}

/// Reads a document's fields, handing its items on.
struct HeadVisitor<'f, 't> {
    feed: &'f mut dyn FnMut(Vec<&'t RawValue>),
}

impl<'t> Visitor<'t> for HeadVisitor<'_, 't> {
    type Value = DocHead;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a Kubernetes object or List")
    }

    fn visit_map<A: MapAccess<'t>>(self, mut map: A) -> Result<DocHead, A::Error> {
        let mut head = DocHead::default();
        let (mut kind, mut api_version, mut items, mut rbacscan) = (false, false, false, false);
        let once = |seen: &mut bool, field: &'static str| match std::mem::replace(seen, true) {
            true => Err(de::Error::duplicate_field(field)),
            false => Ok(()),
        };
        while let Some(field) = map.next_key::<Field>()? {
            match field {
                Field::Kind => {
                    once(&mut kind, "kind")?;
                    head.kind = map.next_value()?;
                }
                Field::ApiVersion => {
                    once(&mut api_version, "apiVersion")?;
                    head.api_version = map.next_value()?;
                }
                Field::Items => {
                    once(&mut items, "items")?;
                    map.next_value_seed(Items {
                        feed: &mut *self.feed,
                    })?;
                }
                Field::Rbacscan => {
                    once(&mut rbacscan, "rbacscan")?;
                    head.rbacscan = map.next_value()?;
                }
                Field::Other => {
                    map.next_value::<de::IgnoredAny>()?;
                }
            }
        }
        Ok(head)
    }
}

/// A document's `items` (null or a list), handed on a batch at a time.
struct Items<'f, 't> {
    feed: &'f mut dyn FnMut(Vec<&'t RawValue>),
}

impl<'t> de::DeserializeSeed<'t> for Items<'_, 't> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'t>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_option(self)
    }
}

impl<'t> Visitor<'t> for Items<'_, 't> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a list of objects")
    }

    fn visit_none<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_some<D: de::Deserializer<'t>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }

    fn visit_seq<A: de::SeqAccess<'t>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut batch = Vec::with_capacity(BATCH);
        while let Some(item) = seq.next_element::<&'t RawValue>()? {
            batch.push(item);
            if batch.len() == BATCH {
                (self.feed)(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)));
            }
        }
        if !batch.is_empty() {
            (self.feed)(batch);
        }
        Ok(())
    }
}

/// Batches of items decoded and not yet added, at most: each holds
/// [`BATCH`] objects in their widest form (about 2 MB). Without a bound,
/// the kubectl-sized 100,000-pod dump peaked 25 MB higher; with 2, it
/// loaded a fifth slower (BENCHMARKS.md).
const AHEAD: usize = 8;

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
    input: &Text<'_>,
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

    /// `n` ServiceAccounts in namespace `a`, with or without their type.
    fn accounts(n: usize, typed: bool) -> String {
        let head = if typed {
            r#""apiVersion":"v1","kind":"ServiceAccount","#
        } else {
            ""
        };
        let items: Vec<String> = (0..n)
            .map(|i| format!(r#"{{{head}"metadata":{{"name":"sa-{i}","namespace":"a"}}}}"#))
            .collect();
        items.join(",\n")
    }

    #[test]
    fn a_list_whose_kind_follows_its_items_types_them_all() {
        // kubectl sorts keys, so `kind` comes after `items`; items of a raw
        // API list carry no type of their own and take the list's.
        let n = 2 * BATCH + 3;
        for (typed, kind) in [(false, "ServiceAccountList"), (true, "List")] {
            let text = format!(
                "{{\"apiVersion\":\"v1\",\"items\":[\n{}\n],\"kind\":\"{kind}\",\"metadata\":{{}}}}",
                accounts(n, typed)
            );
            let mut l = Loader::new();
            l.add_text("list.json", &text).unwrap();
            let loaded = l.finish().unwrap();
            assert_eq!(loaded.snapshot.service_accounts.len(), n, "{kind}");
        }
    }

    #[test]
    fn a_document_that_fails_after_its_items_adds_none_of_them() {
        // Items are decoded while the text is read; the document's error
        // (here a repeated `kind`, or a cut end) still decides, worded as
        // when the document is read whole first.
        let items = accounts(BATCH + 10, true);
        for (text, expected) in [
            (
                format!(
                    "{{\"kind\":\"List\",\"apiVersion\":\"v1\",\"items\":[{items}],\"kind\":\"List\"}}"
                ),
                "duplicate field `kind`",
            ),
            (
                format!("{{\"kind\":\"List\",\"apiVersion\":\"v1\",\"items\":[{items}]"),
                "truncated",
            ),
        ] {
            let mut l = Loader::new();
            let err = l.add_text("list.json", &text).unwrap_err().to_string();
            assert!(err.contains(expected), "{err}");
            // Only the next file's account is in the snapshot.
            let one = format!(
                "{{\"kind\":\"List\",\"apiVersion\":\"v1\",\"items\":[{}]}}",
                accounts(1, true)
            );
            l.add_text("one.json", &one).unwrap();
            assert_eq!(l.finish().unwrap().snapshot.service_accounts.len(), 1);
        }
    }
}
