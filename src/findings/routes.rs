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
use crate::access::explain::Namer;
use crate::access::graph::AccessGraph;
use crate::access::model::{Edge, Node, Technique};
use crate::access::paths::{Route, Toward};
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
    };
    let routes: Vec<Route> = toward
        .sources(graph, None)
        .into_iter()
        .filter_map(|s| toward.route(graph, s))
        .filter(|r| reported(graph, r))
        .collect();
    // A route that passes through another reported source is given up to
    // there, and by reference after: that source's finding has the rest.
    let sources: HashSet<NodeIndex> = routes.iter().map(|r| r.from).collect();
    for route in &routes {
        let source = route.from;
        let cut = (route.steps.iter().skip(1))
            .position(|s| sources.contains(&s.from))
            .map(|i| i + 1);
        let view = namer.route_until(route, &Node::ClusterAdmin, cut);
        let (subject, pod) = match graph.node_at(source) {
            Node::Subject(s) => (Some(s.clone()), None),
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
        let from = view.from.to_string();
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
