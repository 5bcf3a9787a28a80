//! The sections of the table report: one table per kind of finding, one
//! row per subject, binding or role (its findings grouped), and the risk
//! ids a row lists.

use std::collections::BTreeMap;

use comfy_table::Table;

use crate::findings::Finding;
use crate::report::cells::{TableStyle, cell, lines_cell, new_table, severity_cell};
use crate::report::problems::scope_of;

/// At most this many risk ids are listed per row (all with `-o wide`).
const MAX_RISKS: usize = 6;

fn mark(name: String, default: bool) -> String {
    if default { format!("{name} *") } else { name }
}

/// Groups findings by a key, keeping first-seen order (findings arrive sorted by severity).
pub(super) fn group<'f, K: Ord + Clone>(
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

fn risks(group: &[&Finding], style: TableStyle) -> String {
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
    first_risks(&ids, style)
}

/// The first [`MAX_RISKS`] risk ids, joined, and how many more there are.
pub(super) fn first_risks<S: AsRef<str>>(ids: &[S], style: TableStyle) -> String {
    let max = if style.wide { usize::MAX } else { MAX_RISKS };
    let shown: Vec<&str> = ids.iter().take(max).map(AsRef::as_ref).collect();
    let mut s = shown.join(", ");
    if ids.len() > max {
        s.push_str(&format!(" +{} more", ids.len() - max));
    }
    s
}

pub(super) fn routes_table(findings: &[&Finding], style: TableStyle) -> Table {
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

pub(super) fn subjects_table(findings: &[&Finding], style: TableStyle) -> Table {
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
            cell(risks(&g, style)),
            cell(scope_of(&g)),
            lines_cell(via),
        ]);
    }
    t
}

pub(super) fn bindings_table(findings: &[&Finding], style: TableStyle) -> Table {
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
            cell(risks(&g, style)),
        ]);
    }
    t
}

pub(super) fn roles_table(findings: &[&Finding], style: TableStyle) -> Table {
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
            cell(mark(
                first
                    .role
                    .as_ref()
                    .map(|r| r.to_string())
                    .unwrap_or_default(),
                first.bootstrap_default,
            )),
            cell(risks(&g, style)),
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

pub(super) fn service_accounts_table(findings: &[&Finding], style: TableStyle) -> Table {
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

pub(super) fn hygiene_table(findings: &[&Finding], style: TableStyle) -> Table {
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
