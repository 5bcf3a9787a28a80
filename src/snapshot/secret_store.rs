//! External Secrets' ClusterSecretStore (`external-secrets.io`), as the
//! snapshot keeps it: which namespaces may use it (`spec.conditions`) and,
//! for the `kubernetes` provider, the namespace of this cluster whose
//! Secrets it reads (`remoteNamespace`, `default` when unset). Every other
//! provider is only named; its settings, and every credential reference,
//! are skipped unread.
//!
//! External Secrets' rule: with no condition, any namespace's
//! ExternalSecret may use the store; otherwise a namespace must match one
//! condition, by `namespaces` (names), `namespaceRegexes` (regular
//! expressions) or `namespaceSelector` (labels).

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use serde::{Deserialize, Serialize};

/// A ClusterSecretStore: its name, conditions and provider.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClusterSecretStore {
    /// `metadata`: its name.
    #[serde(default)]
    pub metadata: super::crd::CrdMeta,
    /// `spec`: conditions and provider.
    #[serde(default)]
    pub spec: StoreSpec,
}

/// What of a store's `spec` the analysis reads.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StoreSpec {
    /// The namespaces that may use it (none: every namespace).
    #[serde(default, deserialize_with = "super::null_default")]
    pub conditions: Vec<Condition>,
    /// Where it reads from.
    #[serde(default)]
    pub provider: Provider,
}

/// One condition on the namespaces that may use a store.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    /// Namespaces by name.
    #[serde(default, deserialize_with = "super::null_default")]
    pub namespaces: Vec<String>,
    /// Namespaces by regular expression.
    #[serde(default, deserialize_with = "super::null_default")]
    pub namespace_regexes: Vec<String>,
    /// Namespaces by label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace_selector: Option<LabelSelector>,
}

/// A store's provider: the `kubernetes` one read, any other named.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Provider {
    /// The `kubernetes` provider: this cluster's (or another's) Secrets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubernetes: Option<KubernetesProvider>,
    /// The other providers' names (`aws`, `vault`, ...), their settings unread.
    #[serde(flatten, serialize_with = "names_only")]
    pub others: BTreeMap<String, serde::de::IgnoredAny>,
}

/// Writes the other providers as empty objects: their settings are not kept.
fn names_only<S: serde::Serializer>(
    others: &BTreeMap<String, serde::de::IgnoredAny>,
    s: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut m = s.serialize_map(Some(others.len()))?;
    for name in others.keys() {
        m.serialize_entry(name, &BTreeMap::<String, String>::new())?;
    }
    m.end()
}

/// The `kubernetes` provider's target.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KubernetesProvider {
    /// The namespace whose Secrets it reads (`default` when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_namespace: Option<String>,
    /// `server`: set when it reads another cluster (its `url`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<KubernetesServer>,
}

/// The `kubernetes` provider's `server`: only whether it names another cluster.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct KubernetesServer {
    /// `url`: another cluster's API server, when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

impl ClusterSecretStore {
    /// `metadata.name`.
    pub fn name(&self) -> &str {
        self.metadata.name.as_deref().unwrap_or_default()
    }

    /// The namespace of this cluster whose Secrets it reads: set for the
    /// `kubernetes` provider without a `server.url` other than the
    /// in-cluster one.
    pub fn reads_namespace(&self) -> Option<&str> {
        let k = self.spec.provider.kubernetes.as_ref()?;
        let url = k.server.as_ref().and_then(|s| s.url.as_deref());
        let here = url.is_none_or(|u| {
            u.is_empty()
                || u.starts_with("https://kubernetes.default")
                || u.starts_with("kubernetes.default")
        });
        here.then(|| k.remote_namespace.as_deref().unwrap_or("default"))
    }

    /// Its provider's name, for people.
    pub fn provider(&self) -> String {
        let p = &self.spec.provider;
        (p.kubernetes.as_ref().map(|_| "kubernetes".to_string()))
            .into_iter()
            .chain(p.others.keys().cloned())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kubernetes_provider_reads_its_remote_namespace_or_default() {
        let s: ClusterSecretStore = serde_saphyr::from_str(
            "metadata: {name: s}\nspec:\n  provider:\n    kubernetes:\n      remoteNamespace: kube-system\n      auth: {serviceAccount: {name: eso}}",
        )
        .unwrap();
        assert_eq!(s.reads_namespace(), Some("kube-system"));
        let d: ClusterSecretStore =
            serde_saphyr::from_str("spec: {provider: {kubernetes: {}}}").unwrap();
        assert_eq!(d.reads_namespace(), Some("default"));
        let far: ClusterSecretStore = serde_saphyr::from_str(
            "spec: {provider: {kubernetes: {server: {url: 'https://other:6443'}}}}",
        )
        .unwrap();
        assert_eq!(far.reads_namespace(), None);
    }

    #[test]
    fn another_providers_settings_are_not_kept() {
        let s: ClusterSecretStore =
            serde_saphyr::from_str("spec: {provider: {fake: {data: [{key: k, value: hunter2}]}}}")
                .unwrap();
        assert_eq!(s.reads_namespace(), None);
        assert_eq!(s.provider(), "fake");
        let out = serde_json::to_string(&s).unwrap();
        assert!(!out.contains("hunter2"), "{out}");
        assert!(!format!("{s:?}").contains("hunter2"));
    }
}
