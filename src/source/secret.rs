//! What is read of a Secret, from a file or from the API server's
//! metadata-only list: its namespace, name and `type`, and the
//! `kubernetes.io/service-account.name` annotation. Everything else (`data`,
//! `stringData`, other annotations, which may carry the plaintext) is skipped
//! by the decoder without being decoded, so no value can reach memory that
//! outlives the parse, or an error message.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Deserialize;
use serde::de::{IgnoredAny, MapAccess, Visitor};

use crate::snapshot::SERVICE_ACCOUNT_NAME_ANNOTATION;

/// A Secret as rbacscan reads it. Unknown fields are ignored.
#[derive(Debug, Default, Deserialize)]
pub struct RedactedSecret {
    #[serde(default)]
    metadata: RedactedMeta,
    /// Absent in a metadata-only list.
    #[serde(default, rename = "type")]
    type_: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct RedactedMeta {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default, deserialize_with = "service_account_annotation")]
    annotations: Option<String>,
}

/// Keeps the ServiceAccount annotation of an `annotations` map and skips
/// every other value unread.
fn service_account_annotation<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<String>, D::Error> {
    struct Annotations;
    impl<'de> Visitor<'de> for Annotations {
        type Value = Option<String>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a map of annotations")
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D2: serde::Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            d.deserialize_map(Annotations)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut found = None;
            while let Some(key) = map.next_key::<String>()? {
                if key == SERVICE_ACCOUNT_NAME_ANNOTATION {
                    // A name, never a secret value; anything but a string is ignored.
                    found = match map.next_value::<serde_json::Value>()? {
                        serde_json::Value::String(s) => Some(s),
                        _ => None,
                    };
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            Ok(found)
        }
    }
    d.deserialize_option(Annotations)
}

impl From<RedactedSecret> for Secret {
    fn from(r: RedactedSecret) -> Secret {
        Secret {
            metadata: ObjectMeta {
                name: r.metadata.name,
                namespace: r.metadata.namespace,
                annotations: r
                    .metadata
                    .annotations
                    .map(|sa| BTreeMap::from([(SERVICE_ACCOUNT_NAME_ANNOTATION.to_string(), sa)])),
                ..ObjectMeta::default()
            },
            type_: r.type_,
            ..Secret::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &str = "tests/fixtures/real-apiserver-1.28/secrets-metadata-only-list.json";

    #[test]
    fn a_metadata_only_list_keeps_names_and_the_service_account_only() {
        let text = std::fs::read_to_string(FIXTURE).unwrap_or_else(|e| panic!("{FIXTURE}: {e}"));
        #[derive(Deserialize)]
        struct List {
            items: Vec<RedactedSecret>,
        }
        let list: List = serde_json::from_str(&text).unwrap();
        let secrets: Vec<Secret> = list.items.into_iter().map(Secret::from).collect();
        assert_eq!(secrets.len(), 2);
        assert_eq!(
            secrets[0].metadata.name.as_deref(),
            Some("checkout-legacy-token")
        );
        assert_eq!(
            secrets[0].metadata.annotations,
            Some(BTreeMap::from([(
                SERVICE_ACCOUNT_NAME_ANNOTATION.to_string(),
                "checkout".to_string()
            )]))
        );
        assert_eq!(secrets[1].metadata.name.as_deref(), Some("db-credentials"));
        assert_eq!(secrets[1].metadata.annotations, None);
        let kept = serde_json::to_string(&secrets).unwrap();
        // The plaintext the real server left in db-credentials' last-applied
        // annotation, taken from the fixture so it is written nowhere here.
        let raw: serde_json::Value = serde_json::from_str(&text).unwrap();
        let applied: serde_json::Value = serde_json::from_str(
            raw["items"][1]["metadata"]["annotations"]
                ["kubectl.kubernetes.io/last-applied-configuration"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
        let plaintext = applied["stringData"]["password"]
            .as_str()
            .or(applied["data"]["password"].as_str())
            .unwrap();
        assert!(!plaintext.is_empty());
        assert!(!kept.contains(plaintext), "{kept}");
        assert!(!kept.contains("last-applied"), "{kept}");
        assert!(!kept.contains("uid"), "{kept}");
    }

    #[test]
    fn data_and_odd_annotation_values_are_skipped_unread() {
        let text = r#"{"apiVersion":"v1","kind":"Secret","type":"kubernetes.io/service-account-token",
            "metadata":{"name":"t","namespace":"ns","annotations":{"a":{"nested":[1,2,"s3cr3t"]},"kubernetes.io/service-account.name":"sa"}},
            "data":{"token":"czNjcjN0"},"stringData":{"x":42}}"#;
        let s: Secret = serde_json::from_str::<RedactedSecret>(text).unwrap().into();
        assert_eq!(
            s.type_.as_deref(),
            Some("kubernetes.io/service-account-token")
        );
        assert!(s.data.is_none() && s.string_data.is_none());
        let kept = serde_json::to_string(&s).unwrap();
        assert!(
            !kept.contains("s3cr3t") && !kept.contains("czNjcjN0"),
            "{kept}"
        );
        let none: Secret = serde_json::from_str::<RedactedSecret>(
            r#"{"metadata":{"name":"n","annotations":null}}"#,
        )
        .unwrap()
        .into();
        assert!(none.metadata.annotations.is_none());
    }
}
