//! The report's long lists (findings, rules, pods, workloads) written on
//! every core, each element as the one-thread writer would write it.
//!
//! Writing a record costs more than finding its tables' positions: most of
//! it is escaping and laying out text. So the positions are found on the
//! thread that holds the tables, by walking each record in the document's
//! order ([`super::walk`], [`tables::recording`]); each run of records is
//! then written on whichever core is free, into a buffer of its own, with
//! those positions given back in the same order ([`tables::replaying`]);
//! and the runs are put in the document in order ([`crate::spliced`]). A
//! formatter that writes records this way ([`Style`]) starts each element
//! from the state its own writer is in at an element of a top-level list.
//!
//! Only the report's own writers ask for this ([`record_style`]); anywhere
//! else a list is written one element after the other.

use serde::ser::{Error as _, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::ser::Formatter;

use super::record_style::{self, Style};
use crate::cores;
use crate::spliced;
use crate::tables;

/// Elements of a run: the unit of work. Smaller runs spread the work more
/// evenly; larger ones cost fewer hand-overs.
const RUN: usize = 256;

/// Runs walked and not yet in the document, at most: what bounds the
/// memory of records written ahead.
const AHEAD: usize = 8;

/// A run of records, and the positions its walk found.
struct Run<'t, T> {
    records: &'t [T],
    positions: Vec<u32>,
}

/// `serialize_with` for a report's list: on every core while a report's
/// writer asks for it ([`record_style::writing`]) and the list is long,
/// else one element after the other.
pub fn list<T: Serialize + Sync, S: Serializer>(items: &[T], s: S) -> Result<S::Ok, S::Error> {
    let style = record_style::current();
    let Some(style) = style.filter(|_| items.len() >= 2 * RUN && spliced::accepted()) else {
        let mut seq = s.serialize_seq(Some(items.len()))?;
        for item in items {
            seq.serialize_element(item)?;
        }
        return seq.end();
    };
    let mut seq = s.serialize_seq(Some(items.len()))?;
    cores::pipeline(
        items.chunks(RUN),
        AHEAD,
        // On this thread, which holds the tables: each run walked in order.
        |records| {
            let (walked, positions) =
                tables::recording(|| records.iter().try_for_each(super::walk::walk));
            walked.map_err(S::Error::custom)?;
            Ok(Run { records, positions })
        },
        // On any core.
        |run| written(style, run),
        // In order, on this thread.
        |written| {
            let (text, ends) = written.map_err(S::Error::custom)?;
            spliced::splicing(text, ends, |count| {
                (0..count).try_for_each(|_| seq.serialize_element(&spliced::Next))
            })
        },
    )?;
    seq.end()
}

/// A run's records, written with its positions: the text, and where each
/// record ends in it.
fn written<T: Serialize>(
    style: Style,
    run: Run<'_, T>,
) -> serde_json::Result<(Vec<u8>, Vec<usize>)> {
    let mut text = Vec::with_capacity(run.records.len() * 512);
    let mut ends = Vec::with_capacity(run.records.len());
    tables::replaying(run.positions, || {
        for record in run.records {
            match style {
                Style::Json => write_one(record, &mut text, super::json::Records::at_element())?,
                Style::Yaml => {
                    write_one(record, &mut text, super::yaml::YamlRecords::at_element())?
                }
            }
            ends.push(text.len());
        }
        Ok(())
    })?;
    Ok((text, ends))
}

/// Writes `record` with `formatter`, as it stands at an element.
fn write_one<T: Serialize, F: Formatter>(
    record: &T,
    text: &mut Vec<u8>,
    formatter: F,
) -> serde_json::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(text, formatter);
    record.serialize(&mut ser)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tables::{Entries, Gathered, Table};

    /// A record with fields in the tables, one of them nested in another
    /// table's entry, and text that needs escaping.
    #[derive(Serialize)]
    struct Record {
        #[serde(serialize_with = "crate::tables::text")]
        title: String,
        #[serde(serialize_with = "each_by_text")]
        tokens: Vec<Token>,
        message: String,
        count: usize,
    }

    #[derive(Serialize)]
    struct Token {
        #[serde(serialize_with = "crate::tables::text")]
        owner: String,
        n: usize,
    }

    /// A document whose lists are written by [`list`].
    #[derive(Serialize)]
    struct Doc {
        name: &'static str,
        #[serde(serialize_with = "list")]
        records: Vec<Record>,
        #[serde(serialize_with = "list")]
        few: Vec<Record>,
        #[serde(flatten)]
        tables: Gathered,
    }

    fn each_by_text<S: Serializer>(v: &[Token], s: S) -> Result<S::Ok, S::Error> {
        crate::tables::each_by_text(Table::Tokens, v, s)
    }

    fn record(i: usize) -> Record {
        Record {
            title: format!("title {}", i % 7),
            tokens: (0..i % 3)
                .map(|j| Token {
                    owner: format!("owner {}", (i + j) % 11),
                    n: j,
                })
                .collect(),
            message: format!("record {i}: \"quoted\"\n\u{1b}[31m\u{85}"),
            count: i,
        }
    }

    fn doc(n: usize) -> Doc {
        Doc {
            name: "doc",
            records: (0..n).map(record).collect(),
            few: (0..3).map(record).collect(),
            tables: Gathered,
        }
    }

    /// Written on every core, a document is byte for byte what one thread
    /// writes, in JSON and in YAML, whatever the number of runs.
    #[test]
    fn lists_written_on_every_core_are_what_one_thread_writes() {
        for n in [0, 1, 2 * RUN - 1, 2 * RUN, 2 * RUN + 1, 9 * RUN + 17] {
            let doc = doc(n);
            // The document in `style`'s layout, written on every core or not.
            let written = |style: Style, parallel: bool| {
                let mut out = Vec::new();
                let entries = match style {
                    Style::Json => Entries::Json,
                    Style::Yaml => Entries::Values,
                };
                tables::with_tables(entries, || {
                    let mut write = || match style {
                        Style::Json => super::super::json::write_document(&doc, &mut out),
                        Style::Yaml => super::super::yaml::write_records(&doc, &mut out),
                    };
                    if parallel {
                        record_style::writing(style, write)
                    } else {
                        write()
                    }
                })
                .unwrap();
                out
            };
            let json = |parallel: bool| written(Style::Json, parallel);
            let yaml = |parallel: bool| written(Style::Yaml, parallel);
            let (one, every) = (json(false), json(true));
            assert_eq!(
                String::from_utf8(every).unwrap(),
                String::from_utf8(one.clone()).unwrap(),
                "JSON, {n} records"
            );
            assert_eq!(yaml(true), yaml(false), "YAML, {n} records");
            // And it is the document: the tables hold what the records name.
            let v: serde_json::Value = serde_json::from_slice(&one).unwrap();
            if n > 5 {
                let title = v["records"][5]["title"].as_u64().unwrap() as usize;
                assert_eq!(v["texts"][title], "title 5");
                let token = v["records"][5]["tokens"][1].as_u64().unwrap() as usize;
                let owner = v["tokens"][token]["owner"].as_u64().unwrap() as usize;
                assert_eq!(v["texts"][owner], "owner 6");
            }
        }
    }
}
