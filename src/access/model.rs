//! The access graph's vocabulary: its nodes, its edges, and the steps of
//! an attack with the techniques they use and the rules that grant them.
//! The graph (`super::graph`) holds them; the techniques
//! (`super::techniques`) find the steps; paths and explanations read them.
//! Pure data: no I/O.

use std::borrow::Cow;

use serde::Serialize;

use crate::rbac::{BindingId, RoleId, Scope, SubjectId};

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
    /// A cloud identity a ServiceAccount is federated with (IRSA, GKE or
    /// Azure Workload Identity): a door out of the cluster.
    Cloud {
        /// `aws`, `gcp` or `azure`.
        provider: &'static str,
        /// The role ARN, Google service account or Azure client id.
        id: String,
    },
    /// Any cloud identity (`paths --to cloud`).
    AnyCloud,
}

impl Node {
    /// The group's name, when the node is a group.
    pub fn group_name(&self) -> Option<&str> {
        match self {
            Node::Subject(SubjectId::Group { name }) => Some(name),
            _ => None,
        }
    }
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
    /// Root on a control-plane node reads the cluster CA key and the admin
    /// credentials there: cluster-admin-equivalent power.
    ControlPlaneNode,
    /// Reading a legacy token Secret yields its ServiceAccount's token.
    ReadSecrets,
    /// A legacy token Secret created for a ServiceAccount is filled in by
    /// the token controller, and read back.
    MintToken,
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
    /// Running as, or holding a token minted for, a ServiceAccount
    /// federated with a cloud identity yields that identity.
    CloudIdentity,
    /// Writing a custom resource that an operator of the catalog acts on
    /// (applies as itself, runs as pods, copies secrets for) gains what the
    /// operator does.
    Operator,
    /// Cluster-admin-equivalent power reaches every target.
    Anything,
}

impl Technique {
    /// The technique's stable kebab-case name, as JSON writes it.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Every technique, for documentation and tests.
    pub const ALL: [Technique; 23] = [
        Technique::MemberOf,
        Technique::HoldsEverything,
        Technique::CreateWorkloads,
        Technique::PrivilegedPod,
        Technique::LiftPodSecurity,
        Technique::ControlPods,
        Technique::PodToken,
        Technique::EscapeToNode,
        Technique::NodeToken,
        Technique::ControlPlaneNode,
        Technique::ReadSecrets,
        Technique::MintToken,
        Technique::RequestToken,
        Technique::Impersonate,
        Technique::Bind,
        Technique::Escalate,
        Technique::ApproveCsr,
        Technique::NodeProxy,
        Technique::AdmissionWebhook,
        Technique::AwsAuth,
        Technique::CloudIdentity,
        Technique::Operator,
        Technique::Anything,
    ];
}

/// One rule that grants a step: the binding (none for a role bound by the
/// attacker itself), the group it reaches the holder through, the role and
/// the index of the rule in the role's effective rules.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StepGrant {
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
    pub grounds: Vec<StepGrant>,
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
