//! One finding: what is risky, how much, where, about which objects, and
//! why; where it applies; how it compares with a baseline; its stable
//! fingerprint; and the order findings are reported in.

use serde::Serialize;
use sha2::{Digest, Sha256};
use std::sync::Arc;

use super::code::Code;
use super::evidence::Evidence;
use crate::access::explain::PathView;
use crate::rating::RatedTarget;
use crate::rbac::{Scope, SubjectId};
use crate::snapshot::ObjectKey;
use crate::tables;
use crate::template::Severity;

/// Where a finding applies.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum FindingScope {
    /// Cluster-wide: every namespace, cluster-scoped resources, non-resource URLs.
    Cluster,
    /// These namespaces only.
    Namespaces {
        /// The namespaces, sorted.
        namespaces: Vec<String>,
    },
}

crate::tables::remember_by_value!(FindingScope);

impl FindingScope {
    /// Whether the scope covers namespace `ns`.
    pub fn covers(&self, ns: &str) -> bool {
        match self {
            FindingScope::Cluster => true,
            FindingScope::Namespaces { namespaces } => namespaces.iter().any(|n| n == ns),
        }
    }

    pub(super) fn of(scope: &Scope) -> FindingScope {
        match scope {
            Scope::Cluster => FindingScope::Cluster,
            Scope::Namespace(ns) => FindingScope::Namespaces {
                namespaces: vec![ns.clone()],
            },
        }
    }
}

impl std::fmt::Display for FindingScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FindingScope::Cluster => f.write_str("cluster-wide"),
            FindingScope::Namespaces { namespaces } => f.write_str(&namespaces.join(", ")),
        }
    }
}

/// How a finding compares with the `--baseline` report (see
/// `crate::baseline`). Stable kebab-case in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[schemars(
    rename = "Status",
    description = "How a finding compares with the baseline. Stable kebab-case in JSON."
)]
pub enum BaselineStatus {
    /// Not in the baseline.
    New,
    /// In the baseline too.
    Unchanged,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    /// The kind of finding.
    pub code: Code,
    /// The template rule, for risk findings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// How bad it is.
    pub severity: Severity,
    /// Stable identifier: the same finding on the same objects has the same fingerprint across runs.
    pub fingerprint: String,
    /// One-line title: a position in `texts`.
    #[serde(serialize_with = "tables::text")]
    #[schemars(with = "usize")]
    pub title: Arc<str>,
    /// The subject concerned: a position in `objects`.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "tables::maybe_object"
    )]
    #[schemars(with = "Option<usize>")]
    pub subject: Option<SubjectId>,
    /// The binding concerned: a position in `objects`.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "tables::maybe_object"
    )]
    #[schemars(with = "Option<usize>")]
    pub binding: Option<ObjectKey>,
    /// The role concerned: a position in `objects`.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "tables::maybe_object"
    )]
    #[schemars(with = "Option<usize>")]
    pub role: Option<ObjectKey>,
    /// The pod or workload concerned: a position in `objects`.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "tables::maybe_object"
    )]
    #[schemars(with = "Option<usize>")]
    pub pod: Option<ObjectKey>,
    /// Where it applies (for pod findings: the pod's namespace): a
    /// position in `scopes`.
    #[serde(serialize_with = "tables::scope")]
    #[schemars(with = "usize")]
    pub scope: FindingScope,
    /// When the permissions are limited to named objects (`resourceNames`): those names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_names: Option<Vec<String>>,
    /// What it means, in a sentence.
    pub message: String,
    /// What to do: a position in `texts`.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "tables::maybe_text"
    )]
    #[schemars(with = "Option<usize>")]
    pub remediation: Option<Arc<str>>,
    /// Every object involved is part of the Kubernetes bootstrap policy
    /// (absent when not).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub bootstrap_default: bool,
    /// The role rules that make it match.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<Evidence>,
    /// For a grant rated by what the objects it reaches carry (exec into a
    /// pod, a token for a ServiceAccount, ...): those objects and their worth.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rated_by: Vec<RatedTarget>,
    /// For a route to cluster-admin: its steps, each explained.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<Box<PathView>>,
    /// Position of the template rule in the template (orders risks like the template does).
    #[serde(skip)]
    pub rule_order: usize,
    /// New or unchanged since the `--baseline` report (only with one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineStatus>,
}

impl Finding {
    /// A finding of `code`, about no object yet: no template rule, no
    /// remediation, evidence, rated targets or route, not part of the
    /// bootstrap policy, and no fingerprint. Each check sets what it means
    /// with the methods below, and the fingerprint with
    /// [`Finding::fingerprinted`].
    pub fn new(
        code: Code,
        severity: Severity,
        title: impl Into<Arc<str>>,
        message: impl Into<String>,
        scope: FindingScope,
    ) -> Finding {
        // Messages are made by `format!`, which leaves room to grow; a
        // hundred thousand are kept until the report is written.
        let mut message: String = message.into();
        message.shrink_to_fit();
        Finding {
            code,
            rule: None,
            severity,
            fingerprint: String::new(),
            title: title.into(),
            subject: None,
            binding: None,
            role: None,
            pod: None,
            scope,
            resource_names: None,
            message,
            remediation: None,
            bootstrap_default: false,
            evidence: Vec::new(),
            rated_by: Vec::new(),
            path: None,
            rule_order: 0,
            baseline: None,
        }
    }

    /// Sets the fingerprint from what the finding is about so far (its
    /// code, template rule, subject, binding and role, in that order) and
    /// `extra`, whatever else tells it apart (`""` for nothing). What is
    /// set afterwards is reported but is no part of the fingerprint.
    pub fn fingerprinted(mut self, extra: &str) -> Finding {
        self.fingerprint = Finding::fingerprint_of(
            self.code,
            self.rule.as_deref(),
            self.subject.as_ref(),
            self.binding.as_ref(),
            self.role.as_ref(),
            extra,
        );
        self
    }

    /// The template rule it answers to: its id, and its position in the
    /// template (which orders risks like the template does).
    pub fn rule(mut self, id: impl Into<String>, order: usize) -> Finding {
        self.rule = Some(id.into());
        self.rule_order = order;
        self
    }

    /// The subject concerned, if any.
    pub fn subject(mut self, subject: impl Into<Option<SubjectId>>) -> Finding {
        self.subject = subject.into();
        self
    }

    /// The binding concerned, if any.
    pub fn binding(mut self, binding: impl Into<Option<ObjectKey>>) -> Finding {
        self.binding = binding.into();
        self
    }

    /// The role concerned, if any.
    pub fn role(mut self, role: impl Into<Option<ObjectKey>>) -> Finding {
        self.role = role.into();
        self
    }

    /// The pod concerned, if any.
    pub fn pod(mut self, pod: impl Into<Option<ObjectKey>>) -> Finding {
        self.pod = pod.into();
        self
    }

    /// The named objects the permissions are limited to (`resourceNames`), if they are.
    pub fn resource_names(mut self, names: Option<Vec<String>>) -> Finding {
        self.resource_names = names;
        self
    }

    /// What to do about it.
    pub fn remediation(mut self, remediation: impl Into<Arc<str>>) -> Finding {
        self.remediation = Some(remediation.into());
        self
    }

    /// Whether every object involved is part of the Kubernetes bootstrap policy.
    pub fn bootstrap_default(mut self, bootstrap_default: bool) -> Finding {
        self.bootstrap_default = bootstrap_default;
        self
    }

    /// The role rules that make it match.
    pub fn evidence(mut self, evidence: Vec<Evidence>) -> Finding {
        self.evidence = evidence;
        self
    }

    /// The objects the grant is rated by, and their worth.
    pub fn rated_by(mut self, rated_by: Vec<RatedTarget>) -> Finding {
        self.rated_by = rated_by;
        self
    }

    /// The route to cluster-admin, step by step.
    pub fn path(mut self, path: PathView) -> Finding {
        self.path = Some(Box::new(path));
        self
    }

    /// The rule the finding answers to: its template rule, else its code
    /// (how SARIF names rules and the HTML report filters).
    pub fn rule_id(&self) -> &str {
        self.rule.as_deref().unwrap_or_else(|| self.code.as_str())
    }

    /// The fingerprint of a finding about these objects: a hash of the
    /// code, then each part after a zero byte, cut to 8 bytes in hex.
    fn fingerprint_of(
        code: Code,
        rule: Option<&str>,
        subject: Option<&SubjectId>,
        binding: Option<&ObjectKey>,
        role: Option<&ObjectKey>,
        extra: &str,
    ) -> String {
        /// Feeds what is written to the hash, without a string between.
        struct Feed<'h>(&'h mut Sha256);
        impl std::fmt::Write for Feed<'_> {
            fn write_str(&mut self, s: &str) -> std::fmt::Result {
                self.0.update(s.as_bytes());
                Ok(())
            }
        }
        let mut h = Sha256::new();
        h.update(code.as_str());
        let parts: [Option<&dyn std::fmt::Display>; 5] = [
            rule.as_ref().map(|r| r as &dyn std::fmt::Display),
            subject.map(|s| s as &dyn std::fmt::Display),
            binding.map(|b| b as &dyn std::fmt::Display),
            role.map(|r| r as &dyn std::fmt::Display),
            Some(&extra),
        ];
        for part in parts {
            h.update([0]);
            if let Some(part) = part {
                // Writing to a hash cannot fail.
                let _ = std::fmt::Write::write_fmt(&mut Feed(&mut h), format_args!("{part}"));
            }
        }
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut out = String::with_capacity(16);
        for b in &h.finalize()[..8] {
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
        out
    }
}

/// Sorts findings: most severe first, then risky subjects, bindings, roles,
/// hygiene, then by the objects' names and the rule id.
pub fn sort(findings: &mut [Box<Finding>]) {
    // The order is worked out on indices, and each finding is then moved
    // once, not at every step of a merge sort. The order is
    // the stable one: equal findings keep their order (the index breaks
    // ties). Each half is sorted on a core of its own, then the halves are
    // merged, the first half's taken first among equals.
    let items: &[Box<Finding>] = findings;
    let by = |a: &usize, b: &usize| order_of(&items[*a], &items[*b]).then(a.cmp(b));
    let mut order: Vec<usize> = (0..items.len()).collect();
    let (first, second) = order.split_at_mut(items.len() / 2);
    let ((), ()) = crate::cores::join(
        || first.sort_unstable_by(by),
        || second.sort_unstable_by(by),
    );
    let mut merged = Vec::with_capacity(items.len());
    let (mut a, mut b) = (first.iter().peekable(), second.iter().peekable());
    while let (Some(x), Some(y)) = (a.peek(), b.peek()) {
        if by(y, x) == std::cmp::Ordering::Less {
            merged.push(**y);
            b.next();
        } else {
            merged.push(**x);
            a.next();
        }
    }
    merged.extend(a.copied());
    merged.extend(b.copied());
    permute(findings, merged);
}

/// The order of [`sort`].
/// Each comparison is made only when those before it are equal.
fn order_of(a: &Finding, b: &Finding) -> std::cmp::Ordering {
    b.severity
        .cmp(&a.severity)
        .then_with(|| a.code.cmp(&b.code))
        .then_with(|| a.subject.cmp(&b.subject))
        .then_with(|| a.binding.cmp(&b.binding))
        .then_with(|| a.role.cmp(&b.role))
        .then_with(|| a.pod.cmp(&b.pod))
        .then_with(|| a.rule_order.cmp(&b.rule_order))
        .then_with(|| a.fingerprint.cmp(&b.fingerprint))
}

/// Puts `items[order[k]]` at position `k`, for every `k`, in place: each
/// cycle of the permutation is followed once. `order` must be a
/// permutation of the indices of `items`.
fn permute<T>(items: &mut [T], mut order: Vec<usize>) {
    for start in 0..order.len() {
        // Position `k` wants the item now at `order[k]`; a position done
        // points to itself.
        let mut k = start;
        while order[k] != start {
            let from = order[k];
            items.swap(k, from);
            order[k] = k;
            k = from;
        }
        order[k] = k;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A finding drawn from few values, so that many compare equal: `id`
    /// (its message) tells equal ones apart.
    fn finding(id: usize, (severity, code, subject, fingerprint): (u8, u8, u8, u8)) -> Finding {
        let severity = [Severity::Low, Severity::Medium, Severity::High][usize::from(severity % 3)];
        let code = [Code::RiskyRole, Code::RiskySubject, Code::HotPod][usize::from(code % 3)];
        let subject = (subject % 3 > 0).then(|| SubjectId::group(&format!("g{}", subject % 3)));
        let mut f = Finding::new(code, severity, "t", id.to_string(), FindingScope::Cluster)
            .subject(subject);
        f.fingerprint = format!("f{}", fingerprint % 2);
        f
    }

    proptest! {
        /// The sort on two cores gives what a stable sort by the report's
        /// order gives: equal findings keep the order they came in.
        #[test]
        fn sorting_is_the_stable_sort_by_the_report_order(
            keys in proptest::collection::vec(any::<(u8, u8, u8, u8)>(), 0..60)
        ) {
            let findings: Vec<Box<Finding>> = (keys.iter().enumerate())
                .map(|(i, &k)| Box::new(finding(i, k)))
                .collect();
            let mut expected = findings.clone();
            expected.sort_by(|a, b| order_of(a, b));
            let mut sorted = findings;
            sort(&mut sorted);
            let ids = |v: &[Box<Finding>]| v.iter().map(|f| f.message.clone()).collect::<Vec<_>>();
            prop_assert_eq!(ids(&sorted), ids(&expected));
        }

        /// Permuting in place gives what taking the items in order gives.
        #[test]
        fn permuting_in_place_is_taking_in_order(
            order in (0usize..40).prop_flat_map(|n| Just((0..n).collect::<Vec<_>>()).prop_shuffle())
        ) {
            let items: Vec<String> = (0..order.len()).map(|i| format!("item {i}")).collect();
            let expected: Vec<String> = order.iter().map(|&i| items[i].clone()).collect();
            let mut permuted = items;
            permute(&mut permuted, order);
            prop_assert_eq!(permuted, expected);
        }
    }
}
