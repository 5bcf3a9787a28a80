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
//! A value is interned by its JSON text, so that values of different
//! types written alike (a binding's key and a pod's owner) share an entry.
//! Most values are [`Remember`]: their positions are also remembered by
//! the value itself, so that a value met again is hashed and compared,
//! not written out as text again (at 100,000 pods the report refers to the
//! tables 1.9 million times, for 5,000 to 130,000 distinct entries each).
//!
//! Tables are open on one thread, for one document at a time: a document
//! written inside another's [`with_tables`] would share its tables. Another
//! thread can still write parts of the document: the positions a part asks
//! for are recorded on the tables' thread as it is walked in order
//! ([`recording`]), and given back in the same order to the thread that
//! writes it ([`replaying`]; see `report::records`). A list shared by many
//! values (`Arc<[T]>`) has its positions recalled by its identity
//! ([`each_shared`]).

use std::any::{Any, TypeId};
use std::cell::RefCell;
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::Arc;

use foldhash::HashMap;
use hashbrown::HashTable;
use serde::ser::{Error as _, SerializeSeq, SerializeStruct};
use serde::{Serialize, Serializer};

/// The tables, in the order a document lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
    /// Positions in `entries`, each filed under its text's hash (kept, so
    /// that growing the table hashes no text again).
    positions: HashTable<(u64, usize)>,
    entries: Vec<Box<[u8]>>,
    hasher: foldhash::fast::FixedState,
}

impl Interned {
    fn position(&mut self, text: &[u8]) -> usize {
        let hash = self.hasher.hash_one(text);
        let entries = &self.entries;
        match (self.positions).entry(hash, |&(h, p)| h == hash && *entries[p] == *text, |e| e.0) {
            hashbrown::hash_table::Entry::Occupied(e) => e.get().1,
            hashbrown::hash_table::Entry::Vacant(e) => {
                let p = self.entries.len();
                e.insert((hash, p));
                self.entries.push(text.into());
                p
            }
        }
    }
}

/// A value whose position in a table can be remembered by the value
/// itself: met again, it is hashed and compared with what was kept of it,
/// not written out as text again.
///
/// Contract: two values for which [`Remember::is`] holds serialise alike,
/// and equal values feed their hasher alike. Each implementation keeps its
/// own type ([`Remember::Kept`]): positions are remembered per table and
/// per kept type.
pub trait Remember: Serialize {
    /// What is kept of a value to recognise it again: a type of its own
    /// for each implementation (the value's own type, when it owns its data).
    type Kept: 'static;
    /// Feeds the value to `state`.
    fn feed<H: Hasher>(&self, state: &mut H);
    /// Whether `kept` was kept of a value equal to this one.
    fn is(&self, kept: &Self::Kept) -> bool;
    /// What to keep of it.
    fn keep(&self) -> Self::Kept;
}

impl<T: Remember + ?Sized> Remember for &T {
    type Kept = T::Kept;
    fn feed<H: Hasher>(&self, state: &mut H) {
        (**self).feed(state);
    }
    fn is(&self, kept: &Self::Kept) -> bool {
        (**self).is(kept)
    }
    fn keep(&self) -> Self::Kept {
        (**self).keep()
    }
}

impl Remember for str {
    type Kept = Box<str>;
    fn feed<H: Hasher>(&self, state: &mut H) {
        self.hash(state);
    }
    fn is(&self, kept: &Box<str>) -> bool {
        self == &**kept
    }
    fn keep(&self) -> Box<str> {
        self.into()
    }
}

impl Remember for Arc<str> {
    type Kept = Arc<str>;
    fn feed<H: Hasher>(&self, state: &mut H) {
        (**self).hash(state);
    }
    fn is(&self, kept: &Arc<str>) -> bool {
        Arc::ptr_eq(self, kept) || **self == **kept
    }
    fn keep(&self) -> Arc<str> {
        Arc::clone(self)
    }
}

/// [`Remember`] for types that own their data, by `Hash`, `Eq` and
/// `Clone`: each keeps a copy of itself. Their `Eq` must be no looser than
/// their serialisation (derived, or comparing every field written).
macro_rules! remember_by_value {
    ($($t:ty),* $(,)?) => {$(
        impl $crate::tables::Remember for $t {
            type Kept = $t;
            fn feed<H: ::std::hash::Hasher>(&self, state: &mut H) {
                ::std::hash::Hash::hash(self, state);
            }
            fn is(&self, kept: &$t) -> bool {
                self == kept
            }
            fn keep(&self) -> $t {
                ::std::clone::Clone::clone(self)
            }
        }
    )*};
}

pub(crate) use remember_by_value;

remember_by_value!(String);

/// Positions remembered for one table and one kept type: each entry is the
/// value's hash, what was kept of it, and its position.
type Memo<K> = HashTable<(u64, K, usize)>;

/// Shared lists met, by table and allocation: each kept alive (so that
/// its allocation is no other's while the document is written), with its
/// elements' positions.
type Lists = HashMap<(Table, usize), (Box<dyn Any>, Vec<usize>)>;

/// The tables of the document being written.
#[derive(Debug)]
struct Open {
    tables: [Interned; Table::ALL.len()],
    entries: Entries,
    /// Buffers for the text of values being interned, one per level of
    /// nesting, kept to be reused.
    buffers: Vec<Vec<u8>>,
    /// Positions remembered by value ([`Remember`]): a [`Memo`] for each
    /// table and kept type (a dozen at most, looked for in turn).
    memos: Vec<((Table, TypeId), Box<dyn Any>)>,
    /// Hashes the values remembered.
    hasher: foldhash::fast::RandomState,
    /// Values being interned by their text: positions asked for meanwhile
    /// are within an entry, not in the document.
    interning: usize,
    /// The positions written to the document, in order, while they are
    /// recorded ([`recording`]).
    recorded: Option<Vec<u32>>,
    /// The positions of shared lists met before ([`each_shared`]), by
    /// table and allocation, each with the list, kept alive so that its
    /// allocation is not another's while the document is written.
    lists: Lists,
}

/// What [`remembered`] found.
enum Recall {
    /// The tables are not open.
    Closed,
    /// The value was met before, at this position.
    At(usize),
    /// The value is new to its memo, which its hash files it under.
    New(u64),
}

thread_local! {
    static OPEN: RefCell<Option<Open>> = const { RefCell::new(None) };
    static REPLAY: RefCell<Option<Replay>> = const { RefCell::new(None) };
}

/// Positions recorded on the thread that holds the tables, given back in
/// the same order on another ([`replaying`]).
#[derive(Debug)]
struct Replay {
    positions: Vec<u32>,
    next: usize,
}

/// The next position replayed, when this thread replays positions.
fn replayed() -> Option<serde_json::Result<usize>> {
    REPLAY.with(|r| {
        let mut r = r.borrow_mut();
        let r = r.as_mut()?;
        let p = r.positions.get(r.next).copied();
        r.next += 1;
        Some(p.map(|p| p as usize).ok_or_else(|| {
            serde_json::Error::custom("more table positions asked for than were recorded")
        }))
    })
}

/// Runs `walk` with the tables open on this thread, and returns with its
/// result the positions it wrote to the document (not those within the
/// tables' own entries), in order: what [`replaying`] gives back, on any
/// thread, to a writer that makes the same calls.
///
/// Positions are given in the order values are first met, so the values
/// must be walked in the document's order.
pub fn recording<R>(walk: impl FnOnce() -> R) -> (R, Vec<u32>) {
    OPEN.with(|o| {
        if let Some(open) = o.borrow_mut().as_mut() {
            open.recorded = Some(Vec::new());
        }
    });
    let r = walk();
    let recorded = OPEN.with(|o| {
        (o.borrow_mut().as_mut())
            .and_then(|open| open.recorded.take())
            .unwrap_or_default()
    });
    (r, recorded)
}

/// Runs `write` with every position it asks for taken from `positions`,
/// in order, whether or not the tables are open on this thread: the
/// positions [`recording`] gave for the same values. Asking for more is an
/// error of the serialisation; leaving some unused is one too.
pub fn replaying<R>(
    positions: Vec<u32>,
    write: impl FnOnce() -> serde_json::Result<R>,
) -> serde_json::Result<R> {
    struct Stop;
    impl Drop for Stop {
        fn drop(&mut self) {
            REPLAY.with(|r| r.borrow_mut().take());
        }
    }
    REPLAY.with(|r| *r.borrow_mut() = Some(Replay { positions, next: 0 }));
    let stop = Stop;
    let written = write()?;
    let left = REPLAY.with(|r| (r.borrow().as_ref()).is_some_and(|r| r.next != r.positions.len()));
    drop(stop);
    if left {
        return Err(serde_json::Error::custom(
            "fewer table positions asked for than were recorded",
        ));
    }
    Ok(written)
}

/// Records `at` when positions are recorded and it is written to the
/// document (not within an entry being interned).
fn record(at: Option<usize>) -> serde_json::Result<Option<usize>> {
    let Some(p) = at else { return Ok(None) };
    OPEN.with(|o| match o.borrow_mut().as_mut() {
        Some(open) => open.record(p).map(|()| Some(p)),
        None => Ok(Some(p)),
    })
}

impl Open {
    /// Records `p` when positions are recorded and it is written to the
    /// document (not within an entry being interned).
    fn record(&mut self, p: usize) -> serde_json::Result<()> {
        if self.interning == 0
            && let Some(recorded) = &mut self.recorded
        {
            recorded.push(
                u32::try_from(p)
                    .map_err(|_| serde_json::Error::custom("a table of more than 2^32 entries"))?,
            );
        }
        Ok(())
    }
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
            memos: Vec::new(),
            hasher: foldhash::fast::RandomState::default(),
            interning: 0,
            recorded: None,
            lists: HashMap::default(),
        });
    });
    let _close = Close;
    write()
}

/// `value`'s position in `table`, when the tables are open.
fn position<T: Serialize + ?Sized>(table: Table, value: &T) -> serde_json::Result<Option<usize>> {
    if let Some(p) = replayed() {
        return p.map(Some);
    }
    let Some(mut text) = OPEN.with(|o| {
        (o.borrow_mut().as_mut()).map(|open| {
            open.interning += 1;
            open.buffers.pop().unwrap_or_default()
        })
    }) else {
        return Ok(None);
    };
    // Serialised before the tables are borrowed: the value may hold
    // marked fields of its own (a token's ServiceAccount).
    text.clear();
    let written = serde_json::to_writer(&mut text, value);
    Ok(OPEN.with(|o| {
        (o.borrow_mut().as_mut()).and_then(|open| {
            open.interning -= 1;
            written.is_ok().then(|| {
                let p = open.tables[table as usize].position(&text);
                open.buffers.push(text);
                p
            })
        })
    }))
    .and_then(|p| written.map(|()| p))
}

/// `value`'s position in `table`, when the tables are open: remembered if
/// the value was met before, else interned by its text and remembered.
fn remembered<T: Remember + ?Sized>(table: Table, value: &T) -> serde_json::Result<Option<usize>> {
    if let Some(p) = replayed() {
        return p.map(Some);
    }
    let key = (table, TypeId::of::<T::Kept>());
    let recall = OPEN.with(|o| {
        let mut o = o.borrow_mut();
        let Some(open) = o.as_mut() else {
            return Ok(Recall::Closed);
        };
        let mut state = open.hasher.build_hasher();
        value.feed(&mut state);
        let hash = state.finish();
        let found = (open.memos.iter())
            .find(|(k, _)| *k == key)
            .and_then(|(_, m)| m.downcast_ref::<Memo<T::Kept>>())
            .and_then(|m| m.find(hash, |(h, kept, _)| *h == hash && value.is(kept)));
        match found {
            Some(&(_, _, p)) => open.record(p).map(|()| Recall::At(p)),
            None => Ok(Recall::New(hash)),
        }
    })?;
    let hash = match recall {
        Recall::Closed => return Ok(None),
        Recall::At(p) => return Ok(Some(p)),
        Recall::New(hash) => hash,
    };
    // Interned by its text (it may hold marked fields of its own), then
    // remembered.
    let Some(p) = position(table, value)? else {
        return Ok(None);
    };
    OPEN.with(|o| {
        let mut o = o.borrow_mut();
        let Some(open) = o.as_mut() else {
            return Ok(());
        };
        let at = match open.memos.iter().position(|(k, _)| *k == key) {
            Some(at) => at,
            None => {
                open.memos.push((key, Box::new(Memo::<T::Kept>::new())));
                open.memos.len() - 1
            }
        };
        if let Some(memo) = open.memos[at].1.downcast_mut::<Memo<T::Kept>>() {
            memo.insert_unique(hash, (hash, value.keep(), p), |e| e.0);
        }
        open.record(p)
    })?;
    Ok(Some(p))
}

/// Writes `value` as its position in `table` while the tables are open,
/// else as itself.
pub fn one<T: Remember + ?Sized, S: Serializer>(
    table: Table,
    value: &T,
    s: S,
) -> Result<S::Ok, S::Error> {
    let at = remembered(table, value).map_err(S::Error::custom)?;
    at_or_itself(at, value, s)
}

/// [`one`] for a value that is not [`Remember`]: interned by its text
/// each time it is met.
pub fn one_by_text<T: Serialize + ?Sized, S: Serializer>(
    table: Table,
    value: &T,
    s: S,
) -> Result<S::Ok, S::Error> {
    let at = position(table, value)
        .and_then(record)
        .map_err(S::Error::custom)?;
    at_or_itself(at, value, s)
}

/// Writes the position, or the value itself when the tables are closed.
fn at_or_itself<T: Serialize + ?Sized, S: Serializer>(
    at: Option<usize>,
    value: &T,
    s: S,
) -> Result<S::Ok, S::Error> {
    match at {
        Some(p) => s.serialize_u64(p as u64),
        None => value.serialize(s),
    }
}

/// [`one`] for an optional value (absent stays absent).
pub fn maybe<T: Remember, S: Serializer>(
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
pub fn each<T: Remember, S: Serializer>(
    table: Table,
    values: &[T],
    s: S,
) -> Result<S::Ok, S::Error> {
    seq_of(values, |v| Ref(table, v), s)
}

/// [`each`] for a list many values share (`Arc<[T]>`, such as the
/// amplifiers of a workload's replicas): the same list met again (the same
/// allocation) has its positions recalled at once, not each element's.
pub fn each_shared<T: Remember + 'static, S: Serializer>(
    table: Table,
    values: &Arc<[T]>,
    s: S,
) -> Result<S::Ok, S::Error> {
    let key = (table, Arc::as_ptr(values).cast::<()>() as usize);
    let known =
        OPEN.with(|o| (o.borrow().as_ref()).is_some_and(|open| open.lists.contains_key(&key)));
    let replaying = REPLAY.with(|r| r.borrow().is_some());
    if replaying || !known {
        // Each element found on its own (or replayed), then the list's
        // positions remembered while the tables are open.
        let mut positions = Vec::with_capacity(values.len());
        for v in values.iter() {
            if let Some(p) = remembered(table, v).map_err(S::Error::custom)? {
                positions.push(p);
            }
        }
        if !replaying && positions.len() == values.len() {
            OPEN.with(|o| {
                if let Some(open) = o.borrow_mut().as_mut() {
                    open.lists
                        .insert(key, (Box::new(Arc::clone(values)), positions.clone()));
                }
            });
        }
        return if positions.len() == values.len() {
            positions_of(&positions, s)
        } else {
            seq_of(values, |v| v, s)
        };
    }
    let positions = OPEN
        .with(|o| -> serde_json::Result<Vec<usize>> {
            let mut o = o.borrow_mut();
            let Some(open) = o.as_mut() else {
                return Ok(Vec::new());
            };
            let positions = (open.lists.get(&key))
                .map(|(_, p)| p.clone())
                .unwrap_or_default();
            for &p in &positions {
                open.record(p)?;
            }
            Ok(positions)
        })
        .map_err(S::Error::custom)?;
    positions_of(&positions, s)
}

/// Writes positions as a list.
fn positions_of<S: Serializer>(positions: &[usize], s: S) -> Result<S::Ok, S::Error> {
    let mut seq = s.serialize_seq(Some(positions.len()))?;
    for &p in positions {
        seq.serialize_element(&(p as u64))?;
    }
    seq.end()
}

/// [`each`] for values that are not [`Remember`] (see [`one_by_text`]).
pub fn each_by_text<T: Serialize, S: Serializer>(
    table: Table,
    values: &[T],
    s: S,
) -> Result<S::Ok, S::Error> {
    seq_of(values, |v| TextRef(table, v), s)
}

/// Writes `values` as a list, each as `written` makes it.
fn seq_of<'v, T, E: Serialize, S: Serializer>(
    values: &'v [T],
    written: impl Fn(&'v T) -> E,
    s: S,
) -> Result<S::Ok, S::Error> {
    let mut seq = s.serialize_seq(Some(values.len()))?;
    for v in values {
        seq.serialize_element(&written(v))?;
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
        pub fn $name<T: Remember + ?Sized, S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
            one(Table::$table, v, s)
        }
    };
    (@maybe $name:ident $table:ident) => {
        #[doc = concat!("[`maybe`] in [`Table::", stringify!($table), "`].")]
        pub fn $name<T: Remember, S: Serializer>(v: &Option<T>, s: S) -> Result<S::Ok, S::Error> {
            maybe(Table::$table, v, s)
        }
    };
    (@each $name:ident $table:ident) => {
        #[doc = concat!("[`each`] in [`Table::", stringify!($table), "`].")]
        pub fn $name<T: Remember, S: Serializer>(v: &[T], s: S) -> Result<S::Ok, S::Error> {
            each(Table::$table, v, s)
        }
    };
    (@each_shared $name:ident $table:ident) => {
        #[doc = concat!("[`each_shared`] in [`Table::", stringify!($table), "`].")]
        pub fn $name<T: Remember + 'static, S: Serializer>(v: &Arc<[T]>, s: S) -> Result<S::Ok, S::Error> {
            each_shared(Table::$table, v, s)
        }
    };
    (@each_by_text $name:ident $table:ident) => {
        #[doc = concat!("[`each_by_text`] in [`Table::", stringify!($table), "`].")]
        pub fn $name<T: Serialize, S: Serializer>(v: &[T], s: S) -> Result<S::Ok, S::Error> {
            each_by_text(Table::$table, v, s)
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
    each_by_text each_token: Tokens;
    each_shared each_amplifier: Amplifiers;
}

/// A value written as its position in a table.
struct Ref<'v, T>(Table, &'v T);

impl<T: Remember> Serialize for Ref<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        one(self.0, self.1, s)
    }
}

/// A value written as its position in a table, interned by its text.
struct TextRef<'v, T>(Table, &'v T);

impl<T: Serialize> Serialize for TextRef<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        one_by_text(self.0, self.1, s)
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
    entries: &'t [Box<[u8]>],
    how: Entries,
}

impl Serialize for Written<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.entries.len()))?;
        // JSON text put in as it is, by a writer that takes it so: not
        // copied into a `RawValue` and parsed again, entry by entry.
        if self.how == Entries::Json && crate::spliced::accepted() {
            let mut text = Vec::with_capacity(self.entries.iter().map(|e| e.len()).sum());
            let mut ends = Vec::with_capacity(self.entries.len());
            for e in self.entries {
                text.extend_from_slice(e);
                ends.push(text.len());
            }
            crate::spliced::splicing(text, ends, |count| {
                (0..count).try_for_each(|_| seq.serialize_element(&crate::spliced::Next))
            })?;
            return seq.end();
        }
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

    /// A value met again is found by what was kept of it, whatever its
    /// type: values written alike share one entry across types and across
    /// the remembered and the interned-by-text ways, and a value whose hash
    /// collides with another's is still told apart.
    #[test]
    fn remembered_values_share_entries_with_alike_values_of_any_type() {
        /// Feeds nothing: every value collides with every other.
        #[derive(Serialize)]
        struct Colliding(&'static str);
        impl Remember for Colliding {
            type Kept = &'static str;
            fn feed<H: Hasher>(&self, _: &mut H) {}
            fn is(&self, kept: &&'static str) -> bool {
                self.0 == *kept
            }
            fn keep(&self) -> &'static str {
                self.0
            }
        }
        #[derive(Serialize)]
        struct Mixed {
            #[serde(serialize_with = "strings")]
            strings: Vec<String>,
            #[serde(serialize_with = "shared")]
            shared: Arc<str>,
            #[serde(serialize_with = "by_text")]
            by_text: Vec<String>,
            #[serde(serialize_with = "colliding")]
            colliding: Vec<Colliding>,
            #[serde(flatten)]
            tables: Gathered,
        }
        fn strings<S: Serializer>(v: &[String], s: S) -> Result<S::Ok, S::Error> {
            each(Table::Texts, v, s)
        }
        fn shared<S: Serializer>(v: &Arc<str>, s: S) -> Result<S::Ok, S::Error> {
            one(Table::Texts, v, s)
        }
        fn by_text<S: Serializer>(v: &[String], s: S) -> Result<S::Ok, S::Error> {
            each_by_text(Table::Texts, v, s)
        }
        fn colliding<S: Serializer>(v: &[Colliding], s: S) -> Result<S::Ok, S::Error> {
            each(Table::Texts, v, s)
        }
        let doc = Mixed {
            strings: vec!["x".into(), "y".into(), "x".into()],
            shared: "y".into(),
            by_text: vec!["z".into(), "x".into()],
            colliding: vec![
                Colliding("w"),
                Colliding("z"),
                Colliding("w"),
                Colliding("x"),
            ],
            tables: Gathered,
        };
        let json = with_tables(Entries::Json, || serde_json::to_value(&doc).unwrap());
        assert_eq!(json["strings"], serde_json::json!([0, 1, 0]));
        assert_eq!(json["shared"], 1);
        assert_eq!(
            json["byText"],
            serde_json::Value::Null,
            "fields keep their names"
        );
        assert_eq!(json["by_text"], serde_json::json!([2, 0]));
        assert_eq!(json["colliding"], serde_json::json!([3, 2, 3, 0]));
        assert_eq!(json["texts"], serde_json::json!(["x", "y", "z", "w"]));
        // Written again, the same document: nothing is remembered across
        // documents.
        let again = with_tables(Entries::Json, || serde_json::to_value(&doc).unwrap());
        assert_eq!(again, json);
    }

    /// Positions recorded while a document is walked are given back, in
    /// order, to a writer on another thread: it writes what the tables'
    /// holder would, without the tables.
    #[test]
    fn recorded_positions_replayed_elsewhere_write_the_same_document() {
        #[derive(Serialize)]
        struct Fields {
            #[serde(serialize_with = "title")]
            title: String,
            #[serde(serialize_with = "others")]
            others: Vec<String>,
        }
        let fields = || Fields {
            title: "b".into(),
            others: vec!["a".into(), "b".into(), "a".into()],
        };
        let (written, recorded) = with_tables(Entries::Json, || {
            recording(|| serde_json::to_value(fields()).unwrap())
        });
        assert_eq!(
            written,
            serde_json::json!({"title": 0, "others": [1, 0, 1]})
        );
        assert_eq!(recorded, vec![0, 1, 0, 1]);
        let replayed = std::thread::spawn(move || {
            replaying(recorded, || serde_json::to_value(fields())).unwrap()
        })
        .join()
        .unwrap();
        assert_eq!(replayed, written);
        // Asked for more, or fewer, than were recorded: an error.
        assert!(replaying(vec![0, 1], || serde_json::to_value(fields())).is_err());
        assert!(replaying(vec![0; 5], || serde_json::to_value(fields())).is_err());
        // And nothing is replayed afterwards.
        assert_eq!(serde_json::to_value(fields()).unwrap()["title"], "b");
    }

    /// A shared list met again is recalled by its identity, with the same
    /// positions each of its elements would get; a list equal to it but
    /// held apart gets them too, found element by element.
    #[test]
    fn shared_lists_get_the_positions_of_their_elements() {
        #[derive(Serialize)]
        struct Lists {
            #[serde(serialize_with = "shared")]
            a: Arc<[String]>,
            #[serde(serialize_with = "shared")]
            again: Arc<[String]>,
            #[serde(serialize_with = "shared")]
            apart: Arc<[String]>,
            #[serde(serialize_with = "others")]
            plain: Vec<String>,
            #[serde(flatten)]
            tables: Gathered,
        }
        fn shared<S: Serializer>(v: &Arc<[String]>, s: S) -> Result<S::Ok, S::Error> {
            each_shared(Table::Texts, v, s)
        }
        fn others<S: Serializer>(v: &[String], s: S) -> Result<S::Ok, S::Error> {
            each(Table::Texts, v, s)
        }
        let a: Arc<[String]> = vec!["x".to_string(), "y".to_string()].into();
        let lists = Lists {
            a: Arc::clone(&a),
            again: Arc::clone(&a),
            apart: vec!["y".to_string(), "x".to_string()].into(),
            plain: vec!["z".into(), "y".into()],
            tables: Gathered,
        };
        let json = with_tables(Entries::Json, || serde_json::to_value(&lists).unwrap());
        assert_eq!(json["a"], serde_json::json!([0, 1]));
        assert_eq!(json["again"], serde_json::json!([0, 1]));
        assert_eq!(json["apart"], serde_json::json!([1, 0]));
        assert_eq!(json["plain"], serde_json::json!([2, 1]));
        assert_eq!(json["texts"], serde_json::json!(["x", "y", "z"]));
        // Recalled, a list's positions are recorded as its elements' are.
        let ((), recorded) = with_tables(Entries::Json, || {
            recording(|| {
                for _ in 0..2 {
                    shared(&a, serde_json::value::Serializer).unwrap();
                }
            })
        });
        assert_eq!(recorded, vec![0, 1, 0, 1]);
        // Without tables: the values themselves.
        assert_eq!(
            serde_json::to_value(&lists).unwrap()["again"],
            serde_json::json!(["x", "y"])
        );
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
