//! `dump`: what a scan reads, written to one snapshot file.

use std::io::{BufWriter, Write};

use super::warn::{Warning, warn};
use super::{exit, load};
use crate::cli::DumpFormat;
use crate::config::{DumpConfig, Thresholds};
use crate::error::{Error, Outcome};
use crate::output::{Destination, write_file};
use crate::report;
use crate::source::{Loaded, dump};

/// Runs `dump`: writes the snapshot file. A partial snapshot is written too,
/// says so in its header, and exits with [`Outcome::Partial`].
pub fn run(config: &DumpConfig) -> Result<Outcome, Error> {
    let Loaded {
        snapshot,
        provenance,
    } = load(&config.source)?;
    let cluster = provenance.cluster.as_ref();
    let render = |out: &mut dyn Write| -> Result<(), report::ReportError> {
        match config.format {
            DumpFormat::Json => dump::write(&snapshot, cluster, out)?,
            DumpFormat::Yaml => dump::write_yaml(&snapshot, cluster, out)?,
        }
        Ok(())
    };
    match &config.output_file {
        Some(path) => write_file(path, Destination::Snapshot, render)?,
        None => {
            let stdout = std::io::stdout();
            render(&mut BufWriter::new(stdout.lock()))?;
        }
    }
    if !snapshot.coverage.is_complete() {
        warn(
            config.source.progress.quiet,
            Warning::Partial {
                context: None,
                coverage: &snapshot.coverage,
            },
        );
    }
    Ok(exit::outcome(&snapshot.coverage, Thresholds::default()))
}
