//! The table of the rules the evidence of findings points to: each
//! effective rule once, numbered, so that evidence refers to it by position.

use std::collections::BTreeMap;

use k8s_openapi::api::rbac::v1::PolicyRule;
use serde::Serialize;

use super::finding::Finding;
use crate::access::explain::Origin;
use crate::snapshot::ObjectKey;

/// One effective rule that evidence points to: an entry of the report's
/// `rules` table.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RuleEntry {
    /// The role.
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
    let mut entries: BTreeMap<(ObjectKey, usize), RuleEntry> = BTreeMap::new();
    for e in findings.iter().flat_map(|f| &f.evidence) {
        let g = &e.ground;
        entries
            .entry((g.role.clone(), g.rule_index))
            .or_insert_with(|| RuleEntry {
                role: g.role.clone(),
                rule_index: g.rule_index,
                aggregated_from: g.aggregated_from.clone(),
                rule: g.rule.clone(),
            });
    }
    {
        let ids: BTreeMap<(&ObjectKey, usize), usize> = (entries.keys().enumerate())
            .map(|(n, (role, index))| ((role, *index), n))
            .collect();
        for e in findings.iter_mut().flat_map(|f| &mut f.evidence) {
            e.rule_ref = ids[&(&e.ground.role, e.ground.rule_index)];
        }
    }
    entries.into_values().collect()
}
