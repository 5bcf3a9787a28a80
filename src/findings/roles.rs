//! Risky roles: which template rules a Role or ClusterRole satisfies on its
//! own, and through which of its rules. A ClusterRole is rated as if bound
//! cluster-wide (what it *can* grant); a Role in its own namespace.

use super::{Code, Finding, FindingScope, Model, Sink};
use crate::rbac::RoleId;
use std::sync::Arc;

/// Appends one `risky-role` finding per (role, template rule) satisfied.
pub fn find(m: &Model<'_, '_, '_, '_>, sink: &mut Sink) {
    let (cx, out) = (m.cx, sink);
    for (i, role) in cx.rbac.roles.iter().enumerate() {
        let scope = cx.access.home_scope(RoleId(i));
        for ((ri, sat), rated) in cx.access.roles[i].iter().zip(&cx.ratings.roles[i]) {
            let risk = &cx.template.rules[*ri];
            let names = sat.narrowed_to().map(|n| n.into_iter().collect::<Vec<_>>());
            let evidence = cx.evidence(*ri, &sat.grounds, |_| None);
            let rules: Vec<String> = evidence
                .iter()
                .map(|e| format!("rules[{}]", e.rule_index))
                .collect();
            let message = format!(
                "{} allows: {}{} (through {})",
                role.key,
                risk.title.to_lowercase(),
                names
                    .as_ref()
                    .map(|n| format!(", only on {}", n.join(", ")))
                    .unwrap_or_default(),
                rules.join(", ")
            );
            out.push(
                Finding::new(
                    Code::RiskyRole,
                    rated.severity,
                    Arc::clone(&risk.title),
                    message,
                    FindingScope::of(&scope),
                )
                .rule(&risk.id, *ri)
                .role(role.key.clone())
                .fingerprinted("")
                .resource_names(names)
                .remediation(Arc::clone(&risk.remediation))
                .bootstrap_default(role.default)
                .evidence(evidence)
                .rated_by(rated.targets.clone()),
            );
        }
    }
}
