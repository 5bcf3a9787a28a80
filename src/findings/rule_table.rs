//! The table of the rules the evidence of findings points to: each
//! effective rule once, numbered, so that evidence refers to it by position.

use std::collections::HashMap;

use k8s_openapi::api::rbac::v1::PolicyRule;
use serde::Serialize;

use super::evidence::Evidence;
use super::finding::Finding;
use crate::access::explain::Origin;
use crate::rbac::Rbac;
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

impl RuleEntry {
    /// The entry of the rule `evidence` names, read from the resolved RBAC
    /// the evidence was found in.
    pub fn of(rbac: &Rbac<'_>, evidence: &Evidence) -> RuleEntry {
        let role = rbac.role(evidence.role_id);
        let effective = &role.rules[evidence.rule_index];
        RuleEntry {
            role: role.key.clone(),
            rule_index: evidence.rule_index,
            aggregated_from: effective.aggregated_from.map(|(from, index)| Origin {
                role: rbac.role(from).key.clone(),
                rule_index: index,
            }),
            rule: effective.rule.clone(),
        }
    }
}

/// Numbers the rules the evidence of `findings` points to and returns them
/// as a table: each distinct (role, rule index) once, ordered by role and
/// index, so that the same findings always give the same table. Sets every
/// evidence's [`Evidence::rule_ref`]; `entry` gives the table's entry of
/// an evidence's rule, once per distinct rule.
pub fn number_rules(
    findings: &mut [Box<Finding>],
    entry: impl Fn(&Evidence) -> RuleEntry + Sync,
) -> Vec<RuleEntry> {
    // Each distinct (role, rule index) gets a provisional number in the
    // order it is met, and each evidence remembers its number: the keys
    // are borrowed, not copied, and looked up once.
    let mut distinct: HashMap<(&ObjectKey, usize), usize> = HashMap::new();
    let mut firsts: Vec<&Evidence> = Vec::new();
    let met: Vec<usize> = (findings.iter().flat_map(|f| &f.evidence))
        .map(|e| {
            *distinct.entry((&e.role, e.rule_index)).or_insert_with(|| {
                firsts.push(e);
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
    // The entries on every core.
    let table: Vec<RuleEntry> =
        crate::cores::map(&order, 256, |&provisional| entry(firsts[provisional]));
    drop(firsts);
    for (e, provisional) in (findings.iter_mut().flat_map(|f| &mut f.evidence)).zip(met) {
        e.rule_ref = position[provisional];
    }
    table
}

/// Numbers the rules of `findings` again, once some are left out: the
/// entries are those of `table`, the table they were numbered in.
pub fn renumber_rules(findings: &mut [Box<Finding>], table: &[RuleEntry]) -> Vec<RuleEntry> {
    number_rules(findings, |e| table[e.rule_ref].clone())
}
