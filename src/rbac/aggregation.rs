//! Aggregated ClusterRoles: a ClusterRole with an `aggregationRule` holds the
//! union of the rules of every other ClusterRole selected by any of its
//! `clusterRoleSelectors` (the kube-controller-manager's
//! clusterrole-aggregation controller). The stored rules of an aggregated role
//! are ignored: offline dumps and clusters without that controller carry empty
//! or stale ones.
//!
//! The controller copies the *current* rules of each selected role, so
//! aggregation is transitive (`admin` selects `edit`, which selects `view`).
//! This computes the fixed point directly; cycles terminate.

use k8s_openapi::api::rbac::v1::{ClusterRole, PolicyRule};

use super::selector;

/// Where an effective rule comes from: a rule of a ClusterRole (by index into `cluster_roles`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RuleSource {
    /// Index of the ClusterRole that holds the rule.
    pub role: usize,
    /// Index of the rule in that role's `rules`.
    pub rule: usize,
}

/// For each ClusterRole (same order as the input), `None` if it is not
/// aggregated, otherwise the source rules of its aggregated rule set in the
/// controller's order (selectors in order, selected roles by name, rules in
/// order), without duplicates of an identical rule.
pub fn aggregate(cluster_roles: &[ClusterRole]) -> Vec<Option<Vec<RuleSource>>> {
    let aggregated: Vec<bool> = cluster_roles
        .iter()
        .map(|r| r.aggregation_rule.is_some())
        .collect();
    // Direct selections of each aggregated role, computed once.
    let selected: Vec<Vec<usize>> = cluster_roles
        .iter()
        .enumerate()
        .map(|(i, r)| match &r.aggregation_rule {
            None => Vec::new(),
            Some(agg) => {
                let mut out = Vec::new();
                for sel in agg.cluster_role_selectors.iter().flatten() {
                    let mut hits: Vec<usize> = cluster_roles
                        .iter()
                        .enumerate()
                        .filter(|(j, c)| {
                            *j != i && selector::matches(sel, c.metadata.labels.as_ref())
                        })
                        .map(|(j, _)| j)
                        .collect();
                    hits.sort_by(|a, b| {
                        cluster_roles[*a]
                            .metadata
                            .name
                            .cmp(&cluster_roles[*b].metadata.name)
                    });
                    for h in hits {
                        if !out.contains(&h) {
                            out.push(h);
                        }
                    }
                }
                out
            }
        })
        .collect();

    (0..cluster_roles.len())
        .map(|i| {
            if !aggregated[i] {
                return None;
            }
            let mut visited = vec![false; cluster_roles.len()];
            let mut rules: Vec<RuleSource> = Vec::new();
            collect(
                i,
                cluster_roles,
                &aggregated,
                &selected,
                &mut visited,
                &mut rules,
            );
            Some(rules)
        })
        .collect()
}

fn collect(
    role: usize,
    roles: &[ClusterRole],
    aggregated: &[bool],
    selected: &[Vec<usize>],
    visited: &mut [bool],
    out: &mut Vec<RuleSource>,
) {
    visited[role] = true;
    for &s in &selected[role] {
        if aggregated[s] {
            if !visited[s] {
                collect(s, roles, aggregated, selected, visited, out);
            }
            continue;
        }
        for (k, rule) in roles[s].rules.iter().flatten().enumerate() {
            if !out.iter().any(|src| rule_at(roles, *src) == rule) {
                out.push(RuleSource { role: s, rule: k });
            }
        }
    }
}

/// The rule a source points at.
pub fn rule_at(roles: &[ClusterRole], src: RuleSource) -> &PolicyRule {
    &roles[src.role].rules.as_ref().expect("source rules exist")[src.rule]
}

#[cfg(test)]
mod tests {
    //! From the Kubernetes documentation, "Aggregated ClusterRoles".
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

    fn resources(roles: &[ClusterRole], agg: &Option<Vec<RuleSource>>) -> Vec<String> {
        agg.as_ref()
            .unwrap()
            .iter()
            .map(|s| rule_at(roles, *s).resources.as_ref().unwrap()[0].clone())
            .collect()
    }

    #[test]
    fn aggregated_role_is_the_union_of_selected_roles_and_ignores_its_stored_rules() {
        let roles = vec![
            role(
                "monitoring",
                &[],
                &["stale"],
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
        assert_eq!(resources(&roles, &agg[0]), ["endpoints", "pods"]);
        assert!(agg[1].is_none() && agg[3].is_none());
    }

    #[test]
    fn aggregation_is_transitive_like_admin_edit_view() {
        let roles = vec![
            role("admin", &[], &[], &[("to-admin", "true")]),
            role(
                "edit",
                &[("to-admin", "true")],
                &["stale-edit"],
                &[("to-edit", "true")],
            ),
            role("view", &[("to-edit", "true")], &[], &[("to-view", "true")]),
            role("x-edit", &[("to-edit", "true")], &["deployments"], &[]),
            role("x-view", &[("to-view", "true")], &["configmaps"], &[]),
        ];
        let agg = aggregate(&roles);
        assert_eq!(resources(&roles, &agg[2]), ["configmaps"]);
        assert_eq!(resources(&roles, &agg[1]), ["configmaps", "deployments"]);
        assert_eq!(resources(&roles, &agg[0]), ["configmaps", "deployments"]);
    }

    #[test]
    fn cycles_terminate_and_identical_rules_are_kept_once() {
        let roles = vec![
            role("a", &[("l", "b")], &[], &[("l", "a")]),
            role("b", &[("l", "a")], &[], &[("l", "b")]),
            role("c", &[("l", "a")], &["pods"], &[]),
            role("d", &[("l", "b")], &["pods"], &[]),
        ];
        let agg = aggregate(&roles);
        assert_eq!(resources(&roles, &agg[0]), ["pods"]);
        assert_eq!(resources(&roles, &agg[1]), ["pods"]);
    }

    #[test]
    fn any_selector_may_select() {
        let roles = vec![
            role("agg", &[], &[], &[("x", "1"), ("y", "1")]),
            role("p", &[("x", "1")], &["pods"], &[]),
            role("s", &[("y", "1")], &["secrets"], &[]),
        ];
        assert_eq!(
            resources(&roles, &aggregate(&roles)[0]),
            ["pods", "secrets"]
        );
    }
}
