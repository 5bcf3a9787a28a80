//! Routes to cluster-admin: every identity and pod that can reach
//! cluster-admin-equivalent power through other identities, pods or nodes
//! (`path-to-cluster-admin`), with its shortest route as evidence.
//!
//! Reported once where the route starts: an identity whose route starts by
//! membership of a group is covered by the group's finding, and one that
//! holds a full wildcard itself is a `risky-subject` already. A route that
//! passes through another reported identity or pod is given up to there
//! (`continuesAs`): that one's finding has the rest, so each step is written
//! once however many routes share it. Pure: no I/O.

use foldhash::HashSet;

use petgraph::graph::NodeIndex;

use super::{Code, Finding, FindingScope, Model, Sink};
use crate::access::cut::without_binding;
use crate::access::explain::{FirstBindingCut, Namer, NodeRef, OtherRoute};
use crate::access::graph::AccessGraph;
use crate::access::model::{Edge, Node, Technique};
use crate::access::paths::{Route, Toward};
use crate::rbac::{BindingId, Rbac};
use crate::snapshot::{Kind, ObjectKey};
use crate::template::Severity;

/// Whether a route is reported where it starts: not when it starts by
/// membership of a group (the group's finding covers it), nor when its one
/// step is holding everything (a `risky-subject` already).
fn reported(graph: &AccessGraph, route: &Route) -> bool {
    let first = route
        .steps
        .first()
        .and_then(|s| s.edge)
        .map(|e| graph.edge_at(e).2);
    match first {
        Some(Edge::MemberOf) | None => false,
        Some(Edge::Step(st)) => !(route.steps.len() < 2 && st.how == Technique::HoldsEverything),
        Some(_) => true,
    }
}

/// The first binding of a route that can be removed: the first grant of
/// its steps whose binding is not a bootstrap default.
fn first_binding(graph: &AccessGraph, rbac: &Rbac<'_>, route: &Route) -> Option<BindingId> {
    (route.steps.iter())
        .filter_map(|s| s.edge)
        .find_map(|e| match graph.edge_at(e).2 {
            Edge::Step(st) => (st.grounds.iter())
                .filter_map(|g| g.binding)
                .find(|&b| !rbac.binding(b).default),
            _ => None,
        })
}

/// For each route, what removing its first removable binding does: one
/// search toward cluster-admin without that binding's steps per distinct
/// binding (not per route), each answering every route it starts. Each
/// search walks the whole graph once: the cost is the number of distinct
/// first bindings times one search.
fn first_binding_cuts(
    graph: &AccessGraph,
    rbac: &Rbac<'_>,
    admin: NodeIndex,
    routes: &[Route],
) -> Vec<Option<FirstBindingCut>> {
    let firsts: Vec<Option<BindingId>> = (routes.iter())
        .map(|r| first_binding(graph, rbac, r))
        .collect();
    let mut by_binding: std::collections::BTreeMap<BindingId, Vec<usize>> = Default::default();
    for (i, b) in firsts.iter().enumerate() {
        if let Some(b) = b {
            by_binding.entry(*b).or_default().push(i);
        }
    }
    // Each search is on its own (on every core, a run of bindings each):
    // one search's distances are kept at a time per core.
    let groups: Vec<(BindingId, Vec<usize>)> = by_binding.into_iter().collect();
    let answered = crate::cores::map(&groups, 4, |(b, at)| {
        let toward = without_binding(graph, admin, *b);
        (at.iter())
            .map(|&i| (i, toward.hops(routes[i].from)))
            .collect::<Vec<_>>()
    });
    let mut out: Vec<Option<FirstBindingCut>> = vec![None; routes.len()];
    for ((b, _), hops) in groups.iter().zip(answered) {
        for (i, hops) in hops {
            out[i] = Some(FirstBindingCut {
                binding: rbac.binding(*b).key.clone(),
                closed_by_first_binding: hops.is_none(),
                other_route: hops.map(|h| OtherRoute { hops: h as usize }),
            });
        }
    }
    out
}

/// Adds a `path-to-cluster-admin` finding per identity or pod with a route.
pub fn find(m: &Model<'_, '_, '_, '_>, sink: &mut Sink) {
    let (cx, out) = (m.cx, sink);
    let graph = &cx.access.graph;
    let Some(admin) = graph.find(&Node::ClusterAdmin) else {
        return;
    };
    let toward = Toward::search(graph, admin);
    let namer = Namer {
        rbac: cx.rbac,
        graph,
        pods: &cx.snapshot.pods,
        templates: m.templates,
    };
    let pod_count = cx.snapshot.pods.len();
    // The workload a pod or template source is reported under.
    let workload_of = |source: NodeIndex| match graph.node_at(source) {
        Node::Pod(i) if *i < pod_count => m.pod_unit[*i],
        Node::Pod(i) => m.template_unit.get(*i - pod_count).copied(),
        _ => None,
    };
    let mut routes: Vec<Route> = toward
        .sources(graph, None)
        .into_iter()
        .filter_map(|s| toward.route(graph, s))
        .filter(|r| reported(graph, r))
        .collect();
    // One route per workload, however many replicas: the shortest of its
    // template's and its pods' (the first of equals).
    let mut best: foldhash::HashMap<usize, (usize, usize)> = foldhash::HashMap::default();
    for (at, r) in routes.iter().enumerate() {
        if let Some(w) = workload_of(r.from) {
            let e = best.entry(w).or_insert((at, r.steps.len()));
            if r.steps.len() < e.1 {
                *e = (at, r.steps.len());
            }
        }
    }
    let keep: Vec<bool> = (routes.iter().enumerate())
        .map(|(at, r)| workload_of(r.from).is_none_or(|w| best[&w].0 == at))
        .collect();
    // A route that passes through another reported source is given up to
    // there, and by reference after: that source's finding has the rest.
    let sources: HashSet<NodeIndex> = routes.iter().map(|r| r.from).collect();
    let mut kept = keep.into_iter();
    routes.retain(|_| kept.next().unwrap_or(false));
    let first_cuts = first_binding_cuts(graph, cx.rbac, admin, &routes);
    for (route, first_cut) in routes.iter().zip(first_cuts) {
        let source = route.from;
        let cut = (route.steps.iter().skip(1))
            .position(|s| sources.contains(&s.from))
            .map(|i| i + 1);
        let mut view = namer.route_until(route, &Node::ClusterAdmin, cut);
        view.first_binding = first_cut;
        let workload = workload_of(source).map(|w| &m.workloads[w]);
        let (subject, pod) = match graph.node_at(source) {
            Node::Subject(s) => (Some(s.clone()), None),
            Node::Pod(_) if workload.is_some() => (None, workload.map(|w| w.key())),
            Node::Pod(i) => {
                let m = &cx.snapshot.pods[*i].metadata;
                (
                    None,
                    Some(ObjectKey {
                        kind: Kind::Pod,
                        namespace: m.namespace.clone().unwrap_or_default(),
                        name: m.name.clone().unwrap_or_default(),
                    }),
                )
            }
            _ => continue,
        };
        let from = match workload {
            Some(w) => w.key().to_string(),
            None => view.from.to_string(),
        };
        let mut message = view
            .steps
            .iter()
            .enumerate()
            .map(|(i, s)| format!("{}. {}", i + 1, s.text))
            .collect::<Vec<_>>()
            .join(" ");
        if let Some(c) = &view.continues_as {
            let word = if c.hops == 1 { "step" } else { "steps" };
            message.push_str(&format!(
                " Then as {}: {} more {word} (its own finding).",
                c.from, c.hops
            ));
        }
        if let Some(w) = workload {
            let from_pod = matches!(graph.node_at(source), Node::Pod(i) if *i < pod_count);
            message = match (from_pod, w.pods.is_empty()) {
                (true, _) => format!(
                    "From {} (its pods: {}): {message}",
                    view.from,
                    w.pods.join(", ")
                ),
                (false, true) => format!("No pod running yet: {message}"),
                (false, false) => format!("Its pods: {}. {message}", w.pods.join(", ")),
            };
            view.from = NodeRef::object(&w.key());
        }
        let title = format!("{from} can become cluster-admin in {} steps", view.hops);
        // The pod a route starts from tells it apart, as `extra`.
        let extra = pod.as_ref().map(ToString::to_string).unwrap_or_default();
        let remediation = "Break the route at its first step: remove the permission, binding or token that grants it (see the path's steps), or run `rbacscan paths --from` to see it again after a change.";
        out.push(
            Finding::new(
                Code::PathToClusterAdmin,
                Severity::Critical,
                title,
                message,
                FindingScope::Cluster,
            )
            .subject(subject)
            .fingerprinted(&extra)
            .pod(pod)
            .remediation(remediation)
            .bootstrap_default(view.bootstrap_default)
            .path(view),
        );
    }
}
