//! Operators acting for others: whoever may write a custom resource that a
//! live operator of the catalog acts on gains what the operator then does
//! (see [`crate::operators`]). The operator applies what the resource says
//! as its own ServiceAccount, runs pods of the writer's choosing in the
//! resource's namespace, or copies a cluster-wide store's secrets to the
//! writer. A resource that may name a ServiceAccount of its own namespace
//! gives every ServiceAccount there, lockdown or not.
//!
//! A namespaced resource is written in a namespace (a RoleBinding's, or
//! any with a cluster-wide grant); a cluster-scoped one only with a
//! cluster-wide grant. An operator that takes its resources from its own
//! namespace only is steered from there alone.

use super::found::{Found, step};
use super::holder::Holder;
use super::lookup::Lookup;
use crate::access::model::{Node, Technique};
use crate::operators::{Gate, Live, LiveSteer, Power};
use crate::rbac::SubjectId;

/// The steps through every live operator that `holder` may steer in `ns`.
pub(super) fn steps(holder: &Holder<'_>, lookup: &Lookup<'_>, ns: Option<&str>, out: &mut Found) {
    for op in lookup.operators {
        for steer in &op.steers {
            if steer.cluster_scoped && ns.is_some() {
                continue;
            }
            // Where the resource is written: `ns`, or the operator's own
            // namespace when it takes resources from there only.
            let at = match (&op.only_namespace, ns) {
                (Some(own), Some(n)) if own != n => continue,
                (Some(own), _) => Some(own.as_str()),
                (None, n) => n,
            };
            let at = if steer.cluster_scoped { None } else { at };
            let Some((verb, ground)) = steer.verbs.iter().find_map(|v| {
                let g = holder.grants(at.or(ns), v, &steer.group, &steer.resource, "");
                Some((v.as_str(), g.all?))
            }) else {
                continue;
            };
            let permission = format!("{verb} {}.{}", steer.resource, steer.group);
            for (target, what) in targets(op, steer, at) {
                let mut s = step(
                    Technique::Operator,
                    at,
                    vec![permission.clone()],
                    vec![ground.clone()],
                );
                s.because = Some(format!(
                    "{} ({}, as ServiceAccount {}/{}) {what}",
                    op.title, op.runs, op.account.0, op.account.1
                ));
                out.push((target, s));
            }
        }
    }
}

/// What writing `steer` in `at` (any namespace, for `None`) gains, and
/// how the operator gives it.
fn targets(op: &Live, steer: &LiveSteer, at: Option<&str>) -> Vec<(Node, String)> {
    let kind = &steer.resource;
    let mut out = Vec::new();
    match (steer.power, &op.gate) {
        (Power::AsController, _) if op.locked_by.is_some() => {}
        (Power::AsController, Gate::Projects(projects)) => {
            let usable: Vec<_> = (projects.iter())
                .filter(|p| p.usable_from(at, &op.account.0))
                .collect();
            if let Some(p) = usable.iter().find(|p| p.cluster_wide) {
                out.push((
                    controller(op),
                    format!(
                        "applies what {kind} say as its own ServiceAccount, through AppProject {}, which deploys to this cluster and allows ClusterRoleBindings",
                        p.name
                    ),
                ));
            } else {
                let mut seen = std::collections::BTreeSet::new();
                for p in usable {
                    for ns in &p.namespaces {
                        if seen.insert(ns.as_str()) {
                            out.push((
                                Node::NewPods(Some(ns.clone())),
                                format!(
                                    "applies what {kind} say in namespace {ns} (AppProject {} deploys there), pods of the writer's choosing among them",
                                    p.name
                                ),
                            ));
                        }
                    }
                }
            }
        }
        (Power::AsController, _) => out.push((
            controller(op),
            format!("applies what {kind} say as its own ServiceAccount"),
        )),
        (Power::PodsInNamespace, _) => out.push((
            Node::NewPods(at.map(String::from)),
            format!("runs the pods {kind} describe, as any ServiceAccount of their namespace"),
        )),
        (Power::SecretsOfStore, Gate::Stores(stores)) => {
            for s in stores.iter().filter(|s| s.usable_from(at)) {
                if let Some(ns) = &s.reads {
                    out.push((
                        Node::Secrets(Some(ns.clone())),
                        format!(
                            "copies into the writer's namespace the Secrets of namespace {ns} that ClusterSecretStore {} reads ({kind})",
                            s.name
                        ),
                    ));
                }
            }
        }
        (Power::SecretsOfStore, _) => out.push((
            Node::Secrets(None),
            format!(
                "copies into the writer's namespace the secrets a ClusterSecretStore's credentials read ({kind})"
            ),
        )),
    }
    if steer.tenant_account {
        out.push((
            Node::ServiceAccounts(at.map(String::from)),
            format!(
                "acts as the ServiceAccount {kind} name (spec.serviceAccountName), any of their namespace{}",
                match &op.locked_by {
                    Some(flag) => format!(" (its lockdown, {flag}, leaves this open)"),
                    None => String::new(),
                }
            ),
        ));
    }
    out
}

/// The operator's own ServiceAccount.
fn controller(op: &Live) -> Node {
    Node::Subject(SubjectId::ServiceAccount {
        namespace: op.account.0.clone(),
        name: op.account.1.clone(),
    })
}
