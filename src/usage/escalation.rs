//! The `escalate` and `bind` checks of a write to RBAC objects.
//!
//! RBAC's storage lets a user write a role or a binding that grants more
//! than the user holds only if the authorizer allows a further check,
//! made before the comparison of permissions and never audited apart:
//!
//! - creating, updating or patching a Role or ClusterRole checks
//!   `escalate` on `roles` or `clusterroles`, in the request's namespace,
//!   with the request's name (none for a create, which posts to the
//!   collection);
//! - creating, updating or patching a RoleBinding or ClusterRoleBinding
//!   checks `bind` on the role it references (`roles` or `clusterroles`,
//!   the role's name) in the binding's namespace.
//!
//! The audit log records the write only. So a write is also a use of a
//! grant of `escalate` or `bind` that allows its check: without it, the
//! next such write fails unless the writer holds everything the role
//! grants. A binding's role is read from the snapshot (a binding's
//! `roleRef` cannot change); a binding no longer in it gives no check.
//! Where no grant allows the check, the write went through because the
//! writer held the permissions, and nothing is counted.

use super::Observed;
use crate::audit::RequestRef;
use crate::snapshot::Kind;

/// The API group of RBAC objects.
const RBAC: &str = "rbac.authorization.k8s.io";

/// The verbs that write an object through RBAC's storage.
const WRITES: [&str; 3] = ["create", "update", "patch"];

/// The role a binding references: its resource (`roles` or
/// `clusterroles`) and name.
pub type RoleOf<'a> = dyn Fn(Kind, &str, &str) -> Option<(&'a str, &'a str)> + 'a;

/// The check `observed` needed beyond itself, if it writes a role or a
/// binding: `role_of(kind, namespace, name)` gives a binding's role.
pub fn check<'a>(observed: &Observed<'a>, role_of: &RoleOf<'a>) -> Option<Observed<'a>> {
    let r = &observed.request;
    if r.api_group != RBAC
        || !r.subresource.is_empty()
        || r.non_resource_url.is_some()
        || !WRITES.contains(&r.verb)
    {
        return None;
    }
    let (verb, resource, name) = match r.resource {
        "roles" | "clusterroles" => (
            "escalate",
            r.resource,
            if r.verb == "create" { "" } else { r.name },
        ),
        "rolebindings" | "clusterrolebindings" => {
            let kind = if r.resource == "rolebindings" {
                Kind::RoleBinding
            } else {
                Kind::ClusterRoleBinding
            };
            let (resource, name) = role_of(kind, r.namespace, r.name)?;
            ("bind", resource, name)
        }
        _ => return None,
    };
    Some(Observed {
        request: RequestRef {
            verb,
            resource,
            name,
            reason: None,
            ..*r
        },
        ..*observed
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(
        verb: &'static str,
        resource: &'static str,
        namespace: &'static str,
        name: &'static str,
    ) -> Observed<'static> {
        Observed {
            request: RequestRef {
                user: "ci",
                verb,
                api_group: RBAC,
                resource,
                namespace,
                name,
                ..RequestRef::default()
            },
            count: 2,
            last: jiff::Timestamp::UNIX_EPOCH,
        }
    }

    /// The snapshot's bindings: `team/deployers` binds the ClusterRole
    /// `edit`, `admins` the ClusterRole `admin`.
    fn role_of(kind: Kind, namespace: &str, name: &str) -> Option<(&'static str, &'static str)> {
        match (kind, namespace, name) {
            (Kind::RoleBinding, "team", "deployers") => Some(("clusterroles", "edit")),
            (Kind::ClusterRoleBinding, "", "admins") => Some(("clusterroles", "admin")),
            _ => None,
        }
    }

    fn of(
        o: Observed<'static>,
    ) -> Option<(&'static str, &'static str, &'static str, &'static str)> {
        let c = check(&o, &role_of)?;
        assert_eq!(
            (c.count, c.request.user, c.request.api_group),
            (2, "ci", RBAC)
        );
        Some((
            c.request.verb,
            c.request.resource,
            c.request.namespace,
            c.request.name,
        ))
    }

    #[test]
    fn writing_a_role_checks_escalate_on_it_and_a_create_names_none() {
        assert_eq!(
            of(write("update", "roles", "team", "dev")),
            Some(("escalate", "roles", "team", "dev"))
        );
        assert_eq!(
            of(write("patch", "clusterroles", "", "view")),
            Some(("escalate", "clusterroles", "", "view"))
        );
        assert_eq!(
            of(write("create", "roles", "team", "dev")),
            Some(("escalate", "roles", "team", ""))
        );
    }

    #[test]
    fn writing_a_binding_checks_bind_on_its_role_in_the_bindings_namespace() {
        assert_eq!(
            of(write("create", "rolebindings", "team", "deployers")),
            Some(("bind", "clusterroles", "team", "edit"))
        );
        assert_eq!(
            of(write("update", "clusterrolebindings", "", "admins")),
            Some(("bind", "clusterroles", "", "admin"))
        );
        // A binding the snapshot does not hold: its role is unknown.
        assert_eq!(of(write("create", "rolebindings", "team", "gone")), None);
    }

    #[test]
    fn reads_deletes_and_other_groups_check_nothing_more() {
        for o in [
            write("get", "roles", "team", "dev"),
            write("delete", "rolebindings", "team", "deployers"),
            write("deletecollection", "roles", "team", ""),
        ] {
            assert_eq!(of(o), None);
        }
        let mut other = write("update", "roles", "team", "dev");
        other.request.api_group = "example.com";
        assert_eq!(of(other), None);
        let mut status = write("update", "roles", "team", "dev");
        status.request.subresource = "status";
        assert_eq!(of(status), None);
    }
}
