//! The table of the rules the evidence of findings points to: each
//! effective rule once, numbered, so that evidence refers to it by position.

use std::collections::HashMap;

use k8s_openapi::api::rbac::v1::PolicyRule;
use serde::Serialize;

use super::finding::Finding;
use crate::access::explain::{GroundView, Origin};
use crate::snapshot::ObjectKey;
use crate::tables;

/// One effective rule that evidence points to: an entry of the report's
/// `rules` table.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RuleEntry {
    /// The role: a position in `objects`.
    #[serde(serialize_with = "tables::object")]
    #[schemars(with = "usize")]
    pub role: ObjectKey,
    /// The rule's index in the role's effective rules.
    pub rule_index: usize,
    /// For an aggregated ClusterRole, where the rule comes from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aggregated_from: Option<Origin>,
    /// The rule.
    pub rule: PolicyRule,
}

/// Numbers the rules the evidence of `findings` points to and returns them
/// as a table: each distinct (role, rule index) once, ordered by role and
/// index, so that the same findings always give the same table. Sets every
/// evidence's [`Evidence::rule_ref`].
pub fn number_rules(findings: &mut [Finding]) -> Vec<RuleEntry> {
    // Each distinct (role, rule index) gets a provisional number in the
    // order it is met, and each evidence remembers its number: the keys
    // are borrowed, not copied, and looked up once.
    let mut distinct: HashMap<(&ObjectKey, usize), usize> = HashMap::new();
    let mut firsts: Vec<&GroundView> = Vec::new();
    let met: Vec<usize> = (findings.iter().flat_map(|f| &f.evidence))
        .map(|e| {
            let g = &e.ground;
            *distinct.entry((&g.role, g.rule_index)).or_insert_with(|| {
                firsts.push(g);
                firsts.len() - 1
            })
        })
        .collect();
    drop(distinct);
    // The table is ordered by role and index.
    let mut order: Vec<usize> = (0..firsts.len()).collect();
    order.sort_unstable_by(|&a, &b| {
        (&firsts[a].role, firsts[a].rule_index).cmp(&(&firsts[b].role, firsts[b].rule_index))
    });
    let mut position = vec![0; order.len()];
    for (n, &provisional) in order.iter().enumerate() {
        position[provisional] = n;
    }
    let table: Vec<RuleEntry> = (order.iter())
        .map(|&provisional| {
            let g = firsts[provisional];
            RuleEntry {
                role: g.role.clone(),
                rule_index: g.rule_index,
                aggregated_from: g.aggregated_from.clone(),
                rule: g.rule.clone(),
            }
        })
        .collect();
    drop(firsts);
    for (e, provisional) in (findings.iter_mut().flat_map(|f| &mut f.evidence)).zip(met) {
        e.rule_ref = position[provisional];
    }
    table
}
