//! `scan`'s and `pods`' configuration: the template, the filters and the
//! view, the files read (baseline, exceptions) and written (report,
//! snapshot, metrics), the exit thresholds, and the layout.

use super::layout::{table_style, to_terminal};
use super::{SourceConfig, Thresholds};
use crate::cli::{PodsArgs, ScanArgs};
use crate::report::Format;
use crate::report::table::TableStyle;
use crate::selection::{Filter, PodFilter, View};
use crate::template::Severity;

/// A validated scan configuration: everything a scan needs, nothing of clap.
#[derive(Debug, Clone)]
pub struct ScanConfig {
    /// Where the objects come from.
    pub source: SourceConfig,
    /// Also write the snapshot here.
    pub save_snapshot: Option<String>,
    /// `None` for the built-in template.
    pub template: Option<String>,
    /// `--operators`: the operator catalog, `None` for the built-in one.
    pub operators: Option<String>,
    /// Output format.
    pub format: Format,
    /// `None` for standard output.
    pub output_file: Option<String>,
    /// Where to write the metrics, if anywhere.
    pub metrics_file: Option<String>,
    /// Which findings to report.
    pub filter: Filter,
    /// The hot-pod threshold: `--min-severity`, default HIGH.
    pub hot_threshold: Severity,
    /// All findings, or the pods.
    pub view: View,
    /// Extra privileged namespaces.
    pub privileged_namespaces: Vec<String>,
    /// Platforms whose own objects are defaults (`--platform`).
    pub platforms: Vec<crate::rbac::platforms::Platform>,
    /// When to exit 1: `--fail-on`, `--fail-on-new`.
    pub thresholds: Thresholds,
    /// The `--baseline` report's path.
    pub baseline: Option<String>,
    /// A missing baseline file is not an error.
    pub baseline_optional: bool,
    /// The `--exceptions` file's path.
    pub exceptions: Option<String>,
    /// How tables are laid out; its `limit` (at most this many rows per
    /// section, `None` for all) applies to Markdown and to a fleet's
    /// worst findings too.
    pub style: TableStyle,
}

impl From<ScanArgs> for ScanConfig {
    /// Resolves the arguments against the environment (terminal, `NO_COLOR`, `COLUMNS`).
    fn from(args: ScanArgs) -> ScanConfig {
        let style = table_style(
            &args.layout,
            to_terminal(args.output_file.as_deref()),
            args.format == Format::Wide,
        );
        ScanConfig {
            source: SourceConfig::from(args.source).for_platforms(&args.platform),
            save_snapshot: args.save_snapshot,
            template: args.template,
            operators: args.operators,
            format: args.format,
            output_file: args.output_file,
            metrics_file: args.metrics_file,
            filter: Filter {
                namespaces: args.namespaces,
                min_severity: args.min_severity,
                include_defaults: args.include_defaults,
            },
            hot_threshold: args.min_severity.unwrap_or(Severity::High),
            view: View::Scan,
            privileged_namespaces: args.privileged_namespace,
            platforms: {
                let mut p = args.platform;
                p.sort();
                p.dedup();
                p
            },
            thresholds: Thresholds {
                fail_on: args.fail_on,
                fail_on_new: args.fail_on_new,
            },
            baseline: args.baseline,
            baseline_optional: args.baseline_optional,
            exceptions: args.exceptions,
            style,
        }
    }
}

impl From<PodsArgs> for ScanConfig {
    /// The plain configuration: a scan with the pod view.
    fn from(args: PodsArgs) -> ScanConfig {
        let explicit = args.scan.min_severity;
        let mut config = ScanConfig::from(args.scan);
        // The severity filter applies to pods, not to the findings behind them.
        config.filter.min_severity = None;
        config.view = View::Pods(PodFilter {
            nodes: args.node,
            privileged: args.privileged,
            by_workload: args.by_workload,
            min_severity: match (explicit, args.privileged) {
                (Some(level), _) => Some(level),
                (None, true) => None,
                (None, false) => Some(Severity::High),
            },
        });
        config
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Args, Command};

    fn pods(args: &[&str]) -> ScanConfig {
        let mut argv = vec!["rbacscan", "pods", "--demo"];
        argv.extend_from_slice(args);
        match Args::try_parse_from(argv).unwrap().command {
            Command::Pods(p) => p.into(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_pod_view_shows_hot_pods_unless_told_otherwise() {
        let view = |c: ScanConfig| match c.view {
            View::Pods(f) => (f, c.hot_threshold, c.filter.min_severity),
            View::Scan => panic!("not the pod view"),
        };
        let (f, hot, findings) = view(pods(&[]));
        assert_eq!(f.min_severity, Some(Severity::High));
        assert_eq!((hot, findings), (Severity::High, None));
        let (f, hot, _) = view(pods(&["--privileged"]));
        assert!(f.privileged && f.min_severity.is_none());
        assert_eq!(hot, Severity::High);
        let (f, hot, _) = view(pods(&[
            "--privileged",
            "--min-severity",
            "medium",
            "--node",
            "n1",
            "-n",
            "shop",
        ]));
        assert_eq!(
            (f.min_severity, hot),
            (Some(Severity::Medium), Severity::Medium)
        );
        assert_eq!(f.nodes, ["n1"]);
        let c = pods(&["-n", "shop"]);
        assert_eq!(c.filter.namespaces, ["shop"]);
        let scan =
            match Args::try_parse_from(["rbacscan", "scan", "--demo", "--min-severity", "LOW"])
                .unwrap()
                .command
            {
                Command::Scan(s) => ScanConfig::from(s),
                other => panic!("{other:?}"),
            };
        assert_eq!((scan.hot_threshold, scan.view), (Severity::Low, View::Scan));
    }
}
