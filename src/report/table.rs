//! The report for people: a header, one table per kind of finding (grouped by
//! subject, binding and role so each object is one row), and a summary.

use std::collections::BTreeMap;
use std::io::Write;

use comfy_table::{Cell, Color, ContentArrangement, Table, presets};

mod pods;

use super::{Report, ReportError};
use crate::findings::{Code, Finding, FindingScope};
use crate::snapshot::Kind;
use crate::template::Severity;
use crate::terminal;
use crate::words::plural;

/// How the table is drawn.
#[derive(Debug, Clone, Copy)]
pub struct TableStyle {
    /// Colour severities (ANSI escapes).
    pub color: bool,
    /// Maximum width in columns; `None` asks the terminal.
    pub width: Option<u16>,
}

/// At most this many risk ids are listed per row.
const MAX_RISKS: usize = 6;

/// The longest line of a cell, in characters; longer ones are cut (JSON keeps them whole).
const MAX_LINE: usize = 512;

/// A cell holding one line of text from the analysis, escaped and cut (see
/// [`terminal`]): names, messages and evidence are cluster data.
#[allow(clippy::disallowed_methods)]
pub(super) fn cell(text: impl AsRef<str>) -> Cell {
    Cell::new(terminal::escape_cut(text.as_ref(), MAX_LINE))
}

/// A cell of several lines, each escaped and cut like [`cell`]'s.
#[allow(clippy::disallowed_methods)]
pub(super) fn lines_cell<S: AsRef<str>>(lines: impl IntoIterator<Item = S>) -> Cell {
    let lines: Vec<String> = lines
        .into_iter()
        .map(|l| terminal::escape_cut(l.as_ref(), MAX_LINE).into_owned())
        .collect();
    Cell::new(lines.join("\n"))
}

/// A line of the report outside the tables, escaped: it may quote cluster
/// data (file names, server messages, notes).
pub(super) fn line(out: &mut impl Write, text: &str) -> Result<(), ReportError> {
    writeln!(out, "{}", terminal::escape(text))?;
    Ok(())
}

/// Writes the report as tables.
pub fn write(report: &Report, style: TableStyle, mut out: impl Write) -> Result<(), ReportError> {
    write_lines(&mut out, &header(report))?;
    for note in &report.notes {
        line(&mut out, &format!("note: {note}"))?;
    }
    if report.view == "pods" {
        return pods::write_view(report, style, out);
    }
    pods::write_hot(report, style, &mut out)?;
    type Section<'r> = (
        &'static str,
        Vec<&'r Finding>,
        fn(&[&Finding], TableStyle) -> Table,
    );
    let sections: [Section; 6] = [
        (
            "ROUTES TO CLUSTER-ADMIN",
            pick(report, |c| c == Code::PathToClusterAdmin),
            routes_table,
        ),
        (
            "RISKY SERVICE ACCOUNTS",
            pick(report, |c| {
                matches!(
                    c,
                    Code::RiskyDefaultServiceAccount | Code::UnusedRiskyServiceAccount
                )
            }),
            service_accounts_table,
        ),
        (
            "RISKY SUBJECTS",
            pick(report, |c| c == Code::RiskySubject),
            subjects_table,
        ),
        (
            "RISKY BINDINGS",
            pick(report, |c| c == Code::RiskyBinding),
            bindings_table,
        ),
        (
            "RISKY ROLES",
            pick(report, |c| c == Code::RiskyRole),
            roles_table,
        ),
        ("HYGIENE", pick(report, |c| !c.is_risk()), hygiene_table),
    ];
    for (title, findings, make) in sections {
        if findings.is_empty() {
            continue;
        }
        let table = make(&findings, style);
        writeln!(
            out,
            "\n{title}: {} rows, {} findings",
            table.row_count(),
            findings.len()
        )?;
        writeln!(out, "{table}")?;
    }
    pods::write_nodes(report, style, &mut out)?;
    writeln!(out)?;
    write_lines(&mut out, &summary(report))?;
    out.flush()?;
    Ok(())
}

fn header(r: &Report) -> Vec<String> {
    let o = &r.counts.objects;
    let n = |k: &str| o.get(k).copied().unwrap_or(0);
    let secrets = if r.coverage.not_listed.contains(&Kind::Secret) {
        String::new()
    } else {
        format!(", {} Secrets", n("Secret"))
    };
    let mut lines = vec![
        format!(
            "rbacscan {}: {} ({} ClusterRoles, {} ClusterRoleBindings, {} Roles, {} RoleBindings, {} ServiceAccounts, {} Pods, {} Namespaces{secrets})",
            r.tool.version,
            r.inputs.sources.join(", "),
            n("ClusterRole"),
            n("ClusterRoleBinding"),
            n("Role"),
            n("RoleBinding"),
            n("ServiceAccount"),
            n("Pod"),
            n("Namespace"),
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
    let mut lines = Vec::new();
    // Secrets are not listed unless asked for; notes say when that matters.
    for s in r.coverage.skipped.iter().filter(|s| s.kind != Kind::Secret) {
        lines.push(format!(
            "not in the input: {} ({}); skipped: {}",
            s.kind.as_str(),
            s.resource,
            s.impact
        ));
    }
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

fn summary(r: &Report) -> Vec<String> {
    let s = &r.counts.by_severity;
    let defaults = r.findings.iter().filter(|f| f.bootstrap_default).count();
    let mut lines = vec![format!(
        "{} findings: {} CRITICAL, {} HIGH, {} MEDIUM, {} LOW",
        r.counts.findings, s.critical, s.high, s.medium, s.low
    )];
    if defaults > 0 {
        lines.push(format!(
            "* {defaults} come only from the Kubernetes bootstrap policy (expected in every cluster)"
        ));
    }
    let hidden = r.counts.defaults_hidden;
    if hidden > 0 {
        lines.push(format!(
            "{hidden} {} of the Kubernetes bootstrap policy alone (in every cluster) not shown and not counted for --fail-on: --include-defaults shows them",
            plural(hidden, "finding"),
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

/// Writes lines of the report outside the tables, each escaped with [`line`].
fn write_lines(out: &mut impl Write, lines: &[String]) -> Result<(), ReportError> {
    lines.iter().try_for_each(|l| line(out, l))
}

fn pick(r: &Report, keep: impl Fn(Code) -> bool) -> Vec<&Finding> {
    r.findings.iter().filter(|f| keep(f.code)).collect()
}

pub(super) fn new_table(style: TableStyle, headers: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_style(presets::UTF8_FULL_CONDENSED.with_rounded_corners())
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(headers.iter().map(cell));
    if let Some(w) = style.width {
        t.set_width(w);
    }
    if !style.color {
        t.force_no_tty();
    } else {
        t.enforce_styling();
    }
    t
}

fn severity_cell(s: Severity, style: TableStyle) -> Cell {
    #[allow(clippy::disallowed_methods)]
    let cell = Cell::new(s.as_str());
    if !style.color {
        return cell;
    }
    match s {
        Severity::Critical => cell
            .fg(Color::Red)
            .add_attribute(comfy_table::Attribute::Bold),
        Severity::High => cell.fg(Color::Red),
        Severity::Medium => cell.fg(Color::Yellow),
        Severity::Low => cell.fg(Color::Cyan),
    }
}

fn mark(name: String, default: bool) -> String {
    if default { format!("{name} *") } else { name }
}

/// Groups findings by a key, keeping first-seen order (findings arrive sorted by severity).
fn group<'f, K: Ord + Clone>(
    findings: &[&'f Finding],
    key: impl Fn(&Finding) -> K,
) -> Vec<Vec<&'f Finding>> {
    let mut order: Vec<K> = Vec::new();
    let mut groups: BTreeMap<K, Vec<&Finding>> = BTreeMap::new();
    for f in findings {
        let k = key(f);
        if !groups.contains_key(&k) {
            order.push(k.clone());
        }
        groups.entry(k).or_default().push(f);
    }
    order
        .into_iter()
        .map(|k| groups.remove(&k).unwrap_or_default())
        .collect()
}

fn risks(group: &[&Finding]) -> String {
    let mixed = group.iter().any(|f| f.scope != group[0].scope);
    let ids: Vec<String> = group
        .iter()
        .map(|f| {
            let mut id = f.rule.clone().unwrap_or_default();
            if let Some(n) = &f.resource_names {
                id.push_str(&format!(" (only {})", n.join(", ")));
            }
            if mixed {
                id.push_str(&format!(" [{}]", f.scope));
            }
            id
        })
        .collect();
    first_risks(&ids)
}

/// The first [`MAX_RISKS`] risk ids, joined, and how many more there are.
fn first_risks<S: AsRef<str>>(ids: &[S]) -> String {
    let shown: Vec<&str> = ids.iter().take(MAX_RISKS).map(AsRef::as_ref).collect();
    let mut s = shown.join(", ");
    if ids.len() > MAX_RISKS {
        s.push_str(&format!(" +{} more", ids.len() - MAX_RISKS));
    }
    s
}

fn scope_of(group: &[&Finding]) -> String {
    let cluster = group.iter().any(|f| f.scope == FindingScope::Cluster);
    let mut ns: Vec<&str> = group
        .iter()
        .flat_map(|f| match &f.scope {
            FindingScope::Namespaces { namespaces } => {
                namespaces.iter().map(String::as_str).collect()
            }
            FindingScope::Cluster => Vec::new(),
        })
        .collect();
    ns.sort();
    ns.dedup();
    match (cluster, ns.is_empty()) {
        (true, true) => "cluster-wide".into(),
        (true, false) => format!("cluster-wide; {}", ns.join(", ")),
        (false, _) => ns.join(", "),
    }
}

fn routes_table(findings: &[&Finding], style: TableStyle) -> Table {
    let mut t = new_table(style, &["FROM", "STEPS", "SHORTEST ROUTE"]);
    // Shortest first, as `paths` lists them.
    let mut routes: Vec<(&Finding, &crate::access::explain::PathView)> = findings
        .iter()
        .filter_map(|f| Some((*f, f.path.as_deref()?)))
        .collect();
    routes.sort_by_key(|(_, p)| p.hops);
    for (f, p) in routes {
        let mut steps: Vec<String> = p
            .steps
            .iter()
            .enumerate()
            .map(|(i, s)| format!("{}. {}", i + 1, s.text))
            .collect();
        if let Some(c) = &p.continues_as {
            let word = if c.hops == 1 { "step" } else { "steps" };
            steps.push(format!(
                "then as {}: {} more {word} (its own row)",
                c.from, c.hops
            ));
        }
        t.add_row(vec![
            cell(mark(p.from.to_string(), f.bootstrap_default)),
            cell(p.hops.to_string()),
            lines_cell(steps),
        ]);
    }
    t
}

fn subjects_table(findings: &[&Finding], style: TableStyle) -> Table {
    let mut t = new_table(
        style,
        &["SEVERITY", "SUBJECT", "RISKS", "SCOPE", "GRANTED BY"],
    );
    for g in group(findings, |f| f.subject.clone()) {
        let first = g[0];
        let mut via: Vec<String> = g
            .iter()
            .flat_map(|f| &f.evidence)
            .filter_map(|e| e.chain())
            .collect();
        via.sort();
        via.dedup();
        let subject = first
            .subject
            .as_ref()
            .map(|s| s.to_string())
            .unwrap_or_default();
        t.add_row(vec![
            severity_cell(first.severity, style),
            cell(mark(subject, g.iter().all(|f| f.bootstrap_default))),
            cell(risks(&g)),
            cell(scope_of(&g)),
            lines_cell(via),
        ]);
    }
    t
}

fn bindings_table(findings: &[&Finding], style: TableStyle) -> Table {
    let mut t = new_table(style, &["SEVERITY", "BINDING", "ROLE", "SCOPE", "RISKS"]);
    for g in group(findings, |f| f.binding.clone()) {
        let first = g[0];
        t.add_row(vec![
            severity_cell(first.severity, style),
            cell(mark(
                first
                    .binding
                    .as_ref()
                    .map(|b| b.to_string())
                    .unwrap_or_default(),
                first.bootstrap_default,
            )),
            cell(
                first
                    .role
                    .as_ref()
                    .map(|r| r.to_string())
                    .unwrap_or_default(),
            ),
            cell(scope_of(&g)),
            cell(risks(&g)),
        ]);
    }
    t
}

fn roles_table(findings: &[&Finding], style: TableStyle) -> Table {
    let mut t = new_table(style, &["SEVERITY", "ROLE", "RISKS", "RULES"]);
    for g in group(findings, |f| f.role.clone()) {
        let first = g[0];
        let mut rules: Vec<usize> = g
            .iter()
            .flat_map(|f| &f.evidence)
            .map(|e| e.ground.rule_index)
            .collect();
        rules.sort();
        rules.dedup();
        t.add_row(vec![
            severity_cell(first.severity, style),
            cell(mark(
                first
                    .role
                    .as_ref()
                    .map(|r| r.to_string())
                    .unwrap_or_default(),
                first.bootstrap_default,
            )),
            cell(risks(&g)),
            cell(
                rules
                    .iter()
                    .map(|i| format!("rules[{i}]"))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
        ]);
    }
    t
}

fn service_accounts_table(findings: &[&Finding], style: TableStyle) -> Table {
    let mut t = new_table(style, &["SEVERITY", "CODE", "SERVICE ACCOUNT", "DETAIL"]);
    for f in findings {
        t.add_row(vec![
            severity_cell(f.severity, style),
            cell(f.code.as_str()),
            cell(mark(
                f.subject
                    .as_ref()
                    .map(|s| s.to_string())
                    .unwrap_or_default(),
                f.bootstrap_default,
            )),
            cell(&f.message),
        ]);
    }
    t
}

fn hygiene_table(findings: &[&Finding], style: TableStyle) -> Table {
    let mut t = new_table(style, &["SEVERITY", "CODE", "DETAIL"]);
    for f in findings {
        t.add_row(vec![
            severity_cell(f.severity, style),
            cell(f.code.as_str()),
            cell(mark(f.message.clone(), f.bootstrap_default)),
        ]);
    }
    t
}
