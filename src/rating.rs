//! Rating: how severe each grant is, and what each subject, pod and node is
//! worth to whoever takes it.
//!
//! A risk rule met for every object name is rated by the template's
//! severity for its scope (cluster-wide, a privileged namespace, any other
//! namespace). A rule met only for named objects (`resourceNames`) is rated
//! by the names policy of the template permission it met (see
//! [`NamesPolicy`]): narrow (LOW), unlimited (as a full grant), dangerous for
//! some names only, or by what the named objects carry. `kubectl exec debug`
//! on a pod whose token is cluster-admin is cluster-admin; a token request
//! for a ServiceAccount is worth that ServiceAccount's permissions. A full
//! grant of such a permission is rated at least as high as the riskiest such
//! object in its scope.
//!
//! What an object is worth depends on other grants (a ServiceAccount that
//! can exec into a pod whose token can request another ServiceAccount's
//! token ...), so worth is computed to a fixed point: every value only ever
//! rises, among four levels, so the iteration ends.
//!
//! Worth: a subject is worth the highest severity of its risks; a pod the
//! worth of the tokens the API server accepts from it, one level more when
//! it can escape to its node, and at least what the node holds then; a node
//! the worth of every token its pods expose (the kubelet can read them); a
//! legacy token secret its ServiceAccount's; a Role or ClusterRole what it
//! grants where it would be bound; the group `system:masters` is
//! cluster-admin. Pure: no I/O.

use foldhash::{HashMap, HashMapExt};
use std::collections::BTreeSet;

use serde::Serialize;

use crate::access::matching::{Met, Satisfied};
use crate::access::{Access, RiskAccess, Risks};
use crate::pods::exposure::PodExposure;
use crate::pods::tokens::ServiceAccountRef;
use crate::rbac::subjects::MASTERS;
use crate::rbac::{RoleId, Scope, SubjectId};
use crate::snapshot::pod::PodsByName;
use crate::snapshot::{Kind, SERVICE_ACCOUNT_NAME_ANNOTATION, Snapshot};
use crate::template::{NamesPolicy, Probe, RiskRule, Severity, TargetKind, Template};

/// The prefix of a ServiceAccount's user name.
const SERVICE_ACCOUNT_USER_PREFIX: &str = "system:serviceaccount:";

/// An object a grant was rated by, and what it is worth.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RatedTarget {
    /// Its kind.
    pub kind: TargetKind,
    /// Its namespace; empty for cluster-scoped objects.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    /// Its name.
    pub name: String,
    /// What it is worth; absent when it carries no risk, or is not in the snapshot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    /// Whether it exists in the snapshot.
    pub found: bool,
    /// Whether objects of its kind were not read at all (Secrets without
    /// `--secret-metadata`, a kind that could not be listed): then what it
    /// holds, or whether it exists, is unknown.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub unlisted: bool,
    /// Whether it is the holder's own (its own ServiceAccount, a pod or a
    /// legacy token that carries only that ServiceAccount): reaching it gains
    /// nothing, so it does not count.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub own: bool,
}

impl std::fmt::Display for RatedTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ", self.kind.as_str())?;
        if !self.namespace.is_empty() {
            write!(f, "{}/", self.namespace)?;
        }
        f.write_str(&self.name)?;
        match (self.found, self.severity) {
            (false, _) if self.unlisted => write!(f, " ({}s not read)", self.kind.as_str()),
            (false, _) => f.write_str(" (not in the snapshot)"),
            _ if self.own => f.write_str(" (its own)"),
            (true, Some(s)) => write!(f, " ({s})"),
            (true, None) => f.write_str(" (no risk)"),
        }
    }
}

/// One grant, rated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rated {
    /// How severe it is.
    pub severity: Severity,
    /// The objects that set it, for grants rated by what objects carry.
    pub targets: Vec<RatedTarget>,
}

/// One risk of a subject, rated across the scopes where it holds.
#[derive(Debug, Clone)]
pub struct RatedRisk {
    /// Index of the risk rule in the template.
    pub risk: usize,
    /// The highest rating over the chosen scopes.
    pub severity: Severity,
    /// Indices into the risk's [`RiskAccess::scopes`] the finding reports:
    /// the scopes where it holds for every name, and those where it holds
    /// for named objects only when they are rated higher.
    pub scopes: Vec<usize>,
    /// Whether every chosen scope holds it for named objects only.
    pub narrowed: bool,
    /// The objects that set the rating.
    pub targets: Vec<RatedTarget>,
}

/// Everything rated.
#[derive(Debug, Clone)]
pub struct Ratings {
    /// By subject (as in [`Access::subjects`]): its risks, rated, in template order.
    pub subjects: Vec<Vec<RatedRisk>>,
    /// By binding id: its risks (as in [`Access::bindings`]), rated.
    pub bindings: Vec<Vec<Rated>>,
    /// By role id: its risks (as in [`Access::roles`]), rated.
    pub roles: Vec<Vec<Rated>>,
    /// What subjects, pods and nodes are worth.
    pub worth: Worth,
}

impl Ratings {
    /// The highest severity of a binding's risks.
    pub fn binding_severity(&self, binding: usize) -> Option<Severity> {
        self.bindings[binding].iter().map(|r| r.severity).max()
    }

    /// The highest severity of a role's risks (bound where it applies on its own).
    pub fn role_severity(&self, role: RoleId) -> Option<Severity> {
        self.roles[role.0].iter().map(|r| r.severity).max()
    }
}

/// What subjects, pods and nodes are worth.
#[derive(Debug, Clone, Default)]
pub struct Worth {
    /// By subject index in [`Access::subjects`].
    subjects: Vec<Option<Severity>>,
    /// By pod index in the snapshot.
    pods: Vec<Option<Severity>>,
    /// By node name.
    nodes: HashMap<String, Option<Severity>>,
    /// (role, scope) pairs that named `bind` grants target, and their worth there.
    roles: HashMap<(RoleId, Scope), Option<Severity>>,
    /// The riskiest ServiceAccount, pod, token secret and node, cluster-wide
    /// (under `""`) and per namespace, for full grants rated by targets: the two
    /// riskiest with different owners, so that a holder's own can be passed over.
    riskiest: HashMap<TargetKind, Riskiest>,
}

/// A target for full grants, with the ServiceAccount whose token it carries
/// when it carries exactly one.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Candidate {
    target: RatedTarget,
    owner: Option<SubjectId>,
}

impl Worth {
    /// What a pod (by snapshot index) is worth.
    pub fn pod(&self, index: usize) -> Option<Severity> {
        self.pods.get(index).copied().flatten()
    }

    /// What a node is worth.
    pub fn node(&self, name: &str) -> Option<Severity> {
        self.nodes.get(name).copied().flatten()
    }
}

/// Indexes to find named objects.
struct Index<'s> {
    subject: HashMap<&'s SubjectId, usize>,
    /// ServiceAccount subjects by (namespace, name).
    service_account: HashMap<(&'s str, &'s str), usize>,
    service_accounts_by_name: HashMap<&'s str, Vec<usize>>,
    pods_by_name: PodsByName<'s>,
    token_secrets: HashMap<(&'s str, &'s str), SubjectId>,
    token_secrets_by_name: HashMap<&'s str, Vec<&'s str>>,
    /// By pod index: the one ServiceAccount whose tokens it exposes to the
    /// API server, when there is exactly one.
    pod_owner: Vec<Option<SubjectId>>,
    role: HashMap<(Kind, &'s str, &'s str), RoleId>,
    roles_by_name: HashMap<(Kind, &'s str), Vec<RoleId>>,
    authenticated: Option<usize>,
}

impl<'s> Index<'s> {
    fn of(
        access: &'s Access<'_>,
        snapshot: &'s Snapshot,
        exposures: &[PodExposure<'_>],
    ) -> Index<'s> {
        let mut subject = HashMap::new();
        let mut service_account = HashMap::new();
        let mut service_accounts_by_name: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, s) in access.subjects.iter().enumerate() {
            subject.insert(&s.subject, i);
            if let SubjectId::ServiceAccount { namespace, name } = &s.subject {
                service_account.insert((namespace.as_str(), name.as_str()), i);
                service_accounts_by_name.entry(name).or_default().push(i);
            }
        }
        let pods_by_name = PodsByName::of(&snapshot.pods);
        let token_secrets: HashMap<(&str, &str), SubjectId> = snapshot
            .secrets
            .iter()
            .filter_map(|s| {
                let ns = s.metadata.namespace.as_deref()?;
                let sa = s
                    .metadata
                    .annotations
                    .as_ref()?
                    .get(SERVICE_ACCOUNT_NAME_ANNOTATION)?;
                Some((
                    (ns, s.metadata.name.as_deref()?),
                    SubjectId::ServiceAccount {
                        namespace: ns.to_string(),
                        name: sa.clone(),
                    },
                ))
            })
            .collect();
        let mut token_secrets_by_name: HashMap<&str, Vec<&str>> = HashMap::new();
        for (ns, name) in token_secrets.keys() {
            token_secrets_by_name.entry(name).or_default().push(ns);
        }
        let mut role = HashMap::new();
        let mut roles_by_name: HashMap<(Kind, &str), Vec<RoleId>> = HashMap::new();
        for (i, r) in access.rbac.roles.iter().enumerate() {
            role.insert(
                (r.key.kind, r.key.namespace.as_str(), r.key.name.as_str()),
                RoleId(i),
            );
            roles_by_name
                .entry((r.key.kind, r.key.name.as_str()))
                .or_default()
                .push(RoleId(i));
        }
        let authenticated = access.subjects.iter().position(|s| {
            matches!(&s.subject, SubjectId::Group { name } if name == crate::rbac::subjects::AUTHENTICATED)
        });
        Index {
            subject,
            service_account,
            service_accounts_by_name,
            pods_by_name,
            token_secrets,
            token_secrets_by_name,
            pod_owner: exposures
                .iter()
                .map(|p| {
                    // One owner: every token is the first one's.
                    let mut tokens = p.api_tokens();
                    let first: &ServiceAccountRef = tokens.next()?;
                    tokens.all(|t| t == first).then(|| first.subject())
                })
                .collect(),
            role,
            roles_by_name,
            authenticated,
        }
    }
}

/// Rates grants against the worth computed so far.
struct Rater<'a, 's> {
    template: &'a Template,
    access: &'a Access<'s>,
    snapshot: &'s Snapshot,
    privileged: &'a BTreeSet<String>,
    index: &'a Index<'s>,
    worth: &'a Worth,
}

impl Rater<'_, '_> {
    /// The template's severity of `risk` in `scope`.
    fn base(&self, risk: &RiskRule, scope: &Scope) -> Severity {
        match scope {
            Scope::Cluster => risk.severity.cluster,
            Scope::Namespace(ns) if self.privileged.contains(ns) => {
                risk.severity.privileged_namespace
            }
            Scope::Namespace(_) => risk.severity.namespace,
        }
    }

    /// Rates `sat`, risk rule `risk` met in `scope`. The rule holds as much
    /// as its weakest requirement allows: a requirement met for every name
    /// allows the scope's severity (or more, for a permission rated by
    /// targets, when a riskier one is in scope); one met for named objects
    /// only allows what those names are worth under the permission's policy.
    /// `holders` are the subjects the grant is theirs (none for a role on
    /// its own): their own objects do not count.
    fn rate(&self, risk: usize, scope: &Scope, sat: &Satisfied, holders: &[&SubjectId]) -> Rated {
        let rule = &self.template.rules[risk];
        let base = self.base(rule, scope);
        let mut severity = Severity::Critical;
        let mut targets = Vec::new();
        for (req, met) in rule.requires.iter().zip(&sat.met) {
            let ceiling = match met {
                Met::All { probes } => {
                    let mut c = base;
                    for &p in probes {
                        if let NamesPolicy::Target(kind) = req.any_of[p].names()
                            && let Some(t) = self.riskiest(*kind, scope, holders)
                            && t.severity > Some(c)
                        {
                            c = t.severity.unwrap_or(c);
                            targets.push(t);
                        }
                    }
                    c
                }
                Met::Named { grants } => {
                    let mut c = Severity::Low;
                    for (p, names) in grants {
                        let probe = &req.any_of[*p];
                        let v = match probe.names() {
                            NamesPolicy::Narrow => Severity::Low,
                            NamesPolicy::Unlimited => base,
                            NamesPolicy::Dangerous(set)
                                if names.iter().any(|n| set.contains(n)) =>
                            {
                                base
                            }
                            NamesPolicy::Dangerous(_) => Severity::Low,
                            NamesPolicy::Target(kind) => {
                                let found = self.named(*kind, probe, names, scope, holders);
                                let v = found
                                    .iter()
                                    .filter(|t| !t.own)
                                    .filter_map(|t| t.severity)
                                    .max();
                                targets.extend(found);
                                v.unwrap_or(Severity::Low).max(Severity::Low)
                            }
                        };
                        c = c.max(v);
                    }
                    c
                }
            };
            severity = severity.min(ceiling);
        }
        targets.sort();
        targets.dedup();
        Rated { severity, targets }
    }

    fn subject_worth(&self, subject: &SubjectId) -> Option<Severity> {
        self.index
            .subject
            .get(subject)
            .and_then(|&i| self.worth.subjects[i])
    }

    /// The objects of `kind` named `names` that `probe` reaches in `scope`.
    fn named(
        &self,
        kind: TargetKind,
        probe: &Probe,
        names: &BTreeSet<String>,
        scope: &Scope,
        holders: &[&SubjectId],
    ) -> Vec<RatedTarget> {
        let in_scope = |ns: &str| match scope {
            Scope::Cluster => true,
            Scope::Namespace(s) => s == ns,
        };
        let own = |owner: Option<&SubjectId>| owner.is_some_and(|o| holders.contains(&o));
        let mut out: Vec<RatedTarget> = Vec::new();
        for name in names {
            let before = out.len();
            match kind {
                TargetKind::ServiceAccount => {
                    for &i in self
                        .index
                        .service_accounts_by_name
                        .get(name.as_str())
                        .into_iter()
                        .flatten()
                    {
                        let subject = &self.access.subjects[i].subject;
                        if let SubjectId::ServiceAccount { namespace, .. } = subject
                            && in_scope(namespace)
                        {
                            let mut t = target(kind, namespace, name, self.worth.subjects[i]);
                            t.own = own(Some(subject));
                            out.push(t);
                        }
                    }
                }
                TargetKind::Pod => {
                    for (ns, i) in self.index.pods_by_name.named(name) {
                        if in_scope(ns) {
                            let mut t = target(kind, ns, name, self.worth.pod(i));
                            t.own = own(self.index.pod_owner[i].as_ref());
                            out.push(t);
                        }
                    }
                }
                TargetKind::User => {
                    let (worth, is_own) = match sa_of_user_name(name) {
                        Some(sa) => (self.subject_worth(&sa), own(Some(&sa))),
                        None => {
                            let user = SubjectId::User { name: name.clone() };
                            let worth = self.subject_worth(&user).max(
                                self.index
                                    .authenticated
                                    .and_then(|i| self.worth.subjects[i]),
                            );
                            (worth, own(Some(&user)))
                        }
                    };
                    let mut t = target(kind, "", name, worth);
                    t.own = is_own;
                    out.push(t);
                }
                TargetKind::Group => {
                    let worth = if name == MASTERS {
                        Some(Severity::Critical)
                    } else {
                        self.subject_worth(&SubjectId::Group { name: name.clone() })
                    };
                    out.push(target(kind, "", name, worth));
                }
                TargetKind::Secret => {
                    let namespaces = self.index.token_secrets_by_name.get(name.as_str());
                    for ns in namespaces.into_iter().flatten().filter(|ns| in_scope(ns)) {
                        let sa = &self.index.token_secrets[&(*ns, name.as_str())];
                        let mut t = target(kind, ns, name, self.subject_worth(sa));
                        t.own = own(Some(sa));
                        out.push(t);
                    }
                }
                TargetKind::Node => {
                    if let Some(w) = self.worth.nodes.get(name.as_str()) {
                        out.push(target(kind, "", name, *w));
                    }
                }
                TargetKind::Role => {
                    for (role, role_scope) in self.role_targets(probe, name, scope) {
                        let key = &self.access.rbac.role(role).key;
                        let worth = self.worth.roles.get(&(role, role_scope)).copied().flatten();
                        out.push(target(kind, &key.namespace, name, worth));
                    }
                }
            }
            if out.len() == before {
                let ns = match scope {
                    Scope::Namespace(ns)
                        if !matches!(
                            kind,
                            TargetKind::User | TargetKind::Group | TargetKind::Node
                        ) =>
                    {
                        ns.as_str()
                    }
                    _ => "",
                };
                let coverage = &self.snapshot.coverage;
                let unlisted = match kind {
                    TargetKind::Secret => !coverage.has(Kind::Secret),
                    TargetKind::Pod | TargetKind::Node => !coverage.has(Kind::Pod),
                    TargetKind::ServiceAccount => !coverage.has(Kind::ServiceAccount),
                    TargetKind::Role => {
                        !coverage.has(Kind::Role) || !coverage.has(Kind::ClusterRole)
                    }
                    TargetKind::User | TargetKind::Group => false,
                };
                out.push(RatedTarget {
                    kind,
                    namespace: ns.to_string(),
                    name: name.clone(),
                    severity: None,
                    found: false,
                    unlisted,
                    own: false,
                });
            }
        }
        out
    }

    /// The roles a `bind` (or `escalate`) grant named `name` reaches in
    /// `scope`, each with the scope it would be bound in.
    fn role_targets(&self, probe: &Probe, name: &str, scope: &Scope) -> Vec<(RoleId, Scope)> {
        let Probe::Resource { resource, .. } = probe else {
            return Vec::new();
        };
        match (resource.as_str(), scope) {
            ("clusterroles", _) => self
                .index
                .role
                .get(&(Kind::ClusterRole, "", name))
                .map(|&r| vec![(r, scope.clone())])
                .unwrap_or_default(),
            ("roles", Scope::Namespace(ns)) => self
                .index
                .role
                .get(&(Kind::Role, ns.as_str(), name))
                .map(|&r| vec![(r, scope.clone())])
                .unwrap_or_default(),
            ("roles", Scope::Cluster) => self
                .index
                .roles_by_name
                .get(&(Kind::Role, name))
                .into_iter()
                .flatten()
                .map(|&r| (r, self.access.home_scope(r)))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The riskiest object of `kind` in `scope` that is not the holders'
    /// own, for a full grant.
    fn riskiest(
        &self,
        kind: TargetKind,
        scope: &Scope,
        holders: &[&SubjectId],
    ) -> Option<RatedTarget> {
        let ns = match scope {
            Scope::Cluster => "",
            Scope::Namespace(ns) => ns.as_str(),
        };
        self.worth
            .riskiest
            .get(&kind)?
            .get(ns)?
            .iter()
            .find(|c| c.owner.as_ref().is_none_or(|o| !holders.contains(&o)))
            .map(|c| c.target.clone())
    }
}

/// The riskiest objects of one kind: cluster-wide under `""`, and per namespace.
type Riskiest = HashMap<String, Vec<Candidate>>;

/// Fills [`Worth::riskiest`] from the worth of subjects, pods and nodes.
fn index_riskiest(worth: &mut Worth, access: &Access<'_>, snapshot: &Snapshot, index: &Index<'_>) {
    let mut table: HashMap<TargetKind, Riskiest> = HashMap::new();
    for (i, s) in access.subjects.iter().enumerate() {
        if let SubjectId::ServiceAccount { namespace, name } = &s.subject {
            let t = (
                TargetKind::ServiceAccount,
                namespace.as_str(),
                name.as_str(),
            );
            offer(&mut table, t, worth.subjects[i], Some(&s.subject));
        }
    }
    for (i, p) in snapshot.pods.iter().enumerate() {
        let ns = p.metadata.namespace.as_deref().unwrap_or("");
        let name = p.metadata.name.as_deref().unwrap_or("");
        let owner = index.pod_owner[i].as_ref();
        offer(&mut table, (TargetKind::Pod, ns, name), worth.pod(i), owner);
    }
    for ((ns, name), sa) in &index.token_secrets {
        let w = index.subject.get(sa).and_then(|&i| worth.subjects[i]);
        offer(&mut table, (TargetKind::Secret, ns, name), w, Some(sa));
    }
    for (name, w) in &worth.nodes {
        offer(&mut table, (TargetKind::Node, "", name), *w, None);
    }
    worth.riskiest = table;
}

/// Offers an object (kind, namespace, name) worth `severity` to the riskiest
/// of its kind, cluster-wide and in its namespace. Each keeps the two first
/// with different owners, riskiest first and, among equals, by namespace
/// and name, so that the choice does not depend on the order objects are
/// offered in. Nothing is copied for an object that is not kept.
fn offer(
    table: &mut HashMap<TargetKind, Riskiest>,
    (kind, namespace, name): (TargetKind, &str, &str),
    severity: Option<Severity>,
    owner: Option<&SubjectId>,
) {
    if severity.is_none() {
        return;
    }
    let offered = (std::cmp::Reverse(severity), namespace, name);
    fn rank(c: &Candidate) -> (std::cmp::Reverse<Option<Severity>>, &str, &str) {
        let t = &c.target;
        (std::cmp::Reverse(t.severity), &t.namespace, &t.name)
    }
    let by_namespace = table.entry(kind).or_default();
    let scopes: &[&str] = if namespace.is_empty() {
        &[""]
    } else {
        &["", namespace]
    };
    for &ns in scopes {
        let top = match by_namespace.get_mut(ns) {
            Some(top) => top,
            None => by_namespace.entry(ns.to_string()).or_default(),
        };
        match top
            .iter()
            .position(|c| c.owner.is_some() && c.owner.as_ref() == owner)
        {
            Some(i) if rank(&top[i]) <= offered => continue,
            Some(i) => {
                top.remove(i);
            }
            None => {}
        }
        if top.len() >= 2 && top.iter().all(|c| rank(c) <= offered) {
            continue;
        }
        top.push(Candidate {
            target: target(kind, namespace, name, severity),
            owner: owner.cloned(),
        });
        top.sort_by(|a, b| rank(a).cmp(&rank(b)));
        top.truncate(2);
    }
}

fn target(
    kind: TargetKind,
    namespace: &str,
    name: &str,
    severity: Option<Severity>,
) -> RatedTarget {
    RatedTarget {
        kind,
        namespace: namespace.to_string(),
        name: name.to_string(),
        severity,
        found: true,
        unlisted: false,
        own: false,
    }
}

/// The ServiceAccount a user name `system:serviceaccount:<ns>:<name>` stands for.
fn sa_of_user_name(user: &str) -> Option<SubjectId> {
    let rest = user.strip_prefix(SERVICE_ACCOUNT_USER_PREFIX)?;
    let (namespace, name) = rest.split_once(':')?;
    Some(SubjectId::ServiceAccount {
        namespace: namespace.into(),
        name: name.into(),
    })
}

/// One level up, at most CRITICAL.
pub fn raise(s: Severity) -> Severity {
    match s {
        Severity::Low => Severity::Medium,
        Severity::Medium => Severity::High,
        Severity::High | Severity::Critical => Severity::Critical,
    }
}

/// Rates everything in `access`, with `exposures` for what pods and nodes hold.
pub fn rate(
    snapshot: &Snapshot,
    template: &Template,
    access: &Access<'_>,
    exposures: &[PodExposure<'_>],
    privileged: &BTreeSet<String>,
) -> Ratings {
    let index = Index::of(access, snapshot, exposures);
    // Roles that named `bind` grants reach, and where they would be bound.
    let mut role_pairs: BTreeSet<(RoleId, Scope)> = BTreeSet::new();
    {
        let worth = Worth::default();
        let rater = Rater {
            template,
            access,
            snapshot,
            privileged,
            index: &index,
            worth: &worth,
        };
        let mut collect = |risk: usize, scope: &Scope, sat: &Satisfied| {
            let rule = &template.rules[risk];
            for (req, met) in rule.requires.iter().zip(&sat.met) {
                if let Met::Named { grants } = met {
                    for (p, names) in grants {
                        let probe = &req.any_of[*p];
                        if probe.names() == &NamesPolicy::Target(TargetKind::Role) {
                            for n in names {
                                role_pairs.extend(rater.role_targets(probe, n, scope));
                            }
                        }
                    }
                }
            }
        };
        for s in &access.subjects {
            for r in &s.risks {
                for (scope, sat) in &r.scopes {
                    collect(r.risk, scope, sat);
                }
            }
        }
        for (b, risks) in access.bindings.iter().enumerate() {
            let scope = access.rbac.bindings[b].scope.clone();
            for (risk, sat) in risks {
                collect(*risk, &scope, sat);
            }
        }
        for (r, risks) in access.roles.iter().enumerate() {
            let scope = access.home_scope(RoleId(r));
            for (risk, sat) in risks {
                collect(*risk, &scope, sat);
            }
        }
    }
    let role_risks: Vec<((RoleId, Scope), Risks)> = role_pairs
        .into_iter()
        .map(|(r, s)| {
            let risks = access.role_risks(template, r, &s);
            ((r, s), risks)
        })
        .collect();

    let mut worth = Worth {
        subjects: vec![None; access.subjects.len()],
        pods: vec![None; snapshot.pods.len()],
        nodes: HashMap::new(),
        roles: role_risks.iter().map(|(k, _)| (k.clone(), None)).collect(),
        riskiest: HashMap::new(),
    };
    // Subjects whose worth can change once others' is known: those with a
    // grant rated by targets. The others are rated once.
    let dependent: Vec<bool> = access
        .subjects
        .iter()
        .map(|s| s.risks.iter().any(|r| depends_on_targets(template, r)))
        .collect();
    // The subjects whose tokens each pod exposes, looked up once.
    let pod_tokens: Vec<Vec<usize>> = exposures
        .iter()
        .map(|p| {
            p.api_tokens()
                .filter_map(|sa| {
                    let key = (sa.namespace.as_str(), sa.name.as_str());
                    index.service_account.get(&key).copied()
                })
                .collect()
        })
        .collect();
    let placement = Placement::of(exposures);
    let mut first = true;
    // Each pass can only raise values, and there are four levels: the bound
    // is never reached in practice, and it keeps a mistake from hanging.
    let max_passes = 4 * (access.subjects.len() + snapshot.pods.len() + role_risks.len()) + 2;
    for _ in 0..max_passes {
        let rater = Rater {
            template,
            access,
            snapshot,
            privileged,
            index: &index,
            worth: &worth,
        };
        let mut next = worth.clone();
        for (i, s) in access.subjects.iter().enumerate() {
            if first || dependent[i] {
                let holders = [&s.subject];
                next.subjects[i] = s
                    .risks
                    .iter()
                    .flat_map(|r| {
                        r.scopes
                            .iter()
                            .map(|(sc, sat)| rater.rate(r.risk, sc, sat, &holders).severity)
                    })
                    .max();
            }
        }
        for ((role, scope), risks) in &role_risks {
            let v = risks
                .iter()
                .map(|(risk, sat)| rater.rate(*risk, scope, sat, &[]).severity)
                .max();
            next.roles.insert((*role, scope.clone()), v);
        }
        pods_and_nodes(&mut next, exposures, &pod_tokens, &placement);
        index_riskiest(&mut next, access, snapshot, &index);
        first = false;
        if next.subjects == worth.subjects
            && next.pods == worth.pods
            && next.nodes == worth.nodes
            && next.roles == worth.roles
            && next.riskiest == worth.riskiest
        {
            break;
        }
        worth = next;
    }

    let rater = Rater {
        template,
        access,
        snapshot,
        privileged,
        index: &index,
        worth: &worth,
    };
    let subjects = access
        .subjects
        .iter()
        .map(|s| {
            s.risks
                .iter()
                .map(|r| rate_subject_risk(&rater, &s.subject, r))
                .collect()
        })
        .collect();
    let bindings = access
        .bindings
        .iter()
        .enumerate()
        .map(|(b, risks)| {
            let binding = &access.rbac.bindings[b];
            let holders: Vec<&SubjectId> = binding.subjects.iter().collect();
            risks
                .iter()
                .map(|(risk, sat)| rater.rate(*risk, &binding.scope, sat, &holders))
                .collect()
        })
        .collect();
    let roles = access
        .roles
        .iter()
        .enumerate()
        .map(|(r, risks)| {
            let scope = access.home_scope(RoleId(r));
            risks
                .iter()
                .map(|(risk, sat)| rater.rate(*risk, &scope, sat, &[]))
                .collect()
        })
        .collect();
    Ratings {
        subjects,
        bindings,
        roles,
        worth,
    }
}

/// Whether a risk's rating can depend on what other objects are worth.
fn depends_on_targets(template: &Template, r: &RiskAccess) -> bool {
    template.rules[r.risk].requires.iter().any(|req| {
        req.any_of
            .iter()
            .any(|p| matches!(p.names(), NamesPolicy::Target(_)))
    })
}

/// The nodes pods are scheduled on, each once, and each pod's among them:
/// worked out once, so that a pass of the rating indexes a list instead of
/// looking up every pod's node by name.
struct Placement<'e> {
    /// Node names, sorted.
    nodes: Vec<&'e str>,
    /// By pod index: its node's position in `nodes`.
    of_pod: Vec<Option<usize>>,
}

impl<'e> Placement<'e> {
    fn of(exposures: &'e [PodExposure<'_>]) -> Self {
        let mut nodes: Vec<&str> = exposures.iter().filter_map(PodExposure::node).collect();
        nodes.sort_unstable();
        nodes.dedup();
        let of_pod = (exposures.iter())
            .map(|p| p.node().and_then(|n| nodes.binary_search(&n).ok()))
            .collect();
        Placement { nodes, of_pod }
    }
}

/// Pods and nodes from the subjects' worth: a node holds every token its
/// pods expose; a pod its own tokens, and, when it can escape to its node,
/// one level more and at least the node.
fn pods_and_nodes(
    worth: &mut Worth,
    exposures: &[PodExposure<'_>],
    tokens: &[Vec<usize>],
    placement: &Placement<'_>,
) {
    let token_worth =
        |worth: &Worth, i: usize| tokens[i].iter().filter_map(|&s| worth.subjects[s]).max();
    let mut nodes: Vec<Option<Severity>> = vec![None; placement.nodes.len()];
    for (i, node) in placement.of_pod.iter().enumerate() {
        if let &Some(n) = node {
            nodes[n] = nodes[n].max(token_worth(worth, i));
        }
    }
    for (i, p) in exposures.iter().enumerate() {
        let own = token_worth(worth, i);
        worth.pods[i] = if p.escapes() {
            own.map(raise)
                .max(placement.of_pod[i].and_then(|n| nodes[n]))
        } else {
            own
        };
    }
    worth.nodes.clear();
    (worth.nodes).extend(
        (placement.nodes.iter())
            .zip(nodes)
            .map(|(n, w)| (n.to_string(), w)),
    );
}

/// A subject's risk rated in each scope where it holds; the finding reports
/// the scopes where it holds for every name, plus the narrowed ones rated
/// higher than all of those.
fn rate_subject_risk(rater: &Rater<'_, '_>, subject: &SubjectId, r: &RiskAccess) -> RatedRisk {
    let rated: Vec<Rated> = r
        .scopes
        .iter()
        .map(|(scope, sat)| rater.rate(r.risk, scope, sat, &[subject]))
        .collect();
    let full_top = r
        .scopes
        .iter()
        .zip(&rated)
        .filter(|((_, sat), _)| sat.is_full())
        .map(|(_, x)| x.severity)
        .max();
    let scopes: Vec<usize> = r
        .scopes
        .iter()
        .zip(&rated)
        .enumerate()
        .filter(|(_, ((_, sat), x))| sat.is_full() || full_top.is_none_or(|top| x.severity > top))
        .map(|(i, _)| i)
        .collect();
    let narrowed = scopes.iter().all(|&i| !r.scopes[i].1.is_full());
    let severity = scopes
        .iter()
        .map(|&i| rated[i].severity)
        .max()
        .unwrap_or(Severity::Low);
    let mut targets: Vec<RatedTarget> = scopes
        .iter()
        .flat_map(|&i| rated[i].targets.iter().cloned())
        .collect();
    targets.sort();
    targets.dedup();
    RatedRisk {
        risk: r.risk,
        severity,
        scopes,
        narrowed,
        targets,
    }
}
