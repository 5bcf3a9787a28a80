//! `who-can`: every subject the RBAC authorizer would allow one request,
//! and the binding → role → rule that allows it.
//!
//! The request is built as the API server builds it: a request without
//! `-n` carries no namespace, so only ClusterRoleBindings can allow it; a
//! request in a namespace is allowed by ClusterRoleBindings and by the
//! RoleBindings of that namespace, unless the resource is cluster-scoped
//! (its requests never carry a namespace); a create in a collection or a
//! deletecollection carries no name whatever was asked. Each binding's rules
//! are then matched with [`rule_allows`], the authorizer's own function, so
//! the answer is the authorizer's for every request. Pure: no I/O.

use std::collections::BTreeMap;

use super::graph::AccessGraph;
use super::query::Resource;
use crate::rbac::rules::{Request, request_is_nameless, rule_allows};
use crate::rbac::scope::grantable_in_namespace;
use crate::rbac::subjects::MASTERS;
use crate::rbac::{BindingId, Rbac, RoleId, Scope, SubjectId};

/// A `who-can` question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// The verb.
    pub verb: String,
    /// The resource or URL.
    pub resource: Resource,
    /// The object's name, if the request names one.
    pub name: Option<String>,
    /// The namespace, if the request is made in one.
    pub namespace: Option<String>,
}

/// Why the request asked is not exactly the request answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Adjustment {
    /// The resource is cluster-scoped or a URL: its requests carry no
    /// namespace, so RoleBindings do not apply.
    NoNamespace,
    /// A create in a collection or a deletecollection carries no name.
    NoName,
}

/// One rule that allows the request.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Allowance {
    /// The binding.
    pub binding: BindingId,
    /// The role it references.
    pub role: RoleId,
    /// The rule's index in the role's effective rules.
    pub rule: usize,
}

/// A subject the request is allowed for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allowed {
    /// The subject, as the bindings name it.
    pub subject: SubjectId,
    /// Allowed without any binding (`system:masters`).
    pub implicit: bool,
    /// The rules that allow it, in binding order.
    pub by: Vec<Allowance>,
}

/// The answer to a `who-can` question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The namespace of the request answered (`None`: none).
    pub namespace: Option<String>,
    /// The name of the request answered (`None`: none).
    pub name: Option<String>,
    /// How the answered request differs from the question.
    pub adjustments: Vec<Adjustment>,
    /// Every subject allowed: `system:masters` first, then sorted.
    pub subjects: Vec<Allowed>,
}

/// Answers a question.
pub fn who_can(rbac: &Rbac<'_>, graph: &AccessGraph, q: &Question) -> Answer {
    let mut adjustments = Vec::new();
    let namespace = match (&q.resource, &q.namespace) {
        (_, None) => None,
        (Resource::Url(_), Some(_)) => {
            adjustments.push(Adjustment::NoNamespace);
            None
        }
        (
            Resource::Api {
                group, resource, ..
            },
            Some(ns),
        ) => {
            if grantable_in_namespace(Some(group), resource, &q.verb) {
                Some(ns.clone())
            } else {
                adjustments.push(Adjustment::NoNamespace);
                None
            }
        }
    };
    let name = match &q.resource {
        Resource::Api { subresource, .. } if request_is_nameless(&q.verb, subresource) => {
            if q.name.is_some() {
                adjustments.push(Adjustment::NoName);
            }
            None
        }
        Resource::Url(_) => None,
        _ => q.name.clone(),
    };
    let request = match &q.resource {
        Resource::Api {
            group,
            resource,
            subresource,
        } => Request::Resource {
            verb: &q.verb,
            api_group: group,
            resource,
            subresource,
            name: name.as_deref().unwrap_or(""),
        },
        Resource::Url(path) => Request::NonResource {
            verb: &q.verb,
            path,
        },
    };
    // From the rules to the subjects: each role's rules are matched once,
    // then the graph leads back to the bindings that reference the role and
    // the subjects those bindings name.
    let mut by_subject: BTreeMap<&SubjectId, Vec<Allowance>> = BTreeMap::new();
    for (r, role) in rbac.roles.iter().enumerate() {
        let role_id = RoleId(r);
        let allowing: Vec<usize> = (role.rules.iter().enumerate())
            .filter(|(_, rule)| rule_allows(rule.rule, &request))
            .map(|(i, _)| i)
            .collect();
        if allowing.is_empty() {
            continue;
        }
        for b in graph.bindings_of(role_id) {
            let applies = match &rbac.binding(b).scope {
                Scope::Cluster => true,
                Scope::Namespace(ns) => namespace.as_deref() == Some(ns.as_str()),
            };
            if !applies {
                continue;
            }
            for s in graph.subjects_of(b) {
                let by = by_subject.entry(s).or_default();
                by.extend(allowing.iter().map(|&rule| Allowance {
                    binding: b,
                    role: role_id,
                    rule,
                }));
            }
        }
    }
    for by in by_subject.values_mut() {
        by.sort();
        by.dedup();
    }
    let masters = SubjectId::group(MASTERS);
    let mut subjects = vec![Allowed {
        implicit: true,
        by: by_subject.remove(&masters).unwrap_or_default(),
        subject: masters,
    }];
    subjects.extend(by_subject.into_iter().map(|(s, by)| Allowed {
        subject: s.clone(),
        implicit: false,
        by,
    }));
    Answer {
        namespace,
        name,
        adjustments,
        subjects,
    }
}

#[cfg(test)]
mod tests {
    //! The graph walk (matching rules, then role → bindings → subjects) must
    //! give what a plain pass over every binding gives.
    use proptest::prelude::*;

    use super::*;
    use crate::source::files::Loader;

    const VERBS: &[&str] = &["get", "create", "*"];
    const RESOURCES: &[&str] = &["pods", "secrets", "pods/exec", "*"];
    const NAMESPACES: &[&str] = &["a", "b"];

    /// A cluster of ClusterRoles (one rule each) and bindings, each
    /// (cluster-wide?, namespace, role, subject).
    fn cluster(roles: &[(usize, usize)], bindings: &[(bool, usize, usize, usize)]) -> String {
        let mut items = String::new();
        for (i, (v, r)) in roles.iter().enumerate() {
            items.push_str(&format!(
                "- {{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {{name: r{i}}}, rules: [{{apiGroups: [\"\"], resources: [\"{}\"], verbs: [\"{}\"]}}]}}\n",
                RESOURCES[*r], VERBS[*v]
            ));
        }
        for (i, (cluster_wide, ns, role, subject)) in bindings.iter().enumerate() {
            let role = role % roles.len();
            let (kind, meta) = if *cluster_wide {
                ("ClusterRoleBinding", format!("{{name: b{i}}}"))
            } else {
                (
                    "RoleBinding",
                    format!("{{name: b{i}, namespace: {}}}", NAMESPACES[*ns]),
                )
            };
            items.push_str(&format!(
                "- {{apiVersion: rbac.authorization.k8s.io/v1, kind: {kind}, metadata: {meta}, roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r{role}}}, subjects: [{{kind: User, name: u{subject}}}]}}\n"
            ));
        }
        format!("apiVersion: v1\nkind: List\nitems:\n{items}")
    }

    /// The users a ClusterRoleBinding per rule allows `verb resource`
    /// (parsed as `who-can` parses them), cluster-wide. Rule `i` is in
    /// ClusterRole `r{i}`, bound to user `u{i}`.
    fn allowed(rules: &[&str], verb: &str, resource: &str) -> Vec<String> {
        let mut items = String::new();
        for (i, rule) in rules.iter().enumerate() {
            items.push_str(&format!(
                "- {{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {{name: r{i}}}, rules: [{rule}]}}\n- {{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {{name: b{i}}}, roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r{i}}}, subjects: [{{kind: User, name: u{i}}}]}}\n"
            ));
        }
        let mut l = Loader::new();
        l.add_text(
            "t.yaml",
            &format!("apiVersion: v1\nkind: List\nitems:\n{items}"),
        )
        .unwrap();
        let snap = l.finish().unwrap().snapshot;
        let rbac = Rbac::resolve(&snap);
        let graph = AccessGraph::build_index(&snap, &rbac, crate::access::pod_facts::NO_PODS);
        let q = Question {
            verb: crate::access::query::parse_verb(verb).unwrap(),
            resource: crate::access::query::parse_resource(resource)
                .unwrap()
                .resource,
            name: None,
            namespace: None,
        };
        let answer = who_can(&rbac, &graph, &q);
        assert_eq!(answer.subjects[0].subject, SubjectId::group(MASTERS));
        answer.subjects[1..]
            .iter()
            .map(|a| a.subject.to_string())
            .collect()
    }

    /// `VerbMatches` upstream: `*`, or the request's verb exactly; verbs
    /// are not folded to lower case.
    #[test]
    fn verbs_match_exactly_and_case_sensitively_or_by_a_star() {
        let rules = [
            r#"{apiGroups: [""], resources: [pods], verbs: [get]}"#,
            r#"{apiGroups: [""], resources: [pods], verbs: ["*"]}"#,
            r#"{apiGroups: [""], resources: [pods], verbs: [GET]}"#,
        ];
        let u = |i: usize| {
            SubjectId::User {
                name: format!("u{i}"),
            }
            .to_string()
        };
        assert_eq!(allowed(&rules, "get", "pods"), [u(0), u(1)]);
        assert_eq!(allowed(&rules, "GET", "pods"), [u(1), u(2)]);
        assert_eq!(allowed(&rules, "verb1", "pods"), [u(1)]);
    }

    /// `ResourceMatches` upstream: `*`, or the resource exactly; `Pods`
    /// is not `pods`.
    #[test]
    fn resources_match_exactly_and_case_sensitively_or_by_a_star() {
        let rules = [
            r#"{apiGroups: [""], resources: [pods], verbs: [get]}"#,
            r#"{apiGroups: ["*"], resources: ["*"], verbs: [get]}"#,
        ];
        let u = |i: usize| {
            SubjectId::User {
                name: format!("u{i}"),
            }
            .to_string()
        };
        assert_eq!(allowed(&rules, "get", "pods"), [u(0), u(1)]);
        assert_eq!(allowed(&rules, "get", "Pods"), [u(1)]);
        assert_eq!(allowed(&rules, "get", "resource1"), [u(1)]);
        assert_eq!(allowed(&rules, "get", "resource1.group1"), [u(1)]);
        assert!(allowed(&rules, "GET", "resource1").is_empty());
    }

    /// A special verb is a verb like any other: `use` on the
    /// podsecuritypolicies of group policy, as the PodSecurityPolicy
    /// admission plugin asked it.
    #[test]
    fn the_special_verb_use_is_allowed_by_a_rule_naming_it() {
        let rules = [
            r#"{apiGroups: [policy], resources: [podsecuritypolicies], verbs: [use], resourceNames: []}"#,
            r#"{apiGroups: [policy], resources: [podsecuritypolicies], verbs: [get, list]}"#,
            r#"{apiGroups: [extensions], resources: [podsecuritypolicies], verbs: [use]}"#,
        ];
        let u0 = SubjectId::User { name: "u0".into() }.to_string();
        assert_eq!(allowed(&rules, "use", "podsecuritypolicies.policy"), [u0]);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn the_graph_walk_equals_a_pass_over_every_binding(
            roles in prop::collection::vec((0..VERBS.len(), 0..RESOURCES.len()), 1..5),
            bindings in prop::collection::vec((any::<bool>(), 0..NAMESPACES.len(), 0..5usize, 0..4usize), 0..8),
            verb in 0..VERBS.len(),
            resource in 0..RESOURCES.len(),
            ns in prop::option::of(0..NAMESPACES.len()),
        ) {
            let mut l = Loader::new();
            l.add_text("t.yaml", &cluster(&roles, &bindings)).unwrap();
            let snap = l.finish().unwrap().snapshot;
            let rbac = Rbac::resolve(&snap);
            let graph = AccessGraph::build_index(&snap, &rbac, crate::access::pod_facts::NO_PODS);
            let (res, sub) = RESOURCES[resource].split_once('/').unwrap_or((RESOURCES[resource], ""));
            let q = Question {
                verb: VERBS[verb].into(),
                resource: Resource::Api { group: String::new(), resource: res.into(), subresource: sub.into() },
                name: Some("x".into()),
                namespace: ns.map(|n| NAMESPACES[n].to_string()),
            };
            let answer = who_can(&rbac, &graph, &q);
            let mut got: Vec<(String, Vec<Allowance>)> = answer.subjects[1..]
                .iter()
                .map(|a| (a.subject.to_string(), a.by.clone()))
                .collect();
            got.sort();
            // The plain pass: every binding in scope, every rule of its role.
            let name = if request_is_nameless(&q.verb, sub) { "" } else { "x" };
            let request = Request::Resource { verb: &q.verb, api_group: "", resource: res, subresource: sub, name };
            let mut want: BTreeMap<String, Vec<Allowance>> = BTreeMap::new();
            for (i, b) in rbac.bindings.iter().enumerate() {
                let in_scope = match &b.scope {
                    Scope::Cluster => true,
                    Scope::Namespace(n) => answer.namespace.as_deref() == Some(n.as_str()),
                };
                let Ok(role) = b.role else { continue };
                for (ri, rule) in rbac.role(role).rules.iter().enumerate() {
                    if in_scope && rule_allows(rule.rule, &request) {
                        for s in &b.subjects {
                            want.entry(s.to_string()).or_default().push(Allowance { binding: BindingId(i), role, rule: ri });
                        }
                    }
                }
            }
            let mut want: Vec<(String, Vec<Allowance>)> = want.into_iter().collect();
            for (_, by) in &mut want {
                by.sort();
                by.dedup();
            }
            prop_assert_eq!(got, want);
        }
    }
}
