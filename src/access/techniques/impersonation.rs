//! Impersonation: acting as another ServiceAccount, user or group
//! (`impersonate` on `serviceaccounts`, `users`, `groups`).

use super::found::{Found, permission, step};
use super::holder::Holder;
use super::lookup::Lookup;
use super::tokens::service_account_steps;
use crate::access::model::{Node, StepGrant, Technique};
use crate::rbac::SubjectId;
use crate::rbac::subjects::parse_service_account_user;

/// Impersonating ServiceAccounts in `ns`, and users and groups cluster-wide.
pub(super) fn steps(holder: &Holder<'_>, lookup: &Lookup<'_>, ns: Option<&str>, out: &mut Found) {
    service_account_steps(
        holder,
        lookup,
        ns,
        (Technique::Impersonate, "impersonate", ""),
        out,
    );
    // Users and groups are cluster-scoped: only cluster-wide rules grant
    // their impersonation.
    if ns.is_some() {
        return;
    }
    // The API server refuses Impersonate-Group (and UIDs and extras) unless
    // Impersonate-User is set too (k8s.io/apiserver's impersonation filter):
    // groups are a step only for a holder that may also impersonate some user
    // or ServiceAccount, and the step uses both permissions.
    let as_user = some_user(holder);
    for (resource, all_names) in [("users", &lookup.users), ("groups", &lookup.groups)] {
        let grants = holder.grants(None, "impersonate", "", resource, "");
        let perm = permission("impersonate", "", resource, "");
        let targets: Vec<(String, StepGrant, String)> = match &grants.all {
            Some(g) => all_names
                .iter()
                .map(|n| (n.to_string(), g.clone(), perm.clone()))
                .collect(),
            None => grants
                .named
                .iter()
                .map(|(n, g)| (n.to_string(), g.clone(), format!("{perm} {n}")))
                .collect(),
        };
        for (name, g, p) in targets {
            let (subject, permissions, grounds) = if resource == "users" {
                // A ServiceAccount's user name is impersonated through
                // `serviceaccounts`, not `users`.
                if parse_service_account_user(&name).is_some() {
                    continue;
                }
                (SubjectId::User { name }, vec![p], vec![g])
            } else {
                let Some((up, ug)) = &as_user else {
                    break;
                };
                let group = SubjectId::Group { name };
                (group, vec![p, up.clone()], vec![g, ug.clone()])
            };
            out.push((
                Node::Subject(subject),
                step(Technique::Impersonate, None, permissions, grounds),
            ));
        }
    }
}

/// How `holder` can name a user to impersonate (the `Impersonate-User` that
/// impersonated groups need), as (permission, grant): any user, a named user
/// that is not a ServiceAccount's user name, or a ServiceAccount, cluster-wide
/// or in one of its namespaces. `None` when it can name none.
fn some_user(holder: &Holder<'_>) -> Option<(String, StepGrant)> {
    let users = holder.grants(None, "impersonate", "", "users", "");
    if let Some(g) = users.all {
        return Some((permission("impersonate", "", "users", ""), g));
    }
    let named = (users.named.into_iter()).find(|(n, _)| parse_service_account_user(n).is_none());
    if let Some((n, g)) = named {
        return Some((format!("impersonate users {n}"), g));
    }
    let scopes = std::iter::once(None).chain(holder.namespaces.keys().map(|n| Some(n.as_str())));
    for ns in scopes {
        let sas = holder.grants(ns, "impersonate", "", "serviceaccounts", "");
        let (perm, g) = match (sas.all, sas.named.into_iter().next()) {
            (Some(g), _) => (permission("impersonate", "", "serviceaccounts", ""), g),
            (None, Some((n, g))) => (format!("impersonate serviceaccounts {n}"), g),
            (None, None) => continue,
        };
        let perm = match ns {
            Some(ns) => format!("{perm} in {ns}"),
            None => perm,
        };
        return Some((perm, g));
    }
    None
}
