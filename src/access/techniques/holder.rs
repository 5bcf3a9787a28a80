//! A holder of permissions and what it is granted: every rule it holds,
//! cluster-wide and per namespace, with the binding, group, role and rule
//! that give it; and the authorizer's question asked of those rules for one
//! request in one scope.

use std::collections::BTreeMap;

use foldhash::HashSet;

use k8s_openapi::api::rbac::v1::PolicyRule;

use super::found::permission;
use crate::access::model::StepGrant;
use crate::rbac::rules::{Grant, Request, rule_grants};
use crate::rbac::scope::grantable_in_namespace;
use crate::rbac::{BindingId, Rbac, RoleId, Scope};

/// One rule a holder has, and what grants it.
pub(super) struct Held<'r> {
    /// The rule.
    pub(super) rule: &'r PolicyRule,
    /// What grants it.
    pub(super) ground: StepGrant,
}

/// The rules of one holder: cluster-wide, and per namespace.
#[derive(Default)]
pub(super) struct Holder<'r> {
    /// Rules that apply cluster-wide.
    pub(super) cluster: Vec<Held<'r>>,
    /// Rules that apply in one namespace, by namespace.
    pub(super) namespaces: BTreeMap<String, Vec<Held<'r>>>,
    /// The resources its rules name, each by what comes before any `/`
    /// (`*` for `*` and `*/sub`): a rule grants a request only if it names
    /// the request's resource or `*`, so a request for a resource none
    /// names is granted by none, told without asking each rule.
    named: HashSet<&'r str>,
}

/// What a holder is granted for one kind of request in one scope.
#[derive(Default)]
pub(super) struct Grants<'r> {
    /// A rule that grants it for every name.
    pub(super) all: Option<StepGrant>,
    /// Rules that grant it for these names only.
    pub(super) named: Vec<(&'r str, StepGrant)>,
}

impl Grants<'_> {
    /// What grants it for the object `name`.
    pub(super) fn for_name(&self, name: &str) -> Option<StepGrant> {
        self.all.clone().or_else(|| {
            self.named
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, g)| g.clone())
        })
    }
}

impl<'r> Holder<'r> {
    /// Adds the rules of `role`, bound in `scope` by `binding` (none: a
    /// role bound by the holder itself), reaching it through `via_group`.
    pub(super) fn add(
        &mut self,
        rbac: &'r Rbac<'_>,
        role: RoleId,
        scope: &Scope,
        binding: Option<BindingId>,
        via_group: Option<&str>,
    ) {
        let via_group: Option<std::sync::Arc<str>> = via_group.map(Into::into);
        for r in &rbac.role(role).rules {
            let resources = r.rule.resources.iter().flatten();
            (self.named).extend(resources.map(|res| res.split('/').next().unwrap_or(res)));
        }
        let rules = rbac.role(role).rules.iter().enumerate().map(|(i, r)| Held {
            rule: r.rule,
            ground: StepGrant {
                binding,
                via_group: via_group.clone(),
                role,
                rule: i,
            },
        });
        match scope {
            Scope::Cluster => self.cluster.extend(rules),
            Scope::Namespace(ns) => self.namespaces.entry(ns.clone()).or_default().extend(rules),
        }
    }

    /// Whether it holds no rule.
    pub(super) fn is_empty(&self) -> bool {
        self.cluster.is_empty() && self.namespaces.is_empty()
    }

    /// What the holder is granted for `verb group/resource/sub` in `ns`
    /// (`None`: in every namespace, or a cluster-scoped request).
    pub(super) fn grants(
        &self,
        ns: Option<&str>,
        verb: &str,
        group: &str,
        resource: &str,
        sub: &str,
    ) -> Grants<'r> {
        let mut out = Grants::default();
        if !self.named.contains(resource) && !self.named.contains("*") {
            return out;
        }
        let ns_rules = ns
            .filter(|_| grantable_in_namespace(Some(group), resource, verb))
            .and_then(|n| self.namespaces.get(n))
            .map_or(&[][..], Vec::as_slice);
        let request = Request::Resource {
            verb,
            api_group: group,
            resource,
            subresource: sub,
            name: "",
        };
        for h in self.cluster.iter().chain(ns_rules) {
            match rule_grants(h.rule, &request) {
                Some(Grant::All) if out.all.is_none() => out.all = Some(h.ground.clone()),
                Some(Grant::All) => {}
                Some(Grant::Named(names)) => out
                    .named
                    .extend(names.iter().map(|n| (n.as_str(), h.ground.clone()))),
                None => {}
            }
        }
        out
    }

    /// The first of `requests` granted for every name.
    pub(super) fn any_all(
        &self,
        ns: Option<&str>,
        requests: &[(&str, &str, &str, &str)],
    ) -> Option<(String, StepGrant)> {
        requests.iter().find_map(|&(verb, group, res, sub)| {
            let g = self.grants(ns, verb, group, res, sub).all?;
            Some((permission(verb, group, res, sub), g))
        })
    }
}

#[cfg(test)]
mod tests {
    //! What a holder is granted is what asking each of its rules in turn
    //! gives (the authorizer's `ResourceMatches`: `*`, the resource or
    //! `resource/sub`, and `*/sub`), whatever resources its rules name.
    use super::*;
    use crate::source::files::Loader;

    #[test]
    fn grants_are_what_each_rule_grants_in_turn() {
        let rules = [
            "{apiGroups: [''], resources: [pods/exec], verbs: [create]}",
            "{apiGroups: [''], resources: ['*/scale'], verbs: [update]}",
            "{apiGroups: [apps], resources: ['*'], verbs: [patch]}",
            "{apiGroups: [''], resources: [secrets], resourceNames: [a, b], verbs: [get]}",
            "{apiGroups: ['*'], resources: [nodes], verbs: ['*']}",
            "{nonResourceURLs: ['*'], verbs: [get]}",
        ];
        let yaml: String = (rules.iter().enumerate())
            .map(|(i, rule)| {
                format!(
                    "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {{name: r{i}, namespace: ci}}\nrules: [{rule}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {{name: c{i}}}\nrules: [{rule}]\n"
                )
            })
            .collect();
        let mut l = Loader::new();
        l.add_text("t.yaml", &yaml).unwrap();
        let snap = l.finish().unwrap().snapshot;
        let rbac = Rbac::resolve(&snap);
        let requests = [
            ("create", "", "pods", "exec"),
            ("create", "", "pods", ""),
            ("update", "apps", "deployments", "scale"),
            ("update", "", "replicationcontrollers", "scale"),
            ("update", "", "replicationcontrollers", ""),
            ("patch", "apps", "daemonsets", ""),
            ("patch", "", "pods", ""),
            ("get", "", "secrets", ""),
            ("delete", "", "nodes", ""),
            ("get", "", "configmaps", ""),
        ];
        // Each role on its own, and all of them: held cluster-wide (the
        // ClusterRoles) and in `ci` (the Roles).
        let single = (0..rules.len()).map(|i| vec![i]);
        for held in single.chain(std::iter::once((0..rules.len()).collect())) {
            let mut holder = Holder::default();
            for &i in &held {
                for (name, scope) in [
                    (format!("c{i}"), Scope::Cluster),
                    (format!("r{i}"), Scope::Namespace("ci".into())),
                ] {
                    let role = (rbac.roles.iter())
                        .position(|r| r.key.name == name)
                        .unwrap();
                    holder.add(&rbac, RoleId(role), &scope, None, None);
                }
            }
            for (verb, group, resource, sub) in requests {
                for ns in [None, Some("ci"), Some("other")] {
                    let got = holder.grants(ns, verb, group, resource, sub);
                    let request = Request::Resource {
                        verb,
                        api_group: group,
                        resource,
                        subresource: sub,
                        name: "",
                    };
                    let in_ns = ns
                        .filter(|_| grantable_in_namespace(Some(group), resource, verb))
                        .and_then(|n| holder.namespaces.get(n))
                        .map_or(&[][..], Vec::as_slice);
                    let mut all = None;
                    let mut named = Vec::new();
                    for h in holder.cluster.iter().chain(in_ns) {
                        match rule_grants(h.rule, &request) {
                            Some(Grant::All) => {
                                all = all.or(Some(h.ground.clone()));
                            }
                            Some(Grant::Named(names)) => {
                                named.extend(names.iter().map(|n| (n.as_str(), h.ground.clone())));
                            }
                            None => {}
                        }
                    }
                    let what = format!("{held:?} {verb} {group}/{resource}/{sub} in {ns:?}");
                    assert_eq!(got.all, all, "{what}");
                    assert_eq!(got.named, named, "{what}");
                }
            }
        }
    }
}
