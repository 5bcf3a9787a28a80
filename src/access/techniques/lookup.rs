//! What the techniques look the cluster's objects up by, indexed once for
//! every holder: pods, token Secrets and ServiceAccounts by name, users and
//! groups, the roles worth binding, the namespaces that enforce a Pod
//! Security level. Read-only once built.

use foldhash::{HashMap, HashMapExt};
use std::collections::BTreeSet;

use k8s_openapi::api::rbac::v1::PolicyRule;

use crate::access::graph::AccessGraph;
use crate::access::model::POD_SECURITY_ENFORCE_LABEL;
use crate::operators::Live;
use crate::rbac::rules::{Grant, Request, rule_grants};
use crate::rbac::subjects::MASTERS;
use crate::rbac::{Rbac, RoleId, Scope, SubjectId};
use crate::snapshot::pod::PodsByName;
use crate::snapshot::service_account::cloud_identities;
use crate::snapshot::{
    Kind, SERVICE_ACCOUNT_NAME_ANNOTATION, SERVICE_ACCOUNT_TOKEN_TYPE, Snapshot,
};

/// Resources some step needs: a rule on none of them (and with none of the
/// verbs `impersonate`, `bind`, `escalate`, `approve`) can take no step.
const STEP_RESOURCES: &[&str] = &[
    "pods",
    "pods/exec",
    "pods/attach",
    "pods/ephemeralcontainers",
    "secrets",
    "serviceaccounts",
    "serviceaccounts/token",
    "users",
    "groups",
    "deployments",
    "replicasets",
    "statefulsets",
    "daemonsets",
    "jobs",
    "cronjobs",
    "replicationcontrollers",
    "rolebindings",
    "clusterrolebindings",
    "roles",
    "clusterroles",
    "certificatesigningrequests",
    "certificatesigningrequests/approval",
    "signers",
    "nodes/proxy",
    "mutatingwebhookconfigurations",
    "validatingwebhookconfigurations",
    "configmaps",
    "namespaces",
];

/// Whether `rule` could contribute to any step.
pub(super) fn may_step(rule: &PolicyRule) -> bool {
    rule.verbs.iter().any(|v| {
        matches!(
            v.as_str(),
            "*" | "impersonate" | "bind" | "escalate" | "approve"
        )
    }) || rule
        .resources
        .iter()
        .flatten()
        .any(|r| r == "*" || r.starts_with("*/") || STEP_RESOURCES.contains(&r.as_str()))
}

/// What the techniques look objects up by.
pub(super) struct Lookup<'a> {
    /// The resolved roles and bindings.
    pub(super) rbac: &'a Rbac<'a>,
    /// Pods by name.
    pub(super) pods_by_name: PodsByName<'a>,
    /// Legacy token Secrets by name: (namespace, ServiceAccount) of each.
    pub(super) token_secrets: HashMap<&'a str, Vec<(&'a str, &'a str)>>,
    /// ServiceAccounts by name: the namespaces that have one so named.
    pub(super) service_accounts: HashMap<&'a str, Vec<&'a str>>,
    /// Every user the graph knows.
    pub(super) users: Vec<&'a str>,
    /// Every group the graph knows.
    pub(super) groups: Vec<&'a str>,
    /// ClusterRoles worth binding, by name.
    pub(super) cluster_roles: HashMap<&'a str, RoleId>,
    /// Roles worth binding, by (namespace, name).
    pub(super) roles: HashMap<(&'a str, &'a str), RoleId>,
    /// Roles worth binding, by namespace.
    pub(super) roles_in: HashMap<&'a str, Vec<RoleId>>,
    /// Every ClusterRole worth binding.
    pub(super) cluster_role_ids: Vec<RoleId>,
    /// Namespaces that enforce a Pod Security level other than privileged.
    pub(super) restricted: BTreeSet<&'a str>,
    /// Every namespace the graph knows.
    pub(super) namespaces: Vec<&'a str>,
    /// The identities a ClusterRoleBinding grants everything (a full
    /// wildcard), `system:masters` left out, sorted: who a client
    /// certificate can name to be cluster-admin.
    pub(super) admins: Vec<&'a SubjectId>,
    /// ServiceAccounts federated with a cloud identity, as (namespace,
    /// (name, provider, annotation, identity)).
    pub(super) clouds: Vec<(&'a str, CloudDoor<'a>)>,
    /// The live operators of the catalog.
    pub(super) operators: &'a [Live],
}

/// A ServiceAccount's cloud identity: (name, provider, annotation, identity).
pub(super) type CloudDoor<'a> = (&'a str, &'static str, &'static str, &'a str);

impl<'a> Lookup<'a> {
    /// Indexes the cluster's names for the techniques' searches:
    /// `subjects` are the graph's, sorted; every name is borrowed.
    pub(super) fn new(
        g: &'a AccessGraph,
        subjects: &[&'a SubjectId],
        snapshot: &'a Snapshot,
        rbac: &'a Rbac<'a>,
        operators: &'a [Live],
    ) -> Lookup<'a> {
        let pods_by_name = PodsByName::of(&snapshot.pods);
        let mut token_secrets: HashMap<&str, Vec<(&str, &str)>> = HashMap::new();
        for s in &snapshot.secrets {
            let sa = s
                .metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get(SERVICE_ACCOUNT_NAME_ANNOTATION));
            if let (Some(sa), Some(name)) = (sa, &s.metadata.name)
                && s.type_
                    .as_deref()
                    .is_none_or(|t| t == SERVICE_ACCOUNT_TOKEN_TYPE)
            {
                token_secrets
                    .entry(name)
                    .or_default()
                    .push((s.metadata.namespace.as_deref().unwrap_or_default(), sa));
            }
        }
        let mut service_accounts: HashMap<&str, Vec<&str>> = HashMap::new();
        let mut users = Vec::new();
        let mut groups = Vec::new();
        for &s in subjects {
            match s {
                SubjectId::ServiceAccount { namespace, name } => {
                    service_accounts.entry(name).or_default().push(namespace)
                }
                SubjectId::User { name } => users.push(name.as_str()),
                SubjectId::Group { name } => groups.push(name.as_str()),
            }
        }
        let mut cluster_roles = HashMap::new();
        let mut roles = HashMap::new();
        let mut roles_in: HashMap<&str, Vec<RoleId>> = HashMap::new();
        let mut cluster_role_ids = Vec::new();
        for (i, r) in rbac.roles.iter().enumerate() {
            // A role that can take no step is not worth binding.
            if !r.rules.iter().any(|e| may_step(e.rule)) {
                continue;
            }
            if r.key.kind == Kind::ClusterRole {
                cluster_roles.insert(r.key.name.as_str(), RoleId(i));
                cluster_role_ids.push(RoleId(i));
            } else {
                roles.insert((r.key.namespace.as_str(), r.key.name.as_str()), RoleId(i));
                roles_in
                    .entry(r.key.namespace.as_str())
                    .or_default()
                    .push(RoleId(i));
            }
        }
        let restricted = snapshot
            .namespaces
            .iter()
            .filter(|n| {
                n.metadata
                    .labels
                    .as_ref()
                    .and_then(|l| l.get(POD_SECURITY_ENFORCE_LABEL))
                    .is_some_and(|l| !l.is_empty() && l != "privileged")
            })
            .filter_map(|n| n.metadata.name.as_deref())
            .collect();
        let everything = Request::Resource {
            verb: "*",
            api_group: "*",
            resource: "*",
            subresource: "",
            name: "",
        };
        let mut admins: Vec<&SubjectId> = (rbac.bindings.iter())
            .filter(|b| b.scope == Scope::Cluster)
            .filter(|b| {
                b.role.as_ref().is_ok_and(|r| {
                    (rbac.role(*r).rules.iter())
                        .any(|e| matches!(rule_grants(e.rule, &everything), Some(Grant::All)))
                })
            })
            .flat_map(|b| &b.subjects)
            .filter(|s| **s != SubjectId::group(MASTERS))
            .collect();
        admins.sort();
        admins.dedup();
        let clouds =
            (snapshot.service_accounts.iter())
                .filter_map(|sa| {
                    let ns = sa.metadata.namespace.as_deref()?;
                    let name = sa.metadata.name.as_deref()?;
                    Some(cloud_identities(sa).map(move |(provider, annotation, id)| {
                        (ns, (name, provider, annotation, id))
                    }))
                })
                .flatten()
                .collect();
        Lookup {
            rbac,
            pods_by_name,
            token_secrets,
            service_accounts,
            users,
            groups,
            cluster_roles,
            roles,
            roles_in,
            cluster_role_ids,
            restricted,
            namespaces: g.namespaces().iter().map(String::as_str).collect(),
            admins,
            clouds,
            operators,
        }
    }

    /// Of objects of one name, as (namespace, object), those in `ns`
    /// (`None`: in any namespace).
    pub(super) fn in_scope<T>(
        named: impl IntoIterator<Item = (&'a str, T)>,
        ns: Option<&str>,
    ) -> impl Iterator<Item = (&'a str, T)> {
        (named.into_iter()).filter(move |(n, _)| ns.is_none_or(|ns| ns == *n))
    }
}
