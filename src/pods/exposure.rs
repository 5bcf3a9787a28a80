//! What every pod of a snapshot gives away, before anything is priced: the
//! tokens its containers can read (its own, legacy token secrets, and, with
//! a hostPath that reaches the kubelet's directory, every token on its node)
//! and its amplifiers.

use foldhash::HashMap;
use std::collections::{BTreeMap, BTreeSet};

use crate::snapshot::{Pod, ServiceAccount};

use super::amplifiers::{self, Amplifier};
use super::service_account_name;
use super::tokens::{self, Exposure, PodTokens, SecretIndex, ServiceAccountRef, TokenSource};
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

/// Every pod's exposure, in snapshot order.
pub fn expose(snapshot: &Snapshot) -> Vec<PodExposure<'_>> {
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
    let mut pods: Vec<PodExposure> = snapshot
        .pods
        .iter()
        .map(|pod| {
            let ns = pod.metadata.namespace.as_deref().unwrap_or("");
            let sa = sas.get(&(ns, service_account_name(pod))).copied();
            PodExposure {
                pod,
                tokens: tokens::resolve(pod, sa, &secrets),
                amplifiers: amplifiers::assess(pod),
            }
        })
        .collect();
    // Tokens the API accepts, per node, for pods that can read the kubelet's directory.
    let mut on_node: BTreeMap<&str, BTreeSet<ServiceAccountRef>> = BTreeMap::new();
    for p in &pods {
        if let Some(node) = p.pod.spec.as_ref().and_then(|s| s.node_name.as_deref()) {
            on_node
                .entry(node)
                .or_default()
                .extend(p.api_tokens().cloned());
        }
    }
    for p in &mut pods {
        if let Some(node) = p.pod.spec.as_ref().and_then(|s| s.node_name.as_deref()) {
            add_node_tokens(&mut p.tokens, &p.amplifiers, on_node.get(node));
        }
    }
    pods
}

/// Gives a pod that can read the kubelet's directory the tokens of its node.
fn add_node_tokens(
    t: &mut PodTokens,
    amps: &[Amplifier],
    node_tokens: Option<&BTreeSet<ServiceAccountRef>>,
) {
    let Some(node_tokens) = node_tokens else {
        return;
    };
    for a in amps
        .iter()
        .filter(|a| a.node_tokens && !a.containers.is_empty())
    {
        let volume = a.volume.clone();
        for sa in node_tokens {
            let already = t.exposures.iter().any(|e| {
                &e.service_account == sa && e.api_access && e.source != TokenSource::NodeHostPath
            });
            if already {
                continue;
            }
            t.exposures.push(Exposure {
                service_account: sa.clone(),
                source: TokenSource::NodeHostPath,
                volume: volume.clone(),
                secret: None,
                audience: None,
                api_access: true,
                resolved: false,
                containers: a.containers.clone(),
            });
        }
    }
}
