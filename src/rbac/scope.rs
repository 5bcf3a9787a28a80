//! Which requests a RoleBinding can grant at all.
//!
//! A RoleBinding's rules only apply to requests *in its namespace*. Requests
//! for cluster-scoped resources (nodes, persistentvolumes, clusterroles, ...)
//! and for non-resource URLs carry no namespace, so only ClusterRoleBindings
//! grant them. One exception: a request for a Namespace object itself carries
//! that namespace (`/api/v1/namespaces/{ns}`), so a RoleBinding in `ns` can
//! grant get/update/patch/delete on namespace `ns`; listing or creating
//! namespaces has no namespace.

/// Well-known cluster-scoped resources, by (API group, resource).
/// Resources not listed are assumed namespaced, which errs toward reporting.
const CLUSTER_SCOPED: &[(&str, &str)] = &[
    ("", "componentstatuses"),
    ("", "namespaces"),
    ("", "nodes"),
    ("", "persistentvolumes"),
    // Impersonation targets carry no namespace.
    ("", "users"),
    ("", "groups"),
    ("authentication.k8s.io", "uids"),
    ("authentication.k8s.io", "userextras"),
    ("authentication.k8s.io", "tokenreviews"),
    ("authentication.k8s.io", "selfsubjectreviews"),
    ("authorization.k8s.io", "selfsubjectaccessreviews"),
    ("authorization.k8s.io", "selfsubjectrulesreviews"),
    ("authorization.k8s.io", "subjectaccessreviews"),
    (
        "admissionregistration.k8s.io",
        "mutatingwebhookconfigurations",
    ),
    (
        "admissionregistration.k8s.io",
        "validatingwebhookconfigurations",
    ),
    (
        "admissionregistration.k8s.io",
        "validatingadmissionpolicies",
    ),
    (
        "admissionregistration.k8s.io",
        "validatingadmissionpolicybindings",
    ),
    ("admissionregistration.k8s.io", "mutatingadmissionpolicies"),
    (
        "admissionregistration.k8s.io",
        "mutatingadmissionpolicybindings",
    ),
    ("apiextensions.k8s.io", "customresourcedefinitions"),
    ("apiregistration.k8s.io", "apiservices"),
    ("certificates.k8s.io", "certificatesigningrequests"),
    ("certificates.k8s.io", "clustertrustbundles"),
    ("certificates.k8s.io", "signers"),
    ("flowcontrol.apiserver.k8s.io", "flowschemas"),
    (
        "flowcontrol.apiserver.k8s.io",
        "prioritylevelconfigurations",
    ),
    ("networking.k8s.io", "ingressclasses"),
    ("networking.k8s.io", "ipaddresses"),
    ("networking.k8s.io", "servicecidrs"),
    ("node.k8s.io", "runtimeclasses"),
    ("policy", "podsecuritypolicies"),
    ("rbac.authorization.k8s.io", "clusterrolebindings"),
    ("rbac.authorization.k8s.io", "clusterroles"),
    ("resource.k8s.io", "deviceclasses"),
    ("resource.k8s.io", "resourceslices"),
    ("scheduling.k8s.io", "priorityclasses"),
    ("storage.k8s.io", "csidrivers"),
    ("storage.k8s.io", "csinodes"),
    ("storage.k8s.io", "storageclasses"),
    ("storage.k8s.io", "volumeattachments"),
    ("storage.k8s.io", "volumeattributesclasses"),
];

/// Whether `(group, resource)` is a well-known cluster-scoped resource.
/// `group` is `None` when any group would do (imported KubiScan templates).
pub fn is_cluster_scoped(group: Option<&str>, resource: &str) -> bool {
    /// The groups of each resource of [`CLUSTER_SCOPED`]: the scan asks
    /// this for every request of every technique of every subject.
    static BY_RESOURCE: std::sync::LazyLock<foldhash::HashMap<&str, Vec<&str>>> =
        std::sync::LazyLock::new(|| {
            let mut by: foldhash::HashMap<&str, Vec<&str>> = foldhash::HashMap::default();
            for (g, r) in CLUSTER_SCOPED {
                by.entry(*r).or_default().push(*g);
            }
            by
        });
    BY_RESOURCE
        .get(resource)
        .is_some_and(|groups| group.is_none_or(|group| groups.contains(&group)))
}

/// Whether a RoleBinding can grant `verb` on `resource` (no subresource
/// distinction: a subresource is scoped like its resource).
///
/// `bind` on `clusterroles` is the exception among cluster-scoped
/// resources: creating a RoleBinding that references a ClusterRole is
/// authorized with `bind` on that ClusterRole *in the binding's namespace*
/// (`BindingAuthorized` in the RBAC registry upstream), so a RoleBinding
/// can grant it.
pub fn grantable_in_namespace(group: Option<&str>, resource: &str, verb: &str) -> bool {
    if resource == "namespaces" && group.is_none_or(str::is_empty) {
        return matches!(verb, "get" | "update" | "patch" | "delete" | "*");
    }
    if resource == "clusterroles"
        && group.is_none_or(|g| g == "rbac.authorization.k8s.io")
        && matches!(verb, "bind" | "*")
    {
        return true;
    }
    !is_cluster_scoped(group, resource)
}

#[cfg(test)]
mod tests {
    //! "A Role always sets permissions within a particular namespace"; cluster-scoped
    //! resources and non-resource endpoints need a ClusterRole bound by a ClusterRoleBinding.
    use super::*;

    #[test]
    fn cluster_scoped_resources_cannot_be_granted_by_a_role_binding() {
        assert!(!grantable_in_namespace(Some(""), "nodes", "get"));
        assert!(!grantable_in_namespace(
            Some(""),
            "persistentvolumes",
            "create"
        ));
        assert!(!grantable_in_namespace(
            Some("rbac.authorization.k8s.io"),
            "clusterrolebindings",
            "create"
        ));
        assert!(!grantable_in_namespace(
            Some("certificates.k8s.io"),
            "certificatesigningrequests",
            "create"
        ));
        assert!(!grantable_in_namespace(Some(""), "users", "impersonate"));
    }

    #[test]
    fn namespaced_resources_can() {
        assert!(grantable_in_namespace(Some(""), "secrets", "get"));
        assert!(grantable_in_namespace(
            Some(""),
            "serviceaccounts",
            "impersonate"
        ));
        assert!(grantable_in_namespace(
            Some("rbac.authorization.k8s.io"),
            "roles",
            "escalate"
        ));
        assert!(grantable_in_namespace(
            Some("apps"),
            "deployments",
            "create"
        ));
        assert!(grantable_in_namespace(
            Some("example.com"),
            "widgets",
            "create"
        ));
    }

    /// "This allows delegation to bind particular clusterroles in
    /// rolebindings within particular namespaces" (the RBAC registry's
    /// `BindingAuthorized` upstream).
    /// The lookup by resource agrees with reading the table in order, for
    /// every group and resource of the table, any group, and others.
    #[test]
    fn cluster_scope_is_what_the_table_lists() {
        let listed = |group: Option<&str>, resource: &str| {
            (CLUSTER_SCOPED.iter())
                .any(|(g, r)| *r == resource && group.is_none_or(|group| group == *g))
        };
        let mut groups: Vec<Option<&str>> = vec![None, Some("x"), Some("apps")];
        groups.extend(CLUSTER_SCOPED.iter().map(|(g, _)| Some(*g)));
        let mut resources: Vec<&str> = vec!["pods", "secrets", "", "Nodes"];
        resources.extend(CLUSTER_SCOPED.iter().map(|(_, r)| *r));
        for &g in &groups {
            for &r in &resources {
                assert_eq!(is_cluster_scoped(g, r), listed(g, r), "{g:?} {r}");
            }
        }
        assert!(is_cluster_scoped(Some(""), "nodes"));
        assert!(!is_cluster_scoped(Some("apps"), "nodes"));
        assert!(!is_cluster_scoped(None, "pods"));
    }

    #[test]
    fn a_role_binding_can_grant_bind_on_cluster_roles_for_bindings_in_its_namespace() {
        assert!(grantable_in_namespace(
            Some("rbac.authorization.k8s.io"),
            "clusterroles",
            "bind"
        ));
        // Escalating or editing ClusterRoles happens at cluster scope.
        assert!(!grantable_in_namespace(
            Some("rbac.authorization.k8s.io"),
            "clusterroles",
            "escalate"
        ));
        assert!(!grantable_in_namespace(
            Some("rbac.authorization.k8s.io"),
            "clusterroles",
            "update"
        ));
    }

    #[test]
    fn a_role_binding_can_grant_access_to_its_own_namespace_object_but_not_list_or_create() {
        assert!(grantable_in_namespace(Some(""), "namespaces", "update"));
        assert!(grantable_in_namespace(Some(""), "namespaces", "delete"));
        assert!(!grantable_in_namespace(Some(""), "namespaces", "create"));
        assert!(!grantable_in_namespace(Some(""), "namespaces", "list"));
    }
}
