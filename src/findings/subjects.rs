//! Risky subjects: for each User, Group and ServiceAccount, the union of
//! everything every binding grants it (directly or through its implicit
//! groups), evaluated per scope, so that a risk needing several permissions
//! is found even when different bindings grant them.
//!
//! Cluster-wide grants apply in every namespace; a namespace's RoleBindings
//! add to them there. A risk satisfied by cluster-wide grants alone is
//! reported cluster-wide; otherwise with the namespaces where it holds. The
//! severity is the highest over those scopes.

use std::collections::{BTreeMap, BTreeSet};

use super::matching::{Satisfied, Source, satisfy};
use super::{Code, Context, Finding, FindingScope};
use crate::rbac::Scope;

/// Appends one `risky-subject` finding per (subject, template rule) and
/// returns how many subjects were evaluated.
pub fn find(cx: &Context<'_, '_>, out: &mut Vec<Finding>) -> usize {
    let subjects = cx.graph.subjects();
    for subject in &subjects {
        let reach = cx.graph.bindings_reaching(subject);
        let mut cluster: Vec<Source> = Vec::new();
        let mut by_ns: BTreeMap<&str, Vec<Source>> = BTreeMap::new();
        for r in &reach {
            let b = cx.rbac.binding(r.binding);
            let Ok(role) = b.role else { continue };
            match &b.scope {
                Scope::Cluster => cluster.push(Source {
                    binding: Some(r.binding),
                    role,
                    cluster_wide: true,
                }),
                Scope::Namespace(ns) => by_ns.entry(ns).or_default().push(Source {
                    binding: Some(r.binding),
                    role,
                    cluster_wide: false,
                }),
            }
        }
        if cluster.is_empty() && by_ns.is_empty() {
            continue;
        }
        let via = |b| {
            reach
                .iter()
                .find(|r| r.binding == b)
                .and_then(|r| r.via_group.clone())
        };
        for (ri, risk) in cx.template.rules.iter().enumerate() {
            let touched = cluster
                .iter()
                .chain(by_ns.values().flatten())
                .any(|s| cx.profiles[s.role.0].touches(ri));
            if !touched {
                continue;
            }
            // Scopes where the risk holds fully, and where only for named objects.
            let mut full: Vec<(Scope, Satisfied)> = Vec::new();
            let mut narrow: Vec<(Scope, Satisfied)> = Vec::new();
            let mut record = |scope: Scope, sat: Satisfied| {
                if sat.narrowed_to.is_some() {
                    narrow.push((scope, sat));
                } else {
                    full.push((scope, sat));
                }
            };
            let cluster_sat = satisfy(cx.template, ri, &cluster, cx.profiles);
            let cluster_full = cluster_sat
                .as_ref()
                .is_some_and(|s| s.narrowed_to.is_none());
            if let Some(sat) = cluster_sat {
                record(Scope::Cluster, sat);
            }
            if !cluster_full {
                for (ns, sources) in &by_ns {
                    let mut all = cluster.clone();
                    all.extend_from_slice(sources);
                    if let Some(sat) = satisfy(cx.template, ri, &all, cx.profiles) {
                        record(Scope::Namespace(ns.to_string()), sat);
                    }
                }
            }
            let (chosen, narrowed) = if full.is_empty() {
                (narrow, true)
            } else {
                (full, false)
            };
            if chosen.is_empty() {
                continue;
            }
            let severity = chosen
                .iter()
                .map(|(scope, _)| cx.severity(risk, scope, narrowed))
                .max()
                .expect("non-empty");
            let scope = if chosen.iter().any(|(s, _)| *s == Scope::Cluster) {
                FindingScope::Cluster
            } else {
                FindingScope::Namespaces {
                    namespaces: chosen
                        .iter()
                        .filter_map(|(s, _)| match s {
                            Scope::Namespace(ns) => Some(ns.clone()),
                            Scope::Cluster => None,
                        })
                        .collect(),
                }
            };
            let mut grounds = Vec::new();
            let mut names: BTreeSet<String> = BTreeSet::new();
            for (_, sat) in &chosen {
                if let Some(n) = &sat.narrowed_to {
                    names.extend(n.iter().cloned());
                }
                for g in &sat.grounds {
                    if !grounds.contains(g) {
                        grounds.push(g.clone());
                    }
                }
            }
            grounds.sort();
            let evidence = cx.evidence(&grounds, via);
            let bootstrap_default = grounds.iter().all(|g| {
                g.binding.is_some_and(|b| cx.rbac.binding(b).default) && cx.role_is_default(g.role)
            });
            let names = narrowed.then(|| names.into_iter().collect::<Vec<_>>());
            out.push(Finding {
                code: Code::RiskySubject,
                rule: Some(risk.id.clone()),
                severity,
                fingerprint: Finding::fingerprint_of(
                    Code::RiskySubject,
                    Some(&risk.id),
                    Some(subject),
                    None,
                    None,
                    "",
                ),
                title: risk.title.clone(),
                subject: Some((*subject).clone()),
                binding: None,
                role: None,
                message: format!(
                    "{subject} can: {}{} ({})",
                    risk.title.to_lowercase(),
                    names
                        .as_ref()
                        .map(|n| format!(", only on {}", n.join(", ")))
                        .unwrap_or_default(),
                    match &scope {
                        FindingScope::Cluster => "cluster-wide".to_string(),
                        FindingScope::Namespaces { namespaces } if namespaces.len() == 1 =>
                            format!("in namespace {}", namespaces[0]),
                        FindingScope::Namespaces { namespaces } =>
                            format!("in namespaces {}", namespaces.join(", ")),
                    }
                ),
                scope,
                resource_names: names,
                remediation: Some(risk.remediation.clone()),
                bootstrap_default,
                evidence,
                pod: None,
                rule_order: ri,
            });
        }
    }
    subjects.len()
}
