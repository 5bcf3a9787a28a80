//! Output files, written atomically: a report, an answer, a snapshot or
//! the metrics is staged in a temporary file beside its destination and
//! renamed into place only once it is whole ([`Staged`]), so that readers
//! never see a half-written file and a failed run leaves the previous one
//! untouched. The only module that writes files. Its errors
//! ([`OutputError`]) become the run's error in [`crate::error`], above it.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::report::{self, Report};

/// Which file a write failure is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destination {
    /// The `--output-file` report.
    Report,
    /// The `--save-snapshot` file, or `dump`'s output.
    Snapshot,
    /// The `--metrics-file` file.
    Metrics,
    /// A proposal of `unused --proposal-dir`.
    Proposal,
}

/// Why output could not be written.
#[derive(Debug)]
pub enum OutputError {
    /// The file could not be created, written, synced or renamed; nothing
    /// was left behind.
    File {
        /// The path asked for (`--output-file`, `--save-snapshot`, ...).
        path: String,
        /// Which file it is.
        destination: Destination,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The content could not be produced (serialising failed), or standard
    /// output could not be written.
    Report(report::ReportError),
}

/// Why a file could not be written: the file system, or the content.
#[derive(Debug)]
enum WriteFailure {
    /// The file could not be created, written, synced or renamed.
    Io(std::io::Error),
    /// The content could not be produced (serialising failed).
    Content(report::ReportError),
}

impl WriteFailure {
    /// The failure to write the file at `path`, as `destination`; or to
    /// produce its content.
    fn at(self, path: &str, destination: Destination) -> OutputError {
        match self {
            WriteFailure::Io(source) => OutputError::File {
                path: path.into(),
                destination,
                source,
            },
            WriteFailure::Content(e) => OutputError::Report(e),
        }
    }
}

impl From<report::ReportError> for WriteFailure {
    /// Failures to write are about the file; others (serialising) are not.
    fn from(e: report::ReportError) -> Self {
        match e {
            report::ReportError::Write(e) => WriteFailure::Io(e),
            report::ReportError::Json(e) if e.is_io() => WriteFailure::Io(e.into()),
            e => WriteFailure::Content(e),
        }
    }
}

/// An output file written but not yet in place.
///
/// A regular file (or a path that does not exist yet) is written to a
/// temporary file in the same directory, which [`Staged::commit`] renames
/// into place: readers never see a half-written file, and a failed run
/// leaves the previous file untouched. A symbolic link is followed (the file
/// it points to is replaced, the link kept). Something that is not a regular
/// file (`/dev/null`, `/dev/stdout`, a pipe) cannot be staged: it is written
/// directly, and committing it does nothing.
pub struct Staged {
    /// The path asked for.
    path: String,
    /// Which file it is.
    destination: Destination,
    /// Where it stands.
    stage: Stage,
}

/// Where a [`Staged`] file stands.
enum Stage {
    /// A temporary file and where it goes.
    Temp {
        /// The written, synced temporary file.
        file: tempfile::NamedTempFile,
        /// The path it is renamed to.
        target: PathBuf,
    },
    /// Already written to a device or pipe.
    Direct,
}

impl Staged {
    /// Writes what `write` produces for `path`, the `destination` file
    /// (see [`Staged`]), without putting it in place yet.
    pub fn write(
        path: &str,
        destination: Destination,
        write: impl FnOnce(&mut dyn Write) -> Result<(), report::ReportError>,
    ) -> Result<Staged, OutputError> {
        let stage = Staged::stage(path, write).map_err(|e| e.at(path, destination))?;
        Ok(Staged {
            path: path.into(),
            destination,
            stage,
        })
    }

    /// Writes the temporary file, or the device or pipe directly.
    fn stage(
        path: &str,
        write: impl FnOnce(&mut dyn Write) -> Result<(), report::ReportError>,
    ) -> Result<Stage, WriteFailure> {
        let target = std::fs::canonicalize(path).unwrap_or_else(|_| path.into());
        if std::fs::metadata(&target).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
            let file = std::fs::OpenOptions::new()
                .write(true)
                .open(&target)
                .map_err(WriteFailure::Io)?;
            let mut out = BufWriter::new(file);
            write(&mut out)?;
            out.flush().map_err(WriteFailure::Io)?;
            return Ok(Stage::Direct);
        }
        let dir = target
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let tmp = tempfile::NamedTempFile::new_in(dir).map_err(WriteFailure::Io)?;
        let mut buf = BufWriter::new(tmp);
        write(&mut buf)?;
        let file = buf
            .into_inner()
            .map_err(|e| WriteFailure::Io(e.into_error()))?;
        // A file replaced keeps its mode (a report an admin made readable
        // to a group stays so); a new one keeps the temporary file's 0600.
        if let Some(existing) = std::fs::metadata(&target).ok().filter(|m| m.is_file()) {
            (file.as_file().set_permissions(existing.permissions())).map_err(WriteFailure::Io)?;
        }
        file.as_file().sync_all().map_err(WriteFailure::Io)?;
        Ok(Stage::Temp { file, target })
    }

    /// Puts the file in place.
    pub fn commit(self) -> Result<(), OutputError> {
        match self.stage {
            Stage::Temp { file, target } => file
                .persist(&target)
                .map(|_| ())
                .map_err(|e| WriteFailure::Io(e.error).at(&self.path, self.destination)),
            Stage::Direct => Ok(()),
        }
    }
}

/// Writes the file at `path` atomically: staged, then put in place.
pub fn write_file(
    path: &str,
    destination: Destination,
    render: impl FnOnce(&mut dyn Write) -> Result<(), report::ReportError>,
) -> Result<(), OutputError> {
    Staged::write(path, destination, render)?.commit()
}

/// Writes a report (or an answer) to `path` atomically, or to standard output.
pub fn write_report(
    path: Option<&str>,
    render: impl Fn(&mut dyn Write) -> Result<(), report::ReportError>,
) -> Result<(), OutputError> {
    match path {
        Some(path) => write_file(path, Destination::Report, |f| render(f)),
        None => {
            let stdout = std::io::stdout();
            let mut out = BufWriter::new(stdout.lock());
            render(&mut out).map_err(OutputError::Report)?;
            out.flush()
                .map_err(|e| OutputError::Report(report::ReportError::Write(e)))?;
            Ok(())
        }
    }
}

/// Stages the `--metrics-file` (see [`Staged`]). A complete scan is the
/// last success; a partial one keeps the last success the file recorded.
pub fn stage_metrics(
    path: &str,
    report: &Report,
    took: std::time::Duration,
) -> Result<Staged, OutputError> {
    let last_success = if report.is_partial() {
        std::fs::read_to_string(path)
            .ok()
            .and_then(|text| report::metrics::last_success_in(&text))
    } else {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()
            .map(|d| d.as_secs() as f64)
    };
    let run = report::metrics::Run {
        duration_seconds: took.as_secs_f64(),
        last_success,
    };
    Staged::write(path, Destination::Metrics, |out| {
        report::metrics::write(report, run, out)
    })
}
