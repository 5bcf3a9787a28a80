//! `scan` and `pods` of one cluster (several go to [`super::fleet`]):
//! load, check the filters, analyse, write the report and the files that
//! go with it (snapshot, metrics), and exit by the findings.

use std::io::Write;

use super::exit;
use super::prepared::Prepared;
use super::warn::{Warning, warn};
use super::{left_to_exit, load_with};
use crate::config::{Input, ScanConfig};
use crate::error::{Error, Outcome};
use crate::output::{Destination, Staged, stage_metrics, write_report};
use crate::report::{self, Format};
use crate::selection;
use crate::source::{Loaded, dump};

/// Runs `scan`. A scan of a partial snapshot exits with [`Outcome::Partial`],
/// whatever its findings.
pub fn run(config: &ScanConfig) -> Result<Outcome, Error> {
    let prepared = Prepared::load(config)?;
    if let Input::Fleet { options, contexts } = &config.source.input {
        return super::fleet::scan(config, &prepared, options, contexts);
    }
    let started = std::time::Instant::now();
    // SARIF points at the manifest line of each finding's object: the
    // files' readers record where each object is.
    let Loaded {
        mut snapshot,
        provenance,
    } = load_with(&config.source, config.format == Format::Sarif)?;
    let loaded = started.elapsed();
    check_filters(&snapshot, config)?;
    // The snapshot is staged first and put in place only once the report is
    // written: both files or neither.
    let staged_snapshot = match &config.save_snapshot {
        Some(path) => Some(Staged::write(path, Destination::Snapshot, |out| {
            Ok(dump::write(&snapshot, provenance.cluster.as_ref(), out)?)
        })?),
        None => None,
    };
    let report = prepared.report(&mut snapshot, provenance, config);
    let analyzed = started.elapsed();
    prepared.warn_expired(&report, config);
    let template = &prepared.template;
    let style = config.style;
    let render = |out: &mut dyn Write| match config.format {
        Format::Json => report::json::write(&report, out),
        Format::Yaml => report::yaml::write_report(&report, out),
        Format::Sarif => report::sarif::write(&report, template, out),
        Format::Html => report::html::write(&report, out),
        Format::Markdown => report::markdown::write(
            &report,
            report::markdown::MarkdownStyle { limit: style.limit },
            out,
        ),
        Format::Table | Format::Wide => report::table::write(&report, style, out),
    };
    // The metrics are staged before the report is written, and put in
    // place after it: a metrics file that cannot be written leaves no
    // report either.
    let staged_metrics = match &config.metrics_file {
        Some(path) => Some(stage_metrics(path, &report, started.elapsed())?),
        None => None,
    };
    // The snapshot is not read again but for its coverage: freed on
    // another thread while the report is written, whose memory it takes.
    let coverage = snapshot.coverage.clone();
    std::thread::spawn(move || drop(snapshot));
    write_report(config.output_file.as_deref(), render)?;
    if config.source.progress.verbosity > 0 {
        let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
        super::warn::note(
            config.source.progress.quiet,
            format_args!(
                "loaded in {:.1} ms; analyzed and selected in {:.1} ms; wrote the report in {:.1} ms",
                ms(loaded),
                ms(analyzed - loaded),
                ms(started.elapsed() - analyzed),
            ),
        );
    }
    if let Some(staged) = staged_snapshot {
        staged.commit()?;
    }
    if let Some(staged) = staged_metrics {
        staged.commit()?;
    }
    if report.is_partial() {
        warn(
            config.source.progress.quiet,
            Warning::Partial {
                context: None,
                coverage: &coverage,
            },
        );
    }
    let outcome = exit::outcome(&report, config.thresholds);
    left_to_exit(report);
    Ok(outcome)
}

/// Reports filter values the input does not hold: a namespace is a warning
/// (cluster-wide findings still apply there); nodes that all match no pod
/// are an error, since nothing could be shown.
fn check_filters(snapshot: &crate::snapshot::Snapshot, config: &ScanConfig) -> Result<(), Error> {
    let unmatched = selection::unmatched(snapshot, &config.filter, &config.view);
    let quiet = config.source.progress.quiet;
    let mut nodes = Vec::new();
    for u in &unmatched {
        match u {
            selection::Unmatched::Namespace(namespace) => {
                warn(quiet, Warning::NamespaceUnmatched { namespace });
            }
            selection::Unmatched::Node(n) => nodes.push(n.as_str()),
        }
    }
    let asked = match &config.view {
        selection::View::Pods(f) => f.nodes.len(),
        selection::View::Scan => 0,
    };
    if !nodes.is_empty() && nodes.len() == asked {
        let mut known: Vec<&str> = (snapshot.pods.iter())
            .filter_map(|p| p.spec.as_ref()?.node_name.as_deref())
            .collect();
        known.sort_unstable();
        known.dedup();
        let hint = match known.len() {
            0 => "no pod of the input is scheduled".to_string(),
            n if n <= 5 => format!("nodes in the input: {}", known.join(", ")),
            n => format!("{n} nodes in the input, such as {}", known[..5].join(", ")),
        };
        return Err(Error::NothingMatches {
            what: format!(
                "{} {}",
                crate::words::plural(nodes.len(), "node"),
                nodes.join(", ")
            ),
            hint,
        });
    }
    for node in nodes {
        warn(quiet, Warning::NodeUnmatched { node });
    }
    Ok(())
}
