//! A holder of permissions and what it is granted: every rule it holds,
//! cluster-wide and per namespace, with the binding, group, role and rule
//! that give it; and the authorizer's question asked of those rules for one
//! request in one scope.

use std::collections::BTreeMap;

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
