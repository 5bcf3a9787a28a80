//! Risky bindings: the template rules a binding's role satisfies in the
//! binding's scope (a RoleBinding cannot grant cluster-scoped resources),
//! rated (see [`crate::rating`]). A binding that applies to nobody grants
//! nothing: it is hygiene (see `hygiene`), not a risk.

use super::{Code, Finding, FindingScope, Model, Sink};
use crate::rbac::BindingId;
use std::sync::Arc;

/// Appends one `risky-binding` finding per (binding, template rule).
pub fn find(m: &Model<'_, '_, '_, '_>, sink: &mut Sink) {
    let (cx, out) = (m.cx, sink);
    for (bi, b) in cx.rbac.bindings.iter().enumerate() {
        let Ok(role) = b.role else { continue };
        if b.subjects.is_empty() {
            continue;
        }
        let role_key = &cx.rbac.role(role).key;
        let risks = &cx.access.bindings[BindingId(bi).0];
        for ((ri, sat), rated) in risks.iter().zip(&cx.ratings.bindings[bi]) {
            let risk = &cx.template.rules[*ri];
            let names = sat.narrowed_to().map(|n| n.into_iter().collect::<Vec<_>>());
            let who = b
                .subjects
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .join(", ");
            let message = format!(
                "{} grants {} ({}) {} to {who}",
                b.key,
                role_key,
                risk.title.to_lowercase(),
                b.scope
            );
            out.push(
                Finding::new(
                    Code::RiskyBinding,
                    rated.severity,
                    Arc::clone(&risk.title),
                    message,
                    FindingScope::of(&b.scope),
                )
                .rule(&risk.id, *ri)
                .binding(b.key.clone())
                .role(role_key.clone())
                .fingerprinted("")
                .resource_names(names)
                .remediation(Arc::clone(&risk.remediation))
                .bootstrap_default(b.default && cx.role_is_default(role))
                .evidence(cx.evidence(*ri, &sat.grounds, |_| None))
                .rated_by(rated.targets.clone()),
            );
        }
    }
}
