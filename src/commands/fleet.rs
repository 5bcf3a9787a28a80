//! Fleets: `scan` of several clusters at once, the fleet report written in
//! any format (for `merge` too).

use crate::tables::{self, Entries};
use std::io::Write;

use super::prepared::Prepared;
use super::warn::{Warning, warn};
use super::{exit, left_to_exit};
use crate::config::{Contexts, ScanConfig};
use crate::error::{Error, Outcome};
use crate::output::write_report;
use crate::progress::Progress;
use crate::report::{self, Format, table::TableStyle};
use crate::source::{self, Loaded};
use crate::template::Template;

/// Runs `scan` on several clusters at once: each listed concurrently and
/// reported in its own section; one that cannot be scanned is a member
/// with its error (exit 3), and never loses the others' results. A context
/// the kubeconfig lacks stops the run before any cluster is listed.
pub(super) fn scan(
    config: &ScanConfig,
    prepared: &Prepared,
    options: &source::live::LiveOptions,
    contexts: &Contexts,
) -> Result<Outcome, Error> {
    use report::fleet::{Fleet, Member};
    let named = match contexts {
        Contexts::Named(names) => Some(names.as_slice()),
        Contexts::All => None,
    };
    let contexts = source::live::fleet_contexts(options, named)?;
    let multi = indicatif::MultiProgress::new();
    let progress: Vec<Progress> = (contexts.iter())
        .map(|c| Progress::start_among(&multi, config.source.progress, c))
        .collect();
    let observers: Vec<&dyn source::live::Observer> = progress
        .iter()
        .map(|p| p as &dyn source::live::Observer)
        .collect();
    let results = source::live::collect_each(options, &contexts, &observers)?;
    let mut members = Vec::new();
    let mut worst = Vec::new();
    let mut warned = false;
    for ((context, result), progress) in contexts.iter().zip(results).zip(&progress) {
        progress.finish(result.as_ref().ok());
        let name = context.clone();
        let source = format!("context {context}");
        match result {
            Ok(collected) => {
                let Loaded {
                    mut snapshot,
                    provenance,
                } = collected.loaded;
                if !snapshot.coverage.is_complete() {
                    warn(
                        config.source.progress.quiet,
                        Warning::Partial {
                            context: Some(context),
                            coverage: &snapshot.coverage,
                        },
                    );
                }
                let report = prepared.report(&mut snapshot, provenance, config);
                // Exceptions are the same for every cluster: their dates
                // are told once.
                if !warned {
                    prepared.warn_expired(&report, config);
                    warned = true;
                }
                let (member, findings) = Member::scanned(name, source, report);
                members.push(member);
                worst.extend(findings);
            }
            Err(e) => {
                let message = e.to_string();
                let failed = Warning::ContextFailed {
                    context,
                    message: &message,
                };
                warn(config.source.progress.quiet, failed);
                members.push(Member::failed(name, source, message));
            }
        }
    }
    let fleet = Fleet::new("scan", members, worst, config.style.limit, Vec::new());
    write(
        &fleet,
        config.format,
        config.output_file.as_deref(),
        config.style,
        Some(&prepared.template),
    )?;
    let outcome = exit::outcome(&fleet, config.thresholds);
    left_to_exit(fleet);
    Ok(outcome)
}

/// Writes a fleet report in `format`.
pub(super) fn write(
    fleet: &report::fleet::Fleet,
    format: Format,
    output_file: Option<&str>,
    style: TableStyle,
    template: Option<&Template>,
) -> Result<(), Error> {
    let markdown = report::markdown::MarkdownStyle { limit: style.limit };
    let render = |out: &mut dyn Write| match format {
        Format::Json => {
            tables::with_tables(Entries::Json, || report::json::write_document(fleet, out))
        }
        Format::Yaml => {
            tables::with_tables(Entries::Values, || report::yaml::write_records(fleet, out))
        }
        Format::Sarif => report::sarif::write_fleet(fleet, template, out),
        Format::Html => report::html::write_fleet(fleet, out),
        Format::Markdown => report::markdown::write_fleet(fleet, markdown, out),
        Format::Table | Format::Wide => report::table::write_fleet(fleet, style, out),
    };
    Ok(write_report(output_file, render)?)
}
