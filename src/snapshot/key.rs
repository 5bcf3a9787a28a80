//! An object's identity within a snapshot (kind, namespace, name), and how
//! reports write it.

use serde::Serialize;

use super::kind::Kind;
use super::object::Object;

/// Identity of an object within a snapshot: kind, namespace (`""` for
/// cluster-scoped kinds) and name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectKey {
    /// The kind.
    pub kind: Kind,
    /// The namespace, `""` for cluster-scoped objects.
    pub namespace: String,
    /// The name.
    pub name: String,
}

crate::tables::remember_by_value!(ObjectKey);

impl std::fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.namespace.is_empty() {
            write!(f, "{} {}", self.kind.as_str(), self.name)
        } else {
            write!(f, "{} {}/{}", self.kind.as_str(), self.namespace, self.name)
        }
    }
}

/// An [`ObjectKey`] as reports write it: the namespace left out for
/// cluster-scoped objects. Its serialisation and its JSON Schema come from
/// this one definition.
#[derive(Serialize, schemars::JsonSchema)]
#[schemars(
    rename = "ObjectKey",
    description = "A Kubernetes object: its kind, namespace (absent for cluster-scoped objects) and name."
)]
struct ObjectKeyJson<'k> {
    /// The kind.
    kind: Kind,
    /// The namespace; absent for cluster-scoped objects.
    #[serde(skip_serializing_if = "str::is_empty")]
    namespace: &'k str,
    /// The name.
    name: &'k str,
}

impl Serialize for ObjectKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        ObjectKeyJson {
            kind: self.kind,
            namespace: &self.namespace,
            name: &self.name,
        }
        .serialize(s)
    }
}

impl schemars::JsonSchema for ObjectKey {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        ObjectKeyJson::schema_name()
    }

    fn json_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
        ObjectKeyJson::json_schema(g)
    }
}

/// The identity of an object.
pub fn key_of(object: &Object) -> ObjectKey {
    let kind = object.kind();
    let (namespace, name) = object.names().identity(kind.is_namespaced());
    ObjectKey {
        kind,
        namespace: namespace.to_string(),
        name: name.to_string(),
    }
}
