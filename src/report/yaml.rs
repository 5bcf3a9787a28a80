//! The YAML reports (`-o yaml`): the same document as the JSON report, the
//! same fields and names, written by `serde-saphyr` (every string quoted
//! and escaped as YAML needs: cluster names cannot break the document).

use std::io::Write;

use serde::Serialize;

use super::ReportError;

/// Writes `value` as one YAML document.
pub fn write(value: &impl Serialize, mut out: impl Write) -> Result<(), ReportError> {
    serde_saphyr::to_io_writer(&mut out, value)?;
    out.flush()?;
    Ok(())
}
