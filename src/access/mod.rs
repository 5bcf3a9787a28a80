//! Access: which risks of the template every subject, binding and role
//! holds, where, for which names, and through which rules, worked out once
//! from the resolved RBAC (`crate::rbac`) and the access graph.
//!
//! Nothing here says how bad a match is: a grant limited to named objects
//! may be worth little or everything, depending on what those objects carry,
//! which is the rating's business (`crate::rating`). Pure: no I/O.

pub mod cut;
pub mod explain;
pub mod graph;
pub mod holdings;
pub mod matching;
pub mod model;
pub mod paths;
pub mod pod_facts;
pub mod query;
pub mod techniques;
pub mod who_can;

use std::collections::BTreeMap;

use matching::{Profiler, RoleProfile, Satisfied, Source, satisfy};

use graph::AccessGraph;
use model::Reach;
use pod_facts::PodFacts;

use crate::cores;
use crate::operators::Live;
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

/// What the template finds in the roles alone: each role's profile, and
/// the risks of every binding and of every role on its own.
struct Matched<'s> {
    profiles: Vec<RoleProfile<'s>>,
    bindings: Vec<Risks>,
    roles: Vec<Risks>,
}

impl<'s> Matched<'s> {
    fn of(rbac: &Rbac<'s>, template: &Template) -> Matched<'s> {
        let mut profiler = Profiler::new(template);
        let profiles: Vec<RoleProfile> = (0..rbac.roles.len())
            .map(|i| profiler.profile(rbac, RoleId(i)))
            .collect();
        let bindings = (0..rbac.bindings.len())
            .map(|i| binding_risks(rbac, template, &profiles, BindingId(i)))
            .collect();
        let roles = (0..rbac.roles.len())
            .map(|i| {
                let id = RoleId(i);
                role_risks(template, &profiles, id, &home_scope(rbac, id))
            })
            .collect();
        Matched {
            profiles,
            bindings,
            roles,
        }
    }
}

/// Where a role applies on its own: a ClusterRole everywhere, a Role in
/// its namespace.
fn home_scope(rbac: &Rbac<'_>, role: RoleId) -> Scope {
    let key = &rbac.role(role).key;
    match key.kind {
        Kind::ClusterRole => Scope::Cluster,
        _ => Scope::Namespace(key.namespace.clone()),
    }
}

/// The risks `role` grants when bound in `scope`.
fn role_risks(
    template: &Template,
    profiles: &[RoleProfile<'_>],
    role: RoleId,
    scope: &Scope,
) -> Risks {
    let sources = [Source {
        binding: None,
        role,
        cluster_wide: *scope == Scope::Cluster,
    }];
    risks_of(template, profiles, &sources)
}

/// The risks a binding grants: its role's, in its scope.
fn binding_risks(
    rbac: &Rbac<'_>,
    template: &Template,
    profiles: &[RoleProfile<'_>],
    binding: BindingId,
) -> Risks {
    let b = rbac.binding(binding);
    let Ok(role) = b.role else {
        return Vec::new();
    };
    let sources = [Source {
        binding: Some(binding),
        role,
        cluster_wide: b.scope == Scope::Cluster,
    }];
    risks_of(template, profiles, &sources)
}

/// The template's risks that `sources` together satisfy.
fn risks_of(template: &Template, profiles: &[RoleProfile<'_>], sources: &[Source]) -> Risks {
    let mut risks: Risks = (0..template.rules.len())
        .filter(|&ri| sources.iter().any(|s| profiles[s.role.0].touches(ri)))
        .filter_map(|ri| Some((ri, satisfy(template, ri, sources, profiles)?)))
        .collect();
    // One list per role and per binding, kept for the whole analysis.
    risks.shrink_to_fit();
    risks
}

/// Builds the whole access graph: the RBAC index, the capability nodes with
/// each pod's tokens and escape, then the steps every technique finds
/// (`techniques`), then the memberships of implicit groups.
pub fn build_graph<P: PodFacts + Sync>(
    snapshot: &Snapshot,
    rbac: &Rbac<'_>,
    pods: &[P],
) -> AccessGraph {
    build_graph_with(snapshot, rbac, pods, &[])
}

/// [`build_graph`], with the steps through the live operators of the
/// catalog (see [`crate::operators`]).
pub fn build_graph_with<P: PodFacts + Sync>(
    snapshot: &Snapshot,
    rbac: &Rbac<'_>,
    pods: &[P],
    operators: &[Live],
) -> AccessGraph {
    // The techniques read the RBAC index alone: they run on every core
    // while the capability nodes' expansions are worked out, which are
    // added first, as if the steps had been found after them.
    let mut g = AccessGraph::rbac_index(snapshot, rbac, pods);
    let (expansions, steps) = cores::join(
        || g.expansions(snapshot, pods),
        || techniques::steps(&g, snapshot, rbac, operators),
    );
    // An expansion that added an identity (none does: every ServiceAccount
    // a pod or a token Secret names has its node already) would be one the
    // techniques had not seen.
    let again = expansions.add_subjects();
    g.add_expansions(expansions);
    let steps = if again {
        techniques::steps(&g, snapshot, rbac, operators)
    } else {
        steps
    };
    g.add_steps(steps);
    g.add_memberships();
    g
}

impl<'s> Access<'s> {
    /// Evaluates a snapshot against a template.
    pub fn build<P: PodFacts + Sync>(
        snapshot: &'s Snapshot,
        template: &Template,
        exposures: &[P],
    ) -> Access<'s> {
        Access::build_resolved(snapshot, template, Rbac::resolve(snapshot), exposures, &[])
    }

    /// Evaluates resolved RBAC against a template, on two cores: the graph
    /// is built while the roles are matched against the template and the
    /// risks of bindings and roles worked out (they need no graph).
    pub fn build_resolved<P: PodFacts + Sync>(
        snapshot: &'s Snapshot,
        template: &Template,
        rbac: Rbac<'s>,
        exposures: &[P],
        operators: &[Live],
    ) -> Access<'s> {
        let (graph, matched) = cores::join(
            || build_graph_with(snapshot, &rbac, exposures, operators),
            || Matched::of(&rbac, template),
        );
        Access::assemble(rbac, graph, matched, template)
    }

    /// Evaluates resolved RBAC and its graph against a template.
    pub fn with(rbac: Rbac<'s>, graph: AccessGraph, template: &Template) -> Access<'s> {
        let matched = Matched::of(&rbac, template);
        Access::assemble(rbac, graph, matched, template)
    }

    /// Adds the risks of every subject (on every core), which need the graph.
    fn assemble(
        rbac: Rbac<'s>,
        graph: AccessGraph,
        matched: Matched<'s>,
        template: &Template,
    ) -> Access<'s> {
        let mut access = Access {
            rbac,
            profiles: matched.profiles,
            graph,
            subjects: Vec::new(),
            bindings: matched.bindings,
            roles: matched.roles,
        };
        let subjects = access.graph.bound_subjects();
        let a = &access;
        access.subjects = cores::map(&subjects, 1024, |s| a.subject_access(template, s));
        access
    }

    /// Takes the graph out, leaving an empty one: for an analysis that
    /// hands the graph to what walks it and frees it before the rest of
    /// its work, which reads the risks alone.
    pub fn take_graph(&mut self) -> AccessGraph {
        std::mem::take(&mut self.graph)
    }

    /// Where a role applies on its own: a ClusterRole everywhere, a Role in
    /// its namespace.
    pub fn home_scope(&self, role: RoleId) -> Scope {
        home_scope(&self.rbac, role)
    }

    /// The risks `role` grants when bound in `scope`.
    pub fn role_risks(&self, template: &Template, role: RoleId, scope: &Scope) -> Risks {
        role_risks(template, &self.profiles, role, scope)
    }

    /// A subject's risks: the union of everything every binding grants it
    /// (directly or through its implicit groups), per scope, so that a risk
    /// needing several permissions is found even when different bindings
    /// grant them. Cluster-wide grants apply in every namespace; a
    /// namespace's RoleBindings add to them there.
    fn subject_access(&self, template: &Template, subject: &SubjectId) -> SubjectAccess {
        let mut reach = self.graph.bindings_reaching(subject);
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
                scopes.shrink_to_fit();
                risks.push(RiskAccess { risk: ri, scopes });
            }
        }
        // Kept for the whole analysis, one per subject.
        risks.shrink_to_fit();
        reach.shrink_to_fit();
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
