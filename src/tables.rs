//! Shared tables of a written document: a value that recurs across a
//! report (a title, an object's name, a ServiceAccount's token, a pod's
//! amplifier) is written once, in a table at the end of the document, and
//! everywhere else as its position in that table.
//!
//! The types keep their values; only their serialisation changes. A field
//! marked with one table's function, such as
//! `#[serde(serialize_with = "tables::text")]` (a value),
//! `"tables::maybe_object"` (an `Option`) or `"tables::each_amplifier"` (a
//! list), is written as a position while a writer has the tables open
//! ([`with_tables`]) and as itself otherwise. The writer ends its document
//! with [`Gathered`], which writes each table under its name ([`Table`]).
//! The same value always gets the same position in one document, and the
//! positions follow the order in which values are first written, so the
//! same report always gives the same tables.
//!
//! Tables are open on one thread, for one document at a time: a document
//! written inside another's [`with_tables`] would share its tables.

use std::cell::RefCell;
use std::rc::Rc;

use foldhash::HashMap;
use serde::ser::{Error as _, SerializeSeq, SerializeStruct};
use serde::{Serialize, Serializer};

/// The tables, in the order a document lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    /// Texts written many times: titles, remediations, grants.
    Texts,
    /// Objects by kind, namespace and name: subjects, bindings, roles,
    /// ServiceAccounts, pods and workloads.
    Objects,
    /// Where findings apply.
    Scopes,
    /// Automount decisions.
    Automounts,
    /// Tokens: whose, how, to which containers, and what each is worth.
    Tokens,
    /// What makes a compromise of a pod worse.
    Amplifiers,
}

impl Table {
    /// Every table, in the order a document lists them.
    pub const ALL: [Table; 6] = [
        Table::Texts,
        Table::Objects,
        Table::Scopes,
        Table::Automounts,
        Table::Tokens,
        Table::Amplifiers,
    ];

    /// The document's field that holds the table.
    pub fn field(self) -> &'static str {
        match self {
            Table::Texts => "texts",
            Table::Objects => "objects",
            Table::Scopes => "scopes",
            Table::Automounts => "automounts",
            Table::Tokens => "tokens",
            Table::Amplifiers => "amplifiers",
        }
    }
}

/// How the entries of the tables are written at the end of a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entries {
    /// As the JSON text they were interned as, for `serde_json`.
    Json,
    /// Read back into values first, so that the serializer writes each
    /// itself: for any other serializer, and for the YAML writer, whose
    /// formatter escapes what YAML may not hold raw (a JSON text would
    /// reach the output unescaped).
    Values,
}

/// One table while it is filled: each distinct value's compact JSON text,
/// in the order first met, and its position.
#[derive(Debug, Default)]
struct Interned {
    positions: HashMap<Rc<[u8]>, usize>,
    entries: Vec<Rc<[u8]>>,
}

impl Interned {
    fn position(&mut self, text: &[u8]) -> usize {
        if let Some(&p) = self.positions.get(text) {
            return p;
        }
        let text: Rc<[u8]> = text.into();
        let p = self.entries.len();
        self.entries.push(Rc::clone(&text));
        self.positions.insert(text, p);
        p
    }
}

/// The tables of the document being written.
#[derive(Debug)]
struct Open {
    tables: [Interned; Table::ALL.len()],
    entries: Entries,
    /// Buffers for the text of values being interned, one per level of
    /// nesting, kept to be reused.
    buffers: Vec<Vec<u8>>,
}

thread_local! {
    static OPEN: RefCell<Option<Open>> = const { RefCell::new(None) };
}

/// Runs `write` with the tables open: the marked fields it serialises are
/// written as positions, and the [`Gathered`] it serialises last writes the
/// tables. They are closed when `write` returns, or panics.
pub fn with_tables<R>(entries: Entries, write: impl FnOnce() -> R) -> R {
    struct Close;
    impl Drop for Close {
        fn drop(&mut self) {
            OPEN.with(|o| o.borrow_mut().take());
        }
    }
    OPEN.with(|o| {
        *o.borrow_mut() = Some(Open {
            tables: Default::default(),
            entries,
            buffers: Vec::new(),
        });
    });
    let _close = Close;
    write()
}

/// `value`'s position in `table`, when the tables are open.
fn position<T: Serialize + ?Sized>(table: Table, value: &T) -> serde_json::Result<Option<usize>> {
    let Some(mut text) =
        OPEN.with(|o| (o.borrow_mut().as_mut()).map(|open| open.buffers.pop().unwrap_or_default()))
    else {
        return Ok(None);
    };
    // Serialised before the tables are borrowed: the value may hold
    // marked fields of its own (a token's ServiceAccount).
    text.clear();
    serde_json::to_writer(&mut text, value)?;
    Ok(OPEN.with(|o| {
        (o.borrow_mut().as_mut()).map(|open| {
            let p = open.tables[table as usize].position(&text);
            open.buffers.push(text);
            p
        })
    }))
}

/// Writes `value` as its position in `table` while the tables are open,
/// else as itself.
pub fn one<T: Serialize + ?Sized, S: Serializer>(
    table: Table,
    value: &T,
    s: S,
) -> Result<S::Ok, S::Error> {
    match position(table, value).map_err(S::Error::custom)? {
        Some(p) => s.serialize_u64(p as u64),
        None => value.serialize(s),
    }
}

/// [`one`] for an optional value (absent stays absent).
pub fn maybe<T: Serialize, S: Serializer>(
    table: Table,
    value: &Option<T>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) => one(table, v, s),
        None => s.serialize_none(),
    }
}

/// [`one`] for each of a list of values.
pub fn each<T: Serialize, S: Serializer>(
    table: Table,
    values: &[T],
    s: S,
) -> Result<S::Ok, S::Error> {
    let mut seq = s.serialize_seq(Some(values.len()))?;
    for v in values {
        seq.serialize_element(&Ref(table, v))?;
    }
    seq.end()
}

/// The `serialize_with` functions the report's fields use: each writes a
/// value (`one`), an optional value (`maybe`) or a list (`each`) as
/// positions in one table.
macro_rules! fields_of {
    ($($form:ident $name:ident: $table:ident;)*) => {$(
        fields_of!(@$form $name $table);
    )*};
    (@one $name:ident $table:ident) => {
        #[doc = concat!("[`one`] in [`Table::", stringify!($table), "`].")]
        pub fn $name<T: Serialize + ?Sized, S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
            one(Table::$table, v, s)
        }
    };
    (@maybe $name:ident $table:ident) => {
        #[doc = concat!("[`maybe`] in [`Table::", stringify!($table), "`].")]
        pub fn $name<T: Serialize, S: Serializer>(v: &Option<T>, s: S) -> Result<S::Ok, S::Error> {
            maybe(Table::$table, v, s)
        }
    };
    (@each $name:ident $table:ident) => {
        #[doc = concat!("[`each`] in [`Table::", stringify!($table), "`].")]
        pub fn $name<T: Serialize, S: Serializer>(v: &[T], s: S) -> Result<S::Ok, S::Error> {
            each(Table::$table, v, s)
        }
    };
}

fields_of! {
    one text: Texts;
    maybe maybe_text: Texts;
    each each_text: Texts;
    one object: Objects;
    maybe maybe_object: Objects;
    one scope: Scopes;
    one automount: Automounts;
    each each_token: Tokens;
    each each_amplifier: Amplifiers;
}

/// A value written as its position in a table.
struct Ref<'v, T>(Table, &'v T);

impl<T: Serialize> Serialize for Ref<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        one(self.0, self.1, s)
    }
}

/// The tables gathered while the document was written, as an object with
/// one field per [`Table`], those empty left out: serialise it last (a
/// `#[serde(flatten)]` field after the document's own). It writes nothing
/// when the tables are not open.
#[derive(Debug, Clone, Copy, Default)]
pub struct Gathered;

impl Serialize for Gathered {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let open = OPEN.with(|o| o.borrow_mut().take());
        let Some(open) = open else {
            return s.serialize_struct("Tables", 0)?.end();
        };
        let mut fields = s.serialize_struct("Tables", Table::ALL.len())?;
        for table in Table::ALL {
            let entries = &open.tables[table as usize].entries;
            if entries.is_empty() {
                fields.skip_field(table.field())?;
                continue;
            }
            fields.serialize_field(
                table.field(),
                &Written {
                    entries,
                    how: open.entries,
                },
            )?;
        }
        fields.end()
    }
}

/// One table's entries, written as JSON text or as values.
struct Written<'t> {
    entries: &'t [Rc<[u8]>],
    how: Entries,
}

impl Serialize for Written<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.entries.len()))?;
        for e in self.entries {
            // serde_json writes UTF-8 only.
            let e = std::str::from_utf8(e).map_err(S::Error::custom)?;
            match self.how {
                Entries::Json => {
                    let raw = serde_json::value::RawValue::from_string(e.to_string())
                        .map_err(S::Error::custom)?;
                    seq.serialize_element(&raw)?;
                }
                Entries::Values => {
                    let value: serde_json::Value =
                        serde_json::from_str(e).map_err(S::Error::custom)?;
                    seq.serialize_element(&value)?;
                }
            }
        }
        seq.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Doc {
        #[serde(serialize_with = "title")]
        title: String,
        #[serde(serialize_with = "others")]
        others: Vec<String>,
        #[serde(serialize_with = "maybe_title")]
        none: Option<String>,
        #[serde(flatten)]
        tables: Gathered,
    }

    fn title<S: Serializer>(v: &String, s: S) -> Result<S::Ok, S::Error> {
        one(Table::Texts, v, s)
    }

    fn others<S: Serializer>(v: &[String], s: S) -> Result<S::Ok, S::Error> {
        each(Table::Texts, v, s)
    }

    fn maybe_title<S: Serializer>(v: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
        maybe(Table::Texts, v, s)
    }

    fn doc() -> Doc {
        Doc {
            title: "b".into(),
            others: vec!["a".into(), "b".into(), "a".into()],
            none: None,
            tables: Gathered,
        }
    }

    #[test]
    fn each_distinct_value_is_written_once_in_the_order_first_met() {
        let json = with_tables(Entries::Json, || serde_json::to_value(doc()).unwrap());
        assert_eq!(json["title"], 0);
        assert_eq!(json["others"], serde_json::json!([1, 0, 1]));
        assert_eq!(json["none"], serde_json::Value::Null);
        assert_eq!(json["texts"], serde_json::json!(["b", "a"]));
        assert!(json.get("objects").is_none(), "an empty table is left out");
    }

    #[test]
    fn without_open_tables_values_are_written_as_themselves() {
        let json = serde_json::to_value(doc()).unwrap();
        assert_eq!(json["title"], "b");
        assert_eq!(json["others"], serde_json::json!(["a", "b", "a"]));
        assert!(json.get("texts").is_none());
    }

    #[test]
    fn values_entries_are_the_same_document() {
        let raw = with_tables(Entries::Json, || serde_json::to_value(doc()).unwrap());
        let values = with_tables(Entries::Values, || serde_json::to_value(doc()).unwrap());
        assert_eq!(raw, values);
        // Closed again afterwards.
        assert_eq!(serde_json::to_value(doc()).unwrap()["title"], "b");
    }
}
