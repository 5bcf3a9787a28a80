//! The validated configuration of each command: everything the command
//! layer needs, built from the command line ([`crate::cli`]) and resolved
//! against the environment (terminal, `NO_COLOR`, `COLUMNS`) before any
//! work starts, with nothing of clap left. One file per concern: where the
//! objects come from ([`SourceConfig`]), how tables are laid out, and each
//! command family's own settings.

mod answer;
mod dump;
mod layout;
mod merge;
mod scan;
mod source;
mod unused;

pub use answer::AnswerConfig;
pub use dump::DumpConfig;
pub use merge::MergeConfig;
pub use scan::ScanConfig;
pub use source::{Contexts, Input, ProgressConfig, SourceConfig};
pub use unused::UnusedConfig;

use crate::template::Severity;

/// When a completed run exits with code 1 (see `commands::exit`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Thresholds {
    /// `--fail-on`: a finding shown at or above this severity.
    pub fail_on: Option<Severity>,
    /// `--fail-on-new`: a finding the baseline lacks at or above this severity.
    pub fail_on_new: Option<Severity>,
}
