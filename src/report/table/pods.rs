//! The pod tables: hot pods (in `scan`), every pod kept by the filters (in
//! `pods`), and what each node holds.

use std::collections::HashMap;
use std::io::Write;

use super::sections::first_risks;
use super::summary::summary;
use super::tokens::{hot_tokens_of, risks_cell, token_lines};
use crate::findings::pods::{PodView, TokenView};
use crate::findings::{Code, Finding};
use crate::report::cells::{
    TableStyle, cell, line, lines_cell, more_rows, new_table, render, severity_cell, wrapped,
    write_lines,
};
use crate::report::{Report, ReportError};
use crate::snapshot::ObjectKey;
use crate::words;

/// At most this many nodes are listed in `scan`; `pods` lists them all.
const MAX_NODES: usize = 10;

/// The HOT PODS table of `scan`, with each pod's remediation below it.
pub fn write_hot(
    report: &Report,
    style: TableStyle,
    out: &mut impl Write,
) -> Result<(), ReportError> {
    let hot: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.code == Code::HotPod)
        .map(|f| &**f)
        .collect();
    if hot.is_empty() {
        return Ok(());
    }
    let by_key: HashMap<ObjectKey, &PodView> = report.pods.iter().map(|p| (p.key(), p)).collect();
    let mut t = new_table(style, &["SEVERITY", "POD", "TOKENS", "RISKS", "GRANTED BY"]);
    let shown = &hot[..hot.len().min(style.limit.unwrap_or(usize::MAX))];
    for f in shown {
        let Some(pod) = f.pod.as_ref().and_then(|k| by_key.get(k)) else {
            continue;
        };
        let risky: Vec<&TokenView> = hot_tokens(pod, report);
        let mut chains: Vec<String> = f.evidence.iter().filter_map(|e| e.chain()).collect();
        chains.sort();
        chains.dedup();
        t.add_row(vec![
            severity_cell(f.severity, style),
            lines_cell(pod_lines(pod)),
            lines_cell(token_lines(&risky)),
            cell(risks_cell(&risky, style)),
            lines_cell(chains),
        ]);
    }
    writeln!(out)?;
    wrapped(
        out,
        &format!(
            "HOT PODS: {} whose containers can read a ServiceAccount token with {} or worse risks",
            words::count(hot.len(), "pod"),
            report.filters.hot_threshold
        ),
        style,
        "  ",
    )?;
    render(out, &t, style)?;
    more_rows(out, hot.len(), shown.len())?;
    wrapped(
        out,
        "TOKENS: ServiceAccount ← how the token is read (automount, projected, secret, node-host-path) → container; + a cloud identity the ServiceAccount is annotated with",
        style,
        "  ",
    )?;
    write_fixes(shown, style, out)
}

/// The advice for the pods shown, once per distinct advice, with the pods
/// it is for (pods of one workload share theirs).
fn write_fixes(
    hot: &[&Finding],
    style: TableStyle,
    out: &mut impl Write,
) -> Result<(), ReportError> {
    let mut order: Vec<&str> = Vec::new();
    let mut pods: HashMap<&str, Vec<String>> = HashMap::new();
    for f in hot {
        if let (Some(pod), Some(fix)) = (&f.pod, &f.remediation) {
            let entry = pods.entry(fix).or_default();
            if entry.is_empty() {
                order.push(fix);
            }
            entry.push(format!("{}/{}", pod.namespace, pod.name));
        }
    }
    writeln!(out, "fix:")?;
    for fix in order {
        let names = &pods[fix];
        let who = match names.len() {
            1 => names[0].clone(),
            n if n <= 3 => names.join(", "),
            n => format!("{}, {} +{} more", names[0], names[1], n - 2),
        };
        wrapped(out, &format!("  {who}: {fix}"), style, "    ")?;
    }
    Ok(())
}

/// The tokens of a pod worth listing: those at or above the hot threshold
/// the API server accepts, else every token with a risk.
fn hot_tokens<'p>(pod: &'p PodView, report: &Report) -> Vec<&'p TokenView> {
    hot_tokens_of(&pod.tokens, report.filters.hot_threshold)
}

fn pod_lines(pod: &PodView) -> Vec<String> {
    let mut lines = vec![format!("{}/{}", pod.namespace, pod.name)];
    lines.push(match &pod.node {
        Some(n) => format!("node {n}"),
        None => "not scheduled".into(),
    });
    if let Some(o) = &pod.owner {
        lines.push(o.to_string());
    }
    lines
}

fn amplifier_lines(pod: &PodView) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for a in pod.amplifiers.iter() {
        let code = a.code.as_str();
        // The common weak defaults are counted, not listed, unless they escape.
        if !a.escape
            && matches!(
                code,
                "allow-privilege-escalation" | "runs-as-root" | "writable-root-filesystem"
            )
        {
            continue;
        }
        let mark = if a.escape { "!" } else { "" };
        lines.push(format!("{mark}{code}: {}", a.detail));
    }
    let weak: Vec<&str> = [
        "allow-privilege-escalation",
        "runs-as-root",
        "writable-root-filesystem",
    ]
    .into_iter()
    .filter(|c| pod.amplifiers.iter().any(|a| a.code.as_str() == *c))
    .collect();
    if !weak.is_empty() {
        lines.push(weak.join(", "));
    }
    lines
}

/// The `pods` view: one row per pod, then the nodes, then the fixes of the hot pods.
pub fn write_view(
    report: &Report,
    style: TableStyle,
    mut out: impl Write,
) -> Result<(), ReportError> {
    let by_workload = report.filters.by_workload;
    if by_workload {
        super::workloads::write_view(report, style, &mut out)?;
    }
    let mut t = new_table(style, &["SEVERITY", "POD", "TOKENS", "RISKS", "AMPLIFIERS"]);
    let mut pods: Vec<&PodView> = (report.pods.iter())
        .filter(|p| !by_workload || p.workload.is_none())
        .collect();
    pods.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.namespace.cmp(&b.namespace))
            .then_with(|| a.name.cmp(&b.name))
    });
    let all = pods.len();
    pods.truncate(style.limit.unwrap_or(usize::MAX));
    for pod in &pods {
        let tokens: Vec<&TokenView> = pod.tokens.iter().collect();
        let mut token_text = token_lines(&tokens);
        if tokens.is_empty() {
            token_text.push(format!(
                "none (ServiceAccount {}; automount {})",
                pod.service_account,
                if pod.automount.enabled { "on" } else { "off" }
            ));
        }
        for u in &pod.unclassified_secrets {
            token_text.push(format!(
                "? secret {} ({}): not classified",
                u.secret,
                u.source.as_str()
            ));
        }
        t.add_row(vec![
            match pod.severity {
                Some(s) => severity_cell(s, style),
                None => cell("-"),
            },
            lines_cell(pod_lines(pod)),
            lines_cell(token_text),
            cell(risks_cell(&hot_tokens(pod, report), style)),
            lines_cell(amplifier_lines(pod)),
        ]);
    }
    writeln!(out)?;
    let title = match by_workload {
        true => format!(
            "BARE PODS: {} kept by the filters that no workload owns, {} hot",
            all,
            pods.iter().filter(|p| p.hot).count()
        ),
        false => format!(
            "PODS: {} kept by the filters, {} hot (tokens with {} or worse risks); ! marks amplifiers that give the node away",
            report.counts.pods, report.counts.hot_pods, report.filters.hot_threshold
        ),
    };
    wrapped(&mut out, &title, style, "  ")?;
    if !pods.is_empty() {
        render(&mut out, &t, style)?;
        more_rows(&mut out, all, pods.len())?;
        wrapped(
            &mut out,
            "TOKENS: ServiceAccount ← how the token is read (automount, projected, secret, node-host-path) → container; + a cloud identity the ServiceAccount is annotated with",
            style,
            "  ",
        )?;
    }
    let shown: std::collections::HashSet<ObjectKey> = pods.iter().map(|p| p.key()).collect();
    let hot: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.code == Code::HotPod && f.pod.as_ref().is_some_and(|k| shown.contains(k)))
        .map(|f| &**f)
        .collect();
    if !hot.is_empty() {
        write_fixes(&hot, style, &mut out)?;
    }
    write_nodes_limited(report, style, &mut out, usize::MAX)?;
    writeln!(out)?;
    write_lines(&mut out, &summary(report), style)?;
    out.flush()?;
    Ok(())
}

/// The NODES table of `scan`: the riskiest nodes.
pub fn write_nodes(
    report: &Report,
    style: TableStyle,
    out: &mut impl Write,
) -> Result<(), ReportError> {
    write_nodes_limited(report, style, out, MAX_NODES)
}

fn write_nodes_limited(
    report: &Report,
    style: TableStyle,
    out: &mut impl Write,
    max: usize,
) -> Result<(), ReportError> {
    let threshold = report.filters.hot_threshold;
    let nodes = &report.nodes;
    let risky: Vec<_> = nodes
        .nodes
        .iter()
        .chain(nodes.unscheduled.iter())
        .filter(|n| n.severity.is_some_and(|s| s >= threshold))
        .collect();
    if risky.is_empty() && nodes.on_every_node.is_empty() {
        return Ok(());
    }
    let mut t = new_table(
        style,
        &[
            "SEVERITY",
            "NODE",
            "PODS",
            "TOKENS A NODE COMPROMISE YIELDS",
            "RISKS",
        ],
    );
    for n in risky.iter().take(max) {
        let tokens: Vec<String> = n
            .tokens
            .iter()
            .filter(|t| t.severity.is_some_and(|s| s >= threshold))
            .map(|t| {
                let mut whence = Vec::new();
                if t.pods > 0 {
                    whence.push(words::count(t.pods, "pod"));
                }
                if !t.daemon_sets.is_empty() {
                    whence.push(format!("to come: DaemonSet {}", t.daemon_sets.join(", ")));
                }
                format!(
                    "{} ({}, {})",
                    t.service_account,
                    t.severity.map(|s| s.as_str()).unwrap_or("-"),
                    whence.join(", ")
                )
            })
            .collect();
        let r = first_risks(&n.risks, style);
        t.add_row(vec![
            n.severity.map_or(cell("-"), |s| severity_cell(s, style)),
            cell(n.node.clone().unwrap_or_else(|| "(not scheduled)".into())),
            cell(format!("{} ({} hot)", n.pods, n.hot_pods)),
            lines_cell(tokens),
            cell(r),
        ]);
    }
    if !risky.is_empty() {
        let shown = risky.len().min(max);
        writeln!(out)?;
        let title = format!(
            "NODES: {} of {} hold tokens with {threshold} or worse risks{}",
            risky.len(),
            nodes.nodes.len() + usize::from(nodes.unscheduled.is_some()),
            if shown < risky.len() {
                format!(" (the first {shown} shown; `rbacscan pods` lists all)")
            } else {
                String::new()
            }
        );
        wrapped(out, &title, style, "  ")?;
        render(out, &t, style)?;
    }
    let everywhere: Vec<String> = nodes
        .on_every_node
        .iter()
        .filter(|e| e.severity.is_some_and(|s| s >= threshold))
        .map(|e| {
            format!(
                "{} ({}{})",
                e.service_account,
                e.severity.map(|s| s.as_str()).unwrap_or("-"),
                if e.owners.is_empty() {
                    String::new()
                } else {
                    format!(", {}", e.owners.join(", "))
                }
            )
        })
        .collect();
    if !everywhere.is_empty() {
        line(
            out,
            &format!(
                "on every node (any node compromise yields them): {}",
                everywhere.join("; ")
            ),
        )?;
    }
    Ok(())
}
