//! Routes to a target through the attack edges of the access graph.
//!
//! One backward search from the target (a 0-1 breadth-first search: steps
//! and memberships cost one, the expansion of a capability node nothing)
//! gives every node its distance and its next edge toward the target, so
//! every source's shortest route is read off without a search per source.
//! Ties are broken by edge order, which follows the snapshot's order: the
//! same input gives the same routes. Pure: no I/O.

use std::collections::VecDeque;

use petgraph::Direction;
use petgraph::graph::{EdgeIndex, NodeIndex};
use petgraph::visit::EdgeRef;

use super::graph::AccessGraph;
use super::model::{Edge, Node};
use crate::rbac::SubjectId;
use crate::rbac::subjects::MASTERS;

/// One step of a route: the edge that costs, from where to where, after
/// following the free edges of any capability node it leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteStep {
    /// The step's edge; `None` for the final "cluster-admin can do
    /// anything" step toward a target other than cluster-admin.
    pub edge: Option<EdgeIndex>,
    /// Where it starts.
    pub from: NodeIndex,
    /// What it reaches: the most concrete node on its way.
    pub to: NodeIndex,
    /// The legacy token Secret it goes through, if any.
    pub secret: Option<String>,
}

/// A route from a source to the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The source.
    pub from: NodeIndex,
    /// Its steps, in order.
    pub steps: Vec<RouteStep>,
}

/// Distances to one target, from every node.
#[derive(Debug)]
pub struct Toward {
    target: NodeIndex,
    admin: NodeIndex,
    dist: Vec<u32>,
    next: Vec<Option<EdgeIndex>>,
}

const FAR: u32 = u32::MAX;

/// Whether a node is a capability node (stands for many objects).
pub fn is_capability(node: &Node) -> bool {
    matches!(
        node,
        Node::AnyHost
            | Node::NewPods(_)
            | Node::Pods(_)
            | Node::Secrets(_)
            | Node::ServiceAccounts(_)
    )
}

/// Whether a node is listed as the source of a route: an identity or a pod.
pub fn is_source(node: &Node) -> bool {
    matches!(node, Node::Subject(_) | Node::Pod(_))
}

impl Toward {
    /// Searches backward from `target`. Cluster-admin-equivalent power
    /// reaches every target, so toward another target it starts at
    /// distance one.
    pub fn search(graph: &AccessGraph, target: NodeIndex) -> Toward {
        Self::search_without(graph, target, |_| false)
    }

    /// Searches backward from `target` as [`Toward::search`] does, as if
    /// the edges for which `absent` holds were not there.
    pub fn search_without(
        graph: &AccessGraph,
        target: NodeIndex,
        absent: impl Fn(&Edge) -> bool,
    ) -> Toward {
        let g = graph.graph();
        let admin = graph
            .find(&Node::ClusterAdmin)
            .expect("the graph always has the cluster-admin node");
        let mut dist = vec![FAR; g.node_count()];
        let mut next = vec![None; g.node_count()];
        let mut queue = VecDeque::new();
        dist[target.index()] = 0;
        queue.push_back(target);
        if admin != target {
            dist[admin.index()] = 1;
            queue.push_back(admin);
        }
        while let Some(v) = queue.pop_front() {
            let d = dist[v.index()];
            for e in g.edges_directed(v, Direction::Incoming) {
                let Some(cost) = e.weight().cost() else {
                    continue;
                };
                if absent(e.weight()) {
                    continue;
                }
                let u = e.source();
                if d + cost < dist[u.index()] {
                    dist[u.index()] = d + cost;
                    next[u.index()] = Some(e.id());
                    if cost == 0 {
                        queue.push_front(u);
                    } else {
                        queue.push_back(u);
                    }
                }
            }
        }
        Toward {
            target,
            admin,
            dist,
            next,
        }
    }

    /// The number of steps from `from`, if it has a route.
    pub fn hops(&self, from: NodeIndex) -> Option<u32> {
        Some(self.dist[from.index()]).filter(|&d| d != FAR)
    }

    /// The number of steps from `from` to the target if the edges for
    /// which `absent` holds were not there: `Some(None)` when no route is
    /// left, `None` when the answer needs more than `budget` nodes looked at.
    ///
    /// A forward A* search from `from`, guided by this search's distances:
    /// taking edges away only lengthens routes, so they never overestimate
    /// and are consistent (each edge's cost covers the drop in distance),
    /// and the first time the target is taken from the queue its distance
    /// is the shortest. A node this search cannot reach is never looked at.
    pub fn hops_without(
        &self,
        graph: &AccessGraph,
        from: NodeIndex,
        absent: impl Fn(&Edge) -> bool,
        budget: usize,
    ) -> Option<Option<u32>> {
        use std::cmp::Reverse;
        use std::collections::BinaryHeap;
        let g = graph.graph();
        let h = |n: NodeIndex| self.dist[n.index()];
        if h(from) == FAR {
            return Some(None);
        }
        let mut best: foldhash::HashMap<NodeIndex, u32> = foldhash::HashMap::default();
        let mut open = BinaryHeap::new();
        best.insert(from, 0);
        open.push(Reverse((h(from), 0u32, from)));
        let mut looked = 0usize;
        while let Some(Reverse((_, d, u))) = open.pop() {
            if best.get(&u).is_some_and(|&b| b < d) {
                continue;
            }
            if u == self.target {
                return Some(Some(d));
            }
            // Toward another target, cluster-admin is one step from it.
            if u == self.admin && self.admin != self.target {
                let through = d + 1;
                if best.get(&self.target).is_none_or(|&b| through < b) {
                    best.insert(self.target, through);
                    open.push(Reverse((through, through, self.target)));
                }
            }
            looked += 1;
            if looked > budget {
                return None;
            }
            for e in g.edges_directed(u, Direction::Outgoing) {
                let Some(cost) = e.weight().cost() else {
                    continue;
                };
                let v = e.target();
                if h(v) == FAR || absent(e.weight()) {
                    continue;
                }
                let dv = d + cost;
                if best.get(&v).is_none_or(|&b| dv < b) {
                    best.insert(v, dv);
                    open.push(Reverse((dv + h(v), dv, v)));
                }
            }
        }
        Some(None)
    }

    /// The shortest route from `from`, if any.
    pub fn route(&self, graph: &AccessGraph, from: NodeIndex) -> Option<Route> {
        self.hops(from)?;
        let mut steps: Vec<RouteStep> = Vec::new();
        let mut cur = from;
        while cur != self.target {
            let Some(e) = self.next[cur.index()] else {
                debug_assert_eq!(cur, self.admin);
                let start = steps.last().map_or(from, |s| s.to);
                steps.push(RouteStep {
                    edge: None,
                    from: start,
                    to: self.target,
                    secret: None,
                });
                break;
            };
            let (a, b, edge) = graph.edge_at(e);
            match edge {
                Edge::Then { secret } => {
                    if let Some(last) = steps.last_mut()
                        && is_capability(graph.node_at(last.to))
                    {
                        last.to = b;
                        if secret.is_some() {
                            last.secret.clone_from(secret);
                        }
                    }
                }
                _ => steps.push(RouteStep {
                    edge: Some(e),
                    from: a,
                    to: b,
                    secret: None,
                }),
            }
            cur = b;
        }
        Some(Route { from, steps })
    }

    /// Every identity and pod with a route, shortest first, then in node
    /// order, with at most `max_hops` steps. The target itself and the
    /// group `system:masters` (when the target is cluster-admin) are not
    /// sources.
    pub fn sources(&self, graph: &AccessGraph, max_hops: Option<u32>) -> Vec<NodeIndex> {
        let mut v: Vec<NodeIndex> = graph
            .graph()
            .node_indices()
            .filter(|&n| n != self.target && is_source(graph.node_at(n)))
            .filter(|&n| {
                self.hops(n)
                    .is_some_and(|h| h > 0 && max_hops.is_none_or(|m| h <= m))
            })
            .collect();
        v.sort_by(|a, b| {
            self.dist[a.index()]
                .cmp(&self.dist[b.index()])
                .then_with(|| graph.node_at(*a).cmp(graph.node_at(*b)))
        });
        v
    }
}

/// The node of `system:masters`, which the graph always has.
pub fn masters(graph: &AccessGraph) -> NodeIndex {
    graph
        .find(&Node::Subject(SubjectId::group(MASTERS)))
        .expect("the graph always has system:masters")
}
