//! YAML input: multi-document streams, block or flow style, through
//! `serde-saphyr` (limits against alias bombs and deep nesting). Each
//! document is read into an untyped tree, then each object into its typed
//! form. A document may also be a sequence of objects or Lists.
//!
//! Positions: errors name the document, the list item, or, for an object
//! that does not decode, the field itself. The field's line is found only
//! on the error path, by a second pass over the text that walks to the
//! field's path and reads its position ([`locate`]).

use std::cell::RefCell;
use std::collections::HashMap;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use serde_saphyr::Spanned;

use super::Loader;
use super::decode::{Head, MetaHead, ObjectHead, Undecodable, decode_as, path_error};
use super::document::{Document, StatusHead};
use crate::snapshot::{Kind, Object};
use crate::source::diagnostic;
use crate::source::{Location, SourceError};

/// One step of a path into a document.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Step {
    /// A mapping key.
    Key(String),
    /// A sequence index.
    Index(usize),
}

/// Where objects start (line, column), by document and path in it.
type Spans = HashMap<(usize, Vec<Step>), (u64, u64)>;

/// The text being read, for positions.
struct Text<'t> {
    name: &'t str,
    text: &'t str,
    /// Where every object starts, when every object's position is wanted
    /// (see [`object_spans`]).
    spans: Option<Spans>,
}

impl Text<'_> {
    /// The position of the node at `path` in document `doc`, or of the
    /// nearest ancestor the walk can reach; `fallback` if none.
    fn at(&self, doc: usize, path: &[Step], fallback: &Location) -> Location {
        if let Some(&line_column) = (self.spans.as_ref()).and_then(|s| s.get(&(doc, path.to_vec())))
        {
            return Location {
                file: self.name.to_string(),
                line_column: Some(line_column),
            };
        }
        (0..=path.len())
            .rev()
            .find_map(|n| locate(self.text, doc, &path[..n]))
            .map(|line_column| Location {
                file: self.name.to_string(),
                line_column: Some(line_column),
            })
            .unwrap_or_else(|| fallback.clone())
    }
}

/// Reads a YAML input into `loader`.
pub(super) fn add(loader: &mut Loader, name: &str, text: &str) -> Result<(), SourceError> {
    let docs: Vec<Spanned<Value>> =
        serde_saphyr::from_multiple_with_options(text, options(text.len()))
            .map_err(|e| syntax(name, &e))?;
    let input = Text {
        name,
        text,
        spans: loader
            .wants_positions()
            .then(|| object_spans(text))
            .flatten(),
    };
    for (doc, spanned) in docs.into_iter().enumerate() {
        let location = Location {
            file: name.to_string(),
            line_column: Some((spanned.referenced.line(), spanned.referenced.column())),
        };
        match spanned.value {
            Value::Null => {} // an empty document, e.g. a trailing `---`
            Value::Object(map) => top_level(loader, &input, doc, Vec::new(), map, &location)?,
            // A sequence of objects or Lists (a combined dump).
            Value::Array(elements) => {
                for (i, element) in elements.into_iter().enumerate() {
                    let path = vec![Step::Index(i)];
                    let Value::Object(map) = element else {
                        return Err(SourceError::NotAnObject {
                            location: input.at(doc, &path, &location),
                            message: format!(
                                "expected a Kubernetes object or List, found {}",
                                json_type(&element)
                            ),
                        });
                    };
                    let at = input.at(doc, &path, &location);
                    top_level(loader, &input, doc, path, map, &at)?;
                }
            }
            other => {
                return Err(SourceError::NotAnObject {
                    location,
                    message: format!(
                        "expected a Kubernetes object or List, found {}",
                        json_type(&other)
                    ),
                });
            }
        }
    }
    Ok(())
}

/// Where every object of `text` starts, by document and path: each
/// document, each element of a top-level sequence, and each item of a
/// List, found in one more pass over the text (instead of a walk per
/// object). `None` if that pass fails; positions are then found one by one.
fn object_spans(text: &str) -> Option<Spans> {
    let docs: Vec<Spanned<ObjectSpans>> =
        serde_saphyr::from_multiple_with_options(text, options(text.len())).ok()?;
    let mut spans = HashMap::new();
    for (doc, spanned) in docs.into_iter().enumerate() {
        let at = |s: &Spanned<ObjectSpans>| (s.referenced.line(), s.referenced.column());
        spans.insert((doc, Vec::new()), at(&spanned));
        for (path, line_column) in spanned.value.0 {
            spans.insert((doc, path), line_column);
        }
    }
    Some(spans)
}

/// The starts of the objects below a node: the items of a List (a mapping
/// with `items`), or the elements of a sequence and what is below them.
struct ObjectSpans(Vec<(Vec<Step>, (u64, u64))>);

impl<'de> Deserialize<'de> for ObjectSpans {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Walk;
        impl<'de> Visitor<'de> for Walk {
            type Value = ObjectSpans;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any YAML node")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ObjectSpans, A::Error> {
                let mut found = Vec::new();
                while let Some(key) = map.next_key::<Spanned<serde_json::Value>>()? {
                    if key.value.as_str() == Some("items") {
                        let items: Option<Vec<Spanned<IgnoredAny>>> = map.next_value()?;
                        for (i, item) in items.unwrap_or_default().iter().enumerate() {
                            found.push((
                                vec![Step::Key("items".into()), Step::Index(i)],
                                (item.referenced.line(), item.referenced.column()),
                            ));
                        }
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(ObjectSpans(found))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ObjectSpans, A::Error> {
                let mut found = Vec::new();
                let mut i = 0;
                while let Some(element) = seq.next_element::<Spanned<ObjectSpans>>()? {
                    let at = (element.referenced.line(), element.referenced.column());
                    found.push((vec![Step::Index(i)], at));
                    for (mut path, line_column) in element.value.0 {
                        path.insert(0, Step::Index(i));
                        found.push((path, line_column));
                    }
                    i += 1;
                }
                Ok(ObjectSpans(found))
            }

            fn visit_bool<E: de::Error>(self, _: bool) -> Result<ObjectSpans, E> {
                Ok(ObjectSpans(Vec::new()))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<ObjectSpans, E> {
                Ok(ObjectSpans(Vec::new()))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<ObjectSpans, E> {
                Ok(ObjectSpans(Vec::new()))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<ObjectSpans, E> {
                Ok(ObjectSpans(Vec::new()))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<ObjectSpans, E> {
                Ok(ObjectSpans(Vec::new()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<ObjectSpans, E> {
                Ok(ObjectSpans(Vec::new()))
            }
            fn visit_none<E: de::Error>(self) -> Result<ObjectSpans, E> {
                Ok(ObjectSpans(Vec::new()))
            }
        }
        d.deserialize_any(Walk)
    }
}

/// A document (or an element of a top-level sequence): a List or an object.
fn top_level(
    loader: &mut Loader,
    input: &Text<'_>,
    doc: usize,
    path: Vec<Step>,
    mut map: Map<String, Value>,
    location: &Location,
) -> Result<(), SourceError> {
    let text = |key: &str| {
        map.get(key)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let head = Head {
        kind: text("kind"),
        api_version: text("apiVersion"),
        namespace: String::new(),
        name: String::new(),
    };
    let status = || StatusHead {
        status: map
            .get("status")
            .and_then(Value::as_str)
            .map(str::to_string),
        code: map.get("code").and_then(Value::as_u64),
        reason: map
            .get("reason")
            .and_then(Value::as_str)
            .map(str::to_string),
        message: map
            .get("message")
            .and_then(Value::as_str)
            .map(str::to_string),
    };
    let Document::List(item_kind) = loader.document(&head, status, location)? else {
        return add_object(loader, input, doc, path, Value::Object(map), None, location);
    };
    if let Some(header) = map.remove("rbacscan") {
        let header = serde_json::from_value(header).map_err(|e| SourceError::NotAnObject {
            location: location.clone(),
            // The header is rbacscan's own format, with no secret in it.
            message: format!("invalid `rbacscan` header: {e}"),
        })?;
        loader.apply_header(header, location)?;
    }
    let items = match map.remove("items") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items,
        Some(other) => {
            return Err(SourceError::NotAnObject {
                location: location.clone(),
                message: format!(
                    "`items` of a {} must be a list, found {}",
                    head.kind,
                    json_type(&other)
                ),
            });
        }
    };
    let list = item_kind.as_deref().map(|k| (k, head.api_version.as_str()));
    for (i, item) in items.into_iter().enumerate() {
        let mut item_path = path.clone();
        item_path.extend([Step::Key("items".into()), Step::Index(i)]);
        add_object(loader, input, doc, item_path, item, list, location)?;
    }
    Ok(())
}

/// Adds one untyped object; `list` is the (kind, apiVersion) of the typed
/// list it is an item of, if any.
fn add_object(
    loader: &mut Loader,
    input: &Text<'_>,
    doc: usize,
    path: Vec<Step>,
    value: Value,
    list: Option<(&str, &str)>,
    fallback: &Location,
) -> Result<(), SourceError> {
    let here = || input.at(doc, &path, fallback);
    let Value::Object(map) = &value else {
        return Err(SourceError::NotAnObject {
            location: here(),
            message: format!("list item is {}, expected an object", json_type(&value)),
        });
    };
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
    let metadata = map.get("metadata");
    let head = ObjectHead {
        kind: text(map.get("kind")),
        api_version: text(map.get("apiVersion")),
        metadata: Some(MetaHead {
            name: text(metadata.and_then(|m| m.get("name"))),
            namespace: text(metadata.and_then(|m| m.get("namespace"))),
        }),
    }
    .resolve(list);
    let decode = |kind| {
        decode(kind, value).map_err(|(message, field)| {
            let mut at = path.clone();
            at.extend(field);
            Undecodable {
                location: Some(input.at(doc, &at, fallback)),
                message,
            }
        })
    };
    loader.add_decoded(head, here, decode)
}

/// Decodes an untyped object into its kind's type; on failure, the message
/// and the path of the field at fault.
fn decode(kind: Kind, value: Value) -> Result<Object, (String, Vec<Step>)> {
    fn typed<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, (String, Vec<Step>)> {
        // As for JSON: the path is tracked only when decoding fails.
        if let Ok(t) = T::deserialize(&value) {
            return Ok(t);
        }
        serde_path_to_error::deserialize(value).map_err(|e| {
            let steps = e
                .path()
                .iter()
                .map_while(|s| match s {
                    serde_path_to_error::Segment::Seq { index } => Some(Step::Index(*index)),
                    serde_path_to_error::Segment::Map { key } => Some(Step::Key(key.clone())),
                    _ => None,
                })
                .collect();
            (path_error(&e), steps)
        })
    }
    decode_as!(kind, value, typed)
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// serde-saphyr's options. The node, event, document and scalar budgets grow
/// with the input (a real dump of a large cluster has millions of nodes);
/// alias-expansion and depth limits stay at their defaults to keep hostile
/// input cheap.
fn options(input_len: usize) -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_events = budget.max_events.max(input_len);
    budget.max_nodes = budget.max_nodes.max(input_len);
    budget.max_documents = budget.max_documents.max(input_len / 8);
    budget.max_total_scalar_bytes = budget.max_total_scalar_bytes.max(input_len);
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    // Objects are read untyped first: keep `no`, `on`, `y` and `0755` strings
    // (namespace and label values) as Kubernetes' YAML 1.2 reading does.
    options.strict_booleans = true;
    options.leading_zero_numbers_as_strings = true;
    options
}

fn syntax(name: &str, e: &serde_saphyr::Error) -> SourceError {
    SourceError::Syntax {
        location: Location {
            file: name.to_string(),
            line_column: e
                .location()
                .filter(|l| l.line() > 0)
                .map(|l| (l.line(), l.column())),
        },
        message: diagnostic::yaml_message(e),
    }
}

// ---- finding a field's position ---------------------------------------------

/// What [`locate`] looks for, and what it found. serde's `Deserialize` has
/// no state, so the document walk reads its target from here.
struct Wanted {
    doc: usize,
    path: Vec<Step>,
    seen: usize,
    found: Option<(u64, u64)>,
}

thread_local! {
    static WANTED: RefCell<Option<Wanted>> = const { RefCell::new(None) };
}

/// The 1-based line and column of the node at `path` in document `doc` of
/// `text`, if there is one. Reads the whole text again: for error paths only.
fn locate(text: &str, doc: usize, path: &[Step]) -> Option<(u64, u64)> {
    WANTED.with(|w| {
        *w.borrow_mut() = Some(Wanted {
            doc,
            path: path.to_vec(),
            seen: 0,
            found: None,
        })
    });
    let parsed = serde_saphyr::from_multiple_with_options::<SecondPass>(text, options(text.len()));
    let found = WANTED.with(|w| w.borrow_mut().take().and_then(|w| w.found));
    parsed.ok().and(found)
}

/// A document of the second pass: the wanted one is walked, the others skipped.
struct SecondPass;

impl<'de> Deserialize<'de> for SecondPass {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let path = WANTED.with(|w| {
            let mut w = w.borrow_mut();
            let w = w.as_mut()?;
            let this = w.seen;
            w.seen += 1;
            (this == w.doc).then(|| w.path.clone())
        });
        match path {
            Some(path) => {
                let found = Walk { path: &path }.deserialize(d)?;
                WANTED.with(|w| {
                    if let Some(w) = w.borrow_mut().as_mut() {
                        w.found = found;
                    }
                });
            }
            None => {
                IgnoredAny::deserialize(d)?;
            }
        }
        Ok(SecondPass)
    }
}

/// Walks down `path` and yields the position of the node at its end.
struct Walk<'p> {
    path: &'p [Step],
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = Option<(u64, u64)>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        if self.path.is_empty() {
            let node = Spanned::<IgnoredAny>::deserialize(d)?;
            return Ok(Some((node.referenced.line(), node.referenced.column())));
        }
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = Option<(u64, u64)>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any YAML node")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = None;
        while let Some(key) = map.next_key::<Key>()? {
            match (&self.path[0], key.0) {
                (Step::Key(k), Some(key)) if *k == key && found.is_none() => {
                    found = map.next_value_seed(Walk {
                        path: &self.path[1..],
                    })?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(found)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut found = None;
        let mut index = 0;
        loop {
            let step = match &self.path[0] {
                Step::Index(i) if *i == index => Some(Walk {
                    path: &self.path[1..],
                }),
                _ => None,
            };
            match step {
                Some(walk) => match seq.next_element_seed(walk)? {
                    Some(f) => found = f,
                    None => break,
                },
                None => {
                    if seq.next_element::<IgnoredAny>()?.is_none() {
                        break;
                    }
                }
            }
            index += 1;
        }
        Ok(found)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// A mapping key, as text when it is a scalar.
struct Key(Option<String>);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Key(match Value::deserialize(d)? {
            Value::String(s) => Some(s),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_pass_finds_every_object_start_as_the_walk_does() {
        let text = "kind: List\nitems:\n- kind: A\n  metadata: {name: a}\n-   kind: B\n---\n- kind: C\n- kind: List\n  items:\n  - {kind: D}\n";
        let spans = object_spans(text).unwrap();
        let key = |doc: usize, path: &[Step]| spans.get(&(doc, path.to_vec())).copied();
        let items = |i| vec![Step::Key("items".into()), Step::Index(i)];
        for (doc, path) in [
            (0, vec![]),
            (0, items(0)),
            (0, items(1)),
            (1, vec![Step::Index(0)]),
            (1, vec![Step::Index(1)]),
            (1, [vec![Step::Index(1)], items(0)].concat()),
        ] {
            assert!(key(doc, &path).is_some(), "{doc} {path:?}");
            assert_eq!(key(doc, &path), locate(text, doc, &path), "{doc} {path:?}");
        }
        assert_eq!(key(0, &items(1)), Some((5, 5)));
    }

    #[test]
    fn fields_are_located_in_block_and_flow_style() {
        let text = "a: 1\n---\nkind: List\nitems:\n- metadata: {name: x}\n- metadata:\n    name: y\n    labels: {k: v}\n";
        let p = |s: &[&str]| -> Vec<Step> {
            s.iter()
                .map(|x| match x.parse() {
                    Ok(i) => Step::Index(i),
                    Err(_) => Step::Key(x.to_string()),
                })
                .collect()
        };
        assert_eq!(
            locate(text, 1, &p(&["items", "1", "metadata", "name"])),
            Some((7, 11))
        );
        assert_eq!(
            locate(text, 1, &p(&["items", "0", "metadata", "name"])),
            Some((5, 20))
        );
        assert_eq!(
            locate(text, 1, &p(&["items", "1", "metadata", "labels", "k"])),
            Some((8, 17))
        );
        assert_eq!(locate(text, 1, &p(&["items", "2"])), None);
        assert_eq!(locate(text, 0, &p(&["a"])), Some((1, 4)));
    }
}
