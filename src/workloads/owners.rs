//! Workloads: the unit a person fixes. A workload is a controller, its pod
//! template and the pods it owns, linked by the controlling
//! `ownerReferences`: Pod → ReplicaSet → Deployment, Pod → Job → CronJob,
//! and Pod → StatefulSet, DaemonSet or ReplicationController. Bare pods, and
//! static pods and their mirrors (owned by their Node), are no workload's.
//!
//! A chain is followed as far as the input has it: a pod whose ReplicaSet is
//! not in the input belongs to a workload named by the reference alone (a
//! dump of pods only still groups the replicas of one controller).

use foldhash::{HashMap, HashMapExt};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;

use crate::snapshot::pod::PodMeta;
use crate::snapshot::{Kind, Snapshot};

/// One workload: a top-level controller (or the reference a pod names when
/// the controller is not in the input) and the pods it owns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    /// The controller's kind.
    pub kind: Kind,
    /// Its namespace.
    pub namespace: String,
    /// Its name.
    pub name: String,
    /// Its index in the snapshot's controllers, when it is in the input.
    pub controller: Option<usize>,
    /// The pods it owns, by index in the snapshot's pods, in order.
    pub pods: Vec<usize>,
    /// The controllers between it and its pods that the input holds (the
    /// ReplicaSets of a Deployment, the Jobs of a CronJob), by index.
    pub between: Vec<usize>,
}

/// Every workload of a snapshot, and which one each pod belongs to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Units {
    /// The workloads, sorted by namespace, kind and name.
    pub units: Vec<Unit>,
    /// By pod index: its workload's index in `units`, if it has one.
    pub of_pod: Vec<Option<usize>>,
}

/// The controlling owner reference of an object, if it names a workload
/// controller kind (`controller: true`; a Node owns a static pod's mirror,
/// and other owners are not workloads).
pub fn controlling_owner(meta: &PodMeta) -> Option<(Kind, &OwnerReference)> {
    let r = (meta.owner_references.iter().flatten()).find(|r| r.controller == Some(true))?;
    let kind = Kind::from_kind_name(&r.kind).filter(|k| k.is_controller())?;
    Some((kind, r))
}

/// Groups the snapshot's pods and controllers into workloads.
pub fn group<'s>(snapshot: &'s Snapshot) -> Units {
    let controllers = &snapshot.controllers;
    let mut by_name: HashMap<(Kind, &str, &str), usize> = HashMap::with_capacity(controllers.len());
    for (i, c) in controllers.iter().enumerate() {
        let m = &c.metadata;
        let key = (
            c.kind,
            m.namespace.as_deref().unwrap_or_default(),
            m.name.as_deref().unwrap_or_default(),
        );
        by_name.insert(key, i);
    }
    // The top of each controller's chain: (kind, name, index if in the
    // input), and the controllers passed on the way.
    let top_of = |start: usize| -> (Kind, &'s str, Option<usize>, Vec<usize>) {
        let mut at = start;
        let mut between = Vec::new();
        // Chains are at most two deep (Deployment → ReplicaSet); a longer
        // one, or a circle, stops where it is.
        for _ in 0..4 {
            let c = &controllers[at];
            let ns = c.metadata.namespace.as_deref().unwrap_or_default();
            let Some((kind, r)) = controlling_owner(&c.metadata) else {
                break;
            };
            between.push(at);
            match by_name.get(&(kind, ns, r.name.as_str())) {
                Some(&up) if up != at => at = up,
                _ => return (kind, r.name.as_str(), None, between),
            }
        }
        let c = &controllers[at];
        let name = c.metadata.name.as_deref().unwrap_or_default();
        (c.kind, name, Some(at), between)
    };
    let mut units: Vec<Unit> = Vec::new();
    let mut index: HashMap<(Kind, &str, &str), usize> = HashMap::new();
    let mut unit_of = |units: &mut Vec<Unit>, kind, ns: &'s str, name: &'s str, controller| {
        *index.entry((kind, ns, name)).or_insert_with(|| {
            units.push(Unit {
                kind,
                namespace: ns.to_string(),
                name: name.to_string(),
                controller,
                pods: Vec::new(),
                between: Vec::new(),
            });
            units.len() - 1
        })
    };
    for (i, c) in controllers.iter().enumerate() {
        let ns = c.metadata.namespace.as_deref().unwrap_or_default();
        let (kind, name, at, between) = top_of(i);
        let u = unit_of(&mut units, kind, ns, name, at);
        if at == Some(i) {
            units[u].controller = Some(i);
        }
        units[u].between.extend(between);
    }
    let mut of_pod = vec![None; snapshot.pods.len()];
    for (p, pod) in snapshot.pods.iter().enumerate() {
        let Some((kind, r)) = controlling_owner(&pod.metadata) else {
            continue;
        };
        let ns = pod.metadata.namespace.as_deref().unwrap_or_default();
        let (kind, name, at) = match by_name.get(&(kind, ns, r.name.as_str())) {
            Some(&c) => {
                let (kind, name, at, _) = top_of(c);
                (kind, name, at)
            }
            None => (kind, r.name.as_str(), None),
        };
        let u = unit_of(&mut units, kind, ns, name, at);
        units[u].pods.push(p);
        of_pod[p] = Some(u);
    }
    // Sorted by namespace, kind and name, with the pods' links renumbered.
    let mut order: Vec<usize> = (0..units.len()).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (&units[a], &units[b]);
        (&a.namespace, a.kind, &a.name).cmp(&(&b.namespace, b.kind, &b.name))
    });
    let mut new_index = vec![0; units.len()];
    for (new, &old) in order.iter().enumerate() {
        new_index[old] = new;
    }
    let mut slots: Vec<Option<Unit>> = units.into_iter().map(Some).collect();
    let mut units: Vec<Unit> = order.iter().filter_map(|&o| slots[o].take()).collect();
    for u in &mut units {
        u.between.sort_unstable();
        u.between.dedup();
    }
    for link in of_pod.iter_mut().flatten() {
        *link = new_index[*link];
    }
    Units { units, of_pod }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::{Controller, Object, Pod, SnapshotBuilder};

    fn owner(kind: &str, name: &str, controller: bool) -> OwnerReference {
        OwnerReference {
            api_version: "apps/v1".into(),
            kind: kind.into(),
            name: name.into(),
            uid: format!("uid-{name}"),
            controller: Some(controller),
            block_owner_deletion: None,
        }
    }

    fn meta(name: &str, owners: Vec<OwnerReference>) -> PodMeta {
        PodMeta {
            name: Some(name.into()),
            namespace: Some("ns".into()),
            owner_references: (!owners.is_empty()).then_some(owners),
            ..PodMeta::default()
        }
    }

    fn controller(kind: Kind, name: &str, owners: Vec<OwnerReference>) -> Object {
        Object::Controller(Box::new(Controller {
            kind,
            metadata: meta(name, owners),
            replicas: None,
            suspend: None,
            template: Default::default(),
        }))
    }

    fn pod(name: &str, owners: Vec<OwnerReference>) -> Object {
        Object::Pod(Box::new(Pod {
            metadata: meta(name, owners),
            ..Pod::default()
        }))
    }

    fn grouped(objects: Vec<Object>) -> (Snapshot, Units) {
        let mut b = SnapshotBuilder::new();
        for o in objects {
            b.add(o);
        }
        let s = b.build().snapshot;
        let u = group(&s);
        (s, u)
    }

    /// (kind, name, in the input, pod names) of each unit.
    fn described(s: &Snapshot, u: &Units) -> Vec<(String, String, bool, Vec<String>)> {
        (u.units.iter())
            .map(|w| {
                let pods = (w.pods.iter())
                    .map(|&p| s.pods[p].metadata.name.clone().unwrap_or_default())
                    .collect();
                (
                    w.kind.as_str().to_string(),
                    w.name.clone(),
                    w.controller.is_some(),
                    pods,
                )
            })
            .collect()
    }

    fn unit(
        kind: &str,
        name: &str,
        found: bool,
        pods: &[&str],
    ) -> (String, String, bool, Vec<String>) {
        let pods = pods.iter().map(|p| p.to_string()).collect();
        (kind.into(), name.into(), found, pods)
    }

    #[test]
    fn a_deployments_pods_belong_to_it_through_its_replicasets() {
        // Pod → ReplicaSet → Deployment: the Deployment is the workload, and
        // the pods of an old ReplicaSet (mid-rollout) are its too.
        let (s, u) = grouped(vec![
            controller(Kind::Deployment, "web", vec![]),
            controller(
                Kind::ReplicaSet,
                "web-1",
                vec![owner("Deployment", "web", true)],
            ),
            controller(
                Kind::ReplicaSet,
                "web-2",
                vec![owner("Deployment", "web", true)],
            ),
            pod("web-1-a", vec![owner("ReplicaSet", "web-1", true)]),
            pod("web-2-a", vec![owner("ReplicaSet", "web-2", true)]),
            pod("web-2-b", vec![owner("ReplicaSet", "web-2", true)]),
        ]);
        assert_eq!(
            described(&s, &u),
            [unit(
                "Deployment",
                "web",
                true,
                &["web-1-a", "web-2-a", "web-2-b"]
            )]
        );
        assert_eq!(u.units[0].between.len(), 2);
        assert!(u.of_pod.iter().all(|p| *p == Some(0)));
    }

    #[test]
    fn a_cronjobs_pods_belong_to_it_through_its_jobs() {
        let (s, u) = grouped(vec![
            controller(Kind::CronJob, "nightly", vec![]),
            controller(
                Kind::Job,
                "nightly-1",
                vec![owner("CronJob", "nightly", true)],
            ),
            pod("nightly-1-x", vec![owner("Job", "nightly-1", true)]),
            // A Job of its own.
            controller(Kind::Job, "migrate", vec![]),
        ]);
        assert_eq!(
            described(&s, &u),
            [
                unit("Job", "migrate", true, &[]),
                unit("CronJob", "nightly", true, &["nightly-1-x"]),
            ]
        );
    }

    #[test]
    fn statefulsets_daemonsets_and_replicationcontrollers_own_their_pods_directly() {
        let (s, u) = grouped(vec![
            controller(Kind::StatefulSet, "db", vec![]),
            controller(Kind::DaemonSet, "agent", vec![]),
            controller(Kind::ReplicationController, "old", vec![]),
            pod("db-0", vec![owner("StatefulSet", "db", true)]),
            pod("agent-x", vec![owner("DaemonSet", "agent", true)]),
            pod("old-y", vec![owner("ReplicationController", "old", true)]),
        ]);
        assert_eq!(
            described(&s, &u),
            [
                unit("StatefulSet", "db", true, &["db-0"]),
                unit("DaemonSet", "agent", true, &["agent-x"]),
                unit("ReplicationController", "old", true, &["old-y"]),
            ]
        );
    }

    #[test]
    fn bare_static_and_mirror_pods_stay_pods() {
        let mut mirror = owner("Node", "node-1", true);
        mirror.api_version = "v1".into();
        let (_, u) = grouped(vec![
            pod("bare", vec![]),
            pod("mirror", vec![mirror]),
            // Owned, but not by the controller: not its workload.
            pod("adopted", vec![owner("ReplicaSet", "x", false)]),
            // A custom controller is not a workload kind.
            pod("custom", vec![owner("Rollout", "r", true)]),
        ]);
        assert!(u.units.is_empty());
        assert_eq!(u.of_pod, [None; 4]);
    }

    #[test]
    fn a_chain_stops_where_the_input_does() {
        // Only pods in the input: the replicas of one ReplicaSet are one
        // workload named by the reference; a ReplicaSet whose Deployment is
        // missing is named by its owner reference.
        let (s, u) = grouped(vec![
            pod("a-1", vec![owner("ReplicaSet", "a", true)]),
            pod("a-2", vec![owner("ReplicaSet", "a", true)]),
            controller(
                Kind::ReplicaSet,
                "b-1",
                vec![owner("Deployment", "b", true)],
            ),
            pod("b-1-x", vec![owner("ReplicaSet", "b-1", true)]),
        ]);
        assert_eq!(
            described(&s, &u),
            [
                unit("Deployment", "b", false, &["b-1-x"]),
                unit("ReplicaSet", "a", false, &["a-1", "a-2"]),
            ]
        );
    }

    #[test]
    fn a_replicaset_of_a_custom_controller_is_its_own_workload() {
        let (s, u) = grouped(vec![
            controller(Kind::ReplicaSet, "r-1", vec![owner("Rollout", "r", true)]),
            pod("r-1-x", vec![owner("ReplicaSet", "r-1", true)]),
        ]);
        assert_eq!(
            described(&s, &u),
            [unit("ReplicaSet", "r-1", true, &["r-1-x"])]
        );
    }
}
