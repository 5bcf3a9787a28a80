//! The report for people: a header, one table per kind of finding (grouped by
//! subject, binding and role so each object is one row), and a summary.

use std::collections::BTreeMap;
use std::io::Write;

use comfy_table::{Cell, Color, ContentArrangement, Table, presets};

mod pods;

use super::{Report, ReportError};
use crate::findings::{Code, Finding, FindingScope};
use crate::template::Severity;

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

/// Writes the report as tables.
pub fn write(report: &Report, style: TableStyle, mut out: impl Write) -> Result<(), ReportError> {
    writeln!(out, "{}", header(report))?;
    for note in &report.notes {
        writeln!(out, "note: {note}")?;
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
    let sections: [Section; 5] = [
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
    writeln!(out, "\n{}", summary(report))?;
    out.flush()?;
    Ok(())
}

fn header(r: &Report) -> String {
    let o = &r.counts.objects;
    let n = |k: &str| o.get(k).copied().unwrap_or(0);
    let mut extra = String::new();
    let skipped: usize = r.inputs.skipped.values().sum();
    if skipped > 0 {
        let kinds: Vec<&str> = r.inputs.skipped.keys().map(String::as_str).collect();
        extra.push_str(&format!(
            "\nskipped {skipped} objects of other kinds: {}",
            kinds.join(", ")
        ));
    }
    if r.inputs.duplicates > 0 {
        extra.push_str(&format!(
            "\n{} objects appeared more than once; the last copy was used",
            r.inputs.duplicates
        ));
    }
    let secrets = if r
        .coverage
        .not_listed
        .contains(&crate::snapshot::Kind::Secret)
    {
        String::new()
    } else {
        format!(", {} Secrets", n("Secret"))
    };
    let head = format!(
        "rbacscan {}: {} ({} ClusterRoles, {} ClusterRoleBindings, {} Roles, {} RoleBindings, {} ServiceAccounts, {} Pods, {} Namespaces{secrets})\ntemplate: {} ({} rules; privileged namespaces: {})",
        r.tool.version,
        r.inputs.sources.join(", "),
        n("ClusterRole"),
        n("ClusterRoleBinding"),
        n("Role"),
        n("RoleBinding"),
        n("ServiceAccount"),
        n("Pod"),
        n("Namespace"),
        r.template.source,
        r.template.rules,
        r.template.privileged_namespaces.join(", "),
    );
    head + &extra + &coverage(r)
}

/// The partial-scan warning, empty for a complete snapshot.
fn coverage(r: &Report) -> String {
    if r.coverage.complete {
        return String::new();
    }
    let mut text = format!(
        "\nPARTIAL SCAN: {} of {} kinds could not be read; findings may be incomplete:",
        r.coverage.missing.len(),
        r.coverage.missing.len() + r.coverage.read.len()
    );
    for m in &r.coverage.missing {
        text.push_str(&format!(
            "\n  - {} ({}): {}: {}\n    impact: {}",
            m.kind.as_str(),
            m.resource,
            m.reason.as_str(),
            m.message,
            m.impact
        ));
    }
    text
}

fn summary(r: &Report) -> String {
    let s = &r.counts.by_severity;
    let defaults = r.findings.iter().filter(|f| f.bootstrap_default).count();
    let mut line = format!(
        "{} findings: {} CRITICAL, {} HIGH, {} MEDIUM, {} LOW",
        r.counts.findings, s.critical, s.high, s.medium, s.low
    );
    if defaults > 0 {
        line.push_str(&format!(
            "\n* {defaults} come only from the Kubernetes bootstrap policy (expected in every cluster; --exclude-defaults hides them)"
        ));
    }
    if r.view == "pods" {
        if r.counts.pods_filtered_out > 0 {
            line.push_str(&format!(
                "\n{} more pods hidden by filters (--min-severity, --privileged, --node, -n)",
                r.counts.pods_filtered_out
            ));
        }
    } else if r.counts.filtered_out > 0 {
        line.push_str(&format!(
            "\n{} more hidden by filters",
            r.counts.filtered_out
        ));
    }
    if r.is_partial() {
        line.push_str("\nPARTIAL SCAN: these findings rest on an incomplete snapshot (see the top); exit code 3");
    }
    line.push_str("\nDetails per rule (role rules, bindings, groups): -o json");
    line
}

fn pick(r: &Report, keep: impl Fn(Code) -> bool) -> Vec<&Finding> {
    r.findings.iter().filter(|f| keep(f.code)).collect()
}

fn new_table(style: TableStyle, headers: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_style(presets::UTF8_FULL_CONDENSED.with_rounded_corners())
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(headers.iter().map(Cell::new));
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
            Cell::new(mark(subject, g.iter().all(|f| f.bootstrap_default))),
            Cell::new(risks(&g)),
            Cell::new(scope_of(&g)),
            Cell::new(via.join("\n")),
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
            Cell::new(mark(
                first
                    .binding
                    .as_ref()
                    .map(|b| b.to_string())
                    .unwrap_or_default(),
                first.bootstrap_default,
            )),
            Cell::new(
                first
                    .role
                    .as_ref()
                    .map(|r| r.to_string())
                    .unwrap_or_default(),
            ),
            Cell::new(scope_of(&g)),
            Cell::new(risks(&g)),
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
            .map(|e| e.rule_index)
            .collect();
        rules.sort();
        rules.dedup();
        t.add_row(vec![
            severity_cell(first.severity, style),
            Cell::new(mark(
                first
                    .role
                    .as_ref()
                    .map(|r| r.to_string())
                    .unwrap_or_default(),
                first.bootstrap_default,
            )),
            Cell::new(risks(&g)),
            Cell::new(
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
            Cell::new(f.code.as_str()),
            Cell::new(mark(
                f.subject
                    .as_ref()
                    .map(|s| s.to_string())
                    .unwrap_or_default(),
                f.bootstrap_default,
            )),
            Cell::new(&f.message),
        ]);
    }
    t
}

fn hygiene_table(findings: &[&Finding], style: TableStyle) -> Table {
    let mut t = new_table(style, &["SEVERITY", "CODE", "DETAIL"]);
    for f in findings {
        t.add_row(vec![
            severity_cell(f.severity, style),
            Cell::new(f.code.as_str()),
            Cell::new(mark(f.message.clone(), f.bootstrap_default)),
        ]);
    }
    t
}
