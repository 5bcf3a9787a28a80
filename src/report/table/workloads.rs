//! The HOT WORKLOADS table of `scan`: one row per workload (a controller,
//! its template and its pods), with its replicas and running pods, the
//! nodes it may land on, its risky tokens, and each remediation below.

use std::collections::HashMap;
use std::io::Write;

use super::pods::{hot_tokens_of, risks_cell, token_lines};
use crate::findings::workloads::WorkloadView;
use crate::findings::{Code, Finding};
use crate::report::cells::{
    TableStyle, cell, lines_cell, more_rows, new_table, render, severity_cell, wrapped,
};
use crate::report::{Report, ReportError};
use crate::snapshot::ObjectKey;
use crate::words;

/// The HOT WORKLOADS table of `scan`, with each workload's fix below it.
pub fn write_hot(
    report: &Report,
    style: TableStyle,
    out: &mut impl Write,
) -> Result<(), ReportError> {
    let hot: Vec<&Finding> = (report.findings.iter())
        .filter(|f| f.code == Code::HotWorkload)
        .collect();
    if hot.is_empty() {
        return Ok(());
    }
    let by_key: HashMap<ObjectKey, &WorkloadView> =
        report.workloads.iter().map(|w| (w.key(), w)).collect();
    let mut t = new_table(
        style,
        &["SEVERITY", "WORKLOAD", "PODS", "TOKENS", "RISKS", "NODES"],
    );
    let shown = &hot[..hot.len().min(style.limit.unwrap_or(usize::MAX))];
    for f in shown {
        let Some(w) = f.pod.as_ref().and_then(|k| by_key.get(k)) else {
            continue;
        };
        let risky = hot_tokens_of(&w.tokens, report.filters.hot_threshold);
        t.add_row(vec![
            severity_cell(f.severity, style),
            lines_cell(workload_lines(w)),
            lines_cell(pod_lines(w)),
            lines_cell(token_lines(&risky)),
            cell(risks_cell(&risky, style)),
            lines_cell(node_lines(w)),
        ]);
    }
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
    render(out, &t, style)?;
    more_rows(out, hot.len(), shown.len())?;
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

fn pod_lines(w: &WorkloadView) -> Vec<String> {
    let mut lines = Vec::new();
    match (w.replicas, w.suspended) {
        (_, true) => lines.push("suspended".into()),
        (Some(r), _) => lines.push(format!("{} wanted", r.max(0))),
        (None, _) => {}
    }
    lines.push(format!("{} running", w.pods.len()));
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
