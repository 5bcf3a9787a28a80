//! Findings: what is risky, how much, where, and exactly why.
//!
//! One module per check, all of the same shape ([`Check`]: read the
//! [`Model`], and for those that walk it the access graph, write to the
//! [`Sink`]), listed in [`CHECKS`]: risky roles,
//! bindings and subjects, hygiene, routes to cluster-admin, hot pods, and
//! risky ServiceAccounts. The model is complete before any check runs, so
//! no check can read another's output. Each finding has a stable
//! kebab-case [`Code`] and a stable fingerprint. Pure: no I/O.
//!
//! What a finding is (`finding`, `code`, `evidence`, `rule_table`) and how
//! an analysis runs the checks (`analyze`) have files of their own.

mod analyze;
pub mod aws_auth;
pub mod bindings;
mod code;
mod evidence;
mod finding;
pub mod hygiene;
pub mod nodes;
pub mod pods;
pub mod roles;
pub mod routes;
mod rule_table;
pub mod service_accounts;
pub mod subjects;
pub mod workloads;

pub use analyze::{Analysis, AnalysisOptions, analyze, gap_impact};
pub use code::Code;
pub use evidence::Evidence;
pub use finding::{BaselineStatus, Finding, FindingScope, sort};
pub use rule_table::{RuleEntry, number_rules, renumber_rules};

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::access::Access;
use crate::access::graph::AccessGraph;
use crate::access::matching::RuleEvidence;
use crate::rating::Ratings;
use crate::rbac::{Rbac, RoleId};
use crate::snapshot::Snapshot;
use crate::template::{Severity, Template};

/// The model of one analysis run, handed to each finding module: the
/// snapshot, what each subject, binding and role holds, what each pod
/// exposes, and how all of it is rated. Checks read only this, never each
/// other's findings.
pub struct Context<'a, 's> {
    /// The snapshot.
    pub snapshot: &'s Snapshot,
    /// Resolved RBAC.
    pub rbac: &'a Rbac<'s>,
    /// The template.
    pub template: &'a Template,
    /// Who holds which risks. In an analysis its graph has been taken
    /// out ([`Access::take_graph`]): the checks that walk it are given it
    /// apart ([`Check::Graph`]).
    pub access: &'a Access<'s>,
    /// How severe each grant is, and what subjects, pods and nodes are worth.
    pub ratings: &'a Ratings,
    /// Privileged namespaces.
    pub privileged: &'a BTreeSet<String>,
    /// The keys and descriptions evidence shares.
    pub shared: &'a evidence::Shared,
}

impl Context<'_, '_> {
    /// Evidence entries for grounds of risk rule `risk`, with `via` naming
    /// the group a binding reaches through.
    pub fn evidence(
        &self,
        risk: usize,
        grounds: &[RuleEvidence],
        via: impl Fn(crate::rbac::BindingId) -> Option<String>,
    ) -> Vec<Evidence> {
        grounds
            .iter()
            .map(|g| {
                let via_group = g.binding.and_then(&via);
                let mut grants: Vec<Arc<str>> = (g.grants.iter())
                    .map(|&(req, probe)| Arc::clone(self.shared.probe(risk, req, probe)))
                    .collect();
                grants.sort_unstable();
                grants.dedup();
                Evidence {
                    binding: g.binding.map(|b| Arc::clone(self.shared.binding(b))),
                    via_group,
                    role: Arc::clone(self.shared.role(g.role)),
                    rule_index: g.rule,
                    role_id: g.role,
                    rule_ref: 0,
                    grants,
                }
            })
            .collect()
    }

    /// Whether a role is part of the bootstrap policy.
    pub fn role_is_default(&self, role: RoleId) -> bool {
        self.rbac.role(role).default
    }

    /// Whether every one of `grounds` comes from the bootstrap policy (a
    /// default binding to a default role).
    pub fn grounds_are_default(&self, grounds: &[RuleEvidence]) -> bool {
        grounds.iter().all(|g| {
            g.binding.is_some_and(|b| self.rbac.binding(b).default) && self.role_is_default(g.role)
        })
    }
}

/// Everything a check reads: the model of the run ([`Context`]), what
/// each ServiceAccount's token is worth, every pod's view, and the hot-pod
/// threshold. All of it is worked out before any check runs, from the
/// model alone: no check can see another's findings.
pub struct Model<'m, 'c, 'a, 's> {
    /// Snapshot, access and ratings.
    pub cx: &'c Context<'a, 's>,
    /// What each ServiceAccount's token is worth.
    pub risks: &'m pods::TokenRisks<'c, 'a, 's>,
    /// Every pod: its tokens, their worth, its amplifiers.
    pub pods: &'m [pods::PodView],
    /// Every workload: its template, pods, tokens and nodes.
    pub workloads: &'m [workloads::WorkloadView],
    /// What taking each node yields.
    pub node_worth: &'m workloads::NodeWorth,
    /// The pods the workloads' templates would create (after the
    /// snapshot's pods in the access graph's pod indices).
    pub templates: &'m [crate::snapshot::Pod],
    /// By template: its workload's index in `workloads`.
    pub template_unit: &'m [usize],
    /// By pod: its workload's index in `workloads`, if it has one.
    pub pod_unit: &'m [Option<usize>],
    /// A pod is hot when a token it exposes reaches this severity.
    pub threshold: Severity,
}

/// Where checks put what they find. Write-only for the checks: a check can
/// add findings and notes, never read what another check added.
#[derive(Debug, Default)]
pub struct Sink {
    findings: Vec<Box<Finding>>,
    notes: Vec<String>,
}

impl Sink {
    /// Adds a finding. Findings are kept boxed, from here to the report:
    /// a hundred thousand of them are moved (gathered, sorted, filtered)
    /// as pointers, and no vector of whole findings is grown by doubling
    /// or copied into another.
    pub fn push(&mut self, finding: Finding) {
        debug_assert!(
            !finding.fingerprint.is_empty(),
            "a finding is pushed fingerprinted (Finding::fingerprinted)"
        );
        self.findings.push(Box::new(finding));
    }

    /// Adds a note on what could not be determined.
    pub fn note(&mut self, note: String) {
        self.notes.push(note);
    }

    /// Everything added: findings (in any order) and notes.
    /// How many findings it holds.
    pub(super) fn len(&self) -> usize {
        self.findings.len()
    }

    pub(super) fn into_parts(self) -> (Vec<Box<Finding>>, Vec<String>) {
        (self.findings, self.notes)
    }
}

/// A check that reads the model alone.
pub type ModelCheck = fn(&Model<'_, '_, '_, '_>, &mut Sink);

/// A check that walks the access graph as well, which the model does not
/// hold.
pub type GraphCheck = fn(&Model<'_, '_, '_, '_>, &AccessGraph, &mut Sink);

/// A check: reads the model (and the graph), writes to the sink.
#[derive(Clone, Copy)]
pub enum Check {
    /// Reads the model alone.
    Model(ModelCheck),
    /// Walks the access graph as well. These checks run first, and the
    /// graph, a large part of the memory of a big cluster's analysis, is
    /// freed before the others run.
    Graph(GraphCheck),
}

/// Every check, by module name. Each reads only the model (and the graph),
/// so their order does not matter; their findings and notes are taken in
/// this order.
pub const CHECKS: [(&str, Check); 9] = [
    ("roles", Check::Model(roles::find)),
    ("bindings", Check::Model(bindings::find)),
    ("subjects", Check::Model(subjects::find)),
    ("hygiene", Check::Model(hygiene::find)),
    ("routes", Check::Graph(routes::find)),
    ("pods", Check::Model(pods::find)),
    ("workloads", Check::Model(workloads::find)),
    ("service_accounts", Check::Model(service_accounts::find)),
    ("aws_auth", Check::Graph(aws_auth::find)),
];
