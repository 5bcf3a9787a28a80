//! Offline input: what `kubectl get ... -o yaml|json` prints (`v1 List`s),
//! multi-document YAML, single objects, raw API list responses (`RoleList`
//! with kind-less items), JSON arrays of objects or Lists (KubiScan's
//! combined dump), `rbacscan dump` files, from files, directories or
//! standard input.
//!
//! Every file is read once into memory (a big one is mapped: see
//! [`contents`]) and parsed once, as JSON (`json`)
//! when it reads as JSON and as YAML (`yaml`) otherwise. Directories are
//! walked by `walk`. Whatever the format, an input must hold objects of the
//! kinds the scan reads: no data is never a clean cluster. Kinds the input
//! lacks are recorded in the snapshot's coverage, so the checks that need
//! them are skipped and the report says so. Messages name the file, the line
//! and the field, never a value (see [`super::diagnostic`]).

mod json;
mod one_pass;
mod walk;
mod yaml;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::Path;

use serde::Deserialize;

pub use walk::{SkipReason, Skipped};

use super::diagnostic;
use super::dump::{DUMP_VERSION, DumpHeader};
use super::{Loaded, Location, Provenance, SourceError};
use crate::snapshot::{Kind, Object, ObjectKey, SnapshotBuilder};

/// The name standard input is reported under.
pub const STDIN_NAME: &str = "<stdin>";

/// Accumulates objects from any number of inputs into one snapshot.
#[derive(Debug, Default)]
pub struct Loader {
    builder: SnapshotBuilder,
    provenance: Provenance,
    /// Kinds the inputs hold: an object of the kind, a typed list of it
    /// (`RoleList`, even empty), or a snapshot file that listed it.
    listed: BTreeSet<Kind>,
    /// Where each object was read, when asked for ([`Loader::with_positions`]).
    positions: Option<BTreeMap<ObjectKey, Location>>,
}

impl Loader {
    /// An empty loader.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty loader that also records where each object was read (file,
    /// line and column, in [`Provenance::positions`]), for reports that
    /// point at the manifest line of an object (SARIF).
    pub fn with_positions() -> Self {
        Loader {
            positions: Some(BTreeMap::new()),
            ..Self::default()
        }
    }

    /// Whether positions are recorded: the readers then index their input
    /// so that each object's position costs a lookup, not a scan.
    fn wants_positions(&self) -> bool {
        self.positions.is_some()
    }

    /// Reads a path as given on the command line: `-` is standard input, a
    /// directory is walked (`.yaml`, `.yml`, `.json` files, in name order,
    /// each once; see [`walk`]), anything else is read as one file whatever
    /// its extension (`/dev/stdin` and `<(kubectl ...)` included).
    pub fn add_path(&mut self, path: &str) -> Result<(), SourceError> {
        let read_error = |name: &str| {
            let name = name.to_string();
            move |source| SourceError::Read { path: name, source }
        };
        if path == "-" {
            let mut bytes = Vec::new();
            std::io::stdin()
                .read_to_end(&mut bytes)
                .map_err(read_error(STDIN_NAME))?;
            return self.add_bytes(STDIN_NAME, &bytes);
        }
        let p = Path::new(path);
        let meta = std::fs::metadata(p).map_err(read_error(path))?;
        if !meta.is_dir() {
            let bytes = contents(p).map_err(read_error(path))?;
            return self.add_bytes(path, &bytes);
        }
        let walked = walk::walk(p).map_err(read_error(path))?;
        self.provenance.skipped_paths.extend(walked.skipped);
        if walked.files.is_empty() {
            return Err(SourceError::EmptyDirectory { path: path.into() });
        }
        for f in walked.files {
            let name = f.display().to_string();
            let bytes = contents(&f).map_err(read_error(&name))?;
            self.add_bytes(&name, &bytes)?;
        }
        Ok(())
    }

    /// Parses one input given as bytes, which must be UTF-8 text.
    pub fn add_bytes(&mut self, name: &str, bytes: &[u8]) -> Result<(), SourceError> {
        let text = std::str::from_utf8(bytes).map_err(|e| {
            let (line_column, message) = diagnostic::not_utf8(bytes, &e);
            SourceError::Syntax {
                location: Location {
                    file: name.into(),
                    line_column,
                },
                message,
            }
        })?;
        self.add_text(name, text)
    }

    /// Parses one input's text; `name` is used in errors and provenance.
    pub fn add_text(&mut self, name: &str, text: &str) -> Result<(), SourceError> {
        self.provenance.sources.push(name.to_string());
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        if let Some(line) = kubectl_error(text) {
            return Err(SourceError::ApiError {
                location: Location {
                    file: name.into(),
                    line_column: Some((1, 1)),
                },
                message: format!("this is kubectl's error output, not objects: {line}"),
            });
        }
        if json::looks_like_json(text) {
            json::add(self, name, text)
        } else {
            yaml::add(self, name, text)
        }
    }

    /// The snapshot built from every input, and what went into it.
    ///
    /// Fails when the inputs hold no object of any kind the scan reads:
    /// an empty file, `/dev/null`, empty standard input, or only other kinds.
    /// Kinds the inputs lack are recorded as not listed, so that the checks
    /// needing them are skipped rather than taken as clean.
    pub fn finish(mut self) -> Result<Loaded, SourceError> {
        if self.listed.is_empty() {
            return Err(SourceError::NoObjects {
                inputs: self.provenance.sources.join(", "),
                message: self.nothing_read(),
            });
        }
        for kind in Kind::ALL {
            if !self.listed.contains(&kind) {
                self.builder.skip(kind);
            }
        }
        let built = self.builder.build();
        self.provenance.duplicates = built.duplicates;
        self.provenance.positions = self.positions.unwrap_or_default();
        Ok(Loaded {
            snapshot: built.snapshot,
            provenance: self.provenance,
        })
    }

    /// Why nothing could be read, for [`SourceError::NoObjects`].
    fn nothing_read(&self) -> String {
        let kinds: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
        if self.provenance.documents == 0 {
            return "no Kubernetes objects: the input is empty or holds only comments (did the command that wrote it fail?)".into();
        }
        let found: Vec<String> = (self.provenance.skipped.iter())
            .map(|(kind, n)| format!("{n} {kind}"))
            .collect();
        format!(
            "no objects of the kinds rbacscan reads ({}){}",
            kinds.join(", "),
            if found.is_empty() {
                String::new()
            } else {
                format!("; it holds only {}", found.join(", "))
            }
        )
    }

    /// Classifies a top-level document (or an element of a top-level
    /// array) by its type: a list, an object, or a saved API error.
    fn document(
        &mut self,
        head: &Head,
        status: impl FnOnce() -> StatusHead,
        location: &Location,
    ) -> Result<Document, SourceError> {
        self.provenance.documents += 1;
        if head.kind.is_empty() {
            return Err(SourceError::NotAnObject {
                location: location.clone(),
                message: "document has no `kind`: expected a Kubernetes object or List".into(),
            });
        }
        if head.kind == "Status" && head.api_version == "v1" {
            let status = status();
            if status.status.as_deref() == Some("Failure") {
                return Err(SourceError::ApiError {
                    location: location.clone(),
                    message: status.describe(),
                });
            }
        }
        match head.kind.strip_suffix("List") {
            Some(item_kind) => {
                let typed = (!item_kind.is_empty()).then(|| item_kind.to_string());
                if let Some(k) = typed
                    .as_deref()
                    .and_then(|k| Kind::from_type(&head.api_version, k))
                {
                    // A typed list says which kind was listed, even when it is empty.
                    self.listed.insert(k);
                }
                Ok(Document::List(typed))
            }
            None => Ok(Document::Object),
        }
    }

    /// Adds one object whose type and identity were read ahead; `decode`
    /// produces the typed object.
    fn add_decoded(
        &mut self,
        head: Head,
        location: impl Fn() -> Location,
        decode: impl FnOnce(Kind) -> Result<Object, Undecodable>,
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
        // The object's name in messages, made only for one.
        let label = || head.describe(k);
        let object = decode(k).map_err(|e| SourceError::InvalidObject {
            location: e.location.unwrap_or_else(&location),
            object: label(),
            message: e.message,
        })?;
        let names = object.names();
        if names.name.unwrap_or("").is_empty() {
            return Err(SourceError::InvalidObject {
                location: location(),
                object: label(),
                message: "metadata.name is missing".into(),
            });
        }
        if k.is_namespaced() && names.namespace.unwrap_or("").is_empty() {
            return Err(SourceError::InvalidObject {
                location: location(),
                object: label(),
                message: "metadata.namespace is missing (dump with `kubectl get -A -o yaml`)"
                    .into(),
            });
        }
        self.listed.insert(k);
        if let Some(positions) = &mut self.positions {
            // The last copy of an object wins, here as in the snapshot.
            positions.insert(crate::snapshot::key_of(&object), location());
        }
        self.builder.add(object);
        Ok(())
    }

    /// Takes in the header of an `rbacscan dump` file: its cluster, the
    /// kinds its collection listed (all but those it names as not listed or
    /// missing), and its gaps (which stay missing in this snapshot).
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
        for kind in Kind::ALL {
            // Format 1 predates Secrets: its collections never listed them.
            let predates = kind == Kind::Secret && header.dump_version < 2;
            if !predates && header.coverage.listed(kind) {
                self.listed.insert(kind);
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
}

/// Files at least this big are mapped rather than read.
const MAP_FROM: u64 = 4 << 20;

/// A file's bytes: mapped into memory when it is a regular file of at
/// least [`MAP_FROM`] bytes, read otherwise (and when it cannot be mapped).
///
/// Reading copies the file into fresh memory, which the kernel must clear
/// page by page first: a 165 MB dump took 0.1 s to read and 0.02 s to map.
/// A mapped file that another process truncates while it is being parsed
/// ends the scan with `SIGBUS` instead of an error message (the trade
/// ripgrep makes for big files too); one rewritten in place may be parsed
/// half old, half new, as a file read while it is written would be.
fn contents(path: &Path) -> std::io::Result<Contents> {
    let mut file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    if meta.is_file() && meta.len() >= MAP_FROM {
        // SAFETY: the map is read-only, lives no longer than the parse of
        // its bytes, and nothing in this process writes the file; what
        // another process may do to it is the trade above.
        if let Ok(map) = unsafe { memmap2::Mmap::map(&file) } {
            return Ok(Contents::Mapped(map));
        }
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.read_to_end(&mut bytes)?;
    Ok(Contents::Read(bytes))
}

/// A file's bytes, mapped or read (see [`contents`]).
enum Contents {
    /// Mapped read-only.
    Mapped(memmap2::Mmap),
    /// Read into memory.
    Read(Vec<u8>),
}

impl std::ops::Deref for Contents {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Contents::Mapped(map) => map,
            Contents::Read(bytes) => bytes,
        }
    }
}

/// The first line of kubectl's own error output (`Error from server
/// (Forbidden): ...`), when that is what the input holds: what a shell
/// redirect saves when the command failed.
fn kubectl_error(text: &str) -> Option<&str> {
    const STARTS: [&str; 3] = [
        "Error from server",
        "error: ",
        "Unable to connect to the server",
    ];
    // The first line is cut out only when it may be one: a big dump is
    // often one line.
    let rest = text.trim_start();
    if !STARTS.iter().any(|p| rest.starts_with(p.trim_end())) {
        return None;
    }
    let first = rest.lines().next()?.trim();
    STARTS.iter().any(|p| first.starts_with(p)).then_some(first)
}

/// What a top-level document is.
enum Document {
    /// A list; `Some(kind)` for a typed list (`RoleList`), whose items may
    /// omit their `kind` and `apiVersion`.
    List(Option<String>),
    /// A single object.
    Object,
}

/// The fields of a `v1 Status`, as the API server returns it for a failed
/// request (and kubectl saves it with `-o yaml|json`).
#[derive(Debug, Default, Deserialize)]
struct StatusHead {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    code: Option<u64>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

impl StatusHead {
    fn describe(&self) -> String {
        let mut what = Vec::new();
        if let Some(c) = self.code {
            what.push(c.to_string());
        }
        if let Some(r) = self.reason.as_deref().filter(|r| !r.is_empty()) {
            what.push(r.to_string());
        }
        let mut text = "this is an error from the API server, not objects".to_string();
        if !what.is_empty() {
            text.push_str(&format!(" ({})", what.join(" ")));
        }
        if let Some(m) = self.message.as_deref().filter(|m| !m.is_empty()) {
            text.push_str(": ");
            text.push_str(&diagnostic::one_line(m));
        }
        text
    }
}

/// An object that does not decode into its kind's type: the field path and
/// what is wrong (never the value), and where, when the parser can tell.
struct Undecodable {
    location: Option<Location>,
    message: String,
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
#[derive(Deserialize, Default)]
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

/// `field.path: message` of a decoding error, without the value found.
fn path_error<E: std::fmt::Display>(e: &serde_path_to_error::Error<E>) -> String {
    let path = e.path().to_string();
    let inner = diagnostic::without_values(diagnostic::strip_position(&e.inner().to_string()));
    if path == "." {
        inner
    } else {
        format!("{path}: {inner}")
    }
}

/// Decodes into the typed object of `$kind`, with `$typed` (a function
/// generic over the Kubernetes type, named last) applied to `$input`.
macro_rules! decode_as {
    ($kind:expr, $input:expr, $($typed:tt)+) => {
        Ok(match $kind {
            Kind::ClusterRole => Object::ClusterRole($($typed)+($input)?),
            Kind::ClusterRoleBinding => Object::ClusterRoleBinding($($typed)+($input)?),
            Kind::Role => Object::Role($($typed)+($input)?),
            Kind::RoleBinding => Object::RoleBinding($($typed)+($input)?),
            Kind::ServiceAccount => Object::ServiceAccount($($typed)+($input)?),
            Kind::Pod => Object::Pod(Box::new($($typed)+($input)?)),
            Kind::Namespace => Object::Namespace($($typed)+($input)?),
            Kind::Secret => Object::Secret(
                $($typed)+::<crate::source::secret::RedactedSecret>($input)?.into(),
            ),
        })
    };
}
use decode_as;

/// 1-based line and column of byte `offset` of `text`, past any whitespace
/// there so that the position points at the value.
fn line_column_of(text: &str, offset: usize) -> (u64, u64) {
    let rest = &text[offset..];
    let start = offset + (rest.len() - rest.trim_start().len());
    let before = &text[..start];
    let line = before.matches('\n').count() + 1;
    let column = start - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    (line as u64, column as u64)
}

/// Where the lines of a text start, for positions in O(log n) when many
/// are asked for (every object's, for SARIF).
struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    fn of(text: &str) -> Lines {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Lines { starts }
    }

    /// As [`line_column_of`].
    fn line_column(&self, text: &str, offset: usize) -> (u64, u64) {
        let rest = &text[offset..];
        let start = offset + (rest.len() - rest.trim_start().len());
        let line = self.starts.partition_point(|&s| s <= start);
        let column = start - self.starts[line - 1] + 1;
        (line as u64, column as u64)
    }
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
        l.finish()
    }

    #[test]
    fn the_line_index_places_offsets_as_the_scan_does() {
        let text = "a\n  b\n\n   c\nd";
        let lines = Lines::of(text);
        for offset in 0..text.len() {
            assert_eq!(
                lines.line_column(text, offset),
                line_column_of(text, offset),
                "{offset}"
            );
        }
    }

    #[test]
    fn positions_are_recorded_for_json_and_yaml_objects_when_asked() {
        let yaml = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ServiceAccount\n  metadata: {name: a, namespace: n}\n- apiVersion: v1\n  kind: ServiceAccount\n  metadata: {name: b, namespace: n}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: n}\n";
        let json = "{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[\n{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"m\"}},\n  {\"apiVersion\":\"v1\",\"kind\":\"ServiceAccount\",\"metadata\":{\"name\":\"c\",\"namespace\":\"m\"}}]}";
        let mut l = Loader::with_positions();
        l.add_text("a.yaml", yaml).unwrap();
        l.add_text("b.json", json).unwrap();
        let loaded = l.finish().unwrap();
        let at = |kind, ns: &str, name: &str| {
            let key = ObjectKey {
                kind,
                namespace: ns.into(),
                name: name.into(),
            };
            let l = &loaded.provenance.positions[&key];
            (l.file.clone(), l.line_column)
        };
        assert_eq!(
            at(Kind::ServiceAccount, "n", "a"),
            ("a.yaml".into(), Some((4, 3)))
        );
        assert_eq!(
            at(Kind::ServiceAccount, "n", "b"),
            ("a.yaml".into(), Some((7, 3)))
        );
        assert_eq!(
            at(Kind::Namespace, "", "n"),
            ("a.yaml".into(), Some((11, 1)))
        );
        assert_eq!(
            at(Kind::Namespace, "", "m"),
            ("b.json".into(), Some((2, 1)))
        );
        assert_eq!(
            at(Kind::ServiceAccount, "m", "c"),
            ("b.json".into(), Some((3, 3)))
        );
        // Without asking, nothing is recorded.
        let mut l = Loader::new();
        l.add_text("a.yaml", yaml).unwrap();
        assert!(l.finish().unwrap().provenance.positions.is_empty());
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
        // The line and column of the field itself, not of the object.
        assert!(msg.starts_with("t.yaml:11:12: "), "{msg}");
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
        assert_eq!(l.finish().unwrap().snapshot.service_accounts.len(), 1);
    }

    #[test]
    fn json_schema_errors_name_the_item_line_and_field() {
        let mut l = Loader::new();
        let text = "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [\n  {\"apiVersion\": \"v1\", \"kind\": \"Namespace\", \"metadata\": {\"name\": \"a\"}},\n  {\"apiVersion\": \"rbac.authorization.k8s.io/v1\", \"kind\": \"Role\", \"metadata\": {\"name\": \"r\", \"namespace\": \"n\"}, \"rules\": [{\"verbs\": 3}]}\n]}";
        let err = l.add_text("d.json", text).unwrap_err().to_string();
        assert!(
            err.starts_with("d.json:3:131: Role n/r: rules[0].verbs: invalid type: an integer"),
            "{err}"
        );
        // Raw API lists: items without kind take the list's.
        let mut l = Loader::new();
        l.add_text(
            "p.json",
            r#"{"kind":"RoleList","apiVersion":"rbac.authorization.k8s.io/v1","items":[{"metadata":{"name":"x","namespace":"n"}}]}"#,
        )
        .unwrap();
        assert_eq!(l.finish().unwrap().snapshot.roles.len(), 1);
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
        let ns = "- {apiVersion: v1, kind: Namespace, metadata: {name: a}}";
        assert!(!listed(&format!(
            "apiVersion: v1\nkind: List\nitems:\n{ns}\n"
        )));
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

    // ---- no data is not a clean cluster -----------------------------------

    #[test]
    fn inputs_without_objects_are_errors_naming_the_input() {
        for (name, text) in [
            ("empty.yaml", ""),
            ("blank.yaml", "  \n\n"),
            ("comments.yaml", "# kubectl failed\n---\n# nothing\n"),
            ("null.json", "null"),
            ("empty-list.yaml", "apiVersion: v1\nkind: List\nitems: []\n"),
        ] {
            let err = load_as(name, text).unwrap_err();
            assert!(
                matches!(err, SourceError::NoObjects { .. }),
                "{name}: {err}"
            );
            assert!(err.to_string().starts_with(&format!("{name}: ")), "{err}");
        }
        let err = load("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: n}\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("it holds only 1 ConfigMap (v1)"), "{err}");
    }

    #[test]
    fn a_saved_api_error_is_an_error_not_an_empty_cluster() {
        let status = r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods is forbidden: User \"bob\" cannot list resource \"pods\"","reason":"Forbidden","code":403}"#;
        let err = load_as("pods.json", status).unwrap_err().to_string();
        assert!(
            err.starts_with("pods.json:1:1: this is an error from the API server, not objects (403 Forbidden): pods is forbidden"),
            "{err}"
        );
        let yaml = "apiVersion: v1\nkind: Status\nstatus: Failure\nreason: NotFound\ncode: 404\n";
        assert!(matches!(
            load(yaml).unwrap_err(),
            SourceError::ApiError { .. }
        ));
        // A successful Status is just another kind.
        let ok = "apiVersion: v1\nkind: Status\nstatus: Success\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n";
        assert!(load(ok).is_ok());
        // kubectl's own error text, saved by `2>&1 >`.
        let err =
            load("Error from server (Forbidden): roles.rbac.authorization.k8s.io is forbidden\n")
                .unwrap_err()
                .to_string();
        assert!(
            err.starts_with("t.yaml:1:1: this is kubectl's error output"),
            "{err}"
        );
    }

    #[test]
    fn kubectls_error_text_is_its_first_line_that_is_not_blank() {
        let cases = [
            (
                "\n  \n  error: the server doesn't have a resource type\nmore\n",
                Some("error: the server doesn't have a resource type"),
            ),
            (
                "Unable to connect to the server: dial tcp\r\n",
                Some("Unable to connect to the server: dial tcp"),
            ),
            (
                "Error from server (Forbidden): x  \n",
                Some("Error from server (Forbidden): x"),
            ),
            // The prefix with nothing after it, or not on the first line.
            ("error:   \n", None),
            ("apiVersion: v1\nerror: x\n", None),
            ("errors: x\n", None),
            ("", None),
        ];
        for (text, want) in cases {
            assert_eq!(kubectl_error(text), want, "{text:?}");
        }
    }

    #[test]
    fn kinds_the_input_lacks_are_not_listed_and_typed_empty_lists_count_as_listed() {
        let rbac = "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r, namespace: n}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBindingList\nitems: []\n";
        let c = load(rbac).unwrap().snapshot.coverage;
        assert!(c.is_complete());
        assert!(c.has(Kind::Role) && c.has(Kind::RoleBinding));
        for k in [
            Kind::ClusterRole,
            Kind::Pod,
            Kind::ServiceAccount,
            Kind::Secret,
        ] {
            assert!(!c.listed(k), "{k:?}");
        }
    }

    // ---- input shapes -------------------------------------------------------

    #[test]
    fn yaml_flow_mappings_and_top_level_sequences_are_read_as_yaml() {
        let flow = "{apiVersion: v1, kind: List, items: [{apiVersion: v1, kind: Namespace, metadata: {name: a}}]}\n";
        assert_eq!(load(flow).unwrap().snapshot.namespaces.len(), 1);
        let seq = "- {apiVersion: v1, kind: Namespace, metadata: {name: a}}\n- apiVersion: v1\n  kind: List\n  items:\n  - {apiVersion: v1, kind: Namespace, metadata: {name: b}}\n";
        assert_eq!(load(seq).unwrap().snapshot.namespaces.len(), 2);
        let err = load("- {apiVersion: v1, kind: Namespace, metadata: {name: a}}\n- 42\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("t.yaml:2:3: expected a Kubernetes object"),
            "{err}"
        );
    }

    #[test]
    fn json_arrays_of_objects_and_lists_are_read() {
        let combined = r#"[{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"a"}},
 {"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"b"}}]}]"#;
        assert_eq!(
            load_as("c.json", combined)
                .unwrap()
                .snapshot
                .namespaces
                .len(),
            2
        );
        let err = load_as(
            "c.json",
            "[{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"a\"}}, 3]",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with("c.json:1:66: expected a Kubernetes object"),
            "{err}"
        );
    }

    #[test]
    fn broken_json_is_named_truncated_or_trailing() {
        let ns = r#"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"a"}}"#;
        let err = load_as("d.json", &format!("{ns}\n}} garbage"))
            .unwrap_err()
            .to_string();
        assert_eq!(err, "d.json:2:1: trailing data after the JSON document");
        let err = load_as("d.json", &ns[..30]).unwrap_err().to_string();
        assert_eq!(
            err,
            "d.json:1:31: the JSON ends in the middle of a value: the file is truncated"
        );
        // Concatenated documents are fine.
        assert_eq!(
            load_as("d.json", &format!("{ns}\n{ns}"))
                .unwrap()
                .provenance
                .duplicates,
            1
        );
    }

    #[test]
    fn decode_errors_name_the_field_never_the_value() {
        let yaml = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: n}\nspec:\n  containers:\n  - name: c\n    env:\n    - {name: PW, valueFrom: {secretKeyRef: {name: 987654321123, key: k}}}\n";
        let err = load(yaml).unwrap_err().to_string();
        assert_eq!(
            err,
            "t.yaml:8:51: Pod n/p: spec.containers[0].env[0].valueFrom.secretKeyRef.name: invalid type: an integer, expected a string"
        );
        let json = r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"n"},
"spec":{"containers":[{"name":"c","volumeMounts":[{"name":"v","mountPath":{"s3cr3t":1}}]}]}}"#;
        let err = load_as("p.json", json).unwrap_err().to_string();
        assert!(
            !err.contains("s3cr3t") && !err.contains("987654321123"),
            "{err}"
        );
        assert!(err.starts_with("p.json:2:"), "{err}");
        assert!(
            err.contains("spec.containers[0].volumeMounts[0].mountPath: invalid type: a map"),
            "{err}"
        );
    }

    #[test]
    fn literal_env_values_are_never_decoded_so_never_kept() {
        // A value of any shape is skipped unread: it can neither fail the
        // load nor reach the snapshot.
        let yaml = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: n}\nspec:\n  containers:\n  - name: c\n    env:\n    - {name: PW, value: hunter2}\n    - {name: N, value: {nested: 987654321123}}\n    - {name: S, valueFrom: {secretKeyRef: {name: s, key: k}}}\n";
        let snapshot = load(yaml).unwrap();
        let dumped = serde_json::to_string(&snapshot.snapshot.pods).unwrap();
        assert!(
            !dumped.contains("hunter2") && !dumped.contains("987654321123"),
            "{dumped}"
        );
        assert!(
            dumped.contains(
                r#""env":[{"name":"S","valueFrom":{"secretKeyRef":{"key":"k","name":"s"}}}]"#
            ),
            "{dumped}"
        );
    }
}
