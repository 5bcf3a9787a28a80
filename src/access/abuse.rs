//! The attack edges of the access graph: for every holder of permissions
//! (an identity some binding names, a ServiceAccount or user together with
//! its implicit groups, a role bound by someone allowed to bind it), what
//! its permissions let it become.
//!
//! Every check asks the authorizer's own question ([`rule_grants`]) with the
//! exact scope of each rule: a ClusterRoleBinding's rules apply everywhere,
//! a RoleBinding's only to namespaced requests in its namespace
//! ([`grantable_in_namespace`]); a rule limited by `resourceNames` reaches
//! only the objects it names, and never a create in a collection. A
//! permission that needs several (bind with create bindings, CSR creation
//! with approval) is met only when the same holder has all of them in the
//! same scope. Pure: no I/O.

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::rbac::v1::PolicyRule;

use super::graph::{AccessGraph, Ground, Node, POD_SECURITY_ENFORCE_LABEL, Step, Technique};
use crate::cores;
use crate::rbac::rules::{Grant, Request, rule_grants};
use crate::rbac::scope::grantable_in_namespace;
use crate::rbac::subjects::{MASTERS, parse_service_account_user};
use crate::rbac::{BindingId, Rbac, RoleId, Scope, SubjectId};
use crate::snapshot::pod::PodsByName;
use crate::snapshot::{
    Kind, SERVICE_ACCOUNT_NAME_ANNOTATION, SERVICE_ACCOUNT_TOKEN_TYPE, Snapshot,
};

const RBAC_GROUP: &str = "rbac.authorization.k8s.io";
const CSR_GROUP: &str = "certificates.k8s.io";
const ADMISSION_GROUP: &str = "admissionregistration.k8s.io";
/// The signer whose certificates the API server accepts as client identities.
const CLIENT_SIGNER: &str = "kubernetes.io/kube-apiserver-client";
/// The signer-domain wildcard the approval check also accepts.
const CLIENT_SIGNER_DOMAIN: &str = "kubernetes.io/*";
/// The EKS ConfigMap that maps IAM identities to Kubernetes groups.
const AWS_AUTH: (&str, &str) = ("kube-system", "aws-auth");

/// Requests that run a pod of one's choosing: pods, and every built-in
/// controller that creates pods from a template (a named update or patch of
/// an existing controller rewrites its template, ServiceAccount included).
const WORKLOADS: &[(&str, &str, &str)] = &[
    ("create", "", "pods"),
    ("create", "apps", "deployments"),
    ("create", "apps", "replicasets"),
    ("create", "apps", "statefulsets"),
    ("create", "apps", "daemonsets"),
    ("create", "batch", "jobs"),
    ("create", "batch", "cronjobs"),
    ("create", "", "replicationcontrollers"),
    ("update", "apps", "deployments"),
    ("patch", "apps", "deployments"),
    ("update", "apps", "replicasets"),
    ("patch", "apps", "replicasets"),
    ("update", "apps", "statefulsets"),
    ("patch", "apps", "statefulsets"),
    ("update", "apps", "daemonsets"),
    ("patch", "apps", "daemonsets"),
    ("update", "batch", "cronjobs"),
    ("patch", "batch", "cronjobs"),
    ("update", "", "replicationcontrollers"),
    ("patch", "", "replicationcontrollers"),
];

/// Requests that run code inside an existing pod, with its tokens.
const POD_CONTROL: &[(&str, &str)] = &[
    ("create", "exec"),
    ("create", "attach"),
    ("update", "ephemeralcontainers"),
    ("patch", "ephemeralcontainers"),
    ("update", ""),
    ("patch", ""),
];

/// `verb resource[/sub][.group]`, as kubectl writes a permission.
fn permission(verb: &str, group: &str, resource: &str, sub: &str) -> String {
    let mut s = format!("{verb} {resource}");
    if !sub.is_empty() {
        s.push('/');
        s.push_str(sub);
    }
    if !group.is_empty() {
        s.push('.');
        s.push_str(group);
    }
    s
}

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
fn may_step(rule: &PolicyRule) -> bool {
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

/// One rule a holder has, and what grants it.
struct Held<'r> {
    rule: &'r PolicyRule,
    ground: Ground,
}

/// The rules of one holder: cluster-wide, and per namespace.
#[derive(Default)]
struct Holder<'r> {
    cluster: Vec<Held<'r>>,
    namespaces: BTreeMap<String, Vec<Held<'r>>>,
}

/// What a holder is granted for one kind of request in one scope.
#[derive(Default)]
struct Grants<'r> {
    /// A rule that grants it for every name.
    all: Option<Ground>,
    /// Rules that grant it for these names only.
    named: Vec<(&'r str, Ground)>,
}

impl Grants<'_> {
    fn for_name(&self, name: &str) -> Option<Ground> {
        self.all.clone().or_else(|| {
            self.named
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, g)| g.clone())
        })
    }
}

impl<'r> Holder<'r> {
    fn add(
        &mut self,
        rbac: &'r Rbac<'_>,
        role: RoleId,
        scope: &Scope,
        binding: Option<BindingId>,
        via_group: Option<&str>,
    ) {
        let via_group: Option<std::sync::Arc<str>> = via_group.map(Into::into);
        let rules = rbac.role(role).rules.iter().enumerate().map(|(i, r)| Held {
            rule: r.rule,
            ground: Ground {
                binding,
                via_group: via_group.clone(),
                role,
                rule: i,
            },
        });
        match scope {
            Scope::Cluster => self.cluster.extend(rules),
            Scope::Namespace(ns) => self.namespaces.entry(ns.clone()).or_default().extend(rules),
        }
    }

    fn is_empty(&self) -> bool {
        self.cluster.is_empty() && self.namespaces.is_empty()
    }

    /// What the holder is granted for `verb group/resource/sub` in `ns`
    /// (`None`: in every namespace, or a cluster-scoped request).
    fn grants(
        &self,
        ns: Option<&str>,
        verb: &str,
        group: &str,
        resource: &str,
        sub: &str,
    ) -> Grants<'r> {
        let mut out = Grants::default();
        let ns_rules = ns
            .filter(|_| grantable_in_namespace(Some(group), resource, verb))
            .and_then(|n| self.namespaces.get(n))
            .map_or(&[][..], Vec::as_slice);
        let request = Request::Resource {
            verb,
            api_group: group,
            resource,
            subresource: sub,
            name: "",
        };
        for h in self.cluster.iter().chain(ns_rules) {
            match rule_grants(h.rule, &request) {
                Some(Grant::All) if out.all.is_none() => out.all = Some(h.ground.clone()),
                Some(Grant::All) => {}
                Some(Grant::Named(names)) => out
                    .named
                    .extend(names.iter().map(|n| (n.as_str(), h.ground.clone()))),
                None => {}
            }
        }
        out
    }

    /// The first of `requests` granted for every name.
    fn any_all(
        &self,
        ns: Option<&str>,
        requests: &[(&str, &str, &str, &str)],
    ) -> Option<(String, Ground)> {
        requests.iter().find_map(|&(verb, group, res, sub)| {
            let g = self.grants(ns, verb, group, res, sub).all?;
            Some((permission(verb, group, res, sub), g))
        })
    }
}

/// What the checks look objects up by.
struct Lookup<'a> {
    pods_by_name: PodsByName<'a>,
    token_secrets: HashMap<&'a str, Vec<(&'a str, &'a str)>>,
    service_accounts: HashMap<&'a str, Vec<&'a str>>,
    users: Vec<&'a str>,
    groups: Vec<&'a str>,
    cluster_roles: HashMap<&'a str, RoleId>,
    roles: HashMap<(&'a str, &'a str), RoleId>,
    roles_in: HashMap<&'a str, Vec<RoleId>>,
    cluster_role_ids: Vec<RoleId>,
    restricted: BTreeSet<&'a str>,
    namespaces: Vec<&'a str>,
}

impl<'a> Lookup<'a> {
    /// Indexes the cluster's names for the searches of [`steps_of`]:
    /// `subjects` are the graph's, sorted; every name is borrowed.
    fn new(
        g: &'a AccessGraph,
        subjects: &[&'a SubjectId],
        snapshot: &'a Snapshot,
        rbac: &'a Rbac<'_>,
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
        Lookup {
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
        }
    }

    /// Of objects of one name, as (namespace, object), those in `ns`
    /// (`None`: in any namespace).
    fn in_scope<T>(
        named: impl IntoIterator<Item = (&'a str, T)>,
        ns: Option<&str>,
    ) -> impl Iterator<Item = (&'a str, T)> {
        (named.into_iter()).filter(move |(n, _)| ns.is_none_or(|ns| ns == *n))
    }
}

/// The steps found for one holder, as (target, step).
type Found = Vec<(Node, Step)>;

/// Works out every holder's steps and adds them to the graph.
pub(super) fn add_steps(g: &mut AccessGraph, snapshot: &Snapshot, rbac: &Rbac<'_>) {
    let subjects: Vec<&SubjectId> = g.subjects();
    let lookup = Lookup::new(g, &subjects, snapshot, rbac);
    let mut bound_queue: Vec<(RoleId, Scope)> = Vec::new();
    let mut bound_seen: HashSet<(RoleId, Scope)> = HashSet::new();
    let mut pending: Vec<(Node, Node, Step)> = Vec::new();
    // Groups first: what a group gains, its members gain through it. Each
    // group is worked out on its own (on every core), and its steps and
    // roles to bind are taken in group order, as one after the other.
    let groups: Vec<(&SubjectId, &String)> = (subjects.iter())
        .filter_map(|&s| match s {
            SubjectId::Group { name } => Some((s, name)),
            _ => None,
        })
        .collect();
    let gr: &AccessGraph = g;
    let worked = cores::map(&groups, 16, |&(s, _)| {
        let holder = holder_of(gr, rbac, s, false);
        let mut bound = Vec::new();
        let found = (!holder.is_empty()).then(|| steps_of(&holder, &lookup, rbac, &mut bound));
        (found, bound)
    });
    let mut by_group: HashMap<String, HashSet<(Technique, Node)>> = HashMap::new();
    for (&(s, name), (found, bound)) in groups.iter().zip(worked) {
        let Some(found) = found else { continue };
        bound_queue.extend(bound);
        by_group.insert(
            name.clone(),
            found.iter().map(|(t, st)| (st.how, t.clone())).collect(),
        );
        pending.extend(
            found
                .into_iter()
                .map(|(t, st)| (Node::Subject(s.clone()), t, st)),
        );
    }
    // Users and ServiceAccounts: everything they hold, through groups too,
    // less what one of their groups gains alone (membership leads there).
    // Each is worked out on its own (on every core, in runs of subjects
    // taken in order, each run with its own memo of shared group sets), and
    // the steps and the roles to bind are collected in subject order: the
    // graph is the same as one subject after the other would make it.
    let others: Vec<&SubjectId> = subjects
        .iter()
        .copied()
        .filter(|s| !matches!(s, SubjectId::Group { .. }))
        .collect();
    let chunk = others.len().div_ceil(64).max(1);
    let runs: Vec<&[&SubjectId]> = others.chunks(chunk).collect();
    let results = cores::map(&runs, 2, |run| {
        let mut shared: HashMap<Vec<String>, Found> = HashMap::new();
        run.iter()
            .map(|&s| {
                let mut bound = Vec::new();
                let (found, fresh) =
                    subject_steps(gr, rbac, &lookup, &by_group, s, &mut shared, &mut bound);
                let steps: Vec<(Node, Node, Step)> = found
                    .into_iter()
                    .map(|(t, st)| (Node::Subject(s.clone()), t, st))
                    .collect();
                (steps, bound, fresh)
            })
            .collect::<Vec<_>>()
    });
    // A set of groups worked out again by a later run gives the same steps;
    // its roles to bind count only the first time, as on one thread.
    let mut worked_out: HashSet<Vec<String>> = HashSet::new();
    for (steps, bound, fresh) in results.into_iter().flatten() {
        pending.extend(steps);
        if fresh.is_none_or(|key| worked_out.insert(key)) {
            bound_queue.extend(bound);
        }
    }
    // Roles bound by those allowed to bind them.
    while let Some((role, scope)) = bound_queue.pop() {
        if !bound_seen.insert((role, scope.clone())) {
            continue;
        }
        let mut holder = Holder::default();
        holder.add(rbac, role, &scope, None, None);
        let found = steps_of(&holder, &lookup, rbac, &mut bound_queue);
        pending.extend(
            found
                .into_iter()
                .map(|(t, st)| (Node::Bound(role, scope.clone()), t, st)),
        );
    }
    drop(lookup);
    for (from, to, step) in pending {
        let from = g.node(from);
        let to = g.node(to);
        g.add_step(from, to, step);
    }
}

/// The steps of a user or ServiceAccount: everything it holds, through
/// groups too, less what one of its groups gains alone (`by_group`). Those
/// that hold only through groups share the work by set of groups
/// (`shared`); the set is returned when it was worked out here rather than
/// taken from `shared`. Roles it may bind are pushed to `bound` (only when
/// the steps were worked out here).
fn subject_steps(
    g: &AccessGraph,
    rbac: &Rbac<'_>,
    lookup: &Lookup<'_>,
    by_group: &HashMap<String, HashSet<(Technique, Node)>>,
    s: &SubjectId,
    shared: &mut HashMap<Vec<String>, Found>,
    bound: &mut Vec<(RoleId, Scope)>,
) -> (Found, Option<Vec<String>>) {
    let reach = g.bindings_reaching(s);
    if reach.is_empty() {
        return (Found::new(), None);
    }
    let direct = reach.iter().any(|r| r.via_group.is_none());
    let groups: BTreeSet<&String> = reach.iter().filter_map(|r| r.via_group.as_ref()).collect();
    if !direct && groups.len() < 2 {
        return (Found::new(), None);
    }
    let implicit = s.implicit_groups();
    let new_only = |found: Found| -> Found {
        found
            .into_iter()
            .filter(|(t, st)| {
                !implicit.iter().any(|gr| {
                    by_group
                        .get(gr)
                        .is_some_and(|set| set.contains(&(st.how, t.clone())))
                })
            })
            .collect()
    };
    if direct {
        let holder = holder_of(g, rbac, s, true);
        return (new_only(steps_of(&holder, lookup, rbac, bound)), None);
    }
    let key: Vec<String> = groups.into_iter().cloned().collect();
    if let Some(f) = shared.get(&key) {
        return (f.clone(), None);
    }
    let holder = holder_of(g, rbac, s, true);
    let f = new_only(steps_of(&holder, lookup, rbac, bound));
    shared.insert(key.clone(), f.clone());
    (f, Some(key))
}

/// The rules `subject` holds: through the bindings that name it, and with
/// `with_groups` through those that name its implicit groups.
fn holder_of<'r>(
    g: &AccessGraph,
    rbac: &'r Rbac<'_>,
    subject: &SubjectId,
    with_groups: bool,
) -> Holder<'r> {
    let mut holder = Holder::default();
    for r in g.bindings_reaching(subject) {
        if r.via_group.is_some() && !with_groups {
            continue;
        }
        let b = rbac.binding(r.binding);
        if let Ok(role) = b.role {
            holder.add(
                rbac,
                role,
                &b.scope,
                Some(r.binding),
                r.via_group.as_deref(),
            );
        }
    }
    holder
}

/// Every step `holder` can take: cluster-wide, then in each namespace where
/// it holds more than cluster-wide.
fn steps_of(
    holder: &Holder<'_>,
    lookup: &Lookup<'_>,
    rbac: &Rbac<'_>,
    bound: &mut Vec<(RoleId, Scope)>,
) -> Found {
    let mut found = Found::new();
    let mut cluster_wide: HashSet<Technique> = HashSet::new();
    steps_in(holder, lookup, rbac, None, bound, &mut found);
    cluster_wide.extend(
        found
            .iter()
            .filter(|(t, _)| {
                matches!(
                    t,
                    Node::NewPods(None)
                        | Node::Pods(None)
                        | Node::Secrets(None)
                        | Node::ServiceAccounts(None)
                        | Node::ClusterAdmin
                        | Node::AnyHost
                )
            })
            .map(|(_, s)| s.how),
    );
    let namespaces: Vec<&String> = holder.namespaces.keys().collect();
    for ns in namespaces {
        let mut here = Found::new();
        steps_in(holder, lookup, rbac, Some(ns), bound, &mut here);
        found.extend(
            here.into_iter()
                .filter(|(_, s)| !cluster_wide.contains(&s.how)),
        );
    }
    // A holder of cluster-wide rolebinding creation can bind in every namespace.
    if holder
        .grants(None, "create", RBAC_GROUP, "rolebindings", "")
        .all
        .is_some()
        && !found.iter().any(|(t, _)| *t == Node::ClusterAdmin)
    {
        for &ns in &lookup.namespaces {
            if holder.namespaces.contains_key(ns) {
                continue;
            }
            let mut here = Found::new();
            bind_steps(holder, lookup, Some(ns), bound, &mut here);
            found.extend(here);
        }
    }
    let mut seen = HashSet::new();
    found.retain(|(t, s)| seen.insert((t.clone(), s.how, s.namespace.clone())));
    found
}

fn step(how: Technique, ns: Option<&str>, permissions: Vec<String>, grounds: Vec<Ground>) -> Step {
    Step {
        how,
        permissions,
        namespace: ns.map(String::from),
        grounds,
        pod: None,
        because: None,
    }
}

/// The steps `holder` can take in `ns` (`None`: cluster-wide).
fn steps_in(
    holder: &Holder<'_>,
    lookup: &Lookup<'_>,
    rbac: &Rbac<'_>,
    ns: Option<&str>,
    bound: &mut Vec<(RoleId, Scope)>,
    out: &mut Found,
) {
    let scoped = |n: Option<&str>| n.map(String::from);
    if ns.is_none()
        && let Some(g) = holder.grants(None, "*", "*", "*", "").all
    {
        out.push((
            Node::ClusterAdmin,
            step(
                Technique::HoldsEverything,
                None,
                vec!["* *.*".into()],
                vec![g],
            ),
        ));
        return;
    }
    // Pods of one's choosing.
    let workload_requests: Vec<(&str, &str, &str, &str)> =
        WORKLOADS.iter().map(|&(v, g, r)| (v, g, r, "")).collect();
    let workloads = holder.any_all(ns, &workload_requests).or_else(|| {
        // A named update or patch of an existing controller rewrites its template.
        WORKLOADS
            .iter()
            .filter(|(v, ..)| *v != "create")
            .find_map(|&(v, g, r)| {
                let (name, ground) = holder.grants(ns, v, g, r, "").named.into_iter().next()?;
                Some((format!("{} {name}", permission(v, g, r, "")), ground))
            })
    });
    if let Some((perm, ground)) = &workloads {
        out.push((
            Node::NewPods(scoped(ns)),
            step(
                Technique::CreateWorkloads,
                ns,
                vec![perm.clone()],
                vec![ground.clone()],
            ),
        ));
        let restricted: Vec<&str> = match ns {
            Some(n) => lookup
                .restricted
                .iter()
                .copied()
                .filter(|r| *r == n)
                .collect(),
            None => lookup.restricted.iter().copied().collect(),
        };
        if let Some(first) = restricted.first() {
            let relabel = ["patch", "update"].iter().find_map(|v| {
                let g = holder.grants(ns.or(Some(first)), v, "", "namespaces", "");
                let ground = match ns {
                    Some(n) => g.for_name(n)?,
                    None => g.all?,
                };
                Some((permission(v, "", "namespaces", ""), ground))
            });
            if let Some((p, rg)) = relabel {
                let mut s = step(
                    Technique::LiftPodSecurity,
                    ns,
                    vec![perm.clone(), p],
                    vec![ground.clone(), rg],
                );
                s.because = Some(format!(
                    "namespace {first} enforces a Pod Security level that the label {POD_SECURITY_ENFORCE_LABEL} sets"
                ));
                out.push((Node::AnyHost, s));
            }
        }
    }
    // Code in existing pods.
    let pod_requests: Vec<(&str, &str, &str, &str)> = POD_CONTROL
        .iter()
        .map(|&(v, s)| (v, "", "pods", s))
        .collect();
    if let Some((perm, g)) = holder.any_all(ns, &pod_requests) {
        out.push((
            Node::Pods(scoped(ns)),
            step(Technique::ControlPods, ns, vec![perm], vec![g]),
        ));
    } else {
        for &(v, sub) in POD_CONTROL {
            for (name, g) in holder.grants(ns, v, "", "pods", sub).named {
                for (_, i) in Lookup::in_scope(lookup.pods_by_name.named(name), ns) {
                    out.push((
                        Node::Pod(i),
                        step(
                            Technique::ControlPods,
                            ns,
                            vec![format!("{} {name}", permission(v, "", "pods", sub))],
                            vec![g.clone()],
                        ),
                    ));
                }
            }
        }
    }
    // Secrets, legacy token secrets among them.
    let secret_requests = [
        ("list", "", "secrets", ""),
        ("watch", "", "secrets", ""),
        ("get", "", "secrets", ""),
    ];
    if let Some((perm, g)) = holder.any_all(ns, &secret_requests) {
        out.push((
            Node::Secrets(scoped(ns)),
            step(Technique::ReadSecrets, ns, vec![perm], vec![g]),
        ));
    } else {
        for &(v, ..) in &secret_requests {
            for (name, g) in holder.grants(ns, v, "", "secrets", "").named {
                let named = lookup.token_secrets.get(name).into_iter().flatten();
                for (sns, sa) in Lookup::in_scope(named.copied(), ns) {
                    let mut s = step(
                        Technique::ReadSecrets,
                        ns,
                        vec![format!("{v} secrets {name}")],
                        vec![g.clone()],
                    );
                    s.because = Some(format!("secret {sns}/{name}"));
                    out.push((
                        Node::Subject(SubjectId::ServiceAccount {
                            namespace: sns.to_string(),
                            name: sa.to_string(),
                        }),
                        s,
                    ));
                }
            }
        }
    }
    // Tokens and impersonation of ServiceAccounts.
    for (how, verb, sub) in [
        (Technique::RequestToken, "create", "token"),
        (Technique::Impersonate, "impersonate", ""),
    ] {
        let grants = holder.grants(ns, verb, "", "serviceaccounts", sub);
        let perm = permission(verb, "", "serviceaccounts", sub);
        if let Some(g) = grants.all {
            out.push((
                Node::ServiceAccounts(scoped(ns)),
                step(how, ns, vec![perm], vec![g]),
            ));
            continue;
        }
        for (name, g) in grants.named {
            let namespaces: Vec<&str> = lookup
                .service_accounts
                .get(name)
                .into_iter()
                .flatten()
                .copied()
                .filter(|n| ns.is_none_or(|ns| ns == *n))
                .collect();
            for sns in namespaces {
                out.push((
                    Node::Subject(SubjectId::ServiceAccount {
                        namespace: sns.to_string(),
                        name: name.to_string(),
                    }),
                    step(how, ns, vec![format!("{perm} {name}")], vec![g.clone()]),
                ));
            }
        }
    }
    bind_steps(holder, lookup, ns, bound, out);
    // Escalate: add any permission to a role one can update.
    let escalate = |kind: &str| {
        let e = holder.grants(ns, "escalate", RBAC_GROUP, kind, "");
        if e.all.is_none() && e.named.is_empty() {
            return None;
        }
        ["update", "patch"].iter().find_map(|v| {
            let u = holder.grants(ns, v, RBAC_GROUP, kind, "");
            match (&e.all, &u.all) {
                (Some(a), Some(b)) => Some((
                    vec![
                        permission("escalate", RBAC_GROUP, kind, ""),
                        permission(v, RBAC_GROUP, kind, ""),
                    ],
                    vec![a.clone(), b.clone()],
                )),
                _ => {
                    // Named: only a role the holder is itself bound to helps.
                    let held: BTreeSet<RoleId> = holder
                        .cluster
                        .iter()
                        .chain(
                            ns.and_then(|n| holder.namespaces.get(n))
                                .into_iter()
                                .flatten(),
                        )
                        .filter(|h| h.ground.binding.is_some())
                        .map(|h| h.ground.role)
                        .collect();
                    held.iter().find_map(|r| {
                        let name = &rbac.role(*r).key.name;
                        let a = e.for_name(name)?;
                        let b = u.for_name(name)?;
                        Some((
                            vec![
                                format!("escalate {kind} {name}"),
                                format!("{v} {kind} {name}"),
                            ],
                            vec![a, b],
                        ))
                    })
                }
            }
        })
    };
    match ns {
        None => {
            if let Some((perms, grounds)) = escalate("clusterroles") {
                out.push((
                    Node::ClusterAdmin,
                    step(Technique::Escalate, None, perms, grounds),
                ));
            }
        }
        Some(n) => {
            if let Some((perms, grounds)) = escalate("roles") {
                for target in [
                    Node::NewPods(scoped(ns)),
                    Node::Pods(scoped(ns)),
                    Node::Secrets(scoped(ns)),
                    Node::ServiceAccounts(scoped(ns)),
                ] {
                    out.push((
                        target,
                        step(Technique::Escalate, Some(n), perms.clone(), grounds.clone()),
                    ));
                }
            }
        }
    }
    if ns.is_none() {
        cluster_only_steps(holder, lookup, out);
    }
    // The EKS aws-auth ConfigMap, in kube-system (found once, in the
    // cluster-wide pass, with kube-system's own rules as well).
    if ns.is_none() {
        let found = ["update", "patch"].iter().find_map(|v| {
            let g = holder
                .grants(Some(AWS_AUTH.0), v, "", "configmaps", "")
                .for_name(AWS_AUTH.1)?;
            Some((format!("{v} configmaps {}", AWS_AUTH.1), g))
        });
        if let Some((perm, g)) = found {
            let s = step(Technique::AwsAuth, Some(AWS_AUTH.0), vec![perm], vec![g]);
            out.push((Node::Subject(SubjectId::group(MASTERS)), s));
        }
    }
}

/// `bind` on a role with the right to create bindings in `ns` (`None`:
/// ClusterRoleBindings): the holder can grant itself the role there.
fn bind_steps(
    holder: &Holder<'_>,
    lookup: &Lookup<'_>,
    ns: Option<&str>,
    bound: &mut Vec<(RoleId, Scope)>,
    out: &mut Found,
) {
    let (binding_kind, scope) = match ns {
        None => ("clusterrolebindings", Scope::Cluster),
        Some(n) => ("rolebindings", Scope::Namespace(n.to_string())),
    };
    // Whoever holds everything in a namespace gains nothing there by binding
    // a role (cluster-wide, everything is cluster-admin already).
    if holder.grants(ns, "*", "*", "*", "").all.is_some() {
        return;
    }
    let Some(create) = holder
        .grants(ns, "create", RBAC_GROUP, binding_kind, "")
        .all
    else {
        return;
    };
    let create_perm = permission("create", RBAC_GROUP, binding_kind, "");
    let mut targets: Vec<(RoleId, String, Ground)> = Vec::new();
    let cr = holder.grants(ns, "bind", RBAC_GROUP, "clusterroles", "");
    match &cr.all {
        Some(g) => targets.extend(lookup.cluster_role_ids.iter().map(|r| {
            (
                *r,
                permission("bind", RBAC_GROUP, "clusterroles", ""),
                g.clone(),
            )
        })),
        None => targets.extend(cr.named.iter().filter_map(|(name, g)| {
            Some((
                *lookup.cluster_roles.get(*name)?,
                format!("bind clusterroles {name}"),
                g.clone(),
            ))
        })),
    }
    if let Some(n) = ns {
        let r = holder.grants(ns, "bind", RBAC_GROUP, "roles", "");
        match &r.all {
            Some(g) => targets.extend(
                lookup
                    .roles_in
                    .get(n)
                    .into_iter()
                    .flatten()
                    .map(|id| (*id, permission("bind", RBAC_GROUP, "roles", ""), g.clone())),
            ),
            None => targets.extend(r.named.iter().filter_map(|(name, g)| {
                Some((
                    *lookup.roles.get(&(n, *name))?,
                    format!("bind roles {name}"),
                    g.clone(),
                ))
            })),
        }
    }
    for (role, perm, g) in targets {
        bound.push((role, scope.clone()));
        out.push((
            Node::Bound(role, scope.clone()),
            step(
                Technique::Bind,
                ns,
                vec![create_perm.clone(), perm],
                vec![create.clone(), g],
            ),
        ));
    }
}

/// Steps only cluster-wide rules can grant: impersonation of users and
/// groups, CSR approval, the kubelet API, admission webhooks.
fn cluster_only_steps(holder: &Holder<'_>, lookup: &Lookup<'_>, out: &mut Found) {
    for (resource, all_names) in [("users", &lookup.users), ("groups", &lookup.groups)] {
        let grants = holder.grants(None, "impersonate", "", resource, "");
        let perm = permission("impersonate", "", resource, "");
        let targets: Vec<(String, Ground, String)> = match &grants.all {
            Some(g) => all_names
                .iter()
                .map(|n| (n.to_string(), g.clone(), perm.clone()))
                .collect(),
            None => grants
                .named
                .iter()
                .map(|(n, g)| (n.to_string(), g.clone(), format!("{perm} {n}")))
                .collect(),
        };
        for (name, g, p) in targets {
            let subject = if resource == "users" {
                // A ServiceAccount's user name is impersonated through
                // `serviceaccounts`, not `users`.
                if parse_service_account_user(&name).is_some() {
                    continue;
                }
                SubjectId::User { name }
            } else {
                SubjectId::Group { name }
            };
            out.push((
                Node::Subject(subject),
                step(Technique::Impersonate, None, vec![p], vec![g]),
            ));
        }
    }
    // A client certificate for any identity, system:masters included.
    if let Some(create) = holder
        .grants(None, "create", CSR_GROUP, "certificatesigningrequests", "")
        .all
    {
        let approval = ["update", "patch"].iter().find_map(|v| {
            let g = holder.grants(None, v, CSR_GROUP, "certificatesigningrequests", "approval");
            g.all
                .or_else(|| g.named.into_iter().next().map(|(_, g)| g))
                .map(|g| {
                    (
                        permission(v, CSR_GROUP, "certificatesigningrequests", "approval"),
                        g,
                    )
                })
        });
        let signer = holder.grants(None, "approve", CSR_GROUP, "signers", "");
        let approve = signer
            .for_name(CLIENT_SIGNER)
            .or_else(|| signer.for_name(CLIENT_SIGNER_DOMAIN));
        if let (Some((ap, ag)), Some(sg)) = (approval, approve) {
            out.push((
                Node::Subject(SubjectId::group(MASTERS)),
                step(
                    Technique::ApproveCsr,
                    None,
                    vec![
                        permission("create", CSR_GROUP, "certificatesigningrequests", ""),
                        ap,
                        format!("approve signers.{CSR_GROUP} {CLIENT_SIGNER}"),
                    ],
                    vec![create, ag, sg],
                ),
            ));
        }
    }
    // The kubelet API of a node: commands in every pod it runs.
    for v in ["create", "get"] {
        let g = holder.grants(None, v, "", "nodes", "proxy");
        if let Some(all) = g.all {
            out.push((
                Node::AnyHost,
                step(
                    Technique::NodeProxy,
                    None,
                    vec![permission(v, "", "nodes", "proxy")],
                    vec![all],
                ),
            ));
            break;
        }
        for (name, ground) in g.named {
            out.push((
                Node::Host(name.to_string()),
                step(
                    Technique::NodeProxy,
                    None,
                    vec![format!("{v} nodes/proxy {name}")],
                    vec![ground],
                ),
            ));
        }
    }
    // Admission webhooks see, and may rewrite, every request.
    'webhooks: for resource in [
        "mutatingwebhookconfigurations",
        "validatingwebhookconfigurations",
    ] {
        for v in ["create", "update", "patch"] {
            let g = holder.grants(None, v, ADMISSION_GROUP, resource, "");
            let found = match g.all {
                Some(all) => Some((permission(v, ADMISSION_GROUP, resource, ""), all)),
                None if v != "create" => g.named.into_iter().next().map(|(n, g)| {
                    (
                        format!("{} {n}", permission(v, ADMISSION_GROUP, resource, "")),
                        g,
                    )
                }),
                None => None,
            };
            if let Some((perm, ground)) = found {
                out.push((
                    Node::ClusterAdmin,
                    step(Technique::AdmissionWebhook, None, vec![perm], vec![ground]),
                ));
                break 'webhooks;
            }
        }
    }
}
