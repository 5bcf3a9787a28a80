//! `unused`: reads the audit logs and the cluster, attributes each
//! counted request to its grant, and writes what each subject used and
//! never used, with its proposal; `--proposal-dir` writes each proposal as
//! a file `kubectl apply` takes. Nothing is ever written to the cluster.

use std::collections::BTreeMap;
use std::path::Path;

use super::{exit, left_to_exit, load};
use crate::config::{Thresholds, UnusedConfig};
use crate::error::{Error, Outcome};
use crate::output::{Destination, write_file, write_report};
use crate::progress::ByteProgress;
use crate::rbac::Rbac;
use crate::report::unused::{LogSummary, Position, UnusedReport, Window, write, write_proposal};
use crate::source::Loaded;
use crate::template::Template;
use crate::usage::{Observed, analyse};

/// Runs `unused`. A partial snapshot exits with [`Outcome::Partial`].
pub fn run(config: UnusedConfig) -> Result<Outcome, Error> {
    let template = match &config.template {
        Some(path) => Template::load(path)?,
        None => Template::builtin(),
    };
    // The logs first: a file that is not a log stops the run before the
    // cluster is read.
    let total: u64 = (config.audit_logs.iter()).map(|p| size_of(p)).sum();
    let bar = ByteProgress::start(config.progress_bar, total, "reading the audit log");
    let usage = crate::source::audit::read_audit_logs(&config.audit_logs, &|read| bar.set(read));
    bar.finish();
    let usage = usage?;
    let Loaded { snapshot, .. } = load(&config.source)?;
    let rbac = Rbac::resolve(&snapshot);
    let observed: Vec<Observed<'_>> = usage.used().collect();
    let analysis = analyse(
        &rbac,
        &template,
        &observed,
        usage.reads_seen(),
        config.options,
    );
    let log = LogSummary {
        files: config
            .audit_logs
            .iter()
            .map(|p| p.display().to_string())
            .collect(),
        window: usage.window().map(|w| Window {
            from: w.first,
            to: w.last,
        }),
        events_read: usage.events_read(),
        requests_counted: usage.requests_counted(),
        skipped: (usage.skipped().iter())
            .map(|(why, n)| (why.as_str().to_string(), *n))
            .collect::<BTreeMap<_, _>>(),
        unparseable: (usage.unparseable().iter())
            .map(|u| Position {
                file: u.file.clone(),
                line: u.line,
                problem: u.problem.as_str().to_string(),
            })
            .collect(),
        not_logs: usage.not_logs().to_vec(),
    };
    let report = UnusedReport::new(&log, &analysis);
    if let Some(dir) = &config.proposal_dir {
        write_proposals(dir, &analysis)?;
    }
    write_report(config.output_file.as_deref(), |out| {
        write(&report, config.format, config.style, out)
    })?;
    let outcome = exit::outcome(&snapshot.coverage, Thresholds::default());
    left_to_exit((analysis, observed));
    left_to_exit(usage);
    Ok(outcome)
}

/// The size of a log file, or of the files under a directory (for the
/// progress bar; 0 where it cannot be read, which reading then reports).
fn size_of(path: &Path) -> u64 {
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => std::fs::read_dir(path)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| size_of(&e.path()))
            .sum(),
        Ok(m) => m.len(),
        Err(_) => 0,
    }
}

/// Writes each subject's proposal to `dir/NAME.yaml` (each file atomically).
fn write_proposals(dir: &Path, analysis: &crate::usage::Analysis) -> Result<(), Error> {
    std::fs::create_dir_all(dir).map_err(|source| Error::ProposalFile {
        path: dir.display().to_string(),
        source,
    })?;
    for s in &analysis.subjects {
        if s.proposal.is_empty() && s.bindings.is_empty() {
            continue;
        }
        let name = crate::usage::proposal::object_name(&s.subject);
        let path = dir.join(format!("{name}.yaml"));
        write_file(&path.display().to_string(), Destination::Proposal, |out| {
            write_proposal(s, out)
        })?;
    }
    Ok(())
}
