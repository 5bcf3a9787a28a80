//! Node blast radius: what an attacker who takes a node holds. The kubelet
//! can read every token it mounted, so a node is worth the union of the
//! tokens its pods expose. ServiceAccounts exposed on every node (DaemonSets)
//! go with any node. A DaemonSet's template puts its tokens on every node
//! it lands on, where no pod of it has started yet as well. Pods not
//! scheduled yet are grouped apart.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use foldhash::{HashMap, HashSet};

use serde::Serialize;

use super::pods::{PodView, TokenRisk, TokenRisks};
use super::workloads::WorkloadView;
use crate::snapshot::Kind;
use crate::template::Severity;
use crate::workloads::tokens::{ServiceAccountRef, TokenSource};

/// A ServiceAccount whose token is on a node.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NodeToken {
    /// The ServiceAccount: a position in `objects`.
    #[serde(serialize_with = "crate::workloads::tokens::account_object")]
    #[schemars(with = "usize")]
    pub service_account: ServiceAccountRef,
    /// The severity of its riskiest finding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    /// Its risks (template rule ids).
    pub risks: Vec<String>,
    /// How many pods on the node expose it.
    pub pods: usize,
    /// The DaemonSets (`namespace/name`) whose template will put it on the
    /// node, where none of their pods runs there yet.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub daemon_sets: Vec<String>,
}

/// What one node (or the unscheduled pods) holds.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NodeView {
    /// The node's name; absent for the pods not scheduled yet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// Pods on it.
    pub pods: usize,
    /// Hot pods on it.
    pub hot_pods: usize,
    /// The highest severity of its tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    /// Every risk its tokens carry, most severe first.
    pub risks: Vec<String>,
    /// The tokens on it the API server accepts, riskiest first.
    pub tokens: Vec<NodeToken>,
}

/// A ServiceAccount whose token is on every node.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EveryNodeToken {
    /// The ServiceAccount: a position in `objects`.
    #[serde(serialize_with = "crate::workloads::tokens::account_object")]
    #[schemars(with = "usize")]
    pub service_account: ServiceAccountRef,
    /// The severity of its riskiest finding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    /// The DaemonSets (or other owners) of the pods that carry it.
    pub owners: Vec<String>,
}

/// The blast radius of every node.
#[derive(Debug, Clone, Default, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NodesReport {
    /// Nodes, most severe first, then by name.
    pub nodes: Vec<NodeView>,
    /// Pods with no node yet (Pending).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unscheduled: Option<NodeView>,
    /// ServiceAccounts exposed on every node (with two nodes or more).
    pub on_every_node: Vec<EveryNodeToken>,
}

/// The tokens DaemonSet templates put on each node where no pod of theirs
/// runs yet: node → (ServiceAccount, DaemonSet).
type ToCome<'a> = BTreeMap<&'a str, Vec<(&'a ServiceAccountRef, String)>>;

/// Groups the pods by node, and adds what DaemonSet templates will put on
/// the nodes they land on.
pub fn blast_radius(
    pods: &[PodView],
    workloads: &[WorkloadView],
    risks: &TokenRisks<'_, '_, '_>,
) -> NodesReport {
    let mut groups: BTreeMap<Option<&str>, Vec<&PodView>> = BTreeMap::new();
    for p in pods {
        groups.entry(p.node.as_deref()).or_default().push(p);
    }
    let to_come = daemon_set_tokens(pods, workloads);
    for node in to_come.keys() {
        groups.entry(Some(node)).or_default();
    }
    let mut report = NodesReport::default();
    for (node, pods) in &groups {
        let coming = node
            .and_then(|n| to_come.get(n))
            .map_or(&[][..], |v| &v[..]);
        let view = node_view(*node, pods, coming, risks);
        match node {
            Some(_) => report.nodes.push(view),
            None => report.unscheduled = Some(view),
        }
    }
    report.nodes.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.node.cmp(&b.node))
    });
    let scheduled: Vec<(&Option<&str>, &Vec<&PodView>)> =
        groups.iter().filter(|(n, _)| n.is_some()).collect();
    if scheduled.len() >= 2 {
        let sets: Vec<BTreeSet<&ServiceAccountRef>> = scheduled
            .iter()
            .map(|(node, pods)| {
                let coming = node.and_then(|n| to_come.get(n)).into_iter().flatten();
                direct_tokens(pods)
                    .chain(coming.map(|(sa, _)| *sa))
                    .collect()
            })
            .collect();
        let common = sets.iter().skip(1).fold(sets[0].clone(), |acc, s| {
            acc.intersection(s).copied().collect()
        });
        for sa in common {
            let owners: BTreeSet<String> = pods
                .iter()
                .filter(|p| {
                    p.tokens.iter().any(|t| {
                        &t.exposure.service_account == sa
                            && t.exposure.source != TokenSource::NodeHostPath
                    })
                })
                .filter_map(|p| p.owner.as_ref().map(|o| o.to_string()))
                .chain(
                    (to_come.values().flatten())
                        .filter(|(s, _)| *s == sa)
                        .map(|(_, ds)| format!("DaemonSet {ds}")),
                )
                .collect();
            report.on_every_node.push(EveryNodeToken {
                service_account: sa.clone(),
                severity: risks.of(sa).severity,
                owners: owners.into_iter().collect(),
            });
        }
        report.on_every_node.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| a.service_account.cmp(&b.service_account))
        });
    }
    report
}

/// The tokens pods expose themselves (not through the kubelet directory),
/// that the API server accepts.
fn direct_tokens<'p>(pods: &'p [&'p PodView]) -> impl Iterator<Item = &'p ServiceAccountRef> {
    pods.iter().flat_map(|p| {
        p.tokens
            .iter()
            .filter(|t| t.exposure.api_access && t.exposure.source != TokenSource::NodeHostPath)
            .map(|t| &t.exposure.service_account)
    })
}

/// For each DaemonSet Pod Security lets run, the tokens the API server
/// accepts that its template exposes, on each node it lands on where none
/// of its pods runs.
fn daemon_set_tokens<'a>(pods: &[PodView], workloads: &'a [WorkloadView]) -> ToCome<'a> {
    let running: BTreeSet<(&str, &str, &str)> = (pods.iter())
        .filter_map(|p| {
            let w = p.workload.as_ref().filter(|w| w.kind == "DaemonSet")?;
            Some((p.namespace.as_str(), w.name.as_str(), p.node.as_deref()?))
        })
        .collect();
    let mut to_come = ToCome::new();
    for w in workloads.iter().filter(|w| {
        w.kind == Kind::DaemonSet && w.in_input && w.nodes_known && w.rejected.is_none()
    }) {
        let tokens: Vec<&ServiceAccountRef> = (w.tokens.iter())
            .filter(|t| t.exposure.api_access && t.exposure.source != TokenSource::NodeHostPath)
            .map(|t| &t.exposure.service_account)
            .collect();
        for node in &w.nodes {
            if running.contains(&(w.namespace.as_str(), w.name.as_str(), node.as_str())) {
                continue;
            }
            for sa in &tokens {
                to_come
                    .entry(node.as_str())
                    .or_default()
                    .push((*sa, format!("{}/{}", w.namespace, w.name)));
            }
        }
    }
    to_come
}

fn node_view(
    node: Option<&str>,
    pods: &[&PodView],
    coming: &[(&ServiceAccountRef, String)],
    risks: &TokenRisks<'_, '_, '_>,
) -> NodeView {
    // Each ServiceAccount's pods on the node: how many, and the last one
    // counted (a pod may expose one account's token more than once).
    let mut count: HashMap<&ServiceAccountRef, (usize, usize)> = HashMap::default();
    let mut daemon_sets: HashMap<&ServiceAccountRef, BTreeSet<&str>> = HashMap::default();
    for (sa, ds) in coming {
        count.entry(sa).or_insert((0, usize::MAX));
        daemon_sets.entry(sa).or_default().insert(ds);
    }
    for (i, p) in pods.iter().enumerate() {
        for t in p
            .tokens
            .iter()
            .filter(|t| t.exposure.api_access && t.exposure.source != TokenSource::NodeHostPath)
        {
            let (n, last) = count
                .entry(&t.exposure.service_account)
                .or_insert((0, usize::MAX));
            if *last != i {
                *n += 1;
                *last = i;
            }
        }
    }
    let mut worth: Vec<(&ServiceAccountRef, Arc<TokenRisk>, usize)> = count
        .into_iter()
        .map(|(sa, (pods, _))| (sa, risks.of(sa), pods))
        .collect();
    worth.sort_by(|a, b| b.1.severity.cmp(&a.1.severity).then_with(|| a.0.cmp(b.0)));
    // The node's risks, each once, in the order of its tokens: accounts
    // share their worth, which is looked at once.
    let mut all_risks: Vec<String> = Vec::new();
    let mut seen_risks: HashSet<&str> = HashSet::default();
    let mut seen_worth: HashSet<*const TokenRisk> = HashSet::default();
    for (_, r, _) in &worth {
        if !seen_worth.insert(Arc::as_ptr(r)) {
            continue;
        }
        for risk in &r.risks {
            if seen_risks.insert(risk) {
                all_risks.push(risk.clone());
            }
        }
    }
    let tokens: Vec<NodeToken> = (worth.iter())
        .map(|(sa, r, pods)| NodeToken {
            service_account: (*sa).clone(),
            severity: r.severity,
            risks: r.risks.clone(),
            pods: *pods,
            daemon_sets: (daemon_sets.get(sa).into_iter().flatten())
                .map(|d| d.to_string())
                .collect(),
        })
        .collect();
    NodeView {
        node: node.map(String::from),
        pods: pods.len(),
        hot_pods: pods.iter().filter(|p| p.hot).count(),
        severity: tokens.iter().filter_map(|t| t.severity).max(),
        risks: all_risks,
        tokens,
    }
}
