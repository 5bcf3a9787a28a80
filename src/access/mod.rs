//! Access: which risks of the template every subject, binding and role
//! holds, where, for which names, and through which rules, worked out once
//! from the resolved RBAC (`crate::rbac`) and the access graph.
//!
//! Nothing here says how bad a match is: a grant limited to named objects
//! may be worth little or everything, depending on what those objects carry,
//! which is the rating's business (`crate::rating`). Pure: no I/O.

pub mod abuse;
pub mod ask;
pub mod explain;
pub mod graph;
pub mod holdings;
pub mod matching;
pub mod paths;
pub mod query;
pub mod who_can;

use std::collections::BTreeMap;

use matching::{Profiler, RoleProfile, Satisfied, Source, satisfy};

use graph::{AccessGraph, Reach};

use crate::cores;
use crate::pods::exposure::PodExposure;
use crate::rbac::{BindingId, Rbac, RoleId, Scope, SubjectId};
use crate::snapshot::{Kind, Snapshot};
use crate::template::Template;

/// The risk rules a binding or role satisfies: (risk index, how).
pub type Risks = Vec<(usize, Satisfied)>;

/// One risk rule a holder satisfies, and where.
#[derive(Debug, Clone)]
pub struct RiskAccess {
    /// Index of the risk rule in the template.
    pub risk: usize,
    /// Each scope where it holds, and how. Cluster-wide first when it holds
    /// there; a namespace is listed only when the cluster-wide grants alone
    /// do not meet the rule for every name.
    pub scopes: Vec<(Scope, Satisfied)>,
}

/// Everything a subject holds.
#[derive(Debug, Clone)]
pub struct SubjectAccess {
    /// The user, group or ServiceAccount.
    pub subject: SubjectId,
    /// The bindings that reach it, directly or through its groups.
    pub reach: Vec<Reach>,
    /// The risks it holds, in template order.
    pub risks: Vec<RiskAccess>,
}

/// The access model of a snapshot.
#[derive(Debug)]
pub struct Access<'s> {
    /// Resolved roles and bindings.
    pub rbac: Rbac<'s>,
    /// One profile per role, by role id.
    pub profiles: Vec<RoleProfile<'s>>,
    /// Who is bound to what.
    pub graph: AccessGraph,
    /// Every subject that some binding reaches, sorted, with its risks.
    pub subjects: Vec<SubjectAccess>,
    /// By binding id: the risks its role grants in its scope.
    pub bindings: Vec<Risks>,
    /// By role id: the risks the role grants on its own, a ClusterRole as
    /// if bound cluster-wide, a Role in its namespace.
    pub roles: Vec<Risks>,
}

impl<'s> Access<'s> {
    /// Evaluates a snapshot against a template.
    pub fn build(
        snapshot: &'s Snapshot,
        template: &Template,
        exposures: &[PodExposure<'_>],
    ) -> Access<'s> {
        Access::build_resolved(snapshot, template, Rbac::resolve(snapshot), exposures)
    }

    /// Evaluates resolved RBAC against a template: the graph is built while
    /// the roles are matched against the template, on two cores.
    pub fn build_resolved(
        snapshot: &'s Snapshot,
        template: &Template,
        rbac: Rbac<'s>,
        exposures: &[PodExposure<'_>],
    ) -> Access<'s> {
        let (graph, profiles) = cores::join(
            || AccessGraph::build(snapshot, &rbac, exposures),
            || Access::profiles(&rbac, template),
        );
        Access::assemble(rbac, graph, profiles, template)
    }

    /// Evaluates resolved RBAC and its graph against a template.
    pub fn with(rbac: Rbac<'s>, graph: AccessGraph, template: &Template) -> Access<'s> {
        let profiles = Access::profiles(&rbac, template);
        Access::assemble(rbac, graph, profiles, template)
    }

    /// What each role matches of the template, by role id.
    fn profiles(rbac: &Rbac<'s>, template: &Template) -> Vec<RoleProfile<'s>> {
        let mut profiler = Profiler::new(template);
        (0..rbac.roles.len())
            .map(|i| profiler.profile(rbac, RoleId(i)))
            .collect()
    }

    /// The risks of every binding, role and subject, each independent of
    /// the others (worked out on every core).
    fn assemble(
        rbac: Rbac<'s>,
        graph: AccessGraph,
        profiles: Vec<RoleProfile<'s>>,
        template: &Template,
    ) -> Access<'s> {
        let mut access = Access {
            rbac,
            profiles,
            graph,
            subjects: Vec::new(),
            bindings: Vec::new(),
            roles: Vec::new(),
        };
        let bindings: Vec<BindingId> = (0..access.rbac.bindings.len()).map(BindingId).collect();
        let roles: Vec<RoleId> = (0..access.rbac.roles.len()).map(RoleId).collect();
        let subjects = access.graph.bound_subjects();
        let a = &access;
        let (bindings, (roles, subjects)) = cores::join(
            || cores::map(&bindings, 1024, |&b| a.binding_risks(template, b)),
            || {
                let roles: Vec<Risks> = roles
                    .iter()
                    .map(|&id| a.role_risks(template, id, &a.home_scope(id)))
                    .collect();
                (
                    roles,
                    cores::map(&subjects, 1024, |s| a.subject_access(template, s)),
                )
            },
        );
        access.bindings = bindings;
        access.roles = roles;
        access.subjects = subjects;
        access
    }

    /// Where a role applies on its own: a ClusterRole everywhere, a Role in
    /// its namespace.
    pub fn home_scope(&self, role: RoleId) -> Scope {
        let key = &self.rbac.role(role).key;
        match key.kind {
            Kind::ClusterRole => Scope::Cluster,
            _ => Scope::Namespace(key.namespace.clone()),
        }
    }

    /// The risks `role` grants when bound in `scope`.
    pub fn role_risks(&self, template: &Template, role: RoleId, scope: &Scope) -> Risks {
        let sources = [Source {
            binding: None,
            role,
            cluster_wide: *scope == Scope::Cluster,
        }];
        self.risks_of(template, &sources)
    }

    fn binding_risks(&self, template: &Template, binding: BindingId) -> Risks {
        let b = self.rbac.binding(binding);
        let Ok(role) = b.role else {
            return Vec::new();
        };
        let sources = [Source {
            binding: Some(binding),
            role,
            cluster_wide: b.scope == Scope::Cluster,
        }];
        self.risks_of(template, &sources)
    }

    fn risks_of(&self, template: &Template, sources: &[Source]) -> Risks {
        (0..template.rules.len())
            .filter(|&ri| sources.iter().any(|s| self.profiles[s.role.0].touches(ri)))
            .filter_map(|ri| Some((ri, satisfy(template, ri, sources, &self.profiles)?)))
            .collect()
    }

    /// A subject's risks: the union of everything every binding grants it
    /// (directly or through its implicit groups), per scope, so that a risk
    /// needing several permissions is found even when different bindings
    /// grant them. Cluster-wide grants apply in every namespace; a
    /// namespace's RoleBindings add to them there.
    fn subject_access(&self, template: &Template, subject: &SubjectId) -> SubjectAccess {
        let reach = self.graph.bindings_reaching(subject);
        let mut cluster: Vec<Source> = Vec::new();
        let mut by_ns: BTreeMap<&str, Vec<Source>> = BTreeMap::new();
        for r in &reach {
            let b = self.rbac.binding(r.binding);
            let Ok(role) = b.role else { continue };
            match &b.scope {
                Scope::Cluster => cluster.push(Source {
                    binding: Some(r.binding),
                    role,
                    cluster_wide: true,
                }),
                Scope::Namespace(ns) => by_ns.entry(ns).or_default().push(Source {
                    binding: Some(r.binding),
                    role,
                    cluster_wide: false,
                }),
            }
        }
        let mut risks = Vec::new();
        for ri in 0..template.rules.len() {
            let touched = cluster
                .iter()
                .chain(by_ns.values().flatten())
                .any(|s| self.profiles[s.role.0].touches(ri));
            if !touched {
                continue;
            }
            let mut scopes = Vec::new();
            let cluster_sat = satisfy(template, ri, &cluster, &self.profiles);
            let cluster_full = cluster_sat.as_ref().is_some_and(Satisfied::is_full);
            if let Some(sat) = cluster_sat {
                scopes.push((Scope::Cluster, sat));
            }
            if !cluster_full {
                for (ns, sources) in &by_ns {
                    let mut all = cluster.clone();
                    all.extend_from_slice(sources);
                    if let Some(sat) = satisfy(template, ri, &all, &self.profiles) {
                        scopes.push((Scope::Namespace(ns.to_string()), sat));
                    }
                }
            }
            if !scopes.is_empty() {
                risks.push(RiskAccess { risk: ri, scopes });
            }
        }
        SubjectAccess {
            subject: subject.clone(),
            reach,
            risks,
        }
    }

    /// The group a binding reaches `subject` through, if not directly.
    pub fn via_group(subject: &SubjectAccess, binding: BindingId) -> Option<String> {
        subject
            .reach
            .iter()
            .find(|r| r.binding == binding)
            .and_then(|r| r.via_group.clone())
    }
}
