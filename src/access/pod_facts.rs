//! What the access graph needs to know of a pod, and no more: its
//! namespace and node, the ServiceAccounts whose tokens its containers can
//! read, and whether it can take its node.
//!
//! The workloads layer (`crate::workloads`), which reads pod specs, comes
//! after access and implements [`PodFacts`] for what it finds; access only
//! states what it needs, so that it never reads a later layer.

/// What a pod gives away, as the access graph sees it.
pub trait PodFacts {
    /// The pod's namespace.
    fn namespace(&self) -> &str;

    /// The nodes it runs on: a pod's own (`spec.nodeName`), when
    /// scheduled; the nodes a controller's template may land on.
    fn nodes(&self) -> impl Iterator<Item = &str>;

    /// Whether its tokens are on each of [`PodFacts::nodes`] (a pod on its
    /// node, a DaemonSet's template on every node it lands on), rather than
    /// on one of them to come (another controller's template).
    fn on_every_node(&self) -> bool;

    /// The ServiceAccount it runs as (`spec.serviceAccountName`, else
    /// `default`), as (namespace, name): a cloud identity federated with
    /// it is the pod's, token or not.
    fn service_account(&self) -> (&str, &str);

    /// Each ServiceAccount whose token a container of the pod can send to
    /// the API server, as (namespace, name, how the token is read: its
    /// source's stable name), in the pod's order; an account may repeat.
    /// Tokens read only from the node's kubelet directory are not listed:
    /// the node's own step covers them.
    fn api_tokens(&self) -> impl Iterator<Item = (&str, &str, &'static str)>;

    /// Every ServiceAccount the pod's tokens belong to, as (namespace,
    /// name), whether the API server accepts the token or not.
    fn token_accounts(&self) -> impl Iterator<Item = (&str, &str)>;

    /// Why the pod can take over its node, if it can: `code: detail` of the
    /// first amplifier that escapes.
    fn escape(&self) -> Option<String>;
}

/// A pod that cannot exist: the type of "no pods" (`&[] as &[NoPod]`), for
/// the graph of RBAC alone.
#[derive(Debug, Clone, Copy)]
pub enum NoPod {}

impl PodFacts for NoPod {
    fn namespace(&self) -> &str {
        match *self {}
    }

    fn nodes(&self) -> impl Iterator<Item = &str> {
        std::iter::empty()
    }

    fn on_every_node(&self) -> bool {
        match *self {}
    }

    fn service_account(&self) -> (&str, &str) {
        match *self {}
    }

    fn api_tokens(&self) -> impl Iterator<Item = (&str, &str, &'static str)> {
        std::iter::empty()
    }

    fn token_accounts(&self) -> impl Iterator<Item = (&str, &str)> {
        std::iter::empty()
    }

    fn escape(&self) -> Option<String> {
        match *self {}
    }
}

/// No pods, for the graph of RBAC alone.
pub const NO_PODS: &[NoPod] = &[];
