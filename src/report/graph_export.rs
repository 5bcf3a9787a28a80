//! Graph exports: Graphviz DOT and Mermaid, of the subgraph one question
//! touches (never the whole cluster, which no viewer can lay out).
//!
//! Labels are cluster data: control characters are escaped (see
//! [`crate::terminal`]) and each format's own special characters quoted, so
//! no object name can end a label, add a node, or inject a directive.

use std::collections::HashMap;
use std::io::Write;

use super::ReportError;
use crate::terminal;

/// The kind of a node, for its shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A user, group, ServiceAccount or pod: where a question starts.
    Source,
    /// A binding or role.
    Rbac,
    /// What is reached.
    Target,
}

/// A small labelled graph.
#[derive(Debug, Default)]
pub struct Subgraph {
    nodes: Vec<(String, Shape)>,
    ids: HashMap<String, usize>,
    edges: Vec<(usize, usize, String)>,
}

impl Subgraph {
    /// The node labelled `label`, added if absent.
    pub fn node(&mut self, label: &str, shape: Shape) -> usize {
        if let Some(&i) = self.ids.get(label) {
            return i;
        }
        self.nodes.push((label.to_string(), shape));
        self.ids.insert(label.to_string(), self.nodes.len() - 1);
        self.nodes.len() - 1
    }

    /// Adds an edge, once.
    pub fn edge(&mut self, from: usize, to: usize, label: &str) {
        if !self
            .edges
            .iter()
            .any(|(a, b, l)| *a == from && *b == to && l == label)
        {
            self.edges.push((from, to, label.to_string()));
        }
    }
}

fn dot_quote(text: &str) -> String {
    let text = terminal::escape(text);
    let mut s = String::with_capacity(text.len() + 2);
    s.push('"');
    for c in text.chars() {
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            _ => s.push(c),
        }
    }
    s.push('"');
    s
}

/// Writes `g` as a Graphviz `digraph`.
pub fn write_dot(g: &Subgraph, mut out: impl Write) -> Result<(), ReportError> {
    writeln!(out, "digraph rbacscan {{")?;
    writeln!(out, "  rankdir=LR;")?;
    writeln!(out, "  node [fontname=\"Helvetica\"];")?;
    for (i, (label, shape)) in g.nodes.iter().enumerate() {
        let shape = match shape {
            Shape::Source => "ellipse",
            Shape::Rbac => "box",
            Shape::Target => "doubleoctagon",
        };
        writeln!(out, "  n{i} [label={} shape={shape}];", dot_quote(label))?;
    }
    for (a, b, label) in &g.edges {
        writeln!(out, "  n{a} -> n{b} [label={}];", dot_quote(label))?;
    }
    writeln!(out, "}}")?;
    Ok(())
}

fn mermaid_quote(text: &str) -> String {
    let text = terminal::escape(text);
    let mut s = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => s.push_str("#quot;"),
            '<' => s.push_str("#lt;"),
            '>' => s.push_str("#gt;"),
            '|' => s.push_str("#124;"),
            '#' => s.push_str("#35;"),
            '`' => s.push_str("#96;"),
            _ => s.push(c),
        }
    }
    s
}

/// Writes `g` as a Mermaid flowchart.
pub fn write_mermaid(g: &Subgraph, mut out: impl Write) -> Result<(), ReportError> {
    writeln!(out, "flowchart LR")?;
    for (i, (label, shape)) in g.nodes.iter().enumerate() {
        let label = mermaid_quote(label);
        match shape {
            Shape::Source => writeln!(out, "  n{i}([\"{label}\"])")?,
            Shape::Rbac => writeln!(out, "  n{i}[\"{label}\"]")?,
            Shape::Target => writeln!(out, "  n{i}{{{{\"{label}\"}}}}")?,
        }
    }
    for (a, b, label) in &g.edges {
        writeln!(out, "  n{a} -->|\"{}\"| n{b}", mermaid_quote(label))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_cannot_break_out_of_either_format() {
        let mut g = Subgraph::default();
        let a = g.node("User \"x\"]; n9 [label=evil", Shape::Source);
        let b = g.node("Group a|b\u{1b}[31m\n\"c\"", Shape::Target);
        g.edge(a, b, "x\"|y");
        let mut dot = Vec::new();
        write_dot(&g, &mut dot).unwrap();
        let dot = String::from_utf8(dot).unwrap();
        assert_eq!(dot.lines().count(), 7, "{dot}");
        assert!(
            dot.contains(r#"label="User \"x\"]; n9 [label=evil""#),
            "{dot}"
        );
        assert!(!dot.contains('\u{1b}'));
        let mut mm = Vec::new();
        write_mermaid(&g, &mut mm).unwrap();
        let mm = String::from_utf8(mm).unwrap();
        assert_eq!(mm.lines().count(), 4, "{mm}");
        assert!(!mm.contains('\u{1b}'));
        for l in mm.lines().skip(1) {
            // Quotes only where the writer puts them.
            assert!(l.matches('"').count() == 2, "{l}");
        }
    }
}
