//! Tokens: reading Secrets yields the tokens of legacy token Secrets (all
//! of a namespace's, with every name; the named ones' otherwise); creating
//! a legacy token Secret and reading it back yields the token of any
//! ServiceAccount of the namespace; and a TokenRequest (`create
//! serviceaccounts/token`) mints a token for a ServiceAccount.

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
    mint_steps(holder, ns, out);
    service_account_steps(
        holder,
        lookup,
        ns,
        (Technique::RequestToken, "create", "token"),
        out,
    );
    cloud_token_steps(holder, lookup, ns, out);
}

/// A TokenRequest chooses the token's audience: a token minted for a
/// ServiceAccount federated with a cloud identity, with that cloud's
/// audience (`sts.amazonaws.com`, GKE's or Azure's token exchange), is that
/// identity's. Legacy and impersonated tokens are not: the cloud checks the
/// issuer and audience of a bound token.
fn cloud_token_steps(holder: &Holder<'_>, lookup: &Lookup<'_>, ns: Option<&str>, out: &mut Found) {
    if lookup.clouds.is_empty() {
        return;
    }
    let grants = holder.grants(ns, "create", "", "serviceaccounts", "token");
    if grants.all.is_none() && grants.named.is_empty() {
        return;
    }
    let perm = permission("create", "", "serviceaccounts", "token");
    let doors = lookup.clouds.iter().map(|(sns, door)| (*sns, door));
    for (sns, &(name, provider, annotation, id)) in Lookup::in_scope(doors, ns) {
        let Some(g) = grants.for_name(name) else {
            continue;
        };
        let permission = match grants.all {
            Some(_) => perm.clone(),
            None => format!("{perm} {name}"),
        };
        let mut s = step(Technique::RequestToken, ns, vec![permission], vec![g]);
        s.because = Some(format!("ServiceAccount {sns}/{name} ({annotation})"));
        let door = Node::Cloud {
            provider,
            id: id.to_string(),
        };
        out.push((door, s));
    }
}

/// A minted legacy token: the token controller fills in any Secret of type
/// `kubernetes.io/service-account-token` annotated with an existing
/// ServiceAccount's name (`kubernetes.io/service-account.name`), so
/// whoever may create Secrets in `ns` and read back the one it made holds
/// the token of every ServiceAccount there. `create` names no object (a
/// `resourceNames` list never allows it); reading back may: the holder
/// chooses the new Secret's name, so `get` limited to names is enough.
fn mint_steps(holder: &Holder<'_>, ns: Option<&str>, out: &mut Found) {
    let Some(create) = holder.grants(ns, "create", "", "secrets", "").all else {
        return;
    };
    let read = ["get", "list", "watch"].iter().find_map(|&v| {
        let g = holder.grants(ns, v, "", "secrets", "");
        match (g.all, g.named.into_iter().next()) {
            (Some(g), _) => Some((permission(v, "", "secrets", ""), g)),
            (None, Some((name, g))) if v == "get" => Some((format!("get secrets {name}"), g)),
            _ => None,
        }
    });
    if let Some((perm, g)) = read {
        out.push((
            Node::ServiceAccounts(ns.map(String::from)),
            step(
                Technique::MintToken,
                ns,
                vec![permission("create", "", "secrets", ""), perm],
                vec![create, g],
            ),
        ));
    }
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
