//! Pods of one's choosing: whoever may create pods, or a controller that
//! creates them from a template, or rewrite an existing controller's
//! template, runs code as any ServiceAccount of the namespace; where the
//! namespace enforces a Pod Security level that the holder may lift by
//! relabelling it, a privileged pod takes over a node.

use super::found::{Found, permission, step};
use super::holder::Holder;
use super::lookup::Lookup;
use crate::access::model::{Node, POD_SECURITY_ENFORCE_LABEL, Technique};

/// Requests that run a pod of one's choosing: pods, and every built-in
/// controller that creates pods from a template (a named update or patch of
/// an existing controller rewrites its template, ServiceAccount included).
const WORKLOADS: &[(&str, &str, &str)] = &[
    ("create", "", "pods"),
    ("create", "apps", "deployments"),
    ("create", "apps", "replicasets"),
    ("create", "apps", "statefulsets"),
    ("create", "apps", "daemonsets"),
    ("create", "batch", "jobs"),
    ("create", "batch", "cronjobs"),
    ("create", "", "replicationcontrollers"),
    ("update", "apps", "deployments"),
    ("patch", "apps", "deployments"),
    ("update", "apps", "replicasets"),
    ("patch", "apps", "replicasets"),
    ("update", "apps", "statefulsets"),
    ("patch", "apps", "statefulsets"),
    ("update", "apps", "daemonsets"),
    ("patch", "apps", "daemonsets"),
    ("update", "batch", "cronjobs"),
    ("patch", "batch", "cronjobs"),
    ("update", "", "replicationcontrollers"),
    ("patch", "", "replicationcontrollers"),
];

/// Creating or rewriting workloads in `ns`, and lifting its Pod Security level.
pub(super) fn steps(holder: &Holder<'_>, lookup: &Lookup<'_>, ns: Option<&str>, out: &mut Found) {
    let scoped = |n: Option<&str>| n.map(String::from);
    let workload_requests: Vec<(&str, &str, &str, &str)> =
        WORKLOADS.iter().map(|&(v, g, r)| (v, g, r, "")).collect();
    let workloads = holder.any_all(ns, &workload_requests).or_else(|| {
        // A named update or patch of an existing controller rewrites its template.
        WORKLOADS
            .iter()
            .filter(|(v, ..)| *v != "create")
            .find_map(|&(v, g, r)| {
                let (name, ground) = holder.grants(ns, v, g, r, "").named.into_iter().next()?;
                Some((format!("{} {name}", permission(v, g, r, "")), ground))
            })
    });
    if let Some((perm, ground)) = &workloads {
        out.push((
            Node::NewPods(scoped(ns)),
            step(
                Technique::CreateWorkloads,
                ns,
                vec![perm.clone()],
                vec![ground.clone()],
            ),
        ));
        let restricted: Vec<&str> = match ns {
            Some(n) => lookup
                .restricted
                .iter()
                .copied()
                .filter(|r| *r == n)
                .collect(),
            None => lookup.restricted.iter().copied().collect(),
        };
        if let Some(first) = restricted.first() {
            let relabel = ["patch", "update"].iter().find_map(|v| {
                let g = holder.grants(ns.or(Some(first)), v, "", "namespaces", "");
                let ground = match ns {
                    Some(n) => g.for_name(n)?,
                    None => g.all?,
                };
                Some((permission(v, "", "namespaces", ""), ground))
            });
            if let Some((p, rg)) = relabel {
                let mut s = step(
                    Technique::LiftPodSecurity,
                    ns,
                    vec![perm.clone(), p],
                    vec![ground.clone(), rg],
                );
                s.because = Some(format!(
                    "namespace {first} enforces a Pod Security level that the label {POD_SECURITY_ENFORCE_LABEL} sets"
                ));
                out.push((Node::AnyHost, s));
            }
        }
    }
}
