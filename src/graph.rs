//! The access graph: subject → binding → role, with implicit group membership
//! (subject → group) and aggregation (aggregated role → source role).
//!
//! It is the index the analysis walks to find every binding that reaches an
//! identity, directly or through its groups, without scanning all bindings.

use std::collections::HashMap;

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;

use crate::rbac::{BindingId, Rbac, RoleId, SubjectId};

/// A node of the access graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// A user, group or ServiceAccount.
    Subject(SubjectId),
    /// A RoleBinding or ClusterRoleBinding.
    Binding(BindingId),
    /// A Role or ClusterRole.
    Role(RoleId),
}

/// An edge of the access graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edge {
    /// Subject → group it implicitly belongs to.
    MemberOf,
    /// Subject → binding that names it.
    NamedIn,
    /// Binding → the role it references.
    RefersTo,
    /// Aggregated ClusterRole → a ClusterRole whose rules it aggregates.
    Aggregates,
}

/// A binding that reaches a subject, and the group it reaches it through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reach {
    /// The binding.
    pub binding: BindingId,
    /// `None` when the binding names the subject itself, else the group.
    pub via_group: Option<String>,
}

/// The access graph of a resolved snapshot.
#[derive(Debug)]
pub struct AccessGraph {
    graph: DiGraph<Node, Edge>,
    subjects: HashMap<SubjectId, NodeIndex>,
}

impl AccessGraph {
    /// Builds the graph. `extra_subjects` (e.g. every ServiceAccount that
    /// exists) get a node even if no binding names them, so that their group
    /// bindings are found.
    pub fn build<'a>(
        rbac: &Rbac<'_>,
        extra_subjects: impl IntoIterator<Item = &'a SubjectId>,
    ) -> Self {
        let mut graph = DiGraph::new();
        let mut subjects: HashMap<SubjectId, NodeIndex> = HashMap::new();
        let roles: Vec<NodeIndex> = (0..rbac.roles.len())
            .map(|i| graph.add_node(Node::Role(RoleId(i))))
            .collect();
        for (i, selected) in rbac.selects.iter().enumerate() {
            for s in selected {
                graph.add_edge(roles[i], roles[s.0], Edge::Aggregates);
            }
        }
        for (i, b) in rbac.bindings.iter().enumerate() {
            let node = graph.add_node(Node::Binding(BindingId(i)));
            if let Ok(role) = b.role {
                graph.add_edge(node, roles[role.0], Edge::RefersTo);
            }
            for s in &b.subjects {
                let sn = *subjects
                    .entry(s.clone())
                    .or_insert_with(|| graph.add_node(Node::Subject(s.clone())));
                graph.add_edge(sn, node, Edge::NamedIn);
            }
        }
        for s in extra_subjects {
            subjects
                .entry(s.clone())
                .or_insert_with(|| graph.add_node(Node::Subject(s.clone())));
        }
        // Implicit group membership, only towards groups some binding names.
        let members: Vec<(SubjectId, NodeIndex)> =
            subjects.iter().map(|(s, n)| (s.clone(), *n)).collect();
        for (s, n) in members {
            for g in s.implicit_groups() {
                if let Some(gn) = subjects.get(&SubjectId::Group { name: g }) {
                    graph.add_edge(n, *gn, Edge::MemberOf);
                }
            }
        }
        AccessGraph { graph, subjects }
    }

    /// Every subject in the graph, sorted.
    pub fn subjects(&self) -> Vec<&SubjectId> {
        let mut v: Vec<&SubjectId> = self.subjects.keys().collect();
        v.sort();
        v
    }

    /// Every binding that applies to `subject`, directly or through its
    /// implicit groups, in binding order.
    pub fn bindings_reaching(&self, subject: &SubjectId) -> Vec<Reach> {
        let Some(&start) = self.subjects.get(subject) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for e in self.graph.edges(start) {
            match (e.weight(), &self.graph[e.target()]) {
                (Edge::NamedIn, Node::Binding(b)) => out.push(Reach {
                    binding: *b,
                    via_group: None,
                }),
                (Edge::MemberOf, Node::Subject(SubjectId::Group { name })) => {
                    for ge in self.graph.edges(e.target()) {
                        if let (Edge::NamedIn, Node::Binding(b)) =
                            (ge.weight(), &self.graph[ge.target()])
                        {
                            out.push(Reach {
                                binding: *b,
                                via_group: Some(name.clone()),
                            });
                        }
                    }
                }
                _ => {}
            }
        }
        out.sort_by(|a, b| {
            a.binding
                .cmp(&b.binding)
                .then(a.via_group.cmp(&b.via_group))
        });
        out.dedup_by(|a, b| a.binding == b.binding);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::files::Loader;

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
        let graph = AccessGraph::build(&rbac, [&sa]);
        let names: Vec<&str> = graph
            .bindings_reaching(&sa)
            .iter()
            .map(|r| rbac.binding(r.binding).key.name.as_str())
            .collect();
        assert_eq!(names, ["all-sa", "authn", "ns-sa", "direct"]);
        let anon = SubjectId::User {
            name: "system:anonymous".into(),
        };
        let graph = AccessGraph::build(&rbac, [&anon]);
        let names: Vec<&str> = graph
            .bindings_reaching(&anon)
            .iter()
            .map(|r| rbac.binding(r.binding).key.name.as_str())
            .collect();
        assert_eq!(names, ["unauthn"]);
    }
}
