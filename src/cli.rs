//! Command-line arguments, and their translation into a plain [`Config`]
//! before any work starts.

use std::io::IsTerminal;

use clap::{Parser, Subcommand, ValueEnum};

use crate::findings::Filter;
use crate::report::Format;
use crate::template::Severity;

/// Kubernetes RBAC risk scanner: who can do what, exactly as the API server decides.
#[derive(Debug, Parser)]
#[command(name = "rbacscan", version, about, propagate_version = true)]
pub struct Args {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan a cluster dump (or the demo) and report risky subjects, bindings and roles.
    Scan(ScanArgs),
    /// Print the built-in risk template (to customise it and pass it with --template).
    Template,
}

/// When to colour the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// When writing to a terminal and NO_COLOR is not set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Arguments of `scan`.
#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// Cluster dump to read: a file (YAML or JSON, `kubectl get ... -o yaml|json`), a directory, or - for stdin. Repeatable.
    #[arg(
        short = 'f',
        long = "filename",
        value_name = "PATH",
        required_unless_present = "demo"
    )]
    pub files: Vec<String>,
    /// Scan the demo cluster bundled with rbacscan (examples/demo-cluster.yaml).
    #[arg(long, conflicts_with = "files")]
    pub demo: bool,
    /// Risk template to use instead of the built-in one (rbacscan or KubiScan format).
    #[arg(long, value_name = "FILE")]
    pub template: Option<String>,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write the report to FILE (atomically) instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub output_file: Option<String>,
    /// Only findings that apply in this namespace (cluster-wide ones apply everywhere). Repeatable.
    #[arg(short = 'n', long = "namespace", value_name = "NS")]
    pub namespaces: Vec<String>,
    /// Only findings at or above this severity (LOW, MEDIUM, HIGH, CRITICAL).
    #[arg(long, value_name = "LEVEL")]
    pub min_severity: Option<Severity>,
    /// Hide findings that involve only the Kubernetes bootstrap policy (label kubernetes.io/bootstrapping=rbac-defaults).
    #[arg(long)]
    pub exclude_defaults: bool,
    /// Treat this namespace as privileged, in addition to the template's (default kube-system). Repeatable.
    #[arg(long, value_name = "NS")]
    pub privileged_namespace: Vec<String>,
    /// Exit with code 1 if any reported finding is at or above this severity.
    #[arg(long, value_name = "LEVEL")]
    pub fail_on: Option<Severity>,
    /// Colour the table.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

/// Where the snapshot comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// The bundled demo cluster.
    Demo,
    /// Files, directories or `-`.
    Files(Vec<String>),
}

/// A validated scan configuration: everything `app::scan` needs, nothing of clap.
#[derive(Debug, Clone)]
pub struct ScanConfig {
    /// The input.
    pub input: Input,
    /// `None` for the built-in template.
    pub template: Option<String>,
    /// Output format.
    pub format: Format,
    /// `None` for standard output.
    pub output_file: Option<String>,
    /// Which findings to report.
    pub filter: Filter,
    /// Extra privileged namespaces.
    pub privileged_namespaces: Vec<String>,
    /// Exit 1 at or above this severity.
    pub fail_on: Option<Severity>,
    /// Colour the table.
    pub color: bool,
    /// Table width; `None` asks the terminal.
    pub width: Option<u16>,
}

impl ScanArgs {
    /// Resolves the arguments against the environment (terminal, `NO_COLOR`, `COLUMNS`).
    pub fn into_config(self) -> ScanConfig {
        let to_terminal = self.output_file.is_none() && std::io::stdout().is_terminal();
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let color = match self.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                to_terminal && !no_color && std::env::var("TERM").map_or(true, |t| t != "dumb")
            }
        };
        let width = if to_terminal {
            None
        } else {
            Some(
                std::env::var("COLUMNS")
                    .ok()
                    .and_then(|c| c.parse().ok())
                    .unwrap_or(160),
            )
        };
        ScanConfig {
            input: if self.demo {
                Input::Demo
            } else {
                Input::Files(self.files)
            },
            template: self.template,
            format: self.format,
            output_file: self.output_file,
            filter: Filter {
                namespaces: self.namespaces,
                min_severity: self.min_severity,
                exclude_defaults: self.exclude_defaults,
            },
            privileged_namespaces: self.privileged_namespace,
            fail_on: self.fail_on,
            color,
            width,
        }
    }
}
