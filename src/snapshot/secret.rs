//! What a snapshot keeps of a Secret: its name, `type` and the
//! ServiceAccount a legacy token Secret belongs to, never its data.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

/// The annotation naming the ServiceAccount of a legacy token Secret.
pub const SERVICE_ACCOUNT_NAME_ANNOTATION: &str = "kubernetes.io/service-account.name";
/// The `type` of a legacy ServiceAccount token Secret.
pub const SERVICE_ACCOUNT_TOKEN_TYPE: &str = "kubernetes.io/service-account-token";

/// What rbacscan keeps of a Secret: its namespace, name and `type`, and the
/// `kubernetes.io/service-account.name` annotation. Data, `stringData`, labels
/// and every other annotation (`kubectl.kubernetes.io/last-applied-configuration`
/// carries the plaintext of applied Secrets) are dropped, so no stage after
/// the source can print or store them.
pub fn sanitize_secret(secret: Secret) -> Secret {
    let meta = secret.metadata;
    let annotations = meta
        .annotations
        .and_then(|mut a| a.remove(SERVICE_ACCOUNT_NAME_ANNOTATION))
        .map(|sa| BTreeMap::from([(SERVICE_ACCOUNT_NAME_ANNOTATION.to_string(), sa)]));
    Secret {
        metadata: ObjectMeta {
            name: meta.name,
            namespace: meta.namespace,
            annotations,
            ..ObjectMeta::default()
        },
        type_: secret.type_,
        ..Secret::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::{Object, SnapshotBuilder};

    #[test]
    fn secrets_keep_only_name_type_and_service_account() {
        let secret: Secret = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "t", "namespace": "ns", "uid": "u", "labels": {"a": "b"},
                "annotations": {"kubernetes.io/service-account.name": "sa",
                    "kubectl.kubernetes.io/last-applied-configuration": "{\"data\":{\"token\":\"s3cr3t\"}}"}},
            "type": "kubernetes.io/service-account-token",
            "data": {"token": "czNjcjN0"}
        }))
        .unwrap();
        let mut b = SnapshotBuilder::new();
        b.add(Object::Secret(secret));
        let snap = b.build().snapshot;
        let kept = serde_json::to_string(&snap.secrets).unwrap();
        assert_eq!(
            kept,
            r#"[{"apiVersion":"v1","kind":"Secret","metadata":{"annotations":{"kubernetes.io/service-account.name":"sa"},"name":"t","namespace":"ns"},"type":"kubernetes.io/service-account-token"}]"#
        );
    }
}
