//! Risky ServiceAccounts seen from the pods' side: a `default` ServiceAccount
//! with risky permissions (every pod of its namespace that names no
//! ServiceAccount gets them), and risky ServiceAccounts no pod uses (less
//! urgent: an attacker must first get a token; one level lower, unless a
//! legacy token secret of it holds a token that never expires).

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

use super::{Code, Finding, FindingScope, Model, Sink};
use crate::snapshot::{Kind, SERVICE_ACCOUNT_NAME_ANNOTATION};
use crate::template::Severity;
use crate::workloads::tokens::ServiceAccountRef;

/// Appends `risky-default-service-account` and
/// `unused-risky-service-account` findings for ServiceAccounts whose risks
/// reach `threshold`. Unused ones only when pods and ServiceAccounts were read
/// completely.
pub fn find(m: &Model<'_, '_, '_, '_>, sink: &mut Sink) {
    let (cx, risks, pods, threshold) = (m.cx, m.risks, m.pods, m.threshold);
    let out = sink;
    let coverage = &cx.snapshot.coverage;
    let existing: HashSet<(&str, &str)> = (cx.snapshot.service_accounts.iter())
        .map(|sa| {
            let m = &sa.metadata;
            (
                m.namespace.as_deref().unwrap_or_default(),
                m.name.as_deref().unwrap_or_default(),
            )
        })
        .collect();
    let mut used: HashSet<&ServiceAccountRef> = HashSet::new();
    let mut runs_as: HashMap<&ServiceAccountRef, usize> = HashMap::new();
    let mut unclassified_in: HashMap<&str, usize> = HashMap::new();
    for p in pods {
        used.insert(&p.service_account);
        used.extend(p.tokens.iter().map(|t| &t.exposure.service_account));
        *runs_as.entry(&p.service_account).or_default() += 1;
        *unclassified_in.entry(&p.namespace).or_default() += p.unclassified_secrets.len();
    }
    // Legacy token secrets by (namespace, ServiceAccount).
    let mut legacy_secrets: HashMap<(&str, &str), Vec<&str>> = HashMap::new();
    for s in &cx.snapshot.secrets {
        if let (Some(ns), Some(name), Some(sa)) = (
            s.metadata.namespace.as_deref(),
            s.metadata.name.as_deref(),
            s.metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get(SERVICE_ACCOUNT_NAME_ANNOTATION)),
        ) {
            legacy_secrets
                .entry((ns, sa.as_str()))
                .or_default()
                .push(name);
        }
    }
    let can_tell_unused = coverage.has(Kind::Pod) && coverage.has(Kind::ServiceAccount);
    for sa in risks.service_accounts() {
        let risk = risks.of(&sa);
        let Some(top) = risk.severity.filter(|s| *s >= threshold) else {
            continue;
        };
        let subject = sa.subject();
        let account_risks = risks.risks(&sa);
        let risk_list: Vec<&str> = account_risks
            .iter()
            .filter(|r| r.severity >= threshold)
            .map(|r| r.rule)
            .collect();
        // Controllers of the control plane run as bootstrap ServiceAccounts
        // without pods: --exclude-defaults hides them.
        let bootstrap_default = account_risks.iter().all(|r| r.bootstrap_default);
        let users = runs_as.get(&sa).copied().unwrap_or(0);
        let scope = FindingScope::Namespaces {
            namespaces: vec![sa.namespace.clone()],
        };
        if sa.name == "default" {
            let message = format!(
                "ServiceAccount {sa} is what every pod in namespace {} runs as unless it names another; it can: {} ({} pod{} use it now)",
                sa.namespace,
                risk_list.join(", "),
                users,
                if users == 1 { "" } else { "s" }
            );
            out.push(
                Finding::new(
                    Code::RiskyDefaultServiceAccount,
                    top,
                    "The default ServiceAccount holds risky permissions",
                    message,
                    scope.clone(),
                )
                .subject(subject.clone())
                .fingerprinted("")
                .remediation(format!(
                    "give the workloads that need these permissions their own ServiceAccount and remove the bindings of {sa}; set automountServiceAccountToken: false on it"
                ))
                .bootstrap_default(bootstrap_default),
            );
        }
        let exists = existing.contains(&(sa.namespace.as_str(), sa.name.as_str()));
        if !can_tell_unused || used.contains(&sa) || !exists {
            continue;
        }
        let legacy = legacy_secrets
            .get(&(sa.namespace.as_str(), sa.name.as_str()))
            .cloned()
            .unwrap_or_default();
        let severity = if legacy.is_empty() { lower(top) } else { top };
        let mut message = format!(
            "ServiceAccount {sa} can: {}, but no pod runs as it or mounts its token",
            risk_list.join(", ")
        );
        if !legacy.is_empty() {
            message.push_str(&format!(
                "; legacy token secret {} holds a token of it that never expires",
                legacy.join(", ")
            ));
        }
        let unclassified = unclassified_in
            .get(sa.namespace.as_str())
            .copied()
            .unwrap_or(0);
        if unclassified > 0 {
            message.push_str(&format!(
                " as far as can be told: {unclassified} secret references in namespace {} could not be classified (Secrets not listed)",
                sa.namespace
            ));
        }
        for c in &risk.cloud_identities {
            message.push_str(&format!(
                "; its token also reaches {} identity {}",
                c.provider, c.identity
            ));
        }
        out.push(
            Finding::new(
                Code::UnusedRiskyServiceAccount,
                severity,
                "A risky ServiceAccount no pod uses",
                message,
                scope,
            )
            .subject(subject)
            .fingerprinted("")
            .remediation(
                "delete the ServiceAccount (and its legacy token secrets) if nothing outside the cluster uses it, or remove its bindings",
            )
            .bootstrap_default(bootstrap_default),
        );
    }
}

/// One level down, at least LOW.
fn lower(s: Severity) -> Severity {
    match s {
        Severity::Critical => Severity::High,
        Severity::High => Severity::Medium,
        Severity::Medium | Severity::Low => Severity::Low,
    }
}
