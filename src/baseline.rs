//! Baselines: a previous JSON report of `scan`, against which each finding
//! of this run is marked new or unchanged, and the findings it no longer
//! has are listed as resolved (`--baseline`, `--fail-on-new`).
//!
//! Findings are matched by fingerprint alone: a fingerprint is made of the
//! finding's code, template rule and the names of the objects it is about,
//! so it does not change when findings are reordered, when unrelated
//! objects come or go, or when a finding's severity or evidence changes.
//! The comparison is made with every finding of the run, before filters:
//! a finding hidden by `-n` or `--min-severity` is not "resolved". Pure:
//! the caller reads the file.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::findings::Finding;
use crate::report::SCHEMA_VERSION;
use crate::report::header::Header;
use crate::template::Severity;

/// Errors of a baseline file.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    /// The file could not be read.
    #[error("{path}: cannot read the baseline: {source}")]
    Read {
        /// The `--baseline` path.
        path: String,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The file is not JSON, or not a report's shape.
    #[error("{path}:{line}:{column}: not an rbacscan JSON report: {source}")]
    Parse {
        /// The `--baseline` path.
        path: String,
        /// Line of the fault (1-based).
        line: usize,
        /// Column of the fault (1-based).
        column: usize,
        /// What the JSON parser said.
        source: serde_json::Error,
    },
    /// A report of another schema version: its fingerprints may not match.
    #[error(
        "{path}: a report of schemaVersion {found}; this rbacscan compares with reports of schemaVersion {SCHEMA_VERSION} (scan again to make a new baseline)"
    )]
    Version {
        /// The `--baseline` path.
        path: String,
        /// The file's `schemaVersion`.
        found: u32,
    },
    /// A fleet report (several clusters): a baseline is one cluster's report.
    #[error(
        "{path}: a fleet report of several clusters; a baseline is the report of one cluster's scan"
    )]
    Fleet {
        /// The `--baseline` path.
        path: String,
    },
    /// An answer of `who-can`, `access` or `paths`, not a scan.
    #[error("{path}: an answer of `rbacscan {command}`, not a report of `rbacscan scan`")]
    NotAScan {
        /// The `--baseline` path.
        path: String,
        /// The answer's command.
        command: String,
    },
}

/// How a finding compares with the baseline. Stable kebab-case in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Not in the baseline.
    New,
    /// In the baseline too.
    Unchanged,
}

/// What is kept of a baseline's finding: enough to say what was resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
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

/// A baseline report.
#[derive(Debug, Clone)]
pub struct Baseline {
    /// Where it came from (the `--baseline` path).
    pub source: String,
    /// Its findings.
    pub findings: Vec<Previous>,
}

/// The fields of a report that a baseline needs; the others are ignored.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReportFile {
    #[serde(default)]
    findings: Vec<Previous>,
}

impl Baseline {
    /// Reads a baseline from the text of a JSON report (`path` names it in
    /// errors). The version is checked before the findings are read.
    pub fn parse(path: &str, text: &str) -> Result<Baseline, BaselineError> {
        let parse_error = |source: serde_json::Error| BaselineError::Parse {
            path: path.into(),
            line: source.line(),
            column: source.column(),
            source,
        };
        let header = Header::read(text).map_err(parse_error)?;
        if header.schema_version != SCHEMA_VERSION {
            return Err(BaselineError::Version {
                path: path.into(),
                found: header.schema_version,
            });
        }
        if let Some(command) = header.command {
            return Err(BaselineError::NotAScan {
                path: path.into(),
                command,
            });
        }
        if header.is_fleet() {
            return Err(BaselineError::Fleet { path: path.into() });
        }
        let file: ReportFile = serde_json::from_str(text).map_err(parse_error)?;
        Ok(Baseline {
            source: path.into(),
            findings: file.findings,
        })
    }

    /// Marks each of `findings` new or unchanged, and returns the
    /// baseline's findings that are gone, in the baseline's order.
    pub fn compare(&self, findings: &mut [Finding]) -> Vec<Previous> {
        let before: HashSet<&str> = self
            .findings
            .iter()
            .map(|f| f.fingerprint.as_str())
            .collect();
        let mut now: HashSet<&str> = HashSet::with_capacity(findings.len());
        for f in findings.iter_mut() {
            f.baseline = Some(match before.contains(f.fingerprint.as_str()) {
                true => Status::Unchanged,
                false => Status::New,
            });
        }
        now.extend(findings.iter().map(|f| f.fingerprint.as_str()));
        let mut seen = HashSet::new();
        self.findings
            .iter()
            .filter(|p| !now.contains(p.fingerprint.as_str()) && seen.insert(&p.fingerprint))
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn another_version_or_an_answer_is_refused_and_a_fault_has_its_place() {
        let e = Baseline::parse("old.json", r#"{"schemaVersion": 1, "findings": []}"#).unwrap_err();
        assert!(e.to_string().contains("schemaVersion 1"), "{e}");
        let e =
            Baseline::parse("a.json", r#"{"schemaVersion": 2, "command": "paths"}"#).unwrap_err();
        assert!(e.to_string().contains("rbacscan paths"), "{e}");
        let e = Baseline::parse(
            "b.json",
            "{\n  \"schemaVersion\": 2,\n  \"findings\": [{\"code\": 1}]\n}",
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("b.json:3:"), "{e}");
        let ok = Baseline::parse("c.json", r#"{"schemaVersion": 2, "findings": []}"#).unwrap();
        assert!(ok.findings.is_empty());
    }
}
