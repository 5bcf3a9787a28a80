//! The report of `unused`: per subject, what it used in the audit log's
//! window, what it never used (the risky part first), and the proposal
//! that keeps what it used. A table for people; JSON and YAML, the same
//! document, for machines (`rbacscan schema --unused`); and the proposals
//! as YAML `kubectl apply` takes, one file per subject.

use std::collections::BTreeMap;
use std::io::Write;

use serde::Serialize;

use super::ReportError;
use super::cells::{
    TableStyle, cell, line, lines_cell, new_table, render, severity_cell, write_lines,
};
use crate::rbac::SubjectId;
use crate::usage::Analysis;
use crate::usage::proposal::Proposed;
use crate::usage::report::SubjectUsage;
use crate::words::count;

/// Output formats of `unused`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum UnusedFormat {
    /// Tables for people.
    Table,
    /// The document as JSON (`rbacscan schema --unused`).
    Json,
    /// The same document as YAML.
    Yaml,
}

/// The time span a log covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Window {
    /// The first event's time.
    #[schemars(with = "String")]
    pub from: jiff::Timestamp,
    /// The last event's time.
    #[schemars(with = "String")]
    pub to: jiff::Timestamp,
}

/// A line of a log that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Position {
    /// The file.
    pub file: String,
    /// The line, from 1.
    pub line: u64,
    /// What was wrong (never the line's content).
    pub problem: String,
}

/// What was read of the logs.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LogSummary {
    /// The files read.
    pub files: Vec<String>,
    /// The span the events cover (none without events).
    pub window: Option<Window>,
    /// Events read (every stage).
    pub events_read: u64,
    /// Requests counted as use: allowed, each once whatever its stages.
    pub requests_counted: u64,
    /// Events not counted, by reason.
    pub skipped: BTreeMap<String, u64>,
    /// The first lines that could not be read.
    pub unparseable: Vec<Position>,
    /// Files found under the directories given that are not audit logs,
    /// left out.
    pub not_logs: Vec<String>,
}

/// One subject's result, with the window it was observed in.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
struct SubjectItem<'a> {
    window: Option<Window>,
    #[serde(flatten)]
    usage: &'a SubjectUsage,
}

/// The `unused` document.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UnusedReport<'a> {
    /// The version of this document's format.
    pub schema_version: u32,
    /// Always `unused`.
    pub command: &'static str,
    /// What was read of the logs.
    pub log: &'a LogSummary,
    /// Per subject, the ones with risky unused permissions first.
    subjects: Vec<SubjectItem<'a>>,
    /// Subjects with bindings and no counted request in the window.
    pub subjects_without_events: &'a [SubjectId],
    /// Users whose requests no binding of the snapshot allows.
    pub unexplained: &'a [crate::usage::report::Unexplained],
    /// Users the log shows acting whom no binding names.
    pub unbound: &'a [crate::usage::report::Unbound],
    /// Counted requests of `system:masters` members.
    pub masters_requests: u64,
    /// Resources granted for reading with no read event in the log at all
    /// (`resource.group`): the audit policy may not record them.
    pub reads_unrecorded: &'a [String],
    /// What may make the result wrong, for people.
    pub warnings: Vec<String>,
}

/// The version of the `unused` document.
pub const UNUSED_SCHEMA_VERSION: u32 = 1;

impl<'a> UnusedReport<'a> {
    /// The document of `analysis` over `log`.
    pub fn new(log: &'a LogSummary, analysis: &'a Analysis) -> UnusedReport<'a> {
        let mut warnings = Vec::new();
        if !analysis.reads_unrecorded.is_empty() {
            let all = &analysis.reads_unrecorded;
            let shown: Vec<&str> = all.iter().take(10).map(String::as_str).collect();
            let more = match all.len() - shown.len() {
                0 => String::new(),
                n => format!(" and {n} more (-o json lists them)"),
            };
            warnings.push(format!(
                "the log has no read (get, list, watch) at all of {}{more}, which subjects are granted: if the audit policy does not record them, their reads are reported unused when they were not",
                shown.join(", ")
            ));
        }
        if analysis.reasons_disagreeing > 0 {
            warnings.push(format!(
                "{} the log says were allowed by a grant the snapshot does not have (changed since the window?): attributed to the grant that allows them now",
                count(analysis.reasons_disagreeing as usize, "distinct request")
            ));
        }
        if log.window.is_none() {
            warnings
                .push("the log holds no counted request: every grant is reported unused".into());
        }
        UnusedReport {
            schema_version: UNUSED_SCHEMA_VERSION,
            command: "unused",
            log,
            subjects: (analysis.subjects.iter())
                .map(|usage| SubjectItem {
                    window: log.window,
                    usage,
                })
                .collect(),
            subjects_without_events: &analysis.subjects_without_events,
            unexplained: &analysis.unexplained,
            unbound: &analysis.unbound,
            masters_requests: analysis.masters_requests,
            reads_unrecorded: &analysis.reads_unrecorded,
            warnings,
        }
    }
}

/// Writes the report in `format`.
pub fn write(
    report: &UnusedReport<'_>,
    format: UnusedFormat,
    style: TableStyle,
    mut out: impl Write,
) -> Result<(), ReportError> {
    match format {
        UnusedFormat::Json => {
            super::json::write_records(report, &mut out)?;
            writeln!(out)?;
            Ok(())
        }
        UnusedFormat::Yaml => super::yaml::write(report, out),
        UnusedFormat::Table => table(report, style, out),
    }
}

/// `kubectl`'s way of naming a subject.
fn who(s: &SubjectId) -> String {
    s.to_string()
}

fn table(r: &UnusedReport<'_>, style: TableStyle, mut out: impl Write) -> Result<(), ReportError> {
    let log = r.log;
    let span = match log.window {
        Some(w) => format!("{} to {}", w.from, w.to),
        None => "no event".into(),
    };
    let skipped: Vec<String> = (log.skipped.iter())
        .filter(|(_, n)| **n > 0)
        .map(|(why, n)| format!("{n} {why}"))
        .collect();
    let mut head = vec![format!(
        "AUDIT LOG  {} ({}), {span}: {} read, {} counted as use{}",
        count(log.files.len(), "file"),
        log.files.join(", "),
        count(log.events_read as usize, "event"),
        count(log.requests_counted as usize, "request"),
        if skipped.is_empty() {
            String::new()
        } else {
            format!("; not counted: {}", skipped.join(", "))
        }
    )];
    for p in &log.unparseable {
        head.push(format!(
            "  unreadable: {}:{}: {}",
            p.file, p.line, p.problem
        ));
    }
    if !log.not_logs.is_empty() {
        head.push(format!(
            "  left out, not audit logs: {}",
            log.not_logs.join(", ")
        ));
    }
    write_lines(&mut out, &head, style)?;
    line(&mut out, "")?;

    // Risky permissions never used, worst first, across subjects: one row
    // per subject, risk and grant, listing its permissions.
    type Row<'r> = (
        crate::template::Severity,
        &'r SubjectId,
        &'r str,
        String,
        Vec<String>,
        Vec<String>,
    );
    let mut rows: BTreeMap<
        (
            std::cmp::Reverse<crate::template::Severity>,
            &SubjectId,
            &str,
            String,
        ),
        Row<'_>,
    > = BTreeMap::new();
    for s in &r.subjects {
        for u in &s.usage.unused {
            let Some(risk) = &u.risk else { continue };
            let grant = format!("{} → {}", u.binding, u.role);
            let row = rows
                .entry((
                    std::cmp::Reverse(risk.severity),
                    &s.usage.subject,
                    risk.title.as_str(),
                    grant.clone(),
                ))
                .or_insert_with(|| {
                    (
                        risk.severity,
                        &s.usage.subject,
                        risk.title.as_str(),
                        grant,
                        Vec::new(),
                        Vec::new(),
                    )
                });
            row.4.push(u.permission.describe());
            row.5.extend(u.used_only_for.iter().cloned());
        }
    }
    if !rows.is_empty() {
        line(
            &mut out,
            "RISKY AND NEVER USED: removing them costs nothing",
        )?;
        let mut t = new_table(
            style,
            &["SEVERITY", "SUBJECT", "RISK", "NEVER USED", "GRANTED BY"],
        );
        for (severity, subject, title, grant, perms, used_for) in rows.into_values() {
            let mut what: Vec<String> = perms.iter().take(6).cloned().collect();
            if perms.len() > 6 {
                what.push(format!("… {} more (-o json lists them)", perms.len() - 6));
            }
            if !used_for.is_empty() {
                let mut used_for = used_for;
                used_for.sort();
                used_for.dedup();
                what.push(format!(
                    "(a wildcard, used only for: {})",
                    used_for.join(", ")
                ));
            }
            t.add_row(vec![
                severity_cell(severity, style),
                cell(who(subject)),
                cell(title),
                lines_cell(what),
                cell(grant),
            ]);
        }
        render(&mut out, &t, style)?;
        line(&mut out, "")?;
    }

    line(&mut out, "PER SUBJECT")?;
    let mut t = new_table(
        style,
        &[
            "SUBJECT",
            "REQUESTS",
            "USED",
            "NEVER USED",
            "BINDINGS NEVER USED",
            "PROPOSAL",
        ],
    );
    for s in &r.subjects {
        let u = s.usage;
        let used: Vec<String> = u
            .used
            .iter()
            .take(5)
            .map(|p| {
                let mut d = p.permission.describe();
                d.push_str(&format!(" ×{}", p.count));
                d
            })
            .chain((u.used.len() > 5).then(|| format!("… {} more", u.used.len() - 5)))
            .collect();
        let unused: Vec<String> = (u.unused.iter().take(5).map(|p| p.permission.describe()))
            .chain((u.unused.len() > 5).then(|| format!("… {} more", u.unused.len() - 5)))
            .collect();
        let idle: Vec<String> = (u.bindings.iter())
            .filter(|b| !b.used)
            .map(|b| b.binding.to_string())
            .collect();
        let proposal = if u.proposal.is_empty() {
            "none: every binding can go".to_string()
        } else {
            let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
            for p in &u.proposal {
                *kinds.entry(kind(p)).or_default() += 1;
            }
            let parts: Vec<String> = kinds.iter().map(|(k, n)| format!("{n} {k}")).collect();
            let proof = if u.proof.holds() {
                format!("proven on {}", count(u.proof.replayed, "distinct request"))
            } else {
                format!(
                    "NOT PROVEN: {} denied, {} risky unused",
                    u.proof.denied.len(),
                    u.proof.risky_unused.len()
                )
            };
            format!("{} ({proof})", parts.join(", "))
        };
        t.add_row(vec![
            cell(who(&u.subject)),
            cell(u.requests.to_string()),
            lines_cell(if used.is_empty() {
                vec!["nothing".to_string()]
            } else {
                used
            }),
            lines_cell(if unused.is_empty() {
                vec!["nothing".to_string()]
            } else {
                unused
            }),
            lines_cell(if idle.is_empty() {
                vec!["none".to_string()]
            } else {
                idle
            }),
            cell(proposal),
        ]);
    }
    render(&mut out, &t, style)?;
    let mut notes = Vec::new();
    if !r.subjects_without_events.is_empty() {
        let names: Vec<String> = r.subjects_without_events.iter().map(who).collect();
        notes.push(format!(
            "no request in the window from {}: {}",
            count(names.len(), "subject"),
            names.join(", ")
        ));
    }
    for u in r.unexplained {
        notes.push(format!(
            "{}: {} that no binding of the snapshot allows ({}): another authorizer (Node, a webhook) allowed them, or the RBAC objects changed",
            u.user,
            count(u.requests as usize, "request"),
            if u.bound { "it is bound" } else { "bound by nothing" }
        ));
    }
    if !r.unbound.is_empty() {
        let shown: Vec<String> = (r.unbound.iter().take(10))
            .map(|u| format!("{} ({})", u.user, count(u.requests as usize, "request")))
            .collect();
        notes.push(format!(
            "acting in the log, but named by no binding, directly or through a group: {}{}",
            shown.join(", "),
            match r.unbound.len().saturating_sub(10) {
                0 => String::new(),
                n => format!(" and {n} more (-o json lists them)"),
            }
        ));
    }
    if r.masters_requests > 0 {
        notes.push(format!(
            "{} by members of system:masters, which RBAC never sees",
            count(r.masters_requests as usize, "request")
        ));
    }
    notes.extend(r.warnings.iter().map(|w| format!("warning: {w}")));
    notes.push("-o yaml or -o json for every permission and the proposals; --proposal-dir DIR writes each proposal as YAML for kubectl apply".into());
    line(&mut out, "")?;
    write_lines(&mut out, &notes, style)?;
    Ok(())
}

fn kind(p: &Proposed) -> &'static str {
    match p {
        Proposed::Role(_) => "Role",
        Proposed::RoleBinding(_) => "RoleBinding",
        Proposed::ClusterRole(_) => "ClusterRole",
        Proposed::ClusterRoleBinding(_) => "ClusterRoleBinding",
    }
}

/// Writes one subject's proposal as YAML documents `kubectl apply -f` takes.
pub fn write_proposal(usage: &SubjectUsage, mut out: impl Write) -> Result<(), ReportError> {
    let subject = crate::terminal::escape(&who(&usage.subject)).replace('\n', " ");
    if usage.proposal.is_empty() {
        writeln!(
            out,
            "# Least privilege for {subject} (rbacscan unused): no request in the window, nothing to keep; its bindings can go."
        )?;
        return Ok(());
    }
    writeln!(
        out,
        "# Least privilege for {subject} (rbacscan unused): allows every request of the window; {}.",
        if usage.proof.holds() {
            format!(
                "proven on {}",
                count(usage.proof.replayed, "distinct request")
            )
        } else {
            "NOT PROVEN: see the report".to_string()
        }
    )?;
    for p in &usage.proposal {
        writeln!(out, "---")?;
        super::yaml::write(p, &mut out)?;
    }
    Ok(())
}
