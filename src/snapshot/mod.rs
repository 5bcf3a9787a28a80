//! The cluster state an analysis runs on: typed Kubernetes objects, however
//! they were collected (a live API server or offline files).
//!
//! A snapshot is plain data. Building one de-duplicates objects by identity and
//! sorts them, so every later stage sees them in one deterministic order.

mod annotations;
pub mod pod;
pub mod service_account;

pub use pod::{Pod, PodMeta};
pub use service_account::{AccountMeta, ServiceAccount};

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Namespace, Secret};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, Serialize};

/// The label the API server puts on its bootstrap RBAC policy.
pub const BOOTSTRAP_LABEL: (&str, &str) = ("kubernetes.io/bootstrapping", "rbac-defaults");

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
    /// token secret belongs to are ever kept (see [`sanitize_secret`]).
    Secret,
}

impl Kind {
    /// Every kind, in the order reports list them.
    pub const ALL: [Kind; 8] = [
        Kind::ClusterRole,
        Kind::ClusterRoleBinding,
        Kind::Role,
        Kind::RoleBinding,
        Kind::ServiceAccount,
        Kind::Pod,
        Kind::Namespace,
        Kind::Secret,
    ];

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
        }
    }

    /// The `apiVersion` objects of this kind carry.
    pub fn api_version(self) -> &'static str {
        match self {
            Kind::ClusterRole | Kind::ClusterRoleBinding | Kind::Role | Kind::RoleBinding => {
                "rbac.authorization.k8s.io/v1"
            }
            Kind::ServiceAccount | Kind::Pod | Kind::Namespace | Kind::Secret => "v1",
        }
    }

    /// The kind for an `apiVersion`/`kind` pair, if the analysis reads it.
    pub fn from_type(api_version: &str, kind: &str) -> Option<Kind> {
        Kind::from_kind_name(kind).filter(|k| k.api_version() == api_version)
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
        }
    }

    /// The kind named by its `kind` string, whatever its API version.
    pub fn from_kind_name(kind: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == kind)
    }

    /// Whether objects of this kind live in a namespace.
    pub fn is_namespaced(self) -> bool {
        matches!(
            self,
            Kind::Role | Kind::RoleBinding | Kind::ServiceAccount | Kind::Pod | Kind::Secret
        )
    }
}

/// One typed object of a kind the analysis reads.
#[derive(Debug, Clone)]
pub enum Object {
    /// A ClusterRole.
    ClusterRole(ClusterRole),
    /// A ClusterRoleBinding.
    ClusterRoleBinding(ClusterRoleBinding),
    /// A Role.
    Role(Role),
    /// A RoleBinding.
    RoleBinding(RoleBinding),
    /// A ServiceAccount.
    ServiceAccount(ServiceAccount),
    /// A Pod.
    Pod(Box<Pod>),
    /// A Namespace.
    Namespace(Namespace),
    /// A Secret, reduced by [`sanitize_secret`].
    Secret(Secret),
}

impl Object {
    /// The object's kind.
    pub fn kind(&self) -> Kind {
        match self {
            Object::ClusterRole(_) => Kind::ClusterRole,
            Object::ClusterRoleBinding(_) => Kind::ClusterRoleBinding,
            Object::Role(_) => Kind::Role,
            Object::RoleBinding(_) => Kind::RoleBinding,
            Object::ServiceAccount(_) => Kind::ServiceAccount,
            Object::Pod(_) => Kind::Pod,
            Object::Namespace(_) => Kind::Namespace,
            Object::Secret(_) => Kind::Secret,
        }
    }

    /// The object's annotations, to change (the slim kinds keep only the
    /// few they read).
    pub fn annotations_mut(&mut self) -> Option<&mut BTreeMap<String, String>> {
        let meta = match self {
            Object::ClusterRole(o) => &mut o.metadata,
            Object::ClusterRoleBinding(o) => &mut o.metadata,
            Object::Role(o) => &mut o.metadata,
            Object::RoleBinding(o) => &mut o.metadata,
            Object::ServiceAccount(o) => return o.metadata.annotations.as_mut(),
            Object::Pod(o) => return o.metadata.annotations.as_mut(),
            Object::Namespace(o) => &mut o.metadata,
            Object::Secret(o) => &mut o.metadata,
        };
        meta.annotations.as_mut()
    }

    /// The object's `metadata.namespace` and `metadata.name`, as given.
    pub fn names(&self) -> Names<'_> {
        match self {
            Object::ClusterRole(o) => Names::of(&o.metadata),
            Object::ClusterRoleBinding(o) => Names::of(&o.metadata),
            Object::Role(o) => Names::of(&o.metadata),
            Object::RoleBinding(o) => Names::of(&o.metadata),
            Object::ServiceAccount(o) => Names::of(&o.metadata),
            Object::Pod(o) => Names::of(&o.metadata),
            Object::Namespace(o) => Names::of(&o.metadata),
            Object::Secret(o) => Names::of(&o.metadata),
        }
    }
}

/// An object's `metadata.namespace` and `metadata.name`, as given (either
/// may be missing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Names<'o> {
    /// `metadata.namespace`.
    pub namespace: Option<&'o str>,
    /// `metadata.name`.
    pub name: Option<&'o str>,
}

/// Metadata that names an object: k8s-openapi's `ObjectMeta`, and the slim
/// kinds' own.
pub trait Named {
    /// Its `namespace` and `name`.
    fn names(&self) -> Names<'_>;
}

/// `Named` for metadata types with `namespace` and `name` fields.
macro_rules! named {
    ($($meta:ty),*) => {$(
        impl Named for $meta {
            fn names(&self) -> Names<'_> {
                Names {
                    namespace: self.namespace.as_deref(),
                    name: self.name.as_deref(),
                }
            }
        }
    )*};
}
named!(ObjectMeta, PodMeta, AccountMeta);

impl<'o> Names<'o> {
    /// The names in an object's metadata.
    pub fn of(meta: &'o impl Named) -> Self {
        meta.names()
    }

    /// The object's (namespace, name) within its kind: cluster-scoped kinds
    /// ignore a stray namespace.
    fn identity(self, namespaced: bool) -> (&'o str, &'o str) {
        let namespace = if namespaced { self.namespace } else { None };
        (namespace.unwrap_or_default(), self.name.unwrap_or_default())
    }
}

/// A borrowed object of a snapshot; serializes as the object itself.
#[derive(Debug, Clone, Copy)]
pub enum ObjectRef<'s> {
    /// A ClusterRole.
    ClusterRole(&'s ClusterRole),
    /// A ClusterRoleBinding.
    ClusterRoleBinding(&'s ClusterRoleBinding),
    /// A Role.
    Role(&'s Role),
    /// A RoleBinding.
    RoleBinding(&'s RoleBinding),
    /// A ServiceAccount.
    ServiceAccount(&'s ServiceAccount),
    /// A Pod.
    Pod(&'s Pod),
    /// A Namespace.
    Namespace(&'s Namespace),
    /// A Secret (reduced).
    Secret(&'s Secret),
}

impl ObjectRef<'_> {
    /// The object's kind.
    pub fn kind(&self) -> Kind {
        match self {
            ObjectRef::ClusterRole(_) => Kind::ClusterRole,
            ObjectRef::ClusterRoleBinding(_) => Kind::ClusterRoleBinding,
            ObjectRef::Role(_) => Kind::Role,
            ObjectRef::RoleBinding(_) => Kind::RoleBinding,
            ObjectRef::ServiceAccount(_) => Kind::ServiceAccount,
            ObjectRef::Pod(_) => Kind::Pod,
            ObjectRef::Namespace(_) => Kind::Namespace,
            ObjectRef::Secret(_) => Kind::Secret,
        }
    }
}

impl Serialize for ObjectRef<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            ObjectRef::ClusterRole(o) => o.serialize(s),
            ObjectRef::ClusterRoleBinding(o) => o.serialize(s),
            ObjectRef::Role(o) => o.serialize(s),
            ObjectRef::RoleBinding(o) => o.serialize(s),
            ObjectRef::ServiceAccount(o) => o.serialize(s),
            ObjectRef::Pod(o) => o.serialize(s),
            ObjectRef::Namespace(o) => o.serialize(s),
            ObjectRef::Secret(o) => o.serialize(s),
        }
    }
}

/// Identity of an object within a snapshot: kind, namespace (`""` for
/// cluster-scoped kinds) and name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectKey {
    /// The kind.
    pub kind: Kind,
    /// The namespace, `""` for cluster-scoped objects.
    pub namespace: String,
    /// The name.
    pub name: String,
}

impl std::fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.namespace.is_empty() {
            write!(f, "{} {}", self.kind.as_str(), self.name)
        } else {
            write!(f, "{} {}/{}", self.kind.as_str(), self.namespace, self.name)
        }
    }
}

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
    /// Which kinds could not be collected. Empty for a complete snapshot.
    pub coverage: Coverage,
}

/// Which kinds of a snapshot are incomplete, and why. A snapshot from files
/// is taken as complete unless the file says otherwise (a partial
/// `rbacscan dump`); a live scan records every list it could not finish.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Coverage {
    /// One entry per kind that could not be read, sorted by kind.
    #[serde(default)]
    pub gaps: Vec<Gap>,
    /// Kinds deliberately not collected (Secrets, unless asked for). They do
    /// not make a scan partial: the analysis says what it cannot tell
    /// without them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_listed: Vec<Kind>,
}

impl Coverage {
    /// Whether every kind was read completely.
    pub fn is_complete(&self) -> bool {
        self.gaps.is_empty()
    }

    /// Whether objects of `kind` were read completely.
    pub fn has(&self, kind: Kind) -> bool {
        self.gap(kind).is_none() && self.listed(kind)
    }

    /// Whether objects of `kind` were asked for at all.
    pub fn listed(&self, kind: Kind) -> bool {
        !self.not_listed.contains(&kind)
    }

    /// Records that objects of `kind` were deliberately not collected.
    pub fn skip(&mut self, kind: Kind) {
        if self.listed(kind) {
            self.not_listed.push(kind);
            self.not_listed.sort();
        }
    }

    /// Why `kind` could not be read, if it could not.
    pub fn gap(&self, kind: Kind) -> Option<&Gap> {
        self.gaps.iter().find(|g| g.kind == kind)
    }

    /// Records a kind that could not be read; the first reason given for a
    /// kind is kept.
    pub fn add(&mut self, gap: Gap) {
        if self.gap(gap.kind).is_none() {
            self.gaps.push(gap);
            self.gaps.sort_by_key(|g| g.kind);
        }
    }
}

/// A kind that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gap {
    /// The kind.
    pub kind: Kind,
    /// Why, as a stable code.
    pub reason: GapReason,
    /// What the server (or the client) said, in one line.
    pub message: String,
}

/// Why a kind could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum GapReason {
    /// The server refused the list (403): the credentials lack `list` on it.
    Forbidden,
    /// The list failed for another reason (server errors after retries, the
    /// deadline, an unexpected response).
    Failed,
}

impl GapReason {
    /// The stable code, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            GapReason::Forbidden => "forbidden",
            GapReason::Failed => "failed",
        }
    }
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
        }
    }
}

/// Collects objects into a [`Snapshot`]. An object seen twice (same kind,
/// namespace and name) replaces the earlier one and is counted as a duplicate.
///
/// Objects go straight into their kind's list, in the order added, and
/// each list is sorted and de-duplicated once, in [`SnapshotBuilder::build`]
/// (a sorted map would move large objects around on every insertion, a hash
/// map hash every key). A list that arrives in order, each identity once,
/// as an API server and kubectl list them, is kept as it is.
#[derive(Debug, Default)]
pub struct SnapshotBuilder {
    snapshot: Snapshot,
}

/// A built snapshot, and how many objects a later copy replaced.
#[derive(Debug)]
pub struct Built {
    /// The snapshot.
    pub snapshot: Snapshot,
    /// Objects replaced by a later copy with the same identity.
    pub duplicates: usize,
}

impl SnapshotBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one object. Objects are identified by kind, namespace and name
    /// (cluster-scoped kinds ignore a stray namespace); of two with the same
    /// identity, the later is kept.
    pub fn add(&mut self, object: Object) {
        let mut object = match object {
            Object::Secret(secret) => Object::Secret(sanitize_secret(secret)),
            other => other,
        };
        if let Some(a) = object.annotations_mut() {
            a.remove(LAST_APPLIED_ANNOTATION);
        }
        let s = &mut self.snapshot;
        match object {
            Object::ClusterRole(o) => s.cluster_roles.push(o),
            Object::ClusterRoleBinding(o) => s.cluster_role_bindings.push(o),
            Object::Role(o) => s.roles.push(o),
            Object::RoleBinding(o) => s.role_bindings.push(o),
            Object::ServiceAccount(o) => s.service_accounts.push(o),
            Object::Pod(o) => s.pods.push(*o),
            Object::Namespace(o) => s.namespaces.push(o),
            Object::Secret(o) => s.secrets.push(o),
        }
    }

    /// Records that `gap.kind` could not be read completely.
    pub fn add_gap(&mut self, gap: Gap) {
        self.snapshot.coverage.add(gap);
    }

    /// Records that objects of `kind` were deliberately not collected.
    pub fn skip(&mut self, kind: Kind) {
        self.snapshot.coverage.skip(kind);
    }

    /// The snapshot, every list sorted by namespace then name, each identity
    /// once (its last copy).
    pub fn build(self) -> Built {
        let mut s = self.snapshot;
        let duplicates = settle(&mut s.cluster_roles, Kind::ClusterRole, |o| {
            Names::of(&o.metadata)
        }) + settle(
            &mut s.cluster_role_bindings,
            Kind::ClusterRoleBinding,
            |o| Names::of(&o.metadata),
        ) + settle(&mut s.roles, Kind::Role, |o| Names::of(&o.metadata))
            + settle(&mut s.role_bindings, Kind::RoleBinding, |o| {
                Names::of(&o.metadata)
            })
            + settle(&mut s.service_accounts, Kind::ServiceAccount, |o| {
                Names::of(&o.metadata)
            })
            + settle(&mut s.pods, Kind::Pod, |o| Names::of(&o.metadata))
            + settle(&mut s.namespaces, Kind::Namespace, |o| {
                Names::of(&o.metadata)
            })
            + settle(&mut s.secrets, Kind::Secret, |o| Names::of(&o.metadata));
        Built {
            snapshot: s,
            duplicates,
        }
    }
}

/// Sorts `items` (of `kind`, in the order added) by identity and keeps the
/// last added of each; returns how many earlier copies were dropped.
fn settle<T>(items: &mut Vec<T>, kind: Kind, names: fn(&T) -> Names<'_>) -> usize {
    let namespaced = kind.is_namespaced();
    fn by<T>(names: fn(&T) -> Names<'_>, namespaced: bool, item: &T) -> (&str, &str) {
        names(item).identity(namespaced)
    }
    let key = |item| by(names, namespaced, item);
    if items.windows(2).all(|w| key(&w[0]) < key(&w[1])) {
        // What doubling left unused is given back.
        items.shrink_to_fit();
        return 0;
    }
    // Each key worked out once; the position added breaks ties, so of
    // equal keys the order added is kept.
    let mut order: Vec<((&str, &str), usize)> = (items.iter().enumerate())
        .map(|(i, item)| (key(item), i))
        .collect();
    order.sort_unstable();
    // Of each run of equal keys, the last added.
    let last: Vec<usize> = (order.iter().enumerate())
        .filter(|&(at, (k, _))| order.get(at + 1).is_none_or(|(next, _)| next != k))
        .map(|(_, &(_, i))| i)
        .collect();
    drop(order);
    let duplicates = items.len() - last.len();
    let mut slots: Vec<Option<T>> = std::mem::take(items).into_iter().map(Some).collect();
    // Sized once (a pod is large: doubling would leave up to half unused).
    items.reserve_exact(last.len());
    items.extend(last.into_iter().filter_map(|i| slots[i].take()));
    duplicates
}

/// The identity of an object.
pub fn key_of(object: &Object) -> ObjectKey {
    let kind = object.kind();
    let (namespace, name) = object.names().identity(kind.is_namespaced());
    ObjectKey {
        kind,
        namespace: namespace.to_string(),
        name: name.to_string(),
    }
}

/// The annotation naming the ServiceAccount of a legacy token Secret.
pub const SERVICE_ACCOUNT_NAME_ANNOTATION: &str = "kubernetes.io/service-account.name";
/// The `type` of a legacy ServiceAccount token Secret.
pub const SERVICE_ACCOUNT_TOKEN_TYPE: &str = "kubernetes.io/service-account-token";

/// What rbacscan keeps of a Secret: its namespace, name and `type`, and the
/// `kubernetes.io/service-account.name` annotation. Data, `stringData`, labels
/// and every other annotation (`kubectl.kubernetes.io/last-applied-configuration`
/// carries the plaintext of applied Secrets) are dropped, so no stage after
/// the source can print or store them.
pub fn sanitize_secret(secret: Secret) -> Secret {
    let meta = secret.metadata;
    let annotations = meta
        .annotations
        .and_then(|mut a| a.remove(SERVICE_ACCOUNT_NAME_ANNOTATION))
        .map(|sa| BTreeMap::from([(SERVICE_ACCOUNT_NAME_ANNOTATION.to_string(), sa)]));
    Secret {
        metadata: ObjectMeta {
            name: meta.name,
            namespace: meta.namespace,
            annotations,
            ..ObjectMeta::default()
        },
        type_: secret.type_,
        ..Secret::default()
    }
}

/// kubectl's copy of an applied object. It repeats the object, literal env
/// values and Secret data included, and the analysis never reads it: it is
/// dropped from every object.
pub const LAST_APPLIED_ANNOTATION: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Whether the object carries the bootstrap-policy label.
pub fn is_bootstrap_default(meta: &ObjectMeta) -> bool {
    meta.labels
        .as_ref()
        .and_then(|l| l.get(BOOTSTRAP_LABEL.0))
        .is_some_and(|v| v == BOOTSTRAP_LABEL.1)
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

    /// One of [`Kind::ALL`]'s names, as [`Kind::as_str`] writes them.
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let names: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
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

/// An [`ObjectKey`] as reports write it: the namespace left out for
/// cluster-scoped objects. Its serialisation and its JSON Schema come from
/// this one definition.
#[derive(Serialize, schemars::JsonSchema)]
#[schemars(
    rename = "ObjectKey",
    description = "A Kubernetes object: its kind, namespace (absent for cluster-scoped objects) and name."
)]
struct ObjectKeyJson<'k> {
    /// The kind.
    kind: Kind,
    /// The namespace; absent for cluster-scoped objects.
    #[serde(skip_serializing_if = "str::is_empty")]
    namespace: &'k str,
    /// The name.
    name: &'k str,
}

impl Serialize for ObjectKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        ObjectKeyJson {
            kind: self.kind,
            namespace: &self.namespace,
            name: &self.name,
        }
        .serialize(s)
    }
}

impl schemars::JsonSchema for ObjectKey {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        ObjectKeyJson::schema_name()
    }

    fn json_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
        ObjectKeyJson::json_schema(g)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gap(kind: Kind, message: &str) -> Gap {
        Gap {
            kind,
            reason: GapReason::Forbidden,
            message: message.into(),
        }
    }

    #[test]
    fn coverage_keeps_one_gap_per_kind_in_kind_order() {
        let mut c = Coverage::default();
        assert!(c.is_complete());
        c.add(gap(Kind::Pod, "first"));
        c.add(gap(Kind::ClusterRole, "x"));
        c.add(gap(Kind::Pod, "second"));
        assert!(!c.is_complete());
        assert_eq!(c.gaps.len(), 2);
        assert_eq!(c.gaps[0].kind, Kind::ClusterRole);
        assert_eq!(c.gap(Kind::Pod).unwrap().message, "first");
        assert!(c.has(Kind::Role) && !c.has(Kind::Pod));
    }

    #[test]
    fn secrets_keep_only_name_type_and_service_account() {
        let secret: Secret = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "t", "namespace": "ns", "uid": "u", "labels": {"a": "b"},
                "annotations": {"kubernetes.io/service-account.name": "sa",
                    "kubectl.kubernetes.io/last-applied-configuration": "{\"data\":{\"token\":\"s3cr3t\"}}"}},
            "type": "kubernetes.io/service-account-token",
            "data": {"token": "czNjcjN0"}
        }))
        .unwrap();
        let mut b = SnapshotBuilder::new();
        b.add(Object::Secret(secret));
        let snap = b.build().snapshot;
        let kept = serde_json::to_string(&snap.secrets).unwrap();
        assert_eq!(
            kept,
            r#"[{"apiVersion":"v1","kind":"Secret","metadata":{"annotations":{"kubernetes.io/service-account.name":"sa"},"name":"t","namespace":"ns"},"type":"kubernetes.io/service-account-token"}]"#
        );
    }

    fn role(namespace: Option<&str>, name: &str, copy: usize) -> Object {
        Object::Role(Role {
            metadata: ObjectMeta {
                namespace: namespace.map(Into::into),
                name: Some(name.into()),
                labels: Some(BTreeMap::from([("copy".into(), copy.to_string())])),
                ..ObjectMeta::default()
            },
            ..Role::default()
        })
    }

    /// (namespace, name, copy) of each Role kept, in order.
    fn kept(s: &Snapshot) -> Vec<(String, String, String)> {
        (s.roles.iter())
            .map(|r| {
                let m = &r.metadata;
                let copy = &m.labels.as_ref().unwrap()["copy"];
                (
                    m.namespace.clone().unwrap_or_default(),
                    m.name.clone().unwrap(),
                    copy.clone(),
                )
            })
            .collect()
    }

    #[test]
    fn objects_are_sorted_by_namespace_and_name_and_the_last_copy_wins() {
        let mut b = SnapshotBuilder::new();
        for (i, (ns, name)) in [
            ("b", "x"),
            ("a", "y"),
            ("b", "x"),
            ("a", "a-b"),
            ("a-b", "a"),
        ]
        .into_iter()
        .enumerate()
        {
            b.add(role(Some(ns), name, i));
        }
        // Cluster-scoped: a stray namespace is no part of the identity.
        b.add(Object::ClusterRole(ClusterRole {
            metadata: ObjectMeta {
                namespace: Some("z".into()),
                name: Some("c".into()),
                ..ObjectMeta::default()
            },
            ..ClusterRole::default()
        }));
        b.add(Object::ClusterRole(ClusterRole {
            metadata: ObjectMeta {
                name: Some("c".into()),
                ..ObjectMeta::default()
            },
            ..ClusterRole::default()
        }));
        let built = b.build();
        assert_eq!(built.duplicates, 2);
        let s = built.snapshot;
        let want = [
            ("a", "a-b", "3"),
            ("a", "y", "1"),
            ("a-b", "a", "4"),
            ("b", "x", "2"),
        ];
        let want: Vec<(String, String, String)> = (want.iter())
            .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
            .collect();
        assert_eq!(kept(&s), want);
        assert_eq!(s.cluster_roles.len(), 1);
        assert_eq!(s.cluster_roles[0].metadata.namespace, None);
    }

    proptest::proptest! {
        /// Whatever the order and the copies, the kept objects are those of
        /// a map from identity to the last copy added, in the map's order.
        #[test]
        fn building_keeps_what_a_sorted_map_keeps(
            adds in proptest::collection::vec((0..3usize, 0..4usize), 0..40),
            presorted in proptest::bool::ANY,
        ) {
            let names = ["a", "a-b", "b", ""];
            let mut adds: Vec<(&str, &str)> = adds.iter().map(|&(n, m)| (names[n], names[m])).collect();
            if presorted {
                adds.sort();
                adds.dedup();
            }
            let mut b = SnapshotBuilder::new();
            let mut model = BTreeMap::new();
            for (i, (ns, name)) in adds.iter().enumerate() {
                b.add(role(Some(ns), name, i));
                model.insert((ns.to_string(), name.to_string()), i.to_string());
            }
            let built = b.build();
            let want: Vec<(String, String, String)> =
                model.iter().map(|((n, m), c)| (n.clone(), m.clone(), c.clone())).collect();
            proptest::prop_assert_eq!(kept(&built.snapshot), want);
            proptest::prop_assert_eq!(built.duplicates, adds.len() - model.len());
        }
    }

    #[test]
    fn kinds_not_listed_are_not_read_but_not_a_gap() {
        let mut c = Coverage::default();
        c.skip(Kind::Secret);
        c.skip(Kind::Secret);
        assert!(c.is_complete());
        assert!(!c.has(Kind::Secret) && !c.listed(Kind::Secret));
        assert_eq!(c.not_listed, [Kind::Secret]);
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(json, r#"{"gaps":[],"notListed":["Secret"]}"#);
    }

    #[test]
    fn kinds_serialize_as_their_kind_names() {
        for kind in Kind::ALL {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
            assert_eq!(serde_json::from_str::<Kind>(&json).unwrap(), kind);
        }
        let err = serde_json::from_str::<Kind>("\"ConfigMap\"").unwrap_err();
        assert!(
            err.to_string().contains("unknown kind `ConfigMap`"),
            "{err}"
        );
        let json = serde_json::to_string(&gap(Kind::Pod, "m")).unwrap();
        assert_eq!(json, r#"{"kind":"Pod","reason":"forbidden","message":"m"}"#);
    }
}
