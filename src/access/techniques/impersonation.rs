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
            let subject = if resource == "users" {
                // A ServiceAccount's user name is impersonated through
                // `serviceaccounts`, not `users`.
                if parse_service_account_user(&name).is_some() {
                    continue;
                }
                SubjectId::User { name }
            } else {
                SubjectId::Group { name }
            };
            out.push((
                Node::Subject(subject),
                step(Technique::Impersonate, None, vec![p], vec![g]),
            ));
        }
    }
}
