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
//! token ...), so worth is computed to a fixed point. Each round rates the
//! subjects whose grants are rated by targets against the worth known so
//! far, then carries only the values that changed to what holds them. Every
//! value starts at nothing and only ever rises, among four levels, so the
//! rounds end; and since each value is a rising function of the others,
//! they end on the least fixed point whatever order the changes are carried
//! in.
//!
//! Worth: a subject is worth the highest severity of its risks; a pod the
//! worth of the tokens the API server accepts from it, one level more when
//! it can escape to its node, and at least what the node holds then; a node
//! the worth of every token its pods expose (the kubelet can read them); a
//! legacy token secret its ServiceAccount's; a Role or ClusterRole what it
//! grants where it would be bound; the group `system:masters` is
//! cluster-admin. Pure: no I/O.
//!
//! The work is split by concern: [`rater`] rates one grant against the
//! worth known so far; [`riskiest`] keeps the riskiest object of each kind
//! per namespace; [`spread`] carries a change of a subject's worth to the
//! pods, nodes and riskiest objects it reaches, so that each round of the
//! fixed point touches only what changed.

mod rater;
mod riskiest;
mod spread;

use foldhash::{HashMap, HashMapExt};
use std::collections::BTreeSet;

use serde::Serialize;

use crate::access::matching::{Met, Satisfied};
use crate::access::{Access, RiskAccess, Risks};
use crate::rbac::{RoleId, Scope, SubjectId};
use crate::snapshot::Snapshot;
use crate::template::{NamesPolicy, Severity, TargetKind, Template};
use crate::workloads::exposure::PodExposure;

use rater::{Index, Inputs, Rater};
use riskiest::Riskiest;
use spread::{Propagation, Spread};

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
    let inputs = Inputs {
        template,
        access,
        snapshot,
        privileged,
        index: &index,
    };
    // Roles that named `bind` grants reach, and where they would be bound.
    let mut role_pairs: BTreeSet<(RoleId, Scope)> = BTreeSet::new();
    {
        let worth = Worth::default();
        let rater = inputs.rater(&worth);
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

    let propagation = Propagation::of(access, exposures, &index);
    let mut worth = Worth {
        subjects: vec![None; access.subjects.len()],
        pods: vec![None; snapshot.pods.len()],
        nodes: (propagation.nodes.iter())
            .map(|n| (n.to_string(), None))
            .collect(),
        roles: role_risks.iter().map(|(k, _)| (k.clone(), None)).collect(),
        riskiest: HashMap::new(),
    };
    // Subjects whose worth can change once others' is known: those with a
    // grant rated by targets. The others are rated once, in the first round.
    let dependent: Vec<usize> = (access.subjects.iter().enumerate())
        .filter(|(_, s)| s.risks.iter().any(|r| depends_on_targets(template, r)))
        .map(|(i, _)| i)
        .collect();
    let mut spread = Spread::new(&propagation);
    let mut first = true;
    // Each round can only raise values, and there are four levels: the bound
    // is never reached in practice, and it keeps a mistake from hanging.
    let max_rounds = 4 * (access.subjects.len() + snapshot.pods.len() + role_risks.len()) + 2;
    for _ in 0..max_rounds {
        let rater = inputs.rater(&worth);
        let rate_subject = |i: usize| {
            let s = &access.subjects[i];
            let holders = [&s.subject];
            let v = (s.risks.iter())
                .flat_map(|r| {
                    (r.scopes.iter())
                        .map(|(sc, sat)| rater.rate(r.risk, sc, sat, &holders).severity)
                })
                .max();
            (v != worth.subjects[i]).then_some((i, v))
        };
        let subjects: Vec<(usize, Option<Severity>)> = if first {
            // Every subject, on every core.
            let all: Vec<usize> = (0..access.subjects.len()).collect();
            crate::cores::map(&all, 1024, |&i| rate_subject(i))
                .into_iter()
                .flatten()
                .collect()
        } else {
            dependent.iter().filter_map(|&i| rate_subject(i)).collect()
        };
        let roles: Vec<(&(RoleId, Scope), Option<Severity>)> = (role_risks.iter())
            .filter_map(|(key, risks)| {
                let v = (risks.iter())
                    .map(|(risk, sat)| rater.rate(*risk, &key.1, sat, &[]).severity)
                    .max();
                (worth.roles.get(key) != Some(&v)).then_some((key, v))
            })
            .collect();
        first = false;
        if subjects.is_empty() && roles.is_empty() {
            break;
        }
        for (key, v) in roles {
            worth.roles.insert(key.clone(), v);
        }
        for &(i, v) in &subjects {
            worth.subjects[i] = v;
        }
        spread.carry(&mut worth, &subjects, access, &index);
    }

    // The findings' ratings, on every core: each reads the settled worth.
    let rater = inputs.rater(&worth);
    let subjects = crate::cores::map(&access.subjects, 1024, |s| {
        (s.risks.iter())
            .map(|r| rate_subject_risk(&rater, &s.subject, r))
            .collect()
    });
    let ids: Vec<usize> = (0..access.bindings.len()).collect();
    let bindings = crate::cores::map(&ids, 1024, |&b| {
        let binding = &access.rbac.bindings[b];
        let holders: Vec<&SubjectId> = binding.subjects.iter().collect();
        (access.bindings[b].iter())
            .map(|(risk, sat)| rater.rate(*risk, &binding.scope, sat, &holders))
            .collect()
    });
    let ids: Vec<usize> = (0..access.roles.len()).collect();
    let roles = crate::cores::map(&ids, 1024, |&r| {
        let scope = access.home_scope(RoleId(r));
        (access.roles[r].iter())
            .map(|(risk, sat)| rater.rate(*risk, &scope, sat, &[]))
            .collect()
    });
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
