//! What every pod of a snapshot gives away, before anything is priced: the
//! tokens its containers can read (its own, legacy token secrets, and, with
//! a hostPath that reaches the kubelet's directory, every token on its node)
//! and its amplifiers.

use foldhash::HashMap;
use std::collections::{BTreeMap, BTreeSet};

use crate::snapshot::pod::Workload;
use crate::snapshot::{Pod, ServiceAccount};

use super::amplifiers::{self, Amplifier};
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
    /// What makes a compromise of it worse.
    pub amplifiers: Vec<Amplifier>,
}

impl PodExposure<'_> {
    /// `spec.nodeName`.
    pub fn node(&self) -> Option<&str> {
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

    fn node(&self) -> Option<&str> {
        PodExposure::node(self)
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
    let mut pods: Vec<PodExposure> = crate::cores::map(&all, 1024, |&(pod, workload)| {
        let ns = pod.metadata.namespace.as_deref().unwrap_or("");
        let sa = sas.get(&(ns, service_account_name(pod))).copied();
        PodExposure {
            pod,
            tokens: tokens::resolve(pod, workload, sa, &secrets),
            amplifiers: amplifiers::assess(pod, workload),
        }
    });
    // Tokens the API accepts, per node, for pods that can read the
    // kubelet's directory: what each such pod gains is worked out first
    // (on every core), then added.
    let mut on_node: BTreeMap<&str, BTreeSet<&ServiceAccountRef>> = BTreeMap::new();
    for p in &pods {
        if let Some(node) = p.node() {
            on_node.entry(node).or_default().extend(p.api_tokens());
        }
    }
    let gained: Vec<Vec<Exposure>> = crate::cores::map(&pods, 1024, |p| {
        (p.node().and_then(|node| on_node.get(node)))
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
