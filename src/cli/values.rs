//! The values options take: the value enums (formats, colour) and the
//! value parsers that refuse, as a usage error, what could never match
//! (a duration of zero, a namespace or node name the API server would not
//! accept).

use std::time::Duration;

use clap::ValueEnum;

/// Formats of a snapshot file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DumpFormat {
    /// A JSON List, one object per line.
    Json,
    /// The same List as YAML.
    Yaml,
}

/// `--request-timeout` and `--deadline`: `90s`, `2m`, `1m30s`, or plain seconds.
pub(super) fn parse_duration(text: &str) -> Result<Duration, String> {
    let d = if text.bytes().all(|b| b.is_ascii_digit()) && !text.is_empty() {
        Duration::from_secs(text.parse().map_err(|e| format!("{e}"))?)
    } else {
        humantime::parse_duration(text).map_err(|e| format!("{e} (examples: 30s, 2m, 1m30s)"))?
    };
    if d.is_zero() {
        return Err("must be more than zero: a scan must end".into());
    }
    Ok(d)
}

/// `-n` and `--privileged-namespace`: a namespace name as the API server
/// accepts it (an RFC 1123 label: at most 63 lower-case letters, digits and
/// `-`, starting and ending with a letter or digit). Anything else could
/// never match, and would silently empty the report.
pub(super) fn parse_namespace(text: &str) -> Result<String, String> {
    if is_dns_label(text) {
        Ok(text.to_string())
    } else {
        Err("not a valid namespace name: at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit".into())
    }
}

/// `--node`: a node name (an RFC 1123 subdomain: labels joined by `.`, at
/// most 253 characters), or `-` for pods not scheduled yet.
pub(super) fn parse_node(text: &str) -> Result<String, String> {
    if text == "-" || (text.len() <= 253 && text.split('.').all(is_dns_label)) {
        Ok(text.to_string())
    } else {
        Err("not a valid node name: lower-case letters, digits, '-' and '.' (or - for pods not scheduled yet)".into())
    }
}

/// An RFC 1123 label: at most 63 lower-case letters, digits and `-`,
/// starting and ending with a letter or digit.
fn is_dns_label(text: &str) -> bool {
    let b = text.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

/// When to colour the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// When writing to a terminal and NO_COLOR is not set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Output formats of `merge`: those of [`crate::report::Format`], one
/// for one, but listed in another order and described for a fleet, as
/// `merge --help` shows them (a `From` in [`crate::config`] turns one into
/// the other).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MergeFormat {
    /// Tables for people.
    Table,
    /// The same tables.
    Wide,
    /// The fleet as one JSON document.
    Json,
    /// The fleet document as YAML.
    Yaml,
    /// The clusters and the worst findings in Markdown.
    Markdown,
    /// The clusters and the worst findings as one self-contained HTML page.
    Html,
    /// SARIF 2.1.0: a run per cluster, a result per finding of its report.
    Sarif,
}

/// Output formats of `paths`: those of the other questions
/// ([`crate::report::answers::AnswerFormat`]), and the routes as one graph
/// for the tools security teams explore with (a `From` in
/// [`crate::config`] turns one into the other).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PathsFormat {
    /// Tables for people.
    Table,
    /// Tables (the answers' tables list everything already).
    Wide,
    /// JSON, described in the README.
    Json,
    /// The JSON answer's fields as YAML.
    Yaml,
    /// Graphviz DOT of the routes.
    Dot,
    /// Mermaid flowchart of the routes.
    Mermaid,
    /// BloodHound OpenGraph JSON of the routes, for BloodHound CE's upload.
    #[value(name = "opengraph")]
    OpenGraph,
    /// A Neo4j Cypher script of the routes (MERGE statements), for `cypher-shell`.
    Cypher,
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::Args;

    #[test]
    fn durations_must_be_positive_and_well_formed() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert!(parse_duration("0").is_err());
        assert!(parse_duration("soon").is_err());
        assert!(Args::try_parse_from(["rbacscan", "scan", "--chunk-size", "0"]).is_err());
    }

    #[test]
    fn namespace_and_node_filters_must_be_names_that_can_match() {
        let scan = |args: &[&str]| {
            let mut argv = vec!["rbacscan", "scan", "--demo"];
            argv.extend_from_slice(args);
            Args::try_parse_from(argv)
        };
        for ok in ["shop", "kube-system", "a", "x1", &"a".repeat(63)] {
            assert!(scan(&["-n", ok]).is_ok(), "{ok}");
        }
        for bad in ["Bad_NS!", "", "-a", "a-", "Shop", &"a".repeat(64), "a.b"] {
            let e = scan(&[&format!("--namespace={bad}")])
                .unwrap_err()
                .to_string();
            assert!(e.contains("not a valid namespace name"), "{bad}: {e}");
            assert!(
                scan(&[&format!("--privileged-namespace={bad}")]).is_err(),
                "{bad}"
            );
        }
        let pods =
            |node: &str| Args::try_parse_from(["rbacscan", "pods", "--demo", "--node", node]);
        for ok in ["node-a", "-", "ip-10-0-0-1.eu-west-1.compute.internal"] {
            assert!(pods(ok).is_ok(), "{ok}");
        }
        for bad in ["", "Node_A", "a..b", "x\u{1b}"] {
            assert!(pods(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn cluster_flags_conflict_with_files() {
        assert!(Args::try_parse_from(["rbacscan", "scan", "-f", "x", "--context", "c"]).is_err());
    }
}
