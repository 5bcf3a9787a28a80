//! A ServiceAccount as the snapshot keeps it: its names, whether it
//! automounts its token, and the annotations that federate it with a cloud
//! identity, decoded straight from the input.
//!
//! k8s-openapi's `ServiceAccount` is 400 bytes before any of its strings;
//! a big cluster has tens of thousands. Other annotations, labels, the
//! `secrets` and `imagePullSecrets` lists and the rest are skipped unread.
//! A ServiceAccount serializes as a `v1 ServiceAccount` with the fields
//! kept, so snapshot files stay readable by kubectl.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

/// The annotations that federate a ServiceAccount's token with a cloud
/// identity, by provider: the only ones kept.
pub const CLOUD_IDENTITY_ANNOTATIONS: [(&str, &str); 3] = [
    ("aws", "eks.amazonaws.com/role-arn"),
    ("gcp", "iam.gke.io/gcp-service-account"),
    ("azure", "azure.workload.identity/client-id"),
];

/// The cloud identities `sa` is federated with, as (provider, annotation,
/// identity), in [`CLOUD_IDENTITY_ANNOTATIONS`] order; empty values left out.
pub fn cloud_identities(
    sa: &ServiceAccount,
) -> impl Iterator<Item = (&'static str, &'static str, &str)> {
    let annotations = sa.metadata.annotations.as_ref();
    CLOUD_IDENTITY_ANNOTATIONS
        .iter()
        .filter_map(move |&(provider, key)| {
            let id = annotations?.get(key)?;
            (!id.is_empty()).then_some((provider, key, id.as_str()))
        })
}

/// A ServiceAccount: its metadata and its automount setting.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceAccount {
    /// `metadata`: name, namespace and cloud identity annotations only.
    #[serde(default)]
    pub metadata: AccountMeta,
    /// `automountServiceAccountToken`.
    #[serde(default)]
    pub automount_service_account_token: Option<bool>,
}

impl Serialize for ServiceAccount {
    /// As a `v1 ServiceAccount`: `apiVersion` and `kind` first, then the
    /// fields kept, in k8s-openapi's order.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let automount = self.automount_service_account_token;
        let fields = 3 + usize::from(automount.is_some());
        let mut m = s.serialize_struct("ServiceAccount", fields)?;
        m.serialize_field("apiVersion", "v1")?;
        m.serialize_field("kind", "ServiceAccount")?;
        if let Some(automount) = automount {
            m.serialize_field("automountServiceAccountToken", &automount)?;
        }
        m.serialize_field("metadata", &self.metadata)?;
        m.end()
    }
}

/// A ServiceAccount's `metadata`: the fields the analysis reads. It
/// serializes like k8s-openapi's `ObjectMeta` with only these fields set,
/// in the same order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountMeta {
    /// `annotations`: only [`CLOUD_IDENTITY_ANNOTATIONS`]; the others are
    /// skipped unread.
    #[serde(
        default,
        deserialize_with = "cloud_annotations",
        skip_serializing_if = "Option::is_none"
    )]
    pub annotations: Option<BTreeMap<String, String>>,
    /// `name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `namespace`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

/// The annotations map with only [`CLOUD_IDENTITY_ANNOTATIONS`] kept
/// (`None` without any); every other value is skipped unread.
fn cloud_annotations<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<BTreeMap<String, String>>, D::Error> {
    super::annotations::only(d, |key| {
        CLOUD_IDENTITY_ANNOTATIONS.iter().any(|(_, a)| *a == key)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_service_account_keeps_its_names_automount_and_cloud_identities_only() {
        let json = r#"{"apiVersion":"v1","kind":"ServiceAccount","automountServiceAccountToken":false,
          "metadata":{"name":"app","namespace":"shop","uid":"u","labels":{"a":"b"},
            "annotations":{"eks.amazonaws.com/role-arn":"arn:aws:iam::1:role/app",
              "kubectl.kubernetes.io/last-applied-configuration":"{}","note":"x"}},
          "secrets":[{"name":"app-token"}],"imagePullSecrets":[{"name":"pull"}]}"#;
        let sa: ServiceAccount = serde_json::from_str(json).unwrap();
        assert_eq!(sa.metadata.name.as_deref(), Some("app"));
        assert_eq!(sa.metadata.namespace.as_deref(), Some("shop"));
        assert_eq!(sa.automount_service_account_token, Some(false));
        assert_eq!(
            sa.metadata.annotations,
            Some(BTreeMap::from([(
                "eks.amazonaws.com/role-arn".into(),
                "arn:aws:iam::1:role/app".into()
            )]))
        );
        // Written back as a v1 ServiceAccount, k8s-openapi's field order.
        assert_eq!(
            serde_json::to_string(&sa).unwrap(),
            r#"{"apiVersion":"v1","kind":"ServiceAccount","automountServiceAccountToken":false,"metadata":{"annotations":{"eks.amazonaws.com/role-arn":"arn:aws:iam::1:role/app"},"name":"app","namespace":"shop"}}"#
        );
        let bare: ServiceAccount =
            serde_json::from_str(r#"{"metadata":{"name":"a","annotations":{"x":"y"}}}"#).unwrap();
        assert_eq!(bare.metadata.annotations, None);
        assert_eq!(
            serde_json::to_string(&bare).unwrap(),
            r#"{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"a"}}"#
        );
    }
}
