//! `rbacscan merge`: the reports of many clusters, each from its own scan
//! (a nightly CronJob per cluster), as one fleet view: each cluster's
//! counts and status, the worst findings across them, and which reports
//! are partial or stale. Pure: the caller reads the files and gives the
//! time.
//!
//! A report is known by its cluster (server and context, as the scan
//! recorded them): of two reports of one cluster the newer is kept and the
//! older is named in a note. A report is stale when its lists were read
//! longer ago than `--stale-after`; a report of files tells no collection
//! time, so its age is unknown (a note says so) and it is not called stale.

use std::collections::HashMap;
use std::time::Duration;

use serde::Deserialize;

use crate::previous::{self, Previous, PreviousError, Purpose, WrittenFinding};
use crate::report::BySeverity;
use crate::report::fleet::{Fleet, Member, MemberCounts, MemberStatus, WorstFinding};
use crate::source::ClusterInfo;

/// `--stale-after` default: a nightly report a day and a half old has
/// missed a night.
pub const DEFAULT_STALE_AFTER: Duration = Duration::from_secs(36 * 3600);

/// What `merge` reads of a report; everything else is ignored.
#[derive(Debug)]
struct ReportFile {
    inputs: Inputs,
    coverage: CoverageFile,
    counts: CountsFile,
    findings: Vec<Previous>,
}

/// [`ReportFile`] as the report writes it: its findings refer to its tables.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WrittenFile {
    inputs: Inputs,
    coverage: CoverageFile,
    counts: CountsFile,
    #[serde(default)]
    findings: Vec<WrittenFinding>,
    #[serde(default)]
    texts: Vec<String>,
    #[serde(default)]
    objects: Vec<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Inputs {
    #[serde(default)]
    cluster: Option<ClusterInfo>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CoverageFile {
    complete: bool,
    #[serde(default)]
    missing: Vec<MissingFile>,
}

#[derive(Debug, Deserialize)]
struct MissingFile {
    resource: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CountsFile {
    findings: usize,
    by_severity: BySeverity,
    problems: BySeverity,
    hot_pods: usize,
    #[serde(default)]
    defaults_hidden: usize,
}

/// One member's report, read: what `merge` takes in for one cluster of the
/// fleet.
#[derive(Debug)]
pub struct MemberReport {
    path: String,
    report: ReportFile,
}

impl MemberReport {
    /// Reads the text of a JSON report (`path` names it in errors). The
    /// version and the kind of document are checked before the rest.
    pub fn parse(path: &str, text: &str) -> Result<MemberReport, PreviousError> {
        previous::check(path, text, Purpose::Merge)?;
        let written: WrittenFile = previous::parse(path, text)?;
        let report = ReportFile {
            findings: previous::resolve(path, written.findings, &written.texts, &written.objects)?,
            inputs: written.inputs,
            coverage: written.coverage,
            counts: written.counts,
        };
        Ok(MemberReport {
            path: path.into(),
            report,
        })
    }

    /// The cluster's name in the fleet: its context, else its server, else
    /// the file's name.
    fn name(&self) -> String {
        match &self.report.inputs.cluster {
            Some(c) => c.context.clone().unwrap_or_else(|| c.server.clone()),
            None => std::path::Path::new(&self.path)
                .file_name()
                .map_or_else(|| self.path.clone(), |n| n.to_string_lossy().into_owned()),
        }
    }

    /// When its lists were read, when it says.
    fn collected_at(&self) -> Option<jiff::Timestamp> {
        let cluster = self.report.inputs.cluster.as_ref()?;
        cluster.collected_at.as_deref()?.parse().ok()
    }
}

/// How `merge` judges and cuts the fleet.
#[derive(Debug, Clone, Copy)]
pub struct MergeOptions {
    /// Now, for the reports' age.
    pub now: jiff::Timestamp,
    /// A report older than this is stale.
    pub stale_after: Duration,
    /// At most this many worst findings; `None` for all.
    pub limit: Option<usize>,
}

/// The fleet of `reports`, in the order given, but that of two reports of
/// one cluster only the newer is kept.
pub fn merge(reports: Vec<MemberReport>, options: MergeOptions) -> Fleet {
    let mut notes = Vec::new();
    // One report per cluster: the newer (or, at equal times, the later given).
    let mut kept: Vec<Option<MemberReport>> = Vec::new();
    let mut by_cluster: HashMap<(String, Option<String>), usize> = HashMap::new();
    let mut given = std::collections::HashSet::new();
    for r in reports {
        // The same file given twice (a glob and a name) is read once.
        if !given.insert(r.path.clone()) {
            continue;
        }
        let Some(c) = &r.report.inputs.cluster else {
            kept.push(Some(r));
            continue;
        };
        let key = (c.server.clone(), c.context.clone());
        match by_cluster.get(&key) {
            Some(&i) => {
                let Some(earlier) = kept[i].take() else {
                    continue;
                };
                let (newer, older) = if r.collected_at() >= earlier.collected_at() {
                    (r, earlier)
                } else {
                    (earlier, r)
                };
                notes.push(format!(
                    "{} is an older report of cluster {} than {}: left out",
                    older.path,
                    newer.name(),
                    newer.path
                ));
                kept[i] = Some(newer);
            }
            None => {
                by_cluster.insert(key, kept.len());
                kept.push(Some(r));
            }
        }
    }
    let mut members = Vec::new();
    let mut worst = Vec::new();
    let mut undated = Vec::new();
    let kept: Vec<MemberReport> = kept.into_iter().flatten().collect();
    // Two clusters by one name (one context name in two kubeconfigs, or
    // two scans of files named alike) are told apart by their reports.
    let mut names: Vec<String> = kept.iter().map(MemberReport::name).collect();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for n in &names {
        *seen.entry(n.clone()).or_default() += 1;
    }
    for (n, r) in names.iter_mut().zip(&kept) {
        if seen[n.as_str()] > 1 {
            *n = format!("{n} ({})", r.path);
        }
    }
    for (r, name) in kept.into_iter().zip(names) {
        let stale = match r.collected_at() {
            Some(at) => {
                let age = options.now.duration_since(at);
                age > jiff::SignedDuration::try_from(options.stale_after)
                    .unwrap_or(jiff::SignedDuration::MAX)
            }
            None => {
                undated.push(r.path.clone());
                false
            }
        };
        let file = r.report;
        worst.extend(file.findings.iter().map(|f| WorstFinding {
            cluster: name.clone(),
            severity: f.severity,
            code: f.code.clone(),
            rule: f.rule.clone(),
            about: f.about(),
            title: f.title.clone(),
            fingerprint: f.fingerprint.clone(),
        }));
        let missing: Vec<&str> = (file.coverage.missing.iter())
            .map(|m| m.resource.as_str())
            .collect();
        members.push(Member {
            name,
            source: r.path,
            status: if file.coverage.complete {
                MemberStatus::Complete
            } else {
                MemberStatus::Partial
            },
            error: (!missing.is_empty()).then(|| format!("could not read {}", missing.join(", "))),
            cluster: file.inputs.cluster,
            stale,
            highest: file.findings.iter().map(|f| f.severity).max(),
            counts: Some(MemberCounts {
                findings: file.counts.findings,
                by_severity: file.counts.by_severity,
                problems: file.counts.problems,
                hot_pods: file.counts.hot_pods,
                defaults_hidden: file.counts.defaults_hidden,
            }),
            report: None,
        });
    }
    if !undated.is_empty() {
        notes.push(format!(
            "age unknown, so never called stale (a scan of files records no collection time): {}",
            undated.join(", ")
        ));
    }
    Fleet::new("merge", members, worst, options.limit, notes)
}
