//! What a subject's bindings grant, cut into permissions of one verb, one
//! API group, one resource (as the rule writes it: `pods`, `pods/log`,
//! `*`), one scope and, where the rule lists `resourceNames`, one name; or
//! one verb on one non-resource URL. A wildcard stays one permission: it
//! is reported as such, with the concrete requests it was used for.
//!
//! A RoleBinding grants only what a namespaced request can use: its role's
//! non-resource URLs and cluster-scoped resources grant nothing there, and
//! are left out.

use k8s_openapi::api::rbac::v1::PolicyRule;

use crate::rbac::scope::grantable_in_namespace;
use crate::rbac::{BindingId, Rbac, RoleId, Scope};

/// One permission a grant gives, or a request used.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "camelCase")]
pub struct Permission {
    /// The verb, or `*`.
    pub verb: String,
    /// The API group (`""` core, `*` any); `""` for a non-resource URL.
    pub api_group: String,
    /// The resource as the rule writes it (`pods/log`, `*`); `""` for a URL.
    pub resource: String,
    /// The namespace, `""` for cluster-wide (or a request in none).
    pub namespace: String,
    /// The one name it is limited to, when the rule lists names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The non-resource URL (a path, or a prefix ending in `*`).
    #[serde(rename = "nonResourceURL", skip_serializing_if = "Option::is_none")]
    pub non_resource_url: Option<String>,
}

impl Permission {
    /// Whether any of its parts is a wildcard.
    pub fn is_wildcard(&self) -> bool {
        self.verb == "*"
            || self.api_group == "*"
            || self.resource.contains('*')
            || self
                .non_resource_url
                .as_deref()
                .is_some_and(|u| u.ends_with('*'))
    }

    /// The one-permission rule it is, to match requests with the
    /// authorizer's own functions.
    pub fn as_rule(&self) -> PolicyRule {
        match &self.non_resource_url {
            Some(url) => PolicyRule {
                verbs: vec![self.verb.clone()],
                non_resource_urls: Some(vec![url.clone()]),
                ..PolicyRule::default()
            },
            None => PolicyRule {
                verbs: vec![self.verb.clone()],
                api_groups: Some(vec![self.api_group.clone()]),
                resources: Some(vec![self.resource.clone()]),
                resource_names: self.name.clone().map(|n| vec![n]),
                ..PolicyRule::default()
            },
        }
    }

    /// `verb group/resource` (`verb resource` in the core group), with the
    /// name, or `verb URL`; and ` in NS` for a namespace.
    pub fn describe(&self) -> String {
        let what = match &self.non_resource_url {
            Some(url) if url.ends_with('*') => format!("{} on URLs {url}", self.verb),
            Some(url) => format!("{} {url}", self.verb),
            None => {
                let res = match self.api_group.as_str() {
                    "" => self.resource.clone(),
                    g => format!("{g}/{}", self.resource),
                };
                match &self.name {
                    Some(n) => format!("{} {res} {n}", self.verb),
                    None => format!("{} {res}", self.verb),
                }
            }
        };
        if self.namespace.is_empty() {
            what
        } else {
            format!("{what} in {}", self.namespace)
        }
    }
}

/// One permission, with the grant that gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Granted {
    /// The binding.
    pub binding: BindingId,
    /// Its role.
    pub role: RoleId,
    /// The rule's index in the role's effective rules.
    pub rule: usize,
    /// The permission.
    pub permission: Permission,
}

/// Every permission binding `b` grants, rule by rule, in the rules' order.
pub fn of_binding(rbac: &Rbac<'_>, b: BindingId) -> Vec<Granted> {
    let binding = rbac.binding(b);
    let Ok(role) = binding.role.clone() else {
        return Vec::new();
    };
    let namespace = match &binding.scope {
        Scope::Cluster => "",
        Scope::Namespace(ns) => ns.as_str(),
    };
    let mut out = Vec::new();
    for (i, r) in rbac.role(role).rules.iter().enumerate() {
        for permission in of_rule(r.rule, namespace) {
            out.push(Granted {
                binding: b,
                role,
                rule: i,
                permission,
            });
        }
    }
    out
}

/// The permissions `rule` gives in `namespace` (`""`: cluster-wide).
pub fn of_rule(rule: &PolicyRule, namespace: &str) -> Vec<Permission> {
    let mut out = Vec::new();
    let names: Vec<Option<String>> = match rule.resource_names.as_deref() {
        None | Some([]) => vec![None],
        Some(names) => names.iter().cloned().map(Some).collect(),
    };
    for verb in &rule.verbs {
        for group in rule.api_groups.iter().flatten() {
            for resource in rule.resources.iter().flatten() {
                let base = resource.split('/').next().unwrap_or_default();
                if !namespace.is_empty()
                    && base != "*"
                    && !grantable_in_namespace(Some(group), base, verb)
                {
                    continue;
                }
                for name in &names {
                    out.push(Permission {
                        verb: verb.clone(),
                        api_group: group.clone(),
                        resource: resource.clone(),
                        namespace: namespace.to_string(),
                        name: name.clone(),
                        non_resource_url: None,
                    });
                }
            }
        }
        if namespace.is_empty() {
            for url in rule.non_resource_urls.iter().flatten() {
                out.push(Permission {
                    verb: verb.clone(),
                    api_group: String::new(),
                    resource: String::new(),
                    namespace: String::new(),
                    name: None,
                    non_resource_url: Some(url.clone()),
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(yaml: &str) -> PolicyRule {
        serde_saphyr::from_str(yaml).unwrap()
    }

    #[test]
    fn a_rule_is_cut_into_one_permission_per_verb_group_resource_and_name() {
        let r = rule("{apiGroups: ['', apps], resources: [pods, deployments], verbs: [get, list]}");
        assert_eq!(of_rule(&r, "ci").len(), 8);
        let named =
            rule("{apiGroups: [''], resources: [secrets], resourceNames: [a, b], verbs: [get]}");
        let p = of_rule(&named, "ci");
        assert_eq!(p.len(), 2);
        assert_eq!(p[1].describe(), "get secrets b in ci");
    }

    #[test]
    fn a_role_binding_grants_no_cluster_scoped_resource_and_no_url() {
        // RoleBindings are visited only for requests in their namespace,
        // which never name a node or a non-resource URL.
        let r = rule(
            "{apiGroups: [''], resources: [nodes, pods], verbs: [get], nonResourceURLs: ['/healthz']}",
        );
        let in_ns: Vec<String> = of_rule(&r, "ci").iter().map(Permission::describe).collect();
        assert_eq!(in_ns, ["get pods in ci"]);
        assert_eq!(of_rule(&r, "").len(), 3);
    }
}
