//! The objects that bound what a live operator does for a writer: Argo
//! CD's AppProjects and External Secrets' ClusterSecretStores (an entry's
//! `lockdown.objects`). Each is turned into what a writer in a namespace
//! gains through it, over the namespaces the snapshot knows.
//!
//! - **AppProjects.** An Application (or an ApplicationSet's) names its
//!   project. A project whose destinations include the cluster Argo CD
//!   runs in and that allows ClusterRoleBindings gives the controller's
//!   whole power; one that allows only namespaced kinds gives, in each
//!   namespace it deploys to, pods as any ServiceAccount there. Without a
//!   `default` project in the input, Argo CD's own is assumed: it creates
//!   one that allows everything when none exists.
//! - **ClusterSecretStores.** An ExternalSecret reads through a store whose
//!   conditions admit its namespace; only the `kubernetes` provider reads
//!   this cluster's Secrets, of one namespace (`remoteNamespace`).

use std::collections::BTreeMap;

use crate::snapshot::{AppProject, ClusterSecretStore, Kind, Snapshot};

/// What the objects of an entry's lockdown allow. Objects missing from
/// files are taken as absent (the input is what will be applied); a live
/// list that failed leaves the gate open, and the coverage says so.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Gate {
    /// The entry has no object lockdown, or its objects could not be
    /// listed: its steps are as its power says.
    #[default]
    Open,
    /// Argo CD's projects, in its namespace.
    Projects(Vec<ProjectReach>),
    /// The ClusterSecretStores.
    Stores(Vec<StoreReach>),
}

/// What an Argo CD project lets an Application deploy.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectReach {
    /// The project's name (`default (Argo CD's own)` when assumed).
    pub name: String,
    /// Its `sourceNamespaces`: where else its Applications may live.
    project: AppProject,
    /// Whether it deploys to this cluster and allows ClusterRoleBindings:
    /// the controller's whole power.
    pub cluster_wide: bool,
    /// The namespaces of this cluster it deploys to, with a kind that runs
    /// pods allowed.
    pub namespaces: Vec<String>,
}

/// What a ClusterSecretStore reads, and for whom.
#[derive(Debug, Clone, PartialEq)]
pub struct StoreReach {
    /// The store's name.
    pub name: String,
    /// Its provider's name.
    pub provider: String,
    /// The namespace of this cluster whose Secrets it reads, if any.
    pub reads: Option<String>,
    /// The namespaces whose ExternalSecrets may use it (`None`: all).
    pub usable_from: Option<Vec<String>>,
}

/// Kinds that run pods of the writer's choosing, as (group, kind).
const POD_KINDS: [(&str, &str); 8] = [
    ("", "Pod"),
    ("apps", "Deployment"),
    ("apps", "StatefulSet"),
    ("apps", "DaemonSet"),
    ("apps", "ReplicaSet"),
    ("batch", "Job"),
    ("batch", "CronJob"),
    ("", "ReplicationController"),
];

impl ProjectReach {
    /// Whether an Application in `namespace` (any, for `None`) may use it,
    /// Argo CD running in `argo_namespace`.
    pub fn usable_from(&self, namespace: Option<&str>, argo_namespace: &str) -> bool {
        namespace.is_none_or(|n| self.project.usable_from(n, argo_namespace))
    }

    /// Whether it gives nothing in this cluster.
    pub fn closed(&self) -> bool {
        !self.cluster_wide && self.namespaces.is_empty()
    }
}

impl StoreReach {
    /// Whether an ExternalSecret in `namespace` (any, for `None`) may use it.
    pub fn usable_from(&self, namespace: Option<&str>) -> bool {
        match (&self.usable_from, namespace) {
            (None, _) => true,
            (Some(list), None) => !list.is_empty(),
            (Some(list), Some(n)) => list.iter().any(|m| m == n),
        }
    }
}

/// Every namespace the snapshot knows (its Namespace objects, and those
/// its namespaced objects name), with its labels when its object was read.
fn namespaces(snapshot: &Snapshot) -> BTreeMap<&str, Option<&BTreeMap<String, String>>> {
    let mut out: BTreeMap<&str, Option<&BTreeMap<String, String>>> = BTreeMap::new();
    for n in &snapshot.namespaces {
        if let Some(name) = n.metadata.name.as_deref() {
            out.insert(name, n.metadata.labels.as_ref());
        }
    }
    let named = (snapshot
        .service_accounts
        .iter()
        .map(|a| a.metadata.namespace.as_deref()))
    .chain(
        snapshot
            .pods
            .iter()
            .map(|p| p.metadata.namespace.as_deref()),
    )
    .chain(
        snapshot
            .roles
            .iter()
            .map(|r| r.metadata.namespace.as_deref()),
    )
    .chain(
        snapshot
            .role_bindings
            .iter()
            .map(|b| b.metadata.namespace.as_deref()),
    )
    .chain(
        snapshot
            .controllers
            .iter()
            .map(|c| c.metadata.namespace.as_deref()),
    );
    for ns in named.flatten() {
        out.entry(ns).or_insert(None);
    }
    out
}

/// Argo CD's projects in `argo_namespace`, or [`Gate::Open`] when the
/// AppProjects could not be listed.
pub(super) fn projects(snapshot: &Snapshot, argo_namespace: &str) -> Gate {
    if snapshot.coverage.gap(Kind::AppProject).is_some() {
        return Gate::Open;
    }
    let known = namespaces(snapshot);
    let mut list: Vec<(String, AppProject)> = (snapshot.app_projects.iter())
        .filter(|p| p.metadata.namespace.as_deref() == Some(argo_namespace))
        .map(|p| (p.name().to_string(), p.clone()))
        .collect();
    if !list.iter().any(|(n, _)| n == "default") {
        list.push((
            "default (Argo CD's own, created when missing)".into(),
            AppProject::argo_default(argo_namespace),
        ));
    }
    Gate::Projects(
        (list.into_iter())
            .map(|(name, project)| {
                let deploys = |ns: &str| project.deploys_in_cluster(ns);
                let cluster_wide = known.keys().any(|n| deploys(n))
                    && project
                        .allows_cluster_kind("rbac.authorization.k8s.io", "ClusterRoleBinding");
                let runs_pods =
                    (POD_KINDS.iter()).any(|(g, k)| project.allows_namespaced_kind(g, k));
                let namespaces = (known.keys())
                    .filter(|n| runs_pods && deploys(n))
                    .map(|n| n.to_string())
                    .collect();
                ProjectReach {
                    name,
                    project,
                    cluster_wide,
                    namespaces,
                }
            })
            .collect(),
    )
}

/// The ClusterSecretStores, or [`Gate::Open`] when they could not be listed.
pub(super) fn stores(snapshot: &Snapshot) -> Gate {
    if snapshot.coverage.gap(Kind::ClusterSecretStore).is_some() {
        return Gate::Open;
    }
    let known = namespaces(snapshot);
    Gate::Stores(
        (snapshot.secret_stores.iter())
            .map(|s| StoreReach {
                name: s.name().to_string(),
                provider: s.provider(),
                reads: s.reads_namespace().map(String::from),
                usable_from: admitted(s, &known),
            })
            .collect(),
    )
}

/// The namespaces a store's conditions admit (`None`: no condition, all).
fn admitted(
    store: &ClusterSecretStore,
    known: &BTreeMap<&str, Option<&BTreeMap<String, String>>>,
) -> Option<Vec<String>> {
    let conditions = &store.spec.conditions;
    if conditions.is_empty() {
        return None;
    }
    let admits = |ns: &str, labels: Option<&BTreeMap<String, String>>| {
        conditions.iter().any(|c| {
            c.namespaces.iter().any(|n| n == ns)
                || (c.namespace_regexes.iter())
                    .any(|r| regex_lite::Regex::new(r).is_ok_and(|r| r.is_match(ns)))
                || (c.namespace_selector.as_ref())
                    .is_some_and(|sel| crate::rbac::selector::matches(sel, labels))
        })
    };
    Some(
        (known.iter())
            .filter(|(ns, labels)| admits(ns, **labels))
            .map(|(ns, _)| ns.to_string())
            .collect(),
    )
}
