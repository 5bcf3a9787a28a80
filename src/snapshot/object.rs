//! One object of a kind the analysis reads, owned ([`Object`]) or borrowed
//! from a snapshot ([`ObjectRef`]), and the names in its metadata.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Namespace, Secret};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;

use super::app_project::AppProject;
use super::aws_auth::AwsAuth;
use super::controller::Controller;
use super::crd::{CrdMeta, CustomResourceDefinition};
use super::kind::Kind;
use super::node::{Node, NodeMeta};
use super::pod::{Pod, PodMeta};
use super::secret_store::ClusterSecretStore;
use super::service_account::{AccountMeta, ServiceAccount};

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
    /// A Secret, reduced by [`sanitize_secret`](super::sanitize_secret).
    Secret(Secret),
    /// A workload controller.
    Controller(Box<Controller>),
    /// A Node.
    Node(Node),
    /// A CustomResourceDefinition (its name).
    Crd(CustomResourceDefinition),
    /// A ConfigMap read as EKS's `aws-auth` (its mappings only).
    AwsAuth(AwsAuth),
    /// An Argo CD AppProject (its restrictions).
    AppProject(Box<AppProject>),
    /// An External Secrets ClusterSecretStore (conditions and provider).
    SecretStore(Box<ClusterSecretStore>),
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
            Object::Controller(c) => c.kind,
            Object::Node(_) => Kind::Node,
            Object::Crd(_) => Kind::CustomResourceDefinition,
            Object::AwsAuth(_) => Kind::ConfigMap,
            Object::AppProject(_) => Kind::AppProject,
            Object::SecretStore(_) => Kind::ClusterSecretStore,
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
            Object::Controller(o) => return o.metadata.annotations.as_mut(),
            Object::Node(_)
            | Object::Crd(_)
            | Object::AwsAuth(_)
            | Object::AppProject(_)
            | Object::SecretStore(_) => return None,
        };
        meta.annotations.as_mut()
    }

    /// Gives back the room decoding left unused in the lists of the RBAC
    /// kinds, which are k8s-openapi's types as serde decodes them: a list
    /// read from JSON or YAML has room for at least four items, so a
    /// one-rule Role kept room for four rules, and each rule room for four
    /// API groups, resources and verbs. Tens of thousands of Roles and
    /// bindings kept more room than content. The other kinds are read into
    /// lists fitted as they are decoded.
    pub fn fit(&mut self) {
        match self {
            Object::ClusterRole(o) => fit_rules(&mut o.rules),
            Object::Role(o) => fit_rules(&mut o.rules),
            Object::ClusterRoleBinding(o) => {
                o.subjects.as_mut().map(Vec::shrink_to_fit);
            }
            Object::RoleBinding(o) => {
                o.subjects.as_mut().map(Vec::shrink_to_fit);
            }
            _ => {}
        }
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
            Object::Controller(o) => Names::of(&o.metadata),
            Object::Node(o) => Names::of(&o.metadata),
            Object::Crd(o) => Names::of(&o.metadata),
            Object::AwsAuth(o) => Names::of(&o.metadata),
            Object::AppProject(o) => Names::of(&o.metadata),
            Object::SecretStore(o) => Names::of(&o.metadata),
        }
    }
}

/// Fits a role's rules, and each rule's lists (see [`Object::fit`]).
fn fit_rules(rules: &mut Option<Vec<PolicyRule>>) {
    let Some(rules) = rules else { return };
    rules.shrink_to_fit();
    for r in rules {
        r.verbs.shrink_to_fit();
        let lists = [
            &mut r.api_groups,
            &mut r.resources,
            &mut r.resource_names,
            &mut r.non_resource_urls,
        ];
        for list in lists.into_iter().flatten() {
            list.shrink_to_fit();
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
named!(ObjectMeta, PodMeta, AccountMeta, NodeMeta, CrdMeta);

impl<'o> Names<'o> {
    /// The names in an object's metadata.
    pub fn of(meta: &'o impl Named) -> Self {
        meta.names()
    }

    /// The object's (namespace, name) within its kind: cluster-scoped kinds
    /// ignore a stray namespace.
    pub(super) fn identity(self, namespaced: bool) -> (&'o str, &'o str) {
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
    /// A workload controller.
    Controller(&'s Controller),
    /// A Node.
    Node(&'s Node),
    /// A CustomResourceDefinition (its name).
    Crd(&'s CustomResourceDefinition),
    /// EKS's `aws-auth` ConfigMap (its mappings).
    AwsAuth(&'s AwsAuth),
    /// An Argo CD AppProject (its restrictions).
    AppProject(&'s AppProject),
    /// An External Secrets ClusterSecretStore (conditions and provider).
    SecretStore(&'s ClusterSecretStore),
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
            ObjectRef::Controller(c) => c.kind,
            ObjectRef::Node(_) => Kind::Node,
            ObjectRef::Crd(_) => Kind::CustomResourceDefinition,
            ObjectRef::AwsAuth(_) => Kind::ConfigMap,
            ObjectRef::AppProject(_) => Kind::AppProject,
            ObjectRef::SecretStore(_) => Kind::ClusterSecretStore,
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
            ObjectRef::Controller(o) => o.serialize(s),
            ObjectRef::Node(o) => o.serialize(s),
            ObjectRef::Crd(o) => o.serialize(s),
            ObjectRef::AwsAuth(o) => o.serialize(s),
            ObjectRef::AppProject(o) => {
                Typed::new(Kind::AppProject, &o.metadata, &o.spec).serialize(s)
            }
            ObjectRef::SecretStore(o) => {
                Typed::new(Kind::ClusterSecretStore, &o.metadata, &o.spec).serialize(s)
            }
        }
    }
}

/// A custom resource the snapshot keeps in part, written with its
/// `apiVersion` and `kind` as a manifest.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Typed<'o, S> {
    api_version: &'static str,
    kind: &'static str,
    metadata: &'o CrdMeta,
    spec: &'o S,
}

impl<'o, S: Serialize> Typed<'o, S> {
    fn new(kind: Kind, metadata: &'o CrdMeta, spec: &'o S) -> Self {
        Typed {
            api_version: kind.api_version(),
            kind: kind.as_str(),
            metadata,
            spec,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every list of a role or binding, fitted to what it holds.
    #[test]
    fn fitting_gives_back_the_room_decoding_left() {
        let role: Role = serde_json::from_str(
            r#"{"metadata": {"name": "r", "namespace": "n"},
                "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"],
                           "resourceNames": ["a"]},
                          {"nonResourceURLs": ["/metrics"], "verbs": ["get", "list"]}]}"#,
        )
        .unwrap();
        let binding: RoleBinding = serde_json::from_str(
            r#"{"metadata": {"name": "b", "namespace": "n"},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"},
                "subjects": [{"kind": "User", "name": "u"}]}"#,
        )
        .unwrap();
        let (mut role, mut binding) = (Object::Role(role), Object::RoleBinding(binding));
        role.fit();
        binding.fit();
        let Object::Role(role) = role else {
            unreachable!()
        };
        let rules = role.rules.unwrap();
        assert_eq!(rules.capacity(), 2);
        for r in &rules {
            assert_eq!(r.verbs.capacity(), r.verbs.len());
            let lists = [
                &r.api_groups,
                &r.resources,
                &r.resource_names,
                &r.non_resource_urls,
            ];
            for l in lists.into_iter().flatten() {
                assert_eq!(l.capacity(), l.len());
            }
        }
        let Object::RoleBinding(binding) = binding else {
            unreachable!()
        };
        assert_eq!(binding.subjects.unwrap().capacity(), 1);
    }
}
