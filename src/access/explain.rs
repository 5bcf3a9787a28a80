//! The answers of `who-can`, `access` and `paths` as plain, serialisable
//! data with every object named, and each step of a route as one sentence
//! that names the objects granting it. Reports render these; they do not
//! look anything up. Pure: no I/O.

use std::collections::BTreeMap;

use k8s_openapi::api::rbac::v1::PolicyRule;
use serde::Serialize;

use super::graph::AccessGraph;
use super::model::{Edge, Node, StepGrant, Technique};
use super::holdings::{Difference, HeldRule, Holdings};
use super::paths::{Route, RouteStep};
use super::query::Resource;
use super::who_can::{Adjustment, Answer, Question};
use crate::rbac::{Rbac, Scope, SubjectId};
use crate::snapshot::{ObjectKey, Pod};

/// Any object a route passes through.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NodeRef {
    /// `User`, `Group`, `ServiceAccount`, `Pod`, `Node`, `ClusterRole`,
    /// `Role`, `ClusterAdmin`, or for what stands for a namespace's objects
    /// `NewPods`, `Pods`, `Secrets`, `ServiceAccounts`.
    pub kind: &'static str,
    /// The name (`*` for all of them).
    pub name: String,
    /// The namespace, for namespaced objects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// For a role: where it would be bound (`cluster-wide` or a namespace).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bound_in: Option<String>,
}

impl NodeRef {
    fn new(kind: &'static str, name: impl Into<String>, namespace: Option<&str>) -> NodeRef {
        NodeRef {
            kind,
            name: name.into(),
            namespace: namespace.map(String::from),
            bound_in: None,
        }
    }

    /// The reference of a subject.
    pub fn subject(s: &SubjectId) -> NodeRef {
        match s {
            SubjectId::ServiceAccount { namespace, name } => {
                NodeRef::new("ServiceAccount", name, Some(namespace))
            }
            SubjectId::User { name } => NodeRef::new("User", name, None),
            SubjectId::Group { name } => NodeRef::new("Group", name, None),
        }
    }
}

impl std::fmt::Display for NodeRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ns = self.namespace.as_deref();
        match (self.kind, ns) {
            ("ClusterAdmin", _) => f.write_str("cluster-admin-equivalent power"),
            ("NewPods", Some(ns)) => write!(f, "pods of its choosing in {ns}"),
            ("NewPods", None) => f.write_str("pods of its choosing in every namespace"),
            ("Pods", Some(ns)) => write!(f, "every pod of {ns}"),
            ("Pods", None) => f.write_str("every pod"),
            ("Secrets", Some(ns)) => write!(f, "the Secrets of {ns}"),
            ("Secrets", None) => f.write_str("every Secret"),
            ("ServiceAccounts", Some(ns)) => write!(f, "every ServiceAccount of {ns}"),
            ("ServiceAccounts", None) => f.write_str("every ServiceAccount"),
            ("Node", _) if self.name == "*" => f.write_str("any node"),
            (kind, Some(ns)) => {
                write!(f, "{kind} {ns}/{}", self.name)?;
                self.write_bound(f)
            }
            (kind, None) => {
                write!(f, "{kind} {}", self.name)?;
                self.write_bound(f)
            }
        }
    }
}

impl NodeRef {
    fn write_bound(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.bound_in {
            Some(b) if b == "cluster-wide" => f.write_str(" bound cluster-wide"),
            Some(b) => write!(f, " bound in {b}"),
            None => Ok(()),
        }
    }
}

/// A rule aggregated into a ClusterRole, pointing back at where it is defined.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Origin {
    /// The role that defines the rule.
    pub role: ObjectKey,
    /// The rule's index in that role's `rules`.
    pub rule_index: usize,
}

/// The binding → role → rule that grants something.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GroundView {
    /// The binding; absent for a role the attacker binds itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub binding: Option<ObjectKey>,
    /// The group the binding names, when it does not name the holder.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via_group: Option<String>,
    /// The role.
    pub role: ObjectKey,
    /// The rule's index in the role's effective rules.
    pub rule_index: usize,
    /// For an aggregated ClusterRole, where the rule comes from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aggregated_from: Option<Origin>,
    /// The rule.
    pub rule: PolicyRule,
}

impl GroundView {
    /// The binding → role → rule of one effective rule, every object named.
    pub fn new(
        rbac: &Rbac<'_>,
        binding: Option<crate::rbac::BindingId>,
        via_group: Option<&str>,
        role: crate::rbac::RoleId,
        rule: usize,
    ) -> GroundView {
        let r = rbac.role(role);
        let eff = &r.rules[rule];
        GroundView {
            binding: binding.map(|b| rbac.binding(b).key.clone()),
            via_group: via_group.map(String::from),
            role: r.key.clone(),
            rule_index: rule,
            aggregated_from: eff.aggregated_from.map(|(o, i)| Origin {
                role: rbac.role(o).key.clone(),
                rule_index: i,
            }),
            rule: eff.rule.clone(),
        }
    }

    /// `RoleBinding ns/b → ClusterRole edit #3 (via Group g)`.
    pub fn chain(&self) -> String {
        let mut s = String::new();
        if let Some(b) = &self.binding {
            s.push_str(&format!("{b} → "));
        }
        s.push_str(&format!("{} #{}", self.role, self.rule_index));
        if let Some(o) = &self.aggregated_from {
            s.push_str(&format!(" from {} #{}", o.role, o.rule_index));
        }
        if let Some(g) = &self.via_group {
            s.push_str(&format!(" (via Group {g})"));
        }
        s
    }
}

/// Names the objects of a snapshot's graph.
pub struct Namer<'a, 's> {
    /// Resolved RBAC.
    pub rbac: &'a Rbac<'s>,
    /// The graph.
    pub graph: &'a AccessGraph,
    /// The snapshot's pods (a graph's `Node::Pod` is an index into them).
    pub pods: &'s [Pod],
}

impl Namer<'_, '_> {
    /// The binding → role → rule of a ground.
    pub fn ground(
        &self,
        binding: Option<crate::rbac::BindingId>,
        via_group: Option<&str>,
        role: crate::rbac::RoleId,
        rule: usize,
    ) -> GroundView {
        GroundView::new(self.rbac, binding, via_group, role, rule)
    }

    fn of(&self, g: &StepGrant) -> GroundView {
        self.ground(g.binding, g.via_group.as_deref(), g.role, g.rule)
    }

    /// The reference of a graph node.
    pub fn node(&self, node: &Node) -> NodeRef {
        match node {
            Node::Subject(s) => NodeRef::subject(s),
            Node::Binding(b) => {
                let k = &self.rbac.binding(*b).key;
                NodeRef::new(
                    k.kind.as_str(),
                    &k.name,
                    Some(&k.namespace)
                        .filter(|n| !n.is_empty())
                        .map(|s| s.as_str()),
                )
            }
            Node::Role(r) => {
                let k = &self.rbac.role(*r).key;
                NodeRef::new(
                    k.kind.as_str(),
                    &k.name,
                    Some(&k.namespace)
                        .filter(|n| !n.is_empty())
                        .map(|s| s.as_str()),
                )
            }
            Node::Bound(r, scope) => {
                let k = &self.rbac.role(*r).key;
                let mut n = NodeRef::new(
                    k.kind.as_str(),
                    &k.name,
                    Some(&k.namespace)
                        .filter(|n| !n.is_empty())
                        .map(|s| s.as_str()),
                );
                n.bound_in = Some(match scope {
                    Scope::Cluster => "cluster-wide".into(),
                    Scope::Namespace(ns) => ns.clone(),
                });
                n
            }
            Node::Pod(i) => {
                let m = &self.pods[*i].metadata;
                NodeRef::new(
                    "Pod",
                    m.name.clone().unwrap_or_default(),
                    Some(m.namespace.as_deref().unwrap_or("")),
                )
            }
            Node::Host(h) => NodeRef::new("Node", h, None),
            Node::AnyHost => NodeRef::new("Node", "*", None),
            Node::NewPods(ns) => NodeRef::new("NewPods", "*", ns.as_deref()),
            Node::Pods(ns) => NodeRef::new("Pods", "*", ns.as_deref()),
            Node::Secrets(ns) => NodeRef::new("Secrets", "*", ns.as_deref()),
            Node::ServiceAccounts(ns) => NodeRef::new("ServiceAccounts", "*", ns.as_deref()),
            Node::ClusterAdmin => NodeRef::new("ClusterAdmin", "cluster-admin", None),
        }
    }
}

/// One step of a route, explained.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StepView {
    /// How the step gains its target.
    pub kind: Technique,
    /// Where it starts.
    pub from: NodeRef,
    /// What it reaches.
    pub to: NodeRef,
    /// The permissions used (`create pods/exec`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub permissions: Vec<String>,
    /// Where they are held; absent for cluster-wide.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The rules that grant them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub granted_by: Vec<GroundView>,
    /// What makes it possible when it is not a permission.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub because: Option<String>,
    /// The pod involved, for a node's token or a pod's escape.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pod: Option<NodeRef>,
    /// The legacy token Secret read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// The step in one sentence.
    pub text: String,
}

/// A route, explained.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PathView {
    /// Where it starts.
    pub from: NodeRef,
    /// Where it ends.
    pub to: NodeRef,
    /// Number of steps.
    pub hops: usize,
    /// The steps.
    pub steps: Vec<StepView>,
    /// Every rule of every step comes from the bootstrap policy.
    pub bootstrap_default: bool,
    /// When the steps stop short of `to`: where the route goes on, whose
    /// own route (reported on its own) has the rest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub continues_as: Option<Continuation>,
}

/// Where a route given by reference goes on.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Continuation {
    /// The identity or pod the rest of the route starts from.
    pub from: NodeRef,
    /// The steps left from there.
    pub hops: usize,
}

impl Namer<'_, '_> {
    /// Explains a route to `target`.
    pub fn route(&self, route: &Route, target: &Node) -> PathView {
        self.route_until(route, target, None)
    }

    /// Explains a route to `target`, its steps only up to `cut` (the rest
    /// given by reference to where it goes on).
    pub fn route_until(&self, route: &Route, target: &Node, cut: Option<usize>) -> PathView {
        let kept = cut.unwrap_or(route.steps.len()).min(route.steps.len());
        let steps: Vec<StepView> = route.steps[..kept]
            .iter()
            .map(|s| self.step(s, target))
            .collect();
        let continues_as = (kept < route.steps.len()).then(|| Continuation {
            from: self.node(self.graph.node_at(route.steps[kept].from)),
            hops: route.steps.len() - kept,
        });
        let bootstrap_default = route.steps.iter().all(|s| {
            let Some(e) = s.edge else { return true };
            match self.graph.edge_at(e).2 {
                Edge::Step(st) => st.grounds.iter().all(|g| {
                    self.rbac.role(g.role).default
                        && g.binding.is_none_or(|b| self.rbac.binding(b).default)
                }),
                // No permission grants a pod's step: nothing to be default.
                _ => true,
            }
        }) && route.steps.iter().any(|s| {
            s.edge.is_some_and(
                |e| matches!(self.graph.edge_at(e).2, Edge::Step(st) if !st.grounds.is_empty()),
            )
        });
        PathView {
            from: self.node(self.graph.node_at(route.from)),
            to: self.node(target),
            hops: route.steps.len(),
            steps,
            bootstrap_default,
            continues_as,
        }
    }

    fn step(&self, s: &RouteStep, target: &Node) -> StepView {
        let from = self.node(self.graph.node_at(s.from));
        let to = self.node(self.graph.node_at(s.to));
        let Some(e) = s.edge else {
            let text = format!("{from} can do anything, {} included", self.node(target));
            return StepView {
                kind: Technique::Anything,
                from,
                to,
                permissions: Vec::new(),
                namespace: None,
                granted_by: Vec::new(),
                because: None,
                pod: None,
                secret: None,
                text,
            };
        };
        let (_, _, edge) = self.graph.edge_at(e);
        let step = edge.step();
        let step = step.as_deref();
        let how = match (edge, step) {
            (_, Some(st)) => st.how,
            (Edge::MemberOf, None) => Technique::MemberOf,
            _ => unreachable!("routes cost only steps and memberships"),
        };
        let granted_by: Vec<GroundView> = step
            .map(|st| st.grounds.iter().map(|g| self.of(g)).collect())
            .unwrap_or_default();
        let pod = step.and_then(|st| st.pod).map(|i| self.node(&Node::Pod(i)));
        let because = step.and_then(|st| st.because.clone());
        let secret = s.secret.clone();
        let permissions = step.map(|st| st.permissions.clone()).unwrap_or_default();
        let namespace = step.and_then(|st| st.namespace.clone());
        let text = sentence(
            how,
            &from,
            &to,
            &permissions,
            namespace.as_deref(),
            &granted_by,
            because.as_deref(),
            pod.as_ref(),
            secret.as_deref(),
        );
        StepView {
            kind: how,
            from,
            to,
            permissions,
            namespace,
            granted_by,
            because,
            pod,
            secret,
            text,
        }
    }
}

/// The grounds of a step, rules of the same binding and role together:
/// `ClusterRoleBinding b → ClusterRole r #0, #2`.
fn chains(grounds: &[GroundView]) -> String {
    let mut parts: Vec<(String, Vec<String>)> = Vec::new();
    for g in grounds {
        let head = match &g.binding {
            Some(b) => format!("{b} → {}", g.role),
            None => g.role.to_string(),
        };
        let mut rule = format!("#{}", g.rule_index);
        if let Some(o) = &g.aggregated_from {
            rule.push_str(&format!(" from {} #{}", o.role, o.rule_index));
        }
        if let Some(v) = &g.via_group {
            rule.push_str(&format!(" via Group {v}"));
        }
        match parts.iter_mut().find(|(h, _)| *h == head) {
            Some((_, rules)) => {
                if !rules.contains(&rule) {
                    rules.push(rule);
                }
            }
            None => parts.push((head, vec![rule])),
        }
    }
    parts
        .into_iter()
        .map(|(h, r)| format!("{h} {}", r.join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
}

#[allow(clippy::too_many_arguments)]
fn sentence(
    how: Technique,
    from: &NodeRef,
    to: &NodeRef,
    permissions: &[String],
    namespace: Option<&str>,
    grounds: &[GroundView],
    because: Option<&str>,
    pod: Option<&NodeRef>,
    secret: Option<&str>,
) -> String {
    let can = {
        let mut s = format!("{from} can {}", permissions.join(" and "));
        match namespace {
            Some(ns) => s.push_str(&format!(" in {ns}")),
            None if !permissions.is_empty() && !matches!(how, Technique::HoldsEverything) => {
                s.push_str(" cluster-wide")
            }
            None => {}
        }
        if !grounds.is_empty() {
            s.push_str(&format!(" ({})", chains(grounds)));
        }
        s
    };
    match how {
        Technique::MemberOf => format!("{from} is in {to}"),
        Technique::HoldsEverything => format!(
            "{from} can do everything cluster-wide ({}): cluster-admin-equivalent power",
            grounds
                .iter()
                .map(GroundView::chain)
                .collect::<Vec<_>>()
                .join("; ")
        ),
        Technique::CreateWorkloads => match to.kind {
            "ServiceAccount" => format!("{can}, so it can run a pod as {to}"),
            _ => format!("{can}, so it can run {to}"),
        },
        Technique::PrivilegedPod => format!(
            "a pod created in {} can be privileged ({}), so it can take over {to}",
            from.namespace.as_deref().unwrap_or("?"),
            because.unwrap_or("no Pod Security level")
        ),
        Technique::LiftPodSecurity => format!(
            "{can}: it can relabel the namespace to lift its Pod Security level and run a privileged pod, so it can take over {to}"
        ),
        Technique::ControlPods => format!("{can}, so it can run commands in {to}"),
        Technique::PodToken => format!(
            "{from} can read the token of {to} ({})",
            because.unwrap_or("mounted")
        ),
        Technique::EscapeToNode => format!(
            "{from} can escape to {to} ({})",
            because.unwrap_or("escape")
        ),
        Technique::NodeToken => match pod {
            Some(p) => format!("{from} runs {p}, so it holds the token of {to}"),
            None => format!("{from} holds the token of {to}"),
        },
        Technique::ReadSecrets => match (secret.or(because), to.kind) {
            (Some(sec), "ServiceAccount") => {
                format!("{can}, so it can read secret {sec}, a token of {to}")
            }
            _ => format!("{can}, so it can read {to}"),
        },
        Technique::RequestToken => format!("{can}, so it can get a token for {to}"),
        Technique::Impersonate => format!("{can}, so it can act as {to}"),
        Technique::Bind => {
            format!("{can}, so it can bind that role to itself and hold what {to} grants")
        }
        Technique::Escalate => match to.kind {
            "ClusterAdmin" => format!(
                "{can}, so it can grant itself any permission: cluster-admin-equivalent power"
            ),
            _ => format!("{can}, so it can grant itself any permission there: {to}"),
        },
        Technique::ApproveCsr => {
            format!("{can}, so it can issue itself a client certificate in {to}")
        }
        Technique::NodeProxy => {
            format!("{can}, so it can run commands in every pod of {to} through the kubelet API")
        }
        Technique::AdmissionWebhook => format!(
            "{can}, so it can see and rewrite every API request: cluster-admin-equivalent power"
        ),
        Technique::AwsAuth => format!("{can}, so it can map an IAM identity to {to} (EKS)"),
        Technique::Anything => format!("{from} can do anything, {to} included"),
    }
}

/// The answer of `paths`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PathsView {
    /// What the routes lead to.
    pub target: NodeRef,
    /// Every route, shortest first.
    pub paths: Vec<PathView>,
    /// Routes granted by the bootstrap policy alone, left out (shown with
    /// `--include-defaults`).
    pub defaults_hidden: usize,
    /// Platforms whose own roles and bindings counted as defaults too
    /// (`--platform`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub platforms: Vec<&'static str>,
}

/// The request a `who-can` answer is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestView {
    /// The verb.
    pub verb: String,
    /// The API group, for resource requests.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_group: Option<String>,
    /// The resource.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// The subresource.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subresource: Option<String>,
    /// The URL, for non-resource requests.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The object's name, if the request carries one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The namespace, if the request carries one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

impl std::fmt::Display for RequestView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ", self.verb)?;
        match (&self.path, &self.resource) {
            (Some(p), _) => f.write_str(p)?,
            (None, Some(r)) => {
                f.write_str(r)?;
                if let Some(s) = &self.subresource {
                    write!(f, "/{s}")?;
                }
                if let Some(g) = self.api_group.as_deref().filter(|g| !g.is_empty()) {
                    write!(f, ".{g}")?;
                }
            }
            (None, None) => {}
        }
        if let Some(n) = &self.name {
            write!(f, " {n}")?;
        }
        match &self.namespace {
            Some(ns) => write!(f, " in namespace {ns}"),
            None => f.write_str(" cluster-wide (no namespace)"),
        }
    }
}

/// A subject of a `who-can` answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AllowedView {
    /// `User`, `Group` or `ServiceAccount`.
    pub kind: &'static str,
    /// The name.
    pub name: String,
    /// The namespace, for ServiceAccounts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Allowed without any binding (`system:masters`).
    pub implicit: bool,
    /// The rules that allow it.
    pub granted_by: Vec<GroundView>,
}

/// A `who-can` answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WhoCanView {
    /// The request answered.
    pub request: RequestView,
    /// How it differs from the question, and other notes.
    pub notes: Vec<String>,
    /// Every subject allowed.
    pub subjects: Vec<AllowedView>,
}

impl Namer<'_, '_> {
    /// Explains a `who-can` answer. `assumed_core` names a resource whose
    /// group was assumed.
    pub fn who_can(&self, q: &Question, a: &Answer, assumed_core: bool) -> WhoCanView {
        let mut notes = Vec::new();
        let (api_group, resource, subresource, path) = match &q.resource {
            Resource::Api {
                group,
                resource,
                subresource,
            } => {
                if assumed_core {
                    notes.push(format!("{resource} is not a built-in resource: asked in the core API group (write {resource}.GROUP for another group)"));
                }
                (
                    Some(group.clone()),
                    Some(resource.clone()),
                    Some(subresource.clone()).filter(|s| !s.is_empty()),
                    None,
                )
            }
            Resource::Url(p) => (None, None, None, Some(p.clone())),
        };
        for adj in &a.adjustments {
            notes.push(match adj {
                Adjustment::NoNamespace => "the request carries no namespace (a cluster-scoped resource or a URL): only ClusterRoleBindings can allow it, -n is ignored".to_string(),
                Adjustment::NoName => "a create in a collection or a deletecollection carries no name: the name is ignored, and rules limited by resourceNames never allow it".to_string(),
            });
        }
        notes.push("group system:masters is allowed everything without any binding".into());
        let subjects = a
            .subjects
            .iter()
            .map(|s| {
                let r = NodeRef::subject(&s.subject);
                AllowedView {
                    kind: r.kind,
                    name: r.name,
                    namespace: r.namespace,
                    implicit: s.implicit,
                    granted_by: s
                        .by
                        .iter()
                        .map(|al| self.ground(Some(al.binding), None, al.role, al.rule))
                        .collect(),
                }
            })
            .collect();
        WhoCanView {
            request: RequestView {
                verb: q.verb.clone(),
                api_group,
                resource,
                subresource,
                path,
                name: a.name.clone(),
                namespace: a.namespace.clone(),
            },
            notes,
            subjects,
        }
    }
}

/// A rule an identity holds, and where from.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HeldView {
    /// Where it comes from (the rule itself is in `rule`).
    #[serde(flatten)]
    pub ground: GroundView,
}

/// What an identity holds.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HoldingsView {
    /// The identity.
    pub subject: NodeRef,
    /// Groups it is in without a binding.
    pub implicit_groups: Vec<String>,
    /// Allowed everything without any binding (`system:masters`).
    pub superuser: bool,
    /// Whether the input names the identity (an object, or a binding's
    /// subject); if not, the answer is what it would hold, and a typo
    /// shows here.
    pub in_input: bool,
    /// Rules in effect everywhere (ClusterRoleBindings).
    pub cluster_wide: Vec<HeldView>,
    /// Rules in effect in one namespace (RoleBindings), on top of the
    /// cluster-wide ones.
    pub namespaces: BTreeMap<String, Vec<HeldView>>,
}

/// A permission one identity has and the other has not.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DifferenceView {
    /// `cluster-wide` or a namespace.
    pub scope: String,
    /// The permission (`get secrets`, `create pods/exec`, `get /metrics`).
    pub permission: String,
    /// Where it comes from.
    pub granted_by: GroundView,
}

/// The comparison of two identities.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DiffView {
    /// The first identity.
    pub left: NodeRef,
    /// The second.
    pub right: NodeRef,
    /// What only the first holds.
    pub only_left: Vec<DifferenceView>,
    /// What only the second holds.
    pub only_right: Vec<DifferenceView>,
}

impl Namer<'_, '_> {
    fn held(&self, h: &HeldRule) -> HeldView {
        HeldView {
            ground: self.ground(Some(h.binding), h.via_group.as_deref(), h.role, h.rule),
        }
    }

    /// Explains what an identity holds.
    pub fn holdings(&self, h: &Holdings) -> HoldingsView {
        HoldingsView {
            subject: NodeRef::subject(&h.subject),
            implicit_groups: h.implicit_groups.clone(),
            superuser: h.superuser,
            in_input: h.in_input,
            cluster_wide: h.cluster.iter().map(|r| self.held(r)).collect(),
            namespaces: h
                .namespaces
                .iter()
                .map(|(ns, rules)| (ns.clone(), rules.iter().map(|r| self.held(r)).collect()))
                .collect(),
        }
    }

    /// Explains the differences between two identities.
    pub fn diff(
        &self,
        left: &Holdings,
        right: &Holdings,
        only_left: &[Difference],
        only_right: &[Difference],
    ) -> DiffView {
        let view = |d: &Difference| DifferenceView {
            scope: d.scope.to_string(),
            permission: d.permission.to_string(),
            granted_by: self.held(&d.from).ground,
        };
        DiffView {
            left: NodeRef::subject(&left.subject),
            right: NodeRef::subject(&right.subject),
            only_left: only_left.iter().map(view).collect(),
            only_right: only_right.iter().map(view).collect(),
        }
    }
}
