//! The lines around the tables: the header (inputs, template, what was
//! passed over, coverage), the problems at the top, and the summary at the
//! bottom.

use std::io::Write;

use super::sections::first_risks;
use crate::report::cells::{TableStyle, wrapped};
use crate::report::{Report, ReportError, SkippedKind};
use crate::snapshot::Kind;
use crate::template::Severity;
use crate::words::{self, plural};

/// How many problems are shown in the summary at the top.
const WORST: usize = 5;

/// The summary at the top: distinct problems by severity, the worst few in
/// one line each, what is not shown.
pub(super) fn write_problems(
    report: &Report,
    style: TableStyle,
    out: &mut impl Write,
) -> Result<(), ReportError> {
    let problems = report.problem_list();
    let p = &report.counts.problems;
    let s = &report.counts.by_severity;
    writeln!(out)?;
    let counts = [
        (p.critical, "CRITICAL"),
        (p.high, "HIGH"),
        (p.medium, "MEDIUM"),
        (p.low, "LOW"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, l)| format!("{n} {l}"))
    .collect::<Vec<_>>();
    let headline = match problems.len() {
        0 => format!(
            "SUMMARY: no problems found ({} shown)",
            words::count(report.counts.findings, "finding")
        ),
        n => format!(
            "SUMMARY: {} to fix: {} ({} in all: {} CRITICAL, {} HIGH, {} MEDIUM, {} LOW; a problem is one pod, subject, binding or role with all its risks)",
            words::count(n, "problem"),
            counts.join(", "),
            words::count(report.counts.findings, "finding"),
            s.critical,
            s.high,
            s.medium,
            s.low,
        ),
    };
    wrapped(out, &headline, style, "  ")?;
    for problem in problems.iter().take(WORST) {
        let mut text = format!(
            "{:<8} {}: {}",
            problem.severity.as_str(),
            problem.object,
            first_risks(&problem.risks, style),
        );
        if !problem.scope.is_empty() {
            text.push_str(&format!("; {}", problem.scope));
        }
        if let Some(first) = problem.through.first() {
            text.push_str(&format!("; through {first}"));
            if problem.through.len() > 1 {
                text.push_str(&format!(" +{} more", problem.through.len() - 1));
            }
        }
        wrapped(out, &format!("  {text}"), style, "           ")?;
    }
    if problems.len() > WORST {
        writeln!(
            out,
            "  {} below, section by section",
            words::count(problems.len() - WORST, "more problem")
        )?;
    }
    if let Some(b) = &report.baseline {
        wrapped(
            out,
            &format!(
                "  since {}: {} new, {} unchanged, {} resolved",
                b.source,
                b.new,
                b.unchanged,
                b.resolved.len()
            ),
            style,
            "    ",
        )?;
        let new = (report.findings.iter())
            .filter(|f| f.baseline == Some(crate::findings::BaselineStatus::New));
        for f in new.take(WORST) {
            wrapped(
                out,
                &format!(
                    "    new {:<8} {}: {}",
                    f.severity.as_str(),
                    crate::report::about(f),
                    f.title
                ),
                style,
                "      ",
            )?;
        }
        for p in b.resolved.iter().take(WORST) {
            wrapped(
                out,
                &format!(
                    "    resolved {:<8} {}: {}",
                    p.severity.as_str(),
                    p.about(),
                    p.title
                ),
                style,
                "      ",
            )?;
        }
    }
    if let Some(e) = &report.exceptions {
        wrapped(
            out,
            &format!(
                "  {} suppressed by the exceptions in {} (-o json lists them with their owners){}",
                words::count(e.suppressed.len(), "finding"),
                e.source,
                match e.expired.len() {
                    0 => String::new(),
                    n => format!(
                        "; {} expired and no longer apply",
                        words::count(n, "exception")
                    ),
                }
            ),
            style,
            "    ",
        )?;
    }
    if !report.filters.namespaces.is_empty() {
        let cluster_wide = (report.findings.iter())
            .filter(|f| f.pod.is_none() && f.scope == crate::findings::FindingScope::Cluster)
            .count();
        wrapped(
            out,
            &format!(
                "  -n {}: {} there, and {} that {} into every namespace (SCOPE cluster-wide)",
                report.filters.namespaces.join(", "),
                words::count(report.counts.findings - cluster_wide, "finding"),
                words::count(cluster_wide, "cluster-wide grant"),
                if cluster_wide == 1 {
                    "reaches"
                } else {
                    "reach"
                },
            ),
            style,
            "    ",
        )?;
    }
    let hidden = report.counts.defaults_hidden;
    if hidden > 0 {
        wrapped(
            out,
            &format!(
                "  {} of {} not shown: --include-defaults",
                words::count(hidden, "finding"),
                crate::report::defaults_source(report)
            ),
            style,
            "    ",
        )?;
    }
    Ok(())
}

pub(super) fn header(r: &Report) -> Vec<String> {
    let mut lines = vec![
        format!(
            "rbacscan {}: {} ({})",
            r.tool.version,
            r.inputs.sources.join(", "),
            crate::report::objects_read(r)
        ),
        format!(
            "template: {} ({} rules; privileged namespaces: {})",
            r.template.source,
            r.template.rules,
            r.template.privileged_namespaces.join(", "),
        ),
    ];
    let skipped: usize = r.inputs.skipped.values().sum();
    if skipped > 0 {
        let kinds: Vec<&str> = r.inputs.skipped.keys().map(String::as_str).collect();
        lines.push(format!(
            "skipped {skipped} objects of other kinds: {}",
            kinds.join(", ")
        ));
    }
    for (i, s) in r.inputs.skipped_paths.iter().enumerate() {
        if i == 5 {
            let more = r.inputs.skipped_paths.len() - 5;
            lines.push(format!(
                "passed over {more} more paths (-o json lists them)"
            ));
            break;
        }
        lines.push(format!("passed over {}: {}", s.path, s.reason.as_str()));
    }
    if r.inputs.duplicates > 0 {
        lines.push(format!(
            "{} objects appeared more than once; the last copy was used",
            r.inputs.duplicates
        ));
    }
    lines.extend(coverage(r));
    lines
}

/// The partial-scan warning, and the kinds the input did not hold; nothing
/// for a complete snapshot.
fn coverage(r: &Report) -> Vec<String> {
    let mut lines = not_in_the_input(&r.coverage.skipped);
    if r.coverage.complete {
        return lines;
    }
    lines.push(format!(
        "PARTIAL SCAN: {} of {} kinds could not be read; findings may be incomplete:",
        r.coverage.missing.len(),
        r.coverage.missing.len() + r.coverage.read.len()
    ));
    for m in &r.coverage.missing {
        lines.push(format!(
            "  - {} ({}): {}: {}",
            m.kind.as_str(),
            m.resource,
            m.reason.as_str(),
            m.message,
        ));
        lines.push(format!("    impact: {}", m.impact));
    }
    lines
}

/// One line per kind the input did not hold, with what that hides; the
/// workload controllers missing share one line, which names them (they
/// hide the same thing). Secrets are left out: they are not listed unless
/// asked for, and notes say when that matters.
fn not_in_the_input(skipped: &[SkippedKind]) -> Vec<String> {
    let controllers: Vec<&SkippedKind> = (skipped.iter())
        .filter(|s| s.kind.is_controller())
        .collect();
    let mut lines = Vec::new();
    for s in skipped.iter().filter(|s| s.kind != Kind::Secret) {
        if !s.kind.is_controller() {
            lines.push(format!(
                "not in the input: {} ({}); skipped: {}",
                s.kind.as_str(),
                s.resource,
                s.impact
            ));
        } else if controllers.first().is_some_and(|c| c.kind == s.kind) {
            let kinds: Vec<&str> = controllers.iter().map(|c| c.kind.as_str()).collect();
            lines.push(format!(
                "not in the input: {} ({}); skipped: {}",
                plural(controllers.len(), "workload controller"),
                kinds.join(", "),
                s.impact
            ));
        }
    }
    lines
}

pub(super) fn summary(r: &Report) -> Vec<String> {
    let s = &r.counts.by_severity;
    let defaults = r.findings.iter().filter(|f| f.bootstrap_default).count();
    let total = r.counts.findings + r.counts.filtered_out;
    let mut lines = vec![format!(
        "{}: {} CRITICAL, {} HIGH, {} MEDIUM, {} LOW ({} of {total} this run found)",
        words::count(r.counts.findings, "finding"),
        s.critical,
        s.high,
        s.medium,
        s.low,
        r.counts.findings,
    )];
    if defaults > 0 {
        lines.push(format!(
            "* {defaults} come only from the Kubernetes bootstrap policy (expected in every cluster)"
        ));
    }
    if r.filters.hot_threshold != Severity::High {
        lines.push(format!(
            "a pod is hot here when a token it exposes carries {} or worse risks (--min-severity sets it; the default is HIGH), so this run finds {} hot-pod findings than one without it",
            r.filters.hot_threshold,
            if r.filters.hot_threshold > Severity::High { "fewer" } else { "more" },
        ));
    }
    let hidden = r.counts.defaults_hidden;
    if hidden > 0 {
        lines.push(format!(
            "{hidden} {} of {} not shown and not counted for --fail-on: --include-defaults shows them",
            plural(hidden, "finding"),
            crate::report::defaults_source(r),
        ));
    }
    if r.view == "pods" {
        if r.counts.pods_filtered_out > 0 {
            lines.push(format!(
                "{} more pods hidden by filters (--min-severity, --privileged, --node, -n)",
                r.counts.pods_filtered_out
            ));
        }
    } else if r.counts.filtered_out > hidden {
        lines.push(format!(
            "{} more hidden by filters (-n, --min-severity)",
            r.counts.filtered_out - hidden
        ));
    }
    if r.is_partial() {
        lines.push("PARTIAL SCAN: these findings rest on an incomplete snapshot (see the top); exit code 3".into());
    }
    lines.push("Details per rule (role rules, bindings, groups): -o json".into());
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::gap_impact;

    fn skipped(kinds: &[Kind]) -> Vec<SkippedKind> {
        (kinds.iter())
            .map(|&kind| SkippedKind {
                kind,
                resource: kind.resource(),
                impact: gap_impact(kind),
            })
            .collect()
    }

    #[test]
    fn the_missing_workload_controllers_share_one_line_and_nodes_keep_their_own() {
        let mut all = vec![Kind::Pod, Kind::Secret];
        all.extend(Kind::CONTROLLERS);
        all.push(Kind::Node);
        let lines = not_in_the_input(&skipped(&all));
        assert_eq!(
            lines,
            [
                format!(
                    "not in the input: Pod (pods); skipped: {}",
                    gap_impact(Kind::Pod)
                ),
                format!(
                    "not in the input: workload controllers (Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob, ReplicationController); skipped: {}",
                    gap_impact(Kind::Deployment)
                ),
                format!(
                    "not in the input: Node (nodes); skipped: {}",
                    gap_impact(Kind::Node)
                ),
            ]
        );
        // Only some missing: just those are named.
        let lines = not_in_the_input(&skipped(&[Kind::Job, Kind::CronJob]));
        assert_eq!(
            lines,
            [format!(
                "not in the input: workload controllers (Job, CronJob); skipped: {}",
                gap_impact(Kind::Job)
            )]
        );
        let lines = not_in_the_input(&skipped(&[Kind::CronJob]));
        assert_eq!(
            lines,
            [format!(
                "not in the input: workload controller (CronJob); skipped: {}",
                gap_impact(Kind::CronJob)
            )]
        );
        assert!(not_in_the_input(&skipped(&[Kind::Secret])).is_empty());
    }
}
