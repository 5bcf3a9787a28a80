//! What a scan reads before it lists anything (the template, the
//! baseline, the exceptions), and how it turns one snapshot into a report
//! with them: shared by a scan of one cluster and of several.

use super::warn::{Warning, warn};
use crate::baseline::Baseline;
use crate::config::ScanConfig;
use crate::error::Error;
use crate::findings::{self, AnalysisOptions};
use crate::previous::{PreviousError, Purpose};
use crate::report::{self, Report};
use crate::selection;
use crate::source;
use crate::template::Template;

/// What a scan needs before it lists anything: the template, the
/// baseline and the exceptions, each read and checked first, so that a bad
/// file fails before a long collection does.
pub(super) struct Prepared {
    /// The `--template`, or the built-in one.
    pub(super) template: Template,
    /// The `--operators` catalog, or the built-in one.
    operators: crate::operators::Catalog,
    /// The `--baseline` report, if one was read.
    baseline: Option<Baseline>,
    /// The `--exceptions` file, if one was given.
    exceptions: Option<crate::exceptions::Exceptions>,
}

impl Prepared {
    /// Reads and checks the template, the baseline and the exceptions.
    pub(super) fn load(config: &ScanConfig) -> Result<Prepared, Error> {
        let template = match &config.template {
            Some(path) => Template::load(path)?,
            None => Template::builtin(),
        };
        let operators = match &config.operators {
            Some(path) => crate::operators::Catalog::load(path)?,
            None => crate::operators::Catalog::builtin(),
        };
        let baseline = match &config.baseline {
            Some(path) => match std::fs::read_to_string(path) {
                Ok(text) => Some(Baseline::parse(path, &text)?),
                Err(e) if config.baseline_optional && e.kind() == std::io::ErrorKind::NotFound => {
                    warn(config.source.progress.quiet, Warning::NoBaseline { path });
                    None
                }
                Err(source) => {
                    return Err(PreviousError::Read {
                        path: path.clone(),
                        purpose: Purpose::Baseline,
                        source,
                    }
                    .into());
                }
            },
            None => None,
        };
        // An exceptions file is applied whole or not at all.
        let exceptions = match &config.exceptions {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| {
                    crate::exceptions::ExceptionsError::Read {
                        path: path.clone(),
                        source,
                    }
                })?;
                Some(crate::exceptions::Exceptions::parse(path, &text)?)
            }
            None => None,
        };
        Ok(Prepared {
            template,
            operators,
            baseline,
            exceptions,
        })
    }

    /// The report of one snapshot: analysis (which takes the pods'
    /// workloads: see [`findings::analyze`]), baseline, exceptions, filters.
    pub(super) fn report(
        &self,
        snapshot: &mut crate::snapshot::Snapshot,
        provenance: source::Provenance,
        config: &ScanConfig,
    ) -> Report {
        let mut analysis = findings::analyze(
            snapshot,
            &self.template,
            &AnalysisOptions {
                extra_privileged_namespaces: config.privileged_namespaces.clone(),
                hot_threshold: config.hot_threshold,
                platforms: config.platforms.clone(),
                operators: self.operators.clone(),
            },
        );
        let resolved = (self.baseline.as_ref()).map(|b| b.compare(&mut analysis.findings));
        let excepted = self.exceptions.as_ref().map(|e| {
            let today = jiff::Timestamp::now()
                .to_zoned(jiff::tz::TimeZone::UTC)
                .date();
            let (suppressed, expired) = e.apply(&mut analysis.findings, today);
            report::ExceptionsReport {
                source: e.source.clone(),
                suppressed,
                expired,
            }
        });
        let selection = selection::select(analysis, &config.filter, &config.view);
        let mut report = Report::new(snapshot, provenance, &self.template, selection)
            .with_platforms(&config.platforms);
        if let (Some(b), Some(resolved)) = (&self.baseline, resolved) {
            report = report.with_baseline(&b.source, resolved);
        }
        if let Some(e) = excepted {
            report = report.with_exceptions(e);
        }
        report
    }

    /// Warns of the exceptions past their date (once per run).
    pub(super) fn warn_expired(&self, report: &Report, config: &ScanConfig) {
        let Some(e) = &report.exceptions else { return };
        for expired in &e.expired {
            let expired = Warning::ExceptionExpired {
                file: &e.source,
                expired,
            };
            warn(config.source.progress.quiet, expired);
        }
    }
}
