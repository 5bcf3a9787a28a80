//! What every pod of a snapshot gives away, before anything is priced: the
//! tokens its containers can read (its own, legacy token secrets, and, with
//! a hostPath that reaches the kubelet's directory, every token on its node)
//! and its amplifiers.

use foldhash::{HashMap, HashSet};
use std::collections::{BTreeMap, BTreeSet};

use crate::snapshot::pod::Workload;
use crate::snapshot::{Kind, Pod, ServiceAccount};

use super::owners::Units;
use super::templates::{Nodes, Templates};

use super::amplifiers::{self, Amplifiers, Shared};
use super::service_account_name;
use super::tokens::{self, Exposure, PodTokens, SecretIndex, ServiceAccountRef, TokenSource};
use crate::access::pod_facts::PodFacts;
use crate::snapshot::Snapshot;

/// One pod and what it exposes.
#[derive(Debug, Clone)]
pub struct PodExposure<'s> {
    /// The pod.
    pub pod: &'s Pod,
    /// The tokens its containers can read.
    pub tokens: PodTokens,
    /// What makes a compromise of it worse (shared with the pods that have
    /// the same).
    pub amplifiers: Amplifiers,
    /// For a controller's template: the workload it stands for and the
    /// nodes it may land on. None for a pod.
    pub placed: Option<Box<Placed<'s>>>,
}

/// Where a controller's template may run.
#[derive(Debug, Clone, PartialEq)]
pub struct Placed<'s> {
    /// The workload's index in [`super::owners::Units::units`].
    pub unit: usize,
    /// The nodes it may land on, in node order, worked out for a
    /// DaemonSet, a template that can take its node, and one pinned by
    /// `nodeName` (else empty: any node that fits).
    pub nodes: Vec<&'s str>,
    /// Of those, the control-plane nodes.
    pub control_plane: Vec<&'s str>,
    /// Whether it runs on every one of `nodes` at once (a DaemonSet),
    /// rather than on some of them.
    pub every: bool,
    /// Whether the nodes are the input's Node objects (else those the pods
    /// name, with labels and taints unknown).
    pub known: bool,
}

impl PodExposure<'_> {
    /// `spec.nodeName` of a pod (a template's is where it is pinned, not
    /// where it runs: see [`PodExposure::placed`]).
    pub fn node(&self) -> Option<&str> {
        if self.placed.is_some() {
            return None;
        }
        self.pod.spec.as_ref().and_then(|s| s.node_name.as_deref())
    }

    /// Whether an amplifier gives the node away.
    pub fn escapes(&self) -> bool {
        self.amplifiers.iter().any(|a| a.escape)
    }

    /// The ServiceAccounts whose tokens the API server accepts from it.
    pub fn api_tokens(&self) -> impl Iterator<Item = &ServiceAccountRef> {
        self.tokens
            .exposures
            .iter()
            .filter(|e| e.api_access)
            .map(|e| &e.service_account)
    }
}

/// What the access graph reads of a pod's exposure.
impl PodFacts for PodExposure<'_> {
    fn namespace(&self) -> &str {
        self.pod.metadata.namespace.as_deref().unwrap_or_default()
    }

    fn nodes(&self) -> impl Iterator<Item = &str> {
        let placed = self.placed.as_deref().map(|p| p.nodes.as_slice());
        (PodExposure::node(self).into_iter()).chain(placed.unwrap_or_default().iter().copied())
    }

    fn on_every_node(&self) -> bool {
        self.placed.as_deref().is_none_or(|p| p.every)
    }

    fn service_account(&self) -> (&str, &str) {
        (PodFacts::namespace(self), service_account_name(self.pod))
    }

    fn api_tokens(&self) -> impl Iterator<Item = (&str, &str, &'static str)> {
        (self.tokens.exposures.iter())
            .filter(|e| e.api_access && e.source != TokenSource::NodeHostPath)
            .map(|e| {
                let sa = &e.service_account;
                (sa.namespace.as_str(), sa.name.as_str(), e.source.as_str())
            })
    }

    fn token_accounts(&self) -> impl Iterator<Item = (&str, &str)> {
        (self.tokens.exposures.iter()).map(|e| {
            let sa = &e.service_account;
            (sa.namespace.as_str(), sa.name.as_str())
        })
    }

    fn escape(&self) -> Option<String> {
        let a = self.amplifiers.iter().find(|a| a.escape)?;
        Some(format!("{}: {}", a.code.as_str(), a.detail))
    }
}

/// Every pod's exposure, in snapshot order; `workloads` are the pods'
/// containers and volumes, in the same order (taken out of the snapshot
/// with [`Snapshot::take_workloads`]).
pub fn expose<'s>(snapshot: &'s Snapshot, workloads: &[Workload]) -> Vec<PodExposure<'s>> {
    assert_eq!(workloads.len(), snapshot.pods.len(), "one workload per pod");
    let secrets = SecretIndex::of(snapshot);
    let sas: HashMap<(&str, &str), &ServiceAccount> = snapshot
        .service_accounts
        .iter()
        .map(|sa| {
            (
                (
                    sa.metadata.namespace.as_deref().unwrap_or(""),
                    sa.metadata.name.as_deref().unwrap_or(""),
                ),
                sa,
            )
        })
        .collect();
    // Each pod on its own, on every core.
    let all: Vec<(&Pod, &Workload)> = snapshot.pods.iter().zip(workloads).collect();
    let assessed = Shared::in_runs(&all, |&(pod, workload), shared| {
        let ns = pod.metadata.namespace.as_deref().unwrap_or("");
        let sa = sas.get(&(ns, service_account_name(pod))).copied();
        (
            tokens::resolve(pod, workload, sa, &secrets),
            shared.share(amplifiers::assess(pod, workload)),
        )
    });
    let mut pods: Vec<PodExposure> = (all.iter().zip(assessed))
        .map(|(&(pod, _), (tokens, amplifiers))| PodExposure {
            pod,
            tokens,
            amplifiers,
            placed: None,
        })
        .collect();
    // Tokens the API accepts, per node, for pods that can read the
    // kubelet's directory: what each such pod gains is worked out first
    // (on every core), then added. Only the nodes where such a pod runs
    // are gathered.
    let reads_node_tokens = |p: &PodExposure<'_>| {
        (p.amplifiers.iter()).any(|a| a.node_tokens && !a.containers.is_empty())
    };
    let readers: HashSet<&str> = (pods.iter())
        .filter(|p| reads_node_tokens(p))
        .filter_map(PodExposure::node)
        .collect();
    let mut on_node: BTreeMap<&str, BTreeSet<&ServiceAccountRef>> = BTreeMap::new();
    if !readers.is_empty() {
        for p in &pods {
            if let Some(node) = p.node().filter(|n| readers.contains(n)) {
                on_node.entry(node).or_default().extend(p.api_tokens());
            }
        }
    }
    let gained: Vec<Vec<Exposure>> = crate::cores::map(&pods, 1024, |p| {
        (p.node().filter(|_| reads_node_tokens(p)))
            .and_then(|node| on_node.get(node))
            .map(|tokens| node_tokens(p, tokens))
            .unwrap_or_default()
    });
    drop(on_node);
    for (p, gained) in pods.iter_mut().zip(gained) {
        p.tokens.exposures.extend(gained);
    }
    pods
}

/// The tokens of its node that a pod gains when it can read the kubelet's
/// directory (`node_tokens`: those the API accepts from the node's pods).
fn node_tokens(p: &PodExposure<'_>, node_tokens: &BTreeSet<&ServiceAccountRef>) -> Vec<Exposure> {
    let mut gained = Vec::new();
    // The pod's own tokens the API accepts are not given again.
    let own: Vec<&ServiceAccountRef> = (p.tokens.exposures.iter())
        .filter(|e| e.api_access && e.source != TokenSource::NodeHostPath)
        .map(|e| &e.service_account)
        .collect();
    for a in (p.amplifiers.iter()).filter(|a| a.node_tokens && !a.containers.is_empty()) {
        for &sa in node_tokens {
            if own.contains(&sa) {
                continue;
            }
            gained.push(Exposure {
                service_account: sa.clone(),
                source: TokenSource::NodeHostPath,
                volume: a.volume.clone(),
                secret: None,
                audience: None,
                api_access: true,
                resolved: false,
                containers: a.containers.clone(),
            });
        }
    }
    gained
}

/// What each workload's template would expose, in template order: the same
/// rules as a pod's, and where it may land (see [`Placed`]).
pub fn expose_templates<'s>(
    snapshot: &'s Snapshot,
    units: &Units,
    templates: &'s Templates,
    nodes: &'s Nodes<'s>,
) -> Vec<PodExposure<'s>> {
    let secrets = SecretIndex::of(snapshot);
    let sas: HashMap<(&str, &str), &ServiceAccount> = (snapshot.service_accounts.iter())
        .map(|sa| {
            let m = &sa.metadata;
            let key = (
                m.namespace.as_deref().unwrap_or(""),
                m.name.as_deref().unwrap_or(""),
            );
            (key, sa)
        })
        .collect();
    // Each template on its own, on every core.
    let all: Vec<(&Pod, usize)> = (templates.pods.iter().zip(&templates.unit))
        .map(|(pod, &unit)| (pod, unit))
        .collect();
    let assessed = Shared::in_runs(&all, |&(pod, unit), shared| {
        let mut spec_only = pod.clone();
        let workload = spec_only.take_workload();
        let ns = pod.metadata.namespace.as_deref().unwrap_or("");
        let sa = sas.get(&(ns, service_account_name(pod))).copied();
        let kind = units.units[unit].kind;
        let amplifiers = shared.share(amplifiers::assess(pod, &workload));
        // Where it lands matters where its tokens will be (a DaemonSet),
        // where it takes the node, or where it is pinned: only then are
        // the nodes worked out (a Deployment of a thousand-node cluster
        // would otherwise list them all).
        let pinned = (pod.spec.as_ref()).is_some_and(|s| s.node_name.is_some());
        let escapes = amplifiers.iter().any(|a| a.escape);
        let landing = if kind == Kind::DaemonSet || escapes || pinned {
            nodes.for_template(kind, pod)
        } else {
            Vec::new()
        };
        let placed = Placed {
            unit,
            nodes: landing.iter().map(|n| n.name()).collect(),
            control_plane: (landing.iter())
                .filter(|n| n.is_control_plane())
                .map(|n| n.name())
                .collect(),
            every: kind == Kind::DaemonSet,
            known: nodes.known,
        };
        let tokens = tokens::resolve(pod, &workload, sa, &secrets);
        ((tokens, placed), amplifiers)
    });
    (all.iter().zip(assessed))
        .map(|(&(pod, _), ((tokens, placed), amplifiers))| PodExposure {
            pod,
            tokens,
            amplifiers,
            placed: Some(Box::new(placed)),
        })
        .collect()
}
