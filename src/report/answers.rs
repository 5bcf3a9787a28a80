//! The answers of `who-can`, `access` and `paths`, rendered: a table for
//! people, JSON for machines, DOT or Mermaid for a picture of the subgraph
//! the answer touches, and for `paths` the routes as BloodHound OpenGraph
//! JSON or a Neo4j Cypher script. Every format writes to any `impl Write`.

use std::io::Write;

use serde::Serialize;

use super::cells::{TableStyle, cell, line, lines_cell, new_table, render};
use super::graph_export::{Shape, Subgraph, write_dot, write_mermaid};
use super::{ReportError, SCHEMA_VERSION, cypher, opengraph};
use crate::access::explain::{
    CutView, DiffView, GroundView, HoldingsView, NodeRef, PathsView, WhoCanView,
};
use crate::words::plural;

/// Output formats of the questions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AnswerFormat {
    /// Tables for people.
    Table,
    /// Tables (the answers' tables list everything already).
    Wide,
    /// JSON, described in the README.
    Json,
    /// The JSON answer's fields as YAML.
    Yaml,
    /// Graphviz DOT of the answer's subgraph.
    Dot,
    /// Mermaid flowchart of the answer's subgraph.
    Mermaid,
    /// BloodHound OpenGraph JSON of the routes (`paths` only).
    #[value(skip)]
    OpenGraph,
    /// A Neo4j Cypher script of the routes (`paths` only).
    #[value(skip)]
    Cypher,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Envelope<'a, T: Serialize> {
    schema_version: u32,
    command: &'static str,
    #[serde(flatten)]
    body: &'a T,
}

fn yaml<T: Serialize>(command: &'static str, body: &T, out: impl Write) -> Result<(), ReportError> {
    super::yaml::write(
        &Envelope {
            schema_version: SCHEMA_VERSION,
            command,
            body,
        },
        out,
    )
}

fn json<T: Serialize>(
    command: &'static str,
    body: &T,
    mut out: impl Write,
) -> Result<(), ReportError> {
    super::json::write_records(
        &Envelope {
            schema_version: SCHEMA_VERSION,
            command,
            body,
        },
        &mut out,
    )?;
    writeln!(out)?;
    Ok(())
}

fn graph(format: AnswerFormat, g: &Subgraph, out: impl Write) -> Result<(), ReportError> {
    match format {
        AnswerFormat::Dot => write_dot(g, out),
        AnswerFormat::OpenGraph | AnswerFormat::Cypher => {
            Err(ReportError::Write(std::io::Error::new(
                std::io::ErrorKind::Unsupported,
                "OpenGraph and Cypher export the routes of `paths` only",
            )))
        }
        _ => write_mermaid(g, out),
    }
}

/// Adds `subject → binding → role` for each ground.
fn add_grounds(g: &mut Subgraph, from: usize, grounds: &[GroundView]) {
    for gr in grounds {
        let role = g.node(&gr.role.to_string(), Shape::Rbac);
        let rule = format!("rule #{}", gr.rule_index);
        match &gr.binding {
            Some(b) => {
                let mut at = from;
                if let Some(group) = &gr.via_group {
                    let gn = g.node(&format!("Group {group}"), Shape::Source);
                    g.edge(at, gn, "member of");
                    at = gn;
                }
                let bn = g.node(&b.to_string(), Shape::Rbac);
                g.edge(at, bn, "named in");
                g.edge(bn, role, &rule);
            }
            None => g.edge(from, role, &rule),
        }
    }
}

/// Renders a `who-can` answer.
pub fn who_can(
    view: &WhoCanView,
    format: AnswerFormat,
    style: TableStyle,
    mut out: impl Write,
) -> Result<(), ReportError> {
    match format {
        AnswerFormat::Json => json("who-can", view, out),
        AnswerFormat::Yaml => yaml("who-can", view, out),
        AnswerFormat::Table | AnswerFormat::Wide => {
            line(&mut out, &format!("who can {}", view.request))?;
            for n in &view.notes {
                line(&mut out, &format!("note: {n}"))?;
            }
            let mut t = new_table(style, &["SUBJECT", "GRANTED BY (binding → role #rule)"]);
            for s in &view.subjects {
                let who = NodeRef {
                    kind: s.kind,
                    name: s.name.clone(),
                    namespace: s.namespace.clone(),
                    bound_in: None,
                };
                let mut by: Vec<String> = s.granted_by.iter().map(GroundView::chain).collect();
                if s.implicit {
                    by.insert(0, "implicit: allowed everything without any binding".into());
                }
                t.add_row(vec![cell(who.to_string()), lines_cell(by)]);
            }
            render(&mut out, &t, style)?;
            line(
                &mut out,
                &format!(
                    "{} {} allowed",
                    view.subjects.len(),
                    plural(view.subjects.len(), "subject")
                ),
            )
        }
        _ => {
            let mut g = Subgraph::default();
            let req = g.node(&format!("{}", view.request), Shape::Target);
            for s in &view.subjects {
                let who = NodeRef {
                    kind: s.kind,
                    name: s.name.clone(),
                    namespace: s.namespace.clone(),
                    bound_in: None,
                };
                let n = g.node(&who.to_string(), Shape::Source);
                if s.implicit {
                    g.edge(n, req, "implicit");
                }
                add_grounds(&mut g, n, &s.granted_by);
                for gr in &s.granted_by {
                    let role = g.node(&gr.role.to_string(), Shape::Rbac);
                    g.edge(role, req, &format!("rule #{} allows", gr.rule_index));
                }
            }
            graph(format, &g, out)
        }
    }
}

/// One row of `access`, as `kubectl auth can-i --list` prints a rule:
/// resources written `resource.group` (the core group without a suffix).
fn rule_row(gr: &GroundView) -> Vec<comfy_table::Cell> {
    let join = |v: Option<&Vec<String>>| v.map(|v| v.join(", ")).unwrap_or_default();
    let mut resources = Vec::new();
    for r in gr.rule.resources.iter().flatten() {
        for g in gr.rule.api_groups.iter().flatten() {
            resources.push(if g.is_empty() {
                r.clone()
            } else {
                format!("{r}.{g}")
            });
        }
    }
    vec![
        lines_cell(resources),
        lines_cell(gr.rule.non_resource_urls.iter().flatten()),
        cell(join(gr.rule.resource_names.as_ref())),
        cell(gr.rule.verbs.join(", ")),
        cell(gr.chain()),
    ]
}

const RULE_HEADERS: [&str; 5] = [
    "RESOURCES",
    "NON-RESOURCE URLS",
    "RESOURCE NAMES",
    "VERBS",
    "GRANTED BY",
];

/// Renders what an identity holds.
pub fn holdings(
    view: &HoldingsView,
    format: AnswerFormat,
    style: TableStyle,
    mut out: impl Write,
) -> Result<(), ReportError> {
    match format {
        AnswerFormat::Json => json("access", view, out),
        AnswerFormat::Yaml => yaml("access", view, out),
        AnswerFormat::Table | AnswerFormat::Wide => {
            line(&mut out, &format!("what {} can do", view.subject))?;
            if !view.in_input {
                line(
                    &mut out,
                    &format!(
                        "note: {} is not in the input (no object or binding names it): this is what it would hold",
                        view.subject
                    ),
                )?;
            }
            if !view.implicit_groups.is_empty() {
                line(
                    &mut out,
                    &format!("implicit groups: {}", view.implicit_groups.join(", ")),
                )?;
            }
            if view.superuser {
                line(
                    &mut out,
                    "allowed everything without any binding: system:masters bypasses RBAC",
                )?;
            }
            line(&mut out, "")?;
            line(
                &mut out,
                "cluster-wide (ClusterRoleBindings; in effect in every namespace too):",
            )?;
            if view.cluster_wide.is_empty() {
                line(&mut out, "  nothing")?;
            } else {
                let mut t = new_table(style, &RULE_HEADERS);
                for h in &view.cluster_wide {
                    t.add_row(rule_row(&h.ground));
                }
                render(&mut out, &t, style)?;
            }
            for (ns, rules) in &view.namespaces {
                line(&mut out, "")?;
                line(
                    &mut out,
                    &format!("in namespace {ns} (RoleBindings; on top of the cluster-wide rules):"),
                )?;
                let mut t = new_table(style, &RULE_HEADERS);
                for h in rules {
                    t.add_row(rule_row(&h.ground));
                }
                render(&mut out, &t, style)?;
            }
            Ok(())
        }
        _ => {
            let mut g = Subgraph::default();
            let me = g.node(&view.subject.to_string(), Shape::Source);
            let grounds: Vec<GroundView> = view
                .cluster_wide
                .iter()
                .chain(view.namespaces.values().flatten())
                .map(|h| h.ground.clone())
                .collect();
            add_grounds(&mut g, me, &grounds);
            graph(format, &g, out)
        }
    }
}

/// Renders the comparison of two identities.
pub fn diff(
    view: &DiffView,
    format: AnswerFormat,
    style: TableStyle,
    mut out: impl Write,
) -> Result<(), ReportError> {
    match format {
        AnswerFormat::Json => json("access", view, out),
        AnswerFormat::Yaml => yaml("access", view, out),
        AnswerFormat::Table | AnswerFormat::Wide => {
            for (who, other, list) in [
                (&view.left, &view.right, &view.only_left),
                (&view.right, &view.left, &view.only_right),
            ] {
                line(&mut out, &format!("what {who} can do and {other} cannot:"))?;
                if list.is_empty() {
                    line(&mut out, "  nothing")?;
                    continue;
                }
                let mut t = new_table(style, &["WHERE", "PERMISSION", "GRANTED BY"]);
                for d in list {
                    t.add_row(vec![
                        cell(&d.scope),
                        cell(&d.permission),
                        cell(d.granted_by.chain()),
                    ]);
                }
                render(&mut out, &t, style)?;
            }
            Ok(())
        }
        _ => {
            let mut g = Subgraph::default();
            for (who, list) in [
                (&view.left, &view.only_left),
                (&view.right, &view.only_right),
            ] {
                let n = g.node(&who.to_string(), Shape::Source);
                let grounds: Vec<GroundView> = list.iter().map(|d| d.granted_by.clone()).collect();
                add_grounds(&mut g, n, &grounds);
            }
            graph(format, &g, out)
        }
    }
}

/// Renders a cut (`paths --cut`): each grant to remove and the sources
/// whose routes it closes, then the sources no removal helps.
fn cut_table(cut: &CutView, style: TableStyle, out: &mut impl Write) -> Result<(), ReportError> {
    line(out, "")?;
    if cut.removals.is_empty() && cut.unclosable.is_empty() {
        return line(out, "cut: nothing to remove");
    }
    if !cut.removals.is_empty() {
        let mut t = new_table(style, &["REMOVE", "CLOSES ROUTES FROM"]);
        for r in &cut.removals {
            let mut what = vec![r.text.clone()];
            if let (Some(role), None) = (&r.role, &r.rule_index) {
                what.push(format!("(binds {role})"));
            }
            let closes: Vec<String> = r.closes.iter().map(ToString::to_string).collect();
            t.add_row(vec![lines_cell(what), lines_cell(closes)]);
        }
        render(out, &t, style)?;
        let n = cut.removals.len();
        let scope = if cut.unclosable.is_empty() {
            "every listed route"
        } else {
            "every other listed route"
        };
        let mut summary = format!(
            "cut: removing these {n} {} closes {scope}",
            plural(n, "grant")
        );
        if !cut.verified {
            summary.push_str(" (not confirmed: routes were still found after the last check)");
        }
        line(out, &summary)?;
    }
    if !cut.unclosable.is_empty() {
        let who: Vec<String> = cut.unclosable.iter().map(ToString::to_string).collect();
        line(
            out,
            &format!(
                "no cut closes the routes from {}: each has a route made only of steps that cannot be removed (bootstrap defaults, memberships, pods' tokens)",
                who.join(", ")
            ),
        )?;
    }
    Ok(())
}

/// Renders routes.
pub fn paths(
    view: &PathsView,
    format: AnswerFormat,
    style: TableStyle,
    mut out: impl Write,
) -> Result<(), ReportError> {
    match format {
        AnswerFormat::Json => json("paths", view, out),
        AnswerFormat::Yaml => yaml("paths", view, out),
        AnswerFormat::OpenGraph => opengraph::write(view, out),
        AnswerFormat::Cypher => cypher::write(view, out),
        AnswerFormat::Table | AnswerFormat::Wide => {
            fn defaults(view: &PathsView, out: &mut impl Write) -> Result<(), ReportError> {
                let source = match view.platforms.is_empty() {
                    true => "the Kubernetes bootstrap policy".to_string(),
                    false => format!(
                        "the Kubernetes bootstrap policy and the {} defaults",
                        view.platforms.join(", ")
                    ),
                };
                match view.defaults_hidden {
                    0 => Ok(()),
                    n => line(
                        out,
                        &format!(
                            "{n} {} granted by {source} alone {} not listed (--include-defaults lists them)",
                            plural(n, "route"),
                            if n == 1 { "is" } else { "are" },
                        ),
                    ),
                }
            }
            if view.paths.is_empty() {
                line(&mut out, &format!("no route to {}", view.target))?;
                return defaults(view, &mut out);
            }
            let mut t = new_table(style, &["FROM", "STEPS", "ROUTE"]);
            for p in &view.paths {
                let steps: Vec<String> = p
                    .steps
                    .iter()
                    .enumerate()
                    .map(|(i, s)| format!("{}. {}", i + 1, s.text))
                    .collect();
                let mut from = p.from.to_string();
                if p.bootstrap_default {
                    from.push_str(" (default)");
                }
                t.add_row(vec![
                    cell(from),
                    cell(p.hops.to_string()),
                    lines_cell(steps),
                ]);
            }
            render(&mut out, &t, style)?;
            line(
                &mut out,
                &format!(
                    "{} {} to {}, shortest first",
                    view.paths.len(),
                    plural(view.paths.len(), "route"),
                    view.target
                ),
            )?;
            defaults(view, &mut out)?;
            match &view.cut {
                Some(cut) => cut_table(cut, style, &mut out),
                None => Ok(()),
            }
        }
        _ => {
            let mut g = Subgraph::default();
            for p in &view.paths {
                for s in &p.steps {
                    let shape = |r: &NodeRef| match r.kind {
                        "User" | "Group" | "ServiceAccount" | "Pod" => Shape::Source,
                        "ClusterAdmin" => Shape::Target,
                        _ => Shape::Rbac,
                    };
                    let a = g.node(&s.from.to_string(), shape(&s.from));
                    let b = g.node(&s.to.to_string(), shape(&s.to));
                    let mut label = serde_json::to_value(s.kind)
                        .ok()
                        .and_then(|v| v.as_str().map(String::from))
                        .unwrap_or_default();
                    if !s.permissions.is_empty() {
                        label = format!("{label}: {}", s.permissions.join(" + "));
                    }
                    g.edge(a, b, &label);
                }
            }
            graph(format, &g, out)
        }
    }
}
