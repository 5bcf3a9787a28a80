//! The routes `paths` answers, as one attack graph for the tools security
//! teams explore with: typed nodes with stable ids, typed edges, flat
//! properties. [`super::opengraph`] writes it as BloodHound OpenGraph
//! JSON, [`super::cypher`] as a Neo4j Cypher script; both write the same
//! graph.
//!
//! Like the DOT and Mermaid exports, this decides nothing: every node and
//! edge is a step of a route the answer lists, its properties what the
//! answer says of the step. A node or edge met in several routes is one.
//!
//! Kinds are `K8s_` and a PascalCase name: the node kinds `K8s_User`,
//! `K8s_Group`, `K8s_ServiceAccount`, `K8s_Pod`, `K8s_Node`, `K8s_Role`,
//! `K8s_ClusterRole`, `K8s_ClusterAdmin` and, for what stands for a
//! namespace's objects, `K8s_NewPods`, `K8s_Pods`, `K8s_Secrets`,
//! `K8s_ServiceAccounts`; the edge kinds the step's technique
//! (`create-workloads` is `K8s_CreateWorkloads`). Every kind matches
//! [`is_kind`], which OpenGraph requires of edge kinds and Cypher of a
//! label written without backticks.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use crate::access::explain::{NodeRef, PathsView, StepView};

/// What every kind starts with.
pub const KIND_PREFIX: &str = "K8s_";

/// The source kind: OpenGraph's `metadata.source_kind`, which BloodHound
/// adds to every node's kinds, and the label every node of the Cypher
/// script carries.
pub const SOURCE_KIND: &str = "K8s";

/// A property's value: a primitive or a list of strings, as OpenGraph
/// allows (no nested objects, homogeneous lists).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(untagged)]
pub enum Prop {
    /// A string.
    Text(String),
    /// A list of strings.
    List(Vec<String>),
    /// A boolean.
    Flag(bool),
}

/// Properties by name, in name order. Names are lower-case ASCII letters,
/// as OpenGraph asks.
pub type Props = BTreeMap<&'static str, Prop>;

/// A node.
#[derive(Debug, Clone, PartialEq)]
pub struct AttackNode {
    /// Stable and unique: `k8s:ServiceAccount:ci/deployer`.
    pub id: String,
    /// The kind: `K8s_ServiceAccount`.
    pub kind: String,
    /// Its properties.
    pub properties: Props,
}

/// An edge: one step of a route.
#[derive(Debug, Clone, PartialEq)]
pub struct AttackEdge {
    /// Where it starts (an index into [`AttackGraph::nodes`]).
    pub start: usize,
    /// What it reaches (an index into [`AttackGraph::nodes`]).
    pub end: usize,
    /// The kind: `K8s_CreateWorkloads`.
    pub kind: String,
    /// Its properties.
    pub properties: Props,
}

/// The routes of one answer as one graph.
#[derive(Debug, Default)]
pub struct AttackGraph {
    /// The nodes, in the order the routes meet them.
    pub nodes: Vec<AttackNode>,
    /// The edges, in the order the routes take them.
    pub edges: Vec<AttackEdge>,
}

/// Whether `kind` is a kind every tool here accepts: ASCII letters,
/// digits and `_`, starting with a letter (OpenGraph requires
/// `^[A-Za-z0-9_]+$` of edge kinds; Cypher needs the letter first for a
/// label or type written without backticks).
pub fn is_kind(kind: &str) -> bool {
    kind.starts_with(|c: char| c.is_ascii_alphabetic())
        && kind.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Whether `name` is a property name as OpenGraph asks (lower case) that
/// Cypher takes without backticks.
pub fn is_property_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase())
}

/// `k8s:Kind:...` part of an id: `%`, `/` and `@` written `%25`, `%2F`
/// and `%40`, so that no name can reach into the next part.
fn id_part(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '%' => s.push_str("%25"),
            '/' => s.push_str("%2F"),
            '@' => s.push_str("%40"),
            c => s.push(c),
        }
    }
    s
}

/// The kind of a node or edge: `K8s_` and `name`'s letters and digits,
/// each word's first letter upper-cased (`create-workloads` is
/// `K8s_CreateWorkloads`, `ServiceAccount` stays `K8s_ServiceAccount`).
fn kind_of(name: &str) -> String {
    let mut k = String::from(KIND_PREFIX);
    let mut upper = true;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            k.push(if upper { c.to_ascii_uppercase() } else { c });
            upper = false;
        } else {
            upper = true;
        }
    }
    k
}

/// The stable id of a node. Users and groups, which are never in a
/// namespace, are `k8s:User:NAME` with the name as it is (an e-mail
/// address stays readable); every other kind has each part escaped (see
/// [`id_part`]): `k8s:ServiceAccount:NS/NAME`, `k8s:Node:NAME`,
/// `k8s:ClusterRole:NAME@NS` for a role bound in a namespace
/// (`@cluster-wide` for one bound cluster-wide), `k8s:Secrets:NS/*`,
/// `k8s:Secrets:*` for every namespace's.
pub fn node_id(r: &NodeRef) -> String {
    let mut id = format!("k8s:{}:", r.kind);
    match (r.kind, &r.namespace, &r.bound_in) {
        ("User" | "Group", None, None) => id.push_str(&r.name),
        _ => {
            if let Some(ns) = &r.namespace {
                id.push_str(&id_part(ns));
                id.push('/');
            }
            id.push_str(&id_part(&r.name));
            if let Some(b) = &r.bound_in {
                id.push('@');
                id.push_str(&id_part(b));
            }
        }
    }
    id
}

fn node_properties(r: &NodeRef) -> Props {
    let mut p = Props::new();
    p.insert("name", Prop::Text(r.to_string()));
    p.insert("objectkind", Prop::Text(r.kind.to_string()));
    p.insert("objectname", Prop::Text(r.name.clone()));
    if let Some(ns) = &r.namespace {
        p.insert("namespace", Prop::Text(ns.clone()));
    }
    if let Some(b) = &r.bound_in {
        p.insert("boundin", Prop::Text(b.clone()));
    }
    p
}

fn edge_properties(s: &StepView) -> Props {
    let mut p = Props::new();
    p.insert("technique", Prop::Text(s.kind.as_str().to_string()));
    p.insert("description", Prop::Text(s.text.clone()));
    if !s.permissions.is_empty() {
        p.insert("permissions", Prop::List(s.permissions.clone()));
    }
    if let Some(ns) = &s.namespace {
        p.insert("namespace", Prop::Text(ns.clone()));
    }
    if !s.granted_by.is_empty() {
        let mut chains: Vec<String> = Vec::new();
        for c in s.granted_by.iter().map(|g| g.chain()) {
            if !chains.contains(&c) {
                chains.push(c);
            }
        }
        p.insert("grantedby", Prop::List(chains));
    }
    if let Some(b) = &s.because {
        p.insert("because", Prop::Text(b.clone()));
    }
    if let Some(pod) = &s.pod {
        p.insert("pod", Prop::Text(pod.to_string()));
    }
    if let Some(secret) = &s.secret {
        p.insert("secret", Prop::Text(secret.clone()));
    }
    p
}

impl AttackGraph {
    /// Every route of `view` as one graph: each step an edge between its
    /// two ends, a node or edge met again not added twice (an edge is the
    /// same when its ends, kind and properties are). The node a route
    /// starts from has `startsroute`.
    pub fn of(view: &PathsView) -> AttackGraph {
        let mut g = AttackGraph::default();
        let mut ids: HashMap<String, usize> = HashMap::new();
        let mut seen: HashSet<(usize, usize, String, Props)> = HashSet::new();
        for p in &view.paths {
            let from = g.node(&mut ids, &p.from);
            (g.nodes[from].properties).insert("startsroute", Prop::Flag(true));
            for s in &p.steps {
                let start = g.node(&mut ids, &s.from);
                let end = g.node(&mut ids, &s.to);
                let edge = AttackEdge {
                    start,
                    end,
                    kind: kind_of(s.kind.as_str()),
                    properties: edge_properties(s),
                };
                if seen.insert((start, end, edge.kind.clone(), edge.properties.clone())) {
                    g.edges.push(edge);
                }
            }
        }
        g
    }

    fn node(&mut self, ids: &mut HashMap<String, usize>, r: &NodeRef) -> usize {
        let id = node_id(r);
        if let Some(&i) = ids.get(&id) {
            return i;
        }
        self.nodes.push(AttackNode {
            id: id.clone(),
            kind: kind_of(r.kind),
            properties: node_properties(r),
        });
        ids.insert(id, self.nodes.len() - 1);
        self.nodes.len() - 1
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::access::explain::PathsView;
    use crate::access::query::Endpoint;
    use crate::ask::{Answered, Ask, answer};

    /// Every route of the demo to cluster-admin, defaults included.
    pub fn demo_routes() -> PathsView {
        let mut snap = crate::source::demo::load().unwrap().snapshot;
        let ask = Ask::Paths {
            from: None,
            to: Endpoint::ClusterAdmin,
            max_hops: None,
            include_defaults: true,
            platforms: Vec::new(),
            operators: crate::operators::Catalog::builtin(),
            cut: false,
        };
        match answer(&mut snap, &ask).unwrap() {
            Answered::Paths(v) => v,
            _ => panic!("not paths"),
        }
    }

    fn node(kind: &'static str, name: &str, ns: Option<&str>, bound: Option<&str>) -> NodeRef {
        NodeRef {
            kind,
            name: name.into(),
            namespace: ns.map(String::from),
            bound_in: bound.map(String::from),
        }
    }

    #[test]
    fn kinds_are_prefixed_pascal_case_identifiers() {
        assert_eq!(kind_of("create-workloads"), "K8s_CreateWorkloads");
        assert_eq!(kind_of("approve-csr"), "K8s_ApproveCsr");
        assert_eq!(kind_of("ServiceAccount"), "K8s_ServiceAccount");
        for t in crate::access::model::Technique::ALL {
            assert!(is_kind(&kind_of(t.as_str())), "{t:?}");
        }
        assert!(!is_kind("K8s-x") && !is_kind("1x") && !is_kind("") && !is_kind("a`b"));
    }

    #[test]
    fn ids_are_readable_and_no_name_reaches_into_another_part() {
        let sa = node("ServiceAccount", "deployer", Some("ci"), None);
        assert_eq!(node_id(&sa), "k8s:ServiceAccount:ci/deployer");
        let user = node("User", "alice@example.com", None, None);
        assert_eq!(node_id(&user), "k8s:User:alice@example.com");
        let bound = node("ClusterRole", "edit", None, Some("shop"));
        assert_eq!(node_id(&bound), "k8s:ClusterRole:edit@shop");
        let secrets = node("Secrets", "*", None, None);
        assert_eq!(node_id(&secrets), "k8s:Secrets:*");
        // Names that would read as another object's id if written as they are.
        let pairs = [
            (
                node("Pod", "c", Some("a/b"), None),
                node("Pod", "b/c", Some("a"), None),
            ),
            (
                node("ClusterRole", "edit@shop", None, None),
                node("ClusterRole", "edit", None, Some("shop")),
            ),
            (
                node("Role", "x%2Fy", Some("n"), None),
                node("Role", "x/y", Some("n"), None),
            ),
        ];
        for (a, b) in pairs {
            assert_ne!(node_id(&a), node_id(&b), "{a:?} {b:?}");
        }
    }

    #[test]
    fn the_demo_routes_are_one_graph_with_unique_ids_and_edges_between_its_nodes() {
        let view = demo_routes();
        assert!(!view.paths.is_empty());
        let g = AttackGraph::of(&view);
        let ids: HashSet<&str> = g.nodes.iter().map(|n| n.id.as_str()).collect();
        assert_eq!(ids.len(), g.nodes.len(), "unique ids");
        assert!(
            g.edges
                .iter()
                .all(|e| e.start < g.nodes.len() && e.end < g.nodes.len())
        );
        let steps: usize = view.paths.iter().map(|p| p.steps.len()).sum();
        assert!(g.edges.len() < steps, "routes share steps: one edge each");
        for n in &g.nodes {
            assert!(is_kind(&n.kind), "{}", n.kind);
            assert!(n.properties.keys().all(|k| is_property_name(k)));
        }
        for e in &g.edges {
            assert!(is_kind(&e.kind), "{}", e.kind);
            assert!(e.properties.keys().all(|k| is_property_name(k)));
        }
        assert!(g.nodes.iter().any(|n| n.kind == "K8s_ClusterAdmin"));
        for p in &view.paths {
            let from = &g.nodes[g
                .nodes
                .iter()
                .position(|n| n.id == node_id(&p.from))
                .unwrap()];
            assert_eq!(from.properties.get("startsroute"), Some(&Prop::Flag(true)));
        }
    }
}
