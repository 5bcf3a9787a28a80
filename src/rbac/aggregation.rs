//! Aggregated ClusterRoles: a ClusterRole with an `aggregationRule` gets the
//! rules of every other ClusterRole selected by any of its
//! `clusterRoleSelectors` (the kube-controller-manager's
//! clusterrole-aggregation controller, `syncClusterRole` upstream).
//!
//! The authorizer reads a role's *stored* rules, so those are always in
//! effect, aggregated role or not: the controller may not run (offline
//! manifests, or a cluster without it), and a cycle of roles that select
//! each other keeps whatever rules its members hold for good, because the
//! controller copies each one's rules into the other. On top of the stored
//! rules comes what the controller would copy in: the effective rules of
//! each selected role, transitively (`admin` selects `edit`, which selects
//! `view`). The controller skips the role itself when its own labels match.
//!
//! Computed in time linear in the roles, the selections and the rules
//! produced: selectors are matched through a label index, and the roles
//! that select each other (strongly connected components) share one union,
//! built once, in dependency order.

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use std::collections::BTreeMap;

use k8s_openapi::api::rbac::v1::{ClusterRole, PolicyRule};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use petgraph::graph::DiGraph;

use super::rules::{RuleKey, rule_key};
use super::selector;

/// A rule of a ClusterRole, by index into the `cluster_roles` given to
/// [`aggregate`] and into that role's stored `rules`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RuleSource {
    /// Index of the ClusterRole that stores the rule.
    pub role: usize,
    /// Index of the rule in that role's `rules`.
    pub rule: usize,
}

/// The outcome of aggregation over a snapshot's ClusterRoles.
#[derive(Debug, Clone, Default)]
pub struct Aggregation {
    /// For each ClusterRole (input order), its effective rules: its own
    /// stored rules first, in order, then those aggregated in from other
    /// roles that are not identical to one already there.
    pub rules: Vec<Vec<RuleSource>>,
    /// For each ClusterRole, the roles it selects directly (for an
    /// aggregated role), in the controller's order, itself excluded.
    pub selects: Vec<Vec<usize>>,
    /// Sets of aggregated ClusterRoles that select each other, directly or
    /// through others: each member holds the rules of all, for good.
    pub cycles: Vec<Vec<usize>>,
    /// Aggregated ClusterRoles whose selectors match their own labels.
    pub self_selecting: Vec<usize>,
}

/// Aggregates `cluster_roles`, sorted by name as a snapshot holds them; see
/// the module documentation.
pub fn aggregate(cluster_roles: &[ClusterRole]) -> Aggregation {
    let n = cluster_roles.len();
    let index = LabelIndex::of(cluster_roles);
    let mut selects: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut self_selecting = Vec::new();
    for (i, role) in cluster_roles.iter().enumerate() {
        let Some(agg) = &role.aggregation_rule else {
            continue;
        };
        let mut chosen: Vec<usize> = Vec::new();
        let mut seen: HashSet<usize> = HashSet::new();
        let mut selects_itself = false;
        for sel in agg.cluster_role_selectors.iter().flatten() {
            let mut hits: Vec<usize> = index
                .candidates(sel)
                .into_iter()
                .filter(|&j| selector::matches(sel, cluster_roles[j].metadata.labels.as_ref()))
                .collect();
            // The controller takes the selected roles by name; a snapshot's
            // ClusterRoles are sorted by name, so index order is name order.
            hits.sort_unstable();
            for h in hits {
                if h == i {
                    selects_itself = true;
                } else if seen.insert(h) {
                    chosen.push(h);
                }
            }
        }
        if selects_itself {
            self_selecting.push(i);
        }
        selects[i] = chosen;
    }

    let mut graph: DiGraph<usize, ()> = DiGraph::with_capacity(n, 0);
    let nodes: Vec<_> = (0..n).map(|i| graph.add_node(i)).collect();
    for (i, targets) in selects.iter().enumerate() {
        for &t in targets {
            graph.add_edge(nodes[i], nodes[t], ());
        }
    }
    // Components come out in reverse topological order: whatever a role
    // selects is finished before the role itself.
    let components = petgraph::algo::tarjan_scc(&graph);
    let stored = |r: usize| {
        let count = cluster_roles[r].rules.as_ref().map_or(0, Vec::len);
        (0..count).map(move |k| RuleSource { role: r, rule: k })
    };
    // Every distinct rule gets a number once, so that de-duplication below
    // compares numbers, not rule contents.
    let mut ids: HashMap<RuleKey, u32> = HashMap::new();
    let rule_id: Vec<Vec<u32>> = cluster_roles
        .iter()
        .map(|r| {
            r.rules
                .iter()
                .flatten()
                .map(|rule| {
                    let next = ids.len() as u32;
                    *ids.entry(rule_key(rule)).or_insert(next)
                })
                .collect()
        })
        .collect();
    let id_of = |s: RuleSource| rule_id[s.role][s.rule];
    // `seen[id] == mark` when rule `id` is already in the list being built.
    let mut seen: Vec<u32> = vec![0; ids.len()];
    let mut mark: u32 = 0;
    let mut dedup = |sources: &mut dyn Iterator<Item = RuleSource>| -> Vec<RuleSource> {
        mark += 1;
        let mut out = Vec::new();
        for src in sources {
            let id = id_of(src) as usize;
            if seen[id] != mark {
                seen[id] = mark;
                out.push(src);
            }
        }
        out
    };
    let mut rules: Vec<Vec<RuleSource>> = vec![Vec::new(); n];
    let mut cycles = Vec::new();
    let mut component_of: Vec<usize> = vec![0; n];
    for (c, component) in components.iter().enumerate() {
        for ni in component {
            component_of[graph[*ni]] = c;
        }
    }
    // `taken[component] == c + 1` once component `c` has taken its rules.
    let mut taken: Vec<usize> = vec![0; components.len()];
    for (c, component) in components.iter().enumerate() {
        let mut members: Vec<usize> = component.iter().map(|ni| graph[*ni]).collect();
        members.sort_by(|a, b| {
            cluster_roles[*a]
                .metadata
                .name
                .cmp(&cluster_roles[*b].metadata.name)
        });
        if members.len() > 1 {
            cycles.push(members.clone());
        }
        // What every member gets on top of its own stored rules: the
        // members' stored rules, then what the members select outside. The
        // members of one component all hold the same rules, so each
        // selected component is taken once, through the first member selected.
        let mut selected: Vec<usize> = Vec::new();
        for &m in &members {
            for &s in &selects[m] {
                let cs = component_of[s];
                if cs != c && taken[cs] != c + 1 {
                    taken[cs] = c + 1;
                    selected.push(s);
                }
            }
        }
        let mut shared_sources = members
            .iter()
            .filter(|_| members.len() > 1)
            .flat_map(|&m| stored(m))
            .chain(selected.iter().flat_map(|&s| rules[s].iter().copied()));
        let shared = dedup(&mut shared_sources);
        for &m in &members {
            rules[m] = dedup(&mut stored(m).chain(shared.iter().copied()));
        }
    }
    cycles.sort();
    Aggregation {
        rules,
        selects,
        cycles,
        self_selecting,
    }
}

/// The rule a source points at.
pub fn rule_at(roles: &[ClusterRole], src: RuleSource) -> &PolicyRule {
    &roles[src.role].rules.as_deref().unwrap_or_default()[src.rule]
}

/// ClusterRoles by label, so that a selector is matched against the roles
/// that can match it rather than against all.
struct LabelIndex {
    all: Vec<usize>,
    by_pair: HashMap<(String, String), Vec<usize>>,
    by_key: HashMap<String, Vec<usize>>,
}

impl LabelIndex {
    fn of(roles: &[ClusterRole]) -> LabelIndex {
        let mut by_pair: HashMap<(String, String), Vec<usize>> = HashMap::new();
        let mut by_key: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, r) in roles.iter().enumerate() {
            for (k, v) in r.metadata.labels.iter().flatten() {
                by_pair.entry((k.clone(), v.clone())).or_default().push(i);
                by_key.entry(k.clone()).or_default().push(i);
            }
        }
        LabelIndex {
            all: (0..roles.len()).collect(),
            by_pair,
            by_key,
        }
    }

    /// A superset of the roles `sel` matches, as small as the index allows:
    /// the rarest required label pair, or the rarest key an `In` or `Exists`
    /// requirement needs; every role when the selector requires no label.
    fn candidates(&self, sel: &LabelSelector) -> Vec<usize> {
        let empty: Vec<usize> = Vec::new();
        let mut best: Option<Vec<usize>> = None;
        let mut consider = |c: Vec<usize>| {
            if best.as_ref().is_none_or(|b| c.len() < b.len()) {
                best = Some(c);
            }
        };
        for (k, v) in sel.match_labels.iter().flatten() {
            consider(
                self.by_pair
                    .get(&(k.clone(), v.clone()))
                    .unwrap_or(&empty)
                    .clone(),
            );
        }
        for e in sel.match_expressions.iter().flatten() {
            match e.operator.as_str() {
                "In" => {
                    let mut union: BTreeMap<usize, ()> = BTreeMap::new();
                    for v in e.values.iter().flatten() {
                        for &i in self
                            .by_pair
                            .get(&(e.key.clone(), v.clone()))
                            .unwrap_or(&empty)
                        {
                            union.insert(i, ());
                        }
                    }
                    consider(union.into_keys().collect());
                }
                "Exists" => consider(self.by_key.get(&e.key).unwrap_or(&empty).clone()),
                _ => {}
            }
        }
        best.unwrap_or_else(|| self.all.clone())
    }
}

#[cfg(test)]
mod tests {
    //! From the Kubernetes documentation ("Aggregated ClusterRoles") and the
    //! clusterrole-aggregation controller's `syncClusterRole`.
    use super::*;
    use k8s_openapi::api::rbac::v1::AggregationRule;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};

    fn role(
        name: &str,
        labels: &[(&str, &str)],
        rules: &[&str],
        selects: &[(&str, &str)],
    ) -> ClusterRole {
        ClusterRole {
            metadata: ObjectMeta {
                name: Some(name.into()),
                labels: Some(
                    labels
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect(),
                ),
                ..Default::default()
            },
            rules: Some(
                rules
                    .iter()
                    .map(|r| PolicyRule {
                        api_groups: Some(vec!["".into()]),
                        resources: Some(vec![r.to_string()]),
                        verbs: vec!["get".into()],
                        ..Default::default()
                    })
                    .collect(),
            ),
            aggregation_rule: (!selects.is_empty()).then(|| AggregationRule {
                cluster_role_selectors: Some(
                    selects
                        .iter()
                        .map(|(k, v)| LabelSelector {
                            match_labels: Some([(k.to_string(), v.to_string())].into()),
                            ..Default::default()
                        })
                        .collect(),
                ),
            }),
        }
    }

    fn resources(roles: &[ClusterRole], agg: &Aggregation, i: usize) -> Vec<String> {
        agg.rules[i]
            .iter()
            .map(|s| rule_at(roles, *s).resources.as_ref().unwrap()[0].clone())
            .collect()
    }

    #[test]
    fn an_aggregated_role_keeps_its_stored_rules_and_gains_the_selected_ones() {
        let roles = vec![
            role(
                "monitoring",
                &[],
                &["stored"],
                &[("aggregate-to-monitoring", "true")],
            ),
            role(
                "monitoring-endpoints",
                &[("aggregate-to-monitoring", "true")],
                &["endpoints"],
                &[],
            ),
            role(
                "monitoring-pods",
                &[("aggregate-to-monitoring", "true")],
                &["pods"],
                &[],
            ),
            role("unrelated", &[], &["secrets"], &[]),
        ];
        let agg = aggregate(&roles);
        // The stored rules are what the authorizer reads; selected roles in name order.
        assert_eq!(resources(&roles, &agg, 0), ["stored", "endpoints", "pods"]);
        assert_eq!(resources(&roles, &agg, 2), ["pods"]);
        assert_eq!(resources(&roles, &agg, 3), ["secrets"]);
        assert_eq!(agg.selects[0], [1, 2]);
        assert!(agg.cycles.is_empty() && agg.self_selecting.is_empty());
    }

    #[test]
    fn aggregation_is_transitive_like_admin_edit_view() {
        let roles = vec![
            role("admin", &[], &[], &[("to-admin", "true")]),
            role("edit", &[("to-admin", "true")], &[], &[("to-edit", "true")]),
            role("view", &[("to-edit", "true")], &[], &[("to-view", "true")]),
            role("x-edit", &[("to-edit", "true")], &["deployments"], &[]),
            role("x-view", &[("to-view", "true")], &["configmaps"], &[]),
        ];
        let agg = aggregate(&roles);
        assert_eq!(resources(&roles, &agg, 2), ["configmaps"]);
        assert_eq!(resources(&roles, &agg, 1), ["configmaps", "deployments"]);
        assert_eq!(resources(&roles, &agg, 0), ["configmaps", "deployments"]);
    }

    #[test]
    fn roles_that_select_each_other_keep_each_others_stored_rules_for_good() {
        // Both stored with */*/* by the controller, which copies each into the other.
        let mut a = role("a", &[("l", "b")], &[], &[("l", "a")]);
        let mut b = role("b", &[("l", "a")], &[], &[("l", "b")]);
        let star = PolicyRule {
            api_groups: Some(vec!["*".into()]),
            resources: Some(vec!["*".into()]),
            verbs: vec!["*".into()],
            ..Default::default()
        };
        a.rules = Some(vec![star.clone()]);
        b.rules = Some(vec![star.clone()]);
        let roles = vec![a, b, role("c", &[("l", "a")], &["pods"], &[])];
        let agg = aggregate(&roles);
        for i in [0, 1] {
            let rules: Vec<&PolicyRule> =
                agg.rules[i].iter().map(|s| rule_at(&roles, *s)).collect();
            assert_eq!(rules[0], &star, "role {i} keeps cluster-admin power");
        }
        assert_eq!(resources(&roles, &agg, 0), ["*", "pods"]);
        assert_eq!(resources(&roles, &agg, 1), ["*", "pods"]);
        assert_eq!(agg.cycles, [vec![0, 1]]);
    }

    #[test]
    fn a_role_matching_its_own_selector_is_skipped_as_the_controller_does_and_noted() {
        let roles = vec![
            role("narcissus", &[("x", "1")], &["own"], &[("x", "1")]),
            role("p", &[("x", "1")], &["pods"], &[]),
        ];
        let agg = aggregate(&roles);
        assert_eq!(resources(&roles, &agg, 0), ["own", "pods"]);
        assert_eq!(agg.self_selecting, [0]);
        assert!(agg.cycles.is_empty());
    }

    #[test]
    fn identical_rules_are_kept_once_and_any_selector_may_select() {
        let roles = vec![
            role("agg", &[], &["pods"], &[("x", "1"), ("y", "1")]),
            role("p", &[("x", "1")], &["pods"], &[]),
            role("s", &[("y", "1"), ("x", "1")], &["secrets"], &[]),
        ];
        assert_eq!(
            resources(&roles, &aggregate(&roles), 0),
            ["pods", "secrets"]
        );
    }

    #[test]
    fn an_empty_selector_selects_every_other_cluster_role() {
        let mut all = role("all", &[], &[], &[]);
        all.aggregation_rule = Some(AggregationRule {
            cluster_role_selectors: Some(vec![LabelSelector::default()]),
        });
        let roles = vec![
            all,
            role("p", &[], &["pods"], &[]),
            role("q", &[("a", "b")], &["nodes"], &[]),
        ];
        assert_eq!(resources(&roles, &aggregate(&roles), 0), ["pods", "nodes"]);
    }
}
