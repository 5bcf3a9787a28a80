//! The report for people: a header, one table per kind of finding (grouped by
//! subject, binding and role so each object is one row), and a summary.

use std::collections::BTreeMap;
use std::io::Write;

use comfy_table::{Cell, Color, ContentArrangement, Table, presets};

mod fleet;
mod pods;

pub use fleet::write as write_fleet;

use super::problems::scope_of;
use super::{Report, ReportError};
use crate::findings::{Code, Finding};
use crate::snapshot::Kind;
use crate::template::Severity;
use crate::terminal;
use crate::words::{self, plural};

/// How the table is drawn.
#[derive(Debug, Clone, Copy)]
pub struct TableStyle {
    /// Colour severities (ANSI escapes).
    pub color: bool,
    /// Maximum width in columns; `None` asks the terminal.
    pub width: Option<u16>,
    /// At most this many rows per section (`None`: all).
    pub limit: Option<usize>,
    /// `-o wide`: every risk of a row, not the first few.
    pub wide: bool,
    /// `--no-headers`: tables without their header row.
    pub no_headers: bool,
}

/// At most this many risk ids are listed per row (all with `-o wide`).
const MAX_RISKS: usize = 6;

/// The longest line of a cell, in characters; longer ones are cut (JSON keeps them whole).
const MAX_LINE: usize = 512;

/// The longest line of prose outside the tables, in characters; longer
/// ones (a hostile name quoted in a summary) are cut like cells.
const MAX_PROSE: usize = 2048;

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

/// The line after a section cut at `--limit`: how many rows are not shown
/// and how to see them.
pub(super) fn more_rows(
    out: &mut impl Write,
    rows: usize,
    shown: usize,
) -> Result<(), ReportError> {
    if rows > shown {
        let more = rows - shown;
        writeln!(
            out,
            "{more} more {} (--limit N, --all, or -o json)",
            plural(more, "row")
        )?;
    }
    Ok(())
}

/// Writes a table: as a grid when every column can hold its longest word
/// within the width, else as one block per row (`HEADER: value` lines,
/// wrapped between words), so that no name is ever cut inside.
pub(super) fn render(
    out: &mut impl Write,
    t: &Table,
    style: TableStyle,
) -> Result<(), ReportError> {
    let Some(width) = style.width.map(usize::from) else {
        writeln!(out, "{t}")?;
        return Ok(());
    };
    let rows: Vec<Vec<String>> = t
        .row_iter()
        .map(|r| r.cell_iter().map(|c| c.content()).collect())
        .collect();
    // Without headers (`--no-headers`), blocks carry no labels.
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let headers: Vec<String> = t
        .header()
        .map(|h| h.cell_iter().map(|c| c.content()).collect())
        .unwrap_or_else(|| vec![String::new(); columns]);
    let longest_word = |i: usize| {
        std::iter::once(headers.get(i).map(String::as_str).unwrap_or(""))
            .chain(
                rows.iter()
                    .map(|r| r.get(i).map(String::as_str).unwrap_or("")),
            )
            .flat_map(|c| c.split_whitespace())
            .map(textwrap::core::display_width)
            .max()
            .unwrap_or(0)
    };
    // Each column: its longest word, a space each side, a border.
    let needed: usize = (0..headers.len())
        .map(|i| longest_word(i) + 3)
        .sum::<usize>()
        + 1;
    if needed <= width {
        writeln!(out, "{t}")?;
        return Ok(());
    }
    for row in &rows {
        let mut cells = row.iter().zip(&headers);
        let Some((first, _)) = cells.next() else {
            continue;
        };
        let mut head = first.replace('\n', " ");
        if let Some((second, _)) = row.get(1).zip(headers.get(1)) {
            let mut lines = second.lines();
            head = format!("{head}  {}", lines.next().unwrap_or(""));
            cells.next();
            let rest: Vec<&str> = lines.collect();
            writeln!(out)?;
            card_line(out, &head, width, "    ")?;
            for l in rest {
                card_line(out, &format!("  {l}"), width, "    ")?;
            }
        } else {
            writeln!(out)?;
            card_line(out, &head, width, "    ")?;
        }
        for (value, header) in cells {
            let mut lines = value.lines().filter(|l| !l.trim().is_empty());
            let Some(first) = lines.next() else { continue };
            let label = if header.is_empty() {
                String::new()
            } else {
                format!("{header}: ")
            };
            card_line(out, &format!("  {label}{first}"), width, "    ")?;
            for l in lines {
                card_line(out, &format!("    {l}"), width, "      ")?;
            }
        }
    }
    Ok(())
}

/// Text already escaped (a cell's, or prose after [`wrapped`]), wrapped
/// between words at `width`, never inside one; continuation lines start
/// with `indent`.
fn card_line(
    out: &mut impl Write,
    text: &str,
    width: usize,
    indent: &str,
) -> Result<(), ReportError> {
    let options = textwrap::Options::new(width.max(20))
        .subsequent_indent(indent)
        .break_words(false)
        .word_splitter(textwrap::WordSplitter::NoHyphenation);
    for l in textwrap::wrap(text, options) {
        writeln!(out, "{l}")?;
    }
    Ok(())
}

/// How many problems are shown in the summary at the top.
const WORST: usize = 5;

/// The summary at the top: distinct problems by severity, the worst few in
/// one line each, what is not shown.
fn write_problems(
    report: &Report,
    style: TableStyle,
    out: &mut impl Write,
) -> Result<(), ReportError> {
    let problems = &report.problem_list;
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
                    super::about(f),
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
                super::defaults_source(report)
            ),
            style,
            "    ",
        )?;
    }
    Ok(())
}

/// A line of prose wrapped at the table width, escaped; continuation
/// lines start with `indent`. Words (names) are never cut: a name longer
/// than the width gets a line of its own.
pub(super) fn wrapped(
    out: &mut impl Write,
    text: &str,
    style: TableStyle,
    indent: &str,
) -> Result<(), ReportError> {
    let escaped = terminal::escape_cut(text, MAX_PROSE);
    let Some(width) = style.width else {
        writeln!(out, "{escaped}")?;
        return Ok(());
    };
    card_line(out, &escaped, usize::from(width), indent)
}

fn header(r: &Report) -> Vec<String> {
    let mut lines = vec![
        format!(
            "rbacscan {}: {} ({})",
            r.tool.version,
            r.inputs.sources.join(", "),
            super::objects_read(r)
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
            super::defaults_source(r),
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

/// Writes lines of the report outside the tables, each escaped and
/// wrapped at the width (see [`wrapped`]).
fn write_lines(
    out: &mut impl Write,
    lines: &[String],
    style: TableStyle,
) -> Result<(), ReportError> {
    lines.iter().try_for_each(|l| wrapped(out, l, style, "  "))
}

fn pick(r: &Report, keep: impl Fn(Code) -> bool) -> Vec<&Finding> {
    r.findings.iter().filter(|f| keep(f.code)).collect()
}

pub(super) fn new_table(style: TableStyle, headers: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_style(presets::UTF8_FULL_CONDENSED.with_rounded_corners())
        .set_content_arrangement(ContentArrangement::Dynamic);
    if !style.no_headers {
        t.set_header(headers.iter().map(cell));
    }
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
fn first_risks<S: AsRef<str>>(ids: &[S], style: TableStyle) -> String {
    let max = if style.wide { usize::MAX } else { MAX_RISKS };
    let shown: Vec<&str> = ids.iter().take(max).map(AsRef::as_ref).collect();
    let mut s = shown.join(", ");
    if ids.len() > max {
        s.push_str(&format!(" +{} more", ids.len() - max));
    }
    s
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
            cell(risks(&g, style)),
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
            cell(risks(&g, style)),
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
