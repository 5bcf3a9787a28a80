//! The answer of `who-can`: the request, and every subject allowed with
//! the bindings, roles and rules that allow it.

use serde::Serialize;

use super::naming::{GroundView, Namer, NodeRef};
use crate::access::query::Resource;
use crate::access::who_can::{Adjustment, Answer, Question};
/// The request a `who-can` answer is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestView {
    /// The verb.
    pub verb: String,
    /// The API group, for resource requests.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_group: Option<String>,
    /// The resource.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// The subresource.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subresource: Option<String>,
    /// The URL, for non-resource requests.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The object's name, if the request carries one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The namespace, if the request carries one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

impl std::fmt::Display for RequestView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ", self.verb)?;
        match (&self.path, &self.resource) {
            (Some(p), _) => f.write_str(p)?,
            (None, Some(r)) => {
                f.write_str(r)?;
                if let Some(s) = &self.subresource {
                    write!(f, "/{s}")?;
                }
                if let Some(g) = self.api_group.as_deref().filter(|g| !g.is_empty()) {
                    write!(f, ".{g}")?;
                }
            }
            (None, None) => {}
        }
        if let Some(n) = &self.name {
            write!(f, " {n}")?;
        }
        match &self.namespace {
            Some(ns) => write!(f, " in namespace {ns}"),
            None => f.write_str(" cluster-wide (no namespace)"),
        }
    }
}

/// A subject of a `who-can` answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AllowedView {
    /// `User`, `Group` or `ServiceAccount`.
    pub kind: &'static str,
    /// The name.
    pub name: String,
    /// The namespace, for ServiceAccounts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Allowed without any binding (`system:masters`).
    pub implicit: bool,
    /// The rules that allow it.
    pub granted_by: Vec<GroundView>,
}

/// A `who-can` answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WhoCanView {
    /// The request answered.
    pub request: RequestView,
    /// How it differs from the question, and other notes.
    pub notes: Vec<String>,
    /// Every subject allowed.
    pub subjects: Vec<AllowedView>,
}

impl Namer<'_, '_> {
    /// Explains a `who-can` answer. `assumed_core` names a resource whose
    /// group was assumed.
    pub fn who_can(&self, q: &Question, a: &Answer, assumed_core: bool) -> WhoCanView {
        let mut notes = Vec::new();
        let (api_group, resource, subresource, path) = match &q.resource {
            Resource::Api {
                group,
                resource,
                subresource,
            } => {
                if assumed_core {
                    notes.push(format!("{resource} is not a built-in resource: asked in the core API group (write {resource}.GROUP for another group)"));
                }
                (
                    Some(group.clone()),
                    Some(resource.clone()),
                    Some(subresource.clone()).filter(|s| !s.is_empty()),
                    None,
                )
            }
            Resource::Url(p) => (None, None, None, Some(p.clone())),
        };
        for adj in &a.adjustments {
            notes.push(match adj {
                Adjustment::NoNamespace => "the request carries no namespace (a cluster-scoped resource or a URL): only ClusterRoleBindings can allow it, -n is ignored".to_string(),
                Adjustment::NoName => "a create in a collection or a deletecollection carries no name: the name is ignored, and rules limited by resourceNames never allow it".to_string(),
            });
        }
        notes.push("group system:masters is allowed everything without any binding".into());
        let subjects = a
            .subjects
            .iter()
            .map(|s| {
                let r = NodeRef::subject(&s.subject);
                AllowedView {
                    kind: r.kind,
                    name: r.name,
                    namespace: r.namespace,
                    implicit: s.implicit,
                    granted_by: s
                        .by
                        .iter()
                        .map(|al| self.ground(Some(al.binding), None, al.role, al.rule))
                        .collect(),
                }
            })
            .collect();
        WhoCanView {
            request: RequestView {
                verb: q.verb.clone(),
                api_group,
                resource,
                subresource,
                path,
                name: a.name.clone(),
                namespace: a.namespace.clone(),
            },
            notes,
            subjects,
        }
    }
}
