//! `access`: what one identity may do, as `kubectl auth can-i --list --as`
//! would print it, per namespace and cluster-wide, with the binding, role
//! and rule each permission comes from, through the identity's groups too;
//! and the difference between two identities. Pure: no I/O.

use std::collections::BTreeMap;

use k8s_openapi::api::rbac::v1::PolicyRule;

use super::graph::AccessGraph;
use crate::rbac::rules::{
    ALL, api_group_matches, non_resource_url_matches, resource_matches, verb_matches,
};
use crate::rbac::scope::grantable_in_namespace;
use crate::rbac::subjects::MASTERS;
use crate::rbac::{BindingId, Rbac, RoleId, Scope, SubjectId};

/// One rule an identity holds, and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldRule {
    /// The binding.
    pub binding: BindingId,
    /// The group the binding names, when it does not name the identity.
    pub via_group: Option<String>,
    /// The role.
    pub role: RoleId,
    /// The rule's index in the role's effective rules.
    pub rule: usize,
}

/// Everything an identity holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holdings {
    /// The identity.
    pub subject: SubjectId,
    /// The groups it is in without a binding saying so.
    pub implicit_groups: Vec<String>,
    /// It is (in) `system:masters`: allowed everything without any binding.
    pub superuser: bool,
    /// The input names it: an object (a ServiceAccount), a binding's
    /// subject, or a pod's or token's ServiceAccount.
    pub in_input: bool,
    /// Rules of ClusterRoleBindings: in effect everywhere.
    pub cluster: Vec<HeldRule>,
    /// Rules of RoleBindings, by namespace: in effect there, on top of the
    /// cluster-wide ones.
    pub namespaces: BTreeMap<String, Vec<HeldRule>>,
}

/// What `subject` holds. `subject` need not appear in any binding: it
/// holds what its implicit groups hold.
pub fn holdings(rbac: &Rbac<'_>, graph: &AccessGraph, subject: &SubjectId) -> Holdings {
    let mut h = Holdings {
        subject: subject.clone(),
        implicit_groups: subject.implicit_groups(),
        superuser: *subject == SubjectId::group(MASTERS),
        in_input: graph
            .find(&crate::access::model::Node::Subject(subject.clone()))
            .is_some(),
        cluster: Vec::new(),
        namespaces: BTreeMap::new(),
    };
    for r in graph.bindings_reaching(subject) {
        let b = rbac.binding(r.binding);
        let Ok(role) = b.role else { continue };
        let rules = (0..rbac.role(role).rules.len()).map(|i| HeldRule {
            binding: r.binding,
            via_group: r.via_group.clone(),
            role,
            rule: i,
        });
        match &b.scope {
            Scope::Cluster => h.cluster.extend(rules),
            Scope::Namespace(ns) => h.namespaces.entry(ns.clone()).or_default().extend(rules),
        }
    }
    h
}

/// One permission, as `kubectl auth can-i --list` expands a rule: one verb
/// on one resource of one group (for some names, or all), or one verb on
/// one URL.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Permission {
    /// On an API resource.
    Resource {
        /// The verb.
        verb: String,
        /// The API group.
        group: String,
        /// The resource, with `/subresource` if any.
        resource: String,
        /// The name, or `None` for every name.
        name: Option<String>,
    },
    /// On a non-resource URL.
    Url {
        /// The verb.
        verb: String,
        /// The URL or prefix.
        path: String,
    },
}

impl std::fmt::Display for Permission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Permission::Resource {
                verb,
                group,
                resource,
                name,
            } => {
                write!(f, "{verb} {resource}")?;
                if !group.is_empty() {
                    write!(f, ".{group}")?;
                }
                if let Some(n) = name {
                    write!(f, " {n}")?;
                }
                Ok(())
            }
            Permission::Url { verb, path } => write!(f, "{verb} {path}"),
        }
    }
}

/// The permissions one rule grants.
pub fn expand(rule: &PolicyRule) -> Vec<Permission> {
    let mut out = Vec::new();
    for verb in &rule.verbs {
        for path in rule.non_resource_urls.iter().flatten() {
            out.push(Permission::Url {
                verb: verb.clone(),
                path: path.clone(),
            });
        }
        for group in rule.api_groups.iter().flatten() {
            for resource in rule.resources.iter().flatten() {
                match rule.resource_names.as_deref() {
                    None | Some([]) => out.push(Permission::Resource {
                        verb: verb.clone(),
                        group: group.clone(),
                        resource: resource.clone(),
                        name: None,
                    }),
                    Some(names) => out.extend(names.iter().map(|n| Permission::Resource {
                        verb: verb.clone(),
                        group: group.clone(),
                        resource: resource.clone(),
                        name: Some(n.clone()),
                    })),
                }
            }
        }
    }
    out
}

/// Whether `rule` allows everything `p` stands for: a `*` in `p` is
/// covered only by a `*` in the rule (the matcher compares it literally);
/// a permission for every name only by a rule for every name.
pub fn covers(rule: &PolicyRule, p: &Permission) -> bool {
    match p {
        Permission::Url { verb, path } => {
            verb_matches(rule, verb) && non_resource_url_matches(rule, path)
        }
        Permission::Resource {
            verb,
            group,
            resource,
            name,
        } => {
            let (res, sub) = match resource.split_once('/') {
                Some((r, s)) => (r, s),
                None => (resource.as_str(), ""),
            };
            // `*/scale` in the permission is covered by `*/scale` or `*`.
            let resource_ok = if res == ALL && !sub.is_empty() {
                rule.resources
                    .iter()
                    .flatten()
                    .any(|r| r == ALL || *r == format!("{ALL}/{sub}"))
            } else {
                resource_matches(rule, res, sub)
            };
            let names_ok = match (name, rule.resource_names.as_deref()) {
                (_, None | Some([])) => true,
                (None, Some(_)) => false,
                (Some(n), Some(names)) => names.iter().any(|x| x == n),
            };
            verb_matches(rule, verb) && api_group_matches(rule, group) && resource_ok && names_ok
        }
    }
}

/// A permission one identity has and the other has not, in one scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// Where: cluster-wide, or in a namespace.
    pub scope: Scope,
    /// The permission.
    pub permission: Permission,
    /// The rule it comes from.
    pub from: HeldRule,
}

/// What `a` holds that `b` does not, scope by scope: a cluster-wide
/// permission of `a` is missing when no cluster-wide rule of `b` covers it;
/// one of `a` in a namespace, when neither `b`'s cluster-wide rules nor its
/// rules in that namespace cover it. A superuser misses nothing.
pub fn missing(rbac: &Rbac<'_>, a: &Holdings, b: &Holdings) -> Vec<Difference> {
    if b.superuser {
        return Vec::new();
    }
    let rule = |h: &HeldRule| rbac.role(h.role).rules[h.rule].rule;
    let mut out = Vec::new();
    let mut check = |scope: Scope, held: &[HeldRule], against: &[&HeldRule]| {
        let mut seen = std::collections::HashSet::new();
        for h in held {
            for p in expand(rule(h)) {
                if let (
                    Scope::Namespace(_),
                    Permission::Resource {
                        group,
                        resource,
                        verb,
                        ..
                    },
                ) = (&scope, &p)
                {
                    let res = resource.split('/').next().unwrap_or("");
                    if !grantable_in_namespace(Some(group), res, verb) {
                        continue; // no effect in a namespace
                    }
                }
                if against.iter().any(|o| covers(rule(o), &p)) || !seen.insert(p.clone()) {
                    continue;
                }
                out.push(Difference {
                    scope: scope.clone(),
                    permission: p,
                    from: h.clone(),
                });
            }
        }
    };
    let b_cluster: Vec<&HeldRule> = b.cluster.iter().collect();
    check(Scope::Cluster, &a.cluster, &b_cluster);
    for (ns, held) in &a.namespaces {
        let mut against = b_cluster.clone();
        against.extend(b.namespaces.get(ns).into_iter().flatten());
        check(Scope::Namespace(ns.clone()), held, &against);
    }
    out
}

#[cfg(test)]
mod tests {
    //! `covers` decides what `--diff-with` calls missing: it must agree with
    //! the matcher, where a `*` in a request is literal.
    use super::*;

    fn rule(groups: &[&str], resources: &[&str], verbs: &[&str], names: &[&str]) -> PolicyRule {
        let v = |x: &[&str]| Some(x.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        PolicyRule {
            api_groups: v(groups),
            resources: v(resources),
            verbs: verbs.iter().map(|s| s.to_string()).collect(),
            resource_names: if names.is_empty() { None } else { v(names) },
            non_resource_urls: None,
        }
    }

    fn perm(verb: &str, group: &str, resource: &str, name: Option<&str>) -> Permission {
        Permission::Resource {
            verb: verb.into(),
            group: group.into(),
            resource: resource.into(),
            name: name.map(String::from),
        }
    }

    #[test]
    fn a_wildcard_covers_specific_permissions_but_not_the_reverse() {
        let all = rule(&["*"], &["*"], &["*"], &[]);
        let pods = rule(&[""], &["pods"], &["get"], &[]);
        assert!(covers(&all, &perm("get", "", "pods", None)));
        assert!(covers(&all, &perm("create", "", "pods/exec", None)));
        assert!(!covers(&pods, &perm("*", "", "pods", None)));
        assert!(!covers(&pods, &perm("get", "*", "*", None)));
        assert!(covers(&pods, &perm("get", "", "pods", Some("a"))));
        assert!(!covers(&pods, &perm("get", "", "pods/log", None)));
    }

    #[test]
    fn names_cover_only_the_same_names_and_star_slash_sub_only_its_own_kind() {
        let named = rule(&[""], &["secrets"], &["get"], &["a"]);
        assert!(covers(&named, &perm("get", "", "secrets", Some("a"))));
        assert!(!covers(&named, &perm("get", "", "secrets", Some("b"))));
        assert!(!covers(&named, &perm("get", "", "secrets", None)));
        let scale = rule(&["*"], &["*/scale"], &["update"], &[]);
        assert!(covers(
            &scale,
            &perm("update", "apps", "deployments/scale", None)
        ));
        assert!(covers(&scale, &perm("update", "apps", "*/scale", None)));
        assert!(!covers(
            &rule(&["*"], &["deployments/scale"], &["update"], &[]),
            &perm("update", "apps", "*/scale", None)
        ));
    }

    #[test]
    fn expand_lists_one_permission_per_verb_group_resource_and_name() {
        let r = PolicyRule {
            non_resource_urls: Some(vec!["/metrics".into()]),
            ..rule(&["", "apps"], &["pods"], &["get", "list"], &["x"])
        };
        let p = expand(&r);
        assert_eq!(p.len(), 2 * 2 + 2);
        assert!(p.contains(&perm("list", "apps", "pods", Some("x"))));
        assert!(p.contains(&Permission::Url {
            verb: "get".into(),
            path: "/metrics".into()
        }));
    }
}
