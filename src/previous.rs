//! A previous report of rbacscan, read back: the JSON schema version this
//! build writes and reads, the header that says which document a file is,
//! what is kept of each of its findings, and the errors of reading one.
//!
//! `--baseline` (see `crate::baseline`) and `merge` (see `crate::merge`)
//! both read reports written by an earlier run; the report writes
//! [`SCHEMA_VERSION`]. They meet here, below all three, so that none of
//! them reads another. Pure: the caller reads the file.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::template::Severity;

/// The JSON schema version; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 4;

/// What a previous report is read for: the words of its errors depend on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// The `--baseline` report of `scan`.
    Baseline,
    /// A report given to `merge`.
    Merge,
}

impl Purpose {
    /// What the file is called in a message.
    fn noun(self) -> &'static str {
        match self {
            Purpose::Baseline => "baseline",
            Purpose::Merge => "report",
        }
    }

    /// What to do about a report of another schema version.
    fn version_hint(self) -> String {
        match self {
            Purpose::Baseline => format!(
                "this rbacscan compares with reports of schemaVersion {SCHEMA_VERSION} (scan again to make a new baseline)"
            ),
            Purpose::Merge => format!(
                "this rbacscan merges reports of schemaVersion {SCHEMA_VERSION} (scan the cluster again with this version)"
            ),
        }
    }
}

/// Errors of reading a previous report. Each names the file.
#[derive(Debug, thiserror::Error)]
pub enum PreviousError {
    /// The file could not be read.
    #[error("{path}: cannot read the {}: {source}", purpose.noun())]
    Read {
        /// The path as given.
        path: String,
        /// What it was read for.
        purpose: Purpose,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The file is not JSON, or not a report's shape.
    #[error("{path}:{line}:{column}: not an rbacscan JSON report: {source}")]
    Parse {
        /// The path as given.
        path: String,
        /// Line of the fault (1-based).
        line: usize,
        /// Column of the fault (1-based).
        column: usize,
        /// What the JSON parser said.
        source: serde_json::Error,
    },
    /// A report of another schema version: its fields and fingerprints may
    /// not match this build's.
    #[error("{path}: a report of schemaVersion {found}; {}", purpose.version_hint())]
    Version {
        /// The path as given.
        path: String,
        /// What it was read for.
        purpose: Purpose,
        /// The file's `schemaVersion`.
        found: u32,
    },
    /// A finding refers to a position its report's table does not have.
    #[error(
        "{path}: finding {finding} refers to position {position} of `{table}`, which has no such entry"
    )]
    Reference {
        /// The path as given.
        path: String,
        /// The finding's position in `findings`.
        finding: usize,
        /// The table.
        table: &'static str,
        /// The position it names.
        position: usize,
    },
    /// Not the report of one cluster's `rbacscan scan`: an answer, a pod
    /// view or a fleet.
    #[error("{path}: {what}")]
    NotAScan {
        /// The path as given.
        path: String,
        /// What it is instead, and what was wanted.
        what: String,
    },
}

/// The fields that say which document a JSON file is.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Header {
    /// `schemaVersion`.
    pub schema_version: u32,
    /// `fleet` for a fleet report.
    #[serde(default)]
    pub kind: Option<String>,
    /// For an answer: `who-can`, `access` or `paths`.
    #[serde(default)]
    pub command: Option<String>,
    /// For a report: `scan` or `pods`.
    #[serde(default)]
    pub view: Option<String>,
}

impl Header {
    /// Reads the header of `text`, ignoring everything else.
    pub fn read(text: &str) -> Result<Header, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// Whether this is a fleet report.
    pub fn is_fleet(&self) -> bool {
        self.kind.as_deref() == Some("fleet")
    }
}

/// Checks that `text` (the file `path`) is one cluster's report of
/// `rbacscan scan` of this schema version, before the rest of it is
/// trusted, and returns its header.
///
/// For a baseline, an answer and a fleet are refused (a `pods` report is
/// taken: its findings are a scan's, fewer). For `merge`, a fleet, an
/// answer and a `pods` report are refused.
pub fn check(path: &str, text: &str, purpose: Purpose) -> Result<Header, PreviousError> {
    let header = Header::read(text).map_err(|e| parse_error(path, e))?;
    if header.schema_version != SCHEMA_VERSION {
        return Err(PreviousError::Version {
            path: path.into(),
            purpose,
            found: header.schema_version,
        });
    }
    let what = match purpose {
        Purpose::Baseline => match &header.command {
            Some(command) => Some(format!(
                "an answer of `rbacscan {command}`, not a report of `rbacscan scan`"
            )),
            None if header.is_fleet() => Some(
                "a fleet report of several clusters; a baseline is the report of one cluster's scan"
                    .to_string(),
            ),
            None => None,
        },
        Purpose::Merge => {
            let instead = if header.is_fleet() {
                Some("a fleet report (merge the clusters' own reports instead)".to_string())
            } else if let Some(command) = &header.command {
                Some(format!("an answer of `rbacscan {command}`"))
            } else {
                (header.view.as_deref())
                    .filter(|v| *v != "scan")
                    .map(|view| format!("a report of `rbacscan {view}`"))
            };
            instead.map(|i| format!("{i}, not a report of `rbacscan scan -o json`"))
        }
    };
    match what {
        Some(what) => Err(PreviousError::NotAScan {
            path: path.into(),
            what,
        }),
        None => Ok(header),
    }
}

/// Reads the whole of `text` (the file `path`) as `T`, after [`check`].
pub fn parse<T: DeserializeOwned>(path: &str, text: &str) -> Result<T, PreviousError> {
    serde_json::from_str(text).map_err(|e| parse_error(path, e))
}

fn parse_error(path: &str, source: serde_json::Error) -> PreviousError {
    PreviousError::Parse {
        path: path.into(),
        line: source.line(),
        column: source.column(),
        source,
    }
}

/// A finding as a report writes it: its title a position in the report's
/// `texts`, the objects it is about positions in its `objects` (see
/// `crate::tables`). [`resolve`] reads it into a [`Previous`].
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WrittenFinding {
    fingerprint: String,
    code: String,
    #[serde(default)]
    rule: Option<String>,
    severity: Severity,
    title: usize,
    #[serde(default)]
    subject: Option<usize>,
    #[serde(default)]
    binding: Option<usize>,
    #[serde(default)]
    role: Option<usize>,
    #[serde(default)]
    pod: Option<usize>,
}

/// The findings of a report (the file `path`) as it wrote them, each
/// position read from its tables. A position past the end of its table is
/// an error that names the finding.
pub fn resolve(
    path: &str,
    findings: Vec<WrittenFinding>,
    texts: &[String],
    objects: &[serde_json::Value],
) -> Result<Vec<Previous>, PreviousError> {
    let missing = |index: usize, table: &'static str, position: usize| PreviousError::Reference {
        path: path.into(),
        finding: index,
        table,
        position,
    };
    let object = |index: usize, position: Option<usize>| {
        position
            .map(|p| {
                objects
                    .get(p)
                    .cloned()
                    .ok_or_else(|| missing(index, "objects", p))
            })
            .transpose()
    };
    (findings.into_iter().enumerate())
        .map(|(i, f)| {
            Ok(Previous {
                title: (texts.get(f.title).cloned()).ok_or_else(|| missing(i, "texts", f.title))?,
                subject: object(i, f.subject)?,
                binding: object(i, f.binding)?,
                role: object(i, f.role)?,
                pod: object(i, f.pod)?,
                fingerprint: f.fingerprint,
                code: f.code,
                rule: f.rule,
                severity: f.severity,
            })
        })
        .collect()
}

/// What is kept of a previous report's finding: enough to say what was
/// resolved, and to list the worst of a fleet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(description = "What is kept of a baseline's finding: enough to say what was resolved.")]
pub struct Previous {
    /// Its fingerprint.
    pub fingerprint: String,
    /// Its code.
    pub code: String,
    /// Its template rule, for risk findings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// Its severity then.
    pub severity: Severity,
    /// Its title.
    pub title: String,
    /// The subject it was about, as the report wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<serde_json::Value>,
    /// The binding it was about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binding: Option<serde_json::Value>,
    /// The role it was about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<serde_json::Value>,
    /// The pod it was about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod: Option<serde_json::Value>,
}

impl Previous {
    /// What it was about, in words (`ServiceAccount ci/deployer`), from the
    /// first of its pod, subject, binding and role, as for a finding of
    /// this run.
    pub fn about(&self) -> String {
        let object = [&self.pod, &self.subject, &self.binding, &self.role]
            .into_iter()
            .flatten()
            .next();
        let Some(o) = object else {
            return String::new();
        };
        let text = |k: &str| o.get(k).and_then(serde_json::Value::as_str).unwrap_or("");
        let kind = match text("kind") {
            "" if self.pod.is_some() => "Pod",
            k => k,
        };
        match text("namespace") {
            "" => format!("{kind} {}", text("name")),
            ns => format!("{kind} {ns}/{}", text("name")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_baseline_refuses_another_version_an_answer_and_a_fleet() {
        let check =
            |text: &str| check("b.json", text, Purpose::Baseline).map_err(|e| e.to_string());
        let e = check(r#"{"schemaVersion": 1}"#).unwrap_err();
        assert!(e.contains("schemaVersion 1; this rbacscan compares"), "{e}");
        let e = check(r#"{"schemaVersion": 4, "command": "paths"}"#).unwrap_err();
        assert_eq!(
            e,
            "b.json: an answer of `rbacscan paths`, not a report of `rbacscan scan`"
        );
        let e = check(r#"{"schemaVersion": 4, "kind": "fleet"}"#).unwrap_err();
        assert!(
            e.contains("a baseline is the report of one cluster's scan"),
            "{e}"
        );
        assert!(check(r#"{"schemaVersion": 4, "view": "pods"}"#).is_ok());
    }

    #[test]
    fn merge_refuses_a_fleet_an_answer_and_a_pod_view() {
        let check = |text: &str| check("m.json", text, Purpose::Merge).map_err(|e| e.to_string());
        let e = check(r#"{"schemaVersion": 5}"#).unwrap_err();
        assert!(e.contains("schemaVersion 5; this rbacscan merges"), "{e}");
        let e = check(r#"{"schemaVersion": 4, "kind": "fleet", "command": "x"}"#).unwrap_err();
        assert!(e.starts_with("m.json: a fleet report (merge"), "{e}");
        let e = check(r#"{"schemaVersion": 4, "view": "pods"}"#).unwrap_err();
        assert_eq!(
            e,
            "m.json: a report of `rbacscan pods`, not a report of `rbacscan scan -o json`"
        );
        assert!(check(r#"{"schemaVersion": 4, "view": "scan"}"#).is_ok());
    }

    #[test]
    fn resolve_reads_positions_from_the_tables_and_names_a_missing_one() {
        let findings: Vec<WrittenFinding> = serde_json::from_str(
            r#"[
                {"fingerprint": "a1", "code": "risky-subject", "rule": "full-wildcard",
                 "severity": "CRITICAL", "title": 1, "subject": 0, "binding": 1},
                {"fingerprint": "b2", "code": "missing-role", "severity": "LOW", "title": 2}
            ]"#,
        )
        .unwrap();
        let texts = ["Wildcard".to_string(), "Cluster admin".to_string()];
        let objects = [
            serde_json::json!({"kind": "ServiceAccount", "namespace": "ci", "name": "deployer"}),
            serde_json::json!({"kind": "ClusterRoleBinding", "name": "ci-admin"}),
        ];
        // The second finding's title is past the end of `texts`.
        let e = resolve("r.json", findings.clone(), &texts, &objects).unwrap_err();
        assert!(
            matches!(
                e,
                PreviousError::Reference { ref path, finding: 1, table: "texts", position: 2 }
                    if path == "r.json"
            ),
            "{e:?}"
        );
        assert_eq!(
            e.to_string(),
            "r.json: finding 1 refers to position 2 of `texts`, which has no such entry"
        );
        // Well formed, it resolves the title and the objects.
        let resolved = resolve("r.json", findings[..1].to_vec(), &texts, &objects).unwrap();
        assert_eq!(resolved.len(), 1);
        let p = &resolved[0];
        assert_eq!(p.title, "Cluster admin");
        assert_eq!(p.subject.as_ref(), Some(&objects[0]));
        assert_eq!(p.binding.as_ref(), Some(&objects[1]));
        assert_eq!((p.role.as_ref(), p.pod.as_ref()), (None, None));
        assert_eq!(p.about(), "ServiceAccount ci/deployer");
        assert_eq!(
            (p.fingerprint.as_str(), p.code.as_str(), p.rule.as_deref()),
            ("a1", "risky-subject", Some("full-wildcard"))
        );
        assert_eq!(p.severity, Severity::Critical);
    }

    #[test]
    fn a_fault_has_its_line_and_column() {
        let e = check("c.json", "{\n  \"schemaVersion\": \"x\"\n}", Purpose::Merge).unwrap_err();
        assert!(e.to_string().starts_with("c.json:2:"), "{e}");
    }
}
