//! The capability nodes' expansions: from "any pod created in a
//! namespace", "the Secrets of a namespace" and the like to the objects
//! they stand for, and each pod's tokens and escape to its node.
//!
//! They are worked out against the RBAC index without changing it
//! ([`Expansions`]), so that the techniques can read the index on the other
//! cores meanwhile, and then added in one go.

use foldhash::{HashMap, HashMapExt};
use hashbrown::HashTable;
use hashbrown::hash_table::Entry;
use std::hash::BuildHasher;

use petgraph::graph::NodeIndex;

use super::AccessGraph;
use crate::access::model::{Edge, Node, POD_SECURITY_ENFORCE_LABEL, PodStep, Step, Technique};
use crate::access::pod_facts::PodFacts;
use crate::rbac::SubjectId;
use crate::snapshot::node::CONTROL_PLANE_LABELS;
use crate::snapshot::service_account::cloud_identities;
use crate::snapshot::{SERVICE_ACCOUNT_NAME_ANNOTATION, Snapshot};

/// The nodes and edges the expansions add to a graph, in the order found:
/// new nodes take the indices after the graph's last, as they would have
/// had, had each been added when found ([`AccessGraph::add_expansions`]).
#[derive(Debug)]
pub struct Expansions {
    /// How many nodes the graph had.
    base: usize,
    /// The new nodes, in order, each with its hash.
    nodes: Vec<(u64, Node)>,
    /// Positions in `nodes`, by hash.
    new: HashTable<usize>,
    /// The edges, in order.
    edges: Vec<(NodeIndex, NodeIndex, Edge)>,
}

impl Expansions {
    /// Whether they add an identity: then the techniques, which read the
    /// identities, must read the graph again once they are added.
    pub fn add_subjects(&self) -> bool {
        (self.nodes.iter()).any(|(_, n)| matches!(n, Node::Subject(_)))
    }
}

impl AccessGraph {
    /// The capability nodes' expansions of this graph (see the module's
    /// documentation), worked out without changing it.
    pub fn expansions<P: PodFacts>(&self, snapshot: &Snapshot, pods: &[P]) -> Expansions {
        let mut planner = Planner {
            g: self,
            x: Expansions {
                base: self.graph.node_count(),
                nodes: Vec::new(),
                new: HashTable::new(),
                edges: Vec::new(),
            },
        };
        planner.expand(snapshot, pods);
        planner.x
    }

    /// Adds `x`, worked out against this graph as it still is.
    pub fn add_expansions(&mut self, x: Expansions) {
        assert_eq!(x.base, self.graph.node_count(), "expansions of this graph");
        self.graph.reserve_nodes(x.nodes.len());
        self.graph.reserve_edges(x.edges.len());
        for (hash, node) in x.nodes {
            let i = super::added(&mut self.graph, &mut self.groups, node);
            let (graph, hasher) = (&self.graph, &self.hasher);
            self.index
                .insert_unique(hash, i, |&j| hasher.hash_one(&graph[j]));
        }
        for (from, to, edge) in x.edges {
            self.graph.add_edge(from, to, edge);
        }
    }
}

/// Works out [`Expansions`] against a graph it only reads.
struct Planner<'g> {
    g: &'g AccessGraph,
    x: Expansions,
}

impl Planner<'_> {
    /// The node for `node`: the graph's, or a new one, added once.
    fn node(&mut self, node: Node) -> NodeIndex {
        let g = self.g;
        let hash = g.hasher.hash_one(&node);
        if let Some(&i) = g.index.find(hash, |&i| g.graph[i] == node) {
            return i;
        }
        let Expansions {
            base, nodes, new, ..
        } = &mut self.x;
        let at = match new.entry(hash, |&k| nodes[k].1 == node, |&k| nodes[k].0) {
            Entry::Occupied(e) => *e.get(),
            Entry::Vacant(e) => {
                e.insert(nodes.len());
                nodes.push((hash, node));
                nodes.len() - 1
            }
        };
        NodeIndex::new(*base + at)
    }

    /// Every node, the graph's and then the new ones, with its index.
    fn nodes(&self) -> impl Iterator<Item = (NodeIndex, &Node)> {
        let base = self.x.base;
        (self.g.graph.node_indices().map(|i| (i, &self.g.graph[i]))).chain(
            (self.x.nodes.iter().enumerate()).map(move |(k, (_, n))| (NodeIndex::new(base + k), n)),
        )
    }

    fn edge(&mut self, from: NodeIndex, to: NodeIndex, edge: Edge) {
        self.x.edges.push((from, to, edge));
    }

    fn then(&mut self, from: NodeIndex, to: NodeIndex) {
        self.edge(from, to, Edge::Then { secret: None });
    }

    fn add_step(&mut self, from: NodeIndex, to: NodeIndex, step: Step) {
        self.edge(from, to, Edge::Step(Box::new(step)));
    }

    /// A step through pod `pod`.
    fn add_pod_step(
        &mut self,
        from: NodeIndex,
        to: NodeIndex,
        how: Technique,
        pod: usize,
        because: Option<Box<str>>,
    ) {
        let pod = u32::try_from(pod).expect("fewer than 2^32 pods");
        self.edge(from, to, Edge::Pod(PodStep { how, pod, because }));
    }

    /// Capability nodes and the objects they stand for: any namespace →
    /// each namespace; new pods → the ServiceAccounts they can run as, and
    /// the nodes where Pod Security lets a privileged pod in; existing pods,
    /// Secrets (legacy token secrets → their ServiceAccount), nodes; and
    /// each pod's tokens and escape to its node.
    fn expand<P: PodFacts>(&mut self, snapshot: &Snapshot, pods: &[P]) {
        let namespaces: Vec<String> = self.g.namespaces.iter().cloned().collect();
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
        let mut sa_nodes: Vec<(&SubjectId, NodeIndex)> = (self.nodes())
            .filter_map(|(i, n)| match n {
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
            self.edge(
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
        let mut accounts: HashMap<(&str, &str), NodeIndex> = HashMap::new();
        for (i, p) in pods.iter().enumerate() {
            let ns = p.namespace();
            let pod = self.node(Node::Pod(i));
            let pods = *pods_in
                .entry(ns)
                .or_insert_with(|| self.node(Node::Pods(Some(ns.to_string()))));
            self.then(pods, pod);
            let mut on_hosts: Vec<NodeIndex> = Vec::new();
            for h in p.nodes() {
                let host = match hosts.get(h) {
                    Some(&host) => host,
                    None => {
                        // Each node once under "any node".
                        let host = self.node(Node::Host(h.to_string()));
                        self.then(any_host, host);
                        hosts.insert(h, host);
                        host
                    }
                };
                on_hosts.push(host);
            }
            // Where its tokens are: on each node a pod or DaemonSet runs on;
            // nowhere known yet for another controller's template.
            let holding: &[NodeIndex] = if p.on_every_node() { &on_hosts } else { &[] };
            let mut seen: Vec<(&str, &str)> = Vec::new();
            for (namespace, name, source) in p.api_tokens() {
                if seen.contains(&(namespace, name)) {
                    continue;
                }
                seen.push((namespace, name));
                let sa = *accounts.entry((namespace, name)).or_insert_with(|| {
                    self.node(Node::Subject(SubjectId::ServiceAccount {
                        namespace: namespace.to_string(),
                        name: name.to_string(),
                    }))
                });
                self.add_pod_step(pod, sa, Technique::PodToken, i, Some(source.into()));
                for &host in holding {
                    self.add_pod_step(host, sa, Technique::NodeToken, i, None);
                }
            }
            if let Some(because) = p.escape() {
                let because: Box<str> = because.into();
                for &host in &on_hosts {
                    let how = Technique::EscapeToNode;
                    self.add_pod_step(pod, host, how, i, Some(because.clone()));
                }
            }
        }
        // Every node of the input, whether or not a pod runs there; a
        // control-plane node is the cluster's (managed clusters show none).
        for n in &snapshot.nodes {
            let host = match hosts.get(n.name()) {
                Some(&host) => host,
                None => {
                    let host = self.node(Node::Host(n.name().to_string()));
                    self.then(any_host, host);
                    host
                }
            };
            if n.is_control_plane() {
                let admin = self.node(Node::ClusterAdmin);
                let label = CONTROL_PLANE_LABELS.iter().find(|l| n.label(l).is_some());
                let why = match label {
                    Some(l) => format!("label {l}"),
                    None => "control-plane taint".to_string(),
                };
                self.add_step(
                    host,
                    admin,
                    Step {
                        because: Some(why),
                        ..Step::implicit(Technique::ControlPlaneNode)
                    },
                );
            }
        }
        self.add_cloud_doors(snapshot, pods);
    }

    /// The cloud identities ServiceAccounts are federated with (IRSA, GKE
    /// and Azure Workload Identity annotations), each a node reached from
    /// the pods that run as the account, the nodes those pods run on (which
    /// hold their tokens), and pods created as it in its namespace; all of
    /// them lead to [`Node::AnyCloud`]. TokenRequests reach them through
    /// the techniques (a token with the cloud's audience).
    fn add_cloud_doors<P: PodFacts>(&mut self, snapshot: &Snapshot, pods: &[P]) {
        let mut doors: HashMap<(&str, &str), Vec<(NodeIndex, String)>> = HashMap::new();
        let mut any_cloud = None;
        for sa in &snapshot.service_accounts {
            let (Some(ns), Some(name)) = (&sa.metadata.namespace, &sa.metadata.name) else {
                continue;
            };
            for (provider, annotation, id) in cloud_identities(sa) {
                let door = self.node(Node::Cloud {
                    provider,
                    id: id.to_string(),
                });
                let any = *any_cloud.get_or_insert_with(|| self.node(Node::AnyCloud));
                self.then(door, any);
                let because = format!("ServiceAccount {ns}/{name} ({annotation})");
                let new_pods = self.node(Node::NewPods(Some(ns.clone())));
                self.add_step(
                    new_pods,
                    door,
                    Step {
                        namespace: Some(ns.clone()),
                        because: Some(because.clone()),
                        ..Step::implicit(Technique::CloudIdentity)
                    },
                );
                doors.entry((ns, name)).or_default().push((door, because));
            }
        }
        if doors.is_empty() {
            return;
        }
        for (i, p) in pods.iter().enumerate() {
            let Some(found) = doors.get(&p.service_account()) else {
                continue;
            };
            let pod = self.node(Node::Pod(i));
            let hosts: Vec<NodeIndex> = if p.on_every_node() {
                (p.nodes())
                    .map(|h| self.node(Node::Host(h.to_string())))
                    .collect()
            } else {
                Vec::new()
            };
            for (door, because) in found {
                let because: Box<str> = because.as_str().into();
                self.add_pod_step(
                    pod,
                    *door,
                    Technique::CloudIdentity,
                    i,
                    Some(because.clone()),
                );
                for &host in &hosts {
                    let how = Technique::CloudIdentity;
                    self.add_pod_step(host, *door, how, i, Some(because.clone()));
                }
            }
        }
    }
}
