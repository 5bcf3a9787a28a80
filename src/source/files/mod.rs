//! Offline input: what `kubectl get ... -o yaml|json` prints (`v1 List`s),
//! multi-document YAML, single objects, raw API list responses (`RoleList`
//! with kind-less items), JSON arrays of objects or Lists (KubiScan's
//! combined dump), `rbacscan dump` files, from files, directories or
//! standard input.
//!
//! Every file is read once into memory (a big one is mapped: see `read`)
//! and parsed once, as JSON (`json`) when it reads as JSON and as YAML
//! (`yaml`) otherwise. Directories are walked by `walk`. Whatever the
//! format, an input must hold objects of the kinds the scan reads: no data
//! is never a clean cluster. Kinds the input lacks are recorded in the
//! snapshot's coverage, so the checks that need them are skipped and the
//! report says so. Messages name the file, the line and the field, never a
//! value (see [`super::diagnostic`]).
//!
//! What a top-level document is (`document`), an object read ahead and
//! decoded into its kind's type (`decode`), the header of an `rbacscan dump`
//! file (`dump_header`) and positions in a text (`position`) have files of
//! their own.

mod decode;
mod document;
mod dump_header;
mod json;
mod one_pass;
mod position;
mod read;
mod walk;
mod yaml;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::Path;

pub use walk::{SkipReason, Skipped};

use super::diagnostic;
use super::{Loaded, Location, Provenance, SourceError};
use crate::snapshot::{Kind, ObjectKey, SnapshotBuilder};

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
    /// each once; see `walk`), anything else is read as one file whatever
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
            let bytes = read::contents(p).map_err(read_error(path))?;
            return self.add_bytes(path, &bytes);
        }
        // A directory below `path` that cannot be listed is named itself.
        let walked =
            walk::walk(p).map_err(|e| read_error(&e.dir.display().to_string())(e.source))?;
        self.provenance.skipped_paths.extend(walked.skipped);
        if walked.files.is_empty() {
            return Err(SourceError::EmptyDirectory { path: path.into() });
        }
        for f in walked.files {
            let name = f.display().to_string();
            let bytes = read::contents(&f).map_err(read_error(&name))?;
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
        if let Some(line) = document::kubectl_error(text) {
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
    /// needing them are skipped rather than taken as clean; but for the
    /// custom resources of [`Kind::is_optional_custom_resource`], absent
    /// from the files means absent.
    pub fn finish(mut self) -> Result<Loaded, SourceError> {
        if self.listed.is_empty() {
            return Err(SourceError::NoObjects {
                inputs: self.provenance.sources.join(", "),
                message: self.nothing_read(),
            });
        }
        for kind in Kind::ALL {
            // A custom resource the files lack is taken as absent, as a
            // live list answers when its CRD is not installed.
            if !self.listed.contains(&kind) && !kind.is_optional_custom_resource() {
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
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn load(text: &str) -> Result<Loaded, SourceError> {
        load_as("t.yaml", text)
    }

    pub(super) fn load_as(name: &str, text: &str) -> Result<Loaded, SourceError> {
        let mut l = Loader::new();
        l.add_text(name, text)?;
        l.finish()
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
}
