//! Where a snapshot comes from: offline files (`files`), a live API server
//! (`live`) or the built-in demo cluster (`demo`); and the API server's
//! audit logs (`audit`), read into what they show was used. This layer
//! does I/O; everything after it is pure.

pub mod audit;
pub mod demo;
pub mod diagnostic;
pub mod dump;
pub mod files;
pub mod live;
pub mod secret;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::snapshot::{Kind, Snapshot};

/// A place in an input, for error messages: a file and, when known, the
/// 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file's name as the user gave it (`<stdin>` for standard input).
    pub file: String,
    /// Line and column, when the parser knows them.
    pub line_column: Option<(u64, u64)>,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line_column {
            Some((line, column)) => write!(f, "{}:{line}:{column}", self.file),
            None => f.write_str(&self.file),
        }
    }
}

/// Errors of the offline source. Every variant names the input it is about.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// A path given on the command line could not be read.
    #[error("{path}: cannot read: {source}")]
    Read {
        /// The path as given.
        path: String,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A directory given on the command line holds no `.yaml`, `.yml` or `.json` file.
    #[error("{path}: no .yaml, .yml or .json files in this directory")]
    EmptyDirectory {
        /// The directory as given.
        path: String,
    },
    /// The input is not well-formed YAML or JSON.
    #[error("{location}: {message}")]
    Syntax {
        /// Where the parser stopped.
        location: Location,
        /// The parser's message.
        message: String,
    },
    /// A document is not a Kubernetes object or list (no `kind`, not a mapping, ...).
    #[error("{location}: {message}")]
    NotAnObject {
        /// The document or list item.
        location: Location,
        /// What is wrong with it.
        message: String,
    },
    /// The input is a failed API request saved as a file (a `v1 Status`
    /// with `status: Failure`, or kubectl's error text), not objects.
    #[error("{location}: {message}")]
    ApiError {
        /// Where the error response is.
        location: Location,
        /// What the server said, and that it is not objects.
        message: String,
    },
    /// The inputs hold no object of a kind the scan reads: an empty file,
    /// empty standard input, only comments, or only other kinds. No data is
    /// never taken for a clean cluster.
    #[error("{inputs}: {message}")]
    NoObjects {
        /// The inputs, as given.
        inputs: String,
        /// What they hold instead.
        message: String,
    },
    /// An object of a kind the scanner reads does not match that kind's schema.
    #[error("{location}: {object}: {message}")]
    InvalidObject {
        /// The list item or document holding the object.
        location: Location,
        /// `Kind namespace/name` of the object, as far as known.
        object: String,
        /// The field path and what is wrong with it.
        message: String,
    },
}

/// What was read to build a snapshot, for the report's `inputs` section.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Provenance {
    /// Files or other sources read, in order.
    pub sources: Vec<String>,
    /// YAML/JSON documents read.
    pub documents: usize,
    /// Objects of kinds the analysis does not read, by `kind` (`apiVersion`), skipped.
    pub skipped: BTreeMap<String, usize>,
    /// Objects that appeared more than once (same kind, namespace and name); the last one wins.
    pub duplicates: usize,
    /// Objects read at an older `apiVersion` of their kind (an
    /// `extensions/v1beta1` Deployment, a `batch/v1beta1` CronJob), by kind
    /// and version: their fields are read as the current version's.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub old_api_versions: Vec<OldApiVersion>,
    /// Directory entries passed over: symbolic link loops, second links to
    /// a file or directory, FIFOs and other files that are not regular.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped_paths: Vec<files::Skipped>,
    /// The cluster the objects were listed from: this scan's, or the one
    /// recorded in an `rbacscan dump` file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<ClusterInfo>,
    /// Where each object was read (file, line, column), when the loader
    /// was asked to record it (`-o sarif` of files). Not in the report.
    #[serde(skip)]
    #[schemars(skip)]
    pub positions: BTreeMap<crate::snapshot::ObjectKey, Location>,
}

/// How many objects of one kind were read at one of its older
/// `apiVersion`s (those `Kind::old_api_versions` lists).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OldApiVersion {
    /// The kind.
    pub kind: Kind,
    /// The older `apiVersion` the objects were written at.
    pub api_version: &'static str,
    /// How many objects.
    pub objects: usize,
}

impl Provenance {
    /// Counts an object of `kind` read at `api_version`, if that is one of
    /// the kind's older versions; the counts stay in kind order, then in
    /// the order [`Kind::old_api_versions`] lists the versions.
    pub fn count_api_version(&mut self, kind: Kind, api_version: &str) {
        let Some(rank) = (kind.old_api_versions().iter()).position(|v| *v == api_version) else {
            return;
        };
        let api_version = kind.old_api_versions()[rank];
        let counts = &mut self.old_api_versions;
        match counts
            .iter_mut()
            .find(|o| (o.kind, o.api_version) == (kind, api_version))
        {
            Some(o) => o.objects += 1,
            None => {
                counts.push(OldApiVersion {
                    kind,
                    api_version,
                    objects: 1,
                });
                counts.sort_by_key(|o| {
                    let old = o.kind.old_api_versions();
                    (o.kind, old.iter().position(|v| *v == o.api_version))
                });
            }
        }
    }

    /// The note on objects read at older `apiVersion`s, if any was:
    /// `read 3 objects at old API versions (Deployment extensions/v1beta1:
    /// 2, CronJob batch/v1beta1: 1): their fields are read as the current
    /// version's`.
    pub fn old_api_versions_note(&self) -> Option<String> {
        let total: usize = self.old_api_versions.iter().map(|o| o.objects).sum();
        if total == 0 {
            return None;
        }
        let each: Vec<String> = (self.old_api_versions.iter())
            .map(|o| format!("{} {}: {}", o.kind.as_str(), o.api_version, o.objects))
            .collect();
        let (at, whose) = if total == 1 {
            ("an old API version", "its")
        } else {
            ("old API versions", "their")
        };
        Some(format!(
            "read {} at {at} ({}): {whose} fields are read as the current version's",
            crate::words::count(total, "object"),
            each.join(", ")
        ))
    }
}

/// The cluster a snapshot was listed from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClusterInfo {
    /// The API server URL.
    pub server: String,
    /// The kubeconfig context; absent for the in-cluster configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// The server's `gitVersion`, when it tells.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// When the lists were read (RFC 3339, UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collected_at: Option<String>,
}

impl ClusterInfo {
    /// `cluster https://host:6443 (context prod, Kubernetes v1.30.2)`.
    pub fn describe(&self) -> String {
        let mut details = Vec::new();
        if let Some(c) = &self.context {
            details.push(format!("context {c}"));
        }
        if let Some(v) = &self.version {
            details.push(format!("Kubernetes {v}"));
        }
        if details.is_empty() {
            format!("cluster {}", self.server)
        } else {
            format!("cluster {} ({})", self.server, details.join(", "))
        }
    }
}

/// A snapshot and how it was obtained.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The collected objects.
    pub snapshot: Snapshot,
    /// Where they came from.
    pub provenance: Provenance,
}
