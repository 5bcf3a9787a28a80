//! Admission: whoever may create or change a mutating or validating
//! webhook configuration sees, and may rewrite, every request.

use super::found::{Found, permission, step};
use super::holder::Holder;
use super::lookup::Lookup;
use crate::access::model::{Node, Technique};

const ADMISSION_GROUP: &str = "admissionregistration.k8s.io";

/// Admission webhooks (cluster-wide rules only).
pub(super) fn steps(holder: &Holder<'_>, _lookup: &Lookup<'_>, ns: Option<&str>, out: &mut Found) {
    if ns.is_some() {
        return;
    }
    // Admission webhooks see, and may rewrite, every request.
    'webhooks: for resource in [
        "mutatingwebhookconfigurations",
        "validatingwebhookconfigurations",
    ] {
        for v in ["create", "update", "patch"] {
            let g = holder.grants(None, v, ADMISSION_GROUP, resource, "");
            let found = match g.all {
                Some(all) => Some((permission(v, ADMISSION_GROUP, resource, ""), all)),
                None if v != "create" => g.named.into_iter().next().map(|(n, g)| {
                    (
                        format!("{} {n}", permission(v, ADMISSION_GROUP, resource, "")),
                        g,
                    )
                }),
                None => None,
            };
            if let Some((perm, ground)) = found {
                out.push((
                    Node::ClusterAdmin,
                    step(Technique::AdmissionWebhook, None, vec![perm], vec![ground]),
                ));
                break 'webhooks;
            }
        }
    }
}
