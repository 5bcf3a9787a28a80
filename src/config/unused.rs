//! `unused`'s configuration: the audit logs, where the objects come from,
//! the template, and how the report and the proposals are written.

use std::path::PathBuf;

use super::SourceConfig;
use super::layout::{table_width, to_terminal};
use crate::cli::UnusedArgs;
use crate::report::table::TableStyle;
use crate::report::unused::UnusedFormat;
use crate::usage::Options;

/// A validated `unused` run.
#[derive(Debug, Clone)]
pub struct UnusedConfig {
    /// The audit logs: files or directories.
    pub audit_logs: Vec<PathBuf>,
    /// Where the objects come from.
    pub source: SourceConfig,
    /// `--template`: the risk template to read instead of the built-in one.
    pub template: Option<String>,
    /// What to leave out.
    pub options: Options,
    /// `--proposal-dir`: where to write each subject's proposal.
    pub proposal_dir: Option<PathBuf>,
    /// Output format.
    pub format: UnusedFormat,
    /// `None` for standard output.
    pub output_file: Option<String>,
    /// How tables are laid out.
    pub style: TableStyle,
    /// Whether a progress bar may be drawn (standard error is a terminal).
    pub progress_bar: bool,
}

impl From<UnusedArgs> for UnusedConfig {
    /// The plain configuration.
    fn from(args: UnusedArgs) -> UnusedConfig {
        let width = table_width(to_terminal(args.output_file.as_deref()), args.width);
        let source: SourceConfig = args.source.into();
        let progress_bar =
            !source.progress.quiet && std::io::IsTerminal::is_terminal(&std::io::stderr());
        UnusedConfig {
            audit_logs: args.audit_logs,
            source,
            template: args.template,
            options: Options {
                include_defaults: args.include_defaults,
            },
            proposal_dir: args.proposal_dir,
            format: args.format,
            output_file: args.output_file.filter(|f| f != "-"),
            style: TableStyle {
                color: false,
                width,
                limit: None,
                wide: true,
                no_headers: false,
            },
            progress_bar,
        }
    }
}
