//! Argo CD's AppProject (`argoproj.io/v1alpha1`), as the snapshot keeps it:
//! what it lets an Application deploy and where, the part of a project that
//! can close the route through Argo CD's application controller. Its
//! roles, tokens, sync windows and the rest are skipped unread.
//!
//! Argo CD's rules, from its project specification: destinations are
//! `server`/`name` and `namespace` globs, a leading `!` denying; cluster-
//! scoped kinds are refused unless `clusterResourceWhitelist` lists them
//! (an empty list allows none), then `clusterResourceBlacklist` takes some
//! back; namespaced kinds are all allowed when `namespaceResourceWhitelist`
//! is empty, else only those it lists, less `namespaceResourceBlacklist`;
//! an Application outside Argo CD's own namespace may use the project only
//! when `sourceNamespaces` matches its namespace.

use serde::{Deserialize, Serialize};

/// An AppProject: its name and the restrictions it places on Applications.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AppProject {
    /// `metadata`: its name and namespace.
    #[serde(default)]
    pub metadata: super::crd::CrdMeta,
    /// `spec`: the restrictions.
    #[serde(default)]
    pub spec: AppProjectSpec,
}

/// The restrictions of an [`AppProject`] that bound what it can deploy.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppProjectSpec {
    /// Where its Applications may deploy.
    #[serde(default, deserialize_with = "super::null_default")]
    pub destinations: Vec<Destination>,
    /// Cluster-scoped kinds it allows (empty: none).
    #[serde(default, deserialize_with = "super::null_default")]
    pub cluster_resource_whitelist: Vec<GroupKind>,
    /// Cluster-scoped kinds it refuses.
    #[serde(default, deserialize_with = "super::null_default")]
    pub cluster_resource_blacklist: Vec<GroupKind>,
    /// Namespaced kinds it allows (empty: all).
    #[serde(default, deserialize_with = "super::null_default")]
    pub namespace_resource_whitelist: Vec<GroupKind>,
    /// Namespaced kinds it refuses.
    #[serde(default, deserialize_with = "super::null_default")]
    pub namespace_resource_blacklist: Vec<GroupKind>,
    /// Namespaces outside Argo CD's own whose Applications may use it.
    #[serde(default, deserialize_with = "super::null_default")]
    pub source_namespaces: Vec<String>,
}

/// One destination an AppProject allows: a cluster (by URL or name) and a
/// namespace, each a glob.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Destination {
    /// `server`: the cluster's API URL, a glob.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    /// `name`: the cluster's name in Argo CD, a glob.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `namespace`: a glob.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

/// A kind an AppProject allows or refuses: `group` and `kind`, each a glob.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupKind {
    /// The API group (`""` for the core group), a glob.
    #[serde(default)]
    pub group: String,
    /// The kind, a glob.
    #[serde(default)]
    pub kind: String,
    /// Only objects of this name (a glob), when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// The server URL of the cluster Argo CD runs in.
pub const IN_CLUSTER_SERVER: &str = "https://kubernetes.default.svc";
/// The name Argo CD gives the cluster it runs in.
pub const IN_CLUSTER_NAME: &str = "in-cluster";

/// Whether `pattern` (Argo CD's glob, `*` and `?` and classes) matches `text`.
fn glob(pattern: &str, text: &str) -> bool {
    wildmatch::WildMatch::new(pattern).matches(text)
}

/// Whether a list of globs where a leading `!` denies matches `text`: some
/// allowing pattern matches it and no denying one does.
fn allowed_by(patterns: &[&str], text: &str) -> bool {
    let (deny, allow): (Vec<&str>, Vec<&str>) = patterns.iter().partition(|p| p.starts_with('!'));
    allow.iter().any(|p| glob(p, text)) && !deny.iter().any(|p| glob(&p[1..], text))
}

impl AppProject {
    /// `metadata.name`.
    pub fn name(&self) -> &str {
        self.metadata.name.as_deref().unwrap_or_default()
    }

    /// The project Argo CD creates at start when it does not exist: it
    /// allows every source, destination and kind.
    pub fn argo_default(namespace: &str) -> AppProject {
        let any = || GroupKind {
            group: "*".into(),
            kind: "*".into(),
            name: None,
        };
        AppProject {
            metadata: super::crd::CrdMeta {
                name: Some("default".into()),
                namespace: Some(namespace.into()),
            },
            spec: AppProjectSpec {
                destinations: vec![Destination {
                    server: Some("*".into()),
                    name: None,
                    namespace: Some("*".into()),
                }],
                cluster_resource_whitelist: vec![any()],
                ..AppProjectSpec::default()
            },
        }
    }

    /// Whether an Application in `app_namespace` may use this project, Argo
    /// CD running in `argo_namespace`.
    pub fn usable_from(&self, app_namespace: &str, argo_namespace: &str) -> bool {
        app_namespace == argo_namespace || {
            let patterns: Vec<&str> = (self.spec.source_namespaces.iter())
                .map(String::as_str)
                .collect();
            allowed_by(&patterns, app_namespace)
        }
    }

    /// Whether it lets Applications deploy into `namespace` of the cluster
    /// Argo CD runs in.
    pub fn deploys_in_cluster(&self, namespace: &str) -> bool {
        let in_cluster = |d: &&Destination| {
            d.server
                .as_deref()
                .is_some_and(|s| !s.starts_with('!') && glob(s, IN_CLUSTER_SERVER))
                || d.name
                    .as_deref()
                    .is_some_and(|n| !n.starts_with('!') && glob(n, IN_CLUSTER_NAME))
        };
        let namespaces: Vec<&str> = (self.spec.destinations.iter())
            .filter(in_cluster)
            .map(|d| d.namespace.as_deref().unwrap_or_default())
            .collect();
        // Denying namespace patterns apply whatever their cluster.
        let denied = (self.spec.destinations.iter())
            .filter_map(|d| d.namespace.as_deref()?.strip_prefix('!'))
            .any(|p| glob(p, namespace));
        !denied
            && namespaces
                .iter()
                .any(|p| !p.starts_with('!') && glob(p, namespace))
    }

    /// Whether it lets Applications create cluster-scoped objects of
    /// `group`/`kind` (whatever their name).
    pub fn allows_cluster_kind(&self, group: &str, kind: &str) -> bool {
        let matches = |gk: &GroupKind| {
            glob(&gk.group, group)
                && glob(&gk.kind, kind)
                && gk.name.as_deref().is_none_or(|n| n.is_empty() || n == "*")
        };
        self.spec.cluster_resource_whitelist.iter().any(matches)
            && !self.spec.cluster_resource_blacklist.iter().any(matches)
    }

    /// Whether it lets Applications create namespaced objects of `group`/`kind`.
    pub fn allows_namespaced_kind(&self, group: &str, kind: &str) -> bool {
        let matches = |gk: &GroupKind| glob(&gk.group, group) && glob(&gk.kind, kind);
        let white = &self.spec.namespace_resource_whitelist;
        (white.is_empty() || white.iter().any(matches))
            && !self.spec.namespace_resource_blacklist.iter().any(matches)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(yaml: &str) -> AppProject {
        serde_saphyr::from_str(yaml).unwrap()
    }

    #[test]
    fn an_empty_cluster_allow_list_allows_no_cluster_scoped_kind() {
        let p =
            project("metadata: {name: p}\nspec: {destinations: [{server: '*', namespace: '*'}]}");
        assert!(!p.allows_cluster_kind("rbac.authorization.k8s.io", "ClusterRoleBinding"));
        assert!(p.allows_namespaced_kind("", "Pod"));
    }

    #[test]
    fn the_allow_list_then_the_deny_list_decide_cluster_scoped_kinds() {
        let p = project(
            "spec:\n  clusterResourceWhitelist: [{group: '*', kind: '*'}]\n  clusterResourceBlacklist: [{group: rbac.authorization.k8s.io, kind: ClusterRole*}]",
        );
        assert!(p.allows_cluster_kind("", "Namespace"));
        assert!(!p.allows_cluster_kind("rbac.authorization.k8s.io", "ClusterRoleBinding"));
    }

    #[test]
    fn a_namespaced_allow_list_limits_namespaced_kinds() {
        let p = project("spec:\n  namespaceResourceWhitelist: [{group: apps, kind: Deployment}]");
        assert!(p.allows_namespaced_kind("apps", "Deployment"));
        assert!(!p.allows_namespaced_kind("", "Pod"));
        let q = project("spec:\n  namespaceResourceBlacklist: [{group: '', kind: Pod}]");
        assert!(!q.allows_namespaced_kind("", "Pod"));
        assert!(q.allows_namespaced_kind("apps", "Deployment"));
    }

    #[test]
    fn destinations_match_the_in_cluster_server_or_name_and_namespace_globs() {
        let p = project(
            "spec:\n  destinations:\n  - {server: 'https://kubernetes.default.svc', namespace: 'team-*'}\n  - {name: prod-eu, namespace: '*'}",
        );
        assert!(p.deploys_in_cluster("team-a"));
        assert!(!p.deploys_in_cluster("kube-system"));
        let by_name = project("spec: {destinations: [{name: in-cluster, namespace: kube-system}]}");
        assert!(by_name.deploys_in_cluster("kube-system"));
        let denied = project(
            "spec:\n  destinations:\n  - {server: '*', namespace: '*'}\n  - {server: '*', namespace: '!kube-*'}",
        );
        assert!(denied.deploys_in_cluster("team-a"));
        assert!(!denied.deploys_in_cluster("kube-system"));
        assert!(!project("spec: {}").deploys_in_cluster("default"));
    }

    #[test]
    fn an_application_outside_argo_cds_namespace_needs_the_projects_source_namespaces() {
        let p = project("spec: {sourceNamespaces: ['team-*', '!team-x']}");
        assert!(p.usable_from("argocd", "argocd"));
        assert!(p.usable_from("team-a", "argocd"));
        assert!(!p.usable_from("team-x", "argocd"));
        assert!(!project("spec: {}").usable_from("team-a", "argocd"));
    }

    #[test]
    fn argo_cds_own_default_project_allows_everything() {
        let d = AppProject::argo_default("argocd");
        assert!(d.deploys_in_cluster("kube-system"));
        assert!(d.allows_cluster_kind("rbac.authorization.k8s.io", "ClusterRoleBinding"));
    }
}
