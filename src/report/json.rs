//! The JSON report: one pretty-printed document, schema in the README.

use std::io::Write;

use super::{Report, ReportError};

/// Writes the report as JSON, ending with a newline.
pub fn write(report: &Report, mut out: impl Write) -> Result<(), ReportError> {
    serde_json::to_writer_pretty(&mut out, report)?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(())
}
