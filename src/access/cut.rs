//! The cut that closes every route: the smallest set of grants to remove
//! (whole bindings, or single rules of roles) after which no chosen source
//! reaches the target any more (`paths --cut`), and, for one route, whether
//! removing one binding closes it or another route remains
//! ([`without_binding`]).
//!
//! # The construction
//!
//! A flow network is built from the attack edges of the access graph that
//! lie on some route to the target:
//!
//! - every edge that no removal takes away has infinite capacity: a
//!   membership, the expansion of a capability node, a pod's token, a
//!   node's tokens, an escape to a node, a step granted by no rule, and a
//!   step whose every grant is a bootstrap default (a default binding, or a
//!   default role bound by the attacker itself);
//! - every other step is removable, by its first removable grant (its
//!   [`Unit`]): the grant's binding when that is not a default, else the
//!   rule of the role when the role is not one. A step that needs several
//!   permissions at once (bind with the creation of bindings, a CSR with
//!   its approval) is closed by removing any one of them, so one is enough.
//!   Each unit is one node split in two, `in → out`, of capacity one, and a
//!   step `u → v` removable by unit `k` becomes `u → in(k)` and
//!   `out(k) → v`, both infinite: removing a binding counts once however
//!   many steps, holders and routes it grants;
//! - a super-source leads (infinitely) to every chosen source, and the
//!   target is the sink; toward a target other than cluster-admin,
//!   cluster-admin leads to it (it can do anything).
//!
//! A source that reaches the sink by infinite edges alone has a route no
//! removal closes: it is set apart (*unclosable*) and the cut is worked out
//! for the others. The maximum flow (Dinic's algorithm, from petgraph) is
//! then finite, and the minimum cut is read from the residual graph: the
//! units whose `in` the super-source still reaches and whose `out` it does
//! not.
//!
//! # Alternatives not in the graph, and the check
//!
//! A step records the rule that grants each permission it uses, but not
//! every other rule that would grant it too: a holder bound twice to
//! `create pods` has one step, granted by the first binding. So the cut is
//! checked: the units are taken out of the resolved RBAC (a removed binding
//! grants nothing, a removed rule matches nothing), the graph is built
//! again, and if a chosen source still has a route, the rebuilt graph's
//! edges join the network and the cut is worked out again, until no route
//! is left ([`Outcome::verified`]) or a bound on the rounds is met. Each
//! round adds at least one edge the network lacked, so the rounds end.
//!
//! # Limits
//!
//! The cut is the minimum of the network, which closes every route, but
//! whose minimum may exceed the true smallest set: a step needing several
//! grants is modelled by its first removable one only (removing another
//! would do as well), a unit node is shared by every holder it grants (a
//! route may enter the unit through one holder's step and leave through
//! another's), and a grant held through a binding is removed as the whole
//! binding, not as the rule within its role. Where none of these arise (a
//! unit grants its steps to one holder, every step needs one grant) the
//! cut is exact; the property test below checks the flow against an
//! exhaustive search on such graphs. Pure: no I/O.

use std::collections::VecDeque;
use std::sync::LazyLock;

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use k8s_openapi::api::rbac::v1::PolicyRule;
use petgraph::Direction;
use petgraph::graph::{DiGraph, EdgeIndex, NodeIndex};
use petgraph::visit::EdgeRef;

use super::graph::AccessGraph;
use super::model::{Edge, Node, StepGrant};
use super::paths::Toward;
use crate::rbac::resolve::RoleRefProblem;
use crate::rbac::{BindingId, Rbac, RoleId};

/// One grant to remove.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Unit {
    /// A whole RoleBinding or ClusterRoleBinding.
    Binding(BindingId),
    /// One rule of a role, by index in its effective rules.
    Rule(RoleId, usize),
}

/// The unit that removes `grant`: its binding unless that is a bootstrap
/// default (or there is none: a role bound by the attacker), else its rule
/// unless the role is a default; `None` when both are defaults.
pub fn unit_of_grant(rbac: &Rbac<'_>, grant: &StepGrant) -> Option<Unit> {
    match grant.binding {
        Some(b) if !rbac.binding(b).default => Some(Unit::Binding(b)),
        _ if !rbac.role(grant.role).default => Some(Unit::Rule(grant.role, grant.rule)),
        _ => None,
    }
}

/// The unit whose removal takes away the step of `edge`: its first
/// removable grant. `None` for an edge no removal takes away (see the
/// module's header).
pub fn unit_of(rbac: &Rbac<'_>, edge: &Edge) -> Option<Unit> {
    match edge {
        Edge::Step(st) => st.grounds.iter().find_map(|g| unit_of_grant(rbac, g)),
        _ => None,
    }
}

/// A rule that matches nothing: what a removed rule becomes.
static NOTHING: LazyLock<PolicyRule> = LazyLock::new(PolicyRule::default);

/// `rbac` without `units`: a removed binding references no role (it grants
/// nothing), a removed rule matches nothing. Every index stays the same.
pub fn without<'s>(rbac: &Rbac<'s>, units: &[Unit]) -> Rbac<'s> {
    let mut out = rbac.clone();
    for u in units {
        match *u {
            Unit::Binding(b) => out.bindings[b.0].role = Err(RoleRefProblem::Missing),
            Unit::Rule(r, i) => {
                if let Some(rule) = out.roles[r.0].rules.get_mut(i) {
                    rule.rule = LazyLock::force(&NOTHING);
                }
            }
        }
    }
    out
}

/// What `paths --cut` found, in terms of the first graph's nodes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Outcome {
    /// The grants to remove, in order, each with the sources (of those
    /// asked about) whose routes it lies on.
    pub removals: Vec<(Unit, Vec<NodeIndex>)>,
    /// Sources with a route that no removal closes: left out of the cut.
    pub unclosable: Vec<NodeIndex>,
    /// The graph built again without the removals has no route from the
    /// other sources (false only when the rounds ran out first).
    pub verified: bool,
    /// How many times the cut was worked out.
    pub rounds: usize,
}

/// The most times the cut is worked out again after a check finds a route.
const ROUNDS: usize = 16;

/// Capacity that no cut pays.
const INFINITE: u64 = 1 << 40;

/// The flow network: its first nodes are the first graph's.
#[derive(Debug)]
pub struct Network {
    net: DiGraph<(), u64>,
    /// Nodes of later graphs that the first one lacks.
    extra: HashMap<Node, NodeIndex>,
    /// Each unit's `in` and `out`.
    units: HashMap<Unit, (NodeIndex, NodeIndex)>,
    /// The infinite edges already added.
    seen: HashSet<(NodeIndex, NodeIndex)>,
    super_source: NodeIndex,
    sink: NodeIndex,
}

impl Network {
    /// An empty network over `nodes` nodes (the first graph's) toward
    /// `sink`, one of them.
    pub fn new(nodes: usize, sink: NodeIndex) -> Network {
        let mut net = DiGraph::with_capacity(nodes + 1, nodes);
        for _ in 0..nodes {
            net.add_node(());
        }
        let super_source = net.add_node(());
        Network {
            net,
            extra: HashMap::new(),
            units: HashMap::new(),
            seen: HashSet::new(),
            super_source,
            sink,
        }
    }

    /// A node made for a later graph's node that the first graph lacks.
    fn extra_node(&mut self, node: &Node) -> NodeIndex {
        if let Some(&n) = self.extra.get(node) {
            return n;
        }
        let n = self.net.add_node(());
        self.extra.insert(node.clone(), n);
        n
    }

    fn infinite(&mut self, a: NodeIndex, b: NodeIndex) {
        if a != b && self.seen.insert((a, b)) {
            self.net.add_edge(a, b, INFINITE);
        }
    }

    /// Adds an edge `a → b`, infinite, or removable by `unit`.
    pub fn edge(&mut self, a: NodeIndex, b: NodeIndex, unit: Option<Unit>) {
        match unit {
            None => self.infinite(a, b),
            Some(k) => {
                let (i, o) = match self.units.get(&k) {
                    Some(&io) => io,
                    None => {
                        let i = self.net.add_node(());
                        let o = self.net.add_node(());
                        self.net.add_edge(i, o, 1);
                        self.units.insert(k, (i, o));
                        (i, o)
                    }
                };
                self.infinite(a, i);
                self.infinite(o, b);
            }
        }
    }

    /// Adds the attack edges of `graph` on some route toward `target`
    /// (`toward`), each end mapped to the first graph's node (`first`).
    pub fn add_graph(
        &mut self,
        graph: &AccessGraph,
        first: &AccessGraph,
        toward: &Toward,
        rbac: &Rbac<'_>,
    ) {
        let same = std::ptr::eq(graph, first);
        let mut map: HashMap<NodeIndex, NodeIndex> = HashMap::new();
        let mut at = |net: &mut Network, n: NodeIndex| -> NodeIndex {
            if same {
                return n;
            }
            if let Some(&m) = map.get(&n) {
                return m;
            }
            let node = graph.node_at(n);
            let m = match first.find(node) {
                Some(m) => m,
                None => net.extra_node(node),
            };
            map.insert(n, m);
            m
        };
        for e in graph.graph().edge_references() {
            if e.weight().cost().is_none()
                || toward.hops(e.source()).is_none()
                || toward.hops(e.target()).is_none()
            {
                continue;
            }
            let a = at(self, e.source());
            let b = at(self, e.target());
            self.edge(a, b, unit_of(rbac, e.weight()));
        }
    }

    /// The nodes that reach `to` by infinite edges alone.
    fn reach_by_infinite(&self, to: NodeIndex) -> Vec<bool> {
        let mut seen = vec![false; self.net.node_count()];
        let mut queue = VecDeque::from([to]);
        seen[to.index()] = true;
        while let Some(v) = queue.pop_front() {
            for e in self.net.edges_directed(v, Direction::Incoming) {
                if *e.weight() >= INFINITE && !seen[e.source().index()] {
                    seen[e.source().index()] = true;
                    queue.push_back(e.source());
                }
            }
        }
        seen
    }

    /// The nodes that reach `to` by any edge.
    fn reaching(&self, to: NodeIndex, skip: Option<EdgeIndex>) -> Vec<bool> {
        let mut seen = vec![false; self.net.node_count()];
        let mut queue = VecDeque::from([to]);
        seen[to.index()] = true;
        while let Some(v) = queue.pop_front() {
            for e in self.net.edges_directed(v, Direction::Incoming) {
                if Some(e.id()) != skip && !seen[e.source().index()] {
                    seen[e.source().index()] = true;
                    queue.push_back(e.source());
                }
            }
        }
        seen
    }

    /// The minimum cut between `sources` and the sink: the units to remove
    /// (sorted), each with the sources it lies on the routes of, and the
    /// sources that no cut separates from the sink.
    pub fn min_cut(
        &mut self,
        sources: &[NodeIndex],
    ) -> (Vec<(Unit, Vec<NodeIndex>)>, Vec<NodeIndex>) {
        let infinite = self.reach_by_infinite(self.sink);
        let (unclosable, closable): (Vec<NodeIndex>, Vec<NodeIndex>) = sources
            .iter()
            .partition(|s| infinite.get(s.index()).copied().unwrap_or(false));
        // The super-source's edges of an earlier call are taken away first.
        let mut old: Vec<EdgeIndex> = (self.net.edges(self.super_source))
            .map(|e| e.id())
            .collect();
        // Removing an edge moves the last one into its place: the highest
        // first, so that none still to remove moves. The infinite edges'
        // record holds ends, not indices, so it stands.
        old.sort_unstable_by(|a, b| b.cmp(a));
        for e in old {
            self.net.remove_edge(e);
        }
        self.seen.retain(|(a, _)| *a != self.super_source);
        for &s in &closable {
            self.infinite(self.super_source, s);
        }
        let (_, flows) = petgraph::algo::dinics(&self.net, self.super_source, self.sink);
        // The residual graph: what the super-source still reaches.
        let mut reached = vec![false; self.net.node_count()];
        let mut queue = VecDeque::from([self.super_source]);
        reached[self.super_source.index()] = true;
        while let Some(v) = queue.pop_front() {
            let out = (self.net.edges_directed(v, Direction::Outgoing))
                .filter(|e| flows[e.id().index()] < *e.weight())
                .map(|e| e.target());
            let back = (self.net.edges_directed(v, Direction::Incoming))
                .filter(|e| flows[e.id().index()] > 0)
                .map(|e| e.source());
            let next: Vec<NodeIndex> = out.chain(back).collect();
            for n in next {
                if !reached[n.index()] {
                    reached[n.index()] = true;
                    queue.push_back(n);
                }
            }
        }
        let mut cut: Vec<(Unit, NodeIndex, NodeIndex)> = (self.units.iter())
            .filter(|(_, (i, o))| reached[i.index()] && !reached[o.index()])
            .map(|(k, &(i, o))| (*k, i, o))
            .collect();
        cut.sort();
        let onward = self.reaching(self.sink, None);
        let removals = cut
            .into_iter()
            .map(|(k, i, o)| {
                // The sources with a route through this unit: those that
                // reach its `in`, when its `out` reaches the sink.
                let unit_edge = self.net.find_edge(i, o);
                let before = self.reaching(i, unit_edge);
                let on: Vec<NodeIndex> = (closable.iter().copied())
                    .filter(|s| onward[o.index()] && before[s.index()])
                    .collect();
                (k, on)
            })
            .collect();
        (removals, unclosable)
    }
}

/// The smallest set of grants whose removal closes every route from
/// `sources` (nodes of `graph`) to `target`, checked by building the graph
/// again without them (`rebuild`, from resolved RBAC) until none is left.
pub fn cut<'s>(
    graph: &AccessGraph,
    rbac: &Rbac<'s>,
    target: &Node,
    sources: &[NodeIndex],
    mut rebuild: impl FnMut(&Rbac<'s>) -> AccessGraph,
) -> Outcome {
    let Some(sink) = graph.find(target) else {
        return Outcome {
            verified: true,
            ..Outcome::default()
        };
    };
    let admin = graph.find(&Node::ClusterAdmin);
    let mut net = Network::new(graph.graph().node_count(), sink);
    if let Some(a) = admin.filter(|&a| a != sink) {
        net.edge(a, sink, None);
    }
    net.add_graph(graph, graph, &Toward::search(graph, sink), rbac);
    let mut outcome = Outcome::default();
    for round in 1..=ROUNDS {
        let (removals, unclosable) = net.min_cut(sources);
        let units: Vec<Unit> = removals.iter().map(|(k, _)| *k).collect();
        outcome = Outcome {
            removals,
            unclosable,
            verified: false,
            rounds: round,
        };
        let reduced = without(rbac, &units);
        let again = rebuild(&reduced);
        let Some(t) = again.find(target) else {
            outcome.verified = true;
            break;
        };
        let toward = Toward::search(&again, t);
        let left = (sources.iter())
            .filter(|s| !outcome.unclosable.contains(s))
            .any(|&s| {
                again
                    .find(graph.node_at(s))
                    .is_some_and(|n| toward.hops(n).is_some())
            });
        if !left {
            outcome.verified = true;
            break;
        }
        net.add_graph(&again, graph, &toward, &reduced);
    }
    outcome
}

/// For each route source, the shortest route left when `binding` is
/// removed, as steps: a search toward `target` that skips every step the
/// binding grants (any of its grants: a step needing several is lost with
/// one). Only the grants the graph records are seen, so a step that a
/// second binding grants too counts as lost (`paths --cut` checks by
/// building the graph again).
pub fn without_binding(graph: &AccessGraph, target: NodeIndex, binding: BindingId) -> Toward {
    Toward::search_without(graph, target, |e| match e {
        Edge::Step(st) => st.grounds.iter().any(|g| g.binding == Some(binding)),
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Edges of a test graph: (from, to, the unit that removes it).
    type Edges = Vec<(usize, usize, Option<usize>)>;

    /// A small network: `n` nodes, the sink the last, edges (a, b, unit).
    fn network(n: usize, edges: &[(usize, usize, Option<usize>)]) -> Network {
        let mut net = Network::new(n, NodeIndex::new(n - 1));
        for &(a, b, k) in edges {
            let unit = k.map(|k| Unit::Binding(BindingId(k)));
            net.edge(NodeIndex::new(a), NodeIndex::new(b), unit);
        }
        net
    }

    /// Whether the sink is reached from `sources` without the edges of the
    /// units in `removed` (a bit set).
    fn reached(
        n: usize,
        edges: &[(usize, usize, Option<usize>)],
        sources: &[usize],
        removed: u32,
    ) -> bool {
        let mut seen = vec![false; n];
        let mut queue: VecDeque<usize> = sources.iter().copied().collect();
        for &s in sources {
            seen[s] = true;
        }
        while let Some(v) = queue.pop_front() {
            for &(a, b, k) in edges {
                let gone = k.is_some_and(|k| removed & (1 << k) != 0);
                if a == v && !gone && !seen[b] {
                    seen[b] = true;
                    queue.push_back(b);
                }
            }
        }
        seen[n - 1]
    }

    /// The size of the smallest set of units that closes every route, by
    /// trying every set; `None` when even removing every unit leaves one.
    fn brute_force(
        n: usize,
        edges: &[(usize, usize, Option<usize>)],
        sources: &[usize],
        units: usize,
    ) -> Option<u32> {
        (0..1u32 << units)
            .filter(|&set| !reached(n, edges, sources, set))
            .map(u32::count_ones)
            .min()
    }

    fn cut_of(
        n: usize,
        edges: &[(usize, usize, Option<usize>)],
        sources: &[usize],
    ) -> (Vec<usize>, Vec<usize>) {
        let mut net = network(n, edges);
        let s: Vec<NodeIndex> = sources.iter().map(|&s| NodeIndex::new(s)).collect();
        let (removals, unclosable) = net.min_cut(&s);
        let units = (removals.iter())
            .map(|(k, _)| match k {
                Unit::Binding(b) => b.0,
                Unit::Rule(..) => unreachable!(),
            })
            .collect();
        (units, unclosable.iter().map(|n| n.index()).collect())
    }

    #[test]
    fn two_parallel_grants_are_both_cut() {
        // 0 → 1 by unit 0 or by unit 1; 1 → sink (2) by membership.
        let edges = [(0, 1, Some(0)), (0, 1, Some(1)), (1, 2, None)];
        assert_eq!(cut_of(3, &edges, &[0]), (vec![0, 1], vec![]));
    }

    #[test]
    fn a_detour_is_closed_where_both_routes_meet() {
        // 0 → 1 → 3 and 0 → 2 → 3, each hop its own unit, and then one
        // shared last hop 3 → sink (4): that one is enough.
        let edges = [
            (0, 1, Some(0)),
            (1, 3, Some(1)),
            (0, 2, Some(2)),
            (2, 3, Some(3)),
            (3, 4, Some(4)),
        ];
        assert_eq!(cut_of(5, &edges, &[0]), (vec![4], vec![]));
        // Without the shared hop, one unit on each branch.
        let edges = [
            (0, 1, Some(0)),
            (1, 3, None),
            (0, 2, None),
            (2, 3, Some(3)),
            (3, 4, None),
        ];
        assert_eq!(cut_of(5, &edges, &[0]).0, vec![0, 3]);
    }

    #[test]
    fn a_route_of_structural_steps_alone_cannot_be_cut() {
        let edges = [(0, 1, None), (1, 3, None), (2, 3, Some(0))];
        assert_eq!(cut_of(4, &edges, &[0, 2]), (vec![0], vec![0]));
    }

    #[test]
    fn one_unit_shared_by_many_steps_counts_once() {
        // Unit 0 grants both 0 → 1 and 0 → 2; each leads to the sink.
        let edges = [(0, 1, Some(0)), (0, 2, Some(0)), (1, 3, None), (2, 3, None)];
        assert_eq!(cut_of(4, &edges, &[0]).0, vec![0]);
    }

    #[test]
    fn the_removals_name_the_sources_whose_routes_they_close() {
        let edges = [(0, 2, Some(0)), (1, 2, Some(1)), (2, 3, None)];
        let mut net = network(4, &edges);
        let (removals, _) = net.min_cut(&[NodeIndex::new(0), NodeIndex::new(1)]);
        assert_eq!(
            removals,
            vec![
                (Unit::Binding(BindingId(0)), vec![NodeIndex::new(0)]),
                (Unit::Binding(BindingId(1)), vec![NodeIndex::new(1)]),
            ]
        );
    }

    /// A random graph of `n` nodes whose units each belong to one node:
    /// every edge removable by unit `k` starts at node `owner[k]` (as a
    /// binding's steps start at the one holder it grants), where the
    /// network's minimum is the true one.
    fn graphs() -> impl Strategy<Value = (usize, Edges, Vec<usize>, usize)> {
        (3usize..7, 1usize..6).prop_flat_map(|(n, units)| {
            let owners = proptest::collection::vec(0..n - 1, units);
            let edges =
                proptest::collection::vec((0..n, 0..n, proptest::option::of(0..units)), 1..14);
            let sources = proptest::collection::vec(0..n - 1, 1..3);
            (Just(n), owners, edges, sources, Just(units)).prop_map(
                |(n, owners, edges, sources, units)| {
                    let edges = (edges.into_iter())
                        .map(|(a, b, k)| match k {
                            Some(k) => (owners[k], b, Some(k)),
                            None => (a, b, None),
                        })
                        .filter(|&(a, b, _)| a != b)
                        .collect();
                    (n, edges, sources, units)
                },
            )
        })
    }

    proptest! {
        #[test]
        fn the_minimum_cut_is_the_smallest_set_that_closes_every_route(
            (n, edges, sources, units) in graphs()
        ) {
            let (cut, unclosable) = cut_of(n, &edges, &sources);
            let closable: Vec<usize> = (sources.iter().copied())
                .filter(|s| !unclosable.contains(s))
                .collect();
            // The unclosable sources keep a route with every unit removed;
            // the others have none after the cut, and no smaller set does.
            for &s in &unclosable {
                prop_assert!(reached(n, &edges, &[s], u32::MAX));
            }
            let set = cut.iter().fold(0u32, |acc, &k| acc | (1 << k));
            prop_assert!(!reached(n, &edges, &closable, set));
            let best = if closable.is_empty() { Some(0) } else { brute_force(n, &edges, &closable, units) };
            prop_assert_eq!(Some(cut.len() as u32), best);
        }
    }
}
