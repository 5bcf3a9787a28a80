//! The fleet for people: the clusters with their status and problems, the
//! worst findings across them, then (for a scan of several contexts) each
//! cluster's own report under a heading of its own.

use std::io::Write;

use crate::report::ReportError;
use crate::report::cells::{
    TableStyle, cell, lines_cell, more_rows, new_table, render, severity_cell, wrapped,
};
use crate::report::fleet::Fleet;
use crate::words::{self, plural};

/// Writes the fleet as tables.
pub fn write(fleet: &Fleet, style: TableStyle, mut out: impl Write) -> Result<(), ReportError> {
    let c = &fleet.counts;
    let mut states = vec![format!("{} complete", c.complete)];
    if c.partial > 0 {
        states.push(format!("{} partial", c.partial));
    }
    if c.failed > 0 {
        states.push(format!("{} failed", c.failed));
    }
    if c.stale > 0 {
        states.push(format!("{} stale", c.stale));
    }
    let what = match fleet.command {
        "merge" => "merged from their reports",
        _ => "scanned now",
    };
    wrapped(
        &mut out,
        &format!(
            "rbacscan {}: a fleet of {}, {what} ({})",
            fleet.tool.version,
            words::count(c.clusters, "cluster"),
            states.join(", ")
        ),
        style,
        "  ",
    )?;
    for note in &fleet.notes {
        wrapped(&mut out, &format!("note: {note}"), style, "  ")?;
    }
    let p = &c.problems;
    wrapped(
        &mut out,
        &format!(
            "{} to fix across the fleet: {} CRITICAL, {} HIGH, {} MEDIUM, {} LOW ({}, {})",
            words::count(p.critical + p.high + p.medium + p.low, "problem"),
            p.critical,
            p.high,
            p.medium,
            p.low,
            words::count(c.findings, "finding"),
            words::count(c.hot_pods, "hot pod"),
        ),
        style,
        "  ",
    )?;
    writeln!(out, "\nCLUSTERS: {}", words::count(c.clusters, "cluster"))?;
    let mut t = new_table(
        style,
        &[
            "CLUSTER", "STATUS", "CRITICAL", "HIGH", "MEDIUM", "LOW", "HOT PODS", "DETAIL",
        ],
    );
    for m in &fleet.clusters {
        let row = m.row();
        let mut cells = vec![cell(&m.name), cell(&row.status)];
        cells.extend(row.counts.iter().map(cell));
        cells.push(lines_cell(&row.detail));
        t.add_row(cells);
    }
    render(&mut out, &t, style)?;
    wrapped(
        &mut out,
        "CRITICAL to LOW count each cluster's distinct problems to fix (its own report lists them).",
        style,
        "  ",
    )?;
    if !fleet.worst.is_empty() {
        writeln!(
            out,
            "\nWORST FINDINGS ACROSS THE FLEET: {} of {}",
            fleet.worst.len(),
            fleet.worst_total
        )?;
        // A finding's title names what it is about (JSON has `about` too).
        let mut t = new_table(style, &["SEVERITY", "CLUSTER", "FINDING"]);
        for w in &fleet.worst {
            t.add_row(vec![
                severity_cell(w.severity, style),
                cell(&w.cluster),
                cell(&w.title),
            ]);
        }
        render(&mut out, &t, style)?;
        more_rows(&mut out, fleet.worst_total, fleet.worst.len())?;
    }
    for m in &fleet.clusters {
        let Some(report) = &m.report else { continue };
        writeln!(out)?;
        wrapped(
            &mut out,
            &format!("════ CLUSTER {} ════", m.name),
            style,
            "  ",
        )?;
        super::write(report, style, &mut out)?;
    }
    writeln!(out)?;
    if fleet.is_incomplete() {
        let mut why = Vec::new();
        for (n, word) in [
            (c.failed, "failed"),
            (c.partial, "partial"),
            (c.stale, "stale"),
        ] {
            if n > 0 {
                why.push(format!("{n} {word}"));
            }
        }
        wrapped(
            &mut out,
            &format!(
                "INCOMPLETE FLEET: {} of {} {} ({}); exit code 3",
                fleet.incomplete(),
                c.clusters,
                plural(c.clusters, "cluster"),
                why.join(", ")
            ),
            style,
            "  ",
        )?;
    }
    out.flush()?;
    Ok(())
}
