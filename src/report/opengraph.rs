//! The routes of `paths` as BloodHound OpenGraph JSON, the payload
//! BloodHound CE and Enterprise ingest for custom graphs (upload it as a
//! `.json` file): `metadata.source_kind`, and `graph.nodes` (`id`, `kinds`
//! with the primary kind first, flat `properties`) and `graph.edges`
//! (`start` and `end` matched by id, `kind`, flat `properties`). The graph
//! is [`AttackGraph`]'s.

use std::io::Write;

use serde::Serialize;

use super::ReportError;
use super::attack_graph::{AttackGraph, Props, SOURCE_KIND};
use crate::access::explain::PathsView;

#[derive(Serialize)]
struct Payload<'a> {
    metadata: Metadata,
    graph: Graph<'a>,
}

#[derive(Serialize)]
struct Metadata {
    source_kind: &'static str,
}

#[derive(Serialize)]
struct Graph<'a> {
    nodes: Vec<Node<'a>>,
    edges: Vec<Edge<'a>>,
}

#[derive(Serialize)]
struct Node<'a> {
    id: &'a str,
    kinds: [&'a str; 1],
    properties: &'a Props,
}

#[derive(Serialize)]
struct Edge<'a> {
    start: End<'a>,
    end: End<'a>,
    kind: &'a str,
    properties: &'a Props,
}

#[derive(Serialize)]
struct End<'a> {
    value: &'a str,
    match_by: &'static str,
}

/// Writes the routes of `view` as an OpenGraph payload, indented, ending
/// with a newline.
pub fn write(view: &PathsView, out: impl Write) -> Result<(), ReportError> {
    write_graph(&AttackGraph::of(view), out)
}

/// Writes `g` as an OpenGraph payload.
pub fn write_graph(g: &AttackGraph, out: impl Write) -> Result<(), ReportError> {
    let end = |i: usize| End {
        value: &g.nodes[i].id,
        match_by: "id",
    };
    let payload = Payload {
        metadata: Metadata {
            source_kind: SOURCE_KIND,
        },
        graph: Graph {
            nodes: (g.nodes.iter())
                .map(|n| Node {
                    id: &n.id,
                    kinds: [&n.kind],
                    properties: &n.properties,
                })
                .collect(),
            edges: (g.edges.iter())
                .map(|e| Edge {
                    start: end(e.start),
                    end: end(e.end),
                    kind: &e.kind,
                    properties: &e.properties,
                })
                .collect(),
        },
    };
    let mut out = std::io::BufWriter::new(out);
    serde_json::to_writer_pretty(&mut out, &payload)?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use serde_json::Value;

    use super::*;
    use crate::report::attack_graph::is_kind;
    use crate::report::attack_graph::tests::demo_routes;

    #[test]
    fn the_demo_routes_are_a_payload_bloodhound_accepts() {
        let mut out = Vec::new();
        write(&demo_routes(), &mut out).unwrap();
        let v: Value = serde_json::from_slice(&out).unwrap();
        let top: HashSet<&str> = v.as_object().unwrap().keys().map(|k| k.as_str()).collect();
        assert_eq!(top, HashSet::from(["graph", "metadata"]));
        assert_eq!(v["metadata"], serde_json::json!({"source_kind": "K8s"}));
        let nodes = v["graph"]["nodes"].as_array().unwrap();
        let edges = v["graph"]["edges"].as_array().unwrap();
        assert!(!nodes.is_empty() && !edges.is_empty());
        let mut ids = HashSet::new();
        for n in nodes {
            assert!(ids.insert(n["id"].as_str().unwrap()), "unique: {n}");
            let kinds = n["kinds"].as_array().unwrap();
            assert!((1..=2).contains(&kinds.len()), "room for the source kind");
            assert!(kinds.iter().all(|k| is_kind(k.as_str().unwrap())), "{n}");
            assert!(n["properties"]["name"].is_string());
            for (key, value) in n["properties"].as_object().unwrap() {
                assert_eq!(key, &key.to_lowercase());
                assert!(!value.is_object() && !value.is_null(), "{key}");
            }
        }
        for e in edges {
            for end in ["start", "end"] {
                assert_eq!(e[end]["match_by"], "id");
                assert!(ids.contains(e[end]["value"].as_str().unwrap()), "{e}");
            }
            assert!(is_kind(e["kind"].as_str().unwrap()), "{e}");
            for (key, value) in e["properties"].as_object().unwrap() {
                assert_eq!(key, &key.to_lowercase());
                assert!(!value.is_object() && !value.is_null(), "{key}");
                if let Some(list) = value.as_array() {
                    assert!(list.iter().all(Value::is_string), "homogeneous: {key}");
                }
            }
        }
        let e = edges
            .iter()
            .find(|e| e["kind"] == "K8s_CreateWorkloads")
            .unwrap();
        assert!(e["properties"]["permissions"].is_array(), "{e}");
        assert!(
            e["properties"]["grantedby"][0]
                .as_str()
                .unwrap()
                .contains(" → ")
        );
        assert_eq!(e["properties"]["technique"], "create-workloads");
    }
}
