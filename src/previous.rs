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
pub const SCHEMA_VERSION: u32 = 3;

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
        let e = check(r#"{"schemaVersion": 3, "command": "paths"}"#).unwrap_err();
        assert_eq!(
            e,
            "b.json: an answer of `rbacscan paths`, not a report of `rbacscan scan`"
        );
        let e = check(r#"{"schemaVersion": 3, "kind": "fleet"}"#).unwrap_err();
        assert!(
            e.contains("a baseline is the report of one cluster's scan"),
            "{e}"
        );
        assert!(check(r#"{"schemaVersion": 3, "view": "pods"}"#).is_ok());
    }

    #[test]
    fn merge_refuses_a_fleet_an_answer_and_a_pod_view() {
        let check = |text: &str| check("m.json", text, Purpose::Merge).map_err(|e| e.to_string());
        let e = check(r#"{"schemaVersion": 4}"#).unwrap_err();
        assert!(e.contains("schemaVersion 4; this rbacscan merges"), "{e}");
        let e = check(r#"{"schemaVersion": 3, "kind": "fleet", "command": "x"}"#).unwrap_err();
        assert!(e.starts_with("m.json: a fleet report (merge"), "{e}");
        let e = check(r#"{"schemaVersion": 3, "view": "pods"}"#).unwrap_err();
        assert_eq!(
            e,
            "m.json: a report of `rbacscan pods`, not a report of `rbacscan scan -o json`"
        );
        assert!(check(r#"{"schemaVersion": 3, "view": "scan"}"#).is_ok());
    }

    #[test]
    fn a_fault_has_its_line_and_column() {
        let e = check("c.json", "{\n  \"schemaVersion\": \"x\"\n}", Purpose::Merge).unwrap_err();
        assert!(e.to_string().starts_with("c.json:2:"), "{e}");
    }
}
