//! Offline input: what `kubectl get ... -o yaml|json` prints (`v1 List`s),
//! multi-document YAML, single objects, raw API list responses (`RoleList`
//! with kind-less items), from files, directories or standard input.
//!
//! Every file is read once into memory and parsed once. YAML goes through
//! `serde-saphyr` (line/column errors, limits against alias bombs) into an
//! untyped tree, then into typed objects. JSON goes through `serde_json`,
//! each object decoded straight from its slice of the text (no tree of the
//! whole file), and errors point at the object's own line.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::Value;
use serde_json::value::RawValue;
use serde_saphyr::Spanned;

use super::dump::{DUMP_VERSION, DumpHeader};
use super::{Loaded, Location, Provenance, SourceError};
use crate::snapshot::{Kind, Object, SnapshotBuilder};

/// The name standard input is reported under.
pub const STDIN_NAME: &str = "<stdin>";

/// Accumulates objects from any number of inputs into one snapshot.
#[derive(Debug, Default)]
pub struct Loader {
    builder: SnapshotBuilder,
    provenance: Provenance,
    /// Whether some input holds Secrets, or is a snapshot of a collection
    /// that listed them (even if it found none).
    secrets_listed: bool,
}

impl Loader {
    /// An empty loader.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads a path as given on the command line: `-` is standard input, a
    /// directory is read recursively (`.yaml`, `.yml`, `.json` files, in name
    /// order), anything else is read as one file whatever its extension.
    pub fn add_path(&mut self, path: &str) -> Result<(), SourceError> {
        if path == "-" {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|source| SourceError::Read {
                    path: STDIN_NAME.into(),
                    source,
                })?;
            return self.add_text(STDIN_NAME, &text);
        }
        let p = Path::new(path);
        let meta = std::fs::metadata(p).map_err(|source| SourceError::Read {
            path: path.into(),
            source,
        })?;
        if meta.is_dir() {
            let mut files = Vec::new();
            collect_manifests(p, &mut files).map_err(|source| SourceError::Read {
                path: path.into(),
                source,
            })?;
            if files.is_empty() {
                return Err(SourceError::EmptyDirectory { path: path.into() });
            }
            for f in files {
                let name = f.display().to_string();
                let text = read_file(&f, &name)?;
                self.add_text(&name, &text)?;
            }
            Ok(())
        } else {
            let text = read_file(p, path)?;
            self.add_text(path, &text)
        }
    }

    /// Parses one input's text; `name` is used in errors and provenance.
    pub fn add_text(&mut self, name: &str, text: &str) -> Result<(), SourceError> {
        self.provenance.sources.push(name.to_string());
        if looks_like_json(text) {
            return self.add_json(name, text);
        }
        let docs = parse_yaml_documents(name, text)?;
        for (index, doc) in docs.into_iter().enumerate() {
            self.add_document(name, text, index, doc)?;
        }
        Ok(())
    }

    /// The snapshot built so far and what went into it.
    pub fn finish(mut self) -> Loaded {
        self.provenance.duplicates = self.builder.duplicates();
        if !self.secrets_listed {
            self.builder.skip(Kind::Secret);
        }
        Loaded {
            snapshot: self.builder.build(),
            provenance: self.provenance,
        }
    }

    fn add_document(
        &mut self,
        name: &str,
        text: &str,
        doc_index: usize,
        doc: Document,
    ) -> Result<(), SourceError> {
        let Document { value, location } = doc;
        if value.is_null() {
            return Ok(()); // an empty document, e.g. a trailing `---`
        }
        self.provenance.documents += 1;
        let Value::Object(map) = value else {
            return Err(SourceError::NotAnObject {
                location,
                message: format!(
                    "expected a Kubernetes object or List, found {}",
                    json_type(&value)
                ),
            });
        };
        let kind = map
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let api_version = map
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if kind.is_empty() {
            return Err(SourceError::NotAnObject {
                location,
                message: "document has no `kind`: expected a Kubernetes object or List".into(),
            });
        }
        if let Some(item_kind) = kind.strip_suffix("List") {
            let mut map = map;
            if let Some(header) = map.remove("rbacscan") {
                let header =
                    serde_json::from_value(header).map_err(|e| SourceError::NotAnObject {
                        location: location.clone(),
                        message: format!("invalid `rbacscan` header: {e}"),
                    })?;
                self.apply_header(header, &location)?;
            }
            let items = match map.remove("items") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Array(items)) => items,
                Some(other) => {
                    return Err(SourceError::NotAnObject {
                        location,
                        message: format!(
                            "`items` of a {kind} must be a list, found {}",
                            json_type(&other)
                        ),
                    });
                }
            };
            let list = (!item_kind.is_empty()).then_some((item_kind, api_version.as_str()));
            for (i, item) in items.into_iter().enumerate() {
                let at = || item_location(name, text, doc_index, i).unwrap_or(location.clone());
                self.add_object(item, list, at)?;
            }
            return Ok(());
        }
        self.add_object(Value::Object(map), None, || location.clone())
    }

    /// Adds one untyped object; `list` is the (kind, apiVersion) of the typed
    /// list it is an item of, if any.
    fn add_object(
        &mut self,
        value: Value,
        list: Option<(&str, &str)>,
        location: impl Fn() -> Location,
    ) -> Result<(), SourceError> {
        let Value::Object(map) = &value else {
            return Err(SourceError::NotAnObject {
                location: location(),
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
        self.add_decoded(head, location, |k| decode(k, value))
    }

    /// Adds one object whose `kind` and identity were read ahead; `decode`
    /// produces the typed object.
    fn add_decoded(
        &mut self,
        head: Head,
        location: impl Fn() -> Location,
        decode: impl FnOnce(Kind) -> Result<Object, String>,
    ) -> Result<(), SourceError> {
        let Head {
            kind, api_version, ..
        } = &head;
        if kind.is_empty() {
            return Err(SourceError::NotAnObject {
                location: location(),
                message: "object has no `kind`".into(),
            });
        }
        let Some(k) = Kind::from_type(api_version, kind) else {
            *self
                .provenance
                .skipped
                .entry(format!("{kind} ({api_version})"))
                .or_default() += 1;
            return Ok(());
        };
        let label = head.describe(k);
        let object = decode(k).map_err(|message| SourceError::InvalidObject {
            location: location(),
            object: label.clone(),
            message,
        })?;
        let meta = object.metadata();
        if meta.name.as_deref().unwrap_or("").is_empty() {
            return Err(SourceError::InvalidObject {
                location: location(),
                object: label,
                message: "metadata.name is missing".into(),
            });
        }
        if k.is_namespaced() && meta.namespace.as_deref().unwrap_or("").is_empty() {
            return Err(SourceError::InvalidObject {
                location: location(),
                object: label,
                message: "metadata.namespace is missing (dump with `kubectl get -A -o yaml`)"
                    .into(),
            });
        }
        self.secrets_listed |= k == Kind::Secret;
        self.builder.add(object);
        Ok(())
    }
}

impl Loader {
    /// Takes in the header of an `rbacscan dump` file: its cluster, and the
    /// kinds it lacks (which stay missing in this snapshot).
    fn apply_header(&mut self, header: DumpHeader, location: &Location) -> Result<(), SourceError> {
        if header.dump_version > DUMP_VERSION {
            return Err(SourceError::NotAnObject {
                location: location.clone(),
                message: format!(
                    "snapshot format {} is newer than this rbacscan reads ({DUMP_VERSION}); upgrade rbacscan",
                    header.dump_version
                ),
            });
        }
        // Format 1 predates Secrets: its collections never listed them.
        if header.dump_version >= 2 && header.coverage.listed(Kind::Secret) {
            self.secrets_listed = true;
        }
        for kind in header.coverage.not_listed {
            if kind != Kind::Secret {
                self.builder.skip(kind);
            }
        }
        for gap in header.coverage.gaps {
            self.builder.add_gap(gap);
        }
        if self.provenance.cluster.is_none() {
            self.provenance.cluster = header.cluster;
        }
        Ok(())
    }

    /// JSON input: each document, and each item of a list, is decoded straight
    /// from its slice of the text into its typed object, without building a
    /// `serde_json::Value` tree of the whole file.
    fn add_json(&mut self, name: &str, text: &str) -> Result<(), SourceError> {
        #[derive(Deserialize)]
        struct Doc<'a> {
            #[serde(default)]
            kind: Option<String>,
            #[serde(default, rename = "apiVersion")]
            api_version: Option<String>,
            #[serde(default, borrow)]
            items: Option<Vec<&'a RawValue>>,
            #[serde(default)]
            metadata: Option<MetaHead>,
            #[serde(default)]
            rbacscan: Option<DumpHeader>,
        }
        let at = |raw: &RawValue| Location {
            file: name.to_string(),
            line_column: Some(line_column_of(
                text,
                raw.get().as_ptr() as usize - text.as_ptr() as usize,
            )),
        };
        for doc in serde_json::Deserializer::from_str(text).into_iter::<&RawValue>() {
            let doc = doc.map_err(|e| json_syntax(name, &e))?;
            if doc.get() == "null" {
                continue;
            }
            self.provenance.documents += 1;
            if !doc.get().starts_with('{') {
                return Err(SourceError::NotAnObject {
                    location: at(doc),
                    message: "expected a Kubernetes object or List".into(),
                });
            }
            let head: Doc =
                serde_json::from_str(doc.get()).map_err(|e| SourceError::NotAnObject {
                    location: at(doc),
                    message: strip_json_position(&e.to_string()),
                })?;
            let kind = head.kind.unwrap_or_default();
            let api_version = head.api_version.unwrap_or_default();
            if kind.is_empty() {
                return Err(SourceError::NotAnObject {
                    location: at(doc),
                    message: "document has no `kind`: expected a Kubernetes object or List".into(),
                });
            }
            let Some(item_kind) = kind.strip_suffix("List") else {
                let head = ObjectHead {
                    kind: Some(kind),
                    api_version: Some(api_version),
                    metadata: head.metadata,
                }
                .resolve(None);
                self.add_decoded(head, || at(doc), |k| decode_str(k, doc.get()))?;
                continue;
            };
            if let Some(header) = head.rbacscan {
                self.apply_header(header, &at(doc))?;
            }
            let list = (!item_kind.is_empty()).then_some((item_kind, api_version.as_str()));
            for item in head.items.unwrap_or_default() {
                if !item.get().starts_with('{') {
                    return Err(SourceError::NotAnObject {
                        location: at(item),
                        message: "list item is not an object".into(),
                    });
                }
                let head = serde_json::from_str::<ObjectHead>(item.get())
                    .map_err(|e| SourceError::NotAnObject {
                        location: at(item),
                        message: strip_json_position(&e.to_string()),
                    })?
                    .resolve(list);
                self.add_decoded(head, || at(item), |k| decode_str(k, item.get()))?;
            }
        }
        Ok(())
    }
}

/// What is read of an object before decoding it: its type and identity.
struct Head {
    kind: String,
    api_version: String,
    namespace: String,
    name: String,
}

impl Head {
    /// `Kind namespace/name`, for error messages.
    fn describe(&self, kind: Kind) -> String {
        let name = if self.name.is_empty() {
            "<no name>"
        } else {
            &self.name
        };
        if self.namespace.is_empty() {
            format!("{} {name}", kind.as_str())
        } else {
            format!("{} {}/{name}", kind.as_str(), self.namespace)
        }
    }
}

#[derive(Deserialize, Default)]
struct MetaHead {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    namespace: Option<String>,
}

/// An object's type and identity as written, before decoding.
#[derive(Deserialize)]
struct ObjectHead {
    #[serde(default)]
    kind: Option<String>,
    #[serde(default, rename = "apiVersion")]
    api_version: Option<String>,
    #[serde(default)]
    metadata: Option<MetaHead>,
}

impl ObjectHead {
    /// Items of raw API list responses (`RoleList`) carry no `kind` or
    /// `apiVersion`: they take those of the list, `list` = (item kind, apiVersion).
    fn resolve(self, list: Option<(&str, &str)>) -> Head {
        let given = |v: Option<String>| v.filter(|s| !s.is_empty());
        let meta = self.metadata.unwrap_or_default();
        Head {
            kind: given(self.kind)
                .or_else(|| list.map(|(k, _)| k.to_string()))
                .unwrap_or_default(),
            api_version: given(self.api_version)
                .or_else(|| list.map(|(_, v)| v.to_string()))
                .unwrap_or_default(),
            namespace: meta.namespace.unwrap_or_default(),
            name: meta.name.unwrap_or_default(),
        }
    }
}

fn json_syntax(name: &str, e: &serde_json::Error) -> SourceError {
    SourceError::Syntax {
        location: Location {
            file: name.into(),
            line_column: Some((e.line() as u64, e.column() as u64)),
        },
        message: strip_json_position(&e.to_string()),
    }
}

/// One parsed document and where it starts.
struct Document {
    value: Value,
    location: Location,
}

fn read_file(path: &Path, name: &str) -> Result<String, SourceError> {
    let bytes = std::fs::read(path).map_err(|source| SourceError::Read {
        path: name.into(),
        source,
    })?;
    String::from_utf8(bytes).map_err(|e| SourceError::Syntax {
        location: Location {
            file: name.into(),
            line_column: None,
        },
        message: format!(
            "not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ),
    })
}

fn collect_manifests(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect_manifests(&path, out)?;
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml" | "json")
        ) {
            out.push(path);
        }
    }
    Ok(())
}

fn looks_like_json(text: &str) -> bool {
    matches!(text.trim_start().as_bytes().first(), Some(b'{' | b'['))
}

fn parse_yaml_documents(name: &str, text: &str) -> Result<Vec<Document>, SourceError> {
    let at = |line_column| Location {
        file: name.to_string(),
        line_column,
    };
    let docs: Vec<Spanned<Value>> =
        serde_saphyr::from_multiple_with_options(text, yaml_options(text.len()))
            .map_err(|e| yaml_error(name, &e))?;
    Ok(docs
        .into_iter()
        .map(|d| Document {
            location: at(Some((d.referenced.line(), d.referenced.column()))),
            value: d.value,
        })
        .collect())
}

/// serde-saphyr's options. The node, event, document and scalar budgets grow
/// with the input (a real dump of a large cluster has millions of nodes);
/// alias-expansion and depth limits stay at their defaults to keep hostile
/// input cheap.
fn yaml_options(input_len: usize) -> serde_saphyr::Options {
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

fn yaml_error(name: &str, e: &serde_saphyr::Error) -> SourceError {
    let location = Location {
        file: name.to_string(),
        line_column: e
            .location()
            .filter(|l| l.line() > 0)
            .map(|l| (l.line(), l.column())),
    };
    SourceError::Syntax {
        location,
        message: one_line(&e.without_snippet().to_string()),
    }
}

/// The start of item `item` of YAML document `doc` (only computed on the error path).
fn item_location(name: &str, text: &str, doc: usize, item: usize) -> Option<Location> {
    #[derive(serde::Deserialize)]
    struct ItemSpans {
        #[serde(default)]
        items: Vec<Spanned<IgnoredAny>>,
    }
    let docs: Vec<Option<ItemSpans>> =
        serde_saphyr::from_multiple_with_options(text, yaml_options(text.len())).ok()?;
    let span = &docs.get(doc)?.as_ref()?.items.get(item)?.referenced;
    Some(Location {
        file: name.to_string(),
        line_column: Some((span.line(), span.column())),
    })
}

/// `field.path: message` of a decoding error.
fn path_error<E: std::fmt::Display>(e: serde_path_to_error::Error<E>) -> String {
    let path = e.path().to_string();
    let inner = strip_json_position(&e.into_inner().to_string());
    if path == "." {
        inner
    } else {
        format!("{path}: {inner}")
    }
}

/// Decodes into the typed object of `$kind`, with `$typed` (generic over the
/// Kubernetes type) applied to `$input`.
macro_rules! decode_as {
    ($kind:expr, $typed:ident, $input:expr) => {
        Ok(match $kind {
            Kind::ClusterRole => Object::ClusterRole($typed($input)?),
            Kind::ClusterRoleBinding => Object::ClusterRoleBinding($typed($input)?),
            Kind::Role => Object::Role($typed($input)?),
            Kind::RoleBinding => Object::RoleBinding($typed($input)?),
            Kind::ServiceAccount => Object::ServiceAccount($typed($input)?),
            Kind::Pod => Object::Pod(Box::new($typed($input)?)),
            Kind::Namespace => Object::Namespace($typed($input)?),
            Kind::Secret => {
                Object::Secret($typed::<crate::source::secret::RedactedSecret>($input)?.into())
            }
        })
    };
}

fn decode_str(kind: Kind, text: &str) -> Result<Object, String> {
    fn typed<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, String> {
        serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_str(text))
            .map_err(path_error)
    }
    decode_as!(kind, typed, text)
}

fn decode(kind: Kind, value: Value) -> Result<Object, String> {
    fn typed<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, String> {
        serde_path_to_error::deserialize(value).map_err(path_error)
    }
    decode_as!(kind, typed, value)
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

fn line_column_of(text: &str, offset: usize) -> (u64, u64) {
    // Skip the whitespace before the value so the position points at it.
    let rest = &text[offset..];
    let start = offset + (rest.len() - rest.trim_start().len());
    let before = &text[..start];
    let line = before.matches('\n').count() + 1;
    let column = start - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    (line as u64, column as u64)
}

fn strip_json_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

fn one_line(msg: &str) -> String {
    msg.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Loaded, SourceError> {
        load_as("t.yaml", text)
    }

    fn load_as(name: &str, text: &str) -> Result<Loaded, SourceError> {
        let mut l = Loader::new();
        l.add_text(name, text)?;
        Ok(l.finish())
    }

    #[test]
    fn reads_a_v1_list_and_skips_other_kinds() {
        let loaded = load(
            "apiVersion: v1\nkind: List\nitems:\n- apiVersion: rbac.authorization.k8s.io/v1\n  kind: ClusterRole\n  metadata: {name: a}\n  rules: []\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: c, namespace: x}\n",
        )
        .unwrap();
        assert_eq!(loaded.snapshot.cluster_roles.len(), 1);
        assert_eq!(loaded.provenance.skipped.get("ConfigMap (v1)"), Some(&1));
    }

    #[test]
    fn reads_multi_document_yaml_and_raw_api_lists() {
        let loaded = load(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r, namespace: n}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleList\nitems:\n- metadata: {name: x}\n---\n",
        )
        .unwrap();
        assert_eq!(loaded.snapshot.roles.len(), 1);
        assert_eq!(loaded.snapshot.cluster_roles.len(), 1);
    }

    #[test]
    fn syntax_error_names_file_line_and_column() {
        let err = load("apiVersion: v1\nkind: List\nitems:\n  - a: [b\n").unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("t.yaml:"), "{msg}");
        assert!(
            matches!(
                err,
                SourceError::Syntax {
                    location: Location {
                        line_column: Some(_),
                        ..
                    },
                    ..
                }
            ),
            "{msg}"
        );
        assert!(!msg.contains('\n'), "{msg}");
    }

    #[test]
    fn schema_error_names_item_line_object_and_field() {
        let err = load(
            "apiVersion: v1\nkind: List\nitems:\n- apiVersion: rbac.authorization.k8s.io/v1\n  kind: ClusterRole\n  metadata: {name: ok}\n- apiVersion: rbac.authorization.k8s.io/v1\n  kind: ClusterRole\n  metadata: {name: bad}\n  rules:\n  - verbs: get\n",
        )
        .unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("t.yaml:7:"), "{msg}");
        assert!(msg.contains("ClusterRole bad"), "{msg}");
        assert!(msg.contains("rules[0].verbs"), "{msg}");
    }

    #[test]
    fn json_is_read_with_positions() {
        let mut l = Loader::new();
        let err = l
            .add_text("d.json", "{\"kind\": \"List\",\n \"items\": [}")
            .unwrap_err();
        assert!(err.to_string().starts_with("d.json:2:"), "{err}");
        let mut l = Loader::new();
        l.add_text(
            "d.json",
            r#"{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"a","namespace":"n"}}]}"#,
        )
        .unwrap();
        assert_eq!(l.finish().snapshot.service_accounts.len(), 1);
    }

    #[test]
    fn json_schema_errors_name_the_item_line_and_field() {
        let mut l = Loader::new();
        let text = "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [\n  {\"apiVersion\": \"v1\", \"kind\": \"Namespace\", \"metadata\": {\"name\": \"a\"}},\n  {\"apiVersion\": \"rbac.authorization.k8s.io/v1\", \"kind\": \"Role\", \"metadata\": {\"name\": \"r\", \"namespace\": \"n\"}, \"rules\": [{\"verbs\": 3}]}\n]}";
        let err = l.add_text("d.json", text).unwrap_err().to_string();
        assert!(
            err.starts_with("d.json:3:3: Role n/r: rules[0].verbs: invalid type"),
            "{err}"
        );
        // Raw API lists: items without kind take the list's.
        let mut l = Loader::new();
        l.add_text(
            "p.json",
            r#"{"kind":"RoleList","apiVersion":"rbac.authorization.k8s.io/v1","items":[{"metadata":{"name":"x","namespace":"n"}}]}"#,
        )
        .unwrap();
        assert_eq!(l.finish().snapshot.roles.len(), 1);
        // Documents that are not objects, and objects without kind, are refused.
        assert!(Loader::new().add_text("x.json", "[1, 2]").is_err());
        assert!(
            Loader::new()
                .add_text("x.json", "{\"a\": 1}")
                .unwrap_err()
                .to_string()
                .contains("no `kind`")
        );
    }

    #[test]
    fn missing_name_or_namespace_is_an_error() {
        let err = load("apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a}\n").unwrap_err();
        assert!(
            err.to_string().contains("metadata.namespace is missing"),
            "{err}"
        );
        let err =
            load("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {}\n")
                .unwrap_err();
        assert!(
            err.to_string().contains("metadata.name is missing"),
            "{err}"
        );
    }

    #[test]
    fn a_document_without_kind_is_rejected() {
        let err = load("foo: bar\n").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("t.yaml:1:1: document has no `kind`"),
            "{err}"
        );
    }

    #[test]
    fn alias_bombs_are_refused() {
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 0..12 {
            let prev = if i == 0 {
                "a".to_string()
            } else {
                format!("b{}", i - 1)
            };
            bomb.push_str(&format!("b{i}: &b{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
        }
        assert!(load(&bomb).is_err());
    }

    const PARTIAL_DUMP_HEAD: &str = r#"{"apiVersion":"v1","kind":"List","metadata":{},"rbacscan":{"dumpVersion":1,"tool":"rbacscan 0.1.0","cluster":{"server":"https://10.0.0.1:6443","context":"prod"},"coverage":{"gaps":[{"kind":"Pod","reason":"forbidden","message":"HTTP 403 Forbidden: pods is forbidden"}]}},"items":["#;

    #[test]
    fn a_dump_header_carries_its_gaps_and_cluster_into_the_snapshot() {
        let text = format!(
            "{PARTIAL_DUMP_HEAD}\n{}\n]}}\n",
            r#"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"a"}}"#
        );
        let loaded = load_as("dump.json", &text).unwrap();
        let gap = loaded.snapshot.coverage.gap(Kind::Pod).unwrap();
        assert_eq!(gap.reason, crate::snapshot::GapReason::Forbidden);
        assert!(!loaded.snapshot.coverage.has(Kind::Pod));
        assert!(loaded.snapshot.coverage.has(Kind::Namespace));
        assert_eq!(loaded.snapshot.namespaces.len(), 1);
        let cluster = loaded.provenance.cluster.unwrap();
        assert_eq!(cluster.server, "https://10.0.0.1:6443");
        assert_eq!(cluster.context.as_deref(), Some("prod"));

        // The same header in YAML.
        let yaml = "apiVersion: v1\nkind: List\nrbacscan:\n  dumpVersion: 1\n  coverage:\n    gaps:\n    - {kind: ClusterRole, reason: failed, message: deadline}\nitems: []\n";
        let loaded = load(yaml).unwrap();
        assert!(!loaded.snapshot.coverage.has(Kind::ClusterRole));
    }

    #[test]
    fn secrets_are_listed_when_a_file_holds_some_or_a_format_2_dump_says_so() {
        let listed = |text: &str| load(text).unwrap().snapshot.coverage.listed(Kind::Secret);
        // A kubectl dump without Secrets: they were not listed.
        assert!(!listed("apiVersion: v1\nkind: List\nitems: []\n"));
        // A format-1 dump predates Secrets.
        assert!(!listed(
            "apiVersion: v1\nkind: List\nrbacscan: {dumpVersion: 1}\nitems: []\n"
        ));
        // A format-2 dump made with --secret-metadata, even of a cluster without any.
        assert!(listed(
            "apiVersion: v1\nkind: List\nrbacscan: {dumpVersion: 2}\nitems: []\n"
        ));
        assert!(!listed(
            "apiVersion: v1\nkind: List\nrbacscan: {dumpVersion: 2, coverage: {notListed: [Secret]}}\nitems: []\n"
        ));
        // Secrets in the input, data and all: kept reduced.
        let text = "apiVersion: v1\nkind: Secret\nmetadata: {name: t, namespace: ns, annotations: {kubernetes.io/service-account.name: sa, note: s3cr3t}}\ntype: kubernetes.io/service-account-token\ndata: {token: czNjcjN0}\n";
        let loaded = load(text).unwrap();
        assert!(loaded.snapshot.coverage.listed(Kind::Secret));
        let kept = serde_json::to_string(&loaded.snapshot.secrets).unwrap();
        assert!(
            kept.contains("\"sa\"") && !kept.contains("s3cr3t") && !kept.contains("czNjcjN0"),
            "{kept}"
        );
    }

    #[test]
    fn a_newer_or_malformed_dump_header_is_refused_with_its_location() {
        let newer = PARTIAL_DUMP_HEAD.replace("\"dumpVersion\":1", "\"dumpVersion\":3");
        let err = load_as("d.json", &format!("{newer}]}}")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "d.json:1:1: snapshot format 3 is newer than this rbacscan reads (2); upgrade rbacscan"
        );
        let err =
            load("apiVersion: v1\nkind: List\nrbacscan: {dumpVersion: 1, extra: x}\nitems: []\n")
                .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("t.yaml:1:1: invalid `rbacscan` header: unknown field `extra`"),
            "{err}"
        );
        let err = load("apiVersion: v1\nkind: List\nrbacscan:\n  dumpVersion: 1\n  coverage: {gaps: [{kind: ConfigMap, reason: failed, message: x}]}\nitems: []\n")
            .unwrap_err();
        assert!(
            err.to_string().contains("unknown kind `ConfigMap`"),
            "{err}"
        );
    }

    #[test]
    fn a_written_dump_reads_back_to_the_same_snapshot() {
        let original = crate::source::demo::load().unwrap().snapshot;
        let mut partial = original.clone();
        partial.coverage.add(crate::snapshot::Gap {
            kind: Kind::Role,
            reason: crate::snapshot::GapReason::Failed,
            message: "HTTP 500".into(),
        });
        let mut text = Vec::new();
        crate::source::dump::write(&partial, None, &mut text).unwrap();
        let back = load_as("dump.json", std::str::from_utf8(&text).unwrap())
            .unwrap()
            .snapshot;
        assert_eq!(back.coverage, partial.coverage);
        for kind in Kind::ALL {
            assert_eq!(back.count(kind), original.count(kind), "{kind:?}");
        }
        let json = |s: &crate::snapshot::Snapshot| {
            serde_json::to_string(&(&s.cluster_roles, &s.role_bindings, &s.pods)).unwrap()
        };
        assert_eq!(json(&back), json(&original));
    }
}
