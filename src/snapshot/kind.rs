//! The kinds of object the analysis reads: their `kind`, `apiVersion` and
//! resource names, and how a kind is written in JSON (its `kind` string).

use serde::{Deserialize, Serialize};

/// Every object kind the analysis reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// `rbac.authorization.k8s.io/v1` ClusterRole.
    ClusterRole,
    /// `rbac.authorization.k8s.io/v1` ClusterRoleBinding.
    ClusterRoleBinding,
    /// `rbac.authorization.k8s.io/v1` Role.
    Role,
    /// `rbac.authorization.k8s.io/v1` RoleBinding.
    RoleBinding,
    /// `v1` ServiceAccount.
    ServiceAccount,
    /// `v1` Pod.
    Pod,
    /// `v1` Namespace.
    Namespace,
    /// `v1` Secret: only its name, type and the ServiceAccount a legacy
    /// token secret belongs to are ever kept (see [`sanitize_secret`](super::sanitize_secret)).
    Secret,
    /// `apps/v1` Deployment.
    Deployment,
    /// `apps/v1` ReplicaSet.
    ReplicaSet,
    /// `apps/v1` StatefulSet.
    StatefulSet,
    /// `apps/v1` DaemonSet.
    DaemonSet,
    /// `batch/v1` Job.
    Job,
    /// `batch/v1` CronJob.
    CronJob,
    /// `v1` ReplicationController.
    ReplicationController,
    /// `v1` Node: its name, labels, taints and `unschedulable` only.
    Node,
    /// `apiextensions.k8s.io/v1` CustomResourceDefinition: its name only.
    CustomResourceDefinition,
    /// `argoproj.io/v1alpha1` AppProject: Argo CD's restrictions on what
    /// its Applications deploy and where. Listed only where its CRD exists.
    AppProject,
    /// `external-secrets.io/v1` ClusterSecretStore: which namespaces may
    /// use it and what it reads. Listed only where its CRD exists.
    ClusterSecretStore,
    /// `v1` ConfigMap: only EKS's `kube-system/aws-auth` is kept, and of it
    /// only `mapRoles` and `mapUsers`. Not in [`Kind::ALL`]: it is never
    /// listed, only read from files or fetched by name (`--platform eks`).
    ConfigMap,
}

impl Kind {
    /// Every kind, in the order reports list them.
    pub const ALL: [Kind; 19] = [
        Kind::ClusterRole,
        Kind::ClusterRoleBinding,
        Kind::Role,
        Kind::RoleBinding,
        Kind::ServiceAccount,
        Kind::Pod,
        Kind::Namespace,
        Kind::Secret,
        Kind::Deployment,
        Kind::ReplicaSet,
        Kind::StatefulSet,
        Kind::DaemonSet,
        Kind::Job,
        Kind::CronJob,
        Kind::ReplicationController,
        Kind::Node,
        Kind::CustomResourceDefinition,
        Kind::AppProject,
        Kind::ClusterSecretStore,
    ];

    /// The workload controllers: the kinds that create pods from a template.
    pub const CONTROLLERS: [Kind; 7] = [
        Kind::Deployment,
        Kind::ReplicaSet,
        Kind::StatefulSet,
        Kind::DaemonSet,
        Kind::Job,
        Kind::CronJob,
        Kind::ReplicationController,
    ];

    /// Whether objects of this kind create pods from a template.
    pub fn is_controller(self) -> bool {
        Kind::CONTROLLERS.contains(&self)
    }

    /// The Kubernetes `kind` string.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::ClusterRole => "ClusterRole",
            Kind::ClusterRoleBinding => "ClusterRoleBinding",
            Kind::Role => "Role",
            Kind::RoleBinding => "RoleBinding",
            Kind::ServiceAccount => "ServiceAccount",
            Kind::Pod => "Pod",
            Kind::Namespace => "Namespace",
            Kind::Secret => "Secret",
            Kind::Deployment => "Deployment",
            Kind::ReplicaSet => "ReplicaSet",
            Kind::StatefulSet => "StatefulSet",
            Kind::DaemonSet => "DaemonSet",
            Kind::Job => "Job",
            Kind::CronJob => "CronJob",
            Kind::ReplicationController => "ReplicationController",
            Kind::Node => "Node",
            Kind::CustomResourceDefinition => "CustomResourceDefinition",
            Kind::AppProject => "AppProject",
            Kind::ClusterSecretStore => "ClusterSecretStore",
            Kind::ConfigMap => "ConfigMap",
        }
    }

    /// The `apiVersion` objects of this kind carry.
    pub fn api_version(self) -> &'static str {
        match self {
            Kind::ClusterRole | Kind::ClusterRoleBinding | Kind::Role | Kind::RoleBinding => {
                "rbac.authorization.k8s.io/v1"
            }
            Kind::ServiceAccount
            | Kind::Pod
            | Kind::Namespace
            | Kind::Secret
            | Kind::ReplicationController
            | Kind::Node
            | Kind::ConfigMap => "v1",
            Kind::Deployment | Kind::ReplicaSet | Kind::StatefulSet | Kind::DaemonSet => "apps/v1",
            Kind::Job | Kind::CronJob => "batch/v1",
            Kind::CustomResourceDefinition => "apiextensions.k8s.io/v1",
            Kind::AppProject => "argoproj.io/v1alpha1",
            Kind::ClusterSecretStore => "external-secrets.io/v1",
        }
    }

    /// The older `apiVersion`s objects of this kind were served as, before
    /// their current one: old dumps hold them. The fields the analysis
    /// reads are the same in each.
    pub fn old_api_versions(self) -> &'static [&'static str] {
        match self {
            Kind::Deployment => &["extensions/v1beta1", "apps/v1beta1", "apps/v1beta2"],
            Kind::ReplicaSet | Kind::DaemonSet => &["extensions/v1beta1", "apps/v1beta2"],
            Kind::StatefulSet => &["apps/v1beta1", "apps/v1beta2"],
            Kind::CronJob => &["batch/v1beta1", "batch/v2alpha1"],
            Kind::ClusterSecretStore => &[
                "external-secrets.io/v1beta1",
                "external-secrets.io/v1alpha1",
            ],
            _ => &[],
        }
    }

    /// The kind for an `apiVersion`/`kind` pair, if the analysis reads it:
    /// its current `apiVersion` or one of its [old ones](Kind::old_api_versions).
    pub fn from_type(api_version: &str, kind: &str) -> Option<Kind> {
        Kind::from_kind_name(kind).filter(|k| {
            k.api_version() == api_version || k.old_api_versions().contains(&api_version)
        })
    }

    /// The API resource name (plural, lower case), as in URLs and RBAC rules.
    pub fn resource(self) -> &'static str {
        match self {
            Kind::ClusterRole => "clusterroles",
            Kind::ClusterRoleBinding => "clusterrolebindings",
            Kind::Role => "roles",
            Kind::RoleBinding => "rolebindings",
            Kind::ServiceAccount => "serviceaccounts",
            Kind::Pod => "pods",
            Kind::Namespace => "namespaces",
            Kind::Secret => "secrets",
            Kind::Deployment => "deployments",
            Kind::ReplicaSet => "replicasets",
            Kind::StatefulSet => "statefulsets",
            Kind::DaemonSet => "daemonsets",
            Kind::Job => "jobs",
            Kind::CronJob => "cronjobs",
            Kind::ReplicationController => "replicationcontrollers",
            Kind::Node => "nodes",
            Kind::CustomResourceDefinition => "customresourcedefinitions",
            Kind::AppProject => "appprojects",
            Kind::ClusterSecretStore => "clustersecretstores",
            Kind::ConfigMap => "configmaps",
        }
    }

    /// The kind named by its `kind` string, whatever its API version.
    pub fn from_kind_name(kind: &str) -> Option<Kind> {
        (Kind::ALL.into_iter())
            .chain([Kind::ConfigMap])
            .find(|k| k.as_str() == kind)
    }

    /// Whether this kind is a custom resource that exists only where its
    /// CRD is installed (AppProject, ClusterSecretStore): a live list that
    /// finds no such resource type, or files that hold none, mean there is
    /// none, not that it could not be read.
    pub fn is_optional_custom_resource(self) -> bool {
        matches!(self, Kind::AppProject | Kind::ClusterSecretStore)
    }

    /// Whether objects of this kind live in a namespace.
    pub fn is_namespaced(self) -> bool {
        !matches!(
            self,
            Kind::ClusterRole
                | Kind::ClusterRoleBinding
                | Kind::Namespace
                | Kind::Node
                | Kind::CustomResourceDefinition
                | Kind::ClusterSecretStore
        )
    }
}

impl Serialize for Kind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl schemars::JsonSchema for Kind {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Kind".into()
    }

    /// One of [`Kind::ALL`]'s names, or `ConfigMap` (EKS's aws-auth), as
    /// [`Kind::as_str`] writes them.
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let names: Vec<&str> = (Kind::ALL.iter().chain(&[Kind::ConfigMap]))
            .map(|k| k.as_str())
            .collect();
        schemars::json_schema!({
            "description": "The kind of a Kubernetes object the scan reads.",
            "type": "string",
            "enum": names,
        })
    }
}

impl<'de> Deserialize<'de> for Kind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        Kind::from_kind_name(&name).ok_or_else(|| {
            serde::de::Error::custom(format!("unknown kind `{name}`: expected one of {}", {
                let names: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
                names.join(", ")
            }))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::{Gap, GapReason};

    #[test]
    fn kinds_serialize_as_their_kind_names() {
        for kind in Kind::ALL {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
            assert_eq!(serde_json::from_str::<Kind>(&json).unwrap(), kind);
        }
        // ConfigMap is read (EKS's aws-auth) though never listed.
        assert_eq!(
            serde_json::from_str::<Kind>("\"ConfigMap\"").unwrap(),
            Kind::ConfigMap
        );
        let err = serde_json::from_str::<Kind>("\"Service\"").unwrap_err();
        assert!(err.to_string().contains("unknown kind `Service`"), "{err}");
        let gap = Gap {
            kind: Kind::Pod,
            reason: GapReason::Forbidden,
            message: "m".into(),
        };
        let json = serde_json::to_string(&gap).unwrap();
        assert_eq!(json, r#"{"kind":"Pod","reason":"forbidden","message":"m"}"#);
    }
}
