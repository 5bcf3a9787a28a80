//! Which ServiceAccount tokens each container of a pod can read, following
//! what the API server and kubelet do:
//!
//! - **Automount.** The ServiceAccount admission plugin decides with the
//!   pod's `automountServiceAccountToken`, else the ServiceAccount's, else
//!   `true`. It adds a projected `kube-api-access-*` volume and mounts it at
//!   `/var/run/secrets/kubernetes.io/serviceaccount` in every init container
//!   and container that has nothing mounted there yet (not in ephemeral
//!   containers), and never touches mirror pods. A stored pod already
//!   carries the volume, so its spec is the truth; a manifest that never
//!   went through admission is resolved from the settings (`resolved`).
//! - **Projected tokens.** Any projected `serviceAccountToken` source, at any
//!   path, carries the pod's own ServiceAccount, whatever automount says. A
//!   token with an explicit `audience` is for another service and the API
//!   server rejects it unless its `--api-audiences` lists that audience.
//! - **Legacy token secrets.** A `secret` volume, a projected `secret`
//!   source, an env `secretKeyRef` to the `token` key, or an `envFrom`
//!   `secretRef`, naming a Secret of type
//!   `kubernetes.io/service-account-token` (or with the
//!   `kubernetes.io/service-account.name` annotation) gives that secret's
//!   ServiceAccount, which may not be the pod's. Without Secrets in the
//!   snapshot such references are reported as unclassified.
//! - Only containers whose `volumeMounts` reach the token file (a `subPath`
//!   can leave it out) can read a volume's token.

use foldhash::HashMap;
use std::collections::BTreeMap;

use crate::snapshot::pod::{VolumeMount, Workload};
use k8s_openapi::api::core::v1::{KeyToPath, Secret};
use serde::Serialize;

use super::{ContainerKind, ContainerRef, ContainerView, containers, service_account_name};
use crate::rbac::SubjectId;
use crate::snapshot::{
    Kind, Pod, SERVICE_ACCOUNT_NAME_ANNOTATION, SERVICE_ACCOUNT_TOKEN_TYPE, ServiceAccount,
    Snapshot,
};
use crate::tables;

/// Where admission mounts the token.
pub const TOKEN_MOUNT_PATH: &str = "/var/run/secrets/kubernetes.io/serviceaccount";
/// Name prefix of the volume admission injects.
pub const INJECTED_VOLUME_PREFIX: &str = "kube-api-access-";
/// The annotation of mirror pods (static pods as the API server shows them).
pub use crate::snapshot::pod::MIRROR_POD_ANNOTATION;
/// The key of a legacy token Secret that holds the token.
const TOKEN_KEY: &str = "token";

/// A ServiceAccount, by namespace and name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema)]
pub struct ServiceAccountRef {
    /// Its namespace.
    pub namespace: String,
    /// Its name.
    pub name: String,
}

/// Writes a ServiceAccount as its position in the report's `objects`
/// (see [`tables`]), where it is a subject (`kind: ServiceAccount`).
pub fn account_object<S: serde::Serializer>(
    sa: &ServiceAccountRef,
    s: S,
) -> Result<S::Ok, S::Error> {
    /// The ServiceAccount as its subject writes it, borrowed.
    #[derive(Serialize)]
    struct AsSubject<'a> {
        kind: &'static str,
        namespace: &'a str,
        name: &'a str,
        #[serde(skip)]
        account: &'a ServiceAccountRef,
    }
    /// What is kept of an [`AsSubject`] to recognise it again.
    struct Kept(ServiceAccountRef);
    impl tables::Remember for AsSubject<'_> {
        type Kept = Kept;
        fn feed<H: std::hash::Hasher>(&self, state: &mut H) {
            std::hash::Hash::hash(self.account, state);
        }
        fn is(&self, kept: &Kept) -> bool {
            *self.account == kept.0
        }
        fn keep(&self) -> Kept {
            Kept(self.account.clone())
        }
    }
    let subject = AsSubject {
        kind: "ServiceAccount",
        namespace: &sa.namespace,
        name: &sa.name,
        account: sa,
    };
    tables::object(&subject, s)
}

impl ServiceAccountRef {
    /// The RBAC identity of the ServiceAccount.
    pub fn subject(&self) -> SubjectId {
        SubjectId::ServiceAccount {
            namespace: self.namespace.clone(),
            name: self.name.clone(),
        }
    }
}

impl std::fmt::Display for ServiceAccountRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

/// How a token reaches a container.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum TokenSource {
    /// The `kube-api-access-*` volume of automount.
    Automount,
    /// Another projected `serviceAccountToken` volume.
    ProjectedToken,
    /// A `secret` volume of a legacy token Secret.
    SecretVolume,
    /// A projected `secret` source of a legacy token Secret.
    ProjectedSecret,
    /// An env variable from the `token` key of a legacy token Secret.
    SecretEnv,
    /// `envFrom` a legacy token Secret.
    SecretEnvFrom,
    /// A hostPath volume that reaches `/var/lib/kubelet`, where the kubelet
    /// keeps the tokens of every pod on the node.
    NodeHostPath,
}

impl TokenSource {
    /// The stable code, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenSource::Automount => "automount",
            TokenSource::ProjectedToken => "projected-token",
            TokenSource::SecretVolume => "secret-volume",
            TokenSource::ProjectedSecret => "projected-secret",
            TokenSource::SecretEnv => "secret-env",
            TokenSource::SecretEnvFrom => "secret-env-from",
            TokenSource::NodeHostPath => "node-host-path",
        }
    }
}

/// One ServiceAccount token some containers of a pod can read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Exposure {
    /// Whose token it is: a position in `objects`.
    #[serde(serialize_with = "account_object")]
    #[schemars(with = "usize")]
    pub service_account: ServiceAccountRef,
    /// How it gets there.
    pub source: TokenSource,
    /// The pod volume, for volume sources.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volume: Option<String>,
    /// The legacy token Secret, for secret sources.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// The explicit audience of a projected token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    /// Whether the API server accepts the token (false for an explicit audience).
    pub api_access: bool,
    /// Not in the spec: resolved from the automount settings of a pod that
    /// has not been through admission.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub resolved: bool,
    /// The containers that can read it, sorted.
    pub containers: Vec<ContainerRef>,
}

/// Who decided whether the token is automounted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum DecidedBy {
    /// The pod's `automountServiceAccountToken`.
    Pod,
    /// The ServiceAccount's `automountServiceAccountToken`.
    ServiceAccount,
    /// Neither says: the default is to mount.
    Default,
    /// A mirror pod: admission never mounts tokens into static pods.
    MirrorPod,
}

/// What happened to the automounted token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum AutomountOutcome {
    /// The spec has the token mount (a `kube-api-access-*` volume, or
    /// something mounted at the token path).
    Injected,
    /// The pod has not been through admission (a manifest): the mount was
    /// resolved from the settings.
    Resolved,
    /// Automount is on, but the stored pod has no token mount (the admission
    /// plugin was off when it was created).
    NotInjected,
    /// Automount is off.
    Disabled,
}

/// The automount decision of a pod.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Automount {
    /// Whether the settings ask for the token.
    pub enabled: bool,
    /// Which setting decided.
    pub decided_by: DecidedBy,
    /// What the spec shows.
    pub outcome: AutomountOutcome,
}

tables::remember_by_value!(Automount);

/// A reference to a Secret that would expose a token if the Secret were a
/// legacy token secret, which cannot be told without Secrets in the snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Unclassified {
    /// The Secret's name (in the pod's namespace).
    pub secret: String,
    /// How it is referenced.
    pub source: TokenSource,
    /// The containers that reference it.
    pub containers: Vec<ContainerRef>,
}

/// Every token a pod exposes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PodTokens {
    /// The pod's automount decision.
    pub automount: Automount,
    /// Tokens readable by some container, by ServiceAccount and source.
    pub exposures: Vec<Exposure>,
    /// Secret references that could not be classified.
    pub unclassified: Vec<Unclassified>,
}

/// The Secrets of a snapshot, by namespace and name, for classifying references.
#[derive(Debug)]
pub struct SecretIndex<'s> {
    listed: bool,
    by_name: HashMap<(&'s str, &'s str), &'s Secret>,
}

/// What a referenced Secret is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Class {
    /// A legacy token secret of this ServiceAccount (in the secret's namespace).
    Token(String),
    /// Not a token secret, or does not exist (while Secrets were listed).
    NotToken,
    /// Secrets were not listed.
    Unknown,
}

impl<'s> SecretIndex<'s> {
    /// Indexes the snapshot's Secrets.
    pub fn of(snapshot: &'s Snapshot) -> Self {
        SecretIndex {
            listed: snapshot.coverage.has(Kind::Secret),
            by_name: snapshot
                .secrets
                .iter()
                .map(|s| {
                    (
                        (
                            s.metadata.namespace.as_deref().unwrap_or(""),
                            s.metadata.name.as_deref().unwrap_or(""),
                        ),
                        s,
                    )
                })
                .collect(),
        }
    }

    fn classify(&self, namespace: &str, name: &str) -> Class {
        match self.by_name.get(&(namespace, name)) {
            Some(secret) => {
                let sa = secret
                    .metadata
                    .annotations
                    .as_ref()
                    .and_then(|a| a.get(SERVICE_ACCOUNT_NAME_ANNOTATION))
                    .filter(|n| !n.is_empty());
                // The type is absent from a metadata-only list; when it is
                // known, only the token type holds a token (the API server
                // refuses a token secret without the annotation).
                let typed_other = secret
                    .type_
                    .as_deref()
                    .is_some_and(|t| t != SERVICE_ACCOUNT_TOKEN_TYPE);
                match sa {
                    Some(sa) if !typed_other => Class::Token(sa.clone()),
                    _ => Class::NotToken,
                }
            }
            None if self.listed => Class::NotToken,
            None => Class::Unknown,
        }
    }
}

/// Whether a mount makes the file at `path` (relative to the volume) visible.
fn mount_reaches(mount: &VolumeMount, path: &str) -> bool {
    if mount
        .sub_path_expr
        .as_deref()
        .is_some_and(|e| !e.is_empty())
    {
        return true; // expanded at runtime: assume the worst
    }
    let sub = mount.sub_path.as_deref().unwrap_or("").trim_matches('/');
    let path = path.trim_matches('/');
    sub.is_empty() || path == sub || path.starts_with(&format!("{sub}/"))
}

/// Where the `token` key of a Secret lands in a volume with these `items`
/// (all keys when `items` is empty), if it is projected at all.
fn token_path(items: Option<&Vec<KeyToPath>>) -> Option<String> {
    match items.filter(|i| !i.is_empty()) {
        None => Some(TOKEN_KEY.into()),
        Some(items) => items
            .iter()
            .find(|i| i.key == TOKEN_KEY)
            .map(|i| i.path.clone()),
    }
}

/// Works out the tokens a pod exposes. `service_account` is the pod's
/// ServiceAccount object, if the snapshot has it.
pub fn resolve(
    pod: &Pod,
    workload: &Workload,
    service_account: Option<&ServiceAccount>,
    secrets: &SecretIndex<'_>,
) -> PodTokens {
    let namespace = pod.metadata.namespace.as_deref().unwrap_or("");
    let own = ServiceAccountRef {
        namespace: namespace.into(),
        name: service_account_name(pod).into(),
    };
    let all = containers(workload);
    let volumes = workload.volumes.as_slice();
    // (service account, source, volume, secret, audience) → containers
    type Key = (
        ServiceAccountRef,
        TokenSource,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let mut found: BTreeMap<Key, Vec<ContainerRef>> = BTreeMap::new();
    let mut unclassified: BTreeMap<(String, TokenSource), Vec<ContainerRef>> = BTreeMap::new();
    let readers = |volume: &str, path: &str| -> Vec<ContainerRef> {
        all.iter()
            .filter(|c| {
                c.volume_mounts
                    .iter()
                    .any(|m| m.name == volume && mount_reaches(m, path))
            })
            .map(ContainerView::reference)
            .collect()
    };
    // (secret, source, volume, readers), classified once all are known.
    let mut refs: Vec<(String, TokenSource, Option<String>, Vec<ContainerRef>)> = Vec::new();
    let mut secret_ref =
        |secret: &str, source, volume: Option<&str>, readers: Vec<ContainerRef>| {
            refs.push((
                secret.to_string(),
                source,
                volume.map(String::from),
                readers,
            ));
        };
    let mut injected = false;
    for v in volumes {
        if let Some(projected) = &v.projected {
            for source in projected.sources.iter().flatten() {
                if let Some(token) = &source.service_account_token {
                    let automount = v.name.starts_with(INJECTED_VOLUME_PREFIX);
                    injected |= automount;
                    let audience = token.audience.clone().filter(|a| !a.is_empty());
                    let r = readers(&v.name, &token.path);
                    if !r.is_empty() {
                        found
                            .entry((
                                own.clone(),
                                if automount {
                                    TokenSource::Automount
                                } else {
                                    TokenSource::ProjectedToken
                                },
                                Some(v.name.clone()),
                                None,
                                audience,
                            ))
                            .or_default()
                            .extend(r);
                    }
                }
                if let Some(s) = &source.secret
                    && let Some(path) = token_path(s.items.as_ref())
                {
                    secret_ref(
                        &s.name,
                        TokenSource::ProjectedSecret,
                        Some(&v.name),
                        readers(&v.name, &path),
                    );
                }
            }
        }
        if let Some(s) = &v.secret
            && let Some(name) = s.secret_name.as_deref().filter(|n| !n.is_empty())
            && let Some(path) = token_path(s.items.as_ref())
        {
            secret_ref(
                name,
                TokenSource::SecretVolume,
                Some(&v.name),
                readers(&v.name, &path),
            );
        }
    }
    for c in &all {
        for e in c.env {
            if let Some(r) = e
                .value_from
                .as_ref()
                .and_then(|f| f.secret_key_ref.as_ref())
                && r.key == TOKEN_KEY
                && !r.name.is_empty()
            {
                secret_ref(&r.name, TokenSource::SecretEnv, None, vec![c.reference()]);
            }
        }
        for e in c.env_from {
            if let Some(r) = &e.secret_ref
                && !r.name.is_empty()
            {
                secret_ref(
                    &r.name,
                    TokenSource::SecretEnvFrom,
                    None,
                    vec![c.reference()],
                );
            }
        }
    }

    for (secret, source, volume, readers) in refs {
        if readers.is_empty() {
            continue;
        }
        match secrets.classify(namespace, &secret) {
            Class::Token(sa) => found
                .entry((
                    ServiceAccountRef {
                        namespace: namespace.into(),
                        name: sa,
                    },
                    source,
                    volume,
                    Some(secret.clone()),
                    None,
                ))
                .or_default()
                .extend(readers),
            Class::NotToken => {}
            Class::Unknown => unclassified
                .entry((secret, source))
                .or_default()
                .extend(readers),
        }
    }
    let automount = decide_automount(pod, service_account, injected, &all);
    if automount.outcome == AutomountOutcome::Resolved {
        let r: Vec<ContainerRef> = all
            .iter()
            .filter(|c| c.kind != ContainerKind::Ephemeral)
            .filter(|c| !c.volume_mounts.iter().any(|m| is_token_path(&m.mount_path)))
            .map(ContainerView::reference)
            .collect();
        if !r.is_empty() {
            found
                .entry((own.clone(), TokenSource::Automount, None, None, None))
                .or_default()
                .extend(r);
        }
    }
    let exposures = found
        .into_iter()
        .map(
            |((service_account, source, volume, secret, audience), mut containers)| {
                containers.sort();
                containers.dedup();
                Exposure {
                    service_account,
                    source,
                    volume: volume.clone(),
                    secret,
                    api_access: audience.is_none(),
                    audience,
                    resolved: source == TokenSource::Automount && volume.is_none(),
                    containers,
                }
            },
        )
        .collect();
    let unclassified = unclassified
        .into_iter()
        .map(|((secret, source), mut containers)| {
            containers.sort();
            containers.dedup();
            Unclassified {
                secret,
                source,
                containers,
            }
        })
        .collect();
    PodTokens {
        automount,
        exposures,
        unclassified,
    }
}

fn is_token_path(path: &str) -> bool {
    path.trim_end_matches('/') == TOKEN_MOUNT_PATH
}

fn decide_automount(
    pod: &Pod,
    service_account: Option<&ServiceAccount>,
    injected: bool,
    all: &[ContainerView<'_>],
) -> Automount {
    let mirror = pod
        .metadata
        .annotations
        .as_ref()
        .is_some_and(|a| a.contains_key(MIRROR_POD_ANNOTATION));
    let pod_setting = pod
        .spec
        .as_ref()
        .and_then(|s| s.automount_service_account_token);
    let sa_setting = service_account.and_then(|s| s.automount_service_account_token);
    let (enabled, decided_by) = match (mirror, pod_setting, sa_setting) {
        (true, _, _) => (false, DecidedBy::MirrorPod),
        (false, Some(v), _) => (v, DecidedBy::Pod),
        (false, None, Some(v)) => (v, DecidedBy::ServiceAccount),
        (false, None, None) => (true, DecidedBy::Default),
    };
    let own_mount = all
        .iter()
        .any(|c| c.volume_mounts.iter().any(|m| is_token_path(&m.mount_path)));
    // A pod the API server has stored has a uid; a manifest has not.
    let admitted = pod.metadata.uid.is_some() || pod.status.is_some();
    let outcome = if injected {
        AutomountOutcome::Injected
    } else if !enabled {
        AutomountOutcome::Disabled
    } else if admitted && own_mount {
        // A legacy token secret volume (before 1.22) or the pod's own mount.
        AutomountOutcome::Injected
    } else if admitted {
        AutomountOutcome::NotInjected
    } else {
        AutomountOutcome::Resolved
    };
    Automount {
        enabled,
        decided_by,
        outcome,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_service_account_object_is_written_as_its_subject() {
        // One entry of `objects` for the ServiceAccount, whether a finding
        // names it as a subject or a pod runs as it.
        #[derive(Serialize)]
        struct Pod {
            #[serde(serialize_with = "account_object")]
            sa: ServiceAccountRef,
        }
        let sa = ServiceAccountRef {
            namespace: "ci".into(),
            name: "deployer".into(),
        };
        let written = serde_json::to_value(Pod { sa: sa.clone() }).unwrap();
        assert_eq!(written["sa"], serde_json::to_value(sa.subject()).unwrap());
    }

    fn mount(sub_path: Option<&str>, expr: Option<&str>) -> VolumeMount {
        VolumeMount {
            name: "v".into(),
            mount_path: "/m".into(),
            sub_path: sub_path.map(String::from),
            sub_path_expr: expr.map(String::from),
        }
    }

    #[test]
    fn a_sub_path_mount_reaches_only_the_file_or_directory_it_names() {
        assert!(mount_reaches(&mount(None, None), "token"));
        assert!(mount_reaches(&mount(Some(""), None), "token"));
        assert!(mount_reaches(&mount(Some("token"), None), "token"));
        assert!(!mount_reaches(&mount(Some("ca.crt"), None), "token"));
        assert!(mount_reaches(&mount(Some("sa"), None), "sa/token"));
        assert!(!mount_reaches(&mount(Some("s"), None), "sa/token"));
        // Expanded at runtime: assumed to reach it.
        assert!(mount_reaches(&mount(None, Some("$(POD)")), "token"));
    }

    #[test]
    fn secret_items_decide_whether_and_where_the_token_key_lands() {
        let item = |key: &str, path: &str| KeyToPath {
            key: key.into(),
            path: path.into(),
            mode: None,
        };
        assert_eq!(token_path(None), Some("token".into()));
        assert_eq!(token_path(Some(&vec![])), Some("token".into()));
        assert_eq!(token_path(Some(&vec![item("ca.crt", "ca.crt")])), None);
        assert_eq!(
            token_path(Some(&vec![item("ca.crt", "ca"), item("token", "t/jwt")])),
            Some("t/jwt".into())
        );
    }
}
