//! The Markdown report (`-o markdown`): the summary and the problems for
//! a ticket or a pull-request comment, readable when pasted into GitHub.
//! Every cluster string is escaped twice over: control characters as for
//! a terminal ([`crate::terminal`]), then every character Markdown or the
//! HTML it allows could read as markup, so a name cannot add a link, an
//! image, a table cell or a tag.

use std::io::Write;

use super::fleet::Fleet;
use super::problems::Problem;
use super::{Report, ReportError};
use crate::findings::Code;
use crate::terminal;
use crate::words;

/// How many problems and hot pods are listed (`--all` lists every one).
#[derive(Debug, Clone, Copy)]
pub struct MarkdownStyle {
    /// At most this many rows per table; `None` for all.
    pub limit: Option<usize>,
}

/// Writes the report as Markdown.
pub fn write(
    report: &Report,
    style: MarkdownStyle,
    mut out: impl Write,
) -> Result<(), ReportError> {
    writeln!(out, "## rbacscan report\n")?;
    write_body(report, style, &mut out)?;
    out.flush()?;
    Ok(())
}

/// Writes a fleet as Markdown: the clusters, the worst findings across
/// them, then each scanned cluster's report under its own heading.
pub fn write_fleet(
    fleet: &Fleet,
    style: MarkdownStyle,
    mut out: impl Write,
) -> Result<(), ReportError> {
    writeln!(out, "## rbacscan fleet report\n")?;
    writeln!(out, "{}.\n", fleet.describe())?;
    for note in &fleet.notes {
        writeln!(out, "> {}\n", text(note))?;
    }
    writeln!(out, "### Clusters\n")?;
    writeln!(
        out,
        "| Cluster | Status | Critical | High | Medium | Low | Hot pods | Detail |"
    )?;
    writeln!(out, "|---|---|---|---|---|---|---|---|")?;
    for m in &fleet.clusters {
        let row = m.row();
        let detail: Vec<String> = row.detail.iter().map(|d| text(d)).collect();
        writeln!(
            out,
            "| {} | {} | {} | {} |",
            text(&m.name),
            row.status,
            row.counts.join(" | "),
            detail.join("<br>"),
        )?;
    }
    writeln!(
        out,
        "\nCritical to low count each cluster's distinct problems to fix.\n"
    )?;
    if !fleet.worst.is_empty() {
        writeln!(out, "### Worst findings across the fleet\n")?;
        writeln!(out, "| Severity | Cluster | Finding |")?;
        writeln!(out, "|---|---|---|")?;
        for w in &fleet.worst {
            writeln!(
                out,
                "| {} | {} | {} |",
                w.severity.as_str(),
                text(&w.cluster),
                text(&w.title)
            )?;
        }
        more(&mut out, fleet.worst_total, fleet.worst.len())?;
    }
    for m in &fleet.clusters {
        if let Some(report) = &m.report {
            writeln!(out, "## Cluster {}\n", text(&m.name))?;
            write_body(report, style, &mut out)?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    Ok(())
}

/// The report under its heading: what was read, the problems, hot pods.
fn write_body(
    report: &Report,
    style: MarkdownStyle,
    mut out: impl Write,
) -> Result<(), ReportError> {
    let limit = style.limit.unwrap_or(usize::MAX);
    let o = &report.counts.objects;
    let n = |k: &str| o.get(k).copied().unwrap_or(0);
    writeln!(
        out,
        "Scanned {} ({} ClusterRoles, {} Roles, {} bindings, {} ServiceAccounts, {} pods) with rbacscan {}.\n",
        text(&report.inputs.sources.join(", ")),
        n("ClusterRole"),
        n("Role"),
        n("ClusterRoleBinding") + n("RoleBinding"),
        n("ServiceAccount"),
        n("Pod"),
        report.tool.version,
    )?;
    if report.is_partial() {
        let missing: Vec<String> = (report.coverage.missing.iter())
            .map(|m| format!("{} ({})", m.resource, m.reason.as_str()))
            .collect();
        writeln!(
            out,
            "> **Partial scan**: could not read {}; findings may be incomplete.\n",
            text(&missing.join(", "))
        )?;
    }
    let all = report.problem_list();
    let p = &report.counts.problems;
    writeln!(
        out,
        "**{}** to fix: {} critical, {} high, {} medium, {} low ({}).\n",
        words::count(all.len(), "problem"),
        p.critical,
        p.high,
        p.medium,
        p.low,
        words::count(report.counts.findings, "finding"),
    )?;
    if let Some(b) = &report.baseline {
        writeln!(
            out,
            "Since the baseline: **{} new**, {} unchanged, {} resolved.\n",
            b.new,
            b.unchanged,
            b.resolved.len()
        )?;
    }
    if report.counts.defaults_hidden > 0 {
        writeln!(
            out,
            "{} of {} are not listed.\n",
            words::count(report.counts.defaults_hidden, "finding"),
            super::defaults_source(report)
        )?;
    }
    if !all.is_empty() {
        writeln!(out, "### Problems\n")?;
        writeln!(out, "| Severity | What | Risks | Where | Through |")?;
        writeln!(out, "|---|---|---|---|---|")?;
        for problem in all.iter().take(limit) {
            write_problem(&mut out, problem)?;
        }
        more(&mut out, all.len(), limit)?;
    }
    let hot: Vec<_> = (report.findings.iter())
        .filter(|f| matches!(f.code, Code::HotPod | Code::HotWorkload))
        .collect();
    if !hot.is_empty() {
        writeln!(out, "### Hot workloads and pods\n")?;
        writeln!(out, "| Severity | Workload or pod | What to do |")?;
        writeln!(out, "|---|---|---|")?;
        for f in hot.iter().take(limit) {
            let pod = (f.pod.as_ref())
                .map(|p| match p.kind {
                    crate::snapshot::Kind::Pod => format!("{}/{}", p.namespace, p.name),
                    _ => p.to_string(),
                })
                .unwrap_or_default();
            writeln!(
                out,
                "| {} | {} | {} |",
                f.severity.as_str(),
                text(&pod),
                text(f.remediation.as_deref().unwrap_or(""))
            )?;
        }
        more(&mut out, hot.len(), limit)?;
    }
    writeln!(
        out,
        "<sub>Every finding, with the role rules behind it: `rbacscan scan -o json`.</sub>"
    )?;
    Ok(())
}

fn write_problem(out: &mut impl Write, p: &Problem) -> Result<(), ReportError> {
    let risks: Vec<String> = p.risks.iter().take(6).map(|r| text(r)).collect();
    let mut risks = risks.join(", ");
    if p.risks.len() > 6 {
        risks.push_str(&format!(" +{} more", p.risks.len() - 6));
    }
    let through: Vec<String> = p.through.iter().take(3).map(|t| text(t)).collect();
    let mut through = through.join("<br>");
    if p.through.len() > 3 {
        through.push_str(&format!("<br>+{} more", p.through.len() - 3));
    }
    writeln!(
        out,
        "| {} | {} | {} | {} | {} |",
        p.severity.as_str(),
        text(&p.object),
        risks,
        text(&p.scope),
        through
    )?;
    Ok(())
}

fn more(out: &mut impl Write, total: usize, limit: usize) -> Result<(), ReportError> {
    if total > limit {
        writeln!(
            out,
            "\n{} more (`--limit N`, `--all`, or `-o json`).",
            total - limit
        )?;
    }
    writeln!(out)?;
    Ok(())
}

/// Cluster text as inert Markdown: control characters escaped, then every
/// character that could start markup backslash-escaped (`<`, `>` and `&`
/// as HTML entities, `|` so a table cell cannot end early).
pub fn text(value: &str) -> String {
    let escaped = terminal::escape(value);
    let mut s = String::with_capacity(escaped.len());
    for c in escaped.chars() {
        match c {
            '<' => s.push_str("&lt;"),
            '>' => s.push_str("&gt;"),
            '&' => s.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '(' | ')' | '#' | '+' | '!' | '|'
            | '~' | '"' => {
                s.push('\\');
                s.push(c);
            }
            '\n' | '\r' => s.push(' '),
            c => s.push(c),
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_names_stays_text() {
        assert_eq!(
            text("<script>alert(1)</script>"),
            "&lt;script&gt;alert\\(1\\)&lt;/script&gt;"
        );
        assert_eq!(
            text("[x](http://e) | *b*"),
            "\\[x\\]\\(http://e\\) \\| \\*b\\*"
        );
        assert_eq!(text("a\u{1b}[2Kb"), "a\\\\x1b\\[2Kb");
    }
}
