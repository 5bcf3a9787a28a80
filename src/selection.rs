//! Which findings and pods a report shows: the filters of the command line
//! (`-n`, `--min-severity`, `--include-defaults`, and the pod view's
//! `--node`, `--privileged`), applied to a finished analysis as their own
//! step. Filters choose what is shown; they never change what the analysis
//! finds. Pure: no I/O.

use crate::findings::nodes::NodesReport;
use crate::findings::pods::PodView;
use crate::findings::workloads::WorkloadView;
use crate::findings::{Analysis, Code, Finding, RuleEntry, renumber_rules};
use crate::snapshot::Snapshot;
use crate::template::Severity;

/// Which findings a report shows.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Keep findings that apply in any of these namespaces: a pod's
    /// findings in its namespace, grants where they grant (cluster-wide ones
    /// everywhere); empty keeps all.
    pub namespaces: Vec<String>,
    /// Drop findings below this severity.
    pub min_severity: Option<Severity>,
    /// Keep findings that involve only bootstrap-policy objects (left out
    /// by default).
    pub include_defaults: bool,
}

impl Filter {
    /// Whether a finding passes the filter.
    pub fn keeps(&self, f: &Finding) -> bool {
        if self.min_severity.is_some_and(|m| f.severity < m) {
            return false;
        }
        if !self.include_defaults && f.bootstrap_default {
            return false;
        }
        if self.namespaces.is_empty() {
            return true;
        }
        // A pod's findings (hot tokens, its route to cluster-admin) belong
        // to the pod's namespace; anything else to the namespaces where it
        // grants, cluster-wide grants reaching into every one.
        match &f.pod {
            Some(pod) => self.namespaces.contains(&pod.namespace),
            None => self.namespaces.iter().any(|ns| f.scope.covers(ns)),
        }
    }
}

/// Which pods the `pods` view shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PodFilter {
    /// Only these nodes (`-`: not scheduled); empty keeps all.
    pub nodes: Vec<String>,
    /// Only pods with an escape amplifier.
    pub privileged: bool,
    /// Only pods whose severity is at or above this.
    pub min_severity: Option<Severity>,
    /// Shown one row per workload, bare pods apart (`--by-workload`).
    pub by_workload: bool,
}

/// What a scan shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum View {
    /// Every kind of finding (`scan`).
    Scan,
    /// The pods (`pods`).
    Pods(PodFilter),
}

/// The part of an analysis a report shows.
#[derive(Debug, Clone)]
pub struct Selection {
    /// The analysis, its findings, pods and nodes taken out.
    pub analysis: Analysis,
    /// The findings kept.
    pub findings: Vec<Box<Finding>>,
    /// The rules the evidence of the findings kept points to, numbered
    /// again for them.
    pub rules: Vec<RuleEntry>,
    /// The pods kept.
    pub pods: Vec<PodView>,
    /// The workloads kept.
    pub workloads: Vec<WorkloadView>,
    /// The nodes kept.
    pub nodes: NodesReport,
    /// Findings before filtering.
    pub findings_total: usize,
    /// Findings of the bootstrap policy alone that the filter left out.
    pub defaults_hidden: usize,
    /// Pods before filtering.
    pub pods_total: usize,
    /// The filter applied.
    pub filter: Filter,
    /// The view.
    pub view: View,
}

/// Keeps the findings `filter` keeps; the pod view keeps only the pods its
/// filter keeps, and their hot-pod findings.
pub fn select(mut analysis: Analysis, filter: &Filter, view: &View) -> Selection {
    let total = analysis.findings.len();
    let in_namespaces =
        |ns: &str| filter.namespaces.is_empty() || filter.namespaces.iter().any(|n| n == ns);
    let pod_filter = match view {
        View::Pods(f) => Some(f),
        View::Scan => None,
    };
    let all_pods = analysis.pods.len();
    let pods: Vec<PodView> = std::mem::take(&mut analysis.pods)
        .into_iter()
        .filter(|p| in_namespaces(&p.namespace))
        .filter(|p| {
            pod_filter.is_none_or(|f| {
                (f.nodes.is_empty()
                    || f.nodes
                        .iter()
                        .any(|n| Some(n.as_str()) == p.node.as_deref().or(Some("-"))))
                    && (!f.privileged || p.escapes())
                    && f.min_severity
                        .is_none_or(|m| p.severity.is_some_and(|s| s >= m))
            })
        })
        .collect();
    let workloads: Vec<WorkloadView> = std::mem::take(&mut analysis.workloads)
        .into_iter()
        .filter(|w| in_namespaces(&w.namespace))
        .filter(|w| {
            pod_filter.is_none_or(|f| {
                (f.nodes.is_empty() || f.nodes.iter().any(|n| w.nodes.contains(n)))
                    && (!f.privileged || w.takes_node)
                    && f.min_severity
                        .is_none_or(|m| w.severity.is_some_and(|s| s >= m))
            })
        })
        .collect();
    // The pods and workloads shown, which the pod view's findings are
    // about (the scan shows every finding: no set is needed).
    let shown: std::collections::HashSet<crate::snapshot::ObjectKey> = match pod_filter {
        Some(_) => (pods.iter())
            .map(PodView::key)
            .chain(workloads.iter().map(WorkloadView::key))
            .collect(),
        None => std::collections::HashSet::new(),
    };
    let in_view = |f: &Finding| {
        pod_filter.is_none()
            || (matches!(f.code, Code::HotPod | Code::HotWorkload)
                && f.pod.as_ref().is_some_and(|k| shown.contains(k)))
    };
    // What the other filters would show of the bootstrap policy's findings.
    let defaults_hidden = match filter.include_defaults {
        true => 0,
        false => {
            let with_defaults = Filter {
                include_defaults: true,
                ..filter.clone()
            };
            (analysis.findings.iter())
                .filter(|f| f.bootstrap_default && with_defaults.keeps(f) && in_view(f))
                .count()
        }
    };
    let mut findings: Vec<Box<Finding>> = std::mem::take(&mut analysis.findings)
        .into_iter()
        .filter(|f| filter.keeps(f) && in_view(f))
        .collect();
    let rules = if findings.len() == total {
        std::mem::take(&mut analysis.rules)
    } else {
        renumber_rules(&mut findings, &analysis.rules)
    };
    let mut nodes = std::mem::take(&mut analysis.nodes);
    if let Some(f) = pod_filter.filter(|f| !f.nodes.is_empty()) {
        nodes
            .nodes
            .retain(|n| f.nodes.iter().any(|x| Some(x) == n.node.as_ref()));
        if !f.nodes.iter().any(|x| x == "-") {
            nodes.unscheduled = None;
        }
    }
    Selection {
        analysis,
        findings,
        rules,
        pods,
        workloads,
        nodes,
        findings_total: total,
        defaults_hidden,
        pods_total: all_pods,
        filter: filter.clone(),
        view: view.clone(),
    }
}

/// A filter value that names something the input does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unmatched {
    /// `-n NS`: no object of the input is in NS (cluster-wide findings
    /// still apply there).
    Namespace(String),
    /// `pods --node NODE`: no pod of the input runs on NODE.
    Node(String),
}

/// The namespaces and nodes the filters name that the input does not
/// hold, so that a typo is reported instead of an empty report.
pub fn unmatched(snapshot: &Snapshot, filter: &Filter, view: &View) -> Vec<Unmatched> {
    let mut out = Vec::new();
    if !filter.namespaces.is_empty() {
        let metas = (snapshot
            .namespaces
            .iter()
            .map(|n| n.metadata.name.as_deref()))
        .chain(
            snapshot
                .roles
                .iter()
                .map(|r| r.metadata.namespace.as_deref()),
        )
        .chain((snapshot.role_bindings.iter()).map(|b| b.metadata.namespace.as_deref()))
        .chain((snapshot.service_accounts.iter()).map(|a| a.metadata.namespace.as_deref()))
        .chain(
            snapshot
                .pods
                .iter()
                .map(|p| p.metadata.namespace.as_deref()),
        )
        .chain(
            snapshot
                .secrets
                .iter()
                .map(|s| s.metadata.namespace.as_deref()),
        );
        let known: std::collections::HashSet<&str> = metas.flatten().collect();
        out.extend(
            (filter.namespaces.iter())
                .filter(|ns| !known.contains(ns.as_str()))
                .map(|ns| Unmatched::Namespace(ns.clone())),
        );
    }
    if let View::Pods(f) = view {
        let nodes: std::collections::HashSet<&str> = (snapshot.pods.iter())
            .filter_map(|p| p.spec.as_ref()?.node_name.as_deref())
            .collect();
        out.extend(
            (f.nodes.iter())
                .filter(|n| *n != "-" && !nodes.contains(n.as_str()))
                .map(|n| Unmatched::Node(n.clone())),
        );
    }
    out
}
