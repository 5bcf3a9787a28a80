//! The access graph: one `petgraph` graph holding who is bound to what and
//! who can become whom.
//!
//! Its nodes are identities (users, groups, ServiceAccounts), bindings,
//! roles, pods, Kubernetes nodes, a few *capability* nodes that stand for a
//! whole namespace ("any pod created in `ci`", "any Secret of `ci`"), and the
//! sink, cluster-admin-equivalent power. Its edges are of two families:
//!
//! - the RBAC index, walked by `who-can`, `access` and the risk analysis:
//!   subject → binding that names it ([`Edge::NamedIn`]), binding → role
//!   ([`Edge::RefersTo`]), identity → implicit group ([`Edge::MemberOf`]);
//! - the attack edges, walked by `paths`: each [`Edge::Step`] says that its
//!   source can gain its target, and carries the permissions and the exact
//!   binding → role → rule that grant it; [`Edge::Then`] edges (free) lead
//!   from a capability node to the concrete objects it stands for.
//!
//! Capability nodes keep the graph linear in the size of the cluster: a
//! subject that may create pods everywhere gets one edge to "new pods in any
//! namespace", not one edge per ServiceAccount of the cluster.
//! How steps are found is in [`super::techniques`]. Pure: no I/O.

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use hashbrown::HashTable;
use hashbrown::hash_table::Entry;
use std::collections::BTreeSet;
use std::hash::BuildHasher;

use petgraph::graph::{DiGraph, EdgeIndex, NodeIndex};
use petgraph::visit::EdgeRef;

mod capabilities;

use super::model::{Edge, Node, Reach, Step};
use super::pod_facts::PodFacts;
use crate::rbac::subjects::MASTERS;
use crate::rbac::{BindingId, Rbac, RoleId, Scope, SubjectId};
use crate::snapshot::pod::service_account_name;
use crate::snapshot::{SERVICE_ACCOUNT_NAME_ANNOTATION, Snapshot};

/// The access graph of a snapshot (by default, empty).
#[derive(Debug, Default)]
pub struct AccessGraph {
    graph: DiGraph<Node, Edge>,
    /// Each node's index, found by the node's hash: a node is kept once, in
    /// the graph (a map from node to index held a second copy of each).
    index: HashTable<NodeIndex>,
    hasher: foldhash::fast::RandomState,
    /// Every namespace the snapshot mentions, sorted.
    namespaces: BTreeSet<String>,
    /// Each group's node, by the group's name: implicit groups are looked
    /// up by name, with no identity built for them.
    groups: HashMap<String, NodeIndex>,
}

impl AccessGraph {
    /// The RBAC index and the capability nodes' expansions, with each pod's
    /// tokens and escape (see [`capabilities`]): the graph before the
    /// techniques' steps are added ([`AccessGraph::add_steps`]) and the
    /// memberships ([`AccessGraph::add_memberships`]).
    pub fn with_capabilities<P: PodFacts>(
        snapshot: &Snapshot,
        rbac: &Rbac<'_>,
        pods: &[P],
    ) -> Self {
        let mut g = Self::rbac_index(snapshot, rbac, pods);
        let expansions = g.expansions(snapshot, pods);
        g.add_expansions(expansions);
        g
    }

    /// Builds the RBAC index alone (no attack edges): enough for `who-can`
    /// and `access`, in a fraction of the time.
    pub fn build_index<P: PodFacts>(snapshot: &Snapshot, rbac: &Rbac<'_>, pods: &[P]) -> Self {
        let mut g = Self::rbac_index(snapshot, rbac, pods);
        g.add_memberships();
        g
    }

    /// The RBAC index alone, with a node for every known ServiceAccount and
    /// no attack edges: what the techniques read. The capability nodes'
    /// expansions ([`AccessGraph::expansions`]) are added after.
    pub fn rbac_index<P: PodFacts>(snapshot: &Snapshot, rbac: &Rbac<'_>, pods: &[P]) -> Self {
        let accounts = known_service_accounts(snapshot, pods);
        // Room for the index and, roughly, the pods' nodes and token edges.
        let nodes = rbac.roles.len() + 2 * rbac.bindings.len() + accounts.len() + pods.len();
        let edges = 3 * rbac.bindings.len() + 3 * pods.len();
        let mut g = AccessGraph {
            graph: DiGraph::with_capacity(nodes, edges),
            index: HashTable::with_capacity(nodes),
            hasher: foldhash::fast::RandomState::default(),
            namespaces: BTreeSet::new(),
            groups: HashMap::new(),
        };
        for i in 0..rbac.roles.len() {
            g.node(Node::Role(RoleId(i)));
        }
        for (i, b) in rbac.bindings.iter().enumerate() {
            let node = g.node(Node::Binding(BindingId(i)));
            if let Ok(role) = b.role {
                let r = g.find(&Node::Role(role)).expect("every role has a node");
                g.graph.add_edge(node, r, Edge::RefersTo);
            }
            for s in &b.subjects {
                let sn = g.node(Node::Subject(s.clone()));
                g.graph.add_edge(sn, node, Edge::NamedIn);
            }
        }
        g.namespaces = namespaces_named(snapshot, rbac, &accounts);
        for sa in accounts {
            g.node(Node::Subject(sa));
        }
        let admin = g.node(Node::ClusterAdmin);
        let masters = g.node(Node::Subject(SubjectId::group(MASTERS)));
        g.graph
            .add_edge(masters, admin, Edge::Then { secret: None });
        g
    }

    /// The node for `node`, added if absent.
    fn node(&mut self, node: Node) -> NodeIndex {
        let (graph, hasher) = (&mut self.graph, &self.hasher);
        let hash = hasher.hash_one(&node);
        let entry = self
            .index
            .entry(hash, |&i| graph[i] == node, |&i| hasher.hash_one(&graph[i]));
        match entry {
            Entry::Occupied(e) => *e.get(),
            Entry::Vacant(e) => *e.insert(added(graph, &mut self.groups, node)).get(),
        }
    }

    /// Adds the steps the techniques found, as (from, to, step), in order.
    pub fn add_steps(&mut self, steps: Vec<(Node, Node, Step)>) {
        for (from, to, step) in steps {
            let from = self.node(from);
            let to = self.node(to);
            self.add_step(from, to, step);
        }
    }

    /// Adds a step edge.
    fn add_step(&mut self, from: NodeIndex, to: NodeIndex, step: Step) {
        self.graph.add_edge(from, to, Edge::Step(Box::new(step)));
    }

    /// The node of the group `name`, if the graph has it.
    fn group(&self, name: &str) -> Option<NodeIndex> {
        self.groups.get(name).copied()
    }

    /// Every namespace the snapshot mentions.
    pub fn namespaces(&self) -> &BTreeSet<String> {
        &self.namespaces
    }

    /// The index of a node, if the graph has it.
    pub fn find(&self, node: &Node) -> Option<NodeIndex> {
        let hash = self.hasher.hash_one(node);
        self.index.find(hash, |&i| self.graph[i] == *node).copied()
    }

    /// The node at `i`.
    pub fn node_at(&self, i: NodeIndex) -> &Node {
        &self.graph[i]
    }

    /// The edge at `e`, with its ends.
    pub fn edge_at(&self, e: EdgeIndex) -> (NodeIndex, NodeIndex, &Edge) {
        let (a, b) = self.graph.edge_endpoints(e).expect("edge of this graph");
        (a, b, &self.graph[e])
    }

    /// The underlying graph, for searches.
    pub fn graph(&self) -> &DiGraph<Node, Edge> {
        &self.graph
    }

    /// Every subject in the graph, sorted.
    pub fn subjects(&self) -> Vec<&SubjectId> {
        let mut v: Vec<&SubjectId> = (self.graph.node_weights())
            .filter_map(|n| match n {
                Node::Subject(s) => Some(s),
                _ => None,
            })
            .collect();
        v.sort();
        v
    }

    /// The subjects the risk analysis evaluates: every ServiceAccount, and
    /// every user and group some binding names (not those that appear only
    /// as the target of an impersonation).
    pub fn bound_subjects(&self) -> Vec<&SubjectId> {
        let mut v: Vec<&SubjectId> = (self.graph.node_indices())
            .filter_map(|i| match &self.graph[i] {
                Node::Subject(s @ SubjectId::ServiceAccount { .. }) => Some(s),
                Node::Subject(s) => self
                    .graph
                    .edges(i)
                    .any(|e| matches!(e.weight(), Edge::NamedIn))
                    .then_some(s),
                _ => None,
            })
            .collect();
        v.sort();
        v
    }

    /// Every binding that applies to `subject`, directly or through its
    /// implicit groups, in binding order. `subject` need not be in the graph.
    pub fn bindings_reaching(&self, subject: &SubjectId) -> Vec<Reach> {
        let mut out = Vec::new();
        let mut named_in = |n: Option<NodeIndex>, via: Option<&String>| {
            let Some(n) = n else {
                return;
            };
            for e in self.graph.edges(n) {
                if let (Edge::NamedIn, Node::Binding(b)) = (e.weight(), &self.graph[e.target()]) {
                    out.push(Reach {
                        binding: *b,
                        via_group: via.cloned(),
                    });
                }
            }
        };
        named_in(self.find(&Node::Subject(subject.clone())), None);
        for g in subject.implicit_groups() {
            named_in(self.group(&g), Some(&g));
        }
        out.sort_by(|a, b| {
            a.binding
                .cmp(&b.binding)
                .then_with(|| a.via_group.cmp(&b.via_group))
        });
        out.dedup_by(|a, b| a.binding == b.binding);
        out
    }

    /// The bindings that reference a role, in binding order.
    pub fn bindings_of(&self, role: RoleId) -> Vec<BindingId> {
        let Some(r) = self.find(&Node::Role(role)) else {
            return Vec::new();
        };
        let mut v: Vec<BindingId> = self
            .graph
            .edges_directed(r, petgraph::Direction::Incoming)
            .filter_map(|e| match (e.weight(), &self.graph[e.source()]) {
                (Edge::RefersTo, Node::Binding(b)) => Some(*b),
                _ => None,
            })
            .collect();
        v.sort();
        v
    }

    /// The subjects a binding names.
    pub fn subjects_of(&self, binding: BindingId) -> Vec<&SubjectId> {
        let Some(b) = self.find(&Node::Binding(binding)) else {
            return Vec::new();
        };
        self.graph
            .neighbors_directed(b, petgraph::Direction::Incoming)
            .filter_map(|n| match &self.graph[n] {
                Node::Subject(s) => Some(s),
                _ => None,
            })
            .collect()
    }

    /// Identity → implicit group, towards groups the graph has.
    pub fn add_memberships(&mut self) {
        let mut members: Vec<(&SubjectId, NodeIndex)> = (self.graph.node_indices())
            .filter_map(|i| match &self.graph[i] {
                Node::Subject(s) => Some((s, i)),
                _ => None,
            })
            .collect();
        members.sort();
        // Looked up on every core, then added in order.
        let groups: Vec<Vec<NodeIndex>> = crate::cores::map(&members, 4096, |(s, _)| {
            (s.implicit_groups().into_iter())
                .filter_map(|g| self.group(&g))
                .collect()
        });
        let edges: Vec<(NodeIndex, Vec<NodeIndex>)> =
            members.into_iter().map(|(_, n)| n).zip(groups).collect();
        for (n, groups) in edges {
            for g in groups {
                self.graph.add_edge(n, g, Edge::MemberOf);
            }
        }
    }
}

/// Adds `node` to `graph`, and a group to `groups` too: every node is
/// added through here.
fn added(
    graph: &mut DiGraph<Node, Edge>,
    groups: &mut HashMap<String, NodeIndex>,
    node: Node,
) -> NodeIndex {
    let group = node.group_name().map(str::to_string);
    let i = graph.add_node(node);
    if let Some(name) = group {
        groups.insert(name, i);
    }
    i
}

/// A set filled from runs of equal items (the replicas of a workload name
/// the same account, one after the other): an item equal to the one
/// before is not hashed again.
struct Distinct<T> {
    set: HashSet<T>,
    last: Option<T>,
}

impl<T: Copy + Eq + std::hash::Hash> Distinct<T> {
    fn with_capacity(capacity: usize) -> Distinct<T> {
        Distinct {
            set: HashSet::with_capacity(capacity),
            last: None,
        }
    }

    fn add(&mut self, item: T) {
        if self.last != Some(item) {
            self.set.insert(item);
            self.last = Some(item);
        }
    }
}

/// Every namespace that bindings, ServiceAccounts, Namespace objects and
/// Roles name: each made a `String` once, however many name it.
fn namespaces_named<'a>(
    snapshot: &'a Snapshot,
    rbac: &'a Rbac<'_>,
    accounts: &'a [SubjectId],
) -> BTreeSet<String> {
    let mut names: Distinct<&'a str> = Distinct::with_capacity(0);
    let mut add = |name: &'a str| names.add(name);
    for b in &rbac.bindings {
        if let Scope::Namespace(ns) = &b.scope {
            add(ns);
        }
    }
    for sa in accounts {
        if let SubjectId::ServiceAccount { namespace, .. } = sa {
            add(namespace);
        }
    }
    for ns in &snapshot.namespaces {
        if let Some(name) = &ns.metadata.name {
            add(name);
        }
    }
    for r in &rbac.roles {
        if !r.key.namespace.is_empty() {
            add(&r.key.namespace);
        }
    }
    names.set.into_iter().map(str::to_string).collect()
}

/// Every ServiceAccount that exists, or that a pod or a legacy token secret
/// names, sorted: each gets a node, so that its group bindings and the
/// routes to it are found.
fn known_service_accounts<'a, P: PodFacts>(
    snapshot: &'a Snapshot,
    pods: &'a [P],
) -> Vec<SubjectId> {
    // Pods name their ServiceAccount many times over: the pairs are made
    // unique before any identity is built, and sorted as the identities
    // would be (namespace, then name).
    fn ns(namespace: Option<&String>) -> &str {
        namespace.map_or("", String::as_str)
    }
    let mut unique: Distinct<(&'a str, &'a str)> =
        Distinct::with_capacity(snapshot.service_accounts.len());
    let mut add = |pair: (&'a str, &'a str)| unique.add(pair);
    (snapshot.service_accounts.iter()).for_each(|s| {
        add((
            ns(s.metadata.namespace.as_ref()),
            s.metadata.name.as_deref().unwrap_or(""),
        ));
    });
    (snapshot.pods.iter())
        .for_each(|p| add((ns(p.metadata.namespace.as_ref()), service_account_name(p))));
    snapshot.secrets.iter().for_each(|s| {
        let name =
            (s.metadata.annotations.as_ref()).and_then(|a| a.get(SERVICE_ACCOUNT_NAME_ANNOTATION));
        if let Some(name) = name {
            add((ns(s.metadata.namespace.as_ref()), name.as_str()));
        }
    });
    pods.iter()
        .flat_map(PodFacts::token_accounts)
        .for_each(&mut add);
    let mut pairs: Vec<(&str, &str)> = unique.set.into_iter().collect();
    pairs.sort_unstable();
    pairs
        .into_iter()
        .map(|(namespace, name)| SubjectId::ServiceAccount {
            namespace: namespace.to_string(),
            name: name.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::model::{PodStep, Technique};
    use crate::source::files::Loader;

    #[test]
    fn a_pods_step_is_made_whole_with_its_pod_and_reason() {
        let edge = Edge::Pod(PodStep {
            how: Technique::EscapeToNode,
            pod: 7,
            because: Some("privileged-container: privileged: true".into()),
        });
        let whole = Step {
            pod: Some(7),
            because: Some("privileged-container: privileged: true".into()),
            ..Step::implicit(Technique::EscapeToNode)
        };
        assert_eq!(edge.step().as_deref(), Some(&whole));
        // It costs what the step it stands for costs.
        let boxed = Edge::Step(Box::new(whole));
        assert_eq!(edge.cost(), boxed.cost());
        assert!(matches!(boxed.step(), Some(std::borrow::Cow::Borrowed(_))));
        assert!(Edge::Then { secret: None }.step().is_none());
        assert!(Edge::MemberOf.step().is_none());
    }

    #[test]
    fn bindings_reach_service_accounts_directly_and_through_implicit_groups() {
        let yaml = r#"
apiVersion: v1
kind: List
items:
- {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: r}, rules: []}
- {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: all-sa}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}, subjects: [{kind: Group, name: "system:serviceaccounts"}]}
- {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: ns-sa}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}, subjects: [{kind: Group, name: "system:serviceaccounts:shop"}]}
- {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: other-ns}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}, subjects: [{kind: Group, name: "system:serviceaccounts:dev"}]}
- {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: authn}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}, subjects: [{kind: Group, name: "system:authenticated"}]}
- {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: unauthn}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}, subjects: [{kind: Group, name: "system:unauthenticated"}]}
- {apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: direct, namespace: shop}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}, subjects: [{kind: ServiceAccount, name: checkout}]}
- {apiVersion: v1, kind: ServiceAccount, metadata: {name: checkout, namespace: shop}}
"#;
        let mut l = Loader::new();
        l.add_text("t.yaml", yaml).unwrap();
        let snap = l.finish().unwrap().snapshot;
        let rbac = Rbac::resolve(&snap);
        let sa = SubjectId::ServiceAccount {
            namespace: "shop".into(),
            name: "checkout".into(),
        };
        let graph = AccessGraph::build_index(&snap, &rbac, crate::access::pod_facts::NO_PODS);
        let names: Vec<&str> = graph
            .bindings_reaching(&sa)
            .iter()
            .map(|r| rbac.binding(r.binding).key.name.as_str())
            .collect();
        assert_eq!(names, ["all-sa", "authn", "ns-sa", "direct"]);
        let anon = SubjectId::User {
            name: "system:anonymous".into(),
        };

        // Named by no binding: reached through its implicit group alone.
        let names: Vec<&str> = graph
            .bindings_reaching(&anon)
            .iter()
            .map(|r| rbac.binding(r.binding).key.name.as_str())
            .collect();
        assert_eq!(names, ["unauthn"]);
    }

    #[test]
    fn the_graph_walks_from_roles_back_to_bindings_and_subjects() {
        let yaml = r#"
apiVersion: v1
kind: List
items:
- {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: r}, rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]}
- {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: a}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}, subjects: [{kind: User, name: u1}, {kind: Group, name: g}]}
- {apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: b, namespace: ns}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}, subjects: [{kind: ServiceAccount, name: s}]}
"#;
        let mut l = Loader::new();
        l.add_text("t.yaml", yaml).unwrap();
        let snap = l.finish().unwrap().snapshot;
        let rbac = Rbac::resolve(&snap);
        let graph = AccessGraph::build_index(&snap, &rbac, crate::access::pod_facts::NO_PODS);
        let role = rbac.role_id(&rbac.role(RoleId(0)).key).unwrap();
        let bindings: Vec<&str> = graph
            .bindings_of(role)
            .into_iter()
            .map(|b| rbac.binding(b).key.name.as_str())
            .collect();
        assert_eq!(bindings, ["a", "b"]);
        let mut subjects: Vec<String> = graph
            .subjects_of(BindingId(0))
            .into_iter()
            .map(ToString::to_string)
            .collect();
        subjects.sort();
        assert_eq!(subjects, ["Group g", "User u1"]);
        assert!(graph.namespaces().contains("ns"));
        // The index has no attack edge; the full graph adds them.
        let index_edges = graph.graph().edge_count();
        let full = crate::access::build_graph(&snap, &rbac, crate::access::pod_facts::NO_PODS);
        assert!(full.graph().edge_count() > index_edges);
        assert!(full.find(&Node::ClusterAdmin).is_some());
    }
}
