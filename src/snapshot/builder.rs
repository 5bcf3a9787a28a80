//! Building a snapshot: objects added in any order, each kind's list sorted
//! by namespace and name and de-duplicated once, the last copy of an object
//! kept.

use super::Snapshot;
use super::coverage::Gap;
use super::kind::Kind;
use super::object::{Names, Object};
use super::secret::sanitize_secret;

/// Collects objects into a [`Snapshot`]. An object seen twice (same kind,
/// namespace and name) replaces the earlier one and is counted as a duplicate.
///
/// Objects go straight into their kind's list, in the order added, and
/// each list is sorted and de-duplicated once, in [`SnapshotBuilder::build`]
/// (a sorted map would move large objects around on every insertion, a hash
/// map hash every key). A list that arrives in order, each identity once,
/// as an API server and kubectl list them, is kept as it is.
#[derive(Debug, Default)]
pub struct SnapshotBuilder {
    snapshot: Snapshot,
}

/// A built snapshot, and how many objects a later copy replaced.
#[derive(Debug)]
pub struct Built {
    /// The snapshot.
    pub snapshot: Snapshot,
    /// Objects replaced by a later copy with the same identity.
    pub duplicates: usize,
}

impl SnapshotBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one object. Objects are identified by kind, namespace and name
    /// (cluster-scoped kinds ignore a stray namespace); of two with the same
    /// identity, the later is kept.
    pub fn add(&mut self, object: Object) {
        let mut object = match object {
            Object::Secret(secret) => Object::Secret(sanitize_secret(secret)),
            other => other,
        };
        if let Some(a) = object.annotations_mut() {
            a.remove(LAST_APPLIED_ANNOTATION);
        }
        object.fit();
        let s = &mut self.snapshot;
        match object {
            Object::ClusterRole(o) => s.cluster_roles.push(o),
            Object::ClusterRoleBinding(o) => s.cluster_role_bindings.push(o),
            Object::Role(o) => s.roles.push(o),
            Object::RoleBinding(o) => s.role_bindings.push(o),
            Object::ServiceAccount(o) => s.service_accounts.push(o),
            Object::Pod(o) => s.pods.push(*o),
            Object::Namespace(o) => s.namespaces.push(o),
            Object::Secret(o) => s.secrets.push(o),
            Object::Controller(o) => s.controllers.push(*o),
            Object::Node(o) => s.nodes.push(o),
            Object::Crd(o) => s.crds.push(o),
            // Only the ConfigMap EKS reads is kept.
            Object::AwsAuth(o) if o.is_the_one() => s.aws_auth.push(o),
            Object::AwsAuth(_) => {}
            Object::AppProject(o) => s.app_projects.push(*o),
            Object::SecretStore(o) => s.secret_stores.push(*o),
        }
    }

    /// Records that `gap.kind` could not be read completely.
    pub fn add_gap(&mut self, gap: Gap) {
        self.snapshot.coverage.add(gap);
    }

    /// Records that objects of `kind` were deliberately not collected.
    pub fn skip(&mut self, kind: Kind) {
        self.snapshot.coverage.skip(kind);
    }

    /// The snapshot, every list sorted by namespace then name, each identity
    /// once (its last copy).
    pub fn build(self) -> Built {
        let mut s = self.snapshot;
        // The pods on one core; the ServiceAccounts, and every other kind,
        // beside them.
        let mut pods = std::mem::take(&mut s.pods);
        let mut accounts = std::mem::take(&mut s.service_accounts);
        let (pod_duplicates, (account_duplicates, duplicates)) = crate::cores::join(
            || settle(&mut pods, Kind::Pod, |o| Names::of(&o.metadata)),
            || {
                crate::cores::join(
                    || {
                        settle(&mut accounts, Kind::ServiceAccount, |o| {
                            Names::of(&o.metadata)
                        })
                    },
                    || settle_the_rest(&mut s),
                )
            },
        );
        s.pods = pods;
        s.service_accounts = accounts;
        let duplicates = pod_duplicates + account_duplicates + duplicates;
        Built {
            snapshot: s,
            duplicates,
        }
    }
}

/// [`settle`]s every kind but the pods and ServiceAccounts; returns how
/// many earlier copies were dropped.
fn settle_the_rest(s: &mut Snapshot) -> usize {
    settle(&mut s.cluster_roles, Kind::ClusterRole, |o| {
        Names::of(&o.metadata)
    }) + settle(
        &mut s.cluster_role_bindings,
        Kind::ClusterRoleBinding,
        |o| Names::of(&o.metadata),
    ) + settle(&mut s.roles, Kind::Role, |o| Names::of(&o.metadata))
        + settle(&mut s.role_bindings, Kind::RoleBinding, |o| {
            Names::of(&o.metadata)
        })
        + settle(&mut s.namespaces, Kind::Namespace, |o| {
            Names::of(&o.metadata)
        })
        + settle(&mut s.secrets, Kind::Secret, |o| Names::of(&o.metadata))
        + settle_controllers(&mut s.controllers)
        + settle(&mut s.nodes, Kind::Node, |o| Names::of(&o.metadata))
        + settle(&mut s.crds, Kind::CustomResourceDefinition, |o| {
            Names::of(&o.metadata)
        })
        + settle(&mut s.aws_auth, Kind::ConfigMap, |o| Names::of(&o.metadata))
        + settle(&mut s.app_projects, Kind::AppProject, |o| {
            Names::of(&o.metadata)
        })
        + settle(&mut s.secret_stores, Kind::ClusterSecretStore, |o| {
            Names::of(&o.metadata)
        })
}

/// Sorts `items` (of `kind`, in the order added) by identity and keeps the
/// last added of each; returns how many earlier copies were dropped.
fn settle<T>(items: &mut Vec<T>, kind: Kind, names: fn(&T) -> Names<'_>) -> usize {
    let namespaced = kind.is_namespaced();
    fn by<T>(names: fn(&T) -> Names<'_>, namespaced: bool, item: &T) -> (&str, &str) {
        names(item).identity(namespaced)
    }
    let key = |item| by(names, namespaced, item);
    if items.windows(2).all(|w| key(&w[0]) < key(&w[1])) {
        // What doubling left unused is given back.
        items.shrink_to_fit();
        return 0;
    }
    // Each key worked out once; the position added breaks ties, so of
    // equal keys the order added is kept.
    let mut order: Vec<((&str, &str), usize)> = (items.iter().enumerate())
        .map(|(i, item)| (key(item), i))
        .collect();
    order.sort_unstable();
    // Of each run of equal keys, the last added.
    let last: Vec<usize> = (order.iter().enumerate())
        .filter(|&(at, (k, _))| order.get(at + 1).is_none_or(|(next, _)| next != k))
        .map(|(_, &(_, i))| i)
        .collect();
    drop(order);
    let duplicates = items.len() - last.len();
    let mut slots: Vec<Option<T>> = std::mem::take(items).into_iter().map(Some).collect();
    // Sized once (a pod is large: doubling would leave up to half unused).
    items.reserve_exact(last.len());
    items.extend(last.into_iter().filter_map(|i| slots[i].take()));
    duplicates
}

/// Sorts the controllers by kind, then identity, each identity once (its
/// last copy); returns how many earlier copies were dropped.
fn settle_controllers(items: &mut Vec<super::Controller>) -> usize {
    // Stable: of equal kinds the order added is kept for `settle`.
    items.sort_by_key(|c| c.kind);
    let mut out = Vec::with_capacity(items.len());
    let mut duplicates = 0;
    let mut rest = std::mem::take(items);
    while !rest.is_empty() {
        let kind = rest[0].kind;
        let split = rest.partition_point(|c| c.kind == kind);
        let tail = rest.split_off(split);
        let mut of_kind = rest;
        duplicates += settle(&mut of_kind, kind, |o| Names::of(&o.metadata));
        out.append(&mut of_kind);
        rest = tail;
    }
    *items = out;
    duplicates
}

/// kubectl's copy of an applied object. It repeats the object, literal env
/// values and Secret data included, and the analysis never reads it: it is
/// dropped from every object.
pub const LAST_APPLIED_ANNOTATION: &str = "kubectl.kubernetes.io/last-applied-configuration";

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use k8s_openapi::api::rbac::v1::{ClusterRole, Role};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    use super::*;

    fn role(namespace: Option<&str>, name: &str, copy: usize) -> Object {
        Object::Role(Role {
            metadata: ObjectMeta {
                namespace: namespace.map(Into::into),
                name: Some(name.into()),
                labels: Some(BTreeMap::from([("copy".into(), copy.to_string())])),
                ..ObjectMeta::default()
            },
            ..Role::default()
        })
    }

    /// (namespace, name, copy) of each Role kept, in order.
    fn kept(s: &Snapshot) -> Vec<(String, String, String)> {
        (s.roles.iter())
            .map(|r| {
                let m = &r.metadata;
                let copy = &m.labels.as_ref().unwrap()["copy"];
                (
                    m.namespace.clone().unwrap_or_default(),
                    m.name.clone().unwrap(),
                    copy.clone(),
                )
            })
            .collect()
    }

    #[test]
    fn objects_are_sorted_by_namespace_and_name_and_the_last_copy_wins() {
        let mut b = SnapshotBuilder::new();
        for (i, (ns, name)) in [
            ("b", "x"),
            ("a", "y"),
            ("b", "x"),
            ("a", "a-b"),
            ("a-b", "a"),
        ]
        .into_iter()
        .enumerate()
        {
            b.add(role(Some(ns), name, i));
        }
        // Cluster-scoped: a stray namespace is no part of the identity.
        b.add(Object::ClusterRole(ClusterRole {
            metadata: ObjectMeta {
                namespace: Some("z".into()),
                name: Some("c".into()),
                ..ObjectMeta::default()
            },
            ..ClusterRole::default()
        }));
        b.add(Object::ClusterRole(ClusterRole {
            metadata: ObjectMeta {
                name: Some("c".into()),
                ..ObjectMeta::default()
            },
            ..ClusterRole::default()
        }));
        let built = b.build();
        assert_eq!(built.duplicates, 2);
        let s = built.snapshot;
        let want = [
            ("a", "a-b", "3"),
            ("a", "y", "1"),
            ("a-b", "a", "4"),
            ("b", "x", "2"),
        ];
        let want: Vec<(String, String, String)> = (want.iter())
            .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
            .collect();
        assert_eq!(kept(&s), want);
        assert_eq!(s.cluster_roles.len(), 1);
        assert_eq!(s.cluster_roles[0].metadata.namespace, None);
    }

    proptest::proptest! {
        /// Whatever the order and the copies, the kept objects are those of
        /// a map from identity to the last copy added, in the map's order.
        #[test]
        fn building_keeps_what_a_sorted_map_keeps(
            adds in proptest::collection::vec((0..3usize, 0..4usize), 0..40),
            presorted in proptest::bool::ANY,
        ) {
            let names = ["a", "a-b", "b", ""];
            let mut adds: Vec<(&str, &str)> = adds.iter().map(|&(n, m)| (names[n], names[m])).collect();
            if presorted {
                adds.sort();
                adds.dedup();
            }
            let mut b = SnapshotBuilder::new();
            let mut model = BTreeMap::new();
            for (i, (ns, name)) in adds.iter().enumerate() {
                b.add(role(Some(ns), name, i));
                model.insert((ns.to_string(), name.to_string()), i.to_string());
            }
            let built = b.build();
            let want: Vec<(String, String, String)> =
                model.iter().map(|((n, m), c)| (n.clone(), m.clone(), c.clone())).collect();
            proptest::prop_assert_eq!(kept(&built.snapshot), want);
            proptest::prop_assert_eq!(built.duplicates, adds.len() - model.len());
        }
    }
}
