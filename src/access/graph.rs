//! The access graph: one `petgraph` graph holding who is bound to what and
//! who can become whom.
//!
//! Its nodes are identities (users, groups, ServiceAccounts), bindings,
//! roles, pods, Kubernetes nodes, a few *capability* nodes that stand for a
//! whole namespace ("any pod created in `ci`", "any Secret of `ci`"), and the
//! sink, cluster-admin-equivalent power. Its edges are of two families:
//!
//! - the RBAC index, walked by `who-can`, `access` and the risk analysis:
//!   subject → binding that names it ([`Edge::NamedIn`]), binding → role
//!   ([`Edge::RefersTo`]), identity → implicit group ([`Edge::MemberOf`]);
//! - the attack edges, walked by `paths`: each [`Edge::Step`] says that its
//!   source can gain its target, and carries the permissions and the exact
//!   binding → role → rule that grant it; [`Edge::Then`] edges (free) lead
//!   from a capability node to the concrete objects it stands for.
//!
//! Capability nodes keep the graph linear in the size of the cluster: a
//! subject that may create pods everywhere gets one edge to "new pods in any
//! namespace", not one edge per ServiceAccount of the cluster.
//! How steps are found is in [`super::abuse`]. Pure: no I/O.

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use hashbrown::HashTable;
use hashbrown::hash_table::Entry;
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::hash::BuildHasher;

use petgraph::graph::{DiGraph, EdgeIndex, NodeIndex};
use petgraph::visit::EdgeRef;
use serde::Serialize;

use super::abuse;
use crate::rbac::subjects::MASTERS;
use crate::rbac::{BindingId, Rbac, RoleId, Scope, SubjectId};
use crate::snapshot::{SERVICE_ACCOUNT_NAME_ANNOTATION, Snapshot};
use crate::workloads::exposure::PodExposure;
use crate::workloads::tokens::TokenSource;

/// The label that sets a namespace's enforced Pod Security level.
pub const POD_SECURITY_ENFORCE_LABEL: &str = "pod-security.kubernetes.io/enforce";

/// A node of the access graph.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Node {
    /// A user, group or ServiceAccount.
    Subject(SubjectId),
    /// A RoleBinding or ClusterRoleBinding.
    Binding(BindingId),
    /// A Role or ClusterRole.
    Role(RoleId),
    /// A pod, by index in the snapshot's pods.
    Pod(usize),
    /// A Kubernetes node (a machine), by name.
    Host(String),
    /// Any node of the cluster.
    AnyHost,
    /// Pods of one's choosing created in a namespace (`None`: any namespace).
    NewPods(Option<String>),
    /// The existing pods of a namespace (`None`: of every namespace).
    Pods(Option<String>),
    /// The Secrets of a namespace (`None`: of every namespace).
    Secrets(Option<String>),
    /// Any ServiceAccount of a namespace (`None`: of every namespace).
    ServiceAccounts(Option<String>),
    /// A role bound by someone allowed to bind it, in this scope: whoever
    /// can create the binding holds what the role grants there.
    Bound(RoleId, Scope),
    /// Cluster-admin-equivalent power: a full wildcard cluster-wide, or
    /// membership of `system:masters`.
    ClusterAdmin,
}

/// How a step gains its target. Stable kebab-case names in JSON.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    schemars::JsonSchema,
    strum::IntoStaticStr,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum Technique {
    /// An identity is in a group without any binding saying so.
    MemberOf,
    /// Every verb on every resource of every group, cluster-wide.
    HoldsEverything,
    /// Creating pods, or a controller that creates them, runs code as any
    /// ServiceAccount of the namespace.
    CreateWorkloads,
    /// A pod created in a namespace whose Pod Security level lets
    /// privileged and hostPath pods in can take over a node.
    PrivilegedPod,
    /// Relabelling a namespace lifts its Pod Security level; with pod
    /// creation there, a privileged pod takes over a node.
    LiftPodSecurity,
    /// exec, attach, ephemeral containers, or replacing a pod's image runs
    /// code inside existing pods, with their tokens.
    ControlPods,
    /// A pod's containers can read a ServiceAccount token.
    PodToken,
    /// A pod can escape to its node (privileged, host namespaces, hostPath).
    EscapeToNode,
    /// A node holds the tokens of every pod it runs.
    NodeToken,
    /// Reading a legacy token Secret yields its ServiceAccount's token.
    ReadSecrets,
    /// A TokenRequest mints a token for a ServiceAccount.
    RequestToken,
    /// Impersonation acts as another user, group or ServiceAccount.
    Impersonate,
    /// `bind` with the right to create bindings grants a role's power.
    Bind,
    /// `escalate` with the right to update roles grants any permission.
    Escalate,
    /// Creating and approving a CSR for the `kube-apiserver-client` signer
    /// yields a client certificate for any identity, `system:masters` too.
    ApproveCsr,
    /// `nodes/proxy` reaches the kubelet API: commands in every pod of a node.
    NodeProxy,
    /// An admission webhook sees, and may rewrite, every request.
    AdmissionWebhook,
    /// The EKS `aws-auth` ConfigMap maps IAM identities to groups such as
    /// `system:masters`.
    AwsAuth,
    /// Cluster-admin-equivalent power reaches every target.
    Anything,
}

impl Technique {
    /// The technique's stable kebab-case name, as JSON writes it.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Every technique, for documentation and tests.
    pub const ALL: [Technique; 19] = [
        Technique::MemberOf,
        Technique::HoldsEverything,
        Technique::CreateWorkloads,
        Technique::PrivilegedPod,
        Technique::LiftPodSecurity,
        Technique::ControlPods,
        Technique::PodToken,
        Technique::EscapeToNode,
        Technique::NodeToken,
        Technique::ReadSecrets,
        Technique::RequestToken,
        Technique::Impersonate,
        Technique::Bind,
        Technique::Escalate,
        Technique::ApproveCsr,
        Technique::NodeProxy,
        Technique::AdmissionWebhook,
        Technique::AwsAuth,
        Technique::Anything,
    ];
}

/// One rule that grants a step: the binding (none for a role bound by the
/// attacker itself), the group it reaches the holder through, the role and
/// the index of the rule in the role's effective rules.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ground {
    /// The binding.
    pub binding: Option<BindingId>,
    /// The group through which the binding reaches the holder, if not
    /// directly (shared: every rule of the binding names the same group).
    pub via_group: Option<std::sync::Arc<str>>,
    /// The role.
    pub role: RoleId,
    /// The rule's index in the role's effective rules.
    pub rule: usize,
}

/// One step of an attack: what it uses and what grants it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// How the target is gained.
    pub how: Technique,
    /// The permissions used, as `verb resource` (`create pods/exec`).
    pub permissions: Vec<String>,
    /// Where they are held: a namespace, or `None` for cluster-wide.
    pub namespace: Option<String>,
    /// The rules that grant them.
    pub grounds: Vec<Ground>,
    /// The pod involved (a node's pod that holds the token, a pod that escapes).
    pub pod: Option<usize>,
    /// What makes it possible when it is not a permission (an amplifier, a
    /// Pod Security level, a token's source).
    pub because: Option<String>,
}

impl Step {
    /// A step granted by nothing but the cluster's own behaviour.
    pub fn implicit(how: Technique) -> Step {
        Step {
            how,
            permissions: Vec::new(),
            namespace: None,
            grounds: Vec::new(),
            pod: None,
            because: None,
        }
    }
}

/// An edge of the access graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edge {
    /// Identity → a group it is in without any binding saying so.
    MemberOf,
    /// Subject → a binding that names it.
    NamedIn,
    /// Binding → the role it references.
    RefersTo,
    /// Source → what it can gain, and how.
    Step(Box<Step>),
    /// A step through a pod, granted by no permission: a pod's token, a
    /// node's pod's token, a pod's escape to its node. There is one per pod
    /// and token: kept small, made a [`Step`] when one is asked for.
    Pod(PodStep),
    /// Capability node → one of the objects it stands for (free).
    Then {
        /// The Secret through which a token is read, for Secrets → ServiceAccount.
        secret: Option<String>,
    },
}

/// A step through a pod (see [`Edge::Pod`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodStep {
    /// [`Technique::PodToken`], [`Technique::NodeToken`] or [`Technique::EscapeToNode`].
    pub how: Technique,
    /// The pod, by index in the snapshot's pods.
    pub pod: u32,
    /// What makes it possible (a token's source, an amplifier).
    pub because: Option<Box<str>>,
}

impl Edge {
    /// The step the edge takes, if it is one: a pod's step is made whole.
    pub fn step(&self) -> Option<Cow<'_, Step>> {
        match self {
            Edge::Step(st) => Some(Cow::Borrowed(&**st)),
            Edge::Pod(p) => Some(Cow::Owned(Step {
                pod: Some(p.pod as usize),
                because: p.because.as_deref().map(str::to_string),
                ..Step::implicit(p.how)
            })),
            _ => None,
        }
    }

    /// The cost of the edge in a path: a step or membership costs one, the
    /// expansion of a capability node nothing; the RBAC index is not an
    /// attack edge.
    pub fn cost(&self) -> Option<u32> {
        match self {
            Edge::MemberOf | Edge::Step(_) | Edge::Pod(_) => Some(1),
            Edge::Then { .. } => Some(0),
            Edge::NamedIn | Edge::RefersTo => None,
        }
    }
}

/// A binding that reaches a subject, and the group it reaches it through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reach {
    /// The binding.
    pub binding: BindingId,
    /// `None` when the binding names the subject itself, else the group.
    pub via_group: Option<String>,
}

/// The access graph of a snapshot.
#[derive(Debug)]
pub struct AccessGraph {
    graph: DiGraph<Node, Edge>,
    /// Each node's index, found by the node's hash: a node is kept once, in
    /// the graph (a map from node to index held a second copy of each).
    index: HashTable<NodeIndex>,
    hasher: foldhash::fast::RandomState,
    /// Every namespace the snapshot mentions, sorted.
    namespaces: BTreeSet<String>,
}

impl AccessGraph {
    /// Builds the whole graph: the RBAC index, then the attack edges.
    pub fn build(snapshot: &Snapshot, rbac: &Rbac<'_>, exposures: &[PodExposure<'_>]) -> Self {
        let mut g = Self::rbac_index(snapshot, rbac, exposures);
        g.add_capability_expansions(snapshot, exposures);
        abuse::add_steps(&mut g, snapshot, rbac);
        g.add_memberships();
        g
    }

    /// Builds the RBAC index alone (no attack edges): enough for `who-can`
    /// and `access`, in a fraction of the time.
    pub fn build_index(
        snapshot: &Snapshot,
        rbac: &Rbac<'_>,
        exposures: &[PodExposure<'_>],
    ) -> Self {
        let mut g = Self::rbac_index(snapshot, rbac, exposures);
        g.add_memberships();
        g
    }

    fn rbac_index(snapshot: &Snapshot, rbac: &Rbac<'_>, exposures: &[PodExposure<'_>]) -> Self {
        let accounts = known_service_accounts(snapshot, exposures);
        // Room for the index and, roughly, the pods' nodes and token edges.
        let nodes = rbac.roles.len() + 2 * rbac.bindings.len() + accounts.len() + exposures.len();
        let edges = 3 * rbac.bindings.len() + 3 * exposures.len();
        let mut g = AccessGraph {
            graph: DiGraph::with_capacity(nodes, edges),
            index: HashTable::with_capacity(nodes),
            hasher: foldhash::fast::RandomState::default(),
            namespaces: BTreeSet::new(),
        };
        for i in 0..rbac.roles.len() {
            g.node(Node::Role(RoleId(i)));
        }
        for (i, b) in rbac.bindings.iter().enumerate() {
            let node = g.node(Node::Binding(BindingId(i)));
            if let Ok(role) = b.role {
                let r = g.find(&Node::Role(role)).expect("every role has a node");
                g.graph.add_edge(node, r, Edge::RefersTo);
            }
            for s in &b.subjects {
                let sn = g.node(Node::Subject(s.clone()));
                g.graph.add_edge(sn, node, Edge::NamedIn);
            }
            if let Scope::Namespace(ns) = &b.scope {
                g.namespaces.insert(ns.clone());
            }
        }
        for sa in accounts {
            if let SubjectId::ServiceAccount { namespace, .. } = &sa {
                g.namespaces.insert(namespace.clone());
            }
            g.node(Node::Subject(sa));
        }
        for ns in &snapshot.namespaces {
            if let Some(name) = &ns.metadata.name {
                g.namespaces.insert(name.clone());
            }
        }
        for r in &rbac.roles {
            if !r.key.namespace.is_empty() {
                g.namespaces.insert(r.key.namespace.clone());
            }
        }
        let admin = g.node(Node::ClusterAdmin);
        let masters = g.node(Node::Subject(SubjectId::group(MASTERS)));
        g.graph
            .add_edge(masters, admin, Edge::Then { secret: None });
        g
    }

    /// The node for `node`, added if absent.
    pub(super) fn node(&mut self, node: Node) -> NodeIndex {
        let (graph, hasher) = (&mut self.graph, &self.hasher);
        let hash = hasher.hash_one(&node);
        let entry = self
            .index
            .entry(hash, |&i| graph[i] == node, |&i| hasher.hash_one(&graph[i]));
        match entry {
            Entry::Occupied(e) => *e.get(),
            Entry::Vacant(e) => *e.insert(graph.add_node(node)).get(),
        }
    }

    /// Adds a step edge.
    pub(super) fn add_step(&mut self, from: NodeIndex, to: NodeIndex, step: Step) {
        self.graph.add_edge(from, to, Edge::Step(Box::new(step)));
    }

    /// Adds a step through pod `pod`.
    fn add_pod_step(
        &mut self,
        from: NodeIndex,
        to: NodeIndex,
        how: Technique,
        pod: usize,
        because: Option<Box<str>>,
    ) {
        let pod = u32::try_from(pod).expect("fewer than 2^32 pods");
        (self.graph).add_edge(from, to, Edge::Pod(PodStep { how, pod, because }));
    }

    fn then(&mut self, from: NodeIndex, to: NodeIndex) {
        self.graph.add_edge(from, to, Edge::Then { secret: None });
    }

    /// Every namespace the snapshot mentions.
    pub fn namespaces(&self) -> &BTreeSet<String> {
        &self.namespaces
    }

    /// The index of a node, if the graph has it.
    pub fn find(&self, node: &Node) -> Option<NodeIndex> {
        let hash = self.hasher.hash_one(node);
        self.index.find(hash, |&i| self.graph[i] == *node).copied()
    }

    /// The node at `i`.
    pub fn node_at(&self, i: NodeIndex) -> &Node {
        &self.graph[i]
    }

    /// The edge at `e`, with its ends.
    pub fn edge_at(&self, e: EdgeIndex) -> (NodeIndex, NodeIndex, &Edge) {
        let (a, b) = self.graph.edge_endpoints(e).expect("edge of this graph");
        (a, b, &self.graph[e])
    }

    /// The underlying graph, for searches.
    pub fn graph(&self) -> &DiGraph<Node, Edge> {
        &self.graph
    }

    /// Every subject in the graph, sorted.
    pub fn subjects(&self) -> Vec<&SubjectId> {
        let mut v: Vec<&SubjectId> = (self.graph.node_weights())
            .filter_map(|n| match n {
                Node::Subject(s) => Some(s),
                _ => None,
            })
            .collect();
        v.sort();
        v
    }

    /// The subjects the risk analysis evaluates: every ServiceAccount, and
    /// every user and group some binding names (not those that appear only
    /// as the target of an impersonation).
    pub fn bound_subjects(&self) -> Vec<&SubjectId> {
        let mut v: Vec<&SubjectId> = (self.graph.node_indices())
            .filter_map(|i| match &self.graph[i] {
                Node::Subject(s @ SubjectId::ServiceAccount { .. }) => Some(s),
                Node::Subject(s) => self
                    .graph
                    .edges(i)
                    .any(|e| matches!(e.weight(), Edge::NamedIn))
                    .then_some(s),
                _ => None,
            })
            .collect();
        v.sort();
        v
    }

    /// Every binding that applies to `subject`, directly or through its
    /// implicit groups, in binding order. `subject` need not be in the graph.
    pub fn bindings_reaching(&self, subject: &SubjectId) -> Vec<Reach> {
        let mut out = Vec::new();
        let mut named_in = |s: &SubjectId, via: Option<&String>| {
            let Some(n) = self.find(&Node::Subject(s.clone())) else {
                return;
            };
            for e in self.graph.edges(n) {
                if let (Edge::NamedIn, Node::Binding(b)) = (e.weight(), &self.graph[e.target()]) {
                    out.push(Reach {
                        binding: *b,
                        via_group: via.cloned(),
                    });
                }
            }
        };
        named_in(subject, None);
        for g in subject.implicit_groups() {
            named_in(&SubjectId::group(&g), Some(&g));
        }
        out.sort_by(|a, b| {
            a.binding
                .cmp(&b.binding)
                .then(a.via_group.cmp(&b.via_group))
        });
        out.dedup_by(|a, b| a.binding == b.binding);
        out
    }

    /// The bindings that reference a role, in binding order.
    pub fn bindings_of(&self, role: RoleId) -> Vec<BindingId> {
        let Some(r) = self.find(&Node::Role(role)) else {
            return Vec::new();
        };
        let mut v: Vec<BindingId> = self
            .graph
            .edges_directed(r, petgraph::Direction::Incoming)
            .filter_map(|e| match (e.weight(), &self.graph[e.source()]) {
                (Edge::RefersTo, Node::Binding(b)) => Some(*b),
                _ => None,
            })
            .collect();
        v.sort();
        v
    }

    /// The subjects a binding names.
    pub fn subjects_of(&self, binding: BindingId) -> Vec<&SubjectId> {
        let Some(b) = self.find(&Node::Binding(binding)) else {
            return Vec::new();
        };
        self.graph
            .neighbors_directed(b, petgraph::Direction::Incoming)
            .filter_map(|n| match &self.graph[n] {
                Node::Subject(s) => Some(s),
                _ => None,
            })
            .collect()
    }

    /// Capability nodes and the objects they stand for: any namespace →
    /// each namespace; new pods → the ServiceAccounts they can run as, and
    /// the nodes where Pod Security lets a privileged pod in; existing pods,
    /// Secrets (legacy token secrets → their ServiceAccount), nodes; and
    /// each pod's tokens and escape to its node.
    fn add_capability_expansions(&mut self, snapshot: &Snapshot, exposures: &[PodExposure<'_>]) {
        let namespaces: Vec<String> = self.namespaces.iter().cloned().collect();
        let any_host = self.node(Node::AnyHost);
        let enforce: HashMap<&str, &str> = snapshot
            .namespaces
            .iter()
            .filter_map(|n| {
                let level = n
                    .metadata
                    .labels
                    .as_ref()
                    .and_then(|l| l.get(POD_SECURITY_ENFORCE_LABEL))
                    .map_or("privileged", String::as_str);
                Some((n.metadata.name.as_deref()?, level))
            })
            .collect();
        for all in [
            Node::NewPods(None),
            Node::Pods(None),
            Node::Secrets(None),
            Node::ServiceAccounts(None),
        ] {
            let from = self.node(all.clone());
            for ns in &namespaces {
                let to = self.node(match &all {
                    Node::NewPods(_) => Node::NewPods(Some(ns.clone())),
                    Node::Pods(_) => Node::Pods(Some(ns.clone())),
                    Node::Secrets(_) => Node::Secrets(Some(ns.clone())),
                    _ => Node::ServiceAccounts(Some(ns.clone())),
                });
                self.then(from, to);
            }
        }
        for ns in &namespaces {
            let new_pods = self.node(Node::NewPods(Some(ns.clone())));
            let sas = self.node(Node::ServiceAccounts(Some(ns.clone())));
            self.then(new_pods, sas);
            // Without the Namespace object the level is unknown: the
            // API server's default is privileged.
            let level = enforce.get(ns.as_str()).copied().unwrap_or("privileged");
            if level == "privileged" || level.is_empty() {
                let because = match enforce.get(ns.as_str()) {
                    Some(_) => format!("namespace {ns} enforces no Pod Security level"),
                    None => format!(
                        "the Pod Security level of namespace {ns} is unknown (Namespaces not in the input) and defaults to privileged"
                    ),
                };
                self.add_step(
                    new_pods,
                    any_host,
                    Step {
                        namespace: Some(ns.clone()),
                        because: Some(because),
                        ..Step::implicit(Technique::PrivilegedPod)
                    },
                );
            }
        }
        let mut sa_nodes: Vec<(&SubjectId, NodeIndex)> = (self.graph.node_indices())
            .filter_map(|i| match &self.graph[i] {
                Node::Subject(sa @ SubjectId::ServiceAccount { .. }) => Some((sa, i)),
                _ => None,
            })
            .collect();
        sa_nodes.sort();
        let sa_nodes: Vec<(String, NodeIndex)> = sa_nodes
            .into_iter()
            .filter_map(|(sa, i)| match sa {
                SubjectId::ServiceAccount { namespace, .. } => Some((namespace.clone(), i)),
                _ => None,
            })
            .collect();
        for (ns, sa) in sa_nodes {
            let from = self.node(Node::ServiceAccounts(Some(ns)));
            self.then(from, sa);
        }
        for s in &snapshot.secrets {
            let (Some(ns), Some(name), Some(sa)) = (
                s.metadata.namespace.as_ref(),
                s.metadata.name.as_ref(),
                s.metadata
                    .annotations
                    .as_ref()
                    .and_then(|a| a.get(SERVICE_ACCOUNT_NAME_ANNOTATION)),
            ) else {
                continue;
            };
            if s.type_
                .as_deref()
                .is_some_and(|t| t != crate::snapshot::SERVICE_ACCOUNT_TOKEN_TYPE)
            {
                continue;
            }
            let from = self.node(Node::Secrets(Some(ns.clone())));
            let to = self.node(Node::Subject(SubjectId::ServiceAccount {
                namespace: ns.clone(),
                name: sa.clone(),
            }));
            self.graph.add_edge(
                from,
                to,
                Edge::Then {
                    secret: Some(name.clone()),
                },
            );
        }
        // Pods share namespaces, nodes and ServiceAccounts: each node is
        // looked up once, by the borrowed name.
        let mut pods_in: HashMap<&str, NodeIndex> = HashMap::new();
        let mut hosts: HashMap<&str, NodeIndex> = HashMap::new();
        let mut accounts: HashMap<&crate::workloads::tokens::ServiceAccountRef, NodeIndex> =
            HashMap::new();
        for (i, p) in exposures.iter().enumerate() {
            let ns = p.pod.metadata.namespace.as_deref().unwrap_or_default();
            let pod = self.node(Node::Pod(i));
            let pods = *pods_in
                .entry(ns)
                .or_insert_with(|| self.node(Node::Pods(Some(ns.to_string()))));
            self.then(pods, pod);
            let host = p.node().map(|h| {
                *hosts
                    .entry(h)
                    .or_insert_with(|| self.node(Node::Host(h.to_string())))
            });
            if let Some(host) = host {
                self.then(any_host, host);
            }
            let mut seen: Vec<&crate::workloads::tokens::ServiceAccountRef> = Vec::new();
            for e in &p.tokens.exposures {
                if !e.api_access
                    || e.source == TokenSource::NodeHostPath
                    || seen.contains(&&e.service_account)
                {
                    continue;
                }
                seen.push(&e.service_account);
                let sa = *accounts
                    .entry(&e.service_account)
                    .or_insert_with(|| self.node(Node::Subject(e.service_account.subject())));
                let source = Some(e.source.as_str().into());
                self.add_pod_step(pod, sa, Technique::PodToken, i, source);
                if let Some(host) = host {
                    self.add_pod_step(host, sa, Technique::NodeToken, i, None);
                }
            }
            if let (Some(host), Some(a)) = (host, p.amplifiers.iter().find(|a| a.escape)) {
                let because = format!("{}: {}", a.code.as_str(), a.detail);
                let how = Technique::EscapeToNode;
                self.add_pod_step(pod, host, how, i, Some(because.into()));
            }
        }
    }

    /// Identity → implicit group, towards groups the graph has.
    fn add_memberships(&mut self) {
        let mut members: Vec<(SubjectId, NodeIndex)> = (self.graph.node_indices())
            .filter_map(|i| match &self.graph[i] {
                Node::Subject(s) => Some((s.clone(), i)),
                _ => None,
            })
            .collect();
        members.sort();
        for (s, n) in members {
            for g in s.implicit_groups() {
                if let Some(gn) = self.find(&Node::Subject(SubjectId::Group { name: g })) {
                    self.graph.add_edge(n, gn, Edge::MemberOf);
                }
            }
        }
    }
}

/// Every ServiceAccount that exists, or that a pod or a legacy token secret
/// names, sorted: each gets a node, so that its group bindings and the
/// routes to it are found.
fn known_service_accounts(snapshot: &Snapshot, exposures: &[PodExposure<'_>]) -> Vec<SubjectId> {
    // Pods name their ServiceAccount many times over: the pairs are made
    // unique before any identity is built, and sorted as the identities
    // would be (namespace, then name).
    fn ns(namespace: Option<&String>) -> &str {
        namespace.map_or("", String::as_str)
    }
    let mut unique: HashSet<(&str, &str)> = HashSet::with_capacity(snapshot.service_accounts.len());
    unique.extend((snapshot.service_accounts.iter()).map(|s| {
        (
            ns(s.metadata.namespace.as_ref()),
            s.metadata.name.as_deref().unwrap_or(""),
        )
    }));
    unique.extend(snapshot.pods.iter().map(|p| {
        (
            ns(p.metadata.namespace.as_ref()),
            crate::workloads::service_account_name(p),
        )
    }));
    unique.extend(snapshot.secrets.iter().filter_map(|s| {
        let name = s
            .metadata
            .annotations
            .as_ref()?
            .get(SERVICE_ACCOUNT_NAME_ANNOTATION)?;
        Some((ns(s.metadata.namespace.as_ref()), name.as_str()))
    }));
    unique.extend(exposures.iter().flat_map(|p| {
        (p.tokens.exposures.iter()).map(|e| {
            (
                e.service_account.namespace.as_str(),
                e.service_account.name.as_str(),
            )
        })
    }));
    let mut pairs: Vec<(&str, &str)> = unique.into_iter().collect();
    pairs.sort_unstable();
    pairs
        .into_iter()
        .map(|(namespace, name)| SubjectId::ServiceAccount {
            namespace: namespace.to_string(),
            name: name.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::files::Loader;

    #[test]
    fn a_pods_step_is_made_whole_with_its_pod_and_reason() {
        let edge = Edge::Pod(PodStep {
            how: Technique::EscapeToNode,
            pod: 7,
            because: Some("privileged-container: privileged: true".into()),
        });
        let whole = Step {
            pod: Some(7),
            because: Some("privileged-container: privileged: true".into()),
            ..Step::implicit(Technique::EscapeToNode)
        };
        assert_eq!(edge.step().as_deref(), Some(&whole));
        // It costs what the step it stands for costs.
        let boxed = Edge::Step(Box::new(whole));
        assert_eq!(edge.cost(), boxed.cost());
        assert!(matches!(boxed.step(), Some(Cow::Borrowed(_))));
        assert!(Edge::Then { secret: None }.step().is_none());
        assert!(Edge::MemberOf.step().is_none());
    }

    #[test]
    fn bindings_reach_service_accounts_directly_and_through_implicit_groups() {
        let yaml = r#"
apiVersion: v1
kind: List
items:
- {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: r}, rules: []}
- {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: all-sa}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}, subjects: [{kind: Group, name: "system:serviceaccounts"}]}
- {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: ns-sa}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}, subjects: [{kind: Group, name: "system:serviceaccounts:shop"}]}
- {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: other-ns}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}, subjects: [{kind: Group, name: "system:serviceaccounts:dev"}]}
- {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: authn}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}, subjects: [{kind: Group, name: "system:authenticated"}]}
- {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: unauthn}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}, subjects: [{kind: Group, name: "system:unauthenticated"}]}
- {apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: direct, namespace: shop}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}, subjects: [{kind: ServiceAccount, name: checkout}]}
- {apiVersion: v1, kind: ServiceAccount, metadata: {name: checkout, namespace: shop}}
"#;
        let mut l = Loader::new();
        l.add_text("t.yaml", yaml).unwrap();
        let snap = l.finish().unwrap().snapshot;
        let rbac = Rbac::resolve(&snap);
        let sa = SubjectId::ServiceAccount {
            namespace: "shop".into(),
            name: "checkout".into(),
        };
        let graph = AccessGraph::build_index(&snap, &rbac, &[]);
        let names: Vec<&str> = graph
            .bindings_reaching(&sa)
            .iter()
            .map(|r| rbac.binding(r.binding).key.name.as_str())
            .collect();
        assert_eq!(names, ["all-sa", "authn", "ns-sa", "direct"]);
        let anon = SubjectId::User {
            name: "system:anonymous".into(),
        };

        // Named by no binding: reached through its implicit group alone.
        let names: Vec<&str> = graph
            .bindings_reaching(&anon)
            .iter()
            .map(|r| rbac.binding(r.binding).key.name.as_str())
            .collect();
        assert_eq!(names, ["unauthn"]);
    }

    #[test]
    fn the_graph_walks_from_roles_back_to_bindings_and_subjects() {
        let yaml = r#"
apiVersion: v1
kind: List
items:
- {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: r}, rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]}
- {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: a}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}, subjects: [{kind: User, name: u1}, {kind: Group, name: g}]}
- {apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: b, namespace: ns}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}, subjects: [{kind: ServiceAccount, name: s}]}
"#;
        let mut l = Loader::new();
        l.add_text("t.yaml", yaml).unwrap();
        let snap = l.finish().unwrap().snapshot;
        let rbac = Rbac::resolve(&snap);
        let graph = AccessGraph::build_index(&snap, &rbac, &[]);
        let role = rbac.role_id(&rbac.role(RoleId(0)).key).unwrap();
        let bindings: Vec<&str> = graph
            .bindings_of(role)
            .into_iter()
            .map(|b| rbac.binding(b).key.name.as_str())
            .collect();
        assert_eq!(bindings, ["a", "b"]);
        let mut subjects: Vec<String> = graph
            .subjects_of(BindingId(0))
            .into_iter()
            .map(ToString::to_string)
            .collect();
        subjects.sort();
        assert_eq!(subjects, ["Group g", "User u1"]);
        assert!(graph.namespaces().contains("ns"));
        // The index has no attack edge; the full graph adds them.
        let index_edges = graph.graph().edge_count();
        let full = AccessGraph::build(&snap, &rbac, &[]);
        assert!(full.graph().edge_count() > index_edges);
        assert!(full.find(&Node::ClusterAdmin).is_some());
    }
}
