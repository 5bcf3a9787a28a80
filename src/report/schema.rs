//! The JSON Schema of the report (`-o json`), generated from the types that
//! serialise it, so the two cannot drift apart. `rbacscan schema` prints it;
//! `schema/report.schema.json` is the copy checked in for consumers, and a
//! test keeps it current.

use schemars::generate::SchemaSettings;

use super::{Report, SCHEMA_VERSION};

/// Where the checked-in copy says it lives.
const SCHEMA_ID: &str = "https://github.com/rbacscan/rbacscan/blob/main/schema/report.schema.json";

/// The report's JSON Schema (draft 2020-12), with `schemaVersion` fixed to
/// [`SCHEMA_VERSION`].
pub fn report_schema() -> serde_json::Value {
    // The schema of what rbacscan writes, not of what it would read: a field
    // left out when empty is optional.
    let generator = SchemaSettings::draft2020_12()
        .for_serialize()
        .into_generator();
    let schema = generator.into_root_schema_for::<Report>();
    let mut value = schema.to_value();
    if let Some(root) = value.as_object_mut() {
        root.insert("$id".into(), SCHEMA_ID.into());
        root.insert(
            "title".into(),
            format!("rbacscan report, schemaVersion {SCHEMA_VERSION}").into(),
        );
    }
    if let Some(version) = value.pointer_mut("/properties/schemaVersion") {
        version["const"] = SCHEMA_VERSION.into();
    }
    value
}

/// The schema as checked in: indented JSON ending with a newline.
pub fn report_schema_text() -> String {
    let mut text =
        serde_json::to_string_pretty(&report_schema()).expect("a JSON value always serialises");
    text.push('\n');
    text
}
