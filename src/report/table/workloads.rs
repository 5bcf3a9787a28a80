//! The workload tables: HOT WORKLOADS of `scan` and WORKLOADS of `pods
//! --by-workload`. One row per workload (a controller, its template and its
//! pods), with its replicas and running pods, the nodes it may land on, its
//! tokens, and each remediation below.

use std::collections::HashMap;
use std::io::Write;

use comfy_table::Table;

use super::tokens::{hot_tokens_of, risks_cell, token_lines};
use crate::findings::pods::TokenView;
use crate::findings::workloads::WorkloadView;
use crate::findings::{Code, Finding};
use crate::report::cells::{
    TableStyle, cell, lines_cell, more_rows, new_table, render, severity_cell, wrapped,
};
use crate::report::{Report, ReportError};
use crate::snapshot::ObjectKey;
use crate::template::Severity;
use crate::words;

/// The HOT WORKLOADS table of `scan`, with each workload's fix below it.
pub fn write_hot(
    report: &Report,
    style: TableStyle,
    out: &mut impl Write,
) -> Result<(), ReportError> {
    let hot: Vec<&Finding> = (report.findings.iter())
        .filter(|f| f.code == Code::HotWorkload)
        .map(|f| &**f)
        .collect();
    if hot.is_empty() {
        return Ok(());
    }
    let by_key: HashMap<ObjectKey, &WorkloadView> =
        report.workloads.iter().map(|w| (w.key(), w)).collect();
    let shown = &hot[..hot.len().min(style.limit.unwrap_or(usize::MAX))];
    let rows: Vec<(Option<Severity>, &WorkloadView)> = (shown.iter())
        .filter_map(|f| {
            let w = f.pod.as_ref().and_then(|k| by_key.get(k))?;
            Some((Some(f.severity), *w))
        })
        .collect();
    writeln!(out)?;
    wrapped(
        out,
        &format!(
            "HOT WORKLOADS: {} whose pods (running or to come) can read a ServiceAccount token with {} or worse risks, or take their node",
            words::count(hot.len(), "workload"),
            report.filters.hot_threshold
        ),
        style,
        "  ",
    )?;
    render(out, &table(&rows, report, style), style)?;
    more_rows(out, hot.len(), shown.len())?;
    write_fixes(shown, style, out)
}

/// The WORKLOADS table of `pods --by-workload`: every workload the filters
/// keep, hot or not, its pods named with `-o wide`; the fixes of the hot
/// ones below it.
pub fn write_view(
    report: &Report,
    style: TableStyle,
    out: &mut impl Write,
) -> Result<(), ReportError> {
    let mut all: Vec<&WorkloadView> = report.workloads.iter().collect();
    all.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.namespace.cmp(&b.namespace))
            .then_with(|| a.kind.cmp(&b.kind))
            .then_with(|| a.name.cmp(&b.name))
    });
    let shown = &all[..all.len().min(style.limit.unwrap_or(usize::MAX))];
    let rows: Vec<(Option<Severity>, &WorkloadView)> =
        shown.iter().map(|w| (w.severity, *w)).collect();
    writeln!(out)?;
    wrapped(
        out,
        &format!(
            "WORKLOADS: {} kept by the filters, {} hot (tokens with {} or worse risks); ! marks amplifiers that give the node away",
            report.counts.workloads, report.counts.hot_workloads, report.filters.hot_threshold
        ),
        style,
        "  ",
    )?;
    if rows.is_empty() {
        return Ok(());
    }
    render(out, &table(&rows, report, style), style)?;
    more_rows(out, all.len(), shown.len())?;
    let keys: std::collections::HashSet<ObjectKey> = shown.iter().map(|w| w.key()).collect();
    let hot: Vec<&Finding> = (report.findings.iter())
        .filter(|f| f.code == Code::HotWorkload && f.pod.as_ref().is_some_and(|k| keys.contains(k)))
        .map(|f| &**f)
        .collect();
    write_fixes(&hot, style, out)
}

/// One row per workload: its severity (`-` when none), the workload, its
/// pods, its risky tokens (every token in the `pods` view), their risks and
/// its nodes.
fn table(rows: &[(Option<Severity>, &WorkloadView)], report: &Report, style: TableStyle) -> Table {
    let mut t = new_table(
        style,
        &["SEVERITY", "WORKLOAD", "PODS", "TOKENS", "RISKS", "NODES"],
    );
    let every_token = report.view == "pods";
    for (severity, w) in rows {
        let risky = hot_tokens_of(&w.tokens, report.filters.hot_threshold);
        let shown: Vec<&TokenView> = match every_token {
            true => w.tokens.iter().collect(),
            false => risky.clone(),
        };
        let mut tokens = token_lines(&shown);
        if every_token && shown.is_empty() {
            tokens.push(format!(
                "none (ServiceAccount {}; automount {})",
                w.service_account,
                if w.automount.enabled { "on" } else { "off" }
            ));
        }
        t.add_row(vec![
            match severity {
                Some(s) => severity_cell(*s, style),
                None => cell("-"),
            },
            lines_cell(workload_lines(w)),
            lines_cell(pod_lines(w, style.wide)),
            lines_cell(tokens),
            cell(risks_cell(&risky, style)),
            lines_cell(node_lines(w)),
        ]);
    }
    t
}

/// The fixes of the workload findings shown, one a workload.
fn write_fixes(
    shown: &[&Finding],
    style: TableStyle,
    out: &mut impl Write,
) -> Result<(), ReportError> {
    if shown.iter().all(|f| f.remediation.is_none()) {
        return Ok(());
    }
    writeln!(out, "fix:")?;
    for f in shown {
        if let (Some(k), Some(fix)) = (&f.pod, &f.remediation) {
            wrapped(out, &format!("  {k}: {fix}"), style, "    ")?;
        }
    }
    Ok(())
}

fn workload_lines(w: &WorkloadView) -> Vec<String> {
    let mut lines = vec![
        format!("{} {}/{}", w.kind.as_str(), w.namespace, w.name),
        format!("as {}", w.service_account),
    ];
    if !w.in_input {
        lines.push("(controller not in the input)".into());
    }
    if let Some(r) = &w.rejected {
        lines.push(format!("refused by Pod Security {}", r.level));
    }
    let escapes: Vec<&str> = (w.amplifiers.iter())
        .filter(|a| a.escape)
        .map(|a| a.code.as_str())
        .collect();
    if !escapes.is_empty() {
        lines.push(format!("!{}", escapes.join(", ")));
    }
    lines
}

fn pod_lines(w: &WorkloadView, wide: bool) -> Vec<String> {
    let mut lines = Vec::new();
    match (w.replicas, w.suspended) {
        (_, true) => lines.push("suspended".into()),
        (Some(r), _) => lines.push(format!("{} wanted", r.max(0))),
        (None, _) => {}
    }
    lines.push(format!("{} running", w.pods.len()));
    if wide {
        lines.extend(w.pods.iter().map(|p| format!("  {p}")));
    }
    if !w.differing_pods.is_empty() {
        lines.push(format!(
            "{} differ from the template",
            w.differing_pods.len()
        ));
    }
    lines
}

fn node_lines(w: &WorkloadView) -> Vec<String> {
    let mut lines = vec![match (w.nodes.len(), w.nodes_known) {
        (0, false) => "unknown".to_string(),
        (0, true) if w.kind == crate::snapshot::Kind::DaemonSet || w.takes_node => {
            "none".to_string()
        }
        (0, true) => "any that fits".to_string(),
        (n, _) => words::count(n, "node"),
    }];
    if !w.control_plane_nodes.is_empty() {
        lines.push(format!(
            "control plane: {}",
            w.control_plane_nodes.join(", ")
        ));
    }
    lines
}
