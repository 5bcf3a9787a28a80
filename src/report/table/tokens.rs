//! The tokens of a pod or a workload as the pod and workload tables write
//! them: which are worth listing, one line each (the ServiceAccount, how it
//! is read, by which containers, the cloud identity it carries), and the
//! risks they bring.

use super::sections::first_risks;
use crate::findings::pods::TokenView;
use crate::report::cells::TableStyle;
use crate::workloads::tokens::TokenSource;

/// Of `tokens`, those worth listing: those at or above `threshold` the API
/// server accepts, else every token with a risk.
pub(super) fn hot_tokens_of(
    tokens: &[TokenView],
    threshold: crate::template::Severity,
) -> Vec<&TokenView> {
    let hot: Vec<&TokenView> = tokens
        .iter()
        .filter(|t| t.exposure.api_access && t.risk.severity.is_some_and(|s| s >= threshold))
        .collect();
    if !hot.is_empty() {
        return hot;
    }
    tokens
        .iter()
        .filter(|t| t.risk.severity.is_some())
        .collect()
}

/// One line per token (and one per cloud identity it carries).
pub(super) fn token_lines(tokens: &[&TokenView]) -> Vec<String> {
    tokens
        .iter()
        .flat_map(|t| {
            let e = &t.exposure;
            let how = match e.source {
                TokenSource::Automount if e.resolved => "automount (resolved)".to_string(),
                TokenSource::SecretVolume
                | TokenSource::ProjectedSecret
                | TokenSource::SecretEnv
                | TokenSource::SecretEnvFrom => format!(
                    "{} {}",
                    e.source.as_str(),
                    e.secret.as_deref().unwrap_or_default()
                ),
                s => s.as_str().to_string(),
            };
            let containers: Vec<String> = e.containers.iter().map(|c| c.to_string()).collect();
            let mut text = format!("{} ← {how} → {}", e.service_account, containers.join(", "));
            if let Some(a) = &e.audience {
                text.push_str(&format!(" (audience {a}: not for the API server)"));
            }
            let mut lines = vec![text];
            for c in &t.risk.cloud_identities {
                lines.push(format!("  + {} {}", c.provider, c.identity));
            }
            lines
        })
        .collect()
}

/// The risks of `tokens`, each once, the first few unless `-o wide`.
pub(super) fn risks_cell(tokens: &[&TokenView], style: TableStyle) -> String {
    let mut risks: Vec<&str> = Vec::new();
    for t in tokens {
        for r in &t.risk.risks {
            if !risks.contains(&r.as_str()) {
                risks.push(r);
            }
        }
    }
    first_risks(&risks, style)
}
