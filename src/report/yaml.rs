//! The YAML reports (`-o yaml`): the same document as the JSON report, the
//! same fields and names, written by `serde-saphyr` (every string quoted
//! and escaped as YAML needs: cluster names cannot break the document).

use std::io::Write;

use serde::Serialize;

use super::{Report, ReportError};
use crate::tables::{self, Entries};

/// Writes `value` as one YAML document.
pub fn write(value: &impl Serialize, mut out: impl Write) -> Result<(), ReportError> {
    serde_saphyr::to_io_writer(&mut out, value)?;
    out.flush()?;
    Ok(())
}

/// Writes the report as YAML, its tables last (see [`super::Document`]).
pub fn write_report(report: &Report, out: impl Write) -> Result<(), ReportError> {
    tables::with_tables(Entries::Values, || write(&super::Document::of(report), out))
}
