//! Reports: the analysis rendered for people (`table`) or machines (`json`).
//! Every format writes to any `impl Write`; writing report files atomically
//! is the caller's job (see `output`).

pub mod answers;
pub mod attack_graph;
mod cells;
pub mod cypher;
pub mod fleet;
pub mod graph_export;
pub mod html;
pub mod json;
pub mod markdown;
pub mod metrics;
pub mod opengraph;
pub mod problems;
mod record_style;
mod records;
pub mod sarif;
pub mod schema;
pub mod table;
pub mod unused;
mod walk;
pub mod yaml;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::findings::nodes::NodesReport;
use crate::findings::pods::PodView;
use crate::findings::workloads::WorkloadView;
use crate::findings::{Finding, RuleEntry, gap_impact};
use crate::selection::{Selection, View};
use crate::snapshot::{Coverage, GapReason, Kind, Snapshot};
use crate::source::Provenance;
use crate::tables;
use crate::template::{Severity, Template};

pub use crate::previous::SCHEMA_VERSION;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Tables for people.
    Table,
    /// Tables with every risk of each row listed.
    Wide,
    /// The JSON document described in the README.
    Json,
    /// The JSON document's fields as YAML.
    Yaml,
    /// The summary and the problems in Markdown, for tickets and pull requests.
    Markdown,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
    /// One self-contained HTML page: summary, filterable findings, hot pods, route diagrams.
    Html,
}

/// What a finding is about, in words: its pod, else its subject, binding
/// or role (`Pod ci/runner-1`, `ServiceAccount ci/deployer`), else its title.
pub(crate) fn about(f: &Finding) -> String {
    if let Some(p) = &f.pod {
        format!("Pod {}/{}", p.namespace, p.name)
    } else if let Some(s) = &f.subject {
        s.to_string()
    } else if let Some(b) = &f.binding {
        b.to_string()
    } else if let Some(r) = &f.role {
        r.to_string()
    } else {
        f.title.to_string()
    }
}

/// What was read, by kind: `15 ClusterRoles, 12 ClusterRoleBindings, …,
/// 6 Namespaces`, and the Secrets when they were listed.
pub(crate) fn objects_read(r: &Report) -> String {
    let o = &r.counts.objects;
    let n = |k: &str| o.get(k).copied().unwrap_or(0);
    let secrets = if r.coverage.not_listed.contains(&Kind::Secret) {
        String::new()
    } else {
        format!(", {} Secrets", n("Secret"))
    };
    format!(
        "{} ClusterRoles, {} ClusterRoleBindings, {} Roles, {} RoleBindings, {} ServiceAccounts, {} Pods, {} Namespaces{secrets}",
        n("ClusterRole"),
        n("ClusterRoleBinding"),
        n("Role"),
        n("RoleBinding"),
        n("ServiceAccount"),
        n("Pod"),
        n("Namespace"),
    )
}

/// What the findings hidden as defaults come from, alone: the Kubernetes
/// bootstrap policy (in every cluster), and the declared platforms' own
/// objects (`--platform`).
pub(crate) fn defaults_source(r: &Report) -> String {
    if r.filters.platforms.is_empty() {
        "the Kubernetes bootstrap policy alone (in every cluster)".into()
    } else {
        format!(
            "the Kubernetes bootstrap policy and the {} defaults alone",
            r.filters.platforms.join(", ")
        )
    }
}

/// Errors of the report layer.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// Writing the report failed (closed pipe, full disk).
    #[error("cannot write the report: {0}")]
    Write(#[from] std::io::Error),
    /// Serialising the JSON report failed.
    #[error("cannot write the JSON report: {0}")]
    Json(#[from] serde_json::Error),
    /// Serialising the YAML report failed.
    #[error("cannot write the YAML report: {0}")]
    Yaml(#[from] serde_saphyr::SerializeError),
}

/// The tool's name and version.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Tool {
    /// Always `rbacscan`.
    pub name: &'static str,
    /// The crate version.
    pub version: &'static str,
}

/// What template was used.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TemplateInfo {
    /// File name, or the built-in template's name.
    pub source: String,
    /// `rbacscan` or `kubiscan`.
    pub format: &'static str,
    /// Number of rules.
    pub rules: usize,
    /// Namespaces treated as privileged.
    pub privileged_namespaces: Vec<String>,
}

/// Finding counts per severity.
#[derive(
    Debug, Clone, Default, Serialize, serde::Deserialize, PartialEq, Eq, schemars::JsonSchema,
)]
#[serde(rename_all = "UPPERCASE")]
pub struct BySeverity {
    /// CRITICAL findings.
    pub critical: usize,
    /// HIGH findings.
    pub high: usize,
    /// MEDIUM findings.
    pub medium: usize,
    /// LOW findings.
    pub low: usize,
}

impl BySeverity {
    /// Adds `other`'s counts to these.
    pub fn merge(&mut self, other: &BySeverity) {
        self.critical += other.critical;
        self.high += other.high;
        self.medium += other.medium;
        self.low += other.low;
    }

    fn add(&mut self, s: Severity) {
        match s {
            Severity::Critical => self.critical += 1,
            Severity::High => self.high += 1,
            Severity::Medium => self.medium += 1,
            Severity::Low => self.low += 1,
        }
    }
}

/// Counts of the scan.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    /// Objects read, by kind.
    pub objects: BTreeMap<&'static str, usize>,
    /// Subjects (users, groups, ServiceAccounts) evaluated.
    pub subjects: usize,
    /// Findings in this report.
    pub findings: usize,
    /// Findings in this report by severity.
    pub by_severity: BySeverity,
    /// The findings counted as problems to fix, by severity (see
    /// [`problems`]).
    #[schemars(
        description = "Distinct problems to fix, by severity: each finding counted once, an identity's findings apart from those its binding or role repeat (see the README)."
    )]
    pub problems: BySeverity,
    /// Findings in this report by code.
    pub by_code: BTreeMap<&'static str, usize>,
    /// Findings left out by the filters.
    pub filtered_out: usize,
    /// Of those, findings of the Kubernetes bootstrap policy alone (shown
    /// with `--include-defaults`).
    pub defaults_hidden: usize,
    /// Pods in this report.
    pub pods: usize,
    /// Hot pods in this report.
    pub hot_pods: usize,
    /// Pods left out by the filters.
    pub pods_filtered_out: usize,
    /// Workloads in this report.
    pub workloads: usize,
    /// Hot workloads in this report.
    pub hot_workloads: usize,
}

/// The filters in effect, echoed in the report.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Filters {
    /// `--namespace` values.
    pub namespaces: Vec<String>,
    /// `--min-severity`.
    pub min_severity: Option<Severity>,
    /// Whether bootstrap-policy findings were left out (the default;
    /// `--include-defaults` keeps them).
    pub exclude_defaults: bool,
    /// A pod is hot when a token it exposes carries findings at or above this.
    pub hot_threshold: Severity,
    /// `pods --node` values.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub nodes: Vec<String>,
    /// `pods --privileged`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub privileged: bool,
    /// The pod view's severity filter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pod_min_severity: Option<Severity>,
    /// `pods --by-workload`: the pods a workload owns are shown in its row.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub by_workload: bool,
    /// Platforms whose own objects were taken as defaults (`--platform`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub platforms: Vec<&'static str>,
}

/// How much of the cluster the report is based on.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CoverageReport {
    /// Whether every kind was read completely. When false, the findings may be
    /// incomplete (see `missing`) and the exit code is 3.
    pub complete: bool,
    /// Kinds read completely.
    pub read: Vec<Kind>,
    /// Kinds that could not be read, why, and what that hides.
    pub missing: Vec<MissingKind>,
    /// Kinds not read at all: not in the input files, or not asked for
    /// (Secrets without `--secret-metadata`). Neither an error nor a
    /// partial scan: the checks that need them were skipped (`skipped`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_listed: Vec<Kind>,
    /// For each kind in `notListed`, what the analysis could not do without it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<SkippedKind>,
}

/// A kind not read, and the checks skipped for want of it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SkippedKind {
    /// The kind.
    pub kind: Kind,
    /// Its API resource (`pods`).
    pub resource: &'static str,
    /// What was skipped or cannot be told.
    pub impact: &'static str,
}

/// A kind the report lacks.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MissingKind {
    /// The kind.
    pub kind: Kind,
    /// Its API resource (`pods`).
    pub resource: &'static str,
    /// `forbidden` or `failed`.
    pub reason: GapReason,
    /// What the server or client said.
    pub message: String,
    /// Which findings may be missing or wrong because of it.
    pub impact: &'static str,
}

impl CoverageReport {
    /// The coverage of a snapshot.
    pub fn of(coverage: &Coverage) -> CoverageReport {
        CoverageReport {
            complete: coverage.is_complete(),
            read: Kind::ALL.into_iter().filter(|k| coverage.has(*k)).collect(),
            missing: coverage
                .gaps
                .iter()
                .map(|g| MissingKind {
                    kind: g.kind,
                    resource: g.kind.resource(),
                    reason: g.reason,
                    message: g.message.clone(),
                    impact: gap_impact(g.kind),
                })
                .collect(),
            not_listed: coverage.not_listed.clone(),
            skipped: coverage
                .not_listed
                .iter()
                .map(|&kind| SkippedKind {
                    kind,
                    resource: kind.resource(),
                    impact: gap_impact(kind),
                })
                .collect(),
        }
    }
}

/// A report as the JSON and YAML formats write it: the report's fields,
/// then the tables of the values that recur in them (see [`tables`]).
/// Write it inside [`tables::with_tables`], as [`json::write`] and
/// [`yaml::write_report`] do.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(
    description = "The report `rbacscan scan -o json` and `rbacscan pods -o json` write: what was read, the findings, the rules their evidence points to, the pods, the workloads and the nodes; then the tables of the values written once and referenced by their position (`texts`, `objects`, `scopes`, `automounts`, `tokens`, `amplifiers`)."
)]
pub struct Document<'r> {
    /// The report's fields.
    #[serde(flatten)]
    pub report: &'r Report,
    /// The tables, gathered while the fields were written.
    #[serde(flatten)]
    #[schemars(with = "Tables")]
    pub tables: tables::Gathered,
}

impl<'r> Document<'r> {
    /// The document of `report`.
    pub fn of(report: &'r Report) -> Document<'r> {
        Document {
            report,
            tables: tables::Gathered,
        }
    }
}

/// The tables at the end of a report's document, for its JSON Schema.
/// A table is left out when it is empty.
#[derive(schemars::JsonSchema)]
#[expect(dead_code, reason = "describes the tables `tables::Gathered` writes")]
pub(crate) struct Tables {
    /// Titles, remediations and grants, referenced by their position.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    texts: Vec<String>,
    /// Subjects, bindings, roles, ServiceAccounts, pods and workloads,
    /// referenced by their position.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    objects: Vec<TableObject>,
    /// Where findings apply, referenced by their position.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    scopes: Vec<crate::findings::FindingScope>,
    /// Automount decisions, referenced by their position.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    automounts: Vec<crate::workloads::tokens::Automount>,
    /// Tokens (whose, how, to which containers, what each is worth),
    /// referenced by their position.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tokens: Vec<crate::findings::pods::TokenView>,
    /// What makes a compromise of a pod worse, referenced by their position.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    amplifiers: Vec<crate::workloads::amplifiers::Amplifier>,
}

/// An entry of `objects`.
#[derive(schemars::JsonSchema)]
#[expect(dead_code, reason = "describes the entries `tables::Gathered` writes")]
struct TableObject {
    /// Its kind: a kind rbacscan reads (`ClusterRole`, `Pod`, ...), a
    /// subject's (`User`, `Group`, `ServiceAccount`), or the kind a pod's
    /// owner reference names (`ReplicaSet`, `Node`, a custom kind).
    kind: String,
    /// Its namespace; absent for cluster-scoped objects, users and groups.
    #[serde(skip_serializing_if = "Option::is_none")]
    namespace: Option<String>,
    /// Its name.
    name: String,
}

/// A complete report, ready for any format.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// [`SCHEMA_VERSION`].
    #[schemars(description = "This schema's version; bumped on any incompatible change.")]
    pub schema_version: u32,
    /// The tool.
    pub tool: Tool,
    /// `scan` (every finding) or `pods` (the pod view).
    pub view: &'static str,
    /// The template.
    pub template: TemplateInfo,
    /// What was read.
    pub inputs: Provenance,
    /// Which kinds were read, and which could not be.
    pub coverage: CoverageReport,
    /// Counts.
    pub counts: Counts,
    /// Filters in effect.
    pub filters: Filters,
    /// What could not be determined.
    pub notes: Vec<String>,
    /// The findings, most severe first.
    #[serde(serialize_with = "records::list")]
    pub findings: Vec<Box<Finding>>,
    /// The role rules the findings' evidence points to (`ruleRef` is a
    /// position in this list).
    #[serde(serialize_with = "records::list")]
    pub rules: Vec<RuleEntry>,
    /// The pods (in the namespaces asked for): tokens, their worth,
    /// amplifiers, and the workload each belongs to.
    #[serde(serialize_with = "records::list")]
    pub pods: Vec<PodView>,
    /// The workloads (in the namespaces asked for): each controller with
    /// its template's tokens, its pods, the nodes it may land on, and
    /// whether Pod Security lets it run.
    #[serde(serialize_with = "records::list")]
    pub workloads: Vec<WorkloadView>,
    /// What each node holds.
    pub nodes: NodesReport,
    /// The comparison with the `--baseline` report, if one was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineReport>,
    /// What the `--exceptions` file did, if one was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exceptions: Option<ExceptionsReport>,
    /// The findings counted as problems to fix (see [`problems`]), worked
    /// out by the first format that lists them ([`Report::problem_list`]).
    #[serde(skip)]
    problem_list: std::sync::OnceLock<Vec<problems::Problem>>,
}

/// What an exceptions file did.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExceptionsReport {
    /// The file's path.
    pub source: String,
    /// The findings suppressed (before the other filters), each with its
    /// exception. They are not in `findings` and do not count for `--fail-on`.
    pub suppressed: Vec<crate::exceptions::Suppressed>,
    /// Exceptions past their date: they suppressed nothing.
    pub expired: Vec<crate::exceptions::Expired>,
}

/// How this report compares with a baseline report.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BaselineReport {
    /// The baseline's path.
    pub source: String,
    /// Findings shown that the baseline did not have.
    pub new: usize,
    /// Findings shown that the baseline had too.
    pub unchanged: usize,
    /// The baseline's findings this run no longer finds (before filters).
    pub resolved: Vec<crate::previous::Previous>,
}

impl Report {
    /// The findings counted as problems to fix (see [`problems`]), most
    /// severe first: worked out from the findings the first time they are
    /// asked for (the formats for people list them; JSON only counts them).
    pub fn problem_list(&self) -> &[problems::Problem] {
        self.problem_list
            .get_or_init(|| problems::problems(&self.findings))
    }

    /// Assembles a report from the selected part of an analysis.
    pub fn new(
        snapshot: &Snapshot,
        provenance: Provenance,
        template: &Template,
        selection: Selection,
    ) -> Report {
        let Selection {
            analysis,
            findings,
            rules,
            pods,
            workloads,
            nodes,
            findings_total: total,
            defaults_hidden,
            pods_total: all_pods,
            filter,
            view,
        } = selection;
        let pod_filter = match &view {
            View::Pods(f) => Some(f),
            View::Scan => None,
        };
        let mut by_severity = BySeverity::default();
        let mut by_code = BTreeMap::new();
        for f in &findings {
            by_severity.add(f.severity);
            *by_code.entry(f.code.as_str()).or_default() += 1;
        }
        let objects = Kind::ALL
            .into_iter()
            .map(|k| (k.as_str(), snapshot.count(k)))
            .collect();
        Report {
            schema_version: SCHEMA_VERSION,
            tool: Tool {
                name: "rbacscan",
                version: env!("CARGO_PKG_VERSION"),
            },
            view: if pod_filter.is_some() { "pods" } else { "scan" },
            template: TemplateInfo {
                source: template.source.clone(),
                format: template.format,
                rules: template.rules.len(),
                privileged_namespaces: analysis.privileged_namespaces.into_iter().collect(),
            },
            inputs: provenance,
            coverage: CoverageReport::of(&snapshot.coverage),
            counts: Counts {
                objects,
                subjects: analysis.subjects_evaluated,
                findings: findings.len(),
                by_severity,
                problems: problems::severities(&findings),
                by_code,
                filtered_out: total - findings.len(),
                defaults_hidden,
                pods: pods.len(),
                hot_pods: pods.iter().filter(|p| p.hot).count(),
                pods_filtered_out: all_pods - pods.len(),
                workloads: workloads.len(),
                hot_workloads: workloads.iter().filter(|w| w.hot).count(),
            },
            filters: Filters {
                namespaces: filter.namespaces.clone(),
                min_severity: filter.min_severity,
                exclude_defaults: !filter.include_defaults,
                hot_threshold: analysis.hot_threshold,
                nodes: pod_filter.map(|f| f.nodes.clone()).unwrap_or_default(),
                privileged: pod_filter.is_some_and(|f| f.privileged),
                pod_min_severity: pod_filter.and_then(|f| f.min_severity),
                by_workload: pod_filter.is_some_and(|f| f.by_workload),
                platforms: Vec::new(),
            },
            notes: analysis.notes,
            findings,
            rules,
            pods,
            workloads,
            nodes,
            baseline: None,
            exceptions: None,
            problem_list: std::sync::OnceLock::new(),
        }
    }

    /// Names the platforms whose own objects were taken as defaults.
    pub fn with_platforms(mut self, platforms: &[crate::rbac::platforms::Platform]) -> Report {
        self.filters.platforms = platforms.iter().map(|p| p.defaults().name).collect();
        self
    }

    /// Adds what an exceptions file suppressed and which of its
    /// exceptions are past their date.
    pub fn with_exceptions(mut self, exceptions: ExceptionsReport) -> Report {
        self.exceptions = Some(exceptions);
        self
    }

    /// Adds the comparison with a baseline: the findings are marked
    /// already (see [`crate::baseline`]); `resolved` are those gone.
    pub fn with_baseline(
        mut self,
        source: &str,
        resolved: Vec<crate::previous::Previous>,
    ) -> Report {
        use crate::findings::BaselineStatus as Status;
        let count = |s: Status| {
            self.findings
                .iter()
                .filter(|f| f.baseline == Some(s))
                .count()
        };
        self.baseline = Some(BaselineReport {
            source: source.into(),
            new: count(Status::New),
            unchanged: count(Status::Unchanged),
            resolved,
        });
        self
    }

    /// The highest severity among the report's findings new since the baseline.
    pub fn highest_new(&self) -> Option<Severity> {
        (self.findings.iter())
            .filter(|f| f.baseline == Some(crate::findings::BaselineStatus::New))
            .map(|f| f.severity)
            .max()
    }

    /// Whether the report rests on a partial snapshot.
    pub fn is_partial(&self) -> bool {
        !self.coverage.complete
    }

    /// The highest severity among the report's findings.
    pub fn highest(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }
}
