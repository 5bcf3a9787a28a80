//! Rating one grant against the worth known so far: the template's
//! severity for its scope, raised by the riskiest target a full grant
//! reaches, or set by what the named objects of a `resourceNames` grant
//! carry, under the names policy of the permission it met.

use foldhash::{HashMap, HashMapExt};
use std::collections::BTreeSet;

use super::{Rated, RatedTarget, Worth, target};
use crate::access::Access;
use crate::access::matching::{Met, Satisfied};
use crate::rbac::subjects::MASTERS;
use crate::rbac::{RoleId, Scope, SubjectId};
use crate::snapshot::pod::PodsByName;
use crate::snapshot::{Kind, SERVICE_ACCOUNT_NAME_ANNOTATION, Snapshot};
use crate::template::{NamesPolicy, Probe, RiskRule, Severity, TargetKind, Template};
use crate::workloads::exposure::PodExposure;
use crate::workloads::tokens::ServiceAccountRef;

/// The prefix of a ServiceAccount's user name.
const SERVICE_ACCOUNT_USER_PREFIX: &str = "system:serviceaccount:";

/// Indexes to find named objects, built once per rating.
pub(super) struct Index<'s> {
    /// Subjects by id: their index in [`Access::subjects`].
    pub(super) subject: HashMap<&'s SubjectId, usize>,
    /// ServiceAccount subjects by (namespace, name).
    pub(super) service_account: HashMap<(&'s str, &'s str), usize>,
    /// ServiceAccount subjects by name, in every namespace.
    service_accounts_by_name: HashMap<&'s str, Vec<usize>>,
    /// Pods by name, in every namespace.
    pods_by_name: PodsByName<'s>,
    /// Legacy token secrets by (namespace, name): the ServiceAccount they carry.
    pub(super) token_secrets: HashMap<(&'s str, &'s str), SubjectId>,
    /// Legacy token secrets by name: their namespaces.
    token_secrets_by_name: HashMap<&'s str, Vec<&'s str>>,
    /// By pod index: the one ServiceAccount whose tokens it exposes to the
    /// API server, when there is exactly one.
    pub(super) pod_owner: Vec<Option<SubjectId>>,
    /// Roles and ClusterRoles by (kind, namespace, name).
    role: HashMap<(Kind, &'s str, &'s str), RoleId>,
    /// Roles and ClusterRoles by (kind, name), in every namespace.
    roles_by_name: HashMap<(Kind, &'s str), Vec<RoleId>>,
    /// The group `system:authenticated`, which every user is in.
    authenticated: Option<usize>,
}

impl<'s> Index<'s> {
    pub(super) fn of(
        access: &'s Access<'_>,
        snapshot: &'s Snapshot,
        exposures: &[PodExposure<'_>],
    ) -> Index<'s> {
        // The identities and roles on one core, the pods and token Secrets
        // on the other.
        let (
            (subject, service_account, service_accounts_by_name, role, roles_by_name),
            (pods_by_name, token_secrets, token_secrets_by_name, pod_owner),
        ) = crate::cores::join(
            || {
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
                (
                    subject,
                    service_account,
                    service_accounts_by_name,
                    role,
                    roles_by_name,
                )
            },
            || {
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
                let pod_owner = (exposures.iter())
                    .map(|p| {
                        // One owner: every token is the first one's.
                        let mut tokens = p.api_tokens();
                        let first: &ServiceAccountRef = tokens.next()?;
                        tokens.all(|t| t == first).then(|| first.subject())
                    })
                    .collect();
                (
                    pods_by_name,
                    token_secrets,
                    token_secrets_by_name,
                    pod_owner,
                )
            },
        );
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
            pod_owner,
            role,
            roles_by_name,
            authenticated,
        }
    }
}

/// Rates grants against the worth computed so far.
pub(super) struct Rater<'a, 's> {
    /// The risk rules and their severities.
    template: &'a Template,
    /// What every subject, binding and role holds.
    access: &'a Access<'s>,
    /// The objects named grants may reach.
    snapshot: &'s Snapshot,
    /// Namespaces whose grants are rated as privileged.
    privileged: &'a BTreeSet<String>,
    /// Where named objects are found.
    index: &'a Index<'s>,
    /// What objects are worth so far.
    worth: &'a Worth,
}

/// What every rating reads besides the worth, gathered once.
pub(super) struct Inputs<'a, 's> {
    /// The risk rules and their severities.
    pub(super) template: &'a Template,
    /// What every subject, binding and role holds.
    pub(super) access: &'a Access<'s>,
    /// The objects named grants may reach.
    pub(super) snapshot: &'s Snapshot,
    /// Namespaces whose grants are rated as privileged.
    pub(super) privileged: &'a BTreeSet<String>,
    /// Where named objects are found.
    pub(super) index: &'a Index<'s>,
}

impl<'a, 's> Inputs<'a, 's> {
    /// A rater against `worth`.
    pub(super) fn rater(&self, worth: &'a Worth) -> Rater<'a, 's> {
        Rater {
            template: self.template,
            access: self.access,
            snapshot: self.snapshot,
            privileged: self.privileged,
            index: self.index,
            worth,
        }
    }
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
    pub(super) fn rate(
        &self,
        risk: usize,
        scope: &Scope,
        sat: &Satisfied,
        holders: &[&SubjectId],
    ) -> Rated {
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
                    // A ServiceAccount's user name is impersonated through
                    // `serviceaccounts` (the API server asks for that, not
                    // for `users`): a `users` grant of it gives nothing.
                    let (worth, is_own) = match sa_of_user_name(name) {
                        Some(_) => (None, false),
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
    pub(super) fn role_targets(
        &self,
        probe: &Probe,
        name: &str,
        scope: &Scope,
    ) -> Vec<(RoleId, Scope)> {
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

/// The ServiceAccount a user name `system:serviceaccount:<ns>:<name>` stands for.
fn sa_of_user_name(user: &str) -> Option<SubjectId> {
    let rest = user.strip_prefix(SERVICE_ACCOUNT_USER_PREFIX)?;
    let (namespace, name) = rest.split_once(':')?;
    Some(SubjectId::ServiceAccount {
        namespace: namespace.into(),
        name: name.into(),
    })
}
