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
use crate::operators::{Live, LiveSteer, Power};
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

/// What writing `steer` in `at` gains, and how the operator gives it.
fn targets(op: &Live, steer: &LiveSteer, at: Option<&str>) -> Vec<(Node, String)> {
    let kind = &steer.resource;
    let mut out = Vec::new();
    match steer.power {
        Power::AsController if op.locked_by.is_none() => out.push((
            Node::Subject(SubjectId::ServiceAccount {
                namespace: op.account.0.clone(),
                name: op.account.1.clone(),
            }),
            format!("applies what {kind} say as its own ServiceAccount"),
        )),
        Power::AsController => {}
        Power::PodsInNamespace => out.push((
            Node::NewPods(at.map(String::from)),
            format!("runs the pods {kind} describe, as any ServiceAccount of their namespace"),
        )),
        Power::SecretsOfStore => out.push((
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
