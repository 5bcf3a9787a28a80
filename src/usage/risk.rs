//! What the risk template makes of one permission: the template rules one
//! of whose requirements it grants, and the worst severity among them in
//! its scope. A rule of several requirements counts only when the subject
//! also holds the others (`holds`), in the same namespace or cluster-wide.
//! A permission limited to a name is rated as the template says of names
//! (LOW unless the names do not limit the power).

use serde::Serialize;

use super::grants::Permission;
use crate::rbac::rules::{Grant, rule_grants};
use crate::template::{NamesPolicy, Probe, Severity, Template};

/// The risk a permission carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Risk {
    /// The worst severity.
    pub severity: Severity,
    /// The template rules it takes part in, worst first.
    pub rules: Vec<String>,
    /// The first such rule's title.
    pub title: String,
}

/// How a permission grants one probe: fully, or for some names only.
fn grants(permission: &Permission, probe: &Probe) -> Option<bool> {
    let rule = permission.as_rule();
    let request = probe.request(rule.api_groups.as_deref())?;
    Some(match rule_grants(&rule, &request)? {
        Grant::All => true,
        Grant::Named(names) => match probe.names() {
            NamesPolicy::Narrow => false,
            NamesPolicy::Unlimited | NamesPolicy::Target(_) => true,
            NamesPolicy::Dangerous(set) => names.iter().any(|n| set.contains(n)),
        },
    })
}

/// The risk of `permission`; `holds(probe, namespace)` says whether the
/// subject holds a probe of another requirement there.
pub fn rate(
    template: &Template,
    permission: &Permission,
    holds: &dyn Fn(&Probe, &str) -> bool,
) -> Option<Risk> {
    let ns = permission.namespace.as_str();
    let mut found: Vec<(Severity, &str, &str)> = Vec::new();
    for rule in &template.rules {
        let Some((index, full)) = rule.requires.iter().enumerate().find_map(|(i, req)| {
            req.any_of
                .iter()
                .find_map(|p| grants(permission, p))
                .map(|full| (i, full))
        }) else {
            continue;
        };
        let others = (rule.requires.iter().enumerate())
            .filter(|(i, _)| *i != index)
            .all(|(_, req)| req.any_of.iter().any(|p| holds(p, ns)));
        if !others {
            continue;
        }
        let severity = if !full {
            Severity::Low
        } else if ns.is_empty() {
            rule.severity.cluster
        } else if template.privileged_namespaces.contains(ns) {
            rule.severity.privileged_namespace
        } else {
            rule.severity.namespace
        };
        found.push((severity, &rule.id, &rule.title));
    }
    found.sort_by_key(|f| std::cmp::Reverse(f.0));
    let (severity, _, title) = *found.first()?;
    Some(Risk {
        severity,
        rules: found.iter().map(|f| f.1.to_string()).collect(),
        title: title.to_string(),
    })
}

/// Whether `permission` grants `probe` at all (fully or for names).
pub fn grants_probe(permission: &Permission, probe: &Probe) -> bool {
    let rule = permission.as_rule();
    probe
        .request(rule.api_groups.as_deref())
        .is_some_and(|r| rule_grants(&rule, &r).is_some())
}
