//! The analysis: each request attributed to its grant, each subject's
//! permissions split into used and unused (the risky unused first), and
//! each subject's proposal with its proof.
//!
//! Subjects are reported as the bindings name them: a ServiceAccount's
//! request allowed through a binding to its namespace's group is use of
//! the group's binding. Bootstrap defaults (the bindings of the bootstrap
//! policy, and what only they grant) and the control plane's own users are
//! left out unless [`Options::include_defaults`].

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use super::attribution::{Allowed, Attributor};
use super::grants::{self, Granted, Permission};
use super::proposal::{self, Proof, Proposed, Use};
use super::risk::{self, Risk};
use super::{Observed, authorized, escalation, impersonation, is_non_resource, websocket};
use crate::rbac::rules::rule_allows;
use crate::rbac::{BindingId, Rbac, SubjectId};
use crate::snapshot::{Kind, ObjectKey};
use crate::template::{Probe, Template};

/// How to analyse.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Report bootstrap defaults and the control plane's own users too.
    pub include_defaults: bool,
}

/// The control plane's own users: their credentials live beside the CA key.
const CONTROL_PLANE_USERS: [&str; 3] = [
    "system:kube-controller-manager",
    "system:kube-scheduler",
    "system:apiserver",
];

/// One binding of a subject, and whether the window used it.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BindingUse {
    /// The binding.
    #[serde(flatten)]
    pub binding: ObjectKey,
    /// The role it references.
    pub role: ObjectKey,
    /// Whether a counted request was allowed through it.
    pub used: bool,
    /// Counted requests allowed through it.
    pub requests: u64,
}

/// A permission used in the window.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UsedPermission {
    /// What was used: the request's verb, group, resource (with its
    /// subresource), namespace, and name where the grant lists names.
    #[serde(flatten)]
    pub permission: Permission,
    /// What the template makes of it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk: Option<Risk>,
    /// Counted requests.
    pub count: u64,
    /// The last one.
    #[schemars(with = "String")]
    pub last_used: jiff::Timestamp,
    /// The binding that allowed it.
    pub binding: ObjectKey,
}

/// A permission granted and never used in the window.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UnusedPermission {
    /// The permission, as its rule grants it (`*` where it does).
    #[serde(flatten)]
    pub permission: Permission,
    /// What the template makes of it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk: Option<Risk>,
    /// For a wildcard used in part: the requests it was used for; all
    /// else it covers went unused.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub used_only_for: Vec<String>,
    /// The binding that grants it.
    pub binding: ObjectKey,
    /// The role and the rule's index in it.
    pub role: ObjectKey,
    /// The rule's index in the role.
    pub rule_index: usize,
}

/// One subject's result.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SubjectUsage {
    /// The subject, as bindings name it.
    pub subject: SubjectId,
    /// Its bindings.
    pub bindings: Vec<BindingUse>,
    /// Counted requests allowed through its bindings.
    pub requests: u64,
    /// What it used.
    pub used: Vec<UsedPermission>,
    /// What it never used: the ones the template rates first, worst first.
    pub unused: Vec<UnusedPermission>,
    /// The least grant for what it did.
    pub proposal: Vec<Proposed>,
    /// The replay of its requests through the proposal.
    pub proof: Proof,
}

impl SubjectUsage {
    /// The worst risk among its unused permissions.
    pub fn worst_unused(&self) -> Option<crate::template::Severity> {
        self.unused
            .iter()
            .filter_map(|u| u.risk.as_ref())
            .map(|r| r.severity)
            .max()
    }
}

/// An identity the log shows acting that the snapshot's RBAC does not
/// explain.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Unexplained {
    /// The user.
    pub user: String,
    /// Counted requests no binding of the snapshot allows.
    pub requests: u64,
    /// Whether any binding names it (or one of its groups).
    pub bound: bool,
}

/// A user the log shows acting that no binding names.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
pub struct Unbound {
    /// The user.
    pub user: String,
    /// Its counted requests.
    pub requests: u64,
}

/// The whole analysis.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Analysis {
    /// Each subject with bindings (defaults left out unless asked), the
    /// ones with risky unused permissions first.
    pub subjects: Vec<SubjectUsage>,
    /// Subjects with bindings and no counted request in the window.
    pub subjects_without_events: Vec<SubjectId>,
    /// Users whose counted requests no binding of the snapshot allows
    /// (allowed by another authorizer, or by RBAC objects since removed).
    pub unexplained: Vec<Unexplained>,
    /// Users the log shows acting whom no binding names, directly or
    /// through one of their groups (bootstrap defaults left out unless
    /// asked): what they did, they did through defaults or outside RBAC.
    pub unbound: Vec<Unbound>,
    /// Counted requests of `system:masters` members (allowed before RBAC).
    pub masters_requests: u64,
    /// Distinct requests whose reason annotation named a grant the
    /// snapshot does not bear out (the snapshot's own grant is used).
    pub reasons_disagreeing: u64,
    /// Resources granted for reading (get, list, watch) with no read of
    /// any kind in the log: the audit policy may not record them.
    pub reads_unrecorded: Vec<String>,
}

/// Whether binding `b` is left out: a bootstrap default, unless asked.
fn hidden(rbac: &Rbac<'_>, b: BindingId, options: Options) -> bool {
    !options.include_defaults && rbac.binding(b).default
}

/// Whether `subject` is left out: a control-plane user, unless asked.
fn hidden_subject(subject: &SubjectId, options: Options) -> bool {
    !options.include_defaults
        && matches!(subject, SubjectId::User { name } if CONTROL_PLANE_USERS.contains(&name.as_str()))
}

/// Analyses the requests of a log against `rbac` and `template`.
/// `reads_seen` holds the (group, resource) pairs the log has any read
/// event for, allowed or not.
pub fn analyse(
    rbac: &Rbac<'_>,
    template: &Template,
    requests: &[Observed<'_>],
    reads_seen: &BTreeSet<(String, String)>,
    options: Options,
) -> Analysis {
    let attributor = Attributor::new(rbac);
    // The requests, then the impersonation checks some of them needed,
    // which are uses of the impersonators' grants, then the create checks
    // of WebSocket connections to pods and the escalate and bind checks of
    // writes to roles and bindings, which count only where RBAC allows
    // them (where it does not, they were not made, or not needed).
    let impersonations: Vec<Observed<'_>> =
        requests.iter().flat_map(impersonation::checks).collect();
    let mut unlogged: Vec<Observed<'_>> = requests
        .iter()
        .filter_map(websocket::create_check)
        .collect();
    // Bindings by kind, namespace and name, with their role's resource and name.
    let roles: HashMap<(Kind, &str, &str), (&str, &str)> = (rbac.bindings.iter())
        .map(|b| {
            let resource = match b.role_ref.kind {
                Kind::Role => "roles",
                _ => "clusterroles",
            };
            (
                (b.key.kind, b.key.namespace.as_str(), b.key.name.as_str()),
                (resource, b.role_ref.name.as_str()),
            )
        })
        .collect();
    let role_of =
        |kind: Kind, namespace: &str, name: &str| roles.get(&(kind, namespace, name)).copied();
    unlogged.extend(
        requests
            .iter()
            .filter_map(|r| escalation::check(r, &role_of)),
    );
    // Indices from `made` on are checks, not requests made; from
    // `optional` on, checks that count only where RBAC allows them.
    let (made, optional) = (requests.len(), requests.len() + impersonations.len());
    let all: Vec<Observed<'_>>;
    let requests = if impersonations.is_empty() && unlogged.is_empty() {
        requests
    } else {
        all = (requests.iter().copied())
            .chain(impersonations)
            .chain(unlogged)
            .collect();
        &all[..]
    };
    // Each subject's uses: (request index, grant).
    let mut uses: BTreeMap<SubjectId, Vec<(usize, super::attribution::Grant)>> = BTreeMap::new();
    let mut unexplained: BTreeMap<&str, u64> = BTreeMap::new();
    let (mut masters_requests, mut reasons_disagreeing) = (0, 0);
    for (i, r) in requests.iter().enumerate() {
        match attributor.allowed(&r.request) {
            Allowed::Rbac { grant, agreed } => {
                if agreed == Some(false) {
                    reasons_disagreeing += 1;
                }
                uses.entry(grant.subject.clone())
                    .or_default()
                    .push((i, grant));
            }
            Allowed::Masters if i >= made => {}
            Allowed::Masters => masters_requests += r.count,
            Allowed::Unexplained if i >= optional => {}
            Allowed::Unexplained => *unexplained.entry(r.request.user).or_default() += r.count,
        }
    }
    // Every subject bindings name, with its (shown) bindings.
    let mut bound: BTreeMap<&SubjectId, Vec<BindingId>> = BTreeMap::new();
    for (i, b) in rbac.bindings.iter().enumerate() {
        let id = BindingId(i);
        if b.role.is_err() || hidden(rbac, id, options) {
            continue;
        }
        for s in &b.subjects {
            let list = bound.entry(s).or_default();
            if list.last() != Some(&id) {
                list.push(id);
            }
        }
    }
    // The users of requests made whom no shown binding names, directly or
    // through a group.
    let mut unbound: BTreeMap<&str, u64> = BTreeMap::new();
    for r in &requests[..made] {
        let identities = Attributor::identities(&r.request);
        if !identities.iter().any(|s| bound.contains_key(s)) {
            *unbound.entry(r.request.user).or_default() += r.count;
        }
    }
    let mut subjects = Vec::new();
    let mut without = Vec::new();
    for (subject, bindings) in bound {
        if hidden_subject(subject, options) {
            continue;
        }
        let mine: Vec<&(usize, super::attribution::Grant)> = (uses.get(subject).into_iter())
            .flatten()
            .filter(|(_, g)| bindings.contains(&g.binding))
            .collect();
        if mine.is_empty() {
            without.push(subject.clone());
        }
        subjects.push(subject_usage(
            rbac, template, requests, subject, &bindings, &mine,
        ));
    }
    subjects.sort_by(|a, b| {
        b.worst_unused()
            .cmp(&a.worst_unused())
            .then_with(|| a.subject.cmp(&b.subject))
    });
    let mut reads_unrecorded: BTreeSet<String> = BTreeSet::new();
    for s in &subjects {
        for u in s.unused.iter().map(|u| &u.permission) {
            let reading = matches!(u.verb.as_str(), "get" | "list" | "watch");
            let concrete = !u.resource.contains('*') && u.api_group != "*";
            let base = u.resource.split('/').next().unwrap_or_default();
            if reading
                && concrete
                && u.non_resource_url.is_none()
                && !reads_seen.contains(&(u.api_group.clone(), base.to_string()))
            {
                reads_unrecorded.insert(match u.api_group.as_str() {
                    "" => base.to_string(),
                    g => format!("{base}.{g}"),
                });
            }
        }
    }
    let names: BTreeSet<&SubjectId> = rbac.bindings.iter().flat_map(|b| &b.subjects).collect();
    Analysis {
        unbound: (unbound.into_iter())
            .map(|(user, requests)| Unbound {
                user: user.to_string(),
                requests,
            })
            .collect(),
        subjects,
        subjects_without_events: without,
        unexplained: (unexplained.into_iter())
            .map(|(user, requests)| Unexplained {
                user: user.to_string(),
                bound: names.iter().any(|s| match s {
                    SubjectId::User { name } => name == user,
                    SubjectId::ServiceAccount { namespace, name } => {
                        user == format!("system:serviceaccount:{namespace}:{name}")
                    }
                    SubjectId::Group { .. } => false,
                }),
                requests,
            })
            .collect(),
        masters_requests,
        reasons_disagreeing,
        reads_unrecorded: reads_unrecorded.into_iter().collect(),
    }
}

/// One subject's used and unused permissions, proposal and proof.
fn subject_usage(
    rbac: &Rbac<'_>,
    template: &Template,
    requests: &[Observed<'_>],
    subject: &SubjectId,
    bindings: &[BindingId],
    mine: &[&(usize, super::attribution::Grant)],
) -> SubjectUsage {
    let granted: Vec<Granted> = (bindings.iter())
        .flat_map(|&b| grants::of_binding(rbac, b))
        .collect();
    let holds = |probe: &Probe, ns: &str| {
        (granted.iter())
            .filter(|g| g.permission.namespace.is_empty() || g.permission.namespace == ns)
            .any(|g| risk::grants_probe(&g.permission, probe))
    };
    // Which requests each granted permission was used for.
    let mut used_by: Vec<Vec<usize>> = vec![Vec::new(); granted.len()];
    let mut per_binding: BTreeMap<BindingId, u64> = BTreeMap::new();
    let mut used: BTreeMap<Permission, UsedPermission> = BTreeMap::new();
    let mut use_list: Vec<Use<'_>> = Vec::new();
    for (i, grant) in mine {
        let r = &requests[*i];
        *per_binding.entry(grant.binding).or_default() += r.count;
        let rule = rbac.role(grant.role).rules[grant.rule].rule;
        let named = rule
            .resource_names
            .as_deref()
            .is_some_and(|n| !n.is_empty());
        // Impersonating is proposed for the identities impersonated only:
        // `impersonate` on every user or group is cluster-admin's reach.
        let impersonating = r.request.verb == "impersonate";
        use_list.push(Use {
            request: r,
            named: named || impersonating,
        });
        let request = authorized(&r.request);
        for (k, g) in granted.iter().enumerate() {
            if g.binding == grant.binding
                && g.rule == grant.rule
                && rule_allows(&g.permission.as_rule(), &request)
            {
                used_by[k].push(*i);
            }
        }
        let resource = match r.request.subresource {
            "" => r.request.resource.to_string(),
            sub => format!("{}/{sub}", r.request.resource),
        };
        let name = match request {
            crate::rbac::rules::Request::Resource { name, .. } if named => Some(name.to_string()),
            _ => None,
        };
        let url = is_non_resource(&r.request)
            .then(|| r.request.non_resource_url.unwrap_or_default().to_string());
        let permission = Permission {
            verb: r.request.verb.to_string(),
            api_group: r.request.api_group.to_string(),
            resource: resource.clone(),
            namespace: if is_non_resource(&r.request) {
                String::new()
            } else {
                r.request.namespace.to_string()
            },
            name: name.clone(),
            non_resource_url: url.clone(),
        };
        let entry = used
            .entry(permission.clone())
            .or_insert_with(|| UsedPermission {
                risk: risk::rate(template, &permission, &holds),
                permission: permission.clone(),
                count: 0,
                last_used: r.last,
                binding: rbac.binding(grant.binding).key.clone(),
            });
        entry.count += r.count;
        entry.last_used = entry.last_used.max(r.last);
    }
    let mut unused: Vec<UnusedPermission> = Vec::new();
    for (k, g) in granted.iter().enumerate() {
        let wildcard = g.permission.is_wildcard();
        if !used_by[k].is_empty() && !wildcard {
            continue;
        }
        let mut used_only_for: Vec<String> = (used_by[k].iter())
            .map(|&i| proposal::describe(&requests[i]))
            .collect();
        used_only_for.sort();
        used_only_for.dedup();
        let p = &g.permission;
        unused.push(UnusedPermission {
            permission: p.clone(),
            risk: risk::rate(template, p, &holds),
            used_only_for,
            binding: rbac.binding(g.binding).key.clone(),
            role: rbac.role(g.role).key.clone(),
            rule_index: g.rule,
        });
    }
    // The same permission granted twice by one binding is one line.
    let mut seen = BTreeSet::new();
    unused.retain(|u| seen.insert((u.permission.clone(), u.binding.clone())));
    unused.sort_by(|a, b| {
        let sev = |u: &UnusedPermission| u.risk.as_ref().map(|r| r.severity);
        sev(b).cmp(&sev(a))
    });
    let proposal = proposal::propose(subject, &use_list);
    let proof = proposal::prove(template, &proposal, &use_list);
    let mut used: Vec<UsedPermission> = used.into_values().collect();
    used.sort_by_key(|u| std::cmp::Reverse(u.count));
    SubjectUsage {
        subject: subject.clone(),
        bindings: (bindings.iter())
            .map(|&b| {
                let binding = rbac.binding(b);
                let requests = per_binding.get(&b).copied().unwrap_or_default();
                BindingUse {
                    binding: binding.key.clone(),
                    role: binding.role_ref.clone(),
                    used: requests > 0,
                    requests,
                }
            })
            .collect(),
        requests: per_binding.values().sum(),
        used,
        unused,
        proposal,
        proof,
    }
}

#[cfg(test)]
mod tests {
    //! From the RBAC documentation: the authorizer visits
    //! ClusterRoleBindings, then the RoleBindings of the request's
    //! namespace; a user's groups are subjects too; `resourceNames` limit a
    //! rule to those names; RoleBindings never grant non-resource URLs.
    use proptest::prelude::*;

    use super::*;
    use crate::source::files::Loader;

    fn rbac_of(items: &str) -> crate::snapshot::Snapshot {
        let mut l = Loader::new();
        l.add_text(
            "t.yaml",
            &format!("apiVersion: v1\nkind: List\nitems:\n{items}"),
        )
        .unwrap();
        l.finish().unwrap().snapshot
    }

    fn at(s: &str) -> jiff::Timestamp {
        s.parse().unwrap()
    }

    struct Req {
        user: &'static str,
        groups: Vec<Box<str>>,
        verb: &'static str,
        group: &'static str,
        resource: &'static str,
        sub: &'static str,
        ns: &'static str,
        name: &'static str,
        url: Option<&'static str>,
    }

    fn req(
        user: &'static str,
        verb: &'static str,
        resource: &'static str,
        ns: &'static str,
    ) -> Req {
        Req {
            user,
            groups: vec!["system:authenticated".into()],
            verb,
            group: "",
            resource,
            sub: "",
            ns,
            name: "",
            url: None,
        }
    }

    fn observed(reqs: &[Req]) -> Vec<Observed<'_>> {
        reqs.iter()
            .map(|r| Observed {
                request: crate::audit::RequestRef {
                    user: r.user,
                    groups: &r.groups,
                    verb: r.verb,
                    api_group: r.group,
                    resource: r.resource,
                    subresource: r.sub,
                    namespace: r.ns,
                    name: r.name,
                    non_resource_url: r.url,
                    ..Default::default()
                },
                count: 2,
                last: at("2026-12-01T10:00:00Z"),
            })
            .collect()
    }

    const CLUSTER: &str = r#"
- apiVersion: rbac.authorization.k8s.io/v1
  kind: Role
  metadata: {name: dev, namespace: team}
  rules:
  - {apiGroups: [""], resources: [pods, pods/log], verbs: [get, list]}
  - {apiGroups: [""], resources: [secrets], resourceNames: [app-config, db-password], verbs: [get]}
  - {apiGroups: [""], resources: [pods/exec], verbs: [create]}
- apiVersion: rbac.authorization.k8s.io/v1
  kind: RoleBinding
  metadata: {name: dev, namespace: team}
  roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: dev}
  subjects: [{kind: User, name: alice, apiGroup: rbac.authorization.k8s.io}]
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRole
  metadata: {name: ops}
  rules:
  - {apiGroups: [""], resources: ["*"], verbs: ["*"]}
  - {nonResourceURLs: ["/healthz", "/metrics"], verbs: [get]}
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRoleBinding
  metadata: {name: ops}
  roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: ops}
  subjects: [{kind: Group, name: ops, apiGroup: rbac.authorization.k8s.io}]
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRoleBinding
  metadata: {name: never}
  roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: ops}
  subjects: [{kind: User, name: carol, apiGroup: rbac.authorization.k8s.io}]
"#;

    fn analysis(reqs: &[Req]) -> Analysis {
        analysis_of(CLUSTER, reqs)
    }

    /// The analysis of `reqs` on the RBAC objects `items`.
    fn analysis_of(items: &str, reqs: &[Req]) -> Analysis {
        let snap = rbac_of(items);
        let rbac = Rbac::resolve(&snap);
        let template = Template::builtin();
        analyse(
            &rbac,
            &template,
            &observed(reqs),
            &BTreeSet::new(),
            Options::default(),
        )
    }

    /// The user's used permissions as "verb resource name count", sorted,
    /// once its proof is checked to hold.
    fn used_by(a: &Analysis, user: &str) -> Vec<String> {
        let s = (a.subjects.iter())
            .find(|s| s.subject == SubjectId::User { name: user.into() })
            .unwrap_or_else(|| panic!("{user} not reported"));
        assert!(s.proof.denied.is_empty(), "{:?}", s.proof);
        let mut v: Vec<String> = (s.used.iter())
            .map(|u| {
                let p = &u.permission;
                let name = p.name.as_deref().unwrap_or("-");
                format!("{} {} {name} {}", p.verb, p.resource, u.count)
            })
            .collect();
        v.sort();
        v
    }

    fn subject<'a>(a: &'a Analysis, s: &SubjectId) -> &'a SubjectUsage {
        a.subjects.iter().find(|u| &u.subject == s).unwrap()
    }

    #[test]
    fn what_alice_used_and_never_used_with_the_risky_part_first_and_a_proven_proposal() {
        let mut named = req("alice", "get", "secrets", "team");
        named.name = "app-config";
        let mut log = req("alice", "get", "pods", "team");
        log.sub = "log";
        let a = analysis(&[req("alice", "list", "pods", "team"), named, log]);
        let alice = subject(
            &a,
            &SubjectId::User {
                name: "alice".into(),
            },
        );
        assert_eq!(alice.requests, 6);
        assert!(alice.bindings[0].used);
        let used: Vec<String> = alice
            .used
            .iter()
            .map(|u| {
                format!(
                    "{} {} {:?}",
                    u.permission.verb, u.permission.resource, u.permission.name
                )
            })
            .collect();
        assert!(
            used.contains(&"get secrets Some(\"app-config\")".to_string()),
            "{used:?}"
        );
        let unused: Vec<String> = alice
            .unused
            .iter()
            .map(|u| {
                format!(
                    "{} {} {}",
                    u.permission.verb,
                    u.permission.resource,
                    u.permission.name.as_deref().unwrap_or("")
                )
            })
            .collect();
        // The risky ones first: exec into pods, the other secret.
        let risky: Vec<&str> = (alice.unused.iter())
            .take_while(|u| u.risk.is_some())
            .map(|u| u.permission.resource.as_str())
            .collect();
        assert_eq!(risky.len(), 2, "{unused:?}");
        assert!(
            risky.contains(&"pods/exec") && risky.contains(&"secrets"),
            "{risky:?}"
        );
        assert!(alice.unused[2..].iter().all(|u| u.risk.is_none()));
        for gone in ["get pods ", "list pods/log ", "get secrets db-password"] {
            assert!(unused.contains(&gone.to_string()), "{gone} in {unused:?}");
        }
        assert!(!unused.contains(&"list pods ".to_string()));
        assert!(alice.proof.holds(), "{:?}", alice.proof);
        assert_eq!(alice.proof.replayed, 3);
        // The proposal: one Role and its RoleBinding in team.
        let yaml = serde_json::to_string(&alice.proposal).unwrap();
        assert!(yaml.contains(r#""resourceNames":["app-config"]"#), "{yaml}");
        assert!(
            !yaml.contains("db-password") && !yaml.contains("exec"),
            "{yaml}"
        );
        assert_eq!(alice.proposal.len(), 2);
    }

    #[test]
    fn a_users_request_allowed_through_a_group_binding_is_the_groups_use_and_a_wildcard_says_what_it_was_used_for()
     {
        let mut bob = req("bob", "delete", "pods", "team");
        bob.groups.push("ops".into());
        let mut health = req("bob", "get", "", "");
        health.groups.push("ops".into());
        health.url = Some("/healthz");
        let a = analysis(&[bob, health]);
        let ops = subject(&a, &SubjectId::group("ops"));
        assert_eq!(ops.requests, 4);
        let wildcard = ops
            .unused
            .iter()
            .find(|u| u.permission.verb == "*" && u.permission.resource == "*")
            .unwrap();
        assert_eq!(wildcard.used_only_for, ["delete pods in team"]);
        assert!(wildcard.risk.is_some());
        assert!(
            ops.unused
                .iter()
                .any(|u| u.permission.non_resource_url.as_deref() == Some("/metrics"))
        );
        assert!(
            !ops.unused
                .iter()
                .any(|u| u.permission.non_resource_url.as_deref() == Some("/healthz"))
        );
        // Proposal: a Role in team for the delete, a ClusterRole for the URL.
        let kinds: Vec<&str> = ops
            .proposal
            .iter()
            .map(|p| match p {
                Proposed::Role(_) => "Role",
                Proposed::RoleBinding(_) => "RoleBinding",
                Proposed::ClusterRole(_) => "ClusterRole",
                Proposed::ClusterRoleBinding(_) => "ClusterRoleBinding",
            })
            .collect();
        assert_eq!(
            kinds,
            ["ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"]
        );
        assert!(ops.proof.holds(), "{:?}", ops.proof);
        // carol's binding was never used; bob is bound by nothing himself.
        assert!(a.subjects_without_events.contains(&SubjectId::User {
            name: "carol".into()
        }));
        assert!(a.unexplained.is_empty());
    }

    #[test]
    fn a_websocket_exec_uses_the_grant_of_create_where_rbac_has_one_and_nothing_else() {
        // bob may get and create pods/exec; eve may only get it (a cluster
        // before 1.35 let her connect over WebSocket).
        let cluster = r#"
- apiVersion: rbac.authorization.k8s.io/v1
  kind: Role
  metadata: {name: shell, namespace: team}
  rules:
  - {apiGroups: [""], resources: [pods/exec], verbs: [get]}
  - {apiGroups: [""], resources: [pods/exec], verbs: [create]}
- apiVersion: rbac.authorization.k8s.io/v1
  kind: RoleBinding
  metadata: {name: shell, namespace: team}
  roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: shell}
  subjects: [{kind: User, name: bob, apiGroup: rbac.authorization.k8s.io}]
- apiVersion: rbac.authorization.k8s.io/v1
  kind: Role
  metadata: {name: get-only, namespace: team}
  rules:
  - {apiGroups: [""], resources: [pods/exec], verbs: [get]}
- apiVersion: rbac.authorization.k8s.io/v1
  kind: RoleBinding
  metadata: {name: get-only, namespace: team}
  roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: get-only}
  subjects: [{kind: User, name: eve, apiGroup: rbac.authorization.k8s.io}]
"#;
        let exec = |user| {
            let mut r = req(user, "get", "pods", "team");
            r.sub = "exec";
            r.name = "web-0";
            r
        };
        let a = analysis_of(cluster, &[exec("bob"), exec("eve"), exec("mallory")]);
        assert_eq!(
            used_by(&a, "bob"),
            ["create pods/exec - 2", "get pods/exec - 2"]
        );
        assert_eq!(used_by(&a, "eve"), ["get pods/exec - 2"]);
        // mallory, bound by nothing, made two requests; the check her
        // connection implies is not a third.
        let unbound: Vec<(&str, u64)> = (a.unbound.iter())
            .map(|u| (u.user.as_str(), u.requests))
            .collect();
        assert_eq!(unbound, [("mallory", 2)]);
        // eve's create was not checked, and mallory's get is unexplained
        // once: neither check is counted as unexplained.
        let unexplained: Vec<(&str, u64)> = (a.unexplained.iter())
            .map(|u| (u.user.as_str(), u.requests))
            .collect();
        assert_eq!(unexplained, [("mallory", 2)]);
    }

    #[test]
    fn writing_a_binding_or_a_role_uses_the_grant_of_bind_or_escalate_that_allows_its_check() {
        // ci may write bindings and roles, bind the ClusterRole edit and
        // escalate roles; ops may write bindings and holds what it binds.
        let cluster = r#"
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRole
  metadata: {name: binder}
  rules:
  - {apiGroups: [rbac.authorization.k8s.io], resources: [rolebindings, roles], verbs: [create, update]}
  - {apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [bind], resourceNames: [edit, admin]}
  - {apiGroups: [rbac.authorization.k8s.io], resources: [roles], verbs: [escalate]}
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRoleBinding
  metadata: {name: ci}
  roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: binder}
  subjects: [{kind: User, name: ci, apiGroup: rbac.authorization.k8s.io}]
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRole
  metadata: {name: writer}
  rules:
  - {apiGroups: [rbac.authorization.k8s.io], resources: [rolebindings], verbs: [create]}
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRoleBinding
  metadata: {name: ops}
  roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: writer}
  subjects: [{kind: User, name: ops, apiGroup: rbac.authorization.k8s.io}]
- apiVersion: rbac.authorization.k8s.io/v1
  kind: RoleBinding
  metadata: {name: team-edit, namespace: team}
  roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
  subjects: [{kind: Group, name: team, apiGroup: rbac.authorization.k8s.io}]
"#;
        let write = |user, verb, resource, name| {
            let mut r = req(user, verb, resource, "team");
            r.group = "rbac.authorization.k8s.io";
            r.name = name;
            r
        };
        let a = analysis_of(
            cluster,
            &[
                write("ci", "create", "rolebindings", "team-edit"),
                write("ci", "update", "roles", "dev"),
                write("ops", "create", "rolebindings", "team-edit"),
            ],
        );
        assert_eq!(
            used_by(&a, "ci"),
            [
                "bind clusterroles edit 2",
                "create rolebindings - 2",
                "escalate roles - 2",
                "update roles - 2"
            ]
        );
        // ops has no grant of bind: it held what it bound, nothing more
        // was used, and nothing is unexplained.
        assert_eq!(used_by(&a, "ops"), ["create rolebindings - 2"]);
        assert!(a.unexplained.is_empty(), "{:?}", a.unexplained);
    }

    #[test]
    fn requests_no_binding_allows_are_unexplained_and_masters_are_counted_apart() {
        let mut root = req("root", "get", "pods", "team");
        root.groups.push("system:masters".into());
        let a = analysis(&[req("mallory", "get", "nodes", ""), root]);
        assert_eq!(a.masters_requests, 2);
        // Neither is named by a binding, directly or through a group.
        let unbound: Vec<&str> = a.unbound.iter().map(|u| u.user.as_str()).collect();
        assert_eq!(unbound, ["mallory", "root"]);
        assert_eq!(a.unexplained.len(), 1);
        assert_eq!(a.unexplained[0].user, "mallory");
        assert!(!a.unexplained[0].bound);
    }

    #[test]
    fn the_reason_annotation_picks_the_grant_when_the_snapshot_agrees() {
        let snap = rbac_of(CLUSTER);
        let rbac = Rbac::resolve(&snap);
        let groups: Vec<Box<str>> = vec!["ops".into()];
        let reqs = [req("carol", "get", "pods", "team")];
        let mut r = observed(&reqs)[0];
        r.request.groups = &groups;
        // carol is in ops and bound herself: the ClusterRoleBindings are
        // visited by name, `never` before `ops`.
        let a = Attributor::new(&rbac);
        let Allowed::Rbac { grant, agreed } = a.allowed(&r.request) else {
            panic!()
        };
        assert_eq!(rbac.binding(grant.binding).key.name, "never");
        assert_eq!(agreed, None);
        r.request.reason = Some(
            r#"RBAC: allowed by ClusterRoleBinding "ops" of ClusterRole "ops" to Group "ops""#,
        );
        let Allowed::Rbac { grant, agreed } = a.allowed(&r.request) else {
            panic!()
        };
        assert_eq!(rbac.binding(grant.binding).key.name, "ops");
        assert_eq!(grant.subject, SubjectId::group("ops"));
        assert_eq!(agreed, Some(true));
        r.request.reason = Some(
            r#"RBAC: allowed by ClusterRoleBinding "gone" of ClusterRole "ops" to User "carol""#,
        );
        let Allowed::Rbac { agreed, .. } = a.allowed(&r.request) else {
            panic!()
        };
        assert_eq!(agreed, Some(false));
    }

    // A small reference model for the property test: random roles of
    // random rules bound to three users, random requests; the proposal of
    // each subject must allow every request attributed to it, and give no
    // permission the template rates that was not used.
    const VERBS: &[&str] = &[
        "get",
        "list",
        "create",
        "delete",
        "escalate",
        "bind",
        "impersonate",
    ];
    const RESOURCES: &[&str] = &[
        "pods",
        "secrets",
        "pods/exec",
        "roles",
        "clusterroles",
        "users",
        "nodes",
        "*",
    ];
    const NAMESPACES: &[&str] = &["", "a", "kube-system"];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn the_proposal_allows_every_request_and_no_unused_risky_permission(
            rules in proptest::collection::vec((0..VERBS.len(), 0..RESOURCES.len(), any::<bool>()), 1..6),
            bindings in proptest::collection::vec((0..3usize, 0..3usize, 0..6usize), 1..5),
            reqs in proptest::collection::vec((0..3usize, 0..VERBS.len(), 0..RESOURCES.len() - 1, 0..3usize, any::<bool>()), 1..20),
        ) {
            let mut items = String::new();
            for (i, (v, r, named)) in rules.iter().enumerate() {
                let names = if *named { ", resourceNames: [x]" } else { "" };
                items.push_str(&format!(
                    "- {{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {{name: r{i}}}, rules: [{{apiGroups: ['', rbac.authorization.k8s.io], resources: ['{}'], verbs: ['{}']{names}}}]}}\n",
                    RESOURCES[*r], VERBS[*v]
                ));
            }
            for (i, (user, ns, role)) in bindings.iter().enumerate() {
                let role = role % rules.len();
                let (kind, meta) = match NAMESPACES[*ns] {
                    "" => ("ClusterRoleBinding", format!("{{name: b{i}}}")),
                    ns => ("RoleBinding", format!("{{name: b{i}, namespace: {ns}}}")),
                };
                items.push_str(&format!(
                    "- {{apiVersion: rbac.authorization.k8s.io/v1, kind: {kind}, metadata: {meta}, roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r{role}}}, subjects: [{{kind: User, name: u{user}, apiGroup: rbac.authorization.k8s.io}}]}}\n"
                ));
            }
            let snap = rbac_of(&items);
            let rbac = Rbac::resolve(&snap);
            let template = Template::builtin();
            const USERS: [&str; 3] = ["u0", "u1", "u2"];
            let reqs: Vec<Req> = reqs
                .iter()
                .map(|(u, v, r, ns, named)| {
                    let (resource, sub) = RESOURCES[*r].split_once('/').unwrap_or((RESOURCES[*r], ""));
                    let group = if ["roles", "clusterroles"].contains(&resource) { "rbac.authorization.k8s.io" } else { "" };
                    Req {
                        user: USERS[*u],
                        groups: vec!["system:authenticated".into()],
                        verb: VERBS[*v],
                        group,
                        resource,
                        sub,
                        ns: NAMESPACES[*ns],
                        name: if *named { "x" } else { "" },
                        url: None,
                    }
                })
                .collect();
            let observed = observed(&reqs);
            let a = analyse(&rbac, &template, &observed, &BTreeSet::new(), Options { include_defaults: true });
            for s in &a.subjects {
                prop_assert!(s.proof.denied.is_empty(), "{}: denied {:?}", s.subject, s.proof.denied);
                prop_assert!(s.proof.risky_unused.is_empty(), "{}: risky unused {:?}", s.subject, s.proof.risky_unused);
                // Independently of the proof: each request attributed to
                // the subject is allowed by some proposed rule in scope.
                let attributor = Attributor::new(&rbac);
                for r in &observed {
                    let Allowed::Rbac { grant, .. } = attributor.allowed(&r.request) else { continue };
                    if grant.subject != s.subject { continue; }
                    let ok = s.proposal.iter().any(|p| match p {
                        Proposed::ClusterRole(c) => c.rules.iter().flatten().any(|rule| rule_allows(rule, &authorized(&r.request))),
                        Proposed::Role(role) => !r.request.namespace.is_empty()
                            && role.metadata.namespace.as_deref() == Some(r.request.namespace)
                            && role.rules.iter().flatten().any(|rule| rule_allows(rule, &authorized(&r.request))),
                        _ => false,
                    });
                    prop_assert!(ok, "{}: {} not allowed by the proposal", s.subject, proposal::describe(r));
                }
            }
        }
    }
}
