//! Risky bindings: the template rules a binding's role satisfies in the
//! binding's scope (a RoleBinding cannot grant cluster-scoped resources).

use super::matching::{Source, satisfy};
use super::{Code, Context, Finding, FindingScope};
use crate::rbac::{BindingId, Scope};
use crate::template::Severity;

/// Appends one `risky-binding` finding per (binding, template rule) and
/// returns each binding's highest severity (by binding id), for hygiene.
pub fn find(cx: &Context<'_, '_>, out: &mut Vec<Finding>) -> Vec<Option<Severity>> {
    let mut highest = vec![None; cx.rbac.bindings.len()];
    for (bi, b) in cx.rbac.bindings.iter().enumerate() {
        let Ok(role) = b.role else { continue };
        let sources = [Source {
            binding: Some(BindingId(bi)),
            role,
            cluster_wide: b.scope == Scope::Cluster,
        }];
        let role_key = &cx.rbac.role(role).key;
        for (ri, risk) in cx.template.rules.iter().enumerate() {
            if !cx.profiles[role.0].touches(ri) {
                continue;
            }
            let Some(sat) = satisfy(cx.template, ri, &sources, cx.profiles) else {
                continue;
            };
            let narrowed = sat.narrowed_to.is_some();
            let severity = cx.severity(risk, &b.scope, narrowed);
            highest[bi] = highest[bi].max(Some(severity));
            let names = sat.narrowed_to.map(|n| n.into_iter().collect::<Vec<_>>());
            let who = if b.subjects.is_empty() {
                "no valid subject".to_string()
            } else {
                b.subjects
                    .iter()
                    .map(|s| s.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            out.push(Finding {
                code: Code::RiskyBinding,
                rule: Some(risk.id.clone()),
                severity,
                fingerprint: Finding::fingerprint_of(
                    Code::RiskyBinding,
                    Some(&risk.id),
                    None,
                    Some(&b.key),
                    Some(role_key),
                    "",
                ),
                title: risk.title.clone(),
                subject: None,
                binding: Some(b.key.clone()),
                role: Some(role_key.clone()),
                scope: FindingScope::of(&b.scope),
                message: format!(
                    "{} grants {} ({}) {} to {who}",
                    b.key,
                    role_key,
                    risk.title.to_lowercase(),
                    b.scope
                ),
                resource_names: names,
                remediation: Some(risk.remediation.clone()),
                bootstrap_default: b.default && cx.role_is_default(role),
                evidence: cx.evidence(&sat.grounds, |_| None),
                pod: None,
                rule_order: ri,
            });
        }
    }
    highest
}
