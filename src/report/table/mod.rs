//! The report for people: a header, one table per kind of finding (grouped by
//! subject, binding and role so each object is one row), and a summary.
//!
//! The sections' tables are in `sections`, the lines around them in
//! `summary`, the pod and node tables in `pods`, the fleet's in `fleet`;
//! cells, tables and prose are drawn by `report::cells`, which the answers
//! of the questions share.

use std::io::Write;

use comfy_table::Table;

mod fleet;
mod pods;
mod sections;
mod summary;
mod tokens;
mod workloads;

pub use crate::report::cells::TableStyle;
pub use fleet::write as write_fleet;

use super::{Report, ReportError};
use crate::findings::{Code, Finding};
use crate::report::cells::{more_rows, render, wrapped, write_lines};
use crate::words;
use sections::{
    bindings_table, group, hygiene_table, roles_table, routes_table, service_accounts_table,
    subjects_table,
};
use summary::{header, summary, write_problems};

/// Writes the report as tables.
pub fn write(report: &Report, style: TableStyle, mut out: impl Write) -> Result<(), ReportError> {
    for l in header(report) {
        wrapped(&mut out, &l, style, "  ")?;
    }
    for note in &report.notes {
        wrapped(&mut out, &format!("note: {note}"), style, "  ")?;
    }
    if report.view == "pods" {
        return pods::write_view(report, style, out);
    }
    write_problems(report, style, &mut out)?;
    workloads::write_hot(report, style, &mut out)?;
    pods::write_hot(report, style, &mut out)?;
    let sections = [
        Section {
            title: "ROUTES TO CLUSTER-ADMIN",
            codes: |c| c == Code::PathToClusterAdmin,
            row: |f| f.fingerprint.clone(),
            make: routes_table,
            legend: Some(
                "#N after a role is the index of the rule in the role's effective rules (-o json has each rule).",
            ),
        },
        Section {
            title: "IAM IDENTITIES WITH CLUSTER-ADMIN (EKS aws-auth)",
            codes: |c| c == Code::IamClusterAdmin,
            row: |f| f.fingerprint.clone(),
            make: hygiene_table,
            legend: None,
        },
        Section {
            title: "RISKY SERVICE ACCOUNTS",
            codes: |c| {
                matches!(
                    c,
                    Code::RiskyDefaultServiceAccount | Code::UnusedRiskyServiceAccount
                )
            },
            row: |f| f.fingerprint.clone(),
            make: service_accounts_table,
            legend: None,
        },
        Section {
            title: "RISKY SUBJECTS",
            codes: |c| c == Code::RiskySubject,
            row: |f| {
                f.subject
                    .as_ref()
                    .map(|s| s.to_string())
                    .unwrap_or_default()
            },
            make: subjects_table,
            legend: None,
        },
        Section {
            title: "RISKY BINDINGS",
            codes: |c| c == Code::RiskyBinding,
            row: |f| {
                f.binding
                    .as_ref()
                    .map(|b| b.to_string())
                    .unwrap_or_default()
            },
            make: bindings_table,
            legend: None,
        },
        Section {
            title: "RISKY ROLES",
            codes: |c| c == Code::RiskyRole,
            row: |f| f.role.as_ref().map(|r| r.to_string()).unwrap_or_default(),
            make: roles_table,
            legend: Some(
                "A role is rated where it is defined (a ClusterRole cluster-wide, a Role in its namespace); a binding is rated where it grants (a RoleBinding in its namespace), so a ClusterRole that only RoleBindings grant can be CRITICAL here and lower under RISKY BINDINGS.",
            ),
        },
        Section {
            title: "HYGIENE",
            codes: |c| !c.is_risk(),
            row: |f| f.fingerprint.clone(),
            make: hygiene_table,
            legend: None,
        },
    ];
    for section in sections {
        let findings = pick(report, section.codes);
        if findings.is_empty() {
            continue;
        }
        let rows = group(&findings, section.row);
        let shown: Vec<&Finding> = rows
            .iter()
            .take(style.limit.unwrap_or(usize::MAX))
            .flatten()
            .copied()
            .collect();
        let table = (section.make)(&shown, style);
        writeln!(
            out,
            "\n{}: {}, {}",
            section.title,
            words::count(rows.len(), "row"),
            words::count(findings.len(), "finding")
        )?;
        render(&mut out, &table, style)?;
        more_rows(&mut out, rows.len(), table.row_count())?;
        if let Some(legend) = section.legend {
            wrapped(&mut out, legend, style, "  ")?;
        }
    }
    pods::write_nodes(report, style, &mut out)?;
    writeln!(out)?;
    write_lines(&mut out, &summary(report), style)?;
    out.flush()?;
    Ok(())
}

/// A section of the table report: which findings it holds, what makes
/// one of its rows (`--limit` counts rows), how it is drawn, and the line
/// under it that says how to read it, if it needs one.
struct Section {
    title: &'static str,
    codes: fn(Code) -> bool,
    row: fn(&Finding) -> String,
    make: fn(&[&Finding], TableStyle) -> Table,
    legend: Option<&'static str>,
}

fn pick(r: &Report, keep: impl Fn(Code) -> bool) -> Vec<&Finding> {
    (r.findings.iter())
        .filter(|f| keep(f.code))
        .map(|f| &**f)
        .collect()
}
