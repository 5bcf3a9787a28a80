//! The HTML report (`-o html`): one self-contained page for people who
//! read a report in a browser or attach it to a ticket. A summary by
//! severity and the problems to fix; the findings grouped as the tables
//! group them and filterable by severity, namespace and rule (the filters
//! live in the page's address, `#severity=HIGH&namespace=ci`, so a link
//! opens filtered); the hot pods; each route to cluster-admin drawn as a
//! small diagram ([`route`]).
//!
//! The page loads nothing: its style and its one script are inline, and
//! its Content-Security-Policy allows exactly those two, by their SHA-256,
//! and nothing else (no other script, no style attribute, no image, no
//! connection). Every string from the cluster is escaped for HTML after
//! its control characters are made visible, so a name such as
//! `<script>alert(1)</script>` is text; were one to slip through, the
//! policy would still keep it from running.

mod route;

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::Write;

use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::fleet::Fleet;
use super::{Report, ReportError};
use crate::cores;
use crate::findings::{Code, Finding, FindingScope};
use crate::template::Severity;
use crate::terminal;
use crate::words;

const STYLE: &str = include_str!("page.css");
const SCRIPT: &str = include_str!("page.js");

/// How many problems the summary lists.
const PROBLEMS: usize = 10;
/// Routes whose diagram is open when the page loads.
const OPEN_ROUTES: usize = 3;
/// Findings in a run of rows written on one core.
const ROWS: usize = 512;
/// Runs of rows written ahead of the page, at most.
const AHEAD: usize = 4;

/// Cluster text as inert HTML: control characters made visible (as for a
/// terminal), then `&`, `<`, `>`, `"` and `'` as entities, so it is safe
/// in element content and in quoted attribute values alike.
pub(crate) fn text(value: &str) -> String {
    let visible = terminal::escape(value);
    let mut out = String::with_capacity(visible.len());
    for c in visible.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `'sha256-…'` of an inline style or script, for the page's policy.
fn csp_hash(source: &str) -> String {
    let digest = Sha256::digest(source.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// A section of findings: its title, which codes it holds, and a line
/// saying how to read it.
struct Section {
    id: &'static str,
    title: &'static str,
    codes: fn(Code) -> bool,
}

const SECTIONS: [Section; 9] = [
    Section {
        id: "routes",
        title: "Routes to cluster-admin",
        codes: |c| c == Code::PathToClusterAdmin,
    },
    Section {
        id: "iam",
        title: "IAM identities with cluster-admin (EKS aws-auth)",
        codes: |c| c == Code::IamClusterAdmin,
    },
    Section {
        id: "hot-workloads",
        title: "Hot workloads",
        codes: |c| c == Code::HotWorkload,
    },
    Section {
        id: "hot-pods",
        title: "Hot pods",
        codes: |c| c == Code::HotPod,
    },
    Section {
        id: "service-accounts",
        title: "Risky ServiceAccounts",
        codes: |c| {
            matches!(
                c,
                Code::RiskyDefaultServiceAccount | Code::UnusedRiskyServiceAccount
            )
        },
    },
    Section {
        id: "subjects",
        title: "Risky subjects",
        codes: |c| c == Code::RiskySubject,
    },
    Section {
        id: "bindings",
        title: "Risky bindings",
        codes: |c| c == Code::RiskyBinding,
    },
    Section {
        id: "roles",
        title: "Risky roles",
        codes: |c| c == Code::RiskyRole,
    },
    Section {
        id: "hygiene",
        title: "Hygiene",
        codes: |c| !c.is_risk(),
    },
];

/// Writes the report as one HTML page.
pub fn write(report: &Report, mut out: impl Write) -> Result<(), ReportError> {
    let mut page = String::with_capacity(64 * 1024);
    head(&mut page, "rbacscan report");
    meta(&mut page, report);
    page.push_str("</header><main>");
    summary(&mut page, report);
    page.push_str("<h2>Findings</h2>");
    filters(&mut page, &[report], None);
    let mut routes_open = 0;
    sections(&mut page, &mut out, report, "", None, &mut routes_open)?;
    pods(&mut page, report, "", None);
    end(&mut page, report.tool.version);
    out.write_all(page.as_bytes())?;
    out.flush()?;
    Ok(())
}

/// Writes a fleet as one HTML page: the clusters and the worst findings
/// across them, then each scanned cluster's report, all under one set of
/// filters (a cluster filter among them).
pub fn write_fleet(fleet: &Fleet, mut out: impl Write) -> Result<(), ReportError> {
    let mut page = String::with_capacity(64 * 1024);
    head(&mut page, "rbacscan fleet report");
    let _ = write!(page, r#"<p class="meta">{}.</p>"#, text(&fleet.describe()));
    for note in &fleet.notes {
        let _ = write!(page, r#"<p class="note">Note: {}</p>"#, text(note));
    }
    page.push_str("</header><main><h2>Clusters</h2><table><thead><tr><th>Cluster</th><th>Status</th><th>Critical</th><th>High</th><th>Medium</th><th>Low</th><th>Hot pods</th><th>Detail</th></tr></thead><tbody>");
    for m in &fleet.clusters {
        let row = m.row();
        let counts: Vec<String> = (row.counts.iter())
            .map(|c| format!("<td>{c}</td>"))
            .collect();
        let detail: Vec<String> = row.detail.iter().map(|d| text(d)).collect();
        let _ = write!(
            page,
            "<tr><td>{}</td><td>{}</td>{}<td>{}</td></tr>",
            text(&m.name),
            row.status,
            counts.concat(),
            detail.join("<br>")
        );
    }
    page.push_str("</tbody></table><p class=\"small\">Critical to low count each cluster's distinct problems to fix.</p>");
    if !fleet.worst.is_empty() {
        let _ = write!(
            page,
            "<h2>Worst findings across the fleet <span class=\"small\">({} of {})</span></h2><table><thead><tr><th>Severity</th><th>Cluster</th><th>Finding</th></tr></thead><tbody>",
            fleet.worst.len(),
            fleet.worst_total
        );
        for w in &fleet.worst {
            let _ = write!(
                page,
                r#"<tr><td class="sev {0}">{0}</td><td>{1}</td><td>{2}</td></tr>"#,
                w.severity.as_str(),
                text(&w.cluster),
                text(&w.title)
            );
        }
        page.push_str("</tbody></table>");
    }
    let scanned: Vec<(&str, &Report)> = (fleet.clusters.iter())
        .filter_map(|m| m.report.as_deref().map(|r| (m.name.as_str(), r)))
        .collect();
    if !scanned.is_empty() {
        let reports: Vec<&Report> = scanned.iter().map(|(_, r)| *r).collect();
        let names: Vec<&str> = scanned.iter().map(|(n, _)| *n).collect();
        filters(&mut page, &reports, Some(&names));
        let mut routes_open = 0;
        for (i, (name, report)) in scanned.iter().enumerate() {
            let _ = write!(page, r#"<h2>Cluster {}</h2><div class="meta">"#, text(name));
            meta(&mut page, report);
            page.push_str("</div>");
            let prefix = format!("c{}-", i + 1);
            sections(
                &mut page,
                &mut out,
                report,
                &prefix,
                Some(name),
                &mut routes_open,
            )?;
            pods(&mut page, report, &prefix, Some(name));
        }
    }
    end(&mut page, fleet.tool.version);
    out.write_all(page.as_bytes())?;
    out.flush()?;
    Ok(())
}

/// The findings of `report`, in sections, each row marked with `cluster`
/// when the page holds several: written to `out` after what `page` holds,
/// which is left with the end of the last section.
fn sections(
    page: &mut String,
    out: &mut impl Write,
    report: &Report,
    prefix: &str,
    cluster: Option<&str>,
    routes_open: &mut usize,
) -> std::io::Result<()> {
    for section in &SECTIONS {
        let findings: Vec<&Finding> = (report.findings.iter())
            .filter(|f| (section.codes)(f.code))
            .map(|f| &**f)
            .collect();
        if findings.is_empty() {
            continue;
        }
        let _ = write!(
            page,
            r#"<section id="{prefix}{}" data-filtered><h3>{} <span class="small">(<span class="count">{}</span> shown)</span></h3><table><thead><tr><th>Severity</th><th>About</th><th>Finding</th><th>Rule</th><th>Where</th></tr></thead><tbody>"#,
            section.id,
            section.title,
            findings.len()
        );
        // The page so far, then the rows: written on every core, a run at
        // a time, each knowing how many routes came before it, and put in
        // the page in order as they come.
        out.write_all(page.as_bytes())?;
        page.clear();
        cores::pipeline(
            findings.chunks(ROWS),
            AHEAD,
            |run| {
                let before = *routes_open;
                *routes_open += run.iter().filter(|f| f.path.is_some()).count();
                Ok((run, before))
            },
            |(run, mut routes_before)| {
                let mut rows = String::with_capacity(run.len() * 1024);
                for f in run {
                    finding_row(&mut rows, f, cluster, &mut routes_before);
                }
                rows
            },
            |rows| out.write_all(rows.as_bytes()),
        )?;
        page.push_str("</tbody></table></section>");
    }
    Ok(())
}

/// The end of the page: the footer and the script.
fn end(page: &mut String, version: &str) {
    let _ = writeln!(
        page,
        "</main><footer>rbacscan {}: every finding with the role rules behind it is in <code>rbacscan scan -o json</code>; its schema is <code>rbacscan schema</code>.</footer><script>{SCRIPT}</script></body></html>",
        text(version)
    );
}

/// The page's head (with its policy) and the start of its header.
fn head(page: &mut String, title: &str) {
    let policy = format!(
        "default-src 'none'; style-src {}; script-src {}; base-uri 'none'; form-action 'none'",
        csp_hash(STYLE),
        csp_hash(SCRIPT)
    );
    let _ = write!(
        page,
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta http-equiv="Content-Security-Policy" content="{policy}"><meta name="referrer" content="no-referrer"><title>{title}</title><style>{STYLE}</style></head><body><header><h1>{title}</h1>"#
    );
}

/// What was read, when, with which template; a partial scan; the notes.
fn meta(page: &mut String, r: &Report) {
    let _ = write!(
        page,
        r#"<p class="meta">{}: {}.</p>"#,
        text(&r.inputs.sources.join(", ")),
        super::objects_read(r)
    );
    if let Some(at) = r
        .inputs
        .cluster
        .as_ref()
        .and_then(|c| c.collected_at.as_ref())
    {
        let _ = write!(page, r#"<p class="meta">Listed at {}.</p>"#, text(at));
    }
    let _ = write!(
        page,
        r#"<p class="meta">Template {} ({} rules), rbacscan {}.</p>"#,
        text(&r.template.source),
        r.template.rules,
        text(r.tool.version)
    );
    if r.is_partial() {
        let missing: Vec<String> = (r.coverage.missing.iter())
            .map(|m| format!("{} ({}: {})", m.resource, m.reason.as_str(), m.message))
            .collect();
        let _ = write!(
            page,
            r#"<p class="partial"><b>Partial scan:</b> could not read {}. Findings may be missing.</p>"#,
            text(&missing.join("; "))
        );
    }
    for note in &r.notes {
        let _ = write!(page, r#"<p class="note">Note: {}</p>"#, text(note));
    }
}

fn summary(page: &mut String, r: &Report) {
    let p = &r.counts.problems;
    let _ = write!(
        page,
        r#"<h2>Summary</h2><p>{} to fix, from {}.</p><div class="cards">"#,
        words::count(r.problem_list().len(), "problem"),
        words::count(r.counts.findings, "finding")
    );
    for (sev, count) in [
        (Severity::Critical, p.critical),
        (Severity::High, p.high),
        (Severity::Medium, p.medium),
        (Severity::Low, p.low),
    ] {
        let _ = write!(
            page,
            r#"<div class="card {0}"><b>{count}</b>{0}</div>"#,
            sev.as_str()
        );
    }
    let routes = (r.findings.iter())
        .filter(|f| f.code == Code::PathToClusterAdmin)
        .count();
    let _ = write!(
        page,
        r#"<div class="card"><b>{}</b>hot pods</div><div class="card"><b>{routes}</b>routes to cluster-admin</div></div>"#,
        r.counts.hot_pods
    );
    if r.counts.defaults_hidden > 0 {
        let _ = write!(
            page,
            r#"<p class="note">{} of {} are not listed (<code>--include-defaults</code> lists them).</p>"#,
            words::count(r.counts.defaults_hidden, "finding"),
            text(&super::defaults_source(r))
        );
    }
    if let Some(b) = &r.baseline {
        let _ = write!(
            page,
            r#"<p>Since the baseline ({}): <b>{} new</b>, {} unchanged, {} resolved.</p>"#,
            text(&b.source),
            b.new,
            b.unchanged,
            b.resolved.len()
        );
    }
    if let Some(e) = &r.exceptions {
        let _ = write!(
            page,
            r#"<p>{} suppressed by {}{}.</p>"#,
            words::count(e.suppressed.len(), "finding"),
            text(&e.source),
            if e.expired.is_empty() {
                String::new()
            } else {
                format!("; {} expired", words::count(e.expired.len(), "exception"))
            }
        );
    }
    if r.problem_list().is_empty() {
        return;
    }
    let _ = write!(
        page,
        r#"<h2>Problems to fix</h2><table><thead><tr><th>Severity</th><th>What</th><th>Risks</th><th>Where</th><th>Through</th></tr></thead><tbody>"#
    );
    for problem in r.problem_list().iter().take(PROBLEMS) {
        let risks: Vec<String> = problem.risks.iter().map(|r| text(r)).collect();
        let through: Vec<String> = problem.through.iter().take(3).map(|t| text(t)).collect();
        let more = problem.through.len().saturating_sub(3);
        let _ = write!(
            page,
            r#"<tr><td class="sev {0}">{0}</td><td>{1}</td><td>{2}</td><td>{3}</td><td>{4}{5}</td></tr>"#,
            problem.severity.as_str(),
            text(&problem.object),
            risks.join(", "),
            text(&problem.scope),
            through.join("<br>"),
            if more > 0 {
                format!("<br><span class=\"small\">+{more} more</span>")
            } else {
                String::new()
            }
        );
    }
    page.push_str("</tbody></table>");
    if r.problem_list().len() > PROBLEMS {
        let _ = write!(
            page,
            r#"<p class="small">{} more below.</p>"#,
            r.problem_list().len() - PROBLEMS
        );
    }
}

/// The filter bar over the findings of `reports`; with `clusters`, a
/// cluster filter too.
fn filters(page: &mut String, reports: &[&Report], clusters: Option<&[&str]>) {
    let mut namespaces: BTreeSet<&str> = BTreeSet::new();
    let mut rules: BTreeSet<&str> = BTreeSet::new();
    let mut total = 0;
    for r in reports {
        for f in &r.findings {
            if let FindingScope::Namespaces { namespaces: ns } = &f.scope {
                namespaces.extend(ns.iter().map(String::as_str));
            }
        }
        namespaces.extend(
            r.pods
                .iter()
                .filter(|p| p.hot)
                .map(|p| p.namespace.as_str()),
        );
        rules.extend(r.findings.iter().map(|f| f.rule_id()));
        total += r.findings.len();
    }
    page.push_str(r#"<div class="filters">"#);
    if let Some(clusters) = clusters {
        page.push_str(r#"<label>Cluster<select id="f-cluster"><option value="">any</option>"#);
        for c in clusters {
            let _ = write!(page, r#"<option value="{0}">{0}</option>"#, text(c));
        }
        page.push_str("</select></label>");
    }
    let _ = write!(
        page,
        r#"<label>Severity<select id="f-severity"><option value="">any</option>"#
    );
    for s in ["CRITICAL", "HIGH", "MEDIUM", "LOW"] {
        let _ = write!(page, r#"<option value="{s}">{s} and above</option>"#);
    }
    page.push_str(r#"</select></label><label>Namespace<select id="f-namespace"><option value="">any</option><option value="*">cluster-wide only</option>"#);
    for ns in &namespaces {
        let _ = write!(page, r#"<option value="{0}">{0}</option>"#, text(ns));
    }
    page.push_str(
        r#"</select></label><label>Rule<select id="f-rule"><option value="">any</option>"#,
    );
    for rule in &rules {
        let _ = write!(page, r#"<option value="{0}">{0}</option>"#, text(rule));
    }
    let _ = write!(
        page,
        r#"</select></label><span><b id="shown">{total}</b> of {} shown</span></div>"#,
        words::count(total, "finding")
    );
}

/// The attributes the filters read: severity, rule, scope, namespaces and
/// (on a fleet's page) cluster.
fn filter_attributes(
    severity: Severity,
    rule: &str,
    scope: &FindingScope,
    cluster: Option<&str>,
) -> String {
    let (kind, namespaces) = match scope {
        FindingScope::Cluster => ("cluster", "[]".to_string()),
        FindingScope::Namespaces { namespaces } => (
            "namespaces",
            serde_json::to_string(namespaces).unwrap_or_else(|_| "[]".into()),
        ),
    };
    let mut attributes = format!(
        r#"data-severity="{}" data-rule="{}" data-scope="{kind}" data-ns="{}""#,
        severity.as_str(),
        text(rule),
        text(&namespaces)
    );
    if let Some(c) = cluster {
        let _ = write!(attributes, r#" data-cluster="{}""#, text(c));
    }
    attributes
}

fn finding_row(page: &mut String, f: &Finding, cluster: Option<&str>, routes_open: &mut usize) {
    let _ = write!(
        page,
        r#"<tr data-finding {}><td class="sev {1}">{1}{2}</td><td>{3}</td><td><b>{4}</b><br>{5}"#,
        filter_attributes(f.severity, f.rule_id(), &f.scope, cluster),
        f.severity.as_str(),
        match f.baseline {
            Some(crate::findings::BaselineStatus::New) => "<br><span class=\"small\">new</span>",
            _ => "",
        },
        text(&super::about(f)),
        text(&f.title),
        text(&f.message),
    );
    if !f.evidence.is_empty() {
        page.push_str(r#"<ul class="plain small">"#);
        for e in f.evidence.iter().take(5) {
            let through = match e.chain() {
                Some(chain) => format!("{chain} #{}", e.rule_index),
                None => format!("{} #{}", e.role, e.rule_index),
            };
            let _ = write!(
                page,
                "<li>{}: {}</li>",
                text(&through),
                text(&e.grants.join(", "))
            );
        }
        if f.evidence.len() > 5 {
            let _ = write!(page, "<li>+{} more</li>", f.evidence.len() - 5);
        }
        page.push_str("</ul>");
    }
    if let Some(path) = &f.path {
        let open = if *routes_open < OPEN_ROUTES {
            " open"
        } else {
            ""
        };
        *routes_open += 1;
        // The message says each step; the diagram draws them (each arrow's
        // tooltip is the step's sentence).
        let _ = write!(
            page,
            r#"<details{open}><summary>the route, {}</summary>{}</details>"#,
            words::count(path.hops, "step"),
            route::diagram(path)
        );
    }
    if let Some(fix) = &f.remediation {
        let _ = write!(page, r#"<div class="small">Fix: {}</div>"#, text(fix));
    }
    if f.bootstrap_default {
        page.push_str(r#"<div class="small">Kubernetes bootstrap policy</div>"#);
    }
    let _ = write!(
        page,
        "</td><td><code>{}</code></td><td>{}</td></tr>",
        text(f.rule_id()),
        text(&f.scope.to_string())
    );
}

fn pods(page: &mut String, r: &Report, prefix: &str, cluster: Option<&str>) {
    let hot: Vec<_> = r.pods.iter().filter(|p| p.hot).collect();
    if hot.is_empty() {
        return;
    }
    let _ = write!(
        page,
        r#"<section id="{prefix}pods" data-filtered><h3>Hot pods: tokens and amplifiers <span class="small">(<span class="count">{}</span> shown)</span></h3><table><thead><tr><th>Severity</th><th>Pod</th><th>Tokens its containers read</th><th>Amplifiers</th><th>Node</th></tr></thead><tbody>"#,
        hot.len()
    );
    for p in hot {
        let severity = p.severity.unwrap_or(Severity::Low);
        let scope = FindingScope::Namespaces {
            namespaces: vec![p.namespace.clone()],
        };
        let _ = write!(
            page,
            r#"<tr {}><td class="sev {1}">{1}</td><td>{2}/{3}</td><td><ul class="plain">"#,
            filter_attributes(severity, "hot-pod", &scope, cluster),
            severity.as_str(),
            text(&p.namespace),
            text(&p.name),
        );
        for t in p.tokens.iter().filter(|t| t.risk.severity.is_some()) {
            let _ = write!(
                page,
                "<li>{} <span class=\"small\">({}, {})</span>: {}</li>",
                text(&t.exposure.service_account.to_string()),
                t.exposure.source.as_str(),
                t.risk.severity.map_or("", Severity::as_str),
                text(&t.risk.risks.join(", "))
            );
        }
        page.push_str("</ul></td><td><ul class=\"plain\">");
        for a in p.amplifiers.iter() {
            let _ = write!(
                page,
                "<li><code>{}</code> {}</li>",
                a.code.as_str(),
                text(&a.detail)
            );
        }
        let _ = write!(
            page,
            "</ul></td><td>{}</td></tr>",
            text(p.node.as_deref().unwrap_or("(not scheduled)"))
        );
    }
    page.push_str("</tbody></table></section>");
}
