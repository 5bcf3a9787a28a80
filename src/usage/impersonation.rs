//! The authorizations an impersonated request needed of its impersonator.
//!
//! The API server's impersonation filter (`WithImpersonation`) authorizes
//! each part of the identity asked for as the real user, with the verb
//! `impersonate`, before the request itself is authorized as the identity
//! impersonated:
//!
//! - a user name `system:serviceaccount:NS:NAME`: `serviceaccounts` NAME
//!   in namespace NS (core group);
//! - any other user name: `users` NAME (core group);
//! - each group asked for: `groups` NAME (core group);
//! - a UID: `uids` NAME, and each extra: `userextras/KEY` VALUE (both in
//!   `authentication.k8s.io`).
//!
//! The audit log records the identity impersonated after the filter has
//! completed it: `system:authenticated` (or `system:unauthenticated` for
//! `system:anonymous`) is added to every impersonated identity, and a
//! ServiceAccount impersonated without groups gets `system:serviceaccounts`
//! and `system:serviceaccounts:NS`. Those groups were not asked for, so
//! they needed no grant and are not counted. Extras are never read from
//! the log (they may hold credentials) and UIDs are not kept: their checks
//! are not counted.
//!
//! Each check is a use of the impersonator's grants as much as a request
//! is, counted as often as the request, and is attributed, proposed and
//! replayed like one.

use super::Observed;
use crate::audit::RequestRef;
use crate::rbac::subjects::parse_service_account_user;

/// The group every authenticated identity is in.
const AUTHENTICATED: &str = "system:authenticated";
/// The group of unauthenticated requests.
const UNAUTHENTICATED: &str = "system:unauthenticated";
/// The user of unauthenticated requests.
const ANONYMOUS: &str = "system:anonymous";
/// The group of every ServiceAccount.
const SERVICE_ACCOUNTS: &str = "system:serviceaccounts";

/// The impersonation checks `observed` needed, as requests of its
/// impersonator; none when it did not impersonate.
pub fn checks<'a>(observed: &Observed<'a>) -> Vec<Observed<'a>> {
    let r = &observed.request;
    let Some(impersonator) = r.impersonator else {
        return Vec::new();
    };
    let check = |resource: &'static str, namespace: &'a str, name: &'a str| Observed {
        request: RequestRef {
            user: impersonator,
            groups: r.impersonator_groups,
            verb: "impersonate",
            resource,
            namespace,
            name,
            ..RequestRef::default()
        },
        count: observed.count,
        last: observed.last,
    };
    let account = parse_service_account_user(r.user);
    let mut out = vec![match account {
        Some((namespace, name)) => check("serviceaccounts", namespace, name),
        None => check("users", "", r.user),
    }];
    let automatic = |group: &str| match account {
        _ if group == AUTHENTICATED && r.user != ANONYMOUS => true,
        _ if group == UNAUTHENTICATED && r.user == ANONYMOUS => true,
        Some((namespace, _)) => {
            group == SERVICE_ACCOUNTS
                || group
                    .strip_prefix(SERVICE_ACCOUNTS)
                    .and_then(|rest| rest.strip_prefix(':'))
                    == Some(namespace)
        }
        None => false,
    };
    out.extend(
        (r.groups.iter())
            .map(|g| &**g)
            .filter(|g| !automatic(g))
            .map(|g| check("groups", "", g)),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn impersonated<'a>(
        user: &'a str,
        groups: &'a [Box<str>],
        impersonator_groups: &'a [Box<str>],
    ) -> Observed<'a> {
        Observed {
            request: RequestRef {
                user,
                groups,
                impersonator: Some("ops"),
                impersonator_groups,
                verb: "list",
                resource: "secrets",
                namespace: "dev",
                ..RequestRef::default()
            },
            count: 3,
            last: jiff::Timestamp::UNIX_EPOCH,
        }
    }

    fn boxed(names: &[&str]) -> Vec<Box<str>> {
        names.iter().map(|&n| n.into()).collect()
    }

    /// (resource, namespace, name) of each check.
    fn of(o: &Observed<'_>) -> Vec<(String, String, String)> {
        checks(o)
            .iter()
            .map(|c| {
                let r = &c.request;
                assert_eq!((r.user, r.verb, r.api_group), ("ops", "impersonate", ""));
                assert_eq!(r.impersonator, None);
                assert_eq!(c.count, 3);
                (r.resource.into(), r.namespace.into(), r.name.into())
            })
            .collect()
    }

    fn triple(resource: &str, namespace: &str, name: &str) -> (String, String, String) {
        (resource.into(), namespace.into(), name.into())
    }

    #[test]
    fn a_request_that_did_not_impersonate_needed_no_check() {
        let groups = boxed(&["dev"]);
        let mut o = impersonated("jane", &groups, &[]);
        o.request.impersonator = None;
        assert!(checks(&o).is_empty());
    }

    #[test]
    fn a_user_and_the_groups_asked_for_are_each_checked_as_the_impersonator() {
        let groups = boxed(&["developers", "system:authenticated"]);
        let mine = boxed(&["sre", "system:authenticated"]);
        let o = impersonated("jane", &groups, &mine);
        assert_eq!(
            of(&o),
            [
                triple("users", "", "jane"),
                triple("groups", "", "developers")
            ]
        );
        // With the impersonator's own groups, for group bindings.
        let c = checks(&o);
        let theirs: Vec<&str> = c[0].request.groups().collect();
        assert_eq!(theirs, ["sre", "system:authenticated"]);
    }

    #[test]
    fn a_service_account_is_checked_in_its_namespace_without_its_automatic_groups() {
        let groups = boxed(&[
            "system:serviceaccounts",
            "system:serviceaccounts:ci",
            "system:authenticated",
        ]);
        let o = impersonated("system:serviceaccount:ci:deployer", &groups, &[]);
        assert_eq!(of(&o), [triple("serviceaccounts", "ci", "deployer")]);
        // Another namespace's ServiceAccount group was asked for.
        let groups = boxed(&["system:serviceaccounts:prod"]);
        let o = impersonated("system:serviceaccount:ci:deployer", &groups, &[]);
        assert_eq!(
            of(&o),
            [
                triple("serviceaccounts", "ci", "deployer"),
                triple("groups", "", "system:serviceaccounts:prod")
            ]
        );
    }

    #[test]
    fn anonymous_gets_the_unauthenticated_group_without_asking() {
        let groups = boxed(&["system:unauthenticated"]);
        let o = impersonated("system:anonymous", &groups, &[]);
        assert_eq!(of(&o), [triple("users", "", "system:anonymous")]);
        // A user named like a group is only a user.
        let groups = boxed(&["system:unauthenticated", "system:authenticated"]);
        let o = impersonated("jane", &groups, &[]);
        assert_eq!(
            of(&o),
            [
                triple("users", "", "jane"),
                triple("groups", "", "system:unauthenticated")
            ]
        );
    }
}
