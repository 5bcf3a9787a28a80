//! The one place where errors become a message and an exit code.

use std::process::ExitCode;

use crate::output::{Destination, OutputError};
use crate::report::ReportError;
use crate::source::SourceError;
use crate::source::live::LiveError;
use crate::template::TemplateError;

/// How a run ended, as an exit code. Stable: scripts depend on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// 0: the scan completed; no finding at or above `--fail-on`.
    Clean = 0,
    /// 1: the scan completed with findings at or above `--fail-on`.
    Findings = 1,
    /// 2: the scan could not be done (bad input, bad template, bad arguments,
    /// unreachable cluster, rejected credentials).
    Error = 2,
    /// 3: the scan completed on partial data: some kinds could not be listed
    /// (forbidden, or failed after retries); or a fleet in which a cluster
    /// failed, is partial or stale. Takes precedence over 0 and 1.
    Partial = 3,
}

impl From<Outcome> for ExitCode {
    fn from(o: Outcome) -> ExitCode {
        ExitCode::from(o as u8)
    }
}

/// Any error that ends a run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An input file, directory or stream could not be read or parsed.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// The `--baseline` report, or a report given to `merge`, could not be
    /// read or is not one.
    #[error(transparent)]
    Previous(#[from] crate::previous::PreviousError),
    /// The `--exceptions` file could not be read or is invalid.
    #[error(transparent)]
    Exceptions(#[from] crate::exceptions::ExceptionsError),
    /// The risk template could not be read or is invalid.
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// The `--operators` catalog could not be read or is invalid.
    #[error(transparent)]
    Operators(#[from] crate::operators::CatalogError),
    /// The report could not be rendered or written to standard output.
    #[error(transparent)]
    Report(#[from] ReportError),
    /// The report file could not be written; nothing was left behind.
    #[error("{path}: cannot write the report: {source}")]
    OutputFile {
        /// The `--output-file` path.
        path: String,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The snapshot file could not be written; nothing was left behind, and
    /// the report was not written either.
    #[error("{path}: cannot write the snapshot: {source}")]
    SnapshotFile {
        /// The `--save-snapshot` path (or `dump`'s output file).
        path: String,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The metrics file could not be written; the report was.
    #[error("{path}: cannot write the metrics: {source}")]
    MetricsFile {
        /// The `--metrics-file` path.
        path: String,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A question names something the input does not hold.
    #[error(transparent)]
    Query(#[from] crate::access::query::QueryError),
    /// Every value of a filter names something the input does not hold:
    /// nothing could be shown.
    #[error("{what} not in the input: nothing could match ({hint})")]
    NothingMatches {
        /// What was asked for (`node node-c`).
        what: String,
        /// What the input does hold.
        hint: String,
    },
    /// Several clusters were asked of a command that reads one.
    #[error("this command reads one cluster: give --context once")]
    SeveralClusters,
    /// The live cluster could not be scanned.
    #[error(transparent)]
    Live(#[from] LiveError),
    /// An audit log could not be read, or is not one.
    #[error(transparent)]
    Audit(#[from] crate::audit::AuditError),
    /// A proposal file (`unused --proposal-dir`) could not be written;
    /// nothing was left behind for it.
    #[error("{path}: cannot write the proposal: {source}")]
    ProposalFile {
        /// The file.
        path: String,
        /// The operating system's error.
        source: std::io::Error,
    },
}

impl From<OutputError> for Error {
    /// A file that could not be written is named with what it is; content
    /// that could not be produced, or standard output that could not be
    /// written, is a report error.
    fn from(e: OutputError) -> Error {
        match e {
            OutputError::File {
                path,
                destination,
                source,
            } => match destination {
                Destination::Report => Error::OutputFile { path, source },
                Destination::Snapshot => Error::SnapshotFile { path, source },
                Destination::Metrics => Error::MetricsFile { path, source },
                Destination::Proposal => Error::ProposalFile { path, source },
            },
            OutputError::Report(e) => Error::Report(e),
        }
    }
}

impl Error {
    /// The exit code for this error.
    pub fn outcome(&self) -> Outcome {
        Outcome::Error
    }

    /// Whether the error is only a closed standard output (`rbacscan ... | head`),
    /// which is not worth a message.
    pub fn is_broken_pipe(&self) -> bool {
        let broken = Some(std::io::ErrorKind::BrokenPipe);
        match self {
            Error::Report(ReportError::Write(e)) => Some(e.kind()) == broken,
            Error::Report(ReportError::Json(e)) => e.io_error_kind() == broken,
            Error::Report(ReportError::Yaml(serde_saphyr::SerializeError::IO { error })) => {
                Some(error.kind()) == broken
            }
            _ => false,
        }
    }
}

/// Prints `error` as one line on standard error and returns the exit code.
/// The message is escaped (see [`crate::terminal`]): it may quote object
/// names, file names and server messages, none of which may add a line or
/// move the cursor.
#[expect(
    clippy::print_stderr,
    reason = "the one place an error becomes a line on standard error"
)]
pub fn report(error: &Error) -> ExitCode {
    if error.is_broken_pipe() {
        return Outcome::Clean.into();
    }
    eprintln!(
        "rbacscan: error: {}",
        crate::terminal::escape(&error.to_string())
    );
    error.outcome().into()
}

/// Prints a command-line error as clap does (the message, the usage and a
/// hint), with the `rbacscan:` prefix of every other error, and returns its
/// exit code: 0 for `--help` and `--version`, 2 otherwise.
#[expect(
    clippy::print_stderr,
    reason = "the one place a usage error becomes text on standard error"
)]
pub fn report_usage(error: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        error.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
    ) {
        let _ = error.print();
        return Outcome::Clean.into();
    }
    let text = error.render().to_string();
    let text = crate::terminal::escape_lines(&text);
    eprint!("rbacscan: {text}");
    Outcome::Error.into()
}
