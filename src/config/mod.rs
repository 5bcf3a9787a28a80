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

pub use answer::AnswerConfig;
pub use dump::DumpConfig;
pub use merge::MergeConfig;
pub use scan::ScanConfig;
pub use source::{Contexts, Input, ProgressConfig, SourceConfig};
