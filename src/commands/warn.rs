//! Warnings: every `rbacscan: warning: ...` line on standard error goes
//! through [`warn`], which leaves it out with `--quiet`. [`Warning`] words
//! each kind, and escapes every string that comes from the input (object
//! names, file names, contexts, server messages) with
//! [`crate::terminal::escape`], so that none can add a line or move the
//! cursor.

use std::fmt;

use crate::access::query::Oddity;
use crate::exceptions::Expired;
use crate::snapshot::Coverage;
use crate::terminal::escape;

/// A warning: the run goes on, but something deserves a line on standard
/// error.
#[derive(Debug, Clone, Copy)]
pub enum Warning<'a> {
    /// `--baseline-optional`, and no baseline file yet.
    NoBaseline {
        /// The `--baseline` path.
        path: &'a str,
    },
    /// An exception past its date, which no longer suppresses anything.
    ExceptionExpired {
        /// The `--exceptions` file.
        file: &'a str,
        /// The exception, and where it is in the file.
        expired: &'a Expired,
    },
    /// A snapshot that lacks some kinds: the findings may be incomplete.
    Partial {
        /// The context of a fleet's cluster, if there are several.
        context: Option<&'a str>,
        /// What was read, and what could not be.
        coverage: &'a Coverage,
    },
    /// A fleet's cluster that could not be scanned.
    ContextFailed {
        /// Its kubeconfig context.
        context: &'a str,
        /// Why.
        message: &'a str,
    },
    /// A merged report that is stale, or partial, or both.
    ClusterIncomplete {
        /// The cluster's name in the fleet.
        name: &'a str,
        /// Where its report comes from.
        source: &'a str,
        /// Whether the report is stale.
        stale: bool,
        /// Which kinds a partial report lacks, if it is partial.
        partial: Option<&'a str>,
    },
    /// A `-n` namespace that holds none of the input's objects.
    NamespaceUnmatched {
        /// The namespace.
        namespace: &'a str,
    },
    /// A `--node` that runs none of the input's pods.
    NodeUnmatched {
        /// The node.
        node: &'a str,
    },
    /// A `who-can` verb or resource the API server never sends: asked as
    /// written all the same.
    OddRequest {
        /// What is odd, and what may be meant.
        oddity: &'a Oddity,
    },
}

impl fmt::Display for Warning<'_> {
    /// The warning's words, without the `rbacscan: warning: ` prefix.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Warning::NoBaseline { path } => write!(
                f,
                "no baseline at {} yet: this scan is not compared with one",
                escape(path)
            ),
            Warning::ExceptionExpired { file, expired } => write!(
                f,
                "{}: exception {} (line {}) expired on {}: it no longer suppresses anything",
                escape(file),
                expired.exception,
                expired.line,
                (expired.written.expires)
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
            ),
            Warning::Partial { context, coverage } => {
                let missing: Vec<String> = (coverage.gaps.iter())
                    .map(|g| format!("{} ({})", g.kind.resource(), g.reason.as_str()))
                    .collect();
                let whose = context.map_or(String::new(), |c| format!("context {c}: "));
                write!(
                    f,
                    "{}partial snapshot, could not read {}; findings may be incomplete (exit code 3)",
                    escape(&whose),
                    escape(&missing.join(", "))
                )
            }
            Warning::ContextFailed { context, message } => {
                write!(f, "context {}: {}", escape(context), escape(message))
            }
            Warning::ClusterIncomplete {
                name,
                source,
                stale,
                partial,
            } => {
                let mut what = Vec::new();
                if stale {
                    what.push("is stale".to_string());
                }
                if let Some(e) = partial {
                    what.push(format!("is partial: {e}"));
                }
                write!(
                    f,
                    "cluster {} ({}) {}",
                    escape(name),
                    escape(source),
                    escape(&what.join(" and "))
                )
            }
            Warning::NamespaceUnmatched { namespace } => write!(
                f,
                "namespace {} holds none of the input's objects; only cluster-wide findings apply there",
                escape(namespace)
            ),
            Warning::NodeUnmatched { node } => {
                write!(f, "node {} runs none of the input's pods", escape(node))
            }
            Warning::OddRequest { oddity } => match oddity {
                Oddity::Verb {
                    written,
                    upper_case,
                    suggestion,
                } => {
                    write!(
                        f,
                        "verb \"{}\" is not one the API server uses",
                        escape(written)
                    )?;
                    if *upper_case {
                        f.write_str(" (verbs are lower-case)")?;
                    }
                    match suggestion {
                        Some(s) => write!(f, ": did you mean {s}?"),
                        None => f.write_str(": only a rule with this verb, or *, allows it"),
                    }
                }
                Oddity::Resource {
                    written,
                    suggestion,
                } => write!(
                    f,
                    "resource \"{}\" is not one the API server uses (resources are lower-case): did you mean {}?",
                    escape(written),
                    escape(suggestion)
                ),
            },
        }
    }
}

/// Prints `warning` on standard error as `rbacscan: warning: ...`, unless
/// `quiet` (`--quiet`: nothing but errors).
#[expect(
    clippy::print_stderr,
    reason = "the one place a command warns; what comes from the input is escaped"
)]
pub fn warn(quiet: bool, warning: Warning<'_>) {
    if !quiet {
        eprintln!("rbacscan: warning: {warning}");
    }
}

/// Prints a line of `-v` (timings, sizes), or a `note: ...` on how the
/// input was read, on standard error as `rbacscan: ...`, unless `quiet`.
/// It holds only numbers and rbacscan's own words (kinds, API versions).
#[expect(
    clippy::print_stderr,
    reason = "the one place a command prints its -v lines and notes"
)]
pub fn note(quiet: bool, line: std::fmt::Arguments<'_>) {
    if !quiet {
        eprintln!("rbacscan: {line}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::{Gap, GapReason, Kind};

    #[test]
    fn each_warning_is_worded_and_every_input_string_escaped() {
        let hostile = "x\u{1b}[2J\ny";
        let said = |w: Warning<'_>| w.to_string();
        assert_eq!(
            said(Warning::NoBaseline { path: hostile }),
            "no baseline at x\\x1b[2J\\ny yet: this scan is not compared with one"
        );
        assert_eq!(
            said(Warning::ContextFailed {
                context: hostile,
                message: "refused\r"
            }),
            "context x\\x1b[2J\\ny: refused\\r"
        );
        assert_eq!(
            said(Warning::NamespaceUnmatched { namespace: "shop" }),
            "namespace shop holds none of the input's objects; only cluster-wide findings apply there"
        );
        assert_eq!(
            said(Warning::NodeUnmatched { node: hostile }),
            "node x\\x1b[2J\\ny runs none of the input's pods"
        );
    }

    #[test]
    fn an_odd_verb_or_resource_is_named_with_what_may_be_meant() {
        let said = |oddity: &Oddity| Warning::OddRequest { oddity }.to_string();
        let verb = |written: &str, upper_case, suggestion| Oddity::Verb {
            written: written.into(),
            upper_case,
            suggestion,
        };
        assert_eq!(
            said(&verb("GET", true, Some("get"))),
            "verb \"GET\" is not one the API server uses (verbs are lower-case): did you mean get?"
        );
        assert_eq!(
            said(&verb("gett", false, Some("get"))),
            "verb \"gett\" is not one the API server uses: did you mean get?"
        );
        assert_eq!(
            said(&verb("verb1", false, None)),
            "verb \"verb1\" is not one the API server uses: only a rule with this verb, or *, allows it"
        );
        assert_eq!(
            said(&verb("x\u{1b}[2J\n", false, None)),
            "verb \"x\\x1b[2J\\n\" is not one the API server uses: only a rule with this verb, or *, allows it"
        );
        assert_eq!(
            said(&Oddity::Resource {
                written: "Pods\r".into(),
                suggestion: "pods\r".into()
            }),
            "resource \"Pods\\r\" is not one the API server uses (resources are lower-case): did you mean pods\\r?"
        );
    }

    #[test]
    fn a_partial_snapshot_names_what_is_missing_and_whose() {
        let coverage = Coverage {
            gaps: vec![
                Gap {
                    kind: Kind::Pod,
                    reason: GapReason::Forbidden,
                    message: "pods is forbidden".into(),
                },
                Gap {
                    kind: Kind::Role,
                    reason: GapReason::Failed,
                    message: "timeout".into(),
                },
            ],
            ..Coverage::default()
        };
        let one = Warning::Partial {
            context: None,
            coverage: &coverage,
        };
        assert_eq!(
            one.to_string(),
            "partial snapshot, could not read pods (forbidden), roles (failed); findings may be incomplete (exit code 3)"
        );
        let of = Warning::Partial {
            context: Some("prod\u{7}"),
            coverage: &coverage,
        };
        assert!(
            of.to_string()
                .starts_with("context prod\\x07: partial snapshot, "),
            "{of}"
        );
    }

    #[test]
    fn a_merged_cluster_says_whether_it_is_stale_partial_or_both() {
        let said = |stale, partial| {
            Warning::ClusterIncomplete {
                name: "prod",
                source: "reports/prod\n.json",
                stale,
                partial,
            }
            .to_string()
        };
        assert_eq!(
            said(true, None),
            "cluster prod (reports/prod\\n.json) is stale"
        );
        assert_eq!(
            said(false, Some("could not read pods\u{1b}")),
            "cluster prod (reports/prod\\n.json) is partial: could not read pods\\x1b"
        );
        assert_eq!(
            said(true, Some("could not read pods")),
            "cluster prod (reports/prod\\n.json) is stale and is partial: could not read pods"
        );
    }
}
