//! Carrying a change of worth along: from a subject to the pods exposing
//! its tokens, from those pods to their nodes, from a node to the pods that
//! can escape to it, and from each of them to the riskiest objects of its
//! kind. Worked out once as lists of indices, so that a round of the fixed
//! point touches only what changed.

use foldhash::HashMap;

use super::rater::Index;
use super::riskiest::offer;
use super::{Worth, raise};
use crate::access::Access;
use crate::rbac::SubjectId;
use crate::template::{Severity, TargetKind};
use crate::workloads::exposure::PodExposure;

/// Items grouped by a small integer key, all in one list (compressed rows).
struct Grouped {
    /// By key: where its items start in `items`; one more entry at the end.
    starts: Vec<u32>,
    /// Every group's items, one group after the other.
    items: Vec<u32>,
}

impl Grouped {
    /// Groups `pairs` of (key, item) with keys below `keys`, each group's
    /// items in the order given.
    fn of(keys: usize, pairs: &[(u32, u32)]) -> Self {
        let mut starts = vec![0u32; keys + 1];
        for &(k, _) in pairs {
            starts[k as usize + 1] += 1;
        }
        for k in 0..keys {
            starts[k + 1] += starts[k];
        }
        let mut next = starts.clone();
        let mut items = vec![0u32; pairs.len()];
        for &(k, item) in pairs {
            items[next[k as usize] as usize] = item;
            next[k as usize] += 1;
        }
        Grouped { starts, items }
    }

    /// The items of `key`.
    fn get(&self, key: usize) -> &[u32] {
        &self.items[self.starts[key] as usize..self.starts[key + 1] as usize]
    }
}

/// Who holds what, worked out once so that a round of the rating carries a
/// change of worth to just the objects it reaches: the tokens each pod
/// exposes, the pods exposing each subject's tokens, the nodes pods are on.
pub(super) struct Propagation<'e, 's> {
    exposures: &'e [PodExposure<'e>],
    /// By pod index: the subjects (indices in [`Access::subjects`]) whose
    /// tokens it exposes to the API server.
    tokens: Grouped,
    /// By subject index: the pods that expose its tokens.
    pods_of: Grouped,
    /// Node names, sorted.
    pub(super) nodes: Vec<&'e str>,
    /// By pod index: its node's position in `nodes`.
    node_of: Vec<Option<u32>>,
    /// By node position: its pods that can escape to it.
    escaping_on: Grouped,
    /// By subject index: its legacy token secrets, (namespace, name).
    secrets_of: Vec<Vec<(&'s str, &'s str)>>,
}

impl<'e, 's> Propagation<'e, 's> {
    pub(super) fn of(
        access: &Access<'_>,
        exposures: &'e [PodExposure<'e>],
        index: &Index<'s>,
    ) -> Self {
        let mut tokens = Vec::new();
        for (p, e) in exposures.iter().enumerate() {
            for sa in e.api_tokens() {
                let key = (sa.namespace.as_str(), sa.name.as_str());
                if let Some(&s) = index.service_account.get(&key) {
                    tokens.push((p as u32, s as u32));
                }
            }
        }
        let pods_of = tokens.iter().map(|&(p, s)| (s, p)).collect::<Vec<_>>();
        let pods_of = Grouped::of(access.subjects.len(), &pods_of);
        let tokens = Grouped::of(exposures.len(), &tokens);
        // Nodes numbered as first met, then renumbered in name order:
        // a pod's node is hashed once, and only distinct names are sorted.
        let mut ids: HashMap<&str, u32> = HashMap::default();
        let met: Vec<Option<u32>> = (exposures.iter())
            .map(|p| {
                let next = ids.len() as u32;
                p.node().map(|n| *ids.entry(n).or_insert(next))
            })
            .collect();
        let mut nodes: Vec<(&str, u32)> = ids.into_iter().collect();
        nodes.sort_unstable();
        let mut renumber = vec![0u32; nodes.len()];
        for (position, &(_, id)) in nodes.iter().enumerate() {
            renumber[id as usize] = position as u32;
        }
        let nodes: Vec<&str> = nodes.into_iter().map(|(n, _)| n).collect();
        let node_of: Vec<Option<u32>> = (met.into_iter())
            .map(|id| id.map(|id| renumber[id as usize]))
            .collect();
        let escaping: Vec<(u32, u32)> = (exposures.iter().zip(&node_of).enumerate())
            .filter_map(|(p, (e, n))| Some((n.filter(|_| e.escapes())?, p as u32)))
            .collect();
        let escaping_on = Grouped::of(nodes.len(), &escaping);
        let mut secrets_of = vec![Vec::new(); access.subjects.len()];
        for (&(ns, name), sa) in &index.token_secrets {
            if let Some(&s) = index.subject.get(sa) {
                secrets_of[s].push((ns, name));
            }
        }
        Propagation {
            exposures,
            tokens,
            pods_of,
            nodes,
            node_of,
            escaping_on,
            secrets_of,
        }
    }
}

/// Carries changes of subjects' worth to pods, nodes and the riskiest
/// targets: a node holds every token its pods expose; a pod its own
/// tokens, and, when it can escape to its node, one level more and at least
/// the node. Values only rise, so a node is raised by each changed pod
/// rather than worked out again from all of its pods.
pub(super) struct Spread<'p, 'e, 's> {
    propagation: &'p Propagation<'e, 's>,
    /// By node position: what it is worth.
    nodes: Vec<Option<Severity>>,
    /// By pod index: whether it is already in this round's list.
    pod_listed: Vec<bool>,
    /// By node position: whether it is already in this round's list.
    node_listed: Vec<bool>,
}

impl<'p, 'e, 's> Spread<'p, 'e, 's> {
    pub(super) fn new(propagation: &'p Propagation<'e, 's>) -> Self {
        Spread {
            propagation,
            nodes: vec![None; propagation.nodes.len()],
            pod_listed: vec![false; propagation.exposures.len()],
            node_listed: vec![false; propagation.nodes.len()],
        }
    }

    /// Carries `subjects`, the subjects whose worth just changed (already
    /// in `worth`), to the pods and nodes holding their tokens, and offers
    /// every object whose worth changed to the riskiest of its kind.
    pub(super) fn carry(
        &mut self,
        worth: &mut Worth,
        subjects: &[(usize, Option<Severity>)],
        access: &Access<'_>,
        index: &Index<'_>,
    ) {
        let prop = self.propagation;
        let token_worth = |subjects: &[Option<Severity>], p: usize| {
            (prop.tokens.get(p).iter())
                .filter_map(|&s| subjects[s as usize])
                .max()
        };
        let mut pods: Vec<u32> = Vec::new();
        for &(s, _) in subjects {
            for &p in prop.pods_of.get(s) {
                if !std::mem::replace(&mut self.pod_listed[p as usize], true) {
                    pods.push(p);
                }
            }
        }
        let mut nodes: Vec<u32> = Vec::new();
        for &p in &pods {
            if let Some(n) = prop.node_of[p as usize] {
                let held = token_worth(&worth.subjects, p as usize);
                if held > self.nodes[n as usize] {
                    self.nodes[n as usize] = held;
                    if !std::mem::replace(&mut self.node_listed[n as usize], true) {
                        nodes.push(n);
                    }
                }
            }
        }
        for &n in &nodes {
            for &p in prop.escaping_on.get(n as usize) {
                if !std::mem::replace(&mut self.pod_listed[p as usize], true) {
                    pods.push(p);
                }
            }
        }
        // In list order: the pods are read one after the other in memory.
        pods.sort_unstable();
        for &p in &pods {
            let p = p as usize;
            self.pod_listed[p] = false;
            let own = token_worth(&worth.subjects, p);
            let v = if prop.exposures[p].escapes() {
                let node = prop.node_of[p].and_then(|n| self.nodes[n as usize]);
                own.map(raise).max(node)
            } else {
                own
            };
            if v != worth.pods[p] {
                worth.pods[p] = v;
                let m = &prop.exposures[p].pod.metadata;
                let (ns, name) = (m.namespace.as_deref(), m.name.as_deref());
                let t = (TargetKind::Pod, ns.unwrap_or(""), name.unwrap_or(""));
                offer(&mut worth.riskiest, t, v, index.pod_owner[p].as_ref());
            }
        }
        for &n in &nodes {
            self.node_listed[n as usize] = false;
            let (name, v) = (prop.nodes[n as usize], self.nodes[n as usize]);
            if let Some(w) = worth.nodes.get_mut(name) {
                *w = v;
            }
            offer(&mut worth.riskiest, (TargetKind::Node, "", name), v, None);
        }
        for &(s, v) in subjects {
            let subject = &access.subjects[s].subject;
            if let SubjectId::ServiceAccount { namespace, name } = subject {
                let t = (
                    TargetKind::ServiceAccount,
                    namespace.as_str(),
                    name.as_str(),
                );
                offer(&mut worth.riskiest, t, v, Some(subject));
            }
            for &(ns, name) in &prop.secrets_of[s] {
                offer(
                    &mut worth.riskiest,
                    (TargetKind::Secret, ns, name),
                    v,
                    Some(subject),
                );
            }
        }
    }
}
