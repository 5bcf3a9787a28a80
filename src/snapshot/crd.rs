//! A CustomResourceDefinition as the snapshot keeps it: its name alone,
//! which is `<plural>.<group>` by the API server's rule, enough to say
//! whether a custom resource type exists (the operator catalog asks). Its
//! schema, versions and the rest are skipped unread; live scans ask for
//! the metadata only.

use serde::{Deserialize, Serialize};

/// A CustomResourceDefinition: its name only.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct CustomResourceDefinition {
    /// `metadata`: its name only.
    #[serde(default)]
    pub metadata: CrdMeta,
}

/// A CustomResourceDefinition's `metadata`: its name.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CrdMeta {
    /// `name`: `<plural>.<group>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `namespace`: never set on a CRD; read so that a stray one is seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

impl CustomResourceDefinition {
    /// `metadata.name`: `<plural>.<group>`.
    pub fn name(&self) -> &str {
        self.metadata.name.as_deref().unwrap_or_default()
    }

    /// The resource it defines, as (group, plural), from its name: the API
    /// server refuses a CRD whose name is not `<spec.names.plural>.<spec.group>`.
    pub fn resource(&self) -> Option<(&str, &str)> {
        let (plural, group) = self.name().split_once('.')?;
        Some((group, plural))
    }
}

impl Serialize for CustomResourceDefinition {
    /// As an `apiextensions.k8s.io/v1 CustomResourceDefinition` with its name.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut m = s.serialize_struct("CustomResourceDefinition", 3)?;
        m.serialize_field("apiVersion", "apiextensions.k8s.io/v1")?;
        m.serialize_field("kind", "CustomResourceDefinition")?;
        m.serialize_field("metadata", &self.metadata)?;
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_crd_keeps_its_name_and_splits_it_into_group_and_plural() {
        let c: CustomResourceDefinition = serde_json::from_str(
            r#"{"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
               "metadata":{"name":"kustomizations.kustomize.toolkit.fluxcd.io"},
               "spec":{"group":"kustomize.toolkit.fluxcd.io","versions":[]}}"#,
        )
        .unwrap();
        assert_eq!(
            c.resource(),
            Some(("kustomize.toolkit.fluxcd.io", "kustomizations"))
        );
        let back = serde_json::to_value(&c).unwrap();
        assert_eq!(
            back["metadata"]["name"],
            "kustomizations.kustomize.toolkit.fluxcd.io"
        );
        assert!(back.get("spec").is_none());
    }
}
