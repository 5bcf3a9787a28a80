//! The metrics file of `--metrics-file`: the scan's counts in the
//! Prometheus text format, for node-exporter's textfile collector (a
//! nightly CronJob writes it next to its report; the collector reads it).
//! Every label value is escaped as the format requires (`\`, `"`, line
//! feeds): rule ids come from a template anyone may write.

use std::collections::BTreeMap;
use std::io::Write;

use super::{Report, ReportError};
use crate::findings::Code;

/// When and how the scan ran: what the report itself does not hold.
#[derive(Debug, Clone, Copy)]
pub struct Run {
    /// How long the scan took, in seconds.
    pub duration_seconds: f64,
    /// When the last complete scan ended (this one when it is complete),
    /// in seconds since the Unix epoch; `None` if none ever did.
    pub last_success: Option<f64>,
}

/// Writes the metrics of `report`.
pub fn write(report: &Report, run: Run, mut out: impl Write) -> Result<(), ReportError> {
    let c = &report.counts;
    let severities = |b: &super::BySeverity| {
        [
            ("critical", b.critical),
            ("high", b.high),
            ("medium", b.medium),
            ("low", b.low),
        ]
    };
    family(
        &mut out,
        "rbacscan_findings",
        "Findings the report shows, by severity (the bootstrap policy's only with --include-defaults).",
        severities(&c.by_severity).map(|(s, n)| (format!("severity=\"{s}\""), n as f64)),
    )?;
    family(
        &mut out,
        "rbacscan_problems",
        "Distinct problems to fix (one pod, subject, binding or role each), by severity.",
        severities(&c.problems).map(|(s, n)| (format!("severity=\"{s}\""), n as f64)),
    )?;
    family(
        &mut out,
        "rbacscan_findings_by_code",
        "Findings the report shows, by code.",
        c.by_code
            .iter()
            .map(|(code, n)| (format!("code=\"{}\"", escape(code)), *n as f64)),
    )?;
    let mut by_rule: BTreeMap<&str, usize> = BTreeMap::new();
    for f in &report.findings {
        if let Some(rule) = &f.rule {
            *by_rule.entry(rule).or_default() += 1;
        }
    }
    family(
        &mut out,
        "rbacscan_findings_by_rule",
        "Risk findings the report shows, by template rule.",
        by_rule
            .iter()
            .map(|(rule, n)| (format!("rule=\"{}\"", escape(rule)), *n as f64)),
    )?;
    let routes = (report.findings.iter())
        .filter(|f| f.code == Code::PathToClusterAdmin)
        .count();
    let single = |name: &str, help: &str, value: f64| (name.to_string(), help.to_string(), value);
    let partial = if report.is_partial() { 1.0 } else { 0.0 };
    for (name, help, value) in [
        single(
            "rbacscan_hot_pods",
            "Pods whose containers can read a token with risks at or above the hot threshold.",
            c.hot_pods as f64,
        ),
        single(
            "rbacscan_paths_to_cluster_admin",
            "Subjects and pods the report shows with a route to cluster-admin-equivalent power.",
            routes as f64,
        ),
        single(
            "rbacscan_defaults_hidden",
            "Findings of the Kubernetes bootstrap policy alone, counted but not shown.",
            c.defaults_hidden as f64,
        ),
        single(
            "rbacscan_scan_duration_seconds",
            "How long the scan took.",
            run.duration_seconds,
        ),
        single(
            "rbacscan_scan_partial",
            "1 when some kinds could not be read (exit code 3), else 0.",
            partial,
        ),
    ] {
        family(&mut out, &name, &help, [(String::new(), value)])?;
    }
    if let Some(t) = run.last_success {
        family(
            &mut out,
            "rbacscan_last_success_timestamp_seconds",
            "When the last complete scan ended, in seconds since the Unix epoch.",
            [(String::new(), t)],
        )?;
    }
    out.flush()?;
    Ok(())
}

/// The last success recorded in an earlier metrics file, if any: a partial
/// scan keeps it rather than claim a success.
pub fn last_success_in(previous: &str) -> Option<f64> {
    previous
        .lines()
        .find_map(|l| l.strip_prefix("rbacscan_last_success_timestamp_seconds "))
        .and_then(|v| v.trim().parse().ok())
        .filter(|v: &f64| v.is_finite())
}

/// One metric family: its help, its type (a gauge) and its samples
/// (`labels` without braces, empty for none).
fn family(
    out: &mut impl Write,
    name: &str,
    help: &str,
    samples: impl IntoIterator<Item = (String, f64)>,
) -> Result<(), ReportError> {
    writeln!(out, "# HELP {name} {help}")?;
    writeln!(out, "# TYPE {name} gauge")?;
    for (labels, value) in samples {
        match labels.is_empty() {
            true => writeln!(out, "{name} {value}")?,
            false => writeln!(out, "{name}{{{labels}}} {value}")?,
        }
    }
    Ok(())
}

/// A label value as the text format requires.
fn escape(value: &str) -> String {
    let mut s = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => s.push_str("\\\\"),
            '"' => s.push_str("\\\""),
            '\n' => s.push_str("\\n"),
            c => s.push(c),
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped_and_old_successes_read_back() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
        assert_eq!(
            last_success_in("# HELP x\nrbacscan_last_success_timestamp_seconds 1700000000\n"),
            Some(1_700_000_000.0)
        );
        assert_eq!(
            last_success_in("rbacscan_last_success_timestamp_seconds NaN\n"),
            None
        );
        assert_eq!(last_success_in(""), None);
    }
}
