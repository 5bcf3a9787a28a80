//! Code in existing pods: exec, attach, ephemeral containers, or replacing
//! a pod's image runs code inside the pod, with its tokens.

use super::found::{Found, permission, step};
use super::holder::Holder;
use super::lookup::Lookup;
use crate::access::model::{Node, Technique};

/// Requests that run code inside an existing pod, with its tokens.
const POD_CONTROL: &[(&str, &str)] = &[
    ("create", "exec"),
    ("create", "attach"),
    ("update", "ephemeralcontainers"),
    ("patch", "ephemeralcontainers"),
    ("update", ""),
    ("patch", ""),
];

/// Control of the pods of `ns`, or of the named ones.
pub(super) fn steps(holder: &Holder<'_>, lookup: &Lookup<'_>, ns: Option<&str>, out: &mut Found) {
    let scoped = |n: Option<&str>| n.map(String::from);
    let pod_requests: Vec<(&str, &str, &str, &str)> = POD_CONTROL
        .iter()
        .map(|&(v, s)| (v, "", "pods", s))
        .collect();
    if let Some((perm, g)) = holder.any_all(ns, &pod_requests) {
        out.push((
            Node::Pods(scoped(ns)),
            step(Technique::ControlPods, ns, vec![perm], vec![g]),
        ));
    } else {
        for &(v, sub) in POD_CONTROL {
            for (name, g) in holder.grants(ns, v, "", "pods", sub).named {
                for (_, i) in Lookup::in_scope(lookup.pods_by_name.named(name), ns) {
                    out.push((
                        Node::Pod(i),
                        step(
                            Technique::ControlPods,
                            ns,
                            vec![format!("{} {name}", permission(v, "", "pods", sub))],
                            vec![g.clone()],
                        ),
                    ));
                }
            }
        }
    }
}
