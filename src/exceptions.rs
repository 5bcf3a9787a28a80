//! Exceptions (`--exceptions FILE`): findings an owner has accepted, for a
//! reason, until a date. A suppressed finding leaves the report's lists
//! and `--fail-on`, but is counted and kept in JSON with its exception; an
//! exception past its date suppresses nothing and is reported.
//!
//! ```yaml
//! exceptions:
//! - rule: pods-exec                 # a template rule id or a finding code
//!   subject: "ServiceAccount ci/*"  # as the report names it
//!   owner: team-ci@example.com
//!   reason: the runner execs into its own build pods
//!   expires: 2027-03-31             # optional; the last day it applies
//! ```
//!
//! Selectors (`rule`, `subject`, `namespace`, `role`, `binding`, `pod`)
//! are exact names or globs (`*`, `?`); an exception applies to a finding
//! when every selector it has matches, and it must have at least one. A
//! file with any error is rejected as a whole, with its line: never half
//! applied. Pure: the caller reads the file and gives the date.

use serde::{Deserialize, Serialize};
use wildmatch::WildMatch;

use crate::findings::{Finding, FindingScope};

/// Errors of an exceptions file.
#[derive(Debug, thiserror::Error)]
pub enum ExceptionsError {
    /// The file could not be read.
    #[error("{path}: cannot read the exceptions: {source}")]
    Read {
        /// The `--exceptions` path.
        path: String,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// Not YAML of the expected shape (an unknown field, a wrong type).
    #[error("{path}: {message}")]
    Parse {
        /// The `--exceptions` path.
        path: String,
        /// What the YAML parser said, with the line and column.
        message: String,
    },
    /// An exception that would match every finding, or cannot apply.
    #[error("{path}: exception {number} (line {line}): {problem}")]
    Invalid {
        /// The `--exceptions` path.
        path: String,
        /// Its position in the list, from 1.
        number: usize,
        /// The line it starts on.
        line: usize,
        /// What is wrong.
        problem: String,
    },
}

/// One exception as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Exception {
    /// A template rule id or a finding code (`pods-exec`, `hot-pod`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// The subject, as the report names it (`ServiceAccount ci/deployer`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// A namespace where the finding applies (or its pod runs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The role (`ClusterRole view`, `Role ci/runner`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// The binding (`RoleBinding ci/runner`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binding: Option<String>,
    /// The pod (`ci/runner-1`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod: Option<String>,
    /// Who accepted it.
    pub owner: String,
    /// Why.
    pub reason: String,
    /// The last day it applies (`YYYY-MM-DD`); none: until removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>", extend("format" = "date"))]
    pub expires: Option<jiff::civil::Date>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    exceptions: Vec<Exception>,
}

/// A validated exceptions file.
#[derive(Debug, Clone)]
pub struct Exceptions {
    /// Where it came from.
    pub source: String,
    /// The exceptions, in file order, with the line each starts on.
    pub list: Vec<(Exception, usize)>,
}

/// A finding an exception suppressed, with the exception.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Suppressed {
    /// The exception's position in the file, from 1.
    pub exception: usize,
    /// Who accepted it.
    pub owner: String,
    /// Why.
    pub reason: String,
    /// Until when.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>", extend("format" = "date"))]
    pub expires: Option<jiff::civil::Date>,
    /// The finding.
    pub finding: Finding,
}

/// An exception past its date: it suppressed nothing.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Expired {
    /// Its position in the file, from 1.
    pub exception: usize,
    /// The line it starts on.
    pub line: usize,
    /// The exception.
    #[serde(flatten)]
    pub written: Exception,
}

impl Exceptions {
    /// Parses and validates the text of an exceptions file.
    pub fn parse(path: &str, text: &str) -> Result<Exceptions, ExceptionsError> {
        let file: File = serde_saphyr::from_str(text).map_err(|e| ExceptionsError::Parse {
            path: path.into(),
            message: crate::terminal::escape(&e.to_string()).replace('\n', " "),
        })?;
        let lines = item_lines(text);
        let mut list = Vec::with_capacity(file.exceptions.len());
        for (i, e) in file.exceptions.into_iter().enumerate() {
            let line = lines.get(i).copied().unwrap_or(0);
            let invalid = |problem: &str| ExceptionsError::Invalid {
                path: path.into(),
                number: i + 1,
                line,
                problem: problem.into(),
            };
            let selectors = [
                &e.rule,
                &e.subject,
                &e.namespace,
                &e.role,
                &e.binding,
                &e.pod,
            ];
            if selectors.iter().all(|s| s.is_none()) {
                return Err(invalid(
                    "no selector (rule, subject, namespace, role, binding or pod): it would hide every finding",
                ));
            }
            if selectors
                .iter()
                .flat_map(|s| s.as_deref())
                .any(|s| s.trim().is_empty())
            {
                return Err(invalid("an empty selector"));
            }
            if e.owner.trim().is_empty() || e.reason.trim().is_empty() {
                return Err(invalid("an exception needs an owner and a reason"));
            }
            list.push((e, line));
        }
        Ok(Exceptions {
            source: path.into(),
            list,
        })
    }

    /// Takes out of `findings` those an exception in force on `today`
    /// suppresses (the first that matches names it), and returns them with
    /// the exceptions past their date.
    pub fn apply(
        &self,
        findings: &mut Vec<Box<Finding>>,
        today: jiff::civil::Date,
    ) -> (Vec<Suppressed>, Vec<Expired>) {
        let (in_force, expired): (Vec<_>, Vec<_>) = (self.list.iter().enumerate())
            .partition(|(_, (e, _))| e.expires.is_none_or(|d| d >= today));
        let expired = expired
            .into_iter()
            .map(|(i, (e, line))| Expired {
                exception: i + 1,
                line: *line,
                written: e.clone(),
            })
            .collect();
        let mut suppressed = Vec::new();
        let mut kept = Vec::with_capacity(findings.len());
        for f in std::mem::take(findings) {
            match in_force.iter().find(|(_, (e, _))| matches(e, &f)) {
                Some((i, (e, _))) => suppressed.push(Suppressed {
                    exception: i + 1,
                    owner: e.owner.clone(),
                    reason: e.reason.clone(),
                    expires: e.expires,
                    finding: *f,
                }),
                None => kept.push(f),
            }
        }
        *findings = kept;
        (suppressed, expired)
    }
}

/// Whether every selector of `e` matches `f`.
fn matches(e: &Exception, f: &Finding) -> bool {
    let glob = |pattern: &Option<String>, value: Option<String>| match pattern {
        None => true,
        Some(p) => value.is_some_and(|v| WildMatch::new(p).matches(&v)),
    };
    let rule = f
        .rule
        .clone()
        .unwrap_or_else(|| f.code.as_str().to_string());
    let namespace_ok = match &e.namespace {
        None => true,
        Some(p) => {
            let pattern = WildMatch::new(p);
            match (&f.pod, &f.scope) {
                (Some(pod), _) => pattern.matches(&pod.namespace),
                (None, FindingScope::Namespaces { namespaces }) => {
                    !namespaces.is_empty() && namespaces.iter().all(|n| pattern.matches(n))
                }
                (None, FindingScope::Cluster) => false,
            }
        }
    };
    (glob(&e.rule, Some(rule)) || e.rule.as_deref() == Some(f.code.as_str()))
        && glob(&e.subject, f.subject.as_ref().map(ToString::to_string))
        && glob(&e.role, f.role.as_ref().map(ToString::to_string))
        && glob(&e.binding, f.binding.as_ref().map(ToString::to_string))
        && glob(
            &e.pod,
            f.pod
                .as_ref()
                .map(|p| format!("{}/{}", p.namespace, p.name)),
        )
        && namespace_ok
}

/// The line each item of the top-level `exceptions` list starts on: the
/// lines that begin with `- ` at the list's indentation.
fn item_lines(text: &str) -> Vec<usize> {
    let mut indent = None;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        let here = line.len() - trimmed.len();
        if trimmed.starts_with("- ") || trimmed == "-" {
            match indent {
                None => {
                    indent = Some(here);
                    out.push(i + 1);
                }
                Some(n) if n == here => out.push(i + 1),
                _ => {}
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_with_an_error_is_refused_with_its_line() {
        let e = Exceptions::parse("x.yaml", "exceptions:\n- rule: pods-exec\n  ownr: me\n")
            .unwrap_err();
        assert!(
            e.to_string().contains("x.yaml") && e.to_string().contains("ownr"),
            "{e}"
        );
        let e = Exceptions::parse(
            "x.yaml",
            "exceptions:\n- rule: a\n  owner: me\n  reason: r\n- owner: me\n  reason: everything\n",
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "x.yaml: exception 2 (line 5): no selector (rule, subject, namespace, role, binding or pod): it would hide every finding"
        );
        let e = Exceptions::parse(
            "x.yaml",
            "exceptions:\n- rule: a\n  owner: me\n  reason: r\n  expires: 31/12/2027\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("x.yaml"), "{e}");
        let ok = Exceptions::parse(
            "x.yaml",
            "exceptions:\n- rule: a\n  owner: me\n  reason: r\n  expires: 2027-12-31\n",
        )
        .unwrap();
        assert_eq!(ok.list[0].1, 2);
        assert_eq!(ok.list[0].0.expires, Some(jiff::civil::date(2027, 12, 31)));
    }
}
