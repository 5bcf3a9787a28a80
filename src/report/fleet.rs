//! A fleet: many clusters in one report. `scan --context A --context B`
//! (or `--all-contexts`) gives each cluster's whole report as a member;
//! `merge` gives what collected reports say of each cluster. Either way the
//! fleet counts members by status, adds up their findings, and lists the
//! worst findings across clusters. A cluster that could not be scanned is a
//! member too, with its error: it is never dropped from the view.

use serde::Serialize;

use super::{BySeverity, Report, SCHEMA_VERSION, Tool};
use crate::source::ClusterInfo;
use crate::template::Severity;

/// How complete a member's part of the fleet is. Stable kebab-case in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum MemberStatus {
    /// Every kind was read.
    Complete,
    /// Some kinds could not be read: its findings may be incomplete.
    Partial,
    /// The cluster could not be scanned at all (unreachable, credentials
    /// rejected, unknown context).
    Failed,
}

impl MemberStatus {
    /// The status as JSON and the tables write it.
    pub fn as_str(self) -> &'static str {
        match self {
            MemberStatus::Complete => "complete",
            MemberStatus::Partial => "partial",
            MemberStatus::Failed => "failed",
        }
    }
}

/// What a member's report counts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MemberCounts {
    /// Findings in its report.
    pub findings: usize,
    /// Findings by severity.
    pub by_severity: BySeverity,
    /// Distinct problems to fix, by severity.
    pub problems: BySeverity,
    /// Hot pods.
    pub hot_pods: usize,
    /// Findings of the Kubernetes bootstrap policy alone, not listed.
    pub defaults_hidden: usize,
}

/// One cluster of the fleet.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Member {
    /// The cluster's name in this fleet: its kubeconfig context, else its
    /// server, else the report file's name.
    pub name: String,
    /// Where its part comes from: `context NAME`, or a report file.
    pub source: String,
    /// Complete, partial or failed.
    pub status: MemberStatus,
    /// Why it failed, or which kinds a partial scan lacks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The cluster: server, context, version, when its lists were read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<ClusterInfo>,
    /// Whether its report is older than `--stale-after` (merge only), or
    /// tells no collection time to judge by.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub stale: bool,
    /// What its report counts; absent when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counts: Option<MemberCounts>,
    /// Its most severe finding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub highest: Option<Severity>,
    /// Its whole report (a scan of several contexts; `merge` keeps only
    /// the counts and the worst findings).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<Box<Report>>,
}

impl Member {
    /// A cluster that was scanned: its report, kept whole when `keep`.
    pub fn scanned(name: String, source: String, report: Report) -> (Member, Vec<WorstFinding>) {
        let worst = report
            .findings
            .iter()
            .map(|f| WorstFinding {
                cluster: name.clone(),
                severity: f.severity,
                code: f.code.as_str().to_string(),
                rule: f.rule.clone(),
                about: super::about(f),
                title: f.title.to_string(),
                fingerprint: f.fingerprint.clone(),
            })
            .collect();
        let member = Member {
            status: if report.is_partial() {
                MemberStatus::Partial
            } else {
                MemberStatus::Complete
            },
            error: missing(&report),
            cluster: report.inputs.cluster.clone(),
            stale: false,
            counts: Some(MemberCounts {
                findings: report.counts.findings,
                by_severity: report.counts.by_severity.clone(),
                problems: report.counts.problems.clone(),
                hot_pods: report.counts.hot_pods,
                defaults_hidden: report.counts.defaults_hidden,
            }),
            highest: report.highest(),
            name,
            source,
            report: Some(Box::new(report)),
        };
        (member, worst)
    }

    /// A cluster that could not be scanned, and why.
    pub fn failed(name: String, source: String, error: String) -> Member {
        Member {
            name,
            source,
            status: MemberStatus::Failed,
            error: Some(error),
            cluster: None,
            stale: false,
            counts: None,
            highest: None,
            report: None,
        }
    }
}

/// A member as one row of the clusters' table, in words, for every format
/// (each escapes them its own way).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRow {
    /// `complete`, `partial` or `failed`, with `, stale` when it is.
    pub status: String,
    /// Problems to fix by severity (CRITICAL, HIGH, MEDIUM, LOW), then hot
    /// pods; `-` for a cluster that failed.
    pub counts: [String; 5],
    /// The server and its version, when its lists were read, the report
    /// file (merge), and why it failed or what a partial report lacks.
    pub detail: Vec<String>,
}

impl Member {
    /// The member's row of the clusters' table.
    pub fn row(&self) -> MemberRow {
        let n = |f: fn(&MemberCounts) -> usize| {
            self.counts
                .as_ref()
                .map_or_else(|| "-".to_string(), |c| f(c).to_string())
        };
        let mut detail = Vec::new();
        if let Some(c) = &self.cluster {
            detail.push(match &c.version {
                Some(v) => format!("{} ({v})", c.server),
                None => c.server.clone(),
            });
            if let Some(at) = &c.collected_at {
                detail.push(format!("listed {at}"));
            }
        }
        if self.source != format!("context {}", self.name) {
            detail.push(self.source.clone());
        }
        if let Some(e) = &self.error {
            let label = match self.status {
                MemberStatus::Failed => "error",
                _ => "missing",
            };
            detail.push(format!("{label}: {e}"));
        }
        MemberRow {
            status: match self.stale {
                true => format!("{}, stale", self.status.as_str()),
                false => self.status.as_str().to_string(),
            },
            counts: [
                n(|c| c.problems.critical),
                n(|c| c.problems.high),
                n(|c| c.problems.medium),
                n(|c| c.problems.low),
                n(|c| c.hot_pods),
            ],
            detail,
        }
    }
}

/// `could not read pods, secrets` for a partial report.
fn missing(report: &Report) -> Option<String> {
    let kinds: Vec<&str> = (report.coverage.missing.iter())
        .map(|m| m.resource)
        .collect();
    (!kinds.is_empty()).then(|| format!("could not read {}", kinds.join(", ")))
}

/// A finding of one member, for the list of the worst across the fleet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorstFinding {
    /// The member's name.
    pub cluster: String,
    /// How bad it is.
    pub severity: Severity,
    /// The finding's code.
    pub code: String,
    /// Its template rule, for risk findings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// What it is about (`ServiceAccount ci/deployer`).
    pub about: String,
    /// Its title.
    pub title: String,
    /// Its fingerprint in the member's report.
    pub fingerprint: String,
}

/// The fleet's counts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FleetCounts {
    /// Members.
    pub clusters: usize,
    /// Members read completely.
    pub complete: usize,
    /// Members whose report is partial.
    pub partial: usize,
    /// Members that could not be scanned.
    pub failed: usize,
    /// Members whose report is stale (merge).
    pub stale: usize,
    /// Findings of every member.
    pub findings: usize,
    /// Findings of every member, by severity.
    pub by_severity: BySeverity,
    /// Problems of every member, by severity.
    pub problems: BySeverity,
    /// Hot pods of every member.
    pub hot_pods: usize,
}

/// A report of many clusters.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Fleet {
    /// The schema version of the reports ([`SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// Always `fleet`: tells this document from a one-cluster report.
    #[schemars(with = "String")]
    pub kind: &'static str,
    /// The tool.
    pub tool: Tool,
    /// `scan` (the clusters scanned now) or `merge` (collected reports).
    #[schemars(with = "String")]
    pub command: &'static str,
    /// Counts over the members.
    pub counts: FleetCounts,
    /// The members, in the order given.
    pub clusters: Vec<Member>,
    /// The most severe findings across the members, most severe first (at
    /// most `--limit` unless `--all`); `worstTotal` says how many there are.
    pub worst: Vec<WorstFinding>,
    /// Findings across the members, all of which `worst` would list with `--all`.
    pub worst_total: usize,
    /// What the reader should know (reports left out as superseded, ...).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Every finding of the members without a whole report (merge), for
    /// the formats that list them all (SARIF). Not in JSON: each member's
    /// own report has them.
    #[serde(skip)]
    #[schemars(skip)]
    pub collected: Vec<WorstFinding>,
    /// The tables of the values the members' reports write once (see
    /// [`super::Document`]), gathered while the fleet is written.
    #[serde(flatten)]
    #[schemars(with = "super::Tables")]
    pub tables: crate::tables::Gathered,
}

impl Fleet {
    /// The fleet of `members`, whose findings are `findings`; `worst`
    /// keeps the `limit` most severe (all with `None`). Findings of equal
    /// severity keep their members' order and each report's own order.
    pub fn new(
        command: &'static str,
        members: Vec<Member>,
        findings: Vec<WorstFinding>,
        limit: Option<usize>,
        notes: Vec<String>,
    ) -> Fleet {
        let mut counts = FleetCounts {
            clusters: members.len(),
            ..FleetCounts::default()
        };
        for m in &members {
            match m.status {
                MemberStatus::Complete => counts.complete += 1,
                MemberStatus::Partial => counts.partial += 1,
                MemberStatus::Failed => counts.failed += 1,
            }
            counts.stale += usize::from(m.stale);
            if let Some(c) = &m.counts {
                counts.findings += c.findings;
                counts.by_severity.merge(&c.by_severity);
                counts.problems.merge(&c.problems);
                counts.hot_pods += c.hot_pods;
            }
        }
        // Most severe first; among equals, each cluster's first before any
        // cluster's second, so that one big cluster does not fill the list.
        let mut seen: std::collections::HashMap<(&str, Severity), usize> =
            std::collections::HashMap::new();
        let ranks: Vec<usize> = (findings.iter())
            .map(|f| {
                let n = seen.entry((f.cluster.as_str(), f.severity)).or_default();
                *n += 1;
                *n
            })
            .collect();
        let mut order: Vec<usize> = (0..findings.len()).collect();
        order.sort_by_key(|&i| (std::cmp::Reverse(findings[i].severity), ranks[i]));
        let mut slots: Vec<Option<WorstFinding>> = findings.into_iter().map(Some).collect();
        let mut findings: Vec<WorstFinding> =
            order.into_iter().filter_map(|i| slots[i].take()).collect();
        let whole: std::collections::HashSet<&str> = (members.iter())
            .filter(|m| m.report.is_some())
            .map(|m| m.name.as_str())
            .collect();
        let collected: Vec<WorstFinding> = (findings.iter())
            .filter(|f| !whole.contains(f.cluster.as_str()))
            .cloned()
            .collect();
        let worst_total = findings.len();
        findings.truncate(limit.unwrap_or(usize::MAX));
        Fleet {
            schema_version: SCHEMA_VERSION,
            kind: "fleet",
            tool: Tool {
                name: "rbacscan",
                version: env!("CARGO_PKG_VERSION"),
            },
            command,
            counts,
            clusters: members,
            worst: findings,
            worst_total,
            notes,
            collected,
            tables: crate::tables::Gathered,
        }
    }

    /// `2 clusters (1 complete, 0 partial, 1 failed, 0 stale), scanned
    /// with rbacscan 0.1.0`: the fleet in one line.
    pub fn describe(&self) -> String {
        let c = &self.counts;
        format!(
            "{} ({} complete, {} partial, {} failed, {} stale), {} with rbacscan {}",
            crate::words::count(c.clusters, "cluster"),
            c.complete,
            c.partial,
            c.failed,
            c.stale,
            match self.command {
                "merge" => "merged from their reports",
                _ => "scanned",
            },
            self.tool.version,
        )
    }

    /// Whether any member failed, is partial or stale: the fleet view is
    /// incomplete (exit code 3).
    pub fn is_incomplete(&self) -> bool {
        self.incomplete() > 0
    }

    /// How many members failed, are partial or are stale.
    pub fn incomplete(&self) -> usize {
        (self.clusters.iter())
            .filter(|m| m.stale || m.status != MemberStatus::Complete)
            .count()
    }

    /// The most severe finding of any member.
    pub fn highest(&self) -> Option<Severity> {
        self.clusters.iter().filter_map(|m| m.highest).max()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(cluster: &str, severity: Severity, title: &str) -> WorstFinding {
        WorstFinding {
            cluster: cluster.into(),
            severity,
            code: "risky-subject".into(),
            rule: None,
            about: "User alice".into(),
            title: title.into(),
            fingerprint: title.into(),
        }
    }

    #[test]
    fn counts_add_up_and_the_worst_come_first_in_a_stable_order() {
        let failed = Member::failed("b".into(), "context b".into(), "unreachable".into());
        let mut partial = Member::failed("c".into(), "c.json".into(), String::new());
        partial.status = MemberStatus::Partial;
        partial.stale = true;
        partial.highest = Some(Severity::Medium);
        partial.counts = Some(MemberCounts {
            findings: 3,
            hot_pods: 1,
            ..MemberCounts::default()
        });
        let findings = vec![
            finding("a", Severity::Low, "a1"),
            finding("a", Severity::Critical, "a2"),
            finding("a", Severity::Critical, "a3"),
            finding("c", Severity::Critical, "c1"),
            finding("c", Severity::High, "c2"),
        ];
        let fleet = Fleet::new("merge", vec![failed, partial], findings, Some(4), vec![]);
        assert_eq!(fleet.counts.clusters, 2);
        assert_eq!(
            (
                fleet.counts.failed,
                fleet.counts.partial,
                fleet.counts.stale
            ),
            (1, 1, 1)
        );
        assert_eq!((fleet.counts.findings, fleet.counts.hot_pods), (3, 1));
        let titles: Vec<&str> = fleet.worst.iter().map(|w| w.title.as_str()).collect();
        // Each cluster's first critical before any cluster's second.
        assert_eq!(titles, ["a2", "c1", "a3", "c2"]);
        assert_eq!(fleet.worst_total, 5);
        assert_eq!(fleet.incomplete(), 2);
        assert!(fleet.is_incomplete());
        assert_eq!(fleet.highest(), Some(Severity::Medium));
    }
}
