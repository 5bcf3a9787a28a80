//! The JSON Schemas of the documents rbacscan writes, generated from the
//! types that serialise them, so the two cannot drift apart: the report
//! (`scan -o json`, `pods -o json`) and the fleet (`scan` of several
//! contexts, `merge`). `rbacscan schema [--fleet]` prints them;
//! `schema/*.schema.json` are the copies checked in for consumers, and a
//! test keeps them current.

use schemars::JsonSchema;
use schemars::generate::SchemaSettings;

use super::SCHEMA_VERSION;
use super::fleet::Fleet;

/// Which document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Document {
    /// A one-cluster report.
    Report,
    /// A fleet report.
    Fleet,
    /// The `unused` report (least privilege from an audit log).
    Unused,
}

impl Document {
    /// The checked-in file's name under `schema/`.
    pub fn file_name(self) -> &'static str {
        match self {
            Document::Report => "report.schema.json",
            Document::Fleet => "fleet.schema.json",
            Document::Unused => "unused.schema.json",
        }
    }
}

/// The document's JSON Schema (draft 2020-12), with `schemaVersion` fixed
/// to [`SCHEMA_VERSION`].
pub fn schema(document: Document) -> serde_json::Value {
    match document {
        Document::Report => {
            generate::<super::Document<'static>>("rbacscan report", document, SCHEMA_VERSION)
        }
        Document::Unused => generate::<super::unused::UnusedReport<'static>>(
            "rbacscan unused report",
            document,
            super::unused::UNUSED_SCHEMA_VERSION,
        ),
        Document::Fleet => {
            let mut value = generate::<Fleet>("rbacscan fleet report", document, SCHEMA_VERSION);
            if let Some(kind) = value.pointer_mut("/properties/kind") {
                kind["const"] = "fleet".into();
            }
            value
        }
    }
}

fn generate<T: JsonSchema>(title: &str, document: Document, version: u32) -> serde_json::Value {
    // The schema of what rbacscan writes, not of what it would read: a field
    // left out when empty is optional.
    let generator = SchemaSettings::draft2020_12()
        .for_serialize()
        .into_generator();
    let mut value = generator.into_root_schema_for::<T>().to_value();
    if let Some(root) = value.as_object_mut() {
        root.insert(
            "$id".into(),
            format!(
                "https://github.com/rbacscan/rbacscan/blob/main/schema/{}",
                document.file_name()
            )
            .into(),
        );
        root.insert(
            "title".into(),
            format!("{title}, schemaVersion {version}").into(),
        );
    }
    if let Some(field) = value.pointer_mut("/properties/schemaVersion") {
        field["const"] = version.into();
    }
    value
}

/// The schema as checked in: indented JSON ending with a newline.
pub fn schema_text(document: Document) -> String {
    let mut text =
        serde_json::to_string_pretty(&schema(document)).expect("a JSON value always serialises");
    text.push('\n');
    text
}
