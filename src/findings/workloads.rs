//! Hot workloads: one finding per workload (a controller, its template and
//! the pods it owns; see [`crate::workloads::owners`]), not one per
//! replica, and one even when none of its pods runs yet (scaled to zero,
//! suspended, between runs, or a manifest in CI).
//!
//! A workload is hot when the token its template (or one of its pods)
//! exposes carries risks at or above the hot threshold, like a pod, one
//! level higher when it can take its node. A template that can take its
//! node (privileged, host PID, a hostPath on the node's root, the kubelet's
//! or the container runtime's directories, the runtime socket) is reported
//! even when its token is harmless: it is worth what the nodes it may land
//! on hold (a control-plane node is worth cluster-admin), and at least
//! MEDIUM when no node is known. A template its namespace's Pod Security
//! `enforce` level rejects cannot run: it is reported as such and not
//! counted hot (relabelling the namespace would lift the level: that is a
//! route of its own). Pods that differ from their template (mid-rollout,
//! or patched after creation) are counted as they are, and named.

use foldhash::{HashMap, HashMapExt};
use serde::Serialize;

use crate::tables;

use super::pods::{PodView, TokenView, describe_token, hot_evidence, remediation};
use super::{Code, Finding, FindingScope, Model, Sink};
use crate::access::model::POD_SECURITY_ENFORCE_LABEL;
use crate::rating::raise;
use crate::snapshot::{Kind, ObjectKey, Snapshot};
use crate::template::Severity;
use crate::words;
use crate::workloads::admission::{self, Level};
use crate::workloads::amplifiers::Amplifiers;
use crate::workloads::owners::Units;
use crate::workloads::tokens::{Automount, ServiceAccountRef};

/// Why the namespace's Pod Security level refuses a template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Rejected {
    /// The namespace's `pod-security.kubernetes.io/enforce` level.
    pub level: String,
    /// The checks the template fails, as `check: detail`.
    pub violations: Vec<String>,
}

/// A pod that differs from its workload's template. What it differs in is
/// named; how is in the pod's entry under `pods` beside the workload's own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DifferingPod {
    /// The pod's name.
    pub pod: String,
    /// What differs.
    pub differences: Vec<Difference>,
}

/// What a pod differs from its template in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Difference {
    /// It runs as another ServiceAccount.
    ServiceAccount,
    /// It exposes the tokens of other ServiceAccounts (to the API server).
    Tokens,
    /// It can take its node and the template cannot, or the reverse.
    TakesNode,
}

impl Difference {
    /// In words, for a message.
    fn describe(self) -> &'static str {
        match self {
            Difference::ServiceAccount => "ServiceAccount",
            Difference::Tokens => "tokens",
            Difference::TakesNode => "taking its node",
        }
    }
}

/// Everything about one workload.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadView {
    /// The controller's kind.
    pub kind: Kind,
    /// Its namespace.
    pub namespace: String,
    /// Its name.
    pub name: String,
    /// Whether the controller is in the input (else it is known only by
    /// its pods' owner references, and its template is unknown).
    pub in_input: bool,
    /// The replicas it asks for (1 when unset), a Job's parallelism; absent
    /// for DaemonSets (one per node), CronJobs and controllers not in the
    /// input.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
    /// Whether it is suspended (a Job or CronJob).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub suspended: bool,
    /// Its running pods (every phase the input has), by name.
    pub pods: Vec<String>,
    /// The ServiceAccount its template runs as (else its first pod's): a
    /// position in `objects`.
    #[serde(serialize_with = "crate::workloads::tokens::account_object")]
    #[schemars(with = "usize")]
    pub service_account: ServiceAccountRef,
    /// The template's automount decision (else its first pod's): a
    /// position in `automounts`.
    #[serde(serialize_with = "tables::automount")]
    #[schemars(with = "usize")]
    pub automount: Automount,
    /// The tokens its template's containers can read (else its first
    /// pod's): positions in `tokens`.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        serialize_with = "tables::each_token"
    )]
    #[schemars(with = "Vec<usize>")]
    pub tokens: Vec<TokenView>,
    /// What makes a compromise of it worse (of its template, else its
    /// first pod): positions in `amplifiers`.
    #[serde(
        skip_serializing_if = "<[_]>::is_empty",
        serialize_with = "tables::each_amplifier"
    )]
    #[schemars(with = "Vec<usize>")]
    pub amplifiers: Amplifiers,
    /// The nodes it runs on or may land on: its pods' nodes and, for the
    /// template of a DaemonSet, of a workload that takes its node, or one
    /// pinned by `nodeName`, those whose taints, labels and cordon let it in
    /// (another template may land on any node that fits: they are not
    /// listed).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub nodes: Vec<String>,
    /// Of `nodes`, those that run the control plane.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub control_plane_nodes: Vec<String>,
    /// Whether `nodes` come from the input's Node objects (else from the
    /// nodes its pods name, labels and taints unknown).
    pub nodes_known: bool,
    /// Set when its namespace's Pod Security level refuses its template.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejected: Option<Rejected>,
    /// Pods that differ from the template.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub differing_pods: Vec<DifferingPod>,
    /// Whether it (its template, or one of its pods) can take its node.
    pub takes_node: bool,
    /// The severity of its riskiest token the API server accepts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_severity: Option<Severity>,
    /// Its severity: `tokenSeverity`, one level higher when it takes its
    /// node; for a workload that only takes its node, what its nodes hold
    /// (at least MEDIUM).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    /// Whether `tokenSeverity` reaches the hot threshold (and it can run).
    pub hot: bool,
}

impl WorkloadView {
    /// The controller's identity.
    pub fn key(&self) -> ObjectKey {
        ObjectKey {
            kind: self.kind,
            namespace: self.namespace.clone(),
            name: self.name.clone(),
        }
    }
}

/// Where a template may land (see [`crate::workloads::exposure::Placed`]).
#[derive(Debug, Clone, Default)]
pub struct Landing {
    /// The nodes, in node order.
    pub nodes: Vec<String>,
    /// Of those, the control-plane nodes.
    pub control_plane: Vec<String>,
    /// Whether they are the input's Node objects.
    pub known: bool,
}

/// What each node is worth to whoever takes it: the riskiest token on it,
/// CRITICAL for a control-plane node (its CA key and admin credentials).
#[derive(Debug, Clone, Default)]
pub struct NodeWorth {
    worth: HashMap<String, Severity>,
}

impl NodeWorth {
    /// From the pods on each node and the DaemonSet templates that land
    /// there; control-plane nodes from the snapshot's Nodes.
    pub fn of(snapshot: &Snapshot, pods: &[PodView], workloads: &[WorkloadView]) -> NodeWorth {
        let mut worth: HashMap<String, Severity> = HashMap::new();
        let mut add = |node: &str, s: Severity| {
            let w = worth.entry(node.to_string()).or_insert(s);
            *w = (*w).max(s);
        };
        for p in pods {
            if let (Some(n), Some(s)) = (&p.node, p.token_severity) {
                add(n, s);
            }
        }
        for w in workloads.iter().filter(|w| w.kind == Kind::DaemonSet) {
            if let Some(s) = w.token_severity {
                for n in &w.nodes {
                    add(n, s);
                }
            }
        }
        for n in snapshot.nodes.iter().filter(|n| n.is_control_plane()) {
            add(n.name(), Severity::Critical);
        }
        NodeWorth { worth }
    }

    /// What taking `node` yields, if anything is known.
    pub fn of_node(&self, node: &str) -> Option<Severity> {
        self.worth.get(node).copied()
    }
}

/// The Pod Security `enforce` level of each namespace that sets one.
fn enforced(snapshot: &Snapshot) -> HashMap<&str, &str> {
    (snapshot.namespaces.iter())
        .filter_map(|n| {
            let level = n
                .metadata
                .labels
                .as_ref()?
                .get(POD_SECURITY_ENFORCE_LABEL)?;
            Some((n.metadata.name.as_deref()?, level.as_str()))
        })
        .collect()
}

/// Builds the view of every workload, in workload order, from its
/// template's view (`templates`, one per workload whose controller is in
/// the input, with `template_unit` its workload) and its pods' views.
pub fn views(
    snapshot: &Snapshot,
    units: &Units,
    templates: Vec<PodView>,
    template_unit: &[usize],
    pods: &[PodView],
    threshold: Severity,
    placed: &[Landing],
) -> Vec<WorkloadView> {
    let levels = enforced(snapshot);
    // Looked up once per pod's node: a set, not a walk over every Node.
    let control_planes: foldhash::HashSet<&str> = (snapshot.nodes.iter())
        .filter(|n| n.is_control_plane())
        .map(|n| n.name())
        .collect();
    let mut template_of: Vec<Option<(PodView, usize)>> = vec![None; units.units.len()];
    for (t, (view, &u)) in templates.into_iter().zip(template_unit).enumerate() {
        template_of[u] = Some((view, t));
    }
    // Each workload on its own, on every core.
    let units: Vec<_> = units.units.iter().zip(template_of).collect();
    crate::cores::map_owned(units, 1024, |(unit, template)| {
        let own: Vec<&PodView> = unit.pods.iter().map(|&p| &pods[p]).collect();
        let controller = unit.controller.map(|c| &snapshot.controllers[c]);
        // Whether the namespace's enforced level refuses the template.
        let rejected = match (&template, controller) {
            (Some(_), Some(c)) => {
                let level = levels.get(unit.namespace.as_str()).copied();
                let parsed = level.map(Level::enforced);
                let failed = parsed
                    .map(|l| admission::violations(l, &c.template))
                    .unwrap_or_default();
                (!failed.is_empty()).then(|| Rejected {
                    level: level.unwrap_or_default().to_string(),
                    violations: (failed.iter())
                        .map(|v| format!("{}: {}", v.check, v.detail))
                        .collect(),
                })
            }
            _ => None,
        };
        let (mut nodes, mut control_plane, known) = match &template {
            Some((_, t)) => {
                let l = &placed[*t];
                (l.nodes.clone(), l.control_plane.clone(), l.known)
            }
            None => (Vec::new(), Vec::new(), !snapshot.nodes.is_empty()),
        };
        for p in &own {
            if let Some(n) = &p.node
                && !nodes.contains(n)
            {
                nodes.push(n.clone());
                if control_planes.contains(n.as_str()) {
                    control_plane.push(n.clone());
                }
            }
        }
        nodes.sort();
        control_plane.sort();
        // What runs: the template unless refused, and the pods as they are.
        let runs_template = template.is_some() && rejected.is_none();
        let template_view = template.as_ref().map(|(v, _)| v);
        let counted: Vec<&PodView> = (template_view.filter(|_| runs_template).into_iter())
            .chain(own.iter().copied())
            .collect();
        let token_severity = counted.iter().filter_map(|v| v.token_severity).max();
        let takes_node = counted.iter().any(|v| v.escapes());
        let hot = token_severity.is_some_and(|s| s >= threshold);
        let severity = token_severity.map(|s| if takes_node { raise(s) } else { s });
        let differing_pods = match template_view {
            Some(t) => own.iter().filter_map(|p| differs(t, p)).collect(),
            None => Vec::new(),
        };
        let shown = template_view.or_else(|| {
            let top = own.iter().filter_map(|p| p.severity).max();
            own.iter().find(|p| p.severity == top).copied()
        });
        let (service_account, automount, tokens, amplifiers) = match shown {
            Some(v) => (
                v.service_account.clone(),
                v.automount,
                v.tokens.clone(),
                v.amplifiers.clone(),
            ),
            None => (
                ServiceAccountRef {
                    namespace: unit.namespace.clone(),
                    name: "default".into(),
                },
                Automount {
                    enabled: false,
                    decided_by: crate::workloads::tokens::DecidedBy::Default,
                    outcome: crate::workloads::tokens::AutomountOutcome::Disabled,
                },
                Vec::new(),
                Amplifiers::default(),
            ),
        };
        WorkloadView {
            kind: unit.kind,
            namespace: unit.namespace.clone(),
            name: unit.name.clone(),
            in_input: controller.is_some(),
            replicas: controller.and_then(|c| c.desired()),
            suspended: controller.is_some_and(|c| c.suspended()),
            pods: own.iter().map(|p| p.name.clone()).collect(),
            service_account,
            automount,
            tokens,
            amplifiers,
            nodes,
            control_plane_nodes: control_plane,
            nodes_known: known,
            rejected,
            differing_pods,
            takes_node,
            token_severity,
            severity,
            hot,
        }
    })
}

/// How a pod differs from its template, if it does: the account it runs
/// as, the accounts whose tokens it exposes, whether it takes its node.
fn differs(template: &PodView, pod: &PodView) -> Option<DifferingPod> {
    let mut differences = Vec::new();
    if pod.service_account != template.service_account {
        differences.push(Difference::ServiceAccount);
    }
    if accounts(pod) != accounts(template) {
        differences.push(Difference::Tokens);
    }
    if pod.escapes() != template.escapes() {
        differences.push(Difference::TakesNode);
    }
    (!differences.is_empty()).then(|| DifferingPod {
        pod: pod.name.clone(),
        differences,
    })
}

/// The ServiceAccounts whose tokens a pod gives the API server, but for
/// those read from its node, sorted.
fn accounts(v: &PodView) -> Vec<&ServiceAccountRef> {
    let mut a: Vec<&ServiceAccountRef> = (v.tokens.iter())
        .filter(|t| t.exposure.api_access)
        .filter(|t| t.exposure.source != crate::workloads::tokens::TokenSource::NodeHostPath)
        .map(|t| &t.exposure.service_account)
        .collect();
    a.sort();
    a.dedup();
    a
}

/// Appends one `hot-workload` finding per hot workload, and per workload
/// that can take the nodes it lands on.
pub fn find(m: &Model<'_, '_, '_, '_>, sink: &mut Sink) {
    let threshold = m.threshold;
    let mut memo = HashMap::new();
    for w in m.workloads {
        let takes = w.takes_node && (w.rejected.is_none() || !w.pods.is_empty());
        if !w.hot && !takes {
            continue;
        }
        let hot: Vec<&TokenView> = (w.tokens.iter())
            .filter(|t| t.exposure.api_access && t.risk.severity.is_some_and(|s| s >= threshold))
            .collect();
        let (severity, title) = if w.hot {
            (
                w.severity.unwrap_or(threshold),
                "Workload exposes a risky ServiceAccount token",
            )
        } else {
            let held = (w.nodes.iter())
                .filter_map(|n| m.node_worth.of_node(n))
                .max();
            (
                held.unwrap_or(Severity::Medium).max(Severity::Medium),
                "Workload can take over the nodes it lands on",
            )
        };
        let (evidence, chains) = hot_evidence(m.risks, &mut memo, &hot, threshold);
        let key = w.key();
        let mut parts = vec![running(w)];
        parts.push(landing(w));
        let mut message = format!("{key} ({})", parts.join("; "));
        if hot.is_empty() {
            message.push_str(" gives no risky token");
        } else {
            let gives: Vec<String> = hot.iter().map(|t| describe_token(t)).collect();
            message.push_str(&format!(" gives {}", gives.join("; ")));
        }
        let escapes: Vec<&str> = {
            let mut e: Vec<&str> = (w.amplifiers.iter())
                .filter(|a| a.escape)
                .map(|a| a.code.as_str())
                .collect();
            e.sort_unstable();
            e.dedup();
            e
        };
        if w.takes_node {
            let how = if escapes.is_empty() {
                "one of its pods".to_string()
            } else {
                escapes.join(", ")
            };
            if w.nodes.is_empty() {
                message.push_str(&format!("; takes over any node it lands on ({how})"));
            } else {
                message.push_str(&format!("; takes over the nodes it lands on ({how})"));
            }
            if !w.control_plane_nodes.is_empty() {
                message.push_str(&format!(
                    ", control-plane nodes among them: {}",
                    w.control_plane_nodes.join(", ")
                ));
            }
        }
        if !w.differing_pods.is_empty() {
            message.push_str(&differing(&w.differing_pods));
        }
        let primary = (hot.iter())
            .find(|t| t.exposure.service_account == w.service_account)
            .or(hot.first())
            .map(|t| t.exposure.service_account.subject());
        let scope = FindingScope::Namespaces {
            namespaces: vec![w.namespace.clone()],
        };
        let fix = remediation(
            &format!("the pod template of {key}"),
            w.takes_node,
            &hot,
            &chains,
        );
        sink.push(
            Finding::new(Code::HotWorkload, severity, title, message, scope)
                .fingerprinted(&key.to_string())
                .pod(key)
                .subject(primary)
                .remediation(fix)
                .evidence(evidence),
        );
    }
}

/// How many pods a finding's message names, of those running and of those
/// that differ from the template; the workload's view lists them all.
const MESSAGE_PODS: usize = 5;

/// `; 2 pods differ from the template: a (ServiceAccount, tokens), b
/// (tokens)`, naming [`MESSAGE_PODS`] of them at most.
fn differing(pods: &[DifferingPod]) -> String {
    let named: Vec<String> = (pods.iter().take(MESSAGE_PODS))
        .map(|d| {
            let what: Vec<&str> = d.differences.iter().map(|x| x.describe()).collect();
            format!("{} ({})", d.pod, what.join(", "))
        })
        .collect();
    let more = match pods.len().saturating_sub(MESSAGE_PODS) {
        0 => String::new(),
        n => format!(" and {n} more"),
    };
    format!(
        "; {} from the template: {}{more}",
        match pods.len() {
            1 => "1 pod differs".to_string(),
            n => format!("{n} pods differ"),
        },
        named.join(", ")
    )
}

/// `3 replicas, 2 running: a, b` and the like.
fn running(w: &WorkloadView) -> String {
    let mut parts = Vec::new();
    if let Some(r) = w.replicas {
        parts.push(words::count(r.max(0) as usize, "replica"));
    }
    if w.suspended {
        parts.push("suspended".into());
    }
    if !w.in_input {
        parts.push("controller not in the input".into());
    }
    if let Some(r) = &w.rejected {
        parts.push(format!(
            "its template is refused by Pod Security level {} ({})",
            r.level,
            r.violations.join(", ")
        ));
    }
    parts.push(match w.pods.len() {
        0 => "no pod running".to_string(),
        n if n <= MESSAGE_PODS => format!("{n} running: {}", w.pods.join(", ")),
        n => format!(
            "{n} running: {} and {} more",
            w.pods[..MESSAGE_PODS].join(", "),
            n - MESSAGE_PODS
        ),
    });
    parts.join(", ")
}

/// Where it runs or may land.
fn landing(w: &WorkloadView) -> String {
    match (w.nodes.len(), w.nodes_known) {
        (0, true) if w.kind == Kind::DaemonSet || w.takes_node => "no node it may land on".into(),
        (0, true) => "any node that fits".into(),
        (0, false) => "nodes unknown".into(),
        (n, known) => format!(
            "{} {}",
            if w.kind == Kind::DaemonSet {
                format!("on {}", words::count(n, "node"))
            } else {
                format!("may land on {}", words::count(n, "node"))
            },
            if known { "" } else { "(named by pods)" }
        )
        .trim_end()
        .to_string(),
    }
}
