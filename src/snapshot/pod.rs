//! A Pod as the snapshot keeps it: the parts the analysis reads (who the
//! pod runs as, where, its volumes, and each container's name, security
//! context, mounts and env references), decoded straight from the input.
//!
//! k8s-openapi's `Pod` holds every field of the API (a container alone is
//! 2 KB before any of its strings, a volume 3 KB); a big cluster's pods were
//! most of the snapshot. Every type here keeps only the fields the analysis
//! reads, under their API names; the decoder skips the rest unread and
//! unchecked. Leaf types the analysis reads whole (a `hostPath`, a `secret`
//! volume, a projected token) are k8s-openapi's own. Literal env `value`s
//! are never decoded, so they cannot be kept, printed or written anywhere.
//! A Pod serializes as a `v1 Pod` (with the fields kept), so snapshot files
//! stay readable by kubectl.

use k8s_openapi::api::core::v1::{
    Capabilities, HostPathVolumeSource, NodeSelector, SeccompProfile, SecretEnvSource,
    SecretKeySelector, SecretProjection, SecretVolumeSource, ServiceAccountTokenProjection,
    Toleration,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeMap;

/// The annotation the kubelet puts on the mirror of a static pod.
pub const MIRROR_POD_ANNOTATION: &str = "kubernetes.io/config.mirror";

/// A Pod: metadata, the spec fields the analysis reads, and its phase.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Pod {
    /// `metadata`: name, namespace, uid and owner references only.
    #[serde(default)]
    pub metadata: PodMeta,
    /// `spec`.
    #[serde(default)]
    pub spec: Option<PodSpec>,
    /// `status`.
    #[serde(default)]
    pub status: Option<PodStatus>,
}

impl Serialize for Pod {
    /// As a `v1 Pod`: `apiVersion` and `kind` first, then the fields kept.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let fields = 3 + usize::from(self.spec.is_some()) + usize::from(self.status.is_some());
        let mut m = s.serialize_struct("Pod", fields)?;
        m.serialize_field("apiVersion", "v1")?;
        m.serialize_field("kind", "Pod")?;
        m.serialize_field("metadata", &self.metadata)?;
        if let Some(spec) = &self.spec {
            m.serialize_field("spec", spec)?;
        }
        if let Some(status) = &self.status {
            m.serialize_field("status", status)?;
        }
        m.end()
    }
}

impl Pod {
    /// Moves the pod's [`Workload`] out of its spec: its containers and
    /// volumes are then empty, while its identity, ServiceAccount, node and
    /// host settings stay.
    pub fn take_workload(&mut self) -> Workload {
        let Some(spec) = &mut self.spec else {
            return Workload::default();
        };
        Workload {
            init_containers: spec.init_containers.take().unwrap_or_default(),
            containers: std::mem::take(&mut spec.containers),
            ephemeral_containers: spec.ephemeral_containers.take().unwrap_or_default(),
            volumes: spec.volumes.take().unwrap_or_default(),
        }
    }
}

/// The ServiceAccount a pod runs as: `spec.serviceAccountName`, else the
/// deprecated `spec.serviceAccount`, else `default` (what admission sets).
pub fn service_account_name(pod: &Pod) -> &str {
    pod.spec
        .as_ref()
        .and_then(|s| {
            s.service_account_name
                .as_deref()
                .filter(|n| !n.is_empty())
                .or(s.service_account.as_deref().filter(|n| !n.is_empty()))
        })
        .unwrap_or("default")
}

/// A list of pods found by name: one list of (hash of the name, name,
/// namespace, index), sorted by hash and searched by halving. A map would
/// hold a list per name, and nearly every pod's name is its own (100,000
/// allocations at 100,000 pods); sorting by a hash compares integers, not
/// names that mostly share a long prefix.
#[derive(Debug, Clone, Default)]
pub struct PodsByName<'p> {
    /// By hash of the name, then index: pods of one name in list order.
    entries: Vec<(u64, &'p str, &'p str, usize)>,
}

impl<'p> PodsByName<'p> {
    /// Indexes `pods` (a missing name or namespace is empty).
    pub fn of(pods: &'p [Pod]) -> Self {
        let mut entries: Vec<(u64, &str, &str, usize)> = (pods.iter().enumerate())
            .map(|(i, p)| {
                let m = &p.metadata;
                let name = m.name.as_deref().unwrap_or_default();
                let ns = m.namespace.as_deref().unwrap_or_default();
                (name_hash(name), name, ns, i)
            })
            .collect();
        entries.sort_unstable_by_key(|e| (e.0, e.3));
        PodsByName { entries }
    }

    /// The pods named `name`, in list order: (namespace, index).
    pub fn named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = (&'p str, usize)> + 'a {
        let hash = name_hash(name);
        let start = self.entries.partition_point(|e| e.0 < hash);
        let rest = &self.entries[start..];
        let end = rest.partition_point(|e| e.0 == hash);
        (rest[..end].iter())
            .filter(move |e| e.1 == name)
            .map(|&(_, _, ns, i)| (ns, i))
    }
}

/// A name's hash for [`PodsByName`]: fixed, so that runs lay the list out
/// alike (the order of what a search returns never depends on it).
fn name_hash(name: &str) -> u64 {
    use std::hash::BuildHasher;
    foldhash::fast::FixedState::default().hash_one(name)
}

/// What a pod runs and mounts: its containers (of the three lists) and the
/// volumes kept. Only token exposure reads them, once: the analysis moves
/// them out of the pods ([`Pod::take_workload`]) and frees them as soon as
/// the exposures are worked out (at 100,000 pods they are a third of the
/// snapshot).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Workload {
    /// `spec.initContainers`.
    pub init_containers: Vec<Container>,
    /// `spec.containers`.
    pub containers: Vec<Container>,
    /// `spec.ephemeralContainers`.
    pub ephemeral_containers: Vec<Container>,
    /// `spec.volumes` (those kept: see [`PodSpec::volumes`]).
    pub volumes: Vec<Volume>,
}

/// A pod's `metadata`: the fields the analysis reads (labels, every other
/// annotation and the rest are skipped). It serializes like k8s-openapi's
/// `ObjectMeta` with only these fields set, in the same order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodMeta {
    /// `annotations`: only [`MIRROR_POD_ANNOTATION`] (a static pod's mirror
    /// gets no token), the others are skipped unread.
    #[serde(
        default,
        deserialize_with = "mirror_annotation",
        skip_serializing_if = "Option::is_none"
    )]
    pub annotations: Option<BTreeMap<String, String>>,
    /// `name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `namespace`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// `ownerReferences`: the controlling owner names the pod in reports.
    #[serde(
        default,
        deserialize_with = "fitted",
        skip_serializing_if = "Option::is_none"
    )]
    pub owner_references: Option<Vec<OwnerReference>>,
    /// `uid`: set once the API server has admitted the pod.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
}

/// The annotations map with only [`MIRROR_POD_ANNOTATION`] kept (`None`
/// without it); every other value is skipped unread.
fn mirror_annotation<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<BTreeMap<String, String>>, D::Error> {
    super::annotations::only(d, |key| key == MIRROR_POD_ANNOTATION)
}

/// `spec`: who the pod runs as, where, with what, and its containers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodSpec {
    /// `containers`.
    #[serde(default, deserialize_with = "fitted_list")]
    pub containers: Vec<Container>,
    /// `initContainers`.
    #[serde(
        default,
        deserialize_with = "fitted",
        skip_serializing_if = "Option::is_none"
    )]
    pub init_containers: Option<Vec<Container>>,
    /// `ephemeralContainers` (added by `kubectl debug`), read like the others.
    #[serde(
        default,
        deserialize_with = "fitted",
        skip_serializing_if = "Option::is_none"
    )]
    pub ephemeral_containers: Option<Vec<Container>>,
    /// `volumes`: those with a `hostPath`, `secret` or `projected` source
    /// (the others are skipped at decoding).
    #[serde(
        default,
        deserialize_with = "kept_volumes",
        skip_serializing_if = "Option::is_none"
    )]
    pub volumes: Option<Vec<Volume>>,
    /// `serviceAccountName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account_name: Option<String>,
    /// `serviceAccount`, the deprecated alias of `serviceAccountName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account: Option<String>,
    /// `automountServiceAccountToken`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub automount_service_account_token: Option<bool>,
    /// `nodeName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_name: Option<String>,
    /// `hostPID`.
    #[serde(default, rename = "hostPID", skip_serializing_if = "Option::is_none")]
    pub host_pid: Option<bool>,
    /// `hostNetwork`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_network: Option<bool>,
    /// `hostIPC`.
    #[serde(default, rename = "hostIPC", skip_serializing_if = "Option::is_none")]
    pub host_ipc: Option<bool>,
    /// `hostUsers`: `false` runs the pod in its own user namespace, which
    /// Pod Security admission relaxes some checks for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_users: Option<bool>,
    /// `securityContext` (boxed, like the other fields most pods leave
    /// out: a hundred thousand pods and templates are kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_context: Option<Box<PodSecurityContext>>,
    /// `nodeSelector`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_selector: Option<BTreeMap<String, String>>,
    /// `tolerations`.
    #[serde(
        default,
        deserialize_with = "fitted",
        skip_serializing_if = "Option::is_none"
    )]
    pub tolerations: Option<Vec<Toleration>>,
    /// `affinity`: its required node affinity only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affinity: Option<Box<Affinity>>,
    /// `os`: the operating system the pod's containers need (Pod Security
    /// admission spares a Windows pod the Linux-only checks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<Box<PodOS>>,
}

/// `spec.os`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PodOS {
    /// `name`: `linux` or `windows` (the API accepts no other value).
    #[serde(default)]
    pub name: String,
}

/// `spec.affinity`: only what restricts the nodes a pod may run on (pod
/// affinity and preferences are skipped).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Affinity {
    /// `nodeAffinity`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_affinity: Option<NodeAffinity>,
}

/// `spec.affinity.nodeAffinity`: the required terms only.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NodeAffinity {
    /// `requiredDuringSchedulingIgnoredDuringExecution`.
    #[serde(
        default,
        rename = "requiredDuringSchedulingIgnoredDuringExecution",
        skip_serializing_if = "Option::is_none"
    )]
    pub required: Option<NodeSelector>,
}

/// `spec.securityContext`: the defaults containers inherit.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodSecurityContext {
    /// `runAsUser`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_as_user: Option<i64>,
    /// `runAsNonRoot`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_as_non_root: Option<bool>,
    /// `seccompProfile`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seccomp_profile: Option<SeccompProfile>,
}

/// A container (of any of the three lists): its name, security context,
/// mounts and env references.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Container {
    /// `name`.
    pub name: String,
    /// `securityContext`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_context: Option<Box<SecurityContext>>,
    /// `volumeMounts`.
    #[serde(
        default,
        deserialize_with = "fitted",
        skip_serializing_if = "Option::is_none"
    )]
    pub volume_mounts: Option<Vec<VolumeMount>>,
    /// `env`: the variables set from a Secret key (the others, and every
    /// literal value, are skipped at decoding).
    #[serde(
        default,
        deserialize_with = "secret_env",
        skip_serializing_if = "Option::is_none"
    )]
    pub env: Option<Vec<EnvVar>>,
    /// `envFrom`.
    #[serde(
        default,
        deserialize_with = "fitted",
        skip_serializing_if = "Option::is_none"
    )]
    pub env_from: Option<Vec<EnvFromSource>>,
    /// `ports`: those with a `hostPort` (the others are skipped).
    #[serde(
        default,
        deserialize_with = "host_ports",
        skip_serializing_if = "Option::is_none"
    )]
    pub ports: Option<Vec<ContainerPort>>,
    /// `command`: its flags only (see `args`).
    #[serde(
        default,
        deserialize_with = "flag_names",
        skip_serializing_if = "Option::is_none"
    )]
    pub command: Option<Vec<String>>,
    /// `args`: the flags only (`--name`, or `--name=false`), which say how
    /// an operator is locked down. Values, which may be secret, and every
    /// other word are skipped at decoding.
    #[serde(
        default,
        deserialize_with = "flag_names",
        skip_serializing_if = "Option::is_none"
    )]
    pub args: Option<Vec<String>>,
}

impl Container {
    /// Whether it is started with flag `name` (`--name`, `--name=VALUE` or
    /// `--name VALUE`), not turned off with `--name=false`.
    pub fn has_flag(&self, name: &str) -> bool {
        (self.command.iter().chain(&self.args))
            .flatten()
            .any(|f| f == name)
    }
}

/// The flags of a `command` or `args` list: each `--name[=value]` becomes
/// `--name`, or `--name=false` when so turned off; the rest is dropped.
fn flag_names<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    let words: Option<Vec<Option<String>>> = Option::deserialize(d)?;
    let flags: Vec<String> = (words.into_iter().flatten().flatten())
        .filter(|w| w.starts_with("--") && w.len() > 2)
        .map(|w| match w.split_once('=') {
            Some((name, value)) if value.eq_ignore_ascii_case("false") => format!("{name}=false"),
            Some((name, _)) => name.to_string(),
            None => w,
        })
        .collect();
    Ok((!flags.is_empty()).then_some(flags))
}

/// A container's port: only its `hostPort` is read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerPort {
    /// `hostPort`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_port: Option<i32>,
}

fn host_ports<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<ContainerPort>>, D::Error> {
    let kept = kept(d, |p: &ContainerPort| p.host_port.is_some_and(|h| h != 0))?;
    Ok(kept.filter(|l| !l.is_empty()))
}

/// A container's `securityContext`: what can hand it the node.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecurityContext {
    /// `privileged`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privileged: Option<bool>,
    /// `allowPrivilegeEscalation`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_privilege_escalation: Option<bool>,
    /// `capabilities`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<Capabilities>,
    /// `runAsUser`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_as_user: Option<i64>,
    /// `runAsNonRoot`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_as_non_root: Option<bool>,
    /// `readOnlyRootFilesystem`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_only_root_filesystem: Option<bool>,
    /// `seccompProfile`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seccomp_profile: Option<SeccompProfile>,
    /// `procMount`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proc_mount: Option<String>,
}

/// A `volumeMounts` entry: which volume, where, and which part of it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VolumeMount {
    /// `name`: the volume.
    pub name: String,
    /// `mountPath`.
    pub mount_path: String,
    /// `subPath`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_path: Option<String>,
    /// `subPathExpr`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_path_expr: Option<String>,
}

/// An `env` entry: its name and, when it has one, its `valueFrom`. A
/// literal `value` is skipped unread.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvVar {
    /// `name`.
    pub name: String,
    /// `valueFrom`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_from: Option<EnvVarSource>,
}

/// `valueFrom`: the Secret reference (other sources are skipped).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvVarSource {
    /// `secretKeyRef`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_key_ref: Option<SecretKeySelector>,
}

/// An `envFrom` entry: the Secret reference (ConfigMaps are skipped).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvFromSource {
    /// `prefix`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// `secretRef`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_ref: Option<SecretEnvSource>,
}

/// A volume: its name and the sources that can hold a token or reach the
/// node.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Volume {
    /// `name`.
    pub name: String,
    /// `hostPath`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_path: Option<HostPathVolumeSource>,
    /// `secret`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<SecretVolumeSource>,
    /// `projected`: its token and Secret sources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub projected: Option<ProjectedVolumeSource>,
}

/// A `projected` volume: the sources that can hold a token (ConfigMap,
/// downward API and other sources are skipped at decoding, not kept empty).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectedVolumeSource {
    /// `sources`, less those with neither a token nor a Secret.
    #[serde(
        default,
        deserialize_with = "token_sources",
        skip_serializing_if = "Option::is_none"
    )]
    pub sources: Option<Vec<VolumeProjection>>,
}

/// One projected source: a ServiceAccount token or a Secret.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VolumeProjection {
    /// `secret`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<SecretProjection>,
    /// `serviceAccountToken`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account_token: Option<ServiceAccountTokenProjection>,
}

/// Decodes an optional list and keeps the items `keep` accepts, in a vector
/// no larger than they need.
fn kept<'de, D, T>(d: D, keep: fn(&T) -> bool) -> Result<Option<Vec<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    let list = Option::<Vec<T>>::deserialize(d)?;
    Ok(list.map(|mut l| {
        l.retain(keep);
        l.shrink_to_fit();
        l
    }))
}

fn fitted<'de, D, T>(d: D) -> Result<Option<Vec<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    kept(d, |_| true)
}

fn fitted_list<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    let mut list = Vec::<T>::deserialize(d)?;
    list.shrink_to_fit();
    Ok(list)
}

fn token_sources<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Vec<VolumeProjection>>, D::Error> {
    kept(d, |p: &VolumeProjection| {
        p.secret.is_some() || p.service_account_token.is_some()
    })
}

fn secret_env<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<EnvVar>>, D::Error> {
    kept(d, |e: &EnvVar| {
        e.value_from
            .as_ref()
            .is_some_and(|f| f.secret_key_ref.is_some())
    })
}

fn kept_volumes<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<Volume>>, D::Error> {
    kept(d, |v: &Volume| {
        v.host_path.is_some() || v.secret.is_some() || v.projected.is_some()
    })
}

/// `status`: the phase.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodStatus {
    /// `phase`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_containers_command_and_args_keep_their_flags_and_never_a_value() {
        let c: Container = serde_json::from_str(
            r#"{"name":"manager","command":["/manager","--leader-elect"],
               "args":["--default-service-account=default","--token=s3cr3t","--password","hunter2",
                       "--no-cross-namespace-refs=False","-v","plain"]}"#,
        )
        .unwrap();
        assert_eq!(
            c.command.as_deref(),
            Some(&["--leader-elect".to_string()][..])
        );
        assert_eq!(
            c.args.as_deref().unwrap(),
            [
                "--default-service-account",
                "--token",
                "--password",
                "--no-cross-namespace-refs=false"
            ]
        );
        assert!(c.has_flag("--default-service-account") && c.has_flag("--leader-elect"));
        assert!(!c.has_flag("--no-cross-namespace-refs"));
        let text = serde_json::to_string(&c).unwrap();
        assert!(
            !text.contains("s3cr3t") && !text.contains("hunter2"),
            "{text}"
        );
    }

    /// A hundred thousand pods are kept: their lists hold no spare room.
    #[test]
    fn a_pods_lists_are_fitted_to_what_they_hold() {
        let pod: Pod = serde_json::from_str(
            r#"{"metadata": {"name": "p", "ownerReferences": [{"apiVersion": "apps/v1",
                "kind": "ReplicaSet", "name": "r", "uid": "u", "controller": true}]},
                "spec": {"containers": [{"name": "c", "volumeMounts": [{"name": "v",
                "mountPath": "/v"}]}], "tolerations": [{"operator": "Exists"}]}}"#,
        )
        .unwrap();
        assert_eq!(pod.metadata.owner_references.unwrap().capacity(), 1);
        let spec = pod.spec.unwrap();
        assert_eq!(spec.containers.capacity(), 1);
        assert_eq!(spec.tolerations.unwrap().capacity(), 1);
        let mounts = spec.containers[0].volume_mounts.as_ref().unwrap();
        assert_eq!(mounts.capacity(), 1);
    }

    #[test]
    fn of_a_pods_annotations_only_the_mirror_one_is_kept() {
        let annotations = |meta: &str| {
            let json = format!(r#"{{"metadata":{meta}}}"#);
            serde_json::from_str::<Pod>(&json)
                .unwrap()
                .metadata
                .annotations
        };
        assert_eq!(annotations("{}"), None);
        assert_eq!(annotations(r#"{"annotations":null}"#), None);
        assert_eq!(annotations(r#"{"annotations":{"a":"1","b":"2"}}"#), None);
        let mirror = annotations(r#"{"annotations":{"a":"1","kubernetes.io/config.mirror":"h"}}"#);
        assert_eq!(
            mirror,
            Some(BTreeMap::from([(MIRROR_POD_ANNOTATION.into(), "h".into())]))
        );
        // Not a map: an error, as for any other field of the wrong type.
        let wrong = serde_json::from_str::<Pod>(r#"{"metadata":{"annotations":[1]}}"#);
        assert!(wrong.is_err());
    }

    #[test]
    fn pods_are_found_by_name_in_list_order() {
        let pod = |ns: &str, name: Option<&str>| Pod {
            metadata: PodMeta {
                name: name.map(String::from),
                namespace: Some(ns.into()),
                ..PodMeta::default()
            },
            ..Pod::default()
        };
        let pods = [
            pod("b", Some("web")),
            pod("a", Some("db")),
            pod("a", Some("web")),
            pod("c", None),
            pod("c", Some("web-1")),
            pod("d", Some("we")),
        ];
        let index = PodsByName::of(&pods);
        let named = |n: &str| index.named(n).collect::<Vec<_>>();
        assert_eq!(named("web"), [("b", 0), ("a", 2)]);
        assert_eq!(named("db"), [("a", 1)]);
        assert_eq!(named("we"), [("d", 5)]);
        assert_eq!(named(""), [("c", 3)]);
        assert_eq!(named("w"), []);
        assert_eq!(named("zzz"), []);
        assert_eq!(PodsByName::of(&[]).named("web").count(), 0);
    }

    #[test]
    fn taking_a_workload_moves_containers_and_volumes_and_keeps_the_rest() {
        let json = r#"{"metadata":{"name":"p","namespace":"n"},
          "spec":{"serviceAccountName":"sa","nodeName":"n1","hostPID":true,
            "automountServiceAccountToken":false,"securityContext":{"runAsUser":0},
            "initContainers":[{"name":"i"}],"containers":[{"name":"c"}],
            "ephemeralContainers":[{"name":"e"}],
            "volumes":[{"name":"v","hostPath":{"path":"/"}}]}}"#;
        let mut pod: Pod = serde_json::from_str(json).unwrap();
        let before = pod.clone();
        let w = pod.take_workload();
        let names = |l: &[Container]| l.iter().map(|c| c.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&w.init_containers), ["i"]);
        assert_eq!(names(&w.containers), ["c"]);
        assert_eq!(names(&w.ephemeral_containers), ["e"]);
        assert_eq!(w.volumes.len(), 1);
        let (spec, was) = (pod.spec.as_ref().unwrap(), before.spec.unwrap());
        assert!(spec.containers.is_empty() && spec.volumes.is_none());
        assert!(spec.init_containers.is_none() && spec.ephemeral_containers.is_none());
        assert_eq!(spec.service_account_name, was.service_account_name);
        assert_eq!(spec.node_name, was.node_name);
        assert_eq!(spec.host_pid, Some(true));
        assert_eq!(spec.automount_service_account_token, Some(false));
        assert_eq!(spec.security_context, was.security_context);
        assert_eq!(pod.metadata, before.metadata);
        // A pod without a spec has an empty workload.
        assert_eq!(Pod::default().take_workload(), Workload::default());
    }

    #[test]
    fn a_pod_keeps_what_the_analysis_reads_and_drops_the_rest() {
        let json = r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"n",
            "labels":{"app":"a"},"annotations":{"x":"y"},"uid":"u1","generateName":"p-"},
          "spec":{"serviceAccountName":"sa","hostPID":true,"hostIPC":false,"nodeName":"n1",
            "hostUsers":false,"os":{"name":"windows"},"priority":0,
            "containers":[{"name":"c","image":"x","resources":{"limits":{"cpu":"1"}},
              "securityContext":{"privileged":true,"seccompProfile":{"type":"RuntimeDefault"}},
              "env":[{"name":"L","value":"literal"},
                {"name":"F","valueFrom":{"fieldRef":{"fieldPath":"metadata.name"}}},
                {"name":"A","valueFrom":{"secretKeyRef":{"name":"s","key":"k"}}}],
              "volumeMounts":[{"name":"v","mountPath":"/m","readOnly":true}]}],
            "volumes":[{"name":"v","hostPath":{"path":"/"}},{"name":"e","emptyDir":{}},
              {"name":"t","projected":{"sources":[{"configMap":{"name":"kube-root-ca.crt"}},
                {"serviceAccountToken":{"path":"token"}},{"downwardAPI":{"items":[]}}]}}]},
          "status":{"phase":"Running","podIP":"10.0.0.1"}}"#;
        let pod: Pod = serde_json::from_str(json).unwrap();
        let spec = pod.spec.as_ref().unwrap();
        assert_eq!(spec.host_pid, Some(true));
        assert_eq!(spec.host_ipc, Some(false));
        assert_eq!(spec.host_users, Some(false));
        assert_eq!(spec.os.as_ref().map(|os| os.name.as_str()), Some("windows"));
        assert_eq!(
            spec.containers[0]
                .security_context
                .as_ref()
                .unwrap()
                .privileged,
            Some(true)
        );
        assert_eq!(
            spec.volumes.as_ref().unwrap()[0]
                .host_path
                .as_ref()
                .unwrap()
                .path,
            "/"
        );
        // Only the env variable set from a Secret, the hostPath and projected
        // volumes, and the projected token source are kept.
        let env = spec.containers[0].env.as_ref().unwrap();
        assert_eq!(env.len(), 1);
        assert_eq!(env[0].name, "A");
        let volumes = spec.volumes.as_ref().unwrap();
        assert_eq!(
            volumes.iter().map(|v| v.name.as_str()).collect::<Vec<_>>(),
            ["v", "t"]
        );
        let sources = volumes[1].projected.as_ref().unwrap().sources.as_ref();
        assert_eq!(sources.unwrap().len(), 1);
        assert!(sources.unwrap()[0].service_account_token.is_some());
        assert_eq!(pod.metadata.uid.as_deref(), Some("u1"));
        assert!(pod.metadata.annotations.is_none());
        let back = serde_json::to_value(&pod).unwrap();
        assert_eq!(back["apiVersion"], "v1");
        assert_eq!(back["kind"], "Pod");
        assert_eq!(back["spec"]["hostPID"], true);
        assert_eq!(back["spec"]["hostUsers"], false);
        assert_eq!(back["spec"]["os"], serde_json::json!({"name": "windows"}));
        assert!(back["spec"].get("priority").is_none());
        assert_eq!(back["status"], serde_json::json!({"phase": "Running"}));
        assert!(back["spec"]["containers"][0].get("image").is_none());
        // Read back, it is the same pod.
        assert_eq!(serde_json::from_value::<Pod>(back).unwrap(), pod);
        // Unset, hostUsers and os are not written.
        let bare = serde_json::to_value(PodSpec::default()).unwrap();
        assert!(bare.get("hostUsers").is_none() && bare.get("os").is_none());
    }
}
