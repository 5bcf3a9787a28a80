//! Risky subjects: for each User, Group and ServiceAccount, every risk it
//! holds through the union of its bindings (see [`crate::access`]), rated
//! (see [`crate::rating`]). A risk that holds cluster-wide is reported
//! cluster-wide; otherwise with the namespaces where it holds. Where it
//! holds only for named objects, the names are listed, and a grant rated by
//! what those objects carry names them too.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::{Code, Finding, FindingScope, Model, Sink};
use crate::access::matching::RuleEvidence;
use crate::access::{Access, SubjectAccess};
use crate::rating::RatedRisk;
use crate::rbac::Scope;

/// The reported part of a rated risk: its scope, names and grounds.
pub struct Chosen {
    /// Where it applies.
    pub scope: FindingScope,
    /// The names it is limited to, when every chosen scope is narrowed.
    pub names: Option<Vec<String>>,
    /// The rules that make it hold there.
    pub grounds: Vec<RuleEvidence>,
}

/// The scope, names and grounds of the scopes a rated risk reports.
pub fn chosen(subject: &SubjectAccess, rated: &RatedRisk) -> Chosen {
    let access = subject
        .risks
        .iter()
        .find(|r| r.risk == rated.risk)
        .expect("a rated risk is one of the subject's");
    let picked: Vec<&(Scope, _)> = rated.scopes.iter().map(|&i| &access.scopes[i]).collect();
    let scope = if picked.iter().any(|(s, _)| *s == Scope::Cluster) {
        FindingScope::Cluster
    } else {
        FindingScope::Namespaces {
            namespaces: picked
                .iter()
                .filter_map(|(s, _)| match s {
                    Scope::Namespace(ns) => Some(ns.clone()),
                    Scope::Cluster => None,
                })
                .collect(),
        }
    };
    let mut names: BTreeSet<String> = BTreeSet::new();
    let mut grounds: Vec<RuleEvidence> = Vec::new();
    for (_, sat) in &picked {
        if let Some(n) = sat.narrowed_to() {
            names.extend(n);
        }
        for g in &sat.grounds {
            if !grounds.contains(g) {
                grounds.push(g.clone());
            }
        }
    }
    grounds.sort();
    Chosen {
        scope,
        names: rated.narrowed.then(|| names.into_iter().collect()),
        grounds,
    }
}

/// Appends one `risky-subject` finding per (subject, template rule).
pub fn find(m: &Model<'_, '_, '_, '_>, sink: &mut Sink) {
    let (cx, out) = (m.cx, sink);
    for (si, subject) in cx.access.subjects.iter().enumerate() {
        for rated in &cx.ratings.subjects[si] {
            let risk = &cx.template.rules[rated.risk];
            let Chosen {
                scope,
                names,
                grounds,
            } = chosen(subject, rated);
            let evidence = cx.evidence(rated.risk, &grounds, |b| Access::via_group(subject, b));
            let who = &subject.subject;
            let targets: Vec<String> = rated
                .targets
                .iter()
                .filter(|t| t.severity == Some(rated.severity) || !t.found || t.own)
                .map(|t| t.to_string())
                .collect();
            let message = format!(
                "{who} can: {}{} ({}){}",
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
                },
                if targets.is_empty() {
                    String::new()
                } else {
                    format!("; rated by what it reaches: {}", targets.join(", "))
                }
            );
            out.push(
                Finding::new(
                    Code::RiskySubject,
                    rated.severity,
                    Arc::clone(&risk.title),
                    message,
                    scope,
                )
                .rule(&risk.id, rated.risk)
                .subject(who.clone())
                .fingerprinted("")
                .resource_names(names)
                .remediation(Arc::clone(&risk.remediation))
                .bootstrap_default(cx.grounds_are_default(&grounds))
                .evidence(evidence)
                .rated_by(rated.targets.clone()),
            );
        }
    }
}
