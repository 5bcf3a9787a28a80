//! Risky roles: which template rules a Role or ClusterRole satisfies on its
//! own, and through which of its rules. A ClusterRole is rated as if bound
//! cluster-wide (what it *can* grant); a Role in its own namespace.

use super::matching::{Source, satisfy};
use super::{Code, Context, Finding, FindingScope};
use crate::rbac::{RoleId, Scope};
use crate::snapshot::Kind;

/// Appends one `risky-role` finding per (role, template rule) satisfied.
pub fn find(cx: &Context<'_, '_>, out: &mut Vec<Finding>) {
    for (i, role) in cx.rbac.roles.iter().enumerate() {
        let id = RoleId(i);
        let (scope, cluster_wide) = match role.key.kind {
            Kind::ClusterRole => (Scope::Cluster, true),
            _ => (Scope::Namespace(role.key.namespace.clone()), false),
        };
        let sources = [Source {
            binding: None,
            role: id,
            cluster_wide,
        }];
        for (ri, risk) in cx.template.rules.iter().enumerate() {
            if !cx.profiles[i].touches(ri) {
                continue;
            }
            let Some(sat) = satisfy(cx.template, ri, &sources, cx.profiles) else {
                continue;
            };
            let narrowed = sat.narrowed_to.is_some();
            let names = sat.narrowed_to.map(|n| n.into_iter().collect::<Vec<_>>());
            let evidence = cx.evidence(&sat.grounds, |_| None);
            let rules: Vec<String> = evidence
                .iter()
                .map(|e| format!("rules[{}]", e.rule_index))
                .collect();
            out.push(Finding {
                code: Code::RiskyRole,
                rule: Some(risk.id.clone()),
                severity: cx.severity(risk, &scope, narrowed),
                fingerprint: Finding::fingerprint_of(
                    Code::RiskyRole,
                    Some(&risk.id),
                    None,
                    None,
                    Some(&role.key),
                    "",
                ),
                title: risk.title.clone(),
                subject: None,
                binding: None,
                role: Some(role.key.clone()),
                scope: FindingScope::of(&scope),
                message: format!(
                    "{} allows: {}{} (through {})",
                    role.key,
                    risk.title.to_lowercase(),
                    names
                        .as_ref()
                        .map(|n| format!(", only on {}", n.join(", ")))
                        .unwrap_or_default(),
                    rules.join(", ")
                ),
                resource_names: names,
                remediation: Some(risk.remediation.clone()),
                bootstrap_default: role.default,
                evidence,
                pod: None,
                rule_order: ri,
            });
        }
    }
}
