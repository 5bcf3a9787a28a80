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

use serde::Deserialize;

use crate::findings::{BaselineStatus, Finding};
use crate::previous::{self, Previous, PreviousError, Purpose, WrittenFinding};

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
    findings: Vec<WrittenFinding>,
    #[serde(default)]
    texts: Vec<String>,
    #[serde(default)]
    objects: Vec<serde_json::Value>,
}

impl Baseline {
    /// Reads a baseline from the text of a JSON report (`path` names it in
    /// errors). The version is checked before the findings are read.
    pub fn parse(path: &str, text: &str) -> Result<Baseline, PreviousError> {
        previous::check(path, text, Purpose::Baseline)?;
        let file: ReportFile = previous::parse(path, text)?;
        Ok(Baseline {
            source: path.into(),
            findings: previous::resolve(path, file.findings, &file.texts, &file.objects)?,
        })
    }

    /// Marks each of `findings` new or unchanged, and returns the
    /// baseline's findings that are gone, in the baseline's order.
    pub fn compare(&self, findings: &mut [Box<Finding>]) -> Vec<Previous> {
        let before: HashSet<&str> = self
            .findings
            .iter()
            .map(|f| f.fingerprint.as_str())
            .collect();
        let mut now: HashSet<&str> = HashSet::with_capacity(findings.len());
        for f in findings.iter_mut() {
            f.baseline = Some(match before.contains(f.fingerprint.as_str()) {
                true => BaselineStatus::Unchanged,
                false => BaselineStatus::New,
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
            Baseline::parse("a.json", r#"{"schemaVersion": 4, "command": "paths"}"#).unwrap_err();
        assert!(e.to_string().contains("rbacscan paths"), "{e}");
        let e = Baseline::parse(
            "b.json",
            "{\n  \"schemaVersion\": 4,\n  \"findings\": [{\"code\": 1}]\n}",
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("b.json:3:"), "{e}");
        let ok = Baseline::parse("c.json", r#"{"schemaVersion": 4, "findings": []}"#).unwrap();
        assert!(ok.findings.is_empty());
        // A finding's title and objects are positions in the report's tables.
        let one = r#"{"schemaVersion": 4, "findings": [{"fingerprint": "f", "code": "risky-subject",
            "severity": "HIGH", "title": 0, "subject": 0}],
            "texts": ["Reads secrets"], "objects": [{"kind": "User", "name": "eve"}]}"#;
        let ok = Baseline::parse("d.json", one).unwrap();
        assert_eq!(ok.findings[0].title, "Reads secrets");
        assert_eq!(ok.findings[0].about(), "User eve");
        let e = Baseline::parse("e.json", &one.replace(r#""subject": 0"#, r#""subject": 1"#))
            .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("e.json: finding 0 refers to position 1 of `objects`"),
            "{e}"
        );
    }
}
