//! The least grant for what a subject did: per namespace it acted in, a
//! Role with exactly the verbs it used on each resource (and only the
//! names it used, where its grant listed names), bound to it by a
//! RoleBinding; for what it did cluster-wide (cluster-scoped resources,
//! lists across namespaces, non-resource URLs) a ClusterRole and a
//! ClusterRoleBinding. Resources used with the same verbs share a rule, so
//! every rule allows only verb and resource pairs that were used.
//!
//! [`prove`] replays each request through the authorizer's rule matching
//! against the proposal and lists any it would deny, and each permission
//! of the proposal the template rates that no request used.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::rbac::v1::{
    ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef, Subject,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;

use super::grants::{Permission, of_rule};
use super::risk;
use super::{Observed, authorized, is_non_resource};
use crate::rbac::SubjectId;
use crate::rbac::rules::rule_allows;
use crate::template::Template;

/// The RBAC group.
const RBAC: &str = "rbac.authorization.k8s.io";

/// One object of a proposal, as `kubectl apply` takes it.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum Proposed {
    /// A Role, for what was done in its namespace.
    Role(Role),
    /// Its RoleBinding.
    RoleBinding(RoleBinding),
    /// A ClusterRole, for what was done cluster-wide.
    ClusterRole(ClusterRole),
    /// Its ClusterRoleBinding.
    ClusterRoleBinding(ClusterRoleBinding),
}

/// One use to allow: a request, with whether its grant listed names.
#[derive(Debug, Clone, Copy)]
pub struct Use<'a> {
    /// The request.
    pub request: &'a Observed<'a>,
    /// Whether the proposal lists the names used: the grant that allowed
    /// it listed `resourceNames`, or it is an `impersonate` check.
    pub named: bool,
}

/// The name of the objects proposed for `subject`: `rbacscan-least-`, its
/// kind and name made a valid object name (lower case, `[a-z0-9.-]`, at
/// most 200 characters of it), and 8 hex digits of a hash of the whole
/// identity: two subjects whose names differ only where the slug cannot
/// tell them apart (`ci-a/b` and `ci/a-b`, `Alice` and `alice`) never
/// share a name, and the same subject always gets the same one.
pub fn object_name(subject: &SubjectId) -> String {
    use sha2::{Digest, Sha256};
    let (kind, raw, identity) = match subject {
        SubjectId::ServiceAccount { namespace, name } => (
            "sa",
            format!("{namespace}-{name}"),
            format!("ServiceAccount\0{namespace}\0{name}"),
        ),
        SubjectId::User { name } => ("user", name.clone(), format!("User\0{name}")),
        SubjectId::Group { name } => ("group", name.clone(), format!("Group\0{name}")),
    };
    let mut slug: String = (raw.chars())
        .map(|c| match c.to_ascii_lowercase() {
            c @ ('a'..='z' | '0'..='9' | '.' | '-') => c,
            _ => '-',
        })
        .take(200)
        .collect();
    slug = slug.trim_matches(|c| c == '-' || c == '.').to_string();
    let hash = Sha256::digest(identity.as_bytes());
    let hex: String = hash.iter().take(4).map(|b| format!("{b:02x}")).collect();
    format!("rbacscan-least-{kind}-{slug}-{hex}")
}

/// The binding subject for `subject`.
fn binding_subject(subject: &SubjectId) -> Subject {
    match subject {
        SubjectId::ServiceAccount { namespace, name } => Subject {
            kind: "ServiceAccount".into(),
            name: name.clone(),
            namespace: Some(namespace.clone()),
            api_group: None,
        },
        SubjectId::User { name } => Subject {
            kind: "User".into(),
            name: name.clone(),
            namespace: None,
            api_group: Some(RBAC.into()),
        },
        SubjectId::Group { name } => Subject {
            kind: "Group".into(),
            name: name.clone(),
            namespace: None,
            api_group: Some(RBAC.into()),
        },
    }
}

/// What was used on one (group, resource): each verb, with the names used
/// (`None`: not limited to names).
type Verbs = BTreeMap<String, Option<BTreeSet<String>>>;

/// The rules allowing exactly `used`.
fn rules(
    resources: &BTreeMap<(String, String), Verbs>,
    urls: &BTreeMap<String, BTreeSet<String>>,
) -> Vec<PolicyRule> {
    let mut out = Vec::new();
    // Unlimited uses: resources of one group used with the same verbs share a rule.
    let mut shared: BTreeMap<(String, Vec<String>), Vec<String>> = BTreeMap::new();
    // Named uses: one rule per resource and set of names.
    let mut named: BTreeMap<(String, String, Vec<String>), Vec<String>> = BTreeMap::new();
    for ((group, resource), verbs) in resources {
        let all: Vec<String> = (verbs.iter())
            .filter(|(_, n)| n.is_none())
            .map(|(v, _)| v.clone())
            .collect();
        if !all.is_empty() {
            shared
                .entry((group.clone(), all))
                .or_default()
                .push(resource.clone());
        }
        for (verb, names) in verbs {
            if let Some(names) = names {
                named
                    .entry((
                        group.clone(),
                        resource.clone(),
                        names.iter().cloned().collect(),
                    ))
                    .or_default()
                    .push(verb.clone());
            }
        }
    }
    for ((group, verbs), resources) in shared {
        out.push(PolicyRule {
            api_groups: Some(vec![group]),
            resources: Some(resources),
            verbs,
            ..PolicyRule::default()
        });
    }
    for ((group, resource, names), verbs) in named {
        out.push(PolicyRule {
            api_groups: Some(vec![group]),
            resources: Some(vec![resource]),
            resource_names: Some(names),
            verbs,
            ..PolicyRule::default()
        });
    }
    let mut by_verbs: BTreeMap<Vec<String>, Vec<String>> = BTreeMap::new();
    for (url, verbs) in urls {
        by_verbs
            .entry(verbs.iter().cloned().collect())
            .or_default()
            .push(url.clone());
    }
    for (verbs, urls) in by_verbs {
        out.push(PolicyRule {
            non_resource_urls: Some(urls),
            verbs,
            ..PolicyRule::default()
        });
    }
    out
}

/// The smallest Roles and bindings that allow every use in `uses`, for
/// `subject`; nothing when there is no use.
pub fn propose(subject: &SubjectId, uses: &[Use<'_>]) -> Vec<Proposed> {
    // Per namespace ("" for cluster-wide): resources and URLs used.
    type Scope = (
        BTreeMap<(String, String), Verbs>,
        BTreeMap<String, BTreeSet<String>>,
    );
    let mut scopes: BTreeMap<&str, Scope> = BTreeMap::new();
    for u in uses {
        let r = u.request;
        let (resources, urls) = scopes.entry(r.request.namespace).or_default();
        if is_non_resource(&r.request) {
            if let Some(url) = r.request.non_resource_url {
                urls.entry(url.to_string())
                    .or_default()
                    .insert(r.request.verb.to_string());
            }
            continue;
        }
        let resource = match r.request.subresource {
            "" => r.request.resource.to_string(),
            sub => format!("{}/{sub}", r.request.resource),
        };
        let verbs = resources
            .entry((r.request.api_group.to_string(), resource))
            .or_default();
        let name = match authorized(&r.request) {
            crate::rbac::rules::Request::Resource { name, .. } => name,
            _ => "",
        };
        let entry = verbs
            .entry(r.request.verb.to_string())
            .or_insert_with(|| u.named.then(BTreeSet::new));
        match entry {
            Some(names) if u.named => {
                names.insert(name.to_string());
            }
            _ => *entry = None,
        }
    }
    let name = object_name(subject);
    let role_ref = |kind: &str| RoleRef {
        api_group: RBAC.into(),
        kind: kind.into(),
        name: name.clone(),
    };
    let meta = |namespace: Option<&str>| ObjectMeta {
        name: Some(name.clone()),
        namespace: namespace.map(String::from),
        labels: Some(BTreeMap::from([(
            "app.kubernetes.io/managed-by".to_string(),
            "rbacscan".to_string(),
        )])),
        ..ObjectMeta::default()
    };
    let mut out = Vec::new();
    for (ns, (resources, urls)) in &scopes {
        let rules = rules(resources, urls);
        if rules.is_empty() {
            continue;
        }
        if ns.is_empty() {
            out.push(Proposed::ClusterRole(ClusterRole {
                metadata: meta(None),
                rules: Some(rules),
                aggregation_rule: None,
            }));
            out.push(Proposed::ClusterRoleBinding(ClusterRoleBinding {
                metadata: meta(None),
                role_ref: role_ref("ClusterRole"),
                subjects: Some(vec![binding_subject(subject)]),
            }));
        } else {
            out.push(Proposed::Role(Role {
                metadata: meta(Some(ns)),
                rules: Some(rules),
            }));
            out.push(Proposed::RoleBinding(RoleBinding {
                metadata: meta(Some(ns)),
                role_ref: role_ref("Role"),
                subjects: Some(vec![binding_subject(subject)]),
            }));
        }
    }
    out
}

/// What replaying the requests through a proposal showed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Proof {
    /// Distinct requests replayed.
    pub replayed: usize,
    /// Requests the proposal would deny (there must be none), described.
    pub denied: Vec<String>,
    /// Permissions of the proposal the template rates that no request
    /// used (there must be none), described.
    pub risky_unused: Vec<String>,
}

impl Proof {
    /// Whether the proposal allows every request and nothing risky unused.
    pub fn holds(&self) -> bool {
        self.denied.is_empty() && self.risky_unused.is_empty()
    }
}

/// The rules of `proposal` that apply to a request in `namespace`
/// (`None`: a request with no namespace).
fn applying<'p>(proposal: &'p [Proposed], namespace: &str) -> Vec<&'p PolicyRule> {
    let mut out = Vec::new();
    for o in proposal {
        match o {
            Proposed::ClusterRole(r) => out.extend(r.rules.iter().flatten()),
            Proposed::Role(r)
                if !namespace.is_empty() && r.metadata.namespace.as_deref() == Some(namespace) =>
            {
                out.extend(r.rules.iter().flatten())
            }
            _ => {}
        }
    }
    out
}

/// Replays `uses` through `proposal` as the authorizer would (each Role
/// through its RoleBinding in its namespace, each ClusterRole through its
/// ClusterRoleBinding), and rates each of its permissions with `template`.
pub fn prove(template: &Template, proposal: &[Proposed], uses: &[Use<'_>]) -> Proof {
    let mut proof = Proof {
        replayed: uses.len(),
        ..Proof::default()
    };
    for u in uses {
        let r = u.request;
        let ns = if is_non_resource(&r.request) {
            ""
        } else {
            r.request.namespace
        };
        let request = authorized(&r.request);
        if !applying(proposal, ns)
            .iter()
            .any(|rule| rule_allows(rule, &request))
        {
            proof.denied.push(describe(r));
        }
    }
    // Every permission the proposal gives, and whether a request used it.
    let mut permissions: Vec<Permission> = Vec::new();
    for o in proposal {
        let (rules, ns) = match o {
            Proposed::Role(r) => (
                &r.rules,
                r.metadata.namespace.as_deref().unwrap_or_default(),
            ),
            Proposed::ClusterRole(r) => (&r.rules, ""),
            _ => continue,
        };
        for rule in rules.iter().flatten() {
            permissions.extend(of_rule(rule, ns));
        }
    }
    let holds = |probe: &crate::template::Probe, ns: &str| {
        (permissions.iter())
            .filter(|p| p.namespace.is_empty() || p.namespace == ns)
            .any(|p| risk::grants_probe(p, probe))
    };
    for p in &permissions {
        if risk::rate(template, p, &holds).is_none() {
            continue;
        }
        let rule = p.as_rule();
        let used = uses.iter().any(|u| {
            let r = u.request;
            (p.namespace.is_empty() || p.namespace == r.request.namespace)
                && rule_allows(&rule, &authorized(&r.request))
        });
        if !used {
            proof.risky_unused.push(p.describe());
        }
    }
    proof
}

/// A request for people: `verb group/resource[/sub] [name] [in NS]` or `verb URL`.
pub fn describe(r: &Observed<'_>) -> String {
    if is_non_resource(&r.request) {
        return format!(
            "{} {}",
            r.request.verb,
            r.request.non_resource_url.unwrap_or_default()
        );
    }
    let mut s = format!("{} ", r.request.verb);
    if !r.request.api_group.is_empty() {
        s.push_str(r.request.api_group);
        s.push('/');
    }
    s.push_str(r.request.resource);
    if !r.request.subresource.is_empty() {
        s.push('/');
        s.push_str(r.request.subresource);
    }
    if !r.request.name.is_empty() {
        s.push(' ');
        s.push_str(r.request.name);
    }
    if !r.request.namespace.is_empty() {
        s.push_str(" in ");
        s.push_str(r.request.namespace);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_names_are_valid_stable_and_never_shared() {
        let sa = |ns: &str, n: &str| SubjectId::ServiceAccount {
            namespace: ns.into(),
            name: n.into(),
        };
        let a = object_name(&sa("ci-a", "b"));
        let b = object_name(&sa("ci", "a-b"));
        assert_ne!(a, b);
        assert!(a.starts_with("rbacscan-least-sa-ci-a-b-"));
        assert_eq!(a, object_name(&sa("ci-a", "b")));
        let upper = object_name(&SubjectId::User {
            name: "Alice".into(),
        });
        let lower = object_name(&SubjectId::User {
            name: "alice".into(),
        });
        assert_ne!(upper, lower);
        let odd = object_name(&SubjectId::User {
            name: "../\u{1b}[2K\n".repeat(100),
        });
        assert!(odd.len() <= 253, "{}", odd.len());
        assert!(
            odd.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-.".contains(&b))
        );
    }
}
