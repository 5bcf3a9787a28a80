//! The riskiest ServiceAccount, pod, token secret and node, cluster-wide
//! and per namespace, that full grants rated by targets are compared with.

use foldhash::HashMap;

use super::{RatedTarget, target};
use crate::rbac::SubjectId;
use crate::template::{Severity, TargetKind};

/// A target for full grants, with the ServiceAccount whose token it carries
/// when it carries exactly one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Candidate {
    pub(super) target: RatedTarget,
    pub(super) owner: Option<SubjectId>,
}

/// The riskiest objects of one kind: cluster-wide under `""`, and per namespace.
pub(super) type Riskiest = HashMap<String, Vec<Candidate>>;

/// Offers an object (kind, namespace, name) worth `severity` to the riskiest
/// of its kind, cluster-wide and in its namespace. Each keeps the two first
/// with different owners, riskiest first and, among equals, by namespace
/// and name, so that the choice does not depend on the order objects are
/// offered in. An object offered again, worth more than before, takes its
/// own place: offering each object every time its worth rises keeps what
/// offering every object once, at its final worth, would. Nothing is copied
/// for an object that is not kept.
pub(super) fn offer(
    table: &mut HashMap<TargetKind, Riskiest>,
    (kind, namespace, name): (TargetKind, &str, &str),
    severity: Option<Severity>,
    owner: Option<&SubjectId>,
) {
    if severity.is_none() {
        return;
    }
    let offered = (std::cmp::Reverse(severity), namespace, name);
    fn rank(c: &Candidate) -> (std::cmp::Reverse<Option<Severity>>, &str, &str) {
        let t = &c.target;
        (std::cmp::Reverse(t.severity), &t.namespace, &t.name)
    }
    let by_namespace = table.entry(kind).or_default();
    let scopes: &[&str] = if namespace.is_empty() {
        &[""]
    } else {
        &["", namespace]
    };
    for &ns in scopes {
        let top = match by_namespace.get_mut(ns) {
            Some(top) => top,
            None => by_namespace.entry(ns.to_string()).or_default(),
        };
        // The same object offered again (its worth rose), or another of
        // the same owner: only the better of the two is kept.
        let same = |c: &Candidate| {
            (c.owner.is_some() && c.owner.as_ref() == owner)
                || (c.target.namespace == namespace && c.target.name == name)
        };
        match top.iter().position(same) {
            Some(i) if rank(&top[i]) <= offered => continue,
            Some(i) => {
                top.remove(i);
            }
            None => {}
        }
        if top.len() >= 2 && top.iter().all(|c| rank(c) <= offered) {
            continue;
        }
        top.push(Candidate {
            target: target(kind, namespace, name, severity),
            owner: owner.cloned(),
        });
        top.sort_by(|a, b| rank(a).cmp(&rank(b)));
        top.truncate(2);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    const LEVELS: [Severity; 4] = [
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    /// An object: namespace, name, owner (a ServiceAccount's name, or
    /// none) and its final worth.
    type Object = (String, String, Option<SubjectId>, Severity);

    /// The table as plain data: by scope, (namespace, name, worth, owner).
    type Plain = BTreeMap<String, Vec<(String, String, Option<Severity>, Option<SubjectId>)>>;

    fn plain(table: &HashMap<TargetKind, Riskiest>) -> Plain {
        let pods = table.get(&TargetKind::Pod).cloned().unwrap_or_default();
        (pods.into_iter())
            .map(|(scope, top)| {
                let top = (top.into_iter())
                    .map(|c| {
                        (
                            c.target.namespace,
                            c.target.name,
                            c.target.severity,
                            c.owner,
                        )
                    })
                    .collect();
                (scope, top)
            })
            .collect()
    }

    /// What the table must hold, worked out directly: in each scope, the
    /// riskiest object of each owner (an object without one is its own),
    /// the first two of those by worth, then namespace and name.
    fn model(objects: &[Object]) -> Plain {
        let mut out = Plain::new();
        let mut scopes: Vec<&str> = vec![""];
        scopes.extend(objects.iter().map(|o| o.0.as_str()));
        scopes.sort_unstable();
        scopes.dedup();
        for scope in scopes {
            let mut best: BTreeMap<String, &Object> = BTreeMap::new();
            let rank = |o: &Object| (std::cmp::Reverse(o.3), o.0.clone(), o.1.clone());
            for o in objects.iter().filter(|o| scope.is_empty() || o.0 == scope) {
                let key = match &o.2 {
                    Some(owner) => format!("owner {owner}"),
                    None => format!("object {}/{}", o.0, o.1),
                };
                if best.get(&key).is_none_or(|b| rank(o) < rank(b)) {
                    best.insert(key, o);
                }
            }
            let mut top: Vec<&Object> = best.into_values().collect();
            top.sort_by_key(|o| rank(o));
            top.truncate(2);
            if !top.is_empty() {
                let top = (top.into_iter())
                    .map(|o| (o.0.clone(), o.1.clone(), Some(o.3), o.2.clone()))
                    .collect();
                out.insert(scope.to_string(), top);
            }
        }
        out
    }

    fn objects() -> impl Strategy<Value = Vec<Object>> {
        let one = (0..2usize, 0..4usize, 0..4usize, 0..4usize);
        proptest::collection::vec(one, 0..10).prop_map(|raw| {
            let mut seen = std::collections::BTreeSet::new();
            (raw.into_iter())
                .filter(|&(ns, name, _, _)| seen.insert((ns, name)))
                .map(|(ns, name, owner, level)| {
                    let owner = (owner > 0).then(|| SubjectId::ServiceAccount {
                        namespace: "x".into(),
                        name: format!("sa-{owner}"),
                    });
                    (
                        format!("ns-{ns}"),
                        format!("p-{name}"),
                        owner,
                        LEVELS[level],
                    )
                })
                .collect()
        })
    }

    proptest! {
        /// Each object offered at every level up to its final worth, the
        /// offers of different objects interleaved in any order: the table
        /// is the model's, as when each is offered once at its final worth.
        #[test]
        fn rising_offers_in_any_order_keep_the_riskiest(
            objects in objects(),
            order in proptest::collection::vec(any::<u16>(), 40),
        ) {
            let mut offers: Vec<(usize, Severity)> = Vec::new();
            for (i, o) in objects.iter().enumerate() {
                offers.extend(LEVELS.iter().filter(|&&l| l <= o.3).map(|&l| (i, l)));
            }
            // Interleaved by `order`, each object's offers still rising.
            let mut keyed: Vec<(u16, usize, Severity)> = (offers.iter().enumerate())
                .map(|(n, &(i, l))| (order[n % order.len()], i, l))
                .collect();
            keyed.sort_by_key(|&(k, i, l)| (k, i, l));
            let mut rising: BTreeMap<usize, Vec<Severity>> = BTreeMap::new();
            for &(i, l) in &offers {
                rising.entry(i).or_default().push(l);
            }
            let mut taken: BTreeMap<usize, usize> = BTreeMap::new();
            let mut table = HashMap::default();
            for &(_, i, _) in &keyed {
                let n = taken.entry(i).or_default();
                let level = rising[&i][*n];
                *n += 1;
                let o = &objects[i];
                offer(&mut table, (TargetKind::Pod, &o.0, &o.1), Some(level), o.2.as_ref());
            }
            prop_assert_eq!(plain(&table), model(&objects));
            let mut once = HashMap::default();
            for o in objects.iter().rev() {
                offer(&mut once, (TargetKind::Pod, &o.0, &o.1), Some(o.3), o.2.as_ref());
            }
            prop_assert_eq!(plain(&once), model(&objects));
        }
    }
}
