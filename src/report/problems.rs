//! Problems: the findings of a report counted the way an admin fixes them.
//!
//! A finding is one risk of one subject, binding, role or pod; one
//! misplaced binding of `cluster-admin` yields a risky-subject, a
//! risky-binding and a risky-role finding for each of its 30-odd risks.
//! A **problem** is one thing to fix, with every risk it carries:
//!
//! - each pod with a hot token or a route to cluster-admin;
//! - each subject (user, group, ServiceAccount) that holds risks or has a
//!   route to cluster-admin;
//! - each binding with risks that reach no subject with findings of its own
//!   (a binding's findings are folded into its subjects' problems), and
//!   each binding with a hygiene finding;
//! - each risky role that no subject's or binding's finding goes through
//!   (bound by nobody yet: a loaded gun);
//! - each other hygiene finding.
//!
//! A problem's severity is the highest of its findings'. Pure: the report
//! counts, the findings decide.

use foldhash::{HashMap, HashSet};

use serde::Serialize;

use crate::cores;
use crate::findings::{Code, Finding, FindingScope};
use crate::rbac::SubjectId;
use crate::snapshot::ObjectKey;
use crate::template::Severity;

/// What a problem is about, borrowed from its findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum About<'f> {
    /// A pod.
    Pod(&'f ObjectKey),
    /// A user, group or ServiceAccount.
    Subject(&'f SubjectId),
    /// A binding.
    Binding(&'f ObjectKey),
    /// A role.
    Role(&'f ObjectKey),
    /// Anything else, by the finding's fingerprint.
    Other(&'f str),
}

/// One thing to fix.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    /// The highest severity of its findings.
    pub severity: Severity,
    /// What to fix (`ServiceAccount ci/deployer`, `Pod ci/runner-1`).
    pub object: String,
    /// Its risks (template rule ids) or hygiene codes, most severe first.
    pub risks: Vec<String>,
    /// Where it holds them: `cluster-wide`, or namespaces (empty for a pod).
    pub scope: String,
    /// The bindings and roles that grant them (`binding → role`).
    pub through: Vec<String>,
    /// How many findings it gathers.
    pub findings: usize,
}

/// A run of findings, with the problem each belongs to.
type Keyed<'k, 'f> = (&'f [Box<Finding>], &'k [Option<About<'f>>]);

/// `findings` and their problems, in one run per core.
fn keyed_runs<'k, 'f>(
    findings: &'f [Box<Finding>],
    keys: &'k [Option<About<'f>>],
) -> Vec<Keyed<'k, 'f>> {
    let run = cores::per_thread(findings.len());
    findings.chunks(run).zip(keys.chunks(run)).collect()
}

/// Each finding's problem, if it belongs to one, worked out on every core
/// over runs of findings.
fn keys(findings: &[Box<Finding>]) -> Vec<Option<About<'_>>> {
    let runs: Vec<&[Box<Finding>]> = findings.chunks(cores::per_thread(findings.len())).collect();
    // Holders, and the bindings and roles that the subjects' and pods'
    // findings go through.
    let held = cores::map(&runs, 1, |run| {
        let mut bindings: HashSet<&ObjectKey> = HashSet::default();
        let mut roles: HashSet<&ObjectKey> = HashSet::default();
        let keys: Vec<Option<About<'_>>> = (run.iter())
            .map(|f| {
                let key = holder(f);
                if key.is_some() {
                    for e in &f.evidence {
                        bindings.extend(e.binding.as_deref());
                        roles.insert(&e.role);
                    }
                }
                key
            })
            .collect();
        (keys, bindings, roles)
    });
    // The first run's sets, with the others' added (not all hashed again).
    let mut held = held.into_iter();
    let (mut keys, mut bindings_through, mut roles_through) = held.next().unwrap_or_default();
    keys.reserve(findings.len() - keys.len());
    for (k, bindings, roles) in held {
        keys.extend(k);
        bindings_through.extend(bindings);
        roles_through.extend(roles);
    }
    for (f, key) in findings.iter().zip(&mut keys) {
        if key.is_some() {
            continue;
        }
        *key = match f.code {
            Code::RiskyBinding => {
                roles_through.extend(f.role.as_ref());
                let b = f.binding.as_ref();
                b.filter(|b| !bindings_through.contains(b))
                    .map(About::Binding)
            }
            _ => None,
        };
    }
    let runs = keyed_runs(findings, &keys);
    let rest = cores::map(&runs, 1, |(run, keys)| {
        (run.iter().zip(keys.iter()))
            .map(|(f, &key)| {
                if key.is_some() || f.code == Code::RiskyBinding {
                    return key;
                }
                match f.code {
                    Code::RiskyRole => f
                        .role
                        .as_ref()
                        .filter(|r| !roles_through.contains(r))
                        .map(About::Role),
                    _ => Some(hygiene_key(f)),
                }
            })
            .collect::<Vec<_>>()
    });
    rest.concat()
}

/// The findings of `findings` gathered by the thing to fix they belong
/// to, in the order of their first findings (the findings of no problem
/// left out).
fn groups(findings: &[Box<Finding>]) -> Vec<(About<'_>, Vec<&Finding>)> {
    let keys = keys(findings);
    // The groups in the order of their first findings.
    let mut groups: Vec<(About<'_>, Vec<&Finding>)> = Vec::new();
    let mut group_of: HashMap<About<'_>, usize> = HashMap::default();
    for (f, key) in findings.iter().zip(keys) {
        let Some(key) = key else { continue };
        let g = *group_of.entry(key).or_insert_with(|| {
            groups.push((key, Vec::new()));
            groups.len() - 1
        });
        groups[g].1.push(f);
    }
    groups
}

/// The problems of `findings` (sorted as a report sorts them), most severe
/// first; among equals, subjects, bindings, roles and then pods, each the
/// one with the most risks first.
pub fn problems(findings: &[Box<Finding>]) -> Vec<Problem> {
    let mut out: Vec<(usize, Problem)> = groups(findings)
        .into_iter()
        .map(|(k, group)| (rank(&k), problem(&k, &group)))
        .collect();
    // Most severe first; among equals, who holds the power (its binding
    // is the fix) before the pods that carry its token, the one with the
    // most risks first, and otherwise the order of the first findings (the
    // sort is stable).
    out.sort_by_key(|(rank, p)| {
        (
            std::cmp::Reverse(p.severity),
            *rank,
            std::cmp::Reverse(p.risks.len()),
        )
    });
    out.into_iter().map(|(_, p)| p).collect()
}

/// The order of problems of one severity: subjects, bindings, roles, pods,
/// the rest.
fn rank(key: &About<'_>) -> usize {
    match key {
        About::Subject(_) => 0,
        About::Binding(_) => 1,
        About::Role(_) => 2,
        About::Pod(_) => 3,
        About::Other(_) => 4,
    }
}

/// The problems of `findings` by severity, without writing them out: what
/// `counts.problems` says (the severities of [`problems`], counted).
pub fn severities(findings: &[Box<Finding>]) -> super::BySeverity {
    let keys = keys(findings);
    // Each problem's highest severity, per run of findings on every core,
    // then over the runs.
    let runs = keyed_runs(findings, &keys);
    let tops = cores::map(&runs, 1, |(run, keys)| {
        let mut top: HashMap<About<'_>, Severity> = HashMap::default();
        for (f, key) in run.iter().zip(keys.iter()) {
            if let Some(key) = key {
                let s = top.entry(*key).or_insert(f.severity);
                *s = (*s).max(f.severity);
            }
        }
        top
    });
    let mut tops = tops.into_iter();
    let mut top = tops.next().unwrap_or_default();
    for other in tops {
        for (key, s) in other {
            let kept = top.entry(key).or_insert(s);
            *kept = (*kept).max(s);
        }
    }
    let mut by = super::BySeverity::default();
    for s in top.into_values() {
        by.add(s);
    }
    by
}

/// The subject or pod a risk finding belongs to, if it belongs to one.
fn holder(f: &Finding) -> Option<About<'_>> {
    match f.code {
        Code::HotPod | Code::HotWorkload | Code::PathToClusterAdmin if f.pod.is_some() => {
            f.pod.as_ref().map(About::Pod)
        }
        Code::RiskySubject
        | Code::PathToClusterAdmin
        | Code::RiskyDefaultServiceAccount
        | Code::UnusedRiskyServiceAccount => f.subject.as_ref().map(About::Subject),
        _ => None,
    }
}

/// A hygiene finding's problem: its binding, else its subject, else its role.
fn hygiene_key(f: &Finding) -> About<'_> {
    if let Some(b) = &f.binding {
        About::Binding(b)
    } else if let Some(s) = &f.subject {
        About::Subject(s)
    } else if let Some(r) = &f.role {
        About::Role(r)
    } else {
        About::Other(&f.fingerprint)
    }
}

fn problem(key: &About<'_>, group: &[&Finding]) -> Problem {
    let object = match key {
        About::Pod(k) | About::Binding(k) | About::Role(k) => k.to_string(),
        About::Subject(s) => s.to_string(),
        About::Other(_) => group[0].title.to_string(),
    };
    let mut risks: Vec<String> = Vec::new();
    for f in group {
        let id = match (&f.rule, f.code, &f.path) {
            (Some(rule), _, _) => rule.clone(),
            (None, Code::PathToClusterAdmin, Some(p)) => {
                format!("cluster-admin in {}", crate::words::count(p.hops, "step"))
            }
            (None, Code::HotPod | Code::HotWorkload, _) => "reads a risky token".into(),
            (None, code, _) => code.as_str().to_string(),
        };
        if !risks.contains(&id) {
            risks.push(id);
        }
    }
    let mut through: Vec<String> = group
        .iter()
        .flat_map(|f| &f.evidence)
        .filter_map(|e| e.chain())
        .collect();
    if through.is_empty() {
        through.extend(group.iter().filter_map(|f| match (&f.binding, &f.role) {
            (Some(b), Some(r)) => Some(format!("{b} → {r}")),
            (Some(b), None) => Some(b.to_string()),
            (None, Some(r)) => Some(r.to_string()),
            (None, None) => None,
        }));
    }
    through.sort();
    through.dedup();
    Problem {
        severity: group
            .iter()
            .map(|f| f.severity)
            .max()
            .unwrap_or(Severity::Low),
        object,
        risks,
        // A pod's place is in its name.
        scope: match key {
            About::Pod(_) => String::new(),
            _ => scope_of(group),
        },
        through,
        findings: group.len(),
    }
}

/// `cluster-wide`, the namespaces, or both.
pub(crate) fn scope_of(group: &[&Finding]) -> String {
    let cluster = group.iter().any(|f| f.scope == FindingScope::Cluster);
    let mut ns: Vec<&str> = group
        .iter()
        .flat_map(|f| match &f.scope {
            FindingScope::Namespaces { namespaces } => {
                namespaces.iter().map(String::as_str).collect()
            }
            FindingScope::Cluster => Vec::new(),
        })
        .collect();
    ns.sort();
    ns.dedup();
    match (cluster, ns.is_empty()) {
        (true, true) => "cluster-wide".into(),
        (true, false) => format!("cluster-wide; {}", ns.join(", ")),
        (false, _) => ns.join(", "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::{AnalysisOptions, analyze};
    use crate::source::files::Loader;
    use crate::template::Template;

    fn findings_of(yaml: &str) -> Vec<Box<Finding>> {
        let mut l = Loader::new();
        l.add_text("t.yaml", yaml).unwrap();
        let mut snap = l.finish().unwrap().snapshot;
        analyze(&mut snap, &Template::builtin(), &AnalysisOptions::default()).findings
    }

    /// Problems by severity, counted from the problems written out.
    fn by_severity(problems: &[Problem]) -> crate::report::BySeverity {
        let mut by = crate::report::BySeverity::default();
        for p in problems {
            by.add(p.severity);
        }
        by
    }

    #[test]
    fn one_binding_of_cluster_admin_is_one_problem_and_an_unbound_role_another() {
        let yaml = r#"
apiVersion: v1
kind: List
items:
- {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: everything}, rules: [{apiGroups: ["*"], resources: ["*"], verbs: ["*"]}]}
- {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: deployer-everything}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: everything}, subjects: [{kind: ServiceAccount, name: deployer, namespace: ci}]}
- {apiVersion: v1, kind: ServiceAccount, metadata: {name: deployer, namespace: ci}}
- {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: secret-reader}, rules: [{apiGroups: [""], resources: [secrets], verbs: [get, list]}]}
"#;
        let findings = findings_of(yaml);
        let problems = problems(&findings);
        let objects: Vec<&str> = problems.iter().map(|p| p.object.as_str()).collect();
        assert_eq!(
            objects,
            ["ServiceAccount ci/deployer", "ClusterRole secret-reader"],
            "{problems:#?}"
        );
        let deployer = &problems[0];
        assert_eq!(deployer.severity, Severity::Critical);
        // Its dozens of risk findings (subject, binding, role) are one problem.
        assert!(deployer.findings > 10, "{deployer:#?}");
        assert!(deployer.risks.contains(&"full-wildcard".to_string()));
        assert_eq!(deployer.scope, "cluster-wide");
        assert_eq!(
            deployer.through,
            ["ClusterRoleBinding deployer-everything → ClusterRole everything"]
        );
        // Reading every Secret cluster-wide is critical even unbound.
        assert_eq!(by_severity(&problems).critical, 2);
        // Counted without being written out, the same.
        assert_eq!(severities(&findings), by_severity(&problems));
    }
}
