//! Annotations the slim kinds keep: a few known keys, the other values
//! skipped unread (they may hold anything, secrets included).

use std::collections::BTreeMap;

use serde::Deserializer;
use serde::de::{IgnoredAny, MapAccess, Visitor};

/// An `annotations` map (or `null`) with only the keys `keep` accepts;
/// `None` when none is there. A value that is not a map is an error.
pub(crate) fn only<'de, D: Deserializer<'de>>(
    d: D,
    keep: fn(&str) -> bool,
) -> Result<Option<BTreeMap<String, String>>, D::Error> {
    struct Only(fn(&str) -> bool);
    impl<'de> Visitor<'de> for Only {
        type Value = Option<BTreeMap<String, String>>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a map of annotations")
        }

        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_map(self)
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut kept: Option<BTreeMap<String, String>> = None;
            while let Some(key) = map.next_key::<String>()? {
                if (self.0)(&key) {
                    let value: String = map.next_value()?;
                    kept.get_or_insert_default().insert(key, value);
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            Ok(kept)
        }
    }
    d.deserialize_option(Only(keep))
}
