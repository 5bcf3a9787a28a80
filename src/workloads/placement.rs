//! Which nodes a pod, or a controller's pod template, may land on: its
//! tolerations against the nodes' taints, its `nodeSelector` and required
//! node affinity against their labels and names, `nodeName`, and cordons.
//!
//! The rules are Kubernetes' own, read from its sources:
//!
//! - a toleration against a taint: `ToleratesTaint` in
//!   `staging/src/k8s.io/api/core/v1/toleration.go`, and
//!   `FindMatchingUntoleratedTaint` in
//!   `staging/src/k8s.io/component-helpers/scheduling/corev1/helpers.go`;
//! - `nodeSelector` and required node affinity: `GetRequiredNodeAffinity`
//!   and `LazyErrorNodeSelector` in
//!   `staging/src/k8s.io/component-helpers/scheduling/corev1/nodeaffinity/nodeaffinity.go`,
//!   over `Requirement` in `staging/src/k8s.io/apimachinery/pkg/labels/selector.go`;
//! - a scheduled pod: the scheduler's `NodeUnschedulable` and
//!   `TaintToleration` filters (`pkg/scheduler/framework/plugins/`);
//! - a pod with `nodeName`: the kubelet's admission, `generalFilter` in
//!   `pkg/kubelet/lifecycle/predicate.go`;
//! - a DaemonSet's pod: `NodeShouldRunDaemonPod` in
//!   `pkg/controller/daemon/daemon_controller.go`, with the tolerations
//!   `AddOrUpdateDaemonPodTolerations` adds
//!   (`pkg/controller/daemon/util/daemonset_util.go`).
//!
//! Only placement is judged: whether the node has room (CPU, memory, pods,
//! host ports) is not, so "may run on" is an upper bound. Pure: no I/O.

use std::borrow::Cow;

use k8s_openapi::api::core::v1::{
    NodeSelector, NodeSelectorRequirement, NodeSelectorTerm, Taint, Toleration,
};

use crate::snapshot::Node;
use crate::snapshot::pod::PodSpec;

/// The taint effect that keeps new pods off a node.
pub const NO_SCHEDULE: &str = "NoSchedule";
/// The taint effect that keeps new pods off a node and evicts running ones.
pub const NO_EXECUTE: &str = "NoExecute";
/// The taint effect the scheduler only tries to respect.
pub const PREFER_NO_SCHEDULE: &str = "PreferNoSchedule";

/// The taint of a cordoned node (`spec.unschedulable`); tolerating it is
/// tolerating the cordon.
pub const UNSCHEDULABLE_TAINT: &str = "node.kubernetes.io/unschedulable";

/// The tolerations the DaemonSet controller adds to every pod it makes
/// (`AddOrUpdateDaemonPodTolerations`): key and effect, operator `Exists`.
pub const DAEMON_TOLERATIONS: [(&str, &str); 6] = [
    ("node.kubernetes.io/not-ready", NO_EXECUTE),
    ("node.kubernetes.io/unreachable", NO_EXECUTE),
    ("node.kubernetes.io/disk-pressure", NO_SCHEDULE),
    ("node.kubernetes.io/memory-pressure", NO_SCHEDULE),
    ("node.kubernetes.io/pid-pressure", NO_SCHEDULE),
    (UNSCHEDULABLE_TAINT, NO_SCHEDULE),
];

/// The toleration the DaemonSet controller adds to a pod with
/// `hostNetwork: true` only.
pub const DAEMON_HOST_NETWORK_TOLERATION: (&str, &str) =
    ("node.kubernetes.io/network-unavailable", NO_SCHEDULE);

/// The node field `matchFields` may name.
const NAME_FIELD: &str = "metadata.name";

/// Whether `toleration` tolerates `taint`, as `ToleratesTaint`:
///
/// - an empty effect matches every effect, else the effects must be equal;
/// - an empty key matches every key, else the keys must be equal;
/// - operator `Equal` (the default, when empty) needs equal values (a
///   missing value is empty); `Exists` ignores the value;
/// - `Lt` and `Gt` compare the values as integers in canonical form (no
///   sign `+`, no leading zero): the taint's must be less, or greater, than
///   the toleration's; a value that is not such an integer matches nothing;
/// - any other operator matches nothing.
///
/// `Lt` and `Gt` are behind the `TaintTolerationComparisonOperators`
/// feature gate; the API server only accepts them with the gate on, so a
/// toleration that has one is judged as with the gate on.
pub fn tolerates(toleration: &Toleration, taint: &Taint) -> bool {
    let effect = toleration.effect.as_deref().unwrap_or_default();
    if !effect.is_empty() && effect != taint.effect {
        return false;
    }
    let key = toleration.key.as_deref().unwrap_or_default();
    if !key.is_empty() && key != taint.key {
        return false;
    }
    let value = toleration.value.as_deref().unwrap_or_default();
    let taint_value = taint.value.as_deref().unwrap_or_default();
    match toleration.operator.as_deref().unwrap_or_default() {
        "" | "Equal" => value == taint_value,
        "Exists" => true,
        op @ ("Lt" | "Gt") => match (decimal_integer(value), decimal_integer(taint_value)) {
            (Some(limit), Some(actual)) if op == "Lt" => actual < limit,
            (Some(limit), Some(actual)) => actual > limit,
            _ => false,
        },
        _ => false,
    }
}

/// `value` as an `i64` if it is one in canonical decimal form, as
/// `content.IsDecimalInteger` then `strconv.ParseInt` accept it: `0`, or an
/// optional `-` then a digit 1-9 then digits, within range.
fn decimal_integer(value: &str) -> Option<i64> {
    let digits = value.strip_prefix('-').unwrap_or(value);
    let canonical = match digits.as_bytes() {
        [b'0'] => digits.len() == value.len(),
        [b'1'..=b'9', rest @ ..] => rest.iter().all(u8::is_ascii_digit),
        _ => false,
    };
    canonical.then(|| value.parse().ok()).flatten()
}

/// Whether any of `tolerations` tolerates `taint` (`TolerationsTolerateTaint`).
pub fn tolerates_any(tolerations: &[Toleration], taint: &Taint) -> bool {
    tolerations.iter().any(|t| tolerates(t, taint))
}

/// Whether `tolerations` tolerate every taint that keeps a pod off a node:
/// those with effect `NoSchedule` or `NoExecute` (a `PreferNoSchedule`
/// taint never does), as the scheduler's `TaintToleration` filter.
pub fn tolerates_all(tolerations: &[Toleration], taints: &[Taint]) -> bool {
    untolerated(tolerations, taints, &[NO_SCHEDULE, NO_EXECUTE]).is_none()
}

/// The first taint of one of `effects` that no toleration tolerates
/// (`FindMatchingUntoleratedTaint`).
fn untolerated<'t>(
    tolerations: &[Toleration],
    taints: &'t [Taint],
    effects: &[&str],
) -> Option<&'t Taint> {
    taints
        .iter()
        .filter(|t| effects.contains(&t.effect.as_str()))
        .find(|t| !tolerates_any(tolerations, t))
}

/// Whether `node` matches the pod's `nodeSelector` and its required node
/// affinity, both (`GetRequiredNodeAffinity(pod).Match(node)`):
///
/// - `nodeSelector`: the node has every label, each with the value given;
/// - `affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution`:
///   see [`matches_node_selector_terms`].
///
/// A pod with neither matches every node.
pub fn matches_node_selector(spec: &PodSpec, node: &Node) -> bool {
    let mut selector = spec.node_selector.iter().flatten();
    let labels_match = selector.all(|(k, v)| node.label(k) == Some(v.as_str()));
    let required = (spec.affinity.as_ref())
        .and_then(|a| a.node_affinity.as_ref())
        .and_then(|n| n.required.as_ref());
    labels_match && required.is_none_or(|r| matches_node_selector_terms(r, node))
}

/// Whether `node` matches a required node selector (`LazyErrorNodeSelector`):
/// its terms are ORed, so some term must match. A term with neither
/// `matchExpressions` nor `matchFields` matches nothing, so an empty list
/// of terms matches no node. Within a term everything is ANDed:
///
/// - `matchExpressions` on the node's labels: `In` (the label is there with
///   one of the values), `NotIn` (it is not, or has none of them),
///   `Exists`, `DoesNotExist`, `Gt` and `Lt` (the label's value and the one
///   value are integers, compared);
/// - `matchFields` on `metadata.name` (the only field a node has): `In` and
///   `NotIn`, each with exactly one value. A node without a name passes
///   them.
///
/// A term with a malformed requirement (an unknown operator, values where
/// none may be or missing where needed, a `Gt`/`Lt` value that is not an
/// integer, a value that is not a valid label value) matches nothing, as
/// the parse error drops it. Label keys are not checked: the API server
/// validates them in every pod and template.
pub fn matches_node_selector_terms(selector: &NodeSelector, node: &Node) -> bool {
    selector
        .node_selector_terms
        .iter()
        .any(|term| term_matches(term, node))
}

fn term_matches(term: &NodeSelectorTerm, node: &Node) -> bool {
    let expressions = term.match_expressions.as_deref().unwrap_or_default();
    let fields = term.match_fields.as_deref().unwrap_or_default();
    if expressions.is_empty() && fields.is_empty() {
        return false;
    }
    // A parse error anywhere in the term drops it, whether or not the rest
    // would match.
    if !expressions.iter().all(valid_label_requirement) || !fields.iter().all(valid_field) {
        return false;
    }
    let labels_match = expressions
        .iter()
        .all(|r| label_requirement_matches(r, node));
    // With no fields to match on (a node without a name), `matchFields` is
    // not applied.
    let name = node.name();
    let fields_match = name.is_empty() || fields.iter().all(|r| field_matches(r, name));
    labels_match && fields_match
}

fn values(r: &NodeSelectorRequirement) -> &[String] {
    r.values.as_deref().unwrap_or_default()
}

/// Whether `labels.NewRequirement` accepts the requirement (its key aside).
fn valid_label_requirement(r: &NodeSelectorRequirement) -> bool {
    let values = values(r);
    let count_ok = match r.operator.as_str() {
        "In" | "NotIn" => !values.is_empty(),
        "Exists" | "DoesNotExist" => values.is_empty(),
        "Gt" | "Lt" => values.len() == 1 && values[0].parse::<i64>().is_ok(),
        _ => false,
    };
    count_ok && values.iter().all(|v| valid_label_value(v))
}

/// Whether `value` is a valid label value (`IsValidLabelValue`): at most 63
/// characters, empty or alphanumeric at both ends, with `-`, `_` and `.`
/// allowed inside.
fn valid_label_value(value: &str) -> bool {
    let b = value.as_bytes();
    let inner = |c: &u8| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.');
    match b {
        [] => true,
        [first, .., last] if b.len() <= 63 => {
            first.is_ascii_alphanumeric() && last.is_ascii_alphanumeric() && b.iter().all(inner)
        }
        [only] => only.is_ascii_alphanumeric(),
        _ => false,
    }
}

/// `Requirement.Matches` on the node's labels.
fn label_requirement_matches(r: &NodeSelectorRequirement, node: &Node) -> bool {
    let label = node.label(&r.key);
    let values = values(r);
    match r.operator.as_str() {
        "In" => label.is_some_and(|l| values.iter().any(|v| v == l)),
        "NotIn" => label.is_none_or(|l| values.iter().all(|v| v != l)),
        "Exists" => label.is_some(),
        "DoesNotExist" => label.is_none(),
        op @ ("Gt" | "Lt") => {
            let actual = label.and_then(|l| l.parse::<i64>().ok());
            let limit = values.first().and_then(|v| v.parse::<i64>().ok());
            match (actual, limit) {
                (Some(a), Some(l)) if op == "Gt" => a > l,
                (Some(a), Some(l)) => a < l,
                _ => false,
            }
        }
        _ => false,
    }
}

/// Whether `nodeSelectorRequirementsAsFieldSelector` accepts the requirement:
/// `In` or `NotIn` with exactly one value.
fn valid_field(r: &NodeSelectorRequirement) -> bool {
    matches!(r.operator.as_str(), "In" | "NotIn") && values(r).len() == 1
}

/// A field requirement on a node named `name`: a field other than
/// `metadata.name` reads as empty, as in a `fields.Set`.
fn field_matches(r: &NodeSelectorRequirement, name: &str) -> bool {
    let field = if r.key == NAME_FIELD { name } else { "" };
    let equal = values(r).first().is_some_and(|v| v == field);
    match r.operator.as_str() {
        "In" => equal,
        _ => !equal,
    }
}

/// The tolerations a DaemonSet's pod has: its template's, then those the
/// controller adds ([`DAEMON_TOLERATIONS`], and
/// [`DAEMON_HOST_NETWORK_TOLERATION`] with `hostNetwork`). The controller
/// replaces a template toleration identical to an added one but for
/// `tolerationSeconds`, which changes nothing of what is tolerated.
pub fn daemon_tolerations(spec: &PodSpec) -> Vec<Toleration> {
    let host_network = spec.host_network == Some(true);
    let added = DAEMON_TOLERATIONS
        .iter()
        .chain(host_network.then_some(&DAEMON_HOST_NETWORK_TOLERATION))
        .map(|&(key, effect)| Toleration {
            key: Some(key.to_string()),
            operator: Some("Exists".to_string()),
            effect: Some(effect.to_string()),
            ..Toleration::default()
        });
    template_tolerations(spec)
        .iter()
        .cloned()
        .chain(added)
        .collect()
}

fn template_tolerations(spec: &PodSpec) -> &[Toleration] {
    spec.tolerations.as_deref().unwrap_or_default()
}

/// Whether a pod may run on a node, or the first reason it may not.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fit<'n> {
    /// It may.
    Fits,
    /// Its `nodeName` names another node.
    OtherNode,
    /// The node does not match its `nodeSelector` or required node affinity.
    Selector,
    /// The node is cordoned and the pod does not tolerate
    /// [`UNSCHEDULABLE_TAINT`].
    Cordoned,
    /// The node has this taint and the pod does not tolerate it.
    Taint(&'n Taint),
}

impl Fit<'_> {
    /// Whether it is [`Fit::Fits`].
    pub fn fits(&self) -> bool {
        matches!(self, Fit::Fits)
    }
}

/// Whether the pod of `spec` may run on `node`, or why not. `daemon` says
/// the spec is a DaemonSet's template.
///
/// - A DaemonSet's pod (`NodeShouldRunDaemonPod`): the template's
///   `nodeName`, if set, must name the node; the node must match the
///   selector and affinity ([`matches_node_selector`]); its `NoSchedule`
///   and `NoExecute` taints must be tolerated by the template's tolerations
///   and those the controller adds ([`daemon_tolerations`]). A cordon does
///   not keep it off: the controller ignores it, and the added toleration
///   of [`UNSCHEDULABLE_TAINT`] gets it past the scheduler.
/// - Another pod with `nodeName` set: the scheduler is bypassed, so only
///   that node, whatever its cordon and `NoSchedule` taints. The kubelet
///   still admits it only if the node matches its selector and affinity
///   and it tolerates the node's `NoExecute` taints (`generalFilter`; a
///   static pod is spared the taint check, but a template never makes
///   one).
/// - Any other pod (the scheduler's filters): a cordoned node only if the
///   pod tolerates [`UNSCHEDULABLE_TAINT`] (`NodeUnschedulable`, so a
///   blanket `operator: Exists` toleration passes a cordon); the node must
///   match the selector and affinity; its `NoSchedule` and `NoExecute`
///   taints must be tolerated (`TaintToleration`).
pub fn fit<'n>(spec: &PodSpec, node: &'n Node, daemon: bool) -> Fit<'n> {
    Placement::of(spec, daemon).fit(node)
}

/// Whether the pod of `spec` may run on `node`: [`fit`] is [`Fit::Fits`].
pub fn may_run_on(spec: &PodSpec, node: &Node, daemon: bool) -> bool {
    fit(spec, node, daemon).fits()
}

/// The nodes the pod of `spec` may run on ([`fit`]), in the order given.
pub fn nodes_for<'n>(spec: &PodSpec, nodes: &'n [Node], daemon: bool) -> Vec<&'n Node> {
    let placement = Placement::of(spec, daemon);
    nodes.iter().filter(|n| placement.fit(n).fits()).collect()
}

/// A spec with the tolerations its pods have, worked out once for many nodes.
struct Placement<'s> {
    spec: &'s PodSpec,
    tolerations: Cow<'s, [Toleration]>,
    daemon: bool,
}

impl<'s> Placement<'s> {
    fn of(spec: &'s PodSpec, daemon: bool) -> Self {
        let tolerations = if daemon {
            Cow::Owned(daemon_tolerations(spec))
        } else {
            Cow::Borrowed(template_tolerations(spec))
        };
        Placement {
            spec,
            tolerations,
            daemon,
        }
    }

    fn fit<'n>(&self, node: &'n Node) -> Fit<'n> {
        let node_name = self.spec.node_name.as_deref().filter(|n| !n.is_empty());
        if node_name.is_some_and(|n| n != node.name()) {
            return Fit::OtherNode;
        }
        let bound = node_name.is_some() && !self.daemon;
        if !bound && !self.daemon && node.unschedulable() {
            let cordon = Taint {
                key: UNSCHEDULABLE_TAINT.to_string(),
                effect: NO_SCHEDULE.to_string(),
                ..Taint::default()
            };
            if !tolerates_any(&self.tolerations, &cordon) {
                return Fit::Cordoned;
            }
        }
        if !matches_node_selector(self.spec, node) {
            return Fit::Selector;
        }
        let effects: &[&str] = if bound {
            &[NO_EXECUTE]
        } else {
            &[NO_SCHEDULE, NO_EXECUTE]
        };
        match untolerated(&self.tolerations, node.taints(), effects) {
            Some(taint) => Fit::Taint(taint),
            None => Fit::Fits,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::node::{NodeMeta, NodeSpec};
    use crate::snapshot::pod::{Affinity, NodeAffinity};
    use std::collections::BTreeMap;

    fn toleration(key: &str, op: Option<&str>, value: &str, effect: &str) -> Toleration {
        let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
        Toleration {
            key: some(key),
            operator: op.map(String::from),
            value: some(value),
            effect: some(effect),
            ..Toleration::default()
        }
    }

    fn taint(key: &str, value: &str, effect: &str) -> Taint {
        Taint {
            key: key.into(),
            value: (!value.is_empty()).then(|| value.to_string()),
            effect: effect.into(),
            ..Taint::default()
        }
    }

    fn node(name: &str, labels: &[(&str, &str)], taints: Vec<Taint>, cordoned: bool) -> Node {
        let labels: BTreeMap<String, String> = labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Node {
            metadata: NodeMeta {
                name: Some(name.into()),
                labels: Some(labels),
                ..NodeMeta::default()
            },
            spec: Some(NodeSpec {
                taints: Some(taints),
                unschedulable: Some(cordoned),
            }),
        }
    }

    fn requirement(key: &str, op: &str, values: &[&str]) -> NodeSelectorRequirement {
        NodeSelectorRequirement {
            key: key.into(),
            operator: op.into(),
            values: (!values.is_empty()).then(|| values.iter().map(|v| v.to_string()).collect()),
        }
    }

    fn with_affinity(terms: Vec<NodeSelectorTerm>) -> PodSpec {
        PodSpec {
            affinity: Some(Box::new(Affinity {
                node_affinity: Some(NodeAffinity {
                    required: Some(NodeSelector {
                        node_selector_terms: terms,
                    }),
                }),
            })),
            ..PodSpec::default()
        }
    }

    fn expressions(reqs: Vec<NodeSelectorRequirement>) -> NodeSelectorTerm {
        NodeSelectorTerm {
            match_expressions: Some(reqs),
            match_fields: None,
        }
    }

    const CONTROL_PLANE: &str = "node-role.kubernetes.io/control-plane";

    #[test]
    fn tolerations_match_taints_as_tolerates_taint_does() {
        // The cases of TestTolerationToleratesTaint
        // (staging/src/k8s.io/api/core/v1/toleration_test.go) and the rules
        // of the Taints and Tolerations concept page.
        let t = taint("foo", "bar", NO_SCHEDULE);
        let cases = [
            // Empty effect matches every effect.
            (toleration("foo", Some("Equal"), "bar", ""), true),
            (toleration("foo", Some("Equal"), "bar", NO_SCHEDULE), true),
            (toleration("foo", Some("Equal"), "bar", NO_EXECUTE), false),
            // Keys must be equal unless the toleration's is empty.
            (toleration("baz", Some("Exists"), "", NO_SCHEDULE), false),
            (toleration("", Some("Exists"), "", ""), true),
            (toleration("", Some("Exists"), "", NO_EXECUTE), false),
            // Equal (also when the operator is empty or missing) compares
            // values; Exists ignores them.
            (toleration("foo", None, "bar", NO_SCHEDULE), true),
            (toleration("foo", Some(""), "bar", NO_SCHEDULE), true),
            (toleration("foo", None, "baz", NO_SCHEDULE), false),
            (toleration("foo", None, "", NO_SCHEDULE), false),
            (toleration("foo", Some("Exists"), "", NO_SCHEDULE), true),
            (
                toleration("foo", Some("Exists"), "other", NO_SCHEDULE),
                true,
            ),
            // An unknown operator matches nothing.
            (toleration("foo", Some("equal"), "bar", NO_SCHEDULE), false),
        ];
        for (i, (tol, expected)) in cases.iter().enumerate() {
            assert_eq!(tolerates(tol, &t), *expected, "case {i}: {tol:?}");
        }
        // A taint without a value is matched by Equal with an empty value.
        let bare = taint("foo", "", NO_EXECUTE);
        assert!(tolerates(&toleration("foo", None, "", ""), &bare));
        assert!(!tolerates(&toleration("foo", None, "x", ""), &bare));
    }

    #[test]
    fn lt_and_gt_compare_canonical_integers() {
        // toleration.go's compareNumericValues: the taint's value against
        // the toleration's, both canonical decimal integers.
        let t = taint("score", "5", NO_SCHEDULE);
        assert!(tolerates(&toleration("score", Some("Lt"), "6", ""), &t));
        assert!(!tolerates(&toleration("score", Some("Lt"), "5", ""), &t));
        assert!(tolerates(&toleration("score", Some("Gt"), "-1", ""), &t));
        assert!(!tolerates(&toleration("score", Some("Gt"), "5", ""), &t));
        // Not canonical: leading zero, plus sign, empty, not a number.
        for bad in ["05", "+6", "", "six", "-0", "99999999999999999999"] {
            assert!(
                !tolerates(&toleration("score", Some("Lt"), bad, ""), &t),
                "{bad}"
            );
        }
        assert!(!tolerates(
            &toleration("score", Some("Gt"), "1", ""),
            &taint("score", "07", "")
        ));
    }

    #[test]
    fn prefer_no_schedule_never_keeps_a_pod_off() {
        let taints = [taint("a", "", PREFER_NO_SCHEDULE)];
        assert!(tolerates_all(&[], &taints));
        let taints = [
            taint("a", "", PREFER_NO_SCHEDULE),
            taint("b", "", NO_EXECUTE),
        ];
        assert!(!tolerates_all(&[], &taints));
        assert!(tolerates_all(
            &[toleration("b", Some("Exists"), "", "")],
            &taints
        ));
    }

    #[test]
    fn a_daemonset_lands_on_the_control_plane_only_with_its_toleration() {
        // kubeadm taints control-plane nodes node-role.kubernetes.io/control-plane:NoSchedule;
        // the DaemonSet page: "DaemonSet pods are not scheduled on tainted
        // nodes (such as control plane nodes) unless you add tolerations".
        let cp = node(
            "cp",
            &[(CONTROL_PLANE, "")],
            vec![taint(CONTROL_PLANE, "", NO_SCHEDULE)],
            false,
        );
        let worker = node("w", &[], vec![], false);
        let nodes = [cp, worker];
        let plain = PodSpec::default();
        let names = |s: &PodSpec| {
            nodes_for(s, &nodes, true)
                .iter()
                .map(|n| n.name())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&plain), ["w"]);
        assert_eq!(
            fit(&plain, &nodes[0], true),
            Fit::Taint(&nodes[0].taints()[0])
        );
        let tolerant = PodSpec {
            tolerations: Some(vec![toleration(
                CONTROL_PLANE,
                Some("Exists"),
                "",
                NO_SCHEDULE,
            )]),
            ..PodSpec::default()
        };
        assert_eq!(names(&tolerant), ["cp", "w"]);
        // A Deployment with the same toleration may land there too.
        assert!(may_run_on(&tolerant, &nodes[0], false));
        assert!(!may_run_on(&plain, &nodes[0], false));
    }

    #[test]
    fn a_daemonset_tolerates_what_its_controller_adds() {
        // daemonset_util.go AddOrUpdateDaemonPodTolerations.
        let pressured = node(
            "n",
            &[],
            vec![
                taint("node.kubernetes.io/not-ready", "", NO_EXECUTE),
                taint("node.kubernetes.io/unreachable", "", NO_EXECUTE),
                taint("node.kubernetes.io/disk-pressure", "", NO_SCHEDULE),
                taint("node.kubernetes.io/memory-pressure", "", NO_SCHEDULE),
                taint("node.kubernetes.io/pid-pressure", "", NO_SCHEDULE),
                taint(UNSCHEDULABLE_TAINT, "", NO_SCHEDULE),
            ],
            true,
        );
        let spec = PodSpec::default();
        assert!(may_run_on(&spec, &pressured, true));
        assert!(!may_run_on(&spec, &pressured, false));
        // network-unavailable only with hostNetwork.
        let no_net = node(
            "n",
            &[],
            vec![taint(
                "node.kubernetes.io/network-unavailable",
                "",
                NO_SCHEDULE,
            )],
            false,
        );
        assert!(!may_run_on(&spec, &no_net, true));
        let host_net = PodSpec {
            host_network: Some(true),
            ..PodSpec::default()
        };
        assert!(may_run_on(&host_net, &no_net, true));
        // The added ones are NoSchedule for pressure: a NoExecute
        // disk-pressure taint is not tolerated.
        let odd = node(
            "n",
            &[],
            vec![taint("node.kubernetes.io/disk-pressure", "", NO_EXECUTE)],
            false,
        );
        assert!(!may_run_on(&spec, &odd, true));
        assert_eq!(daemon_tolerations(&host_net).len(), 7);
    }

    #[test]
    fn a_cordoned_node_takes_a_daemonsets_pod_but_not_a_deployments() {
        // kubectl cordon: "new pods will not be scheduled"; the DaemonSet
        // controller adds the unschedulable toleration, and
        // NodeUnschedulable lets through a pod that tolerates it.
        let cordoned = node("n", &[], vec![], true);
        let spec = PodSpec::default();
        assert_eq!(fit(&spec, &cordoned, false), Fit::Cordoned);
        assert_eq!(fit(&spec, &cordoned, true), Fit::Fits);
        let tolerate_all = PodSpec {
            tolerations: Some(vec![toleration("", Some("Exists"), "", "")]),
            ..PodSpec::default()
        };
        assert!(may_run_on(&tolerate_all, &cordoned, false));
    }

    #[test]
    fn node_name_binds_to_one_node_past_cordon_and_no_schedule() {
        // nodeName bypasses the scheduler (Assigning Pods to Nodes, "nodeName");
        // the kubelet's generalFilter still refuses an untolerated NoExecute
        // taint and a node the selector does not match.
        let spec = PodSpec {
            node_name: Some("n1".into()),
            ..PodSpec::default()
        };
        let tainted = node(
            "n1",
            &[],
            vec![taint(CONTROL_PLANE, "", NO_SCHEDULE)],
            false,
        );
        let cordoned = node("n1", &[], vec![], true);
        let other = node("n2", &[], vec![], false);
        assert_eq!(fit(&spec, &tainted, false), Fit::Fits);
        assert_eq!(fit(&spec, &cordoned, false), Fit::Fits);
        assert_eq!(fit(&spec, &other, false), Fit::OtherNode);
        let evicting = node("n1", &[], vec![taint("dedicated", "x", NO_EXECUTE)], false);
        assert_eq!(
            fit(&spec, &evicting, false),
            Fit::Taint(&evicting.taints()[0])
        );
        let selective = PodSpec {
            node_selector: Some(BTreeMap::from([("disk".into(), "ssd".into())])),
            ..spec.clone()
        };
        assert_eq!(fit(&selective, &tainted, false), Fit::Selector);
        let nodes = [other, tainted];
        assert_eq!(nodes_for(&spec, &nodes, false).len(), 1);
        // An empty nodeName is no nodeName.
        let empty = PodSpec {
            node_name: Some(String::new()),
            ..PodSpec::default()
        };
        assert!(may_run_on(&empty, &nodes[0], false));
    }

    #[test]
    fn a_daemonset_template_with_node_name_runs_only_there() {
        // NodeShouldRunDaemonPod: the template's nodeName must be the node's.
        let spec = PodSpec {
            node_name: Some("n1".into()),
            ..PodSpec::default()
        };
        let n1 = node("n1", &[], vec![taint("dedicated", "", NO_SCHEDULE)], false);
        let n2 = node("n2", &[], vec![], false);
        assert_eq!(fit(&spec, &n2, true), Fit::OtherNode);
        // Unlike a bound pod, the controller's predicates check NoSchedule.
        assert_eq!(fit(&spec, &n1, true), Fit::Taint(&n1.taints()[0]));
    }

    #[test]
    fn node_selector_needs_every_label_equal() {
        // Assigning Pods to Nodes, "nodeSelector".
        let spec = PodSpec {
            node_selector: Some(BTreeMap::from([
                ("disktype".into(), "ssd".into()),
                ("zone".into(), "a".into()),
            ])),
            ..PodSpec::default()
        };
        let both = node(
            "a",
            &[("disktype", "ssd"), ("zone", "a"), ("x", "y")],
            vec![],
            false,
        );
        let one = node("b", &[("disktype", "ssd")], vec![], false);
        let wrong = node("c", &[("disktype", "hdd"), ("zone", "a")], vec![], false);
        assert!(matches_node_selector(&spec, &both));
        assert!(!matches_node_selector(&spec, &one));
        assert!(!matches_node_selector(&spec, &wrong));
        let nodes = [both, one, wrong];
        assert_eq!(nodes_for(&spec, &nodes, false).len(), 1);
        assert_eq!(fit(&spec, &nodes[1], false), Fit::Selector);
        // An empty-valued selector needs the label with an empty value.
        let empty = PodSpec {
            node_selector: Some(BTreeMap::from([(CONTROL_PLANE.into(), String::new())])),
            ..PodSpec::default()
        };
        assert!(matches_node_selector(
            &empty,
            &node("cp", &[(CONTROL_PLANE, "")], vec![], false)
        ));
        assert!(!matches_node_selector(&empty, &nodes[0]));
    }

    #[test]
    fn required_affinity_operators_match_as_label_requirements_do() {
        // Assigning Pods to Nodes, "Node affinity", and labels.Requirement.Matches.
        let n = node(
            "n1",
            &[("zone", "a"), ("gen", "5"), ("gpu", "")],
            vec![],
            false,
        );
        let one = |r: NodeSelectorRequirement| {
            matches_node_selector(&with_affinity(vec![expressions(vec![r])]), &n)
        };
        assert!(one(requirement("zone", "In", &["a", "b"])));
        assert!(!one(requirement("zone", "In", &["b"])));
        assert!(!one(requirement("absent", "In", &["a"])));
        assert!(one(requirement("zone", "NotIn", &["b"])));
        assert!(!one(requirement("zone", "NotIn", &["a"])));
        assert!(one(requirement("absent", "NotIn", &["a"])));
        assert!(one(requirement("gpu", "Exists", &[])));
        assert!(!one(requirement("absent", "Exists", &[])));
        assert!(one(requirement("absent", "DoesNotExist", &[])));
        assert!(!one(requirement("gpu", "DoesNotExist", &[])));
        assert!(one(requirement("gen", "Gt", &["4"])));
        assert!(!one(requirement("gen", "Gt", &["5"])));
        assert!(one(requirement("gen", "Lt", &["6"])));
        assert!(!one(requirement("zone", "Gt", &["1"])));
        assert!(!one(requirement("absent", "Lt", &["1"])));
        // Malformed requirements drop the term.
        assert!(!one(requirement("gen", "Gt", &["4", "3"])));
        assert!(!one(requirement("gen", "Gt", &["four"])));
        assert!(!one(requirement("gen", "Gt", &["-1"]))); // not a label value
        assert!(!one(requirement("gpu", "Exists", &["x"])));
        assert!(!one(requirement("zone", "In", &[])));
        assert!(!one(requirement("zone", "NotIn", &[])));
        assert!(!one(requirement("zone", "In", &["a", "not a value"])));
        assert!(!one(requirement("zone", "Equals", &["a"])));
    }

    #[test]
    fn terms_are_ored_and_expressions_anded() {
        let n = node("n1", &[("zone", "a"), ("disk", "ssd")], vec![], false);
        let zone_a = requirement("zone", "In", &["a"]);
        let disk_hdd = requirement("disk", "In", &["hdd"]);
        let and = with_affinity(vec![expressions(vec![zone_a.clone(), disk_hdd.clone()])]);
        assert!(!matches_node_selector(&and, &n));
        let or = with_affinity(vec![
            expressions(vec![disk_hdd]),
            expressions(vec![zone_a.clone()]),
        ]);
        assert!(matches_node_selector(&or, &n));
        // An empty term list, or an empty term, matches nothing
        // (nodeaffinity.go: "nil or empty term matches no objects").
        assert!(!matches_node_selector(&with_affinity(vec![]), &n));
        assert!(!matches_node_selector(
            &with_affinity(vec![NodeSelectorTerm::default()]),
            &n
        ));
        let empty_and_good = with_affinity(vec![
            NodeSelectorTerm::default(),
            expressions(vec![zone_a.clone()]),
        ]);
        assert!(matches_node_selector(&empty_and_good, &n));
        // A malformed term is skipped; another may still match.
        let bad_then_good = with_affinity(vec![
            expressions(vec![requirement("zone", "Bogus", &[])]),
            expressions(vec![zone_a.clone()]),
        ]);
        assert!(matches_node_selector(&bad_then_good, &n));
        // nodeSelector and affinity must both hold.
        let both = PodSpec {
            node_selector: Some(BTreeMap::from([("disk".into(), "hdd".into())])),
            ..with_affinity(vec![expressions(vec![zone_a])])
        };
        assert!(!matches_node_selector(&both, &n));
    }

    #[test]
    fn match_fields_pick_nodes_by_name() {
        // The DaemonSet controller pins its pods with matchFields
        // metadata.name In [node] (ReplaceDaemonSetPodNodeNameNodeAffinity).
        let fields = |op: &str, values: &[&str]| {
            with_affinity(vec![NodeSelectorTerm {
                match_expressions: None,
                match_fields: Some(vec![requirement(NAME_FIELD, op, values)]),
            }])
        };
        let n1 = node("n1", &[], vec![], false);
        let n2 = node("n2", &[], vec![], false);
        assert!(matches_node_selector(&fields("In", &["n1"]), &n1));
        assert!(!matches_node_selector(&fields("In", &["n1"]), &n2));
        assert!(!matches_node_selector(&fields("NotIn", &["n1"]), &n1));
        assert!(matches_node_selector(&fields("NotIn", &["n1"]), &n2));
        // Exactly one value, In or NotIn only.
        assert!(!matches_node_selector(&fields("In", &["n1", "n2"]), &n1));
        assert!(!matches_node_selector(&fields("Exists", &[]), &n1));
        // Fields and expressions in one term are ANDed.
        let mixed = with_affinity(vec![NodeSelectorTerm {
            match_expressions: Some(vec![requirement("zone", "Exists", &[])]),
            match_fields: Some(vec![requirement(NAME_FIELD, "In", &["n1"])]),
        }]);
        assert!(!matches_node_selector(&mixed, &n1));
        assert!(matches_node_selector(
            &mixed,
            &node("n1", &[("zone", "a")], vec![], false)
        ));
    }

    /// An independent statement of ToleratesTaint's rules, as the Taints and
    /// Tolerations page words them, for the property test.
    fn reference(tol: &Toleration, taint: &Taint) -> bool {
        let text = |o: &Option<String>| o.clone().unwrap_or_default();
        let (key, op, value, effect) = (
            text(&tol.key),
            text(&tol.operator),
            text(&tol.value),
            text(&tol.effect),
        );
        let taint_value = text(&taint.value);
        let int = |s: &str| -> Option<i64> {
            let canonical = s == "0"
                || s.trim_start_matches('-')
                    .starts_with(|c: char| ('1'..='9').contains(&c))
                    && s.len() - s.trim_start_matches('-').len() <= 1
                    && s.trim_start_matches('-')
                        .chars()
                        .all(|c| c.is_ascii_digit());
            if canonical { s.parse().ok() } else { None }
        };
        let effect_ok = effect.is_empty() || effect == taint.effect;
        let key_ok = key.is_empty() || key == taint.key;
        let value_ok = if op.is_empty() || op == "Equal" {
            value == taint_value
        } else if op == "Exists" {
            true
        } else if op == "Lt" || op == "Gt" {
            match (int(&value), int(&taint_value)) {
                (Some(v), Some(t)) => (op == "Lt" && t < v) || (op == "Gt" && t > v),
                _ => false,
            }
        } else {
            false
        };
        effect_ok && key_ok && value_ok
    }

    proptest::proptest! {
        #[test]
        fn tolerates_agrees_with_the_reference(
            key in proptest::option::of(proptest::sample::select(vec!["", "a", "b"])),
            op in proptest::option::of(proptest::sample::select(vec!["", "Equal", "Exists", "Lt", "Gt", "exists"])),
            value in proptest::option::of(proptest::sample::select(vec!["", "1", "2", "-1", "01", "x", "+1", "-"])),
            effect in proptest::option::of(proptest::sample::select(vec!["", NO_SCHEDULE, NO_EXECUTE, PREFER_NO_SCHEDULE])),
            taint_key in proptest::sample::select(vec!["", "a", "b"]),
            taint_value in proptest::option::of(proptest::sample::select(vec!["", "1", "2", "-1", "0", "x", "007"])),
            taint_effect in proptest::sample::select(vec![NO_SCHEDULE, NO_EXECUTE, PREFER_NO_SCHEDULE]),
        ) {
            let tol = Toleration {
                key: key.map(String::from),
                operator: op.map(String::from),
                value: value.map(String::from),
                effect: effect.map(String::from),
                ..Toleration::default()
            };
            let t = Taint {
                key: taint_key.into(),
                value: taint_value.map(String::from),
                effect: taint_effect.into(),
                ..Taint::default()
            };
            proptest::prop_assert_eq!(tolerates(&tol, &t), reference(&tol, &t));
        }
    }
}
