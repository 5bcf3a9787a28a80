//! Routes to cluster-admin: every identity and pod that can reach
//! cluster-admin-equivalent power through other identities, pods or nodes
//! (`path-to-cluster-admin`), with its shortest route as evidence.
//!
//! Reported once where the route starts: an identity whose route starts by
//! membership of a group is covered by the group's finding, and one that
//! holds a full wildcard itself is a `risky-subject` already. Pure: no I/O.

use super::{Code, Finding, FindingScope, Model, Sink};
use crate::access::explain::Namer;
use crate::access::graph::{Node, Technique};
use crate::access::paths::Toward;
use crate::snapshot::{Kind, ObjectKey};
use crate::template::Severity;

/// Adds a `path-to-cluster-admin` finding per identity or pod with a route.
pub fn find(m: &Model<'_, '_, '_, '_>, sink: &mut Sink) {
    let (cx, out) = (m.cx, &mut sink.findings);
    let graph = &cx.access.graph;
    let Some(admin) = graph.find(&Node::ClusterAdmin) else {
        return;
    };
    let toward = Toward::search(graph, admin);
    let namer = Namer {
        rbac: cx.rbac,
        graph,
        exposures: cx.exposures,
    };
    for source in toward.sources(graph, None) {
        let Some(route) = toward.route(graph, source) else {
            continue;
        };
        let view = namer.route(&route, &Node::ClusterAdmin);
        let first = view.steps.first().map(|s| s.kind);
        if view.hops < 2 && first == Some(Technique::HoldsEverything) {
            continue;
        }
        if first == Some(Technique::MemberOf) {
            continue;
        }
        let (subject, pod) = match graph.node_at(source) {
            Node::Subject(s) => (Some(s.clone()), None),
            Node::Pod(i) => {
                let m = &cx.exposures[*i].pod.metadata;
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
        let message = view
            .steps
            .iter()
            .enumerate()
            .map(|(i, s)| format!("{}. {}", i + 1, s.text))
            .collect::<Vec<_>>()
            .join(" ");
        let fingerprint = Finding::fingerprint_of(
            Code::PathToClusterAdmin,
            None,
            subject.as_ref(),
            None,
            None,
            &pod.as_ref().map(ToString::to_string).unwrap_or_default(),
        );
        out.push(Finding {
            code: Code::PathToClusterAdmin,
            rule: None,
            severity: Severity::Critical,
            fingerprint,
            title: format!("{from} can become cluster-admin in {} steps", view.hops),
            subject,
            binding: None,
            role: None,
            pod,
            scope: FindingScope::Cluster,
            resource_names: None,
            message,
            remediation: Some("Break the route at its first step: remove the permission, binding or token that grants it (see the path's steps), or run `rbacscan paths --from` to see it again after a change.".into()),
            bootstrap_default: view.bootstrap_default,
            evidence: Vec::new(),
            rated_by: Vec::new(),
            path: Some(Box::new(view)),
            rule_order: 0,
        });
    }
}
