//! Tokens: reading Secrets yields the tokens of legacy token Secrets (all
//! of a namespace's, with every name; the named ones' otherwise), and a
//! TokenRequest (`create serviceaccounts/token`) mints a token for a
//! ServiceAccount.

use super::found::{Found, permission, step};
use super::holder::Holder;
use super::lookup::Lookup;
use crate::access::model::{Node, Technique};
use crate::rbac::SubjectId;

/// Reading Secrets and requesting tokens in `ns`.
pub(super) fn steps(holder: &Holder<'_>, lookup: &Lookup<'_>, ns: Option<&str>, out: &mut Found) {
    let scoped = |n: Option<&str>| n.map(String::from);
    let secret_requests = [
        ("list", "", "secrets", ""),
        ("watch", "", "secrets", ""),
        ("get", "", "secrets", ""),
    ];
    if let Some((perm, g)) = holder.any_all(ns, &secret_requests) {
        out.push((
            Node::Secrets(scoped(ns)),
            step(Technique::ReadSecrets, ns, vec![perm], vec![g]),
        ));
    } else {
        for &(v, ..) in &secret_requests {
            for (name, g) in holder.grants(ns, v, "", "secrets", "").named {
                let named = lookup.token_secrets.get(name).into_iter().flatten();
                for (sns, sa) in Lookup::in_scope(named.copied(), ns) {
                    let mut s = step(
                        Technique::ReadSecrets,
                        ns,
                        vec![format!("{v} secrets {name}")],
                        vec![g.clone()],
                    );
                    s.because = Some(format!("secret {sns}/{name}"));
                    out.push((
                        Node::Subject(SubjectId::ServiceAccount {
                            namespace: sns.to_string(),
                            name: sa.to_string(),
                        }),
                        s,
                    ));
                }
            }
        }
    }
    service_account_steps(
        holder,
        lookup,
        ns,
        (Technique::RequestToken, "create", "token"),
        out,
    );
}

/// Steps of technique `how` towards ServiceAccounts through `verb` on
/// `serviceaccounts[/sub]` in `ns`: to every ServiceAccount of the scope
/// when granted for every name, else to each named one that exists.
pub(super) fn service_account_steps(
    holder: &Holder<'_>,
    lookup: &Lookup<'_>,
    ns: Option<&str>,
    (how, verb, sub): (Technique, &str, &str),
    out: &mut Found,
) {
    let scoped = |n: Option<&str>| n.map(String::from);
    let grants = holder.grants(ns, verb, "", "serviceaccounts", sub);
    let perm = permission(verb, "", "serviceaccounts", sub);
    if let Some(g) = grants.all {
        out.push((
            Node::ServiceAccounts(scoped(ns)),
            step(how, ns, vec![perm], vec![g]),
        ));
        return;
    }
    for (name, g) in grants.named {
        let namespaces: Vec<&str> = lookup
            .service_accounts
            .get(name)
            .into_iter()
            .flatten()
            .copied()
            .filter(|n| ns.is_none_or(|ns| ns == *n))
            .collect();
        for sns in namespaces {
            out.push((
                Node::Subject(SubjectId::ServiceAccount {
                    namespace: sns.to_string(),
                    name: name.to_string(),
                }),
                step(how, ns, vec![format!("{perm} {name}")], vec![g.clone()]),
            ));
        }
    }
}
