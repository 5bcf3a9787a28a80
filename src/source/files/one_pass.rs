//! An item of a JSON list decoded in one pass, when its first two keys are
//! `apiVersion` and `kind` (kubectl and the API server write them first):
//! its type is read from them, then the whole object goes straight into that
//! type. Reading the head apart first (type and identity) parsed every item
//! twice, and took a third of the time of decoding.
//!
//! Anything else (another first key, a kind not read, a type given twice, a
//! value that does not decode) is `None`, and the caller reads the item the
//! general way, which gives the same object, or the error with its message
//! and position: this path only ever takes items that path accepts, and
//! decodes them the same.

use std::fmt;

use serde::Deserialize;
use serde::de::value::{MapAccessDeserializer, StrDeserializer, StringDeserializer};
use serde::de::{self, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, Visitor};

use super::decode::{Head, decode_as};
use crate::snapshot::{Kind, Object};

/// The item (whose text is one JSON object) and its head, decoded in one
/// pass; `None` when it must be read the general way.
pub(super) fn decode(text: &str) -> Option<(Head, Object)> {
    let mut de = serde_json::Deserializer::from_str(text);
    let (kind, api_version, object) = de.deserialize_map(Typed).ok()??;
    de.end().ok()?;
    let names = object.names();
    let head = Head {
        namespace: names.namespace.unwrap_or_default().to_string(),
        name: names.name.unwrap_or_default().to_string(),
        kind,
        api_version,
    };
    Some((head, object))
}

/// The two keys read first.
#[derive(Deserialize)]
enum TypeKey {
    #[serde(rename = "apiVersion")]
    ApiVersion,
    #[serde(rename = "kind")]
    Kind,
    #[serde(other)]
    Other,
}

/// Reads `apiVersion` and `kind`, then the object as that kind's type.
struct Typed;

impl<'de> Visitor<'de> for Typed {
    type Value = Option<(String, String, Object)>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Kubernetes object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut kind, mut api_version) = (None::<String>, None::<String>);
        for _ in 0..2 {
            match map.next_key::<TypeKey>()? {
                Some(TypeKey::Kind) if kind.is_none() => kind = Some(map.next_value()?),
                Some(TypeKey::ApiVersion) if api_version.is_none() => {
                    api_version = Some(map.next_value()?);
                }
                // The general way reads this item (the map left half read
                // is an error to the caller, which gives up this path).
                _ => return Ok(None),
            }
        }
        let (Some(kind), Some(api_version)) = (kind, api_version) else {
            return Ok(None);
        };
        let Some(k) = Kind::from_type(&api_version, &kind) else {
            return Ok(None);
        };
        let rest = Replayed {
            map,
            api_version: Some(api_version.clone()),
            kind: Some(kind.clone()),
            pending: None,
        };
        let object = Replayed::<A>::object(k, rest)?;
        Ok(Some((kind, api_version, object)))
    }
}

/// The rest of an object's map, with its `apiVersion` and `kind` given back
/// first, as the type would have read them, and an error for either key
/// met again (the general way rejects a type given twice).
struct Replayed<A> {
    map: A,
    /// Still to give back, in this order.
    api_version: Option<String>,
    kind: Option<String>,
    /// The value of the key just given back.
    pending: Option<String>,
}

impl<'de, A: MapAccess<'de>> Replayed<A> {
    /// Decodes the whole object as `kind`'s type.
    fn object(kind: Kind, rest: Self) -> Result<Object, A::Error> {
        decode_as!(kind, rest, Replayed::<A>::typed)
    }

    /// Decodes the whole object as `T`.
    fn typed<T: Deserialize<'de>>(self) -> Result<T, A::Error> {
        T::deserialize(MapAccessDeserializer::new(self))
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Replayed<A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        for (name, value) in [
            ("apiVersion", &mut self.api_version),
            ("kind", &mut self.kind),
        ] {
            if let Some(v) = value.take() {
                self.pending = Some(v);
                let key: StrDeserializer<'_, A::Error> = name.into_deserializer();
                return seed.deserialize(key).map(Some);
            }
        }
        self.map.next_key_seed(NotTheType(seed))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        match self.pending.take() {
            Some(v) => {
                let value: StringDeserializer<A::Error> = v.into_deserializer();
                seed.deserialize(value)
            }
            None => self.map.next_value_seed(seed),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        self.map.size_hint()
    }
}

/// A key seed that refuses `apiVersion` and `kind` (already read), and
/// hands any other key to the type's own seed.
struct NotTheType<K>(K);

impl<'de, K: DeserializeSeed<'de>> DeserializeSeed<'de> for NotTheType<K> {
    type Value = K::Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<K::Value, D::Error> {
        d.deserialize_str(KeyVisitor(self.0))
    }
}

struct KeyVisitor<K>(K);

impl<'de, K: DeserializeSeed<'de>> Visitor<'de> for KeyVisitor<K> {
    type Value = K::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<K::Value, E> {
        if matches!(key, "apiVersion" | "kind") {
            return Err(E::custom("the type is given twice"));
        }
        self.0.deserialize(key.into_deserializer())
    }

    fn visit_borrowed_str<E: de::Error>(self, key: &'de str) -> Result<K::Value, E> {
        if matches!(key, "apiVersion" | "kind") {
            return Err(E::custom("the type is given twice"));
        }
        self.0
            .deserialize(de::value::BorrowedStrDeserializer::new(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the general way makes of an item: its head and object.
    fn general(text: &str) -> Option<[String; 5]> {
        let (head, decoded) = super::super::json::read_apart(text, None).ok()?;
        let object = decoded?.ok()?;
        let (kind, api, ns, name) = (head.kind, head.api_version, head.namespace, head.name);
        Some([kind, api, ns, name, format!("{object:?}")])
    }

    fn one_pass(text: &str) -> Option<[String; 5]> {
        let (head, object) = decode(text)?;
        let (kind, api, ns, name) = (head.kind, head.api_version, head.namespace, head.name);
        Some([kind, api, ns, name, format!("{object:?}")])
    }

    #[test]
    fn an_item_typed_first_is_decoded_as_the_general_way_decodes_it() {
        for text in [
            r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"n",
                "annotations":{"kubernetes.io/config.mirror":"x"}},
                "spec":{"serviceAccountName":"sa","containers":[{"name":"c"}]}}"#,
            r#"{"kind":"Pod","apiVersion":"v1","metadata":{"name":"p","namespace":"n"}}"#,
            r#"{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole",
                "metadata":{"name":"r"},"rules":[{"verbs":["get"],"resources":["pods"],"apiGroups":[""]}]}"#,
            r#"{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"d","namespace":"n",
                "annotations":{"eks.amazonaws.com/role-arn":"arn","other":"x"}}}"#,
            r#"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s","namespace":"n"},
                "type":"kubernetes.io/service-account-token","data":{"token":"c2VjcmV0"}}"#,
            r#"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"n","labels":{"a":"b"}}}"#,
            // No name: decoded alike, and refused later alike.
            r#"{"apiVersion":"v1","kind":"Pod","metadata":{}}"#,
        ] {
            let fast = one_pass(text);
            assert!(fast.is_some(), "{text}");
            assert_eq!(fast, general(text), "{text}");
        }
    }

    #[test]
    fn anything_else_is_left_to_the_general_way() {
        for text in [
            // The type not first, or not whole.
            r#"{"metadata":{"name":"p","namespace":"n"},"apiVersion":"v1","kind":"Pod"}"#,
            r#"{"apiVersion":"v1","metadata":{"name":"p"},"kind":"Pod"}"#,
            r#"{"kind":"Pod","metadata":{"name":"p"}}"#,
            r#"{"apiVersion":"v1","apiVersion":"v1","kind":"Pod"}"#,
            // A kind not read, or read under another version.
            r#"{"apiVersion":"v1","kind":"Service","metadata":{"name":"c"}}"#,
            r#"{"apiVersion":"rbac.authorization.k8s.io/v1beta1","kind":"Role","metadata":{"name":"r"}}"#,
            // The type given again, the same or another.
            r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"kind":"Pod"}"#,
            r#"{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"r"},"kind":"Pod"}"#,
            r#"{"apiVersion":"v1","kind":"Pod","apiVersion":"v2","metadata":{"name":"p"}}"#,
            // A value that does not decode, or a key given twice.
            r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":5}}"#,
            r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a"},"metadata":{"name":"b"}}"#,
            r#"{"apiVersion":"v1","kind":5}"#,
            // Not an object.
            r#"["apiVersion","v1"]"#,
        ] {
            assert!(decode(text).is_none(), "{text}");
        }
    }
}
