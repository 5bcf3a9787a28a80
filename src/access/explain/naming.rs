//! Naming the graph's objects: a node, a binding → role → rule that grants
//! a step, and the [`Namer`] that every answer is explained with.

use k8s_openapi::api::rbac::v1::PolicyRule;
use serde::Serialize;

use crate::access::graph::AccessGraph;
use crate::access::model::{Node, StepGrant};
use crate::rbac::{Rbac, Scope, SubjectId};
use crate::snapshot::{ObjectKey, Pod};

/// Any object a route passes through.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NodeRef {
    /// `User`, `Group`, `ServiceAccount`, `Pod`, `Node`, `ClusterRole`,
    /// `Role`, `ClusterAdmin`, or for what stands for a namespace's objects
    /// `NewPods`, `Pods`, `Secrets`, `ServiceAccounts`.
    pub kind: &'static str,
    /// The name (`*` for all of them).
    pub name: String,
    /// The namespace, for namespaced objects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// For a role: where it would be bound (`cluster-wide` or a namespace).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bound_in: Option<String>,
}

impl NodeRef {
    fn new(kind: &'static str, name: impl Into<String>, namespace: Option<&str>) -> NodeRef {
        NodeRef {
            kind,
            name: name.into(),
            namespace: namespace.map(String::from),
            bound_in: None,
        }
    }

    /// The reference of an object (a binding, a role, a workload), by its key.
    pub fn object(k: &ObjectKey) -> NodeRef {
        let namespace = Some(k.namespace.as_str()).filter(|n| !n.is_empty());
        NodeRef::new(k.kind.as_str(), &k.name, namespace)
    }

    /// The reference of a subject.
    pub fn subject(s: &SubjectId) -> NodeRef {
        match s {
            SubjectId::ServiceAccount { namespace, name } => {
                NodeRef::new("ServiceAccount", name, Some(namespace))
            }
            SubjectId::User { name } => NodeRef::new("User", name, None),
            SubjectId::Group { name } => NodeRef::new("Group", name, None),
        }
    }
}

impl std::fmt::Display for NodeRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ns = self.namespace.as_deref();
        match (self.kind, ns) {
            ("ClusterAdmin", _) => f.write_str("cluster-admin-equivalent power"),
            ("NewPods", Some(ns)) => write!(f, "pods of its choosing in {ns}"),
            ("NewPods", None) => f.write_str("pods of its choosing in every namespace"),
            ("Pods", Some(ns)) => write!(f, "every pod of {ns}"),
            ("Pods", None) => f.write_str("every pod"),
            ("Secrets", Some(ns)) => write!(f, "the Secrets of {ns}"),
            ("Secrets", None) => f.write_str("every Secret"),
            ("ServiceAccounts", Some(ns)) => write!(f, "every ServiceAccount of {ns}"),
            ("ServiceAccounts", None) => f.write_str("every ServiceAccount"),
            ("Node", _) if self.name == "*" => f.write_str("any node"),
            (kind, Some(ns)) => {
                write!(f, "{kind} {ns}/{}", self.name)?;
                self.write_bound(f)
            }
            (kind, None) => {
                write!(f, "{kind} {}", self.name)?;
                self.write_bound(f)
            }
        }
    }
}

impl NodeRef {
    fn write_bound(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.bound_in {
            Some(b) if b == "cluster-wide" => f.write_str(" bound cluster-wide"),
            Some(b) => write!(f, " bound in {b}"),
            None => Ok(()),
        }
    }
}

/// A rule aggregated into a ClusterRole, pointing back at where it is defined.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Origin {
    /// The role that defines the rule.
    pub role: ObjectKey,
    /// The rule's index in that role's `rules`.
    pub rule_index: usize,
}

/// The binding → role → rule that grants something.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GroundView {
    /// The binding; absent for a role the attacker binds itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub binding: Option<ObjectKey>,
    /// The group the binding names, when it does not name the holder.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via_group: Option<String>,
    /// The role.
    pub role: ObjectKey,
    /// The rule's index in the role's effective rules.
    pub rule_index: usize,
    /// For an aggregated ClusterRole, where the rule comes from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aggregated_from: Option<Origin>,
    /// The rule.
    pub rule: PolicyRule,
}

impl GroundView {
    /// The binding → role → rule of one effective rule, every object named.
    pub fn new(
        rbac: &Rbac<'_>,
        binding: Option<crate::rbac::BindingId>,
        via_group: Option<&str>,
        role: crate::rbac::RoleId,
        rule: usize,
    ) -> GroundView {
        let r = rbac.role(role);
        let eff = &r.rules[rule];
        GroundView {
            binding: binding.map(|b| rbac.binding(b).key.clone()),
            via_group: via_group.map(String::from),
            role: r.key.clone(),
            rule_index: rule,
            aggregated_from: eff.aggregated_from.map(|(o, i)| Origin {
                role: rbac.role(o).key.clone(),
                rule_index: i,
            }),
            rule: eff.rule.clone(),
        }
    }

    /// `RoleBinding ns/b → ClusterRole edit #3 (via Group g)`.
    pub fn chain(&self) -> String {
        let mut s = String::new();
        if let Some(b) = &self.binding {
            s.push_str(&format!("{b} → "));
        }
        s.push_str(&format!("{} #{}", self.role, self.rule_index));
        if let Some(o) = &self.aggregated_from {
            s.push_str(&format!(" from {} #{}", o.role, o.rule_index));
        }
        if let Some(g) = &self.via_group {
            s.push_str(&format!(" (via Group {g})"));
        }
        s
    }
}

/// Names the objects of a snapshot's graph.
pub struct Namer<'a, 's> {
    /// Resolved RBAC.
    pub rbac: &'a Rbac<'s>,
    /// The graph.
    pub graph: &'a AccessGraph,
    /// The snapshot's pods (a graph's `Node::Pod` is an index into them,
    /// then into `templates`).
    pub pods: &'s [Pod],
    /// The pods the workloads' templates would create, each owned by its
    /// controller, after the snapshot's pods in the graph.
    pub templates: &'s [Pod],
}

impl Namer<'_, '_> {
    /// The binding → role → rule of a ground.
    pub fn ground(
        &self,
        binding: Option<crate::rbac::BindingId>,
        via_group: Option<&str>,
        role: crate::rbac::RoleId,
        rule: usize,
    ) -> GroundView {
        GroundView::new(self.rbac, binding, via_group, role, rule)
    }

    pub(super) fn of(&self, g: &StepGrant) -> GroundView {
        self.ground(g.binding, g.via_group.as_deref(), g.role, g.rule)
    }

    /// The reference of a graph node.
    pub fn node(&self, node: &Node) -> NodeRef {
        match node {
            Node::Subject(s) => NodeRef::subject(s),
            Node::Binding(b) => NodeRef::object(&self.rbac.binding(*b).key),
            Node::Role(r) => NodeRef::object(&self.rbac.role(*r).key),
            Node::Bound(r, scope) => {
                let k = &self.rbac.role(*r).key;
                let mut n = NodeRef::new(
                    k.kind.as_str(),
                    &k.name,
                    Some(&k.namespace)
                        .filter(|n| !n.is_empty())
                        .map(|s| s.as_str()),
                );
                n.bound_in = Some(match scope {
                    Scope::Cluster => "cluster-wide".into(),
                    Scope::Namespace(ns) => ns.clone(),
                });
                n
            }
            Node::Pod(i) => match self.pods.get(*i) {
                Some(pod) => {
                    let m = &pod.metadata;
                    NodeRef::new(
                        "Pod",
                        m.name.clone().unwrap_or_default(),
                        Some(m.namespace.as_deref().unwrap_or("")),
                    )
                }
                None => {
                    // A template: named as its controller.
                    let t = self.templates.get(*i - self.pods.len());
                    let m = t.map(|t| &t.metadata);
                    let owner = m.and_then(|m| m.owner_references.as_ref()?.first());
                    NodeRef::new(
                        (owner.and_then(|o| crate::snapshot::Kind::from_kind_name(&o.kind)))
                            .map_or("Pod", |k| k.as_str()),
                        m.and_then(|m| m.name.clone()).unwrap_or_default(),
                        Some(m.and_then(|m| m.namespace.as_deref()).unwrap_or("")),
                    )
                }
            },
            Node::Host(h) => NodeRef::new("Node", h, None),
            Node::AnyHost => NodeRef::new("Node", "*", None),
            Node::NewPods(ns) => NodeRef::new("NewPods", "*", ns.as_deref()),
            Node::Pods(ns) => NodeRef::new("Pods", "*", ns.as_deref()),
            Node::Secrets(ns) => NodeRef::new("Secrets", "*", ns.as_deref()),
            Node::ServiceAccounts(ns) => NodeRef::new("ServiceAccounts", "*", ns.as_deref()),
            Node::ClusterAdmin => NodeRef::new("ClusterAdmin", "cluster-admin", None),
            Node::Cloud { provider, id } => {
                NodeRef::new("CloudIdentity", format!("{provider}:{id}"), None)
            }
            Node::AnyCloud => NodeRef::new("CloudIdentity", "*", None),
        }
    }
}
