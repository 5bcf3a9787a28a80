//! The cluster state an analysis runs on: typed Kubernetes objects, however
//! they were collected (a live API server or offline files).
//!
//! A snapshot is plain data. Building one de-duplicates objects by identity and
//! sorts them, so every later stage sees them in one deterministic order. The
//! kinds read (`kind`), an object of one (`object`), its identity (`key`),
//! what a snapshot lacks (`coverage`), what it keeps of a Secret (`secret`)
//! and how one is built (`builder`) have files of their own.

mod annotations;
pub mod app_project;
pub mod aws_auth;
mod builder;
pub mod controller;
mod coverage;
mod crd;
mod key;
mod kind;
pub mod node;
mod object;
pub mod pod;
mod secret;
pub mod secret_store;
pub mod service_account;

pub use app_project::AppProject;
pub use aws_auth::AwsAuth;
pub use builder::{Built, LAST_APPLIED_ANNOTATION, SnapshotBuilder};
pub use controller::Controller;
pub use coverage::{Coverage, Gap, GapReason};
pub use crd::CustomResourceDefinition;
pub use key::{ObjectKey, key_of};
pub use kind::Kind;
pub use node::Node;
pub use object::{Named, Names, Object, ObjectRef};
pub use pod::{Pod, PodMeta};
pub use secret::{SERVICE_ACCOUNT_NAME_ANNOTATION, SERVICE_ACCOUNT_TOKEN_TYPE, sanitize_secret};
pub use secret_store::ClusterSecretStore;
pub use service_account::{AccountMeta, ServiceAccount};

use k8s_openapi::api::core::v1::{Namespace, Secret};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

/// The label the API server puts on its bootstrap RBAC policy.
pub const BOOTSTRAP_LABEL: (&str, &str) = ("kubernetes.io/bootstrapping", "rbac-defaults");

/// A collected cluster state, de-duplicated and sorted by namespace and name.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// ClusterRoles, sorted by name.
    pub cluster_roles: Vec<ClusterRole>,
    /// ClusterRoleBindings, sorted by name.
    pub cluster_role_bindings: Vec<ClusterRoleBinding>,
    /// Roles, sorted by namespace and name.
    pub roles: Vec<Role>,
    /// RoleBindings, sorted by namespace and name.
    pub role_bindings: Vec<RoleBinding>,
    /// ServiceAccounts, sorted by namespace and name.
    pub service_accounts: Vec<ServiceAccount>,
    /// Pods, sorted by namespace and name.
    pub pods: Vec<Pod>,
    /// Namespaces, sorted by name.
    pub namespaces: Vec<Namespace>,
    /// Secrets, reduced by [`sanitize_secret`], sorted by namespace and name.
    /// Only present when they were asked for (see [`Coverage::not_listed`]).
    pub secrets: Vec<Secret>,
    /// Workload controllers (Deployments, ReplicaSets, StatefulSets,
    /// DaemonSets, Jobs, CronJobs, ReplicationControllers), sorted by kind,
    /// then namespace and name.
    pub controllers: Vec<Controller>,
    /// Nodes, sorted by name.
    pub nodes: Vec<Node>,
    /// CustomResourceDefinitions (names only), sorted by name.
    pub crds: Vec<CustomResourceDefinition>,
    /// Argo CD AppProjects (their restrictions), sorted by namespace and name.
    pub app_projects: Vec<AppProject>,
    /// External Secrets ClusterSecretStores (conditions and provider), sorted by name.
    pub secret_stores: Vec<ClusterSecretStore>,
    /// EKS's `kube-system/aws-auth` ConfigMap, when read (its mappings only).
    pub aws_auth: Vec<AwsAuth>,
    /// Which kinds could not be collected. Empty for a complete snapshot.
    pub coverage: Coverage,
}

impl Snapshot {
    /// Every object, in [`Kind::ALL`] order, each kind sorted by namespace and name.
    pub fn objects(&self) -> impl Iterator<Item = ObjectRef<'_>> {
        let s = self;
        (s.cluster_roles.iter().map(ObjectRef::ClusterRole))
            .chain(
                s.cluster_role_bindings
                    .iter()
                    .map(ObjectRef::ClusterRoleBinding),
            )
            .chain(s.roles.iter().map(ObjectRef::Role))
            .chain(s.role_bindings.iter().map(ObjectRef::RoleBinding))
            .chain(s.service_accounts.iter().map(ObjectRef::ServiceAccount))
            .chain(s.pods.iter().map(ObjectRef::Pod))
            .chain(s.namespaces.iter().map(ObjectRef::Namespace))
            .chain(s.secrets.iter().map(ObjectRef::Secret))
            .chain(s.controllers.iter().map(ObjectRef::Controller))
            .chain(s.nodes.iter().map(ObjectRef::Node))
            .chain(s.crds.iter().map(ObjectRef::Crd))
            .chain(s.app_projects.iter().map(ObjectRef::AppProject))
            .chain(s.secret_stores.iter().map(ObjectRef::SecretStore))
            .chain(s.aws_auth.iter().map(ObjectRef::AwsAuth))
    }

    /// The controllers of `kind`, sorted by namespace and name.
    pub fn controllers_of(&self, kind: Kind) -> &[Controller] {
        let start = self.controllers.partition_point(|c| c.kind < kind);
        let end = self.controllers.partition_point(|c| c.kind <= kind);
        &self.controllers[start..end]
    }

    /// Moves every pod's [`pod::Workload`] out (in pod order), leaving the
    /// pods without containers or volumes: for an analysis that reads each
    /// once and frees them. A snapshot to be written or analysed again must
    /// not have them taken.
    pub fn take_workloads(&mut self) -> Vec<pod::Workload> {
        self.pods.iter_mut().map(Pod::take_workload).collect()
    }

    /// Number of objects of `kind`.
    pub fn count(&self, kind: Kind) -> usize {
        match kind {
            Kind::ClusterRole => self.cluster_roles.len(),
            Kind::ClusterRoleBinding => self.cluster_role_bindings.len(),
            Kind::Role => self.roles.len(),
            Kind::RoleBinding => self.role_bindings.len(),
            Kind::ServiceAccount => self.service_accounts.len(),
            Kind::Pod => self.pods.len(),
            Kind::Namespace => self.namespaces.len(),
            Kind::Secret => self.secrets.len(),
            Kind::Node => self.nodes.len(),
            Kind::CustomResourceDefinition => self.crds.len(),
            Kind::AppProject => self.app_projects.len(),
            Kind::ClusterSecretStore => self.secret_stores.len(),
            Kind::ConfigMap => self.aws_auth.len(),
            _ => self.controllers_of(kind).len(),
        }
    }
}

/// Whether the object carries the bootstrap-policy label.
pub fn is_bootstrap_default(meta: &ObjectMeta) -> bool {
    meta.labels
        .as_ref()
        .and_then(|l| l.get(BOOTSTRAP_LABEL.0))
        .is_some_and(|v| v == BOOTSTRAP_LABEL.1)
}

/// Deserializes a field that may be `null` as its default (a list that a
/// manifest writes as `key:` with nothing after it).
pub(crate) fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + serde::Deserialize<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(d).map(Option::unwrap_or_default)
}
