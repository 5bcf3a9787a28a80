//! A serializer that writes nothing: it visits a value as a writer would,
//! every field and element in order, so that what the value's `Serialize`
//! does on the way happens, and nothing else. The parallel writer
//! ([`super::records`]) walks each record with it to take the tables'
//! positions in the document's order, at a fraction of writing's cost (no
//! text is escaped or formatted).
//!
//! It says it is human-readable, as `serde_json`'s serializer does, so that
//! a value walks the same fields it writes.

use serde::Serialize;
use serde::ser::{
    SerializeMap, SerializeSeq, SerializeStruct, SerializeStructVariant, SerializeTuple,
    SerializeTupleStruct, SerializeTupleVariant, Serializer,
};

/// Walks `value` (see the module's documentation).
pub fn walk<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<()> {
    value.serialize(Walk)
}

/// The serializer, and each of its compound serializers.
#[derive(Debug, Clone, Copy)]
struct Walk;

/// The scalar methods, each writing nothing.
macro_rules! nothing {
    ($($method:ident($ty:ty);)*) => {$(
        fn $method(self, _: $ty) -> serde_json::Result<()> {
            Ok(())
        }
    )*};
}

impl Serializer for Walk {
    type Ok = ();
    type Error = serde_json::Error;
    type SerializeSeq = Walk;
    type SerializeTuple = Walk;
    type SerializeTupleStruct = Walk;
    type SerializeTupleVariant = Walk;
    type SerializeMap = Walk;
    type SerializeStruct = Walk;
    type SerializeStructVariant = Walk;

    nothing! {
        serialize_bool(bool);
        serialize_i8(i8);
        serialize_i16(i16);
        serialize_i32(i32);
        serialize_i64(i64);
        serialize_i128(i128);
        serialize_u8(u8);
        serialize_u16(u16);
        serialize_u32(u32);
        serialize_u64(u64);
        serialize_u128(u128);
        serialize_f32(f32);
        serialize_f64(f64);
        serialize_char(char);
        serialize_str(&str);
        serialize_bytes(&[u8]);
        serialize_unit_struct(&'static str);
    }

    fn serialize_none(self) -> serde_json::Result<()> {
        Ok(())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> serde_json::Result<()> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> serde_json::Result<()> {
        Ok(())
    }

    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
    ) -> serde_json::Result<()> {
        Ok(())
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> serde_json::Result<()> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        value: &T,
    ) -> serde_json::Result<()> {
        value.serialize(self)
    }

    fn serialize_seq(self, _: Option<usize>) -> serde_json::Result<Walk> {
        Ok(self)
    }

    fn serialize_tuple(self, _: usize) -> serde_json::Result<Walk> {
        Ok(self)
    }

    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> serde_json::Result<Walk> {
        Ok(self)
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> serde_json::Result<Walk> {
        Ok(self)
    }

    fn serialize_map(self, _: Option<usize>) -> serde_json::Result<Walk> {
        Ok(self)
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> serde_json::Result<Walk> {
        Ok(self)
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> serde_json::Result<Walk> {
        Ok(self)
    }

    /// What a value displays cannot ask for a position: not formatted.
    fn collect_str<T: std::fmt::Display + ?Sized>(self, _: &T) -> serde_json::Result<()> {
        Ok(())
    }
}

/// The compound serializers: each element or field walked in turn.
macro_rules! walked {
    ($($trait:ident::$method:ident($($key:ident: $ty:ty)?);)*) => {$(
        impl $trait for Walk {
            type Ok = ();
            type Error = serde_json::Error;
            fn $method<T: Serialize + ?Sized>(
                &mut self,
                $($key: $ty,)?
                value: &T,
            ) -> serde_json::Result<()> {
                value.serialize(Walk)
            }
            fn end(self) -> serde_json::Result<()> {
                Ok(())
            }
        }
    )*};
}

walked! {
    SerializeSeq::serialize_element();
    SerializeTuple::serialize_element();
    SerializeTupleStruct::serialize_field();
    SerializeTupleVariant::serialize_field();
    SerializeStruct::serialize_field(_key: &'static str);
    SerializeStructVariant::serialize_field(_key: &'static str);
}

impl SerializeMap for Walk {
    type Ok = ();
    type Error = serde_json::Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> serde_json::Result<()> {
        key.serialize(Walk)
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> serde_json::Result<()> {
        value.serialize(Walk)
    }
    fn end(self) -> serde_json::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tables::{self, Entries, Table};

    /// A value whose fields ask for positions, nested in lists, options,
    /// maps and enums.
    #[derive(Serialize)]
    enum Shape {
        Plain(#[serde(serialize_with = "text")] String),
        Nested {
            #[serde(serialize_with = "text")]
            name: String,
            inner: Vec<Option<Box<Shape>>>,
        },
    }

    fn text<S: serde::Serializer>(v: &String, s: S) -> Result<S::Ok, S::Error> {
        tables::one(Table::Texts, v, s)
    }

    fn shape() -> Vec<Shape> {
        vec![
            Shape::Plain("b".into()),
            Shape::Nested {
                name: "a".into(),
                inner: vec![None, Some(Box::new(Shape::Plain("c".into())))],
            },
            Shape::Plain("b".into()),
        ]
    }

    /// Walked, a value asks for the positions writing it asks for, in
    /// the same order.
    #[test]
    fn walking_asks_for_the_positions_writing_asks_for() {
        let (walked, recorded) =
            tables::with_tables(Entries::Json, || tables::recording(|| walk(&shape())));
        walked.unwrap();
        assert_eq!(recorded, vec![0, 1, 2, 0]);
        let written = tables::with_tables(Entries::Json, || serde_json::to_value(shape()).unwrap());
        assert_eq!(
            written,
            serde_json::json!([{"Plain": 0}, {"Nested": {"name": 1, "inner": [null, {"Plain": 2}]}}, {"Plain": 0}])
        );
        // Nothing is written: a walk ends with what it was given.
        assert!(Walk.serialize_str("x").is_ok());
    }
}
