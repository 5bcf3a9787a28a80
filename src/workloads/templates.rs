//! The pods to come: each workload controller's template made the pod it
//! would create, so that its tokens and amplifiers are worked out by the
//! same rules as a running pod's (automount, projected tokens, legacy
//! token Secrets, escapes), and the nodes it may land on (see
//! [`super::placement`]).
//!
//! With no Node object in the input, the nodes named by the pods stand for
//! the cluster's, with their labels and taints unknown (see
//! [`Nodes::from_pods`]).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;

use super::owners::Units;
use super::placement;
use crate::snapshot::node::NodeMeta;
use crate::snapshot::pod::PodMeta;
use crate::snapshot::{Controller, Kind, Node, Pod, Snapshot};

/// The pod each workload's controller would create.
#[derive(Debug, Clone, Default)]
pub struct Templates {
    /// One pod per workload whose controller is in the input: named as the
    /// controller, owned by it, with its template's spec.
    pub pods: Vec<Pod>,
    /// By template: its workload's index in [`Units::units`].
    pub unit: Vec<usize>,
}

/// The templates of every workload whose controller is in the input, in
/// workload order.
pub fn of(snapshot: &Snapshot, units: &Units) -> Templates {
    let mut t = Templates::default();
    for (u, unit) in units.units.iter().enumerate() {
        let Some(c) = unit.controller else {
            continue;
        };
        t.pods.push(template_pod(&snapshot.controllers[c]));
        t.unit.push(u);
    }
    t
}

/// The pod a controller's template describes, owned by the controller.
pub fn template_pod(c: &Controller) -> Pod {
    let name = c.metadata.name.clone().unwrap_or_default();
    Pod {
        metadata: PodMeta {
            name: Some(name.clone()),
            namespace: c.metadata.namespace.clone(),
            owner_references: Some(vec![OwnerReference {
                api_version: c.kind.api_version().to_string(),
                kind: c.kind.as_str().to_string(),
                name,
                uid: c.metadata.uid.clone().unwrap_or_default(),
                controller: Some(true),
                block_owner_deletion: None,
            }]),
            ..PodMeta::default()
        },
        spec: Some(c.template.clone()),
        status: None,
    }
}

/// The cluster's nodes as far as the input tells.
#[derive(Debug, Clone)]
pub struct Nodes<'s> {
    /// The Node objects, or stand-ins named by the pods.
    pub nodes: std::borrow::Cow<'s, [Node]>,
    /// Whether they are the input's Node objects (else stand-ins whose
    /// labels and taints are unknown).
    pub known: bool,
}

impl<'s> Nodes<'s> {
    /// The snapshot's Nodes; without any, stand-ins for the nodes its pods
    /// name.
    pub fn of(snapshot: &'s Snapshot) -> Nodes<'s> {
        if snapshot.nodes.is_empty() {
            Nodes::from_pods(snapshot)
        } else {
            Nodes {
                nodes: std::borrow::Cow::Borrowed(&snapshot.nodes),
                known: true,
            }
        }
    }

    /// Stand-ins for the nodes the pods name, sorted: name only.
    pub fn from_pods(snapshot: &Snapshot) -> Nodes<'static> {
        let mut names: Vec<&str> = (snapshot.pods.iter())
            .filter_map(|p| p.spec.as_ref()?.node_name.as_deref())
            .collect();
        names.sort_unstable();
        names.dedup();
        let nodes = (names.into_iter())
            .map(|n| Node {
                metadata: NodeMeta {
                    name: Some(n.to_string()),
                    ..NodeMeta::default()
                },
                spec: None,
            })
            .collect::<Vec<_>>();
        Nodes {
            nodes: std::borrow::Cow::Owned(nodes),
            known: false,
        }
    }

    /// The nodes a template of `kind` may land on, in node order. With
    /// stand-ins, whose labels and taints are unknown, a pinned `nodeName`
    /// is taken as given and otherwise any of them may be.
    pub fn for_template(&self, kind: Kind, pod: &Pod) -> Vec<&Node> {
        let Some(spec) = pod.spec.as_ref() else {
            return Vec::new();
        };
        if !self.known {
            return match spec.node_name.as_deref().filter(|n| !n.is_empty()) {
                Some(n) => self.nodes.iter().filter(|x| x.name() == n).collect(),
                None => self.nodes.iter().collect(),
            };
        }
        let daemon = kind == Kind::DaemonSet;
        placement::nodes_for(spec, &self.nodes, daemon)
    }
}
