//! The table of the rules the evidence of findings points to: each
//! effective rule once, numbered, so that evidence refers to it by position.

use foldhash::HashMap;

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
    // are borrowed, not copied, and looked up once. Each run of findings
    // numbers what it meets on a core of its own; the runs' numbers are
    // then made one numbering, run after run, as one pass would number.
    let items: &[Box<Finding>] = findings;
    let runs: Vec<&[Box<Finding>]> = items
        .chunks(crate::cores::per_thread(items.len()))
        .collect();
    let numbered = crate::cores::map(&runs, 1, |run| {
        number_in_order(run.iter().flat_map(|f| &f.evidence))
    });
    // The runs' first evidences, in order, numbered as one pass would
    // meet them.
    let (run_mets, run_firsts): (Vec<Vec<usize>>, Vec<Vec<&Evidence>>) =
        numbered.into_iter().unzip();
    let (global, firsts) = number_in_order(run_firsts.iter().flatten().copied());
    let mut met: Vec<usize> = Vec::with_capacity(run_mets.iter().map(Vec::len).sum());
    let mut offset = 0;
    for (run_met, run_firsts) in run_mets.iter().zip(&run_firsts) {
        met.extend(run_met.iter().map(|&m| global[offset + m]));
        offset += run_firsts.len();
    }
    drop((run_mets, run_firsts, global));
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

/// Numbers each distinct (role, rule index) of `evidence` in the order
/// first met: each evidence's number, and the first evidence of each.
fn number_in_order<'e>(
    evidence: impl Iterator<Item = &'e Evidence>,
) -> (Vec<usize>, Vec<&'e Evidence>) {
    let mut distinct: HashMap<(&ObjectKey, usize), usize> = HashMap::default();
    let mut firsts: Vec<&Evidence> = Vec::new();
    let met = evidence
        .map(|e| {
            *distinct.entry((&e.role, e.rule_index)).or_insert_with(|| {
                firsts.push(e);
                firsts.len() - 1
            })
        })
        .collect();
    (met, firsts)
}

/// Numbers the rules of `findings` again, once some are left out: the
/// entries are those of `table`, the table they were numbered in.
pub fn renumber_rules(findings: &mut [Box<Finding>], table: &[RuleEntry]) -> Vec<RuleEntry> {
    number_rules(findings, |e| table[e.rule_ref].clone())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::findings::{Code, FindingScope};
    use crate::rbac::RoleId;
    use crate::snapshot::Kind;
    use crate::template::Severity;

    fn evidence(role: &str, rule_index: usize) -> Evidence {
        Evidence {
            binding: None,
            via_group: None,
            role: Arc::new(ObjectKey {
                kind: Kind::ClusterRole,
                namespace: String::new(),
                name: role.into(),
            }),
            rule_index,
            role_id: RoleId(0),
            rule_ref: usize::MAX,
            grants: Vec::new(),
        }
    }

    /// Numbered over runs on every core, the rules are numbered as one pass
    /// over the findings would: the table sorted by role and index, each
    /// distinct rule once, and every evidence pointing at its own.
    #[test]
    fn rules_are_numbered_once_each_and_sorted_whatever_the_runs() {
        let mut findings: Vec<Box<Finding>> = (0..500)
            .map(|i| {
                let mut f = Finding::new(
                    Code::RiskyRole,
                    Severity::High,
                    "t",
                    "m",
                    FindingScope::Cluster,
                );
                // Roles met again far apart, so that runs share them.
                f.evidence = (0..i % 4)
                    .map(|k| evidence(&format!("role-{}", (i * 7 + k) % 23), k % 3))
                    .collect();
                Box::new(f)
            })
            .collect();
        let table = number_rules(&mut findings, |e| RuleEntry {
            role: (*e.role).clone(),
            rule_index: e.rule_index,
            aggregated_from: None,
            rule: PolicyRule::default(),
        });
        let keys: Vec<(String, usize)> = (table.iter())
            .map(|r| (r.role.name.clone(), r.rule_index))
            .collect();
        let mut expected: Vec<(String, usize)> = (findings.iter().flat_map(|f| &f.evidence))
            .map(|e| (e.role.name.clone(), e.rule_index))
            .collect();
        expected.sort();
        expected.dedup();
        assert_eq!(keys, expected);
        for e in findings.iter().flat_map(|f| &f.evidence) {
            assert_eq!(keys[e.rule_ref], (e.role.name.clone(), e.rule_index));
        }
    }
}
