//! The routes of `paths` as a Neo4j Cypher script (`cypher-shell <
//! routes.cypher`): the graph of [`AttackGraph`], one `MERGE` per node and
//! one per relationship, so that running it twice changes nothing.
//!
//! Every node has the label [`SOURCE_KIND`] (as BloodHound adds the
//! source kind to an OpenGraph node's kinds) and its kind as a second
//! label, and is merged on `objectid`, its OpenGraph id (BloodHound's name
//! for it); a relationship's type is the edge's kind, and it is merged on
//! its ends, type and properties.
//!
//! Every string is cluster data and written as a single-quoted literal with
//! `\` and `'` escaped and every control, invisible or bidirectional
//! character (see [`terminal::is_unsafe`]) written as `\n`, `\r`, `\t` or
//! `\uXXXX`: no name can end its literal, start a statement, or put a
//! line break in the script. Labels, types and property names come from
//! rbacscan, not the cluster, and are checked all the same (see
//! [`is_kind`], [`is_property_name`]) before they are written bare.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::ReportError;
use super::attack_graph::{AttackGraph, Prop, Props, SOURCE_KIND, is_kind, is_property_name};
use crate::access::explain::PathsView;
use crate::terminal;

/// `text` as a Cypher string literal, quotes included.
pub fn literal(text: &str) -> String {
    let mut s = String::with_capacity(text.len() + 2);
    s.push('\'');
    for c in text.chars() {
        match c {
            '\\' => s.push_str("\\\\"),
            '\'' => s.push_str("\\'"),
            '\n' => s.push_str("\\n"),
            '\r' => s.push_str("\\r"),
            '\t' => s.push_str("\\t"),
            c if terminal::is_unsafe(c) => {
                let _ = match u32::from(c) {
                    n @ 0..=0xFFFF => write!(s, "\\u{n:04X}"),
                    n => write!(s, "\\U{n:08X}"),
                };
            }
            c => s.push(c),
        }
    }
    s.push('\'');
    s
}

/// `name` if it can be written bare: a kind or a property name.
fn bare(name: &str, ok: fn(&str) -> bool) -> Result<&str, ReportError> {
    match ok(name) {
        true => Ok(name),
        false => Err(ReportError::Write(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("not a Cypher identifier: {}", terminal::escape(name)),
        ))),
    }
}

fn value(p: &Prop) -> String {
    match p {
        Prop::Text(t) => literal(t),
        Prop::List(l) => format!(
            "[{}]",
            l.iter().map(|t| literal(t)).collect::<Vec<_>>().join(", ")
        ),
        Prop::Flag(b) => b.to_string(),
    }
}

/// `{name: 'x', permissions: ['get secrets']}`.
fn map(props: &Props) -> Result<String, ReportError> {
    let mut parts = Vec::with_capacity(props.len());
    for (k, v) in props {
        parts.push(format!("{}: {}", bare(k, is_property_name)?, value(v)));
    }
    Ok(format!("{{{}}}", parts.join(", ")))
}

/// Writes the routes of `view` as a Cypher script.
pub fn write(view: &PathsView, out: impl Write) -> Result<(), ReportError> {
    write_graph(&AttackGraph::of(view), out)
}

/// Writes `g` as a Cypher script.
pub fn write_graph(g: &AttackGraph, out: impl Write) -> Result<(), ReportError> {
    let mut out = io::BufWriter::new(out);
    let source = bare(SOURCE_KIND, is_kind)?;
    writeln!(
        out,
        "// rbacscan paths: {} nodes and {} relationships, every route as one graph.",
        g.nodes.len(),
        g.edges.len()
    )?;
    writeln!(
        out,
        "// Load with `cypher-shell < FILE`; running it again changes nothing."
    )?;
    writeln!(
        out,
        "CREATE CONSTRAINT rbacscan_{source}_objectid IF NOT EXISTS FOR (n:{source}) REQUIRE n.objectid IS UNIQUE;"
    )?;
    for n in &g.nodes {
        writeln!(
            out,
            "MERGE (n:{source} {{objectid: {}}}) SET n:{}, n += {};",
            literal(&n.id),
            bare(&n.kind, is_kind)?,
            map(&n.properties)?
        )?;
    }
    for e in &g.edges {
        writeln!(
            out,
            "MATCH (a:{source} {{objectid: {}}}) MATCH (b:{source} {{objectid: {}}}) MERGE (a)-[:{} {}]->(b);",
            literal(&g.nodes[e.start].id),
            literal(&g.nodes[e.end].id),
            bare(&e.kind, is_kind)?,
            map(&e.properties)?
        )?;
    }
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::explain::{NodeRef, PathView, StepView};
    use crate::access::model::Technique;
    use crate::report::attack_graph::tests::demo_routes;

    fn script(view: &PathsView) -> String {
        let mut out = Vec::new();
        write(view, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// What is left of a statement once its string literals are taken out,
    /// reading them as Cypher does; `None` if a literal is left open.
    fn outside_literals(line: &str) -> Option<String> {
        let mut rest = String::new();
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            if c != '\'' {
                rest.push(c);
                continue;
            }
            loop {
                match chars.next()? {
                    '\\' => {
                        chars.next()?;
                    }
                    '\'' => break,
                    _ => {}
                }
            }
            rest.push_str("''");
        }
        Some(rest)
    }

    #[test]
    fn literals_escape_what_could_end_them_or_break_the_line() {
        assert_eq!(literal("a'b\\c\nd"), r"'a\'b\\c\nd'");
        assert_eq!(literal("x\u{1b}[2K\u{202e}"), r"'x\u001B[2K\u202E'");
        assert_eq!(literal("alice@example.com"), "'alice@example.com'");
        assert_eq!(
            outside_literals(&literal("a'b\\c\nd\\")).as_deref(),
            Some("''")
        );
    }

    #[test]
    fn the_demo_routes_are_one_merge_per_node_and_per_relationship() {
        let view = demo_routes();
        let g = AttackGraph::of(&view);
        let s = script(&view);
        let lines: Vec<&str> = s.lines().collect();
        let nodes = lines
            .iter()
            .filter(|l| l.starts_with("MERGE (n:K8s "))
            .count();
        let rels = lines
            .iter()
            .filter(|l| l.contains("MERGE (a)-[:K8s_"))
            .count();
        assert_eq!((nodes, rels), (g.nodes.len(), g.edges.len()));
        assert_eq!(s.matches("MERGE").count(), nodes + rels);
        assert_eq!(lines.len(), 3 + nodes + rels);
        for l in &lines[2..] {
            assert!(l.ends_with(';'), "{l}");
            let rest = outside_literals(l).unwrap();
            assert_eq!(rest.matches(';').count(), 1, "{l}");
        }
        assert!(s.contains("SET n:K8s_ClusterAdmin, n += {"), "{s}");
        assert!(s.contains("MERGE (a)-[:K8s_CreateWorkloads {"), "{s}");
    }

    #[test]
    fn a_hostile_name_stays_inside_its_literal() {
        let hostile = "a'b\\c\nd'}) DETACH DELETE n; //\u{1b}[2K\u{0}";
        let who = NodeRef {
            kind: "ServiceAccount",
            name: hostile.into(),
            namespace: Some("ns'\\".into()),
            bound_in: None,
        };
        let admin = NodeRef {
            kind: "ClusterAdmin",
            name: "cluster-admin".into(),
            namespace: None,
            bound_in: None,
        };
        let step = StepView {
            kind: Technique::Impersonate,
            from: who.clone(),
            to: admin.clone(),
            permissions: vec![format!("impersonate users {hostile}")],
            namespace: None,
            granted_by: Vec::new(),
            because: Some(hostile.into()),
            pod: None,
            secret: Some(hostile.into()),
            text: hostile.into(),
        };
        let view = PathsView {
            target: admin.clone(),
            paths: vec![PathView {
                from: who,
                to: admin,
                hops: 1,
                steps: vec![step],
                bootstrap_default: false,
                continues_as: None,
                first_binding: None,
            }],
            defaults_hidden: 0,
            platforms: Vec::new(),
            cut: None,
        };
        let s = script(&view);
        assert_eq!(s.lines().count(), 3 + 2 + 1, "{s}");
        assert!(
            s.lines().all(|l| !l.chars().any(terminal::is_unsafe)),
            "{s}"
        );
        assert!(
            s.contains(r"a\'b\\c\nd\'}) DETACH DELETE n; //\u001B[2K\u0000"),
            "{s}"
        );
        for l in s.lines().skip(2) {
            let rest = outside_literals(l).unwrap_or_else(|| panic!("open literal: {l}"));
            assert!(!rest.contains("DETACH") && !rest.contains("//"), "{rest}");
            assert_eq!(rest.matches(';').count(), 1, "{rest}");
        }
    }
}
