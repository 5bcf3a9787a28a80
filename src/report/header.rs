//! What rbacscan reads back first of a JSON document of its own (a
//! `--baseline`, a report given to `merge`): which document it is, so that
//! another schema version, an answer, a pod view or a fleet is told apart
//! before the rest of the file is trusted.

use serde::Deserialize;

/// The fields that say which document a JSON file is.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Header {
    /// `schemaVersion`.
    pub schema_version: u32,
    /// `fleet` for a fleet report.
    #[serde(default)]
    pub kind: Option<String>,
    /// For an answer: `who-can`, `access` or `paths`.
    #[serde(default)]
    pub command: Option<String>,
    /// For a report: `scan` or `pods`.
    #[serde(default)]
    pub view: Option<String>,
}

impl Header {
    /// Reads the header of `text`, ignoring everything else.
    pub fn read(text: &str) -> Result<Header, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// Whether this is a fleet report.
    pub fn is_fleet(&self) -> bool {
        self.kind.as_deref() == Some("fleet")
    }
}
