//! Writing RBAC: `bind` on a role with the right to create bindings grants
//! the holder the role's power (the role then holds steps of its own), and
//! `escalate` with the right to update a role grants any permission.

use std::collections::BTreeSet;

use super::found::{Found, RBAC_GROUP, permission, step};
use super::holder::Holder;
use super::lookup::Lookup;
use crate::access::model::{Node, StepGrant, Technique};
use crate::rbac::{RoleId, Scope};

/// Binding roles and escalating roles in `ns`.
pub(super) fn steps(holder: &Holder<'_>, lookup: &Lookup<'_>, ns: Option<&str>, out: &mut Found) {
    let scoped = |n: Option<&str>| n.map(String::from);
    bind_steps(holder, lookup, ns, out);
    // Escalate: add any permission to a role one can update.
    let escalate = |kind: &str| {
        let e = holder.grants(ns, "escalate", RBAC_GROUP, kind, "");
        if e.all.is_none() && e.named.is_empty() {
            return None;
        }
        ["update", "patch"].iter().find_map(|v| {
            let u = holder.grants(ns, v, RBAC_GROUP, kind, "");
            match (&e.all, &u.all) {
                (Some(a), Some(b)) => Some((
                    vec![
                        permission("escalate", RBAC_GROUP, kind, ""),
                        permission(v, RBAC_GROUP, kind, ""),
                    ],
                    vec![a.clone(), b.clone()],
                )),
                _ => {
                    // Named: only a role the holder is itself bound to helps.
                    let held: BTreeSet<RoleId> = holder
                        .cluster
                        .iter()
                        .chain(
                            ns.and_then(|n| holder.namespaces.get(n))
                                .into_iter()
                                .flatten(),
                        )
                        .filter(|h| h.ground.binding.is_some())
                        .map(|h| h.ground.role)
                        .collect();
                    held.iter().find_map(|r| {
                        let name = &lookup.rbac.role(*r).key.name;
                        let a = e.for_name(name)?;
                        let b = u.for_name(name)?;
                        Some((
                            vec![
                                format!("escalate {kind} {name}"),
                                format!("{v} {kind} {name}"),
                            ],
                            vec![a, b],
                        ))
                    })
                }
            }
        })
    };
    match ns {
        None => {
            if let Some((perms, grounds)) = escalate("clusterroles") {
                out.push((
                    Node::ClusterAdmin,
                    step(Technique::Escalate, None, perms, grounds),
                ));
            }
        }
        Some(n) => {
            if let Some((perms, grounds)) = escalate("roles") {
                for target in [
                    Node::NewPods(scoped(ns)),
                    Node::Pods(scoped(ns)),
                    Node::Secrets(scoped(ns)),
                    Node::ServiceAccounts(scoped(ns)),
                ] {
                    out.push((
                        target,
                        step(Technique::Escalate, Some(n), perms.clone(), grounds.clone()),
                    ));
                }
            }
        }
    }
}

/// `bind` on a role with the right to create bindings in `ns` (`None`:
/// ClusterRoleBindings): the holder can grant itself the role there.
pub(super) fn bind_steps(
    holder: &Holder<'_>,
    lookup: &Lookup<'_>,
    ns: Option<&str>,
    out: &mut Found,
) {
    let (binding_kind, scope) = match ns {
        None => ("clusterrolebindings", Scope::Cluster),
        Some(n) => ("rolebindings", Scope::Namespace(n.to_string())),
    };
    // Whoever holds everything in a namespace gains nothing there by binding
    // a role (cluster-wide, everything is cluster-admin already).
    if holder.grants(ns, "*", "*", "*", "").all.is_some() {
        return;
    }
    let Some(create) = holder
        .grants(ns, "create", RBAC_GROUP, binding_kind, "")
        .all
    else {
        return;
    };
    let create_perm = permission("create", RBAC_GROUP, binding_kind, "");
    let mut targets: Vec<(RoleId, String, StepGrant)> = Vec::new();
    let cr = holder.grants(ns, "bind", RBAC_GROUP, "clusterroles", "");
    match &cr.all {
        Some(g) => targets.extend(lookup.cluster_role_ids.iter().map(|r| {
            (
                *r,
                permission("bind", RBAC_GROUP, "clusterroles", ""),
                g.clone(),
            )
        })),
        None => targets.extend(cr.named.iter().filter_map(|(name, g)| {
            Some((
                *lookup.cluster_roles.get(*name)?,
                format!("bind clusterroles {name}"),
                g.clone(),
            ))
        })),
    }
    if let Some(n) = ns {
        let r = holder.grants(ns, "bind", RBAC_GROUP, "roles", "");
        match &r.all {
            Some(g) => targets.extend(
                lookup
                    .roles_in
                    .get(n)
                    .into_iter()
                    .flatten()
                    .map(|id| (*id, permission("bind", RBAC_GROUP, "roles", ""), g.clone())),
            ),
            None => targets.extend(r.named.iter().filter_map(|(name, g)| {
                Some((
                    *lookup.roles.get(&(n, *name))?,
                    format!("bind roles {name}"),
                    g.clone(),
                ))
            })),
        }
    }
    for (role, perm, g) in targets {
        out.push((
            Node::Bound(role, scope.clone()),
            step(
                Technique::Bind,
                ns,
                vec![create_perm.clone(), perm],
                vec![create.clone(), g],
            ),
        ));
    }
}
