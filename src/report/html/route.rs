//! A route to cluster-admin drawn as a small SVG diagram, laid out here:
//! one box per object the route passes through, top to bottom, and between
//! two boxes an arrow labelled with how the step is taken. Text is measured
//! in monospace cells (wide characters count two), so the layout needs no
//! font metrics. Every string is escaped; the diagram has no script, no
//! style attribute and no link.

use std::fmt::Write;

use super::text;
use crate::access::explain::{NodeRef, PathView};

/// Width of one monospace cell at the diagram's font size, in pixels.
const CELL: f64 = 7.3;
/// Longest line of a box or label, in cells; longer ones end in `…`
/// (the box's tooltip has the whole text).
const MAX_CELLS: usize = 72;
const BOX_HEIGHT: f64 = 38.0;
const GAP: f64 = 34.0;
const PAD: f64 = 10.0;
const MARGIN: f64 = 4.0;

/// `s` cut to at most `max` cells, with `…` when cut.
fn fit(s: &str, max: usize) -> String {
    if textwrap::core::display_width(s) <= max {
        return s.to_string();
    }
    let mut out = String::new();
    let mut width = 0;
    for c in s.chars() {
        let w = textwrap::core::display_width(c.encode_utf8(&mut [0; 4]));
        if width + w > max - 1 {
            break;
        }
        out.push(c);
        width += w;
    }
    out.push('…');
    out
}

fn cells(s: &str) -> f64 {
    textwrap::core::display_width(s) as f64
}

/// One box: the object's kind (small) over its name.
struct Box {
    class: &'static str,
    kind: String,
    name: String,
    title: String,
}

impl Box {
    fn of(node: &NodeRef) -> Box {
        let name = match (&node.namespace, node.kind) {
            (_, "ClusterAdmin") => "cluster-admin-equivalent power".to_string(),
            (Some(ns), _) => format!("{ns}/{}", node.name),
            (None, _) => node.name.clone(),
        };
        Box {
            class: node.kind,
            kind: node.kind.to_string(),
            name,
            title: node.to_string(),
        }
    }
}

/// The diagram of `path`, as an inline `<svg>` element.
pub fn diagram(path: &PathView) -> String {
    let mut boxes = vec![Box::of(&path.from)];
    let mut labels = Vec::new();
    for step in &path.steps {
        let mut label = step.kind.as_str().to_string();
        if let Some(p) = step.permissions.first() {
            label.push_str(": ");
            label.push_str(p);
            if step.permissions.len() > 1 {
                label.push_str(&format!(" +{}", step.permissions.len() - 1));
            }
        } else if let Some(b) = &step.because {
            label.push_str(&format!(" ({b})"));
        }
        labels.push((fit(&label, MAX_CELLS), step.text.clone()));
        boxes.push(Box::of(&step.to));
    }
    if let Some(c) = &path.continues_as {
        let mut b = Box::of(&c.from);
        b.kind = format!("continues as (its own route, {} more steps)", c.hops);
        b.class = "continues";
        labels.push(("…".into(), String::new()));
        boxes.push(b);
    }
    let widest = (boxes.iter())
        .map(|b| cells(&fit(&b.name, MAX_CELLS)).max(cells(&fit(&b.kind, MAX_CELLS))))
        .fold(0.0, f64::max);
    let box_width = widest * CELL + 2.0 * PAD;
    let label_width = (labels.iter()).map(|(l, _)| cells(l)).fold(0.0, f64::max) * CELL;
    let width = MARGIN * 2.0 + box_width.max(box_width / 2.0 + 14.0 + label_width);
    let height = MARGIN * 2.0 + boxes.len() as f64 * BOX_HEIGHT + labels.len() as f64 * GAP;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="route" xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" role="img" aria-label="{}">"#,
        text(&format!(
            "route from {} to {} in {} steps",
            path.from, path.to, path.hops
        ))
    );
    let mut y = MARGIN;
    let center = MARGIN + box_width / 2.0;
    for (i, b) in boxes.iter().enumerate() {
        let _ = write!(
            svg,
            r#"<g><title>{}</title><rect class="{}" x="{MARGIN}" y="{y:.1}" width="{box_width:.1}" height="{BOX_HEIGHT}"></rect><text class="kind" x="{:.1}" y="{:.1}">{}</text><text x="{:.1}" y="{:.1}">{}</text></g>"#,
            text(&b.title),
            b.class,
            MARGIN + PAD,
            y + 14.0,
            text(&fit(&b.kind, MAX_CELLS)),
            MARGIN + PAD,
            y + 30.0,
            text(&fit(&b.name, MAX_CELLS)),
        );
        y += BOX_HEIGHT;
        if let Some((label, sentence)) = labels.get(i) {
            let (top, bottom) = (y + 2.0, y + GAP - 2.0);
            let _ = write!(
                svg,
                r#"<g><title>{}</title><line x1="{center:.1}" y1="{top:.1}" x2="{center:.1}" y2="{:.1}"></line><path class="head" d="M {:.1} {:.1} L {:.1} {bottom:.1} L {:.1} {:.1} Z"></path><text class="how" x="{:.1}" y="{:.1}">{}</text></g>"#,
                text(sentence),
                bottom - 6.0,
                center - 4.5,
                bottom - 7.0,
                center,
                center + 4.5,
                bottom - 7.0,
                center + 10.0,
                y + GAP / 2.0 + 4.0,
                text(label),
            );
            y += GAP;
        }
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_names_are_cut_by_cells_and_wide_characters_count_two() {
        assert_eq!(fit("short", 10), "short");
        assert_eq!(fit("abcdefghijk", 5), "abcd…");
        assert_eq!(fit("日本語のなまえ", 7), "日本語…");
    }
}
