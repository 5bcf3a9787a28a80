//! The analysis of a snapshot against a template: the model built once
//! (resolution, token exposure, the access graph, ratings), every check of
//! [`CHECKS`] run on it, the notes on what could not be determined, and the
//! findings sorted and their rules numbered.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::finding::{Finding, sort};
use super::rule_table::{RuleEntry, number_rules};
use super::{CHECKS, Check, Context, GraphCheck, Model, ModelCheck, Sink, nodes, pods, workloads};
use crate::access::Access;
use crate::access::graph::AccessGraph;
use crate::cores;
use crate::operators::{Catalog, Operators, Why};
use crate::rating;
use crate::rbac::Rbac;
use crate::snapshot::{Kind, Snapshot};
use crate::template::{Severity, Template};
use crate::words;
use crate::workloads::{exposure, owners, templates};

/// Options of an analysis.
#[derive(Debug, Clone)]
pub struct AnalysisOptions {
    /// Namespaces whose grants count as privileged, in addition to the template's.
    pub extra_privileged_namespaces: Vec<String>,
    /// A pod is hot when a token it exposes carries findings at or above
    /// this severity (default HIGH).
    pub hot_threshold: Severity,
    /// Platforms whose own roles and bindings are taken as defaults, like
    /// the bootstrap policy (`--platform`; see [`crate::rbac::platforms`]).
    pub platforms: Vec<crate::rbac::platforms::Platform>,
    /// The operator catalog (`--operators`, else the built-in one).
    pub operators: Catalog,
}

impl Default for AnalysisOptions {
    fn default() -> Self {
        AnalysisOptions {
            extra_privileged_namespaces: Vec::new(),
            hot_threshold: Severity::High,
            platforms: Vec::new(),
            operators: Catalog::builtin(),
        }
    }
}

/// The result of analysing a snapshot.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// All findings, sorted (severity, code, names).
    pub findings: Vec<Box<Finding>>,
    /// The rules the findings' evidence points to (see [`number_rules`]).
    pub rules: Vec<RuleEntry>,
    /// Distinct subjects evaluated.
    pub subjects_evaluated: usize,
    /// Namespaces treated as privileged.
    pub privileged_namespaces: BTreeSet<String>,
    /// Notes on what could not be determined (e.g. no ServiceAccounts in the input).
    pub notes: Vec<String>,
    /// Every pod: its tokens, their worth, its amplifiers.
    pub pods: Vec<pods::PodView>,
    /// Every workload: its template, pods, tokens and nodes.
    pub workloads: Vec<workloads::WorkloadView>,
    /// What each node holds.
    pub nodes: nodes::NodesReport,
    /// The hot threshold used.
    pub hot_threshold: Severity,
}

/// What the operator catalog found: the operators that act for the writers
/// of their resources, and those whose CRDs exist that do not, with why.
/// Nothing when no CRD of the catalog is in the input.
fn operators_note(operators: &Operators) -> Option<String> {
    let mut parts: Vec<String> = (operators.live.iter())
        .map(|l| {
            if let Some(u) = (operators.unlive.iter())
                .find(|u| u.id == l.id && matches!(u.why, Why::Closed { .. }))
            {
                return format!("{}: {}", u.id, u.why);
            }
            let mut s = format!("{} acts for the writers of its resources ({}", l.id, l.runs);
            if let Some(flag) = &l.locked_by {
                s.push_str(&format!(", locked down by {flag}"));
            }
            s.push(')');
            s
        })
        .collect();
    parts.extend(
        (operators.unlive.iter())
            .filter(|u| !matches!(u.why, Why::NoCrd(_) | Why::CrdsUnread))
            .filter(|u| !operators.live.iter().any(|l| l.id == u.id))
            .map(|u| format!("{}: {}", u.id, u.why)),
    );
    // With CRDs in the input, the entries whose CRDs are not among them,
    // in one clause (none when no CRD was read at all: the coverage says so).
    let absent: Vec<&str> = (operators.unlive.iter())
        .filter(|u| matches!(u.why, Why::NoCrd(_)))
        .map(|u| u.id.as_str())
        .collect();
    if !absent.is_empty() && !parts.is_empty() {
        parts.push(format!("no CRD in the input for {}", absent.join(", ")));
    }
    (!parts.is_empty()).then(|| {
        format!(
            "operator catalog ({}): {}",
            operators.source,
            parts.join("; ")
        )
    })
}

/// Analyses a snapshot against a template.
///
/// The pods' containers and volumes are taken out of `snapshot`
/// ([`Snapshot::take_workloads`]) and freed once the tokens they expose
/// are worked out: afterwards its pods keep their identity, ServiceAccount,
/// node and host settings only.
pub fn analyze(
    snapshot: &mut Snapshot,
    template: &Template,
    options: &AnalysisOptions,
) -> Analysis {
    // Operators are recognised by their containers' flags: before the
    // containers are taken out.
    let operators = Operators::recognise(&options.operators, snapshot);
    let workloads = snapshot.take_workloads();
    let snapshot = &*snapshot;
    let mut privileged = template.privileged_namespaces.clone();
    privileged.extend(options.extra_privileged_namespaces.iter().cloned());
    // The pods' tokens take longest: the RBAC is resolved, and the pods
    // grouped into workloads, on the other core meanwhile.
    let (mut exposures, (mut rbac, units, templates, nodes)) = cores::join(
        move || exposure::expose(snapshot, &workloads),
        || {
            let units = owners::group(snapshot);
            let templates = templates::of(snapshot, &units);
            let nodes = templates::Nodes::of(snapshot);
            (Rbac::resolve(snapshot), units, templates, nodes)
        },
    );
    // The pods, then the templates of the workloads: the graph reads both,
    // what pods are worth is rated by the pods alone.
    let pod_count = exposures.len();
    exposures.extend(exposure::expose_templates(
        snapshot, &units, &templates, &nodes,
    ));
    let landing: Vec<workloads::Landing> = (exposures[pod_count..].iter())
        .filter_map(|x| x.placed.as_deref())
        .map(|p| workloads::Landing {
            nodes: p.nodes.iter().map(|n| n.to_string()).collect(),
            control_plane: p.control_plane.iter().map(|n| n.to_string()).collect(),
            known: p.known,
        })
        .collect();
    let marked = crate::rbac::platforms::mark(&mut rbac, &options.platforms);
    let mut access = Access::build_resolved(snapshot, template, rbac, &exposures, &operators.live);
    let ratings = rating::rate(
        snapshot,
        template,
        &access,
        &exposures[..pod_count],
        &privileged,
    );
    // The graph goes to the checks that walk it (`Check::Graph`), and is
    // freed before the others run: what they read is the risks.
    let graph = access.take_graph();
    let shared = super::evidence::Shared::of(&access.rbac, template);
    let cx = Context {
        snapshot,
        rbac: &access.rbac,
        template,
        access: &access,
        ratings: &ratings,
        privileged: &privileged,
        shared: &shared,
    };
    let threshold = options.hot_threshold;
    let mut notes = Vec::new();
    let risks = pods::TokenRisks::new(&cx);
    let mut pod_views = pods::views(exposures, &risks, threshold);
    let template_views = pod_views.split_off(pod_count);
    for (view, unit) in pod_views.iter_mut().zip(&units.of_pod) {
        view.workload = unit.map(|u| {
            let u = &units.units[u];
            pods::Owner {
                kind: u.kind.as_str().to_string(),
                name: u.name.clone(),
            }
        });
    }
    let workload_views = workloads::views(
        snapshot,
        &units,
        template_views,
        &templates.unit,
        &pod_views,
        threshold,
        &landing,
    );
    let node_worth = workloads::NodeWorth::of(snapshot, &pod_views, &workload_views);
    if !nodes.known && !snapshot.controllers.is_empty() {
        notes.push(match nodes.nodes.len() {
            0 => "no Node objects in the input and no pod on a node: which nodes the workloads land on is unknown".to_string(),
            n => format!(
                "no Node objects in the input: workloads are placed on the {} the pods name, their labels and taints unknown",
                words::count(n, "node")
            ),
        });
    }
    let model = Model {
        cx: &cx,
        risks: &risks,
        pods: &pod_views,
        workloads: &workload_views,
        node_worth: &node_worth,
        templates: &templates.pods,
        template_unit: &templates.unit,
        pod_unit: &units.of_pod,
        threshold,
    };
    // Checks are independent: they run on every core, each into its own
    // sink, taken in turn with the nodes' blast radius (their costs differ
    // a hundredfold), and their findings and notes are taken in the order
    // of CHECKS. Those that walk the graph are taken first, and the last of
    // them to end frees the graph while the others run.
    let graph = Arc::new(graph);
    let mut jobs: Vec<Job> = (CHECKS.iter())
        .filter_map(|(_, c)| match c {
            Check::Graph(check) => Some(Job::Graph(*check, Arc::clone(&graph))),
            Check::Model(_) => None,
        })
        .collect();
    let graph_checks = jobs.len();
    jobs.push(Job::Nodes);
    jobs.extend((CHECKS.iter()).filter_map(|(_, c)| match c {
        Check::Model(check) => Some(Job::Model(*check)),
        Check::Graph(_) => None,
    }));
    drop(graph);
    let done = cores::map_in_turn(jobs, |job| match job {
        Job::Graph(check, graph) => {
            let mut sink = Sink::default();
            check(&model, &graph, &mut sink);
            Done::Sink(sink)
        }
        Job::Model(check) => {
            let mut sink = Sink::default();
            check(&model, &mut sink);
            Done::Sink(sink)
        }
        Job::Nodes => Done::Nodes(nodes::blast_radius(&pod_views, &workload_views, &risks)),
    });
    let mut nodes = nodes::NodesReport::default();
    let mut made = Vec::with_capacity(CHECKS.len());
    for d in done {
        match d {
            Done::Sink(sink) => made.push(sink),
            Done::Nodes(n) => nodes = n,
        }
    }
    // The graph's checks, then the others, each in the order of CHECKS.
    let model_sinks = made.split_off(graph_checks);
    let graph_sinks = made;
    let (mut graph_sinks, mut model_sinks) = (graph_sinks.into_iter(), model_sinks.into_iter());
    let sinks: Vec<Sink> = (CHECKS.iter())
        .filter_map(|(_, c)| match c {
            Check::Graph(_) => graph_sinks.next(),
            Check::Model(_) => model_sinks.next(),
        })
        .collect();
    // There may be a hundred thousand findings: their vector is allocated
    // once, not grown by doubling.
    let mut findings = Vec::with_capacity(sinks.iter().map(Sink::len).sum());
    for sink in sinks {
        let (f, n) = sink.into_parts();
        findings.extend(f);
        notes.extend(n);
    }
    let unclassified: usize = pod_views.iter().map(|p| p.unclassified_secrets.len()).sum();
    if unclassified > 0 {
        let in_pods = pod_views
            .iter()
            .filter(|p| !p.unclassified_secrets.is_empty())
            .count();
        notes.push(format!(
            "{unclassified} secret references in {in_pods} pods could not be classified: Secrets were not listed, so legacy ServiceAccount token secrets cannot be recognised (live: --secret-metadata; offline: include the Secrets or a dump made with it)"
        ));
    }
    notes.extend(operators_note(&operators));
    if let Some(note) = unknown_defaults_note(&access.rbac) {
        notes.push(note);
    }
    if !options.platforms.is_empty() {
        let names: Vec<&str> = (options.platforms.iter())
            .map(|p| p.defaults().name)
            .collect();
        notes.push(format!(
            "{} and {} taken as the defaults of {} (--platform): by name, place and subjects, not by content; --include-defaults lists what they grant",
            words::count(marked.roles, "role"),
            words::count(marked.bindings, "binding"),
            names.join(", ")
        ));
    }
    if !snapshot.coverage.has(Kind::Secret) {
        let unrated = ratings
            .subjects
            .iter()
            .flatten()
            .filter(|r| {
                r.targets
                    .iter()
                    .any(|t| t.kind == crate::template::TargetKind::Secret && t.unlisted)
            })
            .count();
        if unrated > 0 {
            let (grants, secrets) = if unrated == 1 {
                ("grant to read a named secret", "that secret")
            } else {
                ("grants to read named secrets", "those secrets")
            };
            notes.push(format!(
                "{unrated} {grants} could not be rated by the tokens {secrets} may hold: Secrets were not listed (live: --secret-metadata; offline: include the Secrets)"
            ));
        }
    }
    let subjects_evaluated = access.subjects.len();
    // The workings are freed on one core while the findings are sorted on
    // the other: what the report allocates next reuses their memory.
    drop(risks);
    let rules = number_rules(&mut findings, |e| RuleEntry::of(&access.rbac, e));
    let ((), ()) = cores::join(move || drop((ratings, access)), || sort(&mut findings));
    Analysis {
        findings,
        rules,
        subjects_evaluated,
        privileged_namespaces: privileged,
        notes,
        pods: pod_views,
        workloads: workload_views,
        nodes,
        hot_threshold: threshold,
    }
}

/// A piece of the checks' work ([`cores::map_in_turn`]).
enum Job {
    /// A check that walks the graph: the last to end frees it.
    Graph(GraphCheck, Arc<AccessGraph>),
    /// A check of the model alone.
    Model(ModelCheck),
    /// The nodes' blast radius ([`nodes::blast_radius`]).
    Nodes,
}

/// What a [`Job`] made.
enum Done {
    /// A check's findings and notes.
    Sink(Sink),
    /// The nodes' blast radius.
    Nodes(nodes::NodesReport),
}

/// A note on roles and bindings that carry the bootstrap-policy label but
/// are not the policy rbacscan knows: they are reported as ordinary
/// objects, and the reader should know why they are not summarised.
fn unknown_defaults_note(rbac: &Rbac<'_>) -> Option<String> {
    let roles = (rbac.roles.iter())
        .filter(|r| r.labelled_default && !r.default)
        .count();
    let bindings = (rbac.bindings.iter())
        .filter(|b| b.labelled_default && !b.default)
        .count();
    let mut parts = Vec::new();
    if roles > 0 {
        parts.push(words::count(roles, "role"));
    }
    if bindings > 0 {
        parts.push(words::count(bindings, "binding"));
    }
    if parts.is_empty() {
        return None;
    }
    let one = roles + bindings == 1;
    Some(format!(
        "{} {} the bootstrap-policy label but {} from the Kubernetes bootstrap policy rbacscan knows ({}): {} reported as ordinary objects (another version's policy, or changed in the cluster)",
        parts.join(" and "),
        if one { "carries" } else { "carry" },
        if one { "differs" } else { "differ" },
        crate::rbac::bootstrap::known_source(),
        if one { "it is" } else { "they are" },
    ))
}

/// What the analysis cannot see when objects of `kind` could not be read
/// (see [`crate::snapshot::Coverage`]).
pub fn gap_impact(kind: Kind) -> &'static str {
    match kind {
        Kind::ClusterRole => {
            "bindings to ClusterRoles are unresolved, so the risks they grant are unknown; no risky-role findings for ClusterRoles; missing-role findings for ClusterRoles are suppressed"
        }
        Kind::ClusterRoleBinding => {
            "grants through ClusterRoleBindings are unknown: risky subjects may be missing or rated too low"
        }
        Kind::Role => {
            "bindings to Roles are unresolved, so the risks they grant are unknown; no risky-role findings for Roles; missing-role findings for Roles are suppressed"
        }
        Kind::RoleBinding => {
            "grants through RoleBindings are unknown: risky subjects may be missing or rated too low"
        }
        Kind::ServiceAccount => "missing-service-account findings are suppressed",
        Kind::Pod => {
            "pods are unknown: which pods expose risky tokens cannot be determined, and grants rated by what pods carry (exec, attach, ephemeral containers) are rated without them"
        }
        Kind::Namespace => "namespace counts only; findings are unaffected",
        Kind::Secret => {
            "secret mounts cannot be told apart from legacy ServiceAccount token secrets: pods that mount one may expose more tokens than reported, and reading secrets is not rated by the tokens they hold"
        }
        Kind::ConfigMap => {
            "the EKS aws-auth mappings are unknown: which IAM roles and users hold cluster-admin-equivalent power is not reported"
        }
        Kind::CustomResourceDefinition => {
            "custom resource types unknown: routes through operators that act on custom resources (GitOps, pipelines, backups, policies) are not looked for"
        }
        Kind::AppProject => {
            "Argo CD's project restrictions unknown: a route through Argo CD is reported as if every project allowed every destination and kind"
        }
        Kind::ClusterSecretStore => {
            "External Secrets' stores unknown: a route through External Secrets is reported as if a store read every Secret of the cluster for every namespace"
        }
        Kind::Node => {
            "node placement unknown: nodes are known only by the pods' nodeName, without their labels, taints or control-plane role"
        }
        Kind::Deployment
        | Kind::ReplicaSet
        | Kind::StatefulSet
        | Kind::DaemonSet
        | Kind::Job
        | Kind::CronJob
        | Kind::ReplicationController => {
            "workloads without running pods are unknown: controllers scaled to zero, suspended or between runs are not seen"
        }
    }
}
