//! `merge`: the JSON reports of many clusters read, checked and merged
//! into one fleet report.

use super::warn::{Warning, warn};
use super::{exit, fleet};
use crate::config::MergeConfig;
use crate::error::{Error, Outcome};
use crate::previous::{PreviousError, Purpose};

/// Runs `merge`: every report is read and checked before anything is
/// written; one that cannot be is an error naming it (exit 2).
pub fn run(config: &MergeConfig) -> Result<Outcome, Error> {
    use crate::merge::{self, MemberReport, MergeOptions};
    let mut reports = Vec::new();
    let mut read = std::collections::HashSet::new();
    for path in &config.reports {
        // One file named twice (`reports/*.json reports/prod.json`) is one report.
        if let Ok(file) = std::fs::canonicalize(path)
            && !read.insert(file)
        {
            continue;
        }
        let text = std::fs::read_to_string(path).map_err(|source| PreviousError::Read {
            path: path.clone(),
            purpose: Purpose::Merge,
            source,
        })?;
        reports.push(MemberReport::parse(path, &text)?);
    }
    let fleet = merge::merge(
        reports,
        MergeOptions {
            now: jiff::Timestamp::now(),
            stale_after: config.stale_after,
            limit: config.style.limit,
        },
    );
    for m in &fleet.clusters {
        if m.stale || m.error.is_some() {
            let incomplete = Warning::ClusterIncomplete {
                name: &m.name,
                source: &m.source,
                stale: m.stale,
                partial: m.error.as_deref(),
            };
            warn(config.quiet, incomplete);
        }
    }
    fleet::write(
        &fleet,
        config.format,
        config.output_file.as_deref(),
        config.style,
        None,
    )?;
    Ok(exit::outcome(&fleet, config.thresholds))
}
