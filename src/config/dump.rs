//! `dump`'s configuration: where the objects come from, and where and how
//! the snapshot file is written.

use super::SourceConfig;
use crate::cli::{DumpArgs, DumpFormat};

/// A validated `dump` configuration.
#[derive(Debug, Clone)]
pub struct DumpConfig {
    /// Where the objects come from.
    pub source: SourceConfig,
    /// `None` (or `-`) for standard output.
    pub output_file: Option<String>,
    /// JSON or YAML.
    pub format: DumpFormat,
}

impl From<DumpArgs> for DumpConfig {
    /// The plain configuration.
    fn from(args: DumpArgs) -> DumpConfig {
        DumpConfig {
            source: args.source.into(),
            output_file: args.output_file.filter(|f| f != "-"),
            format: args.format,
        }
    }
}
