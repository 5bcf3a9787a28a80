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

/// The most nodes one first-binding search looks at: past it, the route's
/// `firstBinding` is left out rather than the scan slowed down.
const FIRST_BINDING_BUDGET: usize = 20_000;

/// For each route, what removing its first removable binding does: a
/// forward search from its source without that binding's steps, guided by
/// `toward`'s distances ([`Toward::hops_without`]), which looks at few
/// nodes when a route is left and at the source's reach when none is.
/// `None` for a route with no removable binding, or whose search needed
/// more than [`FIRST_BINDING_BUDGET`] nodes.
fn first_binding_cuts(
    graph: &AccessGraph,
    rbac: &Rbac<'_>,
    toward: &Toward,
    routes: &[Route],
) -> Vec<Option<FirstBindingCut>> {
    crate::cores::map(routes, 64, |r| {
        let b = first_binding(graph, rbac, r)?;
        let absent = |e: &Edge| match e {
            Edge::Step(st) => st.grounds.iter().any(|g| g.binding == Some(b)),
            _ => false,
        };
        let hops = toward.hops_without(graph, r.from, absent, FIRST_BINDING_BUDGET)?;
        Some(FirstBindingCut {
            binding: rbac.binding(b).key.clone(),
            closed_by_first_binding: hops.is_none(),
            other_route: hops.map(|h| OtherRoute { hops: h as usize }),
        })
    })
}

/// Adds a `path-to-cluster-admin` finding per identity or pod with a route.
pub fn find(m: &Model<'_, '_, '_, '_>, graph: &AccessGraph, sink: &mut Sink) {
    let (cx, out) = (m.cx, sink);
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
    let first_cuts = first_binding_cuts(graph, cx.rbac, &toward, &routes);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::cut::without_binding;
    use crate::rbac::BindingId;

    /// The guided forward search gives what a whole backward search without
    /// the binding gives, for every source and binding of the demo, to
    /// cluster-admin and to a ServiceAccount.
    #[test]
    fn the_guided_search_agrees_with_a_whole_search_without_the_binding() {
        let mut snap = crate::source::demo::load().unwrap().snapshot;
        let workloads = snap.take_workloads();
        let exposures = crate::workloads::exposure::expose(&snap, &workloads);
        let rbac = crate::rbac::Rbac::resolve(&snap);
        let graph = crate::access::build_graph(&snap, &rbac, &exposures);
        let admin = graph.find(&Node::ClusterAdmin).unwrap();
        let deployer = graph
            .find(&Node::Subject(crate::rbac::SubjectId::ServiceAccount {
                namespace: "ci".into(),
                name: "deployer".into(),
            }))
            .unwrap();
        let mut compared = 0;
        for target in [admin, deployer] {
            let toward = Toward::search(&graph, target);
            let sources = toward.sources(&graph, None);
            for b in (0..rbac.bindings.len()).map(BindingId) {
                let whole = without_binding(&graph, target, b);
                for &s in &sources {
                    let absent = |e: &Edge| match e {
                        Edge::Step(st) => st.grounds.iter().any(|g| g.binding == Some(b)),
                        _ => false,
                    };
                    let guided = toward.hops_without(&graph, s, absent, usize::MAX);
                    assert_eq!(guided, Some(whole.hops(s)), "binding {b:?}, source {s:?}");
                    compared += 1;
                }
            }
        }
        assert!(compared > 100, "{compared}");
    }
}
