//! The RBAC objects that managed platforms and installers create in every
//! cluster they run (EKS, GKE, AKS, OpenShift, kubeadm), known by a
//! documented list, and taken as defaults (summarised like the bootstrap
//! policy, kept out of `--fail-on`, shown with `--include-defaults`) only
//! where the user declares the platform (`--platform`).
//!
//! rbacscan does not carry these platforms' policies (they are third-party
//! and change with each release), so their objects cannot be known by
//! content as the bootstrap policy is ([`super::bootstrap`]). A name alone
//! would be a hiding place: anyone who may create a RoleBinding in their
//! namespace could call it `eks:anything`. So an object is taken as a
//! platform's default only when all of these hold:
//!
//! - the platform was declared with `--platform`;
//! - the object is cluster-scoped (a ClusterRole or ClusterRoleBinding),
//!   or lives in one of the platform's system namespaces (`kube-system`,
//!   and `openshift-*` for OpenShift), where only cluster administrators
//!   and the platform create objects;
//! - its name starts with one of the platform's prefixes;
//! - for a binding: its role exists, and every subject is one of the
//!   platform's own identities, a user or group named `system:…` (names
//!   the control plane reserves) or with the platform's prefix, or a
//!   ServiceAccount of one of its system namespaces.
//!
//! A binding with any other subject is shown, whatever its name. What is
//! left is what only a cluster administrator could fake, and such an
//! object is still counted in the summary and listed with
//! `--include-defaults`. Pure: no I/O.

use super::SubjectId;
use super::resolve::{Rbac, ResolvedBinding};
use crate::snapshot::ObjectKey;

/// A platform whose own RBAC objects can be taken as defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, clap::ValueEnum)]
pub enum Platform {
    /// Amazon EKS.
    Eks,
    /// Google GKE.
    Gke,
    /// Azure AKS.
    Aks,
    /// Red Hat OpenShift.
    Openshift,
    /// Clusters set up with kubeadm.
    Kubeadm,
}

/// What a platform's own objects look like.
#[derive(Debug, Clone, Copy)]
pub struct Defaults {
    /// The platform.
    pub platform: Platform,
    /// Its name in messages.
    pub name: &'static str,
    /// Name prefixes of its roles and bindings.
    pub prefixes: &'static [&'static str],
    /// Its system namespaces (a trailing `*` matches any suffix): where its
    /// namespaced objects and its ServiceAccounts live.
    pub namespaces: &'static [&'static str],
    /// Prefixes of its own users and groups, besides `system:`.
    pub identities: &'static [&'static str],
}

/// The documented list (the README's table is checked against it).
pub const DEFAULTS: [Defaults; 5] = [
    Defaults {
        platform: Platform::Eks,
        name: "EKS",
        prefixes: &["eks:"],
        namespaces: &["kube-system"],
        identities: &["eks:"],
    },
    Defaults {
        platform: Platform::Gke,
        name: "GKE",
        prefixes: &["system:gke-", "gce:"],
        namespaces: &["kube-system", "gke-managed-*"],
        identities: &["system:gke-"],
    },
    Defaults {
        platform: Platform::Aks,
        name: "AKS",
        prefixes: &["aks-", "aks:"],
        namespaces: &["kube-system"],
        identities: &["aks-", "aks:"],
    },
    Defaults {
        platform: Platform::Openshift,
        name: "OpenShift",
        prefixes: &["system:openshift:"],
        namespaces: &["kube-system", "openshift-*"],
        identities: &["system:openshift:"],
    },
    Defaults {
        platform: Platform::Kubeadm,
        name: "kubeadm",
        prefixes: &["kubeadm:"],
        namespaces: &["kube-system", "kube-public"],
        identities: &["kubeadm:"],
    },
];

impl Platform {
    /// The platform's entry of [`DEFAULTS`].
    pub fn defaults(self) -> &'static Defaults {
        DEFAULTS
            .iter()
            .find(|d| d.platform == self)
            .unwrap_or(&DEFAULTS[0])
    }
}

impl Defaults {
    fn in_system_namespace(&self, namespace: &str) -> bool {
        self.namespaces
            .iter()
            .any(|pattern| match pattern.strip_suffix('*') {
                Some(prefix) => namespace.starts_with(prefix) && namespace.len() > prefix.len(),
                None => namespace == *pattern,
            })
    }

    /// Whether `key` is where and how this platform names its objects.
    fn names(&self, key: &ObjectKey) -> bool {
        (key.namespace.is_empty() || self.in_system_namespace(&key.namespace))
            && self.prefixes.iter().any(|p| key.name.starts_with(p))
    }

    fn owns_identity(&self, subject: &SubjectId) -> bool {
        match subject {
            SubjectId::ServiceAccount { namespace, .. } => self.in_system_namespace(namespace),
            SubjectId::User { name } | SubjectId::Group { name } => {
                name.starts_with("system:") || self.identities.iter().any(|p| name.starts_with(p))
            }
        }
    }

    fn owns_binding(&self, b: &ResolvedBinding) -> bool {
        self.names(&b.key)
            && b.role.is_ok()
            && b.invalid_subjects.is_empty()
            && b.subjects.iter().all(|s| self.owns_identity(s))
    }
}

/// How many objects were taken as a platform's defaults.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Marked {
    /// Roles and ClusterRoles.
    pub roles: usize,
    /// Bindings.
    pub bindings: usize,
}

/// Marks the roles and bindings of `platforms` as defaults (see the module
/// documentation), and says how many.
pub fn mark(rbac: &mut Rbac<'_>, platforms: &[Platform]) -> Marked {
    let mut marked = Marked::default();
    if platforms.is_empty() {
        return marked;
    }
    let defaults: Vec<&Defaults> = platforms.iter().map(|p| p.defaults()).collect();
    for role in &mut rbac.roles {
        if !role.default && defaults.iter().any(|d| d.names(&role.key)) {
            role.default = true;
            marked.roles += 1;
        }
    }
    for binding in &mut rbac.bindings {
        if !binding.default && defaults.iter().any(|d| d.owns_binding(binding)) {
            binding.default = true;
            marked.bindings += 1;
        }
    }
    marked
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::Snapshot;
    use crate::source::files::Loader;

    fn snapshot(yaml: &str) -> Snapshot {
        let mut l = Loader::new();
        l.add_text("t.yaml", yaml).unwrap();
        l.finish().unwrap().snapshot
    }

    const ROLE: &str = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: cluster-admin}\nrules: [{apiGroups: ['*'], resources: ['*'], verbs: ['*']}]\n";

    fn binding(kind: &str, namespace: Option<&str>, name: &str, subject: &str) -> String {
        let ns = namespace.map_or(String::new(), |n| format!(", namespace: {n}"));
        format!(
            "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: {kind}\nmetadata: {{name: '{name}'{ns}}}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}}\nsubjects: [{subject}]\n"
        )
    }

    /// Whether the one binding of `yaml` is taken as a default of `platforms`.
    fn marked(yaml: &str, platforms: &[Platform]) -> bool {
        let snap = snapshot(&format!("{ROLE}{yaml}"));
        let mut rbac = Rbac::resolve(&snap);
        mark(&mut rbac, platforms);
        rbac.bindings[0].default
    }

    const GROUP: &str =
        "{kind: Group, apiGroup: rbac.authorization.k8s.io, name: 'kubeadm:cluster-admins'}";

    #[test]
    fn a_platform_binding_is_a_default_only_when_the_platform_is_declared() {
        let b = binding("ClusterRoleBinding", None, "kubeadm:cluster-admins", GROUP);
        assert!(marked(&b, &[Platform::Kubeadm]));
        assert!(!marked(&b, &[]), "not declared");
        assert!(!marked(&b, &[Platform::Eks]), "another platform's");
    }

    #[test]
    fn a_name_alone_hides_nothing() {
        let mallory = "{kind: User, apiGroup: rbac.authorization.k8s.io, name: mallory}";
        // A foreign subject, even beside the platform's own.
        for subjects in [mallory.to_string(), format!("{GROUP}, {mallory}")] {
            let b = binding("ClusterRoleBinding", None, "kubeadm:backdoor", &subjects);
            assert!(!marked(&b, &[Platform::Kubeadm]), "{subjects}");
        }
        // A RoleBinding in a namespace a team may write to.
        let b = binding("RoleBinding", Some("dev"), "kubeadm:x", GROUP);
        assert!(!marked(&b, &[Platform::Kubeadm]));
        // The same in the platform's system namespace is its own.
        let b = binding("RoleBinding", Some("kube-system"), "kubeadm:x", GROUP);
        assert!(marked(&b, &[Platform::Kubeadm]));
        // Another name, or a role that does not exist.
        let b = binding("ClusterRoleBinding", None, "cluster-admins", GROUP);
        assert!(!marked(&b, &[Platform::Kubeadm]));
        let missing = binding("ClusterRoleBinding", None, "kubeadm:y", GROUP)
            .replace("name: cluster-admin}", "name: nowhere}");
        assert!(!marked(&missing, &[Platform::Kubeadm]));
    }

    #[test]
    fn the_platform_identities_are_system_names_its_prefix_and_its_service_accounts() {
        let cases = [
            (
                "{kind: Group, apiGroup: rbac.authorization.k8s.io, name: 'system:bootstrappers'}",
                true,
            ),
            (
                "{kind: User, apiGroup: rbac.authorization.k8s.io, name: 'eks:node-manager'}",
                true,
            ),
            (
                "{kind: ServiceAccount, name: aws-node, namespace: kube-system}",
                true,
            ),
            (
                "{kind: ServiceAccount, name: app, namespace: default}",
                false,
            ),
            (
                "{kind: User, apiGroup: rbac.authorization.k8s.io, name: 'kubeadm:admin'}",
                false,
            ),
        ];
        for (subject, expected) in cases {
            let b = binding("ClusterRoleBinding", None, "eks:node-bootstrapper", subject);
            assert_eq!(marked(&b, &[Platform::Eks]), expected, "{subject}");
        }
    }

    #[test]
    fn namespace_patterns_match_a_whole_suffix() {
        let d = Platform::Openshift.defaults();
        assert!(d.in_system_namespace("openshift-etcd"));
        assert!(d.in_system_namespace("kube-system"));
        assert!(!d.in_system_namespace("openshift-"));
        assert!(!d.in_system_namespace("openshiftx"));
        assert!(!d.in_system_namespace("my-openshift-app"));
    }

    #[test]
    fn roles_are_defaults_by_name_and_place() {
        let yaml = format!(
            "{ROLE}---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {{name: 'system:openshift:scc:privileged'}}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {{name: 'system:openshift:leader', namespace: openshift-etcd}}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {{name: 'system:openshift:leader', namespace: team}}\n"
        );
        let snap = snapshot(&yaml);
        let mut rbac = Rbac::resolve(&snap);
        let m = mark(&mut rbac, &[Platform::Openshift]);
        assert_eq!(
            m,
            Marked {
                roles: 2,
                bindings: 0
            }
        );
        let defaults: Vec<String> = (rbac.roles.iter())
            .filter(|r| r.default)
            .map(|r| r.key.to_string())
            .collect();
        assert_eq!(
            defaults,
            [
                "ClusterRole system:openshift:scc:privileged",
                "Role openshift-etcd/system:openshift:leader"
            ]
        );
    }

    #[test]
    fn every_platform_has_an_entry_of_its_own() {
        use clap::ValueEnum;
        for p in Platform::value_variants() {
            assert_eq!(p.defaults().platform, *p);
        }
    }
}
