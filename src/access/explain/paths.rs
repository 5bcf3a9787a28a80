//! The answer of `paths`: each route and each of its steps explained in
//! one sentence that names the objects granting it.

use k8s_openapi::api::rbac::v1::PolicyRule;
use serde::Serialize;

use super::naming::{GroundView, Namer, NodeRef};
use crate::access::cut::{Outcome, Unit};
use crate::access::model::{Edge, Node, Technique};
use crate::access::paths::{Route, RouteStep};
use crate::rbac::SubjectId;
use crate::snapshot::ObjectKey;
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
    /// Every rule of every step comes from the bootstrap policy, or the
    /// route starts at one of the control plane's own identities (see
    /// [`Namer::is_control_plane`]): not a problem to fix where it starts.
    pub bootstrap_default: bool,
    /// When the steps stop short of `to`: where the route goes on, whose
    /// own route (reported on its own) has the rest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub continues_as: Option<Continuation>,
    /// What removing the route's first removable binding does (`scan`'s
    /// route findings only): closes the route, or leaves another.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_binding: Option<FirstBindingCut>,
}

/// What removing a route's first removable binding (the first of its
/// steps' grants that is not a bootstrap default) does to the route.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FirstBindingCut {
    /// The binding.
    pub binding: ObjectKey,
    /// No route is left from the source without the steps the binding
    /// grants (as the graph records them: a second binding granting the
    /// same permission is not seen; `paths --cut` checks it).
    pub closed_by_first_binding: bool,
    /// The shortest route left, when one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub other_route: Option<OtherRoute>,
}

/// A route left after a removal.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OtherRoute {
    /// Its number of steps.
    pub hops: usize,
}

/// What to remove: a whole binding, or one rule of a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RemovalKind {
    /// The whole RoleBinding or ClusterRoleBinding.
    Binding,
    /// One rule of a Role or ClusterRole.
    Rule,
}

/// One grant of the cut to remove, and the routes it closes.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RemovalView {
    /// A binding, or a rule of a role.
    pub remove: RemovalKind,
    /// The binding to remove (`binding`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub binding: Option<ObjectKey>,
    /// The role: the binding's, or the one the rule is removed from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<ObjectKey>,
    /// The rule's index in the role's effective rules (`rule`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_index: Option<usize>,
    /// The rule (`rule`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<PolicyRule>,
    /// The sources whose routes go through it, of those the cut closes.
    pub closes: Vec<NodeRef>,
    /// The removal in words.
    pub text: String,
}

/// The smallest set of grants to remove that closes every route from the
/// listed sources (`paths --cut`).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CutView {
    /// Every route of the listed sources can be closed (none is made of
    /// steps that no removal takes away).
    pub closable: bool,
    /// The grants to remove: fewest first found by a minimum cut.
    pub removals: Vec<RemovalView>,
    /// Sources with a route that no removal closes (bootstrap defaults,
    /// memberships, pods' tokens alone): the cut leaves them out.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unclosable: Vec<NodeRef>,
    /// The graph built again without the removals has no route left from
    /// the other sources.
    pub verified: bool,
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
        let bootstrap_default =
            bootstrap_default || self.is_control_plane(self.graph.node_at(route.from));
        PathView {
            from: self.node(self.graph.node_at(route.from)),
            to: self.node(target),
            hops: route.steps.len(),
            steps,
            bootstrap_default,
            continues_as,
            first_binding: None,
        }
    }

    /// Names a cut (`paths --cut`).
    pub fn cut(&self, outcome: &Outcome) -> CutView {
        let names = |ns: &[petgraph::graph::NodeIndex]| -> Vec<NodeRef> {
            ns.iter()
                .map(|&n| self.node(self.graph.node_at(n)))
                .collect()
        };
        let removals = (outcome.removals.iter())
            .map(|(unit, on)| {
                let closes = names(on);
                match *unit {
                    Unit::Binding(b) => {
                        let binding = self.rbac.binding(b);
                        let role = binding
                            .role
                            .as_ref()
                            .ok()
                            .map(|r| self.rbac.role(*r).key.clone());
                        RemovalView {
                            remove: RemovalKind::Binding,
                            text: format!("remove {}", binding.key),
                            binding: Some(binding.key.clone()),
                            role,
                            rule_index: None,
                            rule: None,
                            closes,
                        }
                    }
                    Unit::Rule(r, i) => {
                        let role = self.rbac.role(r);
                        let rule = role.rules.get(i).map(|e| e.rule.clone());
                        RemovalView {
                            remove: RemovalKind::Rule,
                            text: format!("remove rule #{i} of {}", role.key),
                            binding: None,
                            role: Some(role.key.clone()),
                            rule_index: Some(i),
                            rule,
                            closes,
                        }
                    }
                }
            })
            .collect();
        CutView {
            closable: outcome.unclosable.is_empty(),
            removals,
            unclosable: names(&outcome.unclosable),
            verified: outcome.verified,
        }
    }

    /// Whether `node` is one of the control plane's own identities, whose
    /// credentials live beside the cluster's CA key: the users of
    /// kube-controller-manager, kube-scheduler and the API server itself,
    /// and the ServiceAccounts kube-controller-manager's controllers run as
    /// (`kube-system/NAME`, bound by the bootstrap policy's
    /// `system:controller:NAME`). A route from them is no problem to fix
    /// there; its later steps are reported from the identities that matter.
    pub fn is_control_plane(&self, node: &Node) -> bool {
        match node {
            Node::Subject(SubjectId::User { name }) => matches!(
                name.as_str(),
                "system:kube-controller-manager" | "system:kube-scheduler" | "system:apiserver"
            ),
            Node::Subject(sa @ SubjectId::ServiceAccount { namespace, .. })
                if namespace == "kube-system" =>
            {
                (self.graph.bindings_reaching(sa).iter())
                    .filter(|r| r.via_group.is_none())
                    .map(|r| self.rbac.binding(r.binding))
                    .any(|b| b.default && b.key.name.starts_with("system:controller:"))
            }
            _ => false,
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

#[expect(
    clippy::too_many_arguments,
    reason = "a sentence names the step, its ends, its pod and its grounds"
)]
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
        Technique::ControlPlaneNode => format!(
            "{from} runs the control plane ({}): root there reads the cluster CA key and the admin credentials, cluster-admin-equivalent power",
            because.unwrap_or("control-plane node")
        ),
        Technique::ReadSecrets => match (secret.or(because), to.kind) {
            (Some(sec), "ServiceAccount") => {
                format!("{can}, so it can read secret {sec}, a token of {to}")
            }
            _ => format!("{can}, so it can read {to}"),
        },
        Technique::MintToken => format!(
            "{can}, so it can create a legacy token Secret for {to}, which the token controller fills in, and read it back"
        ),
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
        Technique::ApproveCsr => match (to.kind, because) {
            ("Group", Some(subject)) => format!(
                "{can}, so it can issue itself a client certificate with {subject} (the API server refuses O=system:masters) and act as a member of {to}"
            ),
            (_, Some(subject)) => format!(
                "{can}, so it can issue itself a client certificate with {subject} (the API server refuses O=system:masters) and act as {to}"
            ),
            _ => format!("{can}, so it can issue itself a client certificate and act as {to}"),
        },
        Technique::NodeProxy => {
            format!("{can}, so it can run commands in every pod of {to} through the kubelet API")
        }
        Technique::AdmissionWebhook => format!(
            "{can}, so it can see and rewrite every API request: cluster-admin-equivalent power"
        ),
        Technique::AwsAuth => format!("{can}, so it can map an IAM identity to {to} (EKS)"),
        Technique::CloudIdentity => {
            let account = because.unwrap_or("a ServiceAccount federated with it");
            match from.kind {
                "Node" => format!(
                    "{from} holds the tokens of a pod that runs as {account}, so it can act as {to}"
                ),
                "NewPods" => format!("{from} can run as {account}, so it can act as {to}"),
                _ => format!("{from} runs as {account}, so it can act as {to}"),
            }
        }
        Technique::Operator => format!(
            "{can}, and {}: so it gains {to}",
            because.unwrap_or("an operator acts on it")
        ),
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
    /// The grants to remove to close every listed route (`--cut`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cut: Option<CutView>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::build_graph;
    use crate::access::graph::AccessGraph;
    use crate::access::paths::Toward;
    use crate::access::pod_facts::NO_PODS;
    use crate::rbac::Rbac;
    use crate::source::files::Loader;

    /// A real server's bootstrap policy, and a ServiceAccount `apps/deployer`
    /// bound to cluster-admin by the cluster's owner (not a default).
    fn cluster() -> crate::snapshot::Snapshot {
        let mut l = Loader::new();
        l.add_text(
            "default-cluster.yaml",
            include_str!("../../../tests/fixtures/real-apiserver-1.28/default-cluster.yaml"),
        )
        .expect("the real server's policy reads");
        l.add_text(
            "mine.yaml",
            r#"
apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: ServiceAccount, metadata: {name: deployer, namespace: apps}}
- {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: deployer}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}, subjects: [{kind: ServiceAccount, name: deployer, namespace: apps}]}
- {apiVersion: rbac.authorization.k8s.io/v1, kind: Role, metadata: {name: pods, namespace: apps}, rules: [{apiGroups: [""], resources: [pods], verbs: [create]}]}
- {apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: pods, namespace: apps}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pods}, subjects: [{kind: User, name: dev}]}
"#,
        )
        .expect("the added objects read");
        l.finish().expect("the cluster loads").snapshot
    }

    fn route_from(g: &AccessGraph, rbac: &Rbac<'_>, from: &Node) -> PathView {
        let admin = g.find(&Node::ClusterAdmin).expect("a sink");
        let toward = Toward::search(g, admin);
        let source = g.find(from).expect("the source has a node");
        let route = toward.route(g, source).expect("a route");
        let namer = Namer {
            rbac,
            graph: g,
            pods: &[],
            templates: &[],
        };
        namer.route(&route, &Node::ClusterAdmin)
    }

    #[test]
    fn a_route_from_a_controllers_own_service_account_is_a_default() {
        let snap = cluster();
        let rbac = Rbac::resolve(&snap);
        let g = build_graph(&snap, &rbac, NO_PODS);
        // kube-controller-manager's replicaset controller creates pods in
        // every namespace (bootstrap policy), apps/deployer among them:
        // a route whose last step is the owner's binding, but which starts
        // where the CA key lives.
        let controller = Node::Subject(SubjectId::ServiceAccount {
            namespace: "kube-system".into(),
            name: "replicaset-controller".into(),
        });
        let from_controller = route_from(&g, &rbac, &controller);
        assert!(from_controller.bootstrap_default, "{from_controller:?}");
        // The same last step from a user the owner bound is a problem.
        let dev = Node::Subject(SubjectId::User { name: "dev".into() });
        let from_dev = route_from(&g, &rbac, &dev);
        assert!(!from_dev.bootstrap_default, "{from_dev:?}");
        // The control plane's users are its own as well.
        let namer = Namer {
            rbac: &rbac,
            graph: &g,
            pods: &[],
            templates: &[],
        };
        for user in ["system:kube-controller-manager", "system:kube-scheduler"] {
            let n = Node::Subject(SubjectId::User { name: user.into() });
            assert!(namer.is_control_plane(&n), "{user}");
        }
        let n = Node::Subject(SubjectId::ServiceAccount {
            namespace: "kube-system".into(),
            name: "my-operator".into(),
        });
        assert!(!namer.is_control_plane(&n));
    }
}
