//! `merge`'s configuration: the reports to read, when one is stale, the
//! exit threshold, and how the fleet report is written and laid out.

use std::time::Duration;

use super::Thresholds;
use super::layout::{table_style, to_terminal};
use crate::cli::{MergeArgs, MergeFormat};
use crate::report::Format;
use crate::report::table::TableStyle;

/// A validated `merge` configuration.
#[derive(Debug, Clone)]
pub struct MergeConfig {
    /// The reports, in order.
    pub reports: Vec<String>,
    /// Output format.
    pub format: Format,
    /// `None` for standard output.
    pub output_file: Option<String>,
    /// Reports older than this are stale.
    pub stale_after: Duration,
    /// When to exit 1: `--fail-on` (a fleet has no baseline).
    pub thresholds: Thresholds,
    /// How tables are laid out; its `limit` is also how many worst
    /// findings are kept (`None` for all).
    pub style: TableStyle,
    /// No warnings.
    pub quiet: bool,
}

impl From<MergeFormat> for Format {
    /// `merge`'s formats are the report's, described for a fleet.
    fn from(format: MergeFormat) -> Format {
        match format {
            MergeFormat::Table => Format::Table,
            MergeFormat::Wide => Format::Wide,
            MergeFormat::Json => Format::Json,
            MergeFormat::Yaml => Format::Yaml,
            MergeFormat::Markdown => Format::Markdown,
            MergeFormat::Html => Format::Html,
            MergeFormat::Sarif => Format::Sarif,
        }
    }
}

impl From<MergeArgs> for MergeConfig {
    /// Resolves the arguments against the environment (terminal, `NO_COLOR`, `COLUMNS`).
    fn from(args: MergeArgs) -> MergeConfig {
        let format = Format::from(args.format);
        let to_terminal = to_terminal(args.output_file.as_deref());
        MergeConfig {
            reports: args.reports,
            format,
            style: table_style(&args.layout, to_terminal, format == Format::Wide),
            output_file: args.output_file.filter(|f| f != "-"),
            stale_after: args.stale_after,
            thresholds: Thresholds {
                fail_on: args.fail_on,
                fail_on_new: None,
            },
            quiet: args.quiet,
        }
    }
}
