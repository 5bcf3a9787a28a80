//! The three questions, answered from a snapshot: resolve, build the graph,
//! query it, and name everything in the answer. Pure: no I/O.

use petgraph::graph::NodeIndex;

use crate::access::build_graph_with;
use crate::access::cut::{self, Outcome};
use crate::access::explain::{DiffView, HoldingsView, WhoCanView};
use crate::access::explain::{Namer, PathView, PathsView};
use crate::access::graph::AccessGraph;
use crate::access::holdings::{holdings, missing};
use crate::access::model::Node;
use crate::access::paths::{Route, Toward};
use crate::access::pod_facts::NO_PODS;
use crate::access::query::{Endpoint, QueryError};
use crate::access::who_can::{Question, who_can};
use crate::rbac::{Rbac, SubjectId};
use crate::snapshot::{Pod, Snapshot};
use crate::workloads::exposure::{expose, expose_templates};
use crate::workloads::{owners, templates};

/// A question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ask {
    /// `who-can`.
    WhoCan {
        /// The request.
        question: Question,
        /// The resource's group was assumed (not a built-in resource).
        assumed_core: bool,
    },
    /// `access`.
    Access {
        /// The identity.
        subject: SubjectId,
        /// The identity to compare with.
        diff_with: Option<SubjectId>,
    },
    /// `paths`.
    Paths {
        /// Only from here.
        from: Option<Endpoint>,
        /// To here.
        to: Endpoint,
        /// At most this many steps.
        max_hops: Option<u32>,
        /// Keep routes granted by the bootstrap policy alone (counted, not
        /// listed, by default).
        include_defaults: bool,
        /// Platforms whose own roles and bindings count as defaults too.
        platforms: Vec<crate::rbac::platforms::Platform>,
        /// The operator catalog whose live operators give steps.
        operators: crate::operators::Catalog,
        /// Also work out the smallest set of grants whose removal closes
        /// every listed route (see [`crate::access::cut`]).
        cut: bool,
    },
}

/// An answer, every object named.
#[derive(Debug, Clone, PartialEq)]
pub enum Answered {
    /// Who can.
    WhoCan(WhoCanView),
    /// What one identity holds.
    Holdings(HoldingsView),
    /// How two identities differ.
    Diff(DiffView),
    /// Routes.
    Paths(PathsView),
}

/// A snapshot resolved and indexed, ready for any number of questions.
pub struct Engine<'s> {
    rbac: Rbac<'s>,
    pods: &'s [Pod],
    /// The pods the workloads' templates would create (for `paths`), after
    /// the snapshot's pods in the graph.
    templates: Vec<Pod>,
    graph: AccessGraph,
    /// The cut of `paths --cut`, worked out while the pods' exposures (which
    /// building the graph again needs) were at hand.
    cut: Option<Outcome>,
}

impl<'s> Engine<'s> {
    /// Resolves `snapshot` and builds what `ask` needs: every pod's exposure
    /// and the attack edges for `paths`, the RBAC index alone otherwise.
    /// For `paths`, the pods' containers and volumes are taken out of
    /// `snapshot` (see [`Snapshot::take_workloads`]).
    pub fn new(snapshot: &'s mut Snapshot, ask: &Ask) -> Engine<'s> {
        // Operators are recognised by their containers' flags: before the
        // containers are taken out.
        let (workloads, operators) = match ask {
            Ask::Paths { operators, .. } => {
                let live = crate::operators::Operators::recognise(operators, snapshot).live;
                (snapshot.take_workloads(), live)
            }
            _ => (Vec::new(), Vec::new()),
        };
        let snapshot = &*snapshot;
        let mut rbac = Rbac::resolve(snapshot);
        if let Ask::Paths { platforms, .. } = ask {
            crate::rbac::platforms::mark(&mut rbac, platforms);
        }
        // Only routes go through pods and the workloads' templates: the
        // other questions skip them.
        let (graph, templates, cut) = match ask {
            Ask::Paths { .. } => {
                let units = owners::group(snapshot);
                let templates = templates::of(snapshot, &units);
                let nodes = templates::Nodes::of(snapshot);
                let mut exposures = expose(snapshot, &workloads);
                exposures.extend(expose_templates(snapshot, &units, &templates, &nodes));
                let graph = build_graph_with(snapshot, &rbac, &exposures, &operators);
                let cut = match ask {
                    Ask::Paths { cut: true, .. } => {
                        let namer = Namer {
                            rbac: &rbac,
                            graph: &graph,
                            pods: &snapshot.pods,
                            templates: &templates.pods,
                        };
                        listed_routes(&namer, ask).ok().map(|listed| {
                            let sources: Vec<NodeIndex> =
                                listed.paths.iter().map(|(r, _)| r.from).collect();
                            cut::cut(&graph, &rbac, &listed.target, &sources, |reduced| {
                                build_graph_with(snapshot, reduced, &exposures, &operators)
                            })
                        })
                    }
                    _ => None,
                };
                drop(exposures);
                (graph, templates.pods, cut)
            }
            _ => (
                AccessGraph::build_index(snapshot, &rbac, NO_PODS),
                Vec::new(),
                None,
            ),
        };
        Engine {
            rbac,
            pods: &snapshot.pods,
            templates,
            graph,
            cut,
        }
    }

    /// The graph's size: nodes and edges.
    pub fn size(&self) -> (usize, usize) {
        (
            self.graph.graph().node_count(),
            self.graph.graph().edge_count(),
        )
    }

    /// Answers `ask`.
    pub fn answer(&self, ask: &Ask) -> Result<Answered, QueryError> {
        let (rbac, graph, pods) = (&self.rbac, &self.graph, self.pods);
        let namer = Namer {
            rbac,
            graph,
            pods,
            templates: &self.templates,
        };
        Ok(match ask {
            Ask::WhoCan {
                question,
                assumed_core,
            } => Answered::WhoCan(namer.who_can(
                question,
                &who_can(rbac, graph, question),
                *assumed_core,
            )),
            Ask::Access {
                subject,
                diff_with: None,
            } => Answered::Holdings(namer.holdings(&holdings(rbac, graph, subject))),
            Ask::Access {
                subject,
                diff_with: Some(other),
            } => {
                let a = holdings(rbac, graph, subject);
                let b = holdings(rbac, graph, other);
                Answered::Diff(namer.diff(&a, &b, &missing(rbac, &a, &b), &missing(rbac, &b, &a)))
            }
            Ask::Paths { platforms, .. } => {
                let listed = listed_routes(&namer, ask)?;
                let cut = self.cut.as_ref().map(|outcome| namer.cut(outcome));
                Answered::Paths(PathsView {
                    target: namer.node(&listed.target),
                    paths: listed.paths.into_iter().map(|(_, p)| p).collect(),
                    defaults_hidden: listed.defaults_hidden,
                    platforms: platforms.iter().map(|p| p.defaults().name).collect(),
                    cut,
                })
            }
        })
    }
}

/// The routes `paths` lists: to its target, from its sources, each with
/// its explanation; those granted by defaults alone counted apart.
struct Listed {
    target: Node,
    paths: Vec<(Route, PathView)>,
    defaults_hidden: usize,
}

/// The routes a `paths` question lists; none for another question.
fn listed_routes(namer: &Namer<'_, '_>, ask: &Ask) -> Result<Listed, QueryError> {
    let Ask::Paths {
        from,
        to,
        max_hops,
        include_defaults,
        ..
    } = ask
    else {
        return Ok(Listed {
            target: Node::ClusterAdmin,
            paths: Vec::new(),
            defaults_hidden: 0,
        });
    };
    let (graph, pods) = (namer.graph, namer.pods);
    let target_node = node_of(graph, pods, to)?;
    let target = graph.find(&target_node).ok_or_else(|| not_in_input(to))?;
    let toward = Toward::search(graph, target);
    let sources = match from {
        Some(ep) => {
            let n = node_of(graph, pods, ep)?;
            let i = graph.find(&n).ok_or_else(|| not_in_input(ep))?;
            let within = toward
                .hops(i)
                .is_some_and(|h| max_hops.is_none_or(|m| h <= m));
            if within && i != target {
                vec![i]
            } else {
                Vec::new()
            }
        }
        None => toward.sources(graph, *max_hops),
    };
    let (paths, defaults): (Vec<_>, Vec<_>) = sources
        .into_iter()
        .filter_map(|s| toward.route(graph, s))
        .map(|r| {
            let view = namer.route(&r, &target_node);
            (r, view)
        })
        .partition(|(_, p)| *include_defaults || !p.bootstrap_default);
    Ok(Listed {
        target: target_node,
        paths,
        defaults_hidden: defaults.len(),
    })
}

/// Answers `ask` about `snapshot`.
pub fn answer(snapshot: &mut Snapshot, ask: &Ask) -> Result<Answered, QueryError> {
    Engine::new(snapshot, ask).answer(ask)
}

fn describe(ep: &Endpoint) -> String {
    match ep {
        Endpoint::Subject(s) => s.to_string(),
        Endpoint::Pod { namespace, name } => format!("Pod {namespace}/{name}"),
        Endpoint::Node(n) => format!("Node {n}"),
        Endpoint::Secrets(ns) => format!("namespace {ns}"),
        Endpoint::ClusterAdmin => "cluster-admin".into(),
        Endpoint::Cloud(None) => {
            "a cloud identity (no ServiceAccount is federated with one)".into()
        }
        Endpoint::Cloud(Some(id)) => format!("cloud identity {id}"),
    }
}

fn not_in_input(ep: &Endpoint) -> QueryError {
    let hint = match ep {
        Endpoint::Subject(s) if !s.implicit_groups().is_empty() => format!(
            " (no binding names it): it holds what its groups hold, ask --from group:{}",
            s.implicit_groups()[0]
        ),
        Endpoint::Node(_) => " (no pod of the input runs on it)".into(),
        _ => String::new(),
    };
    QueryError::NotInInput {
        what: describe(ep),
        hint,
    }
}

/// The graph node an endpoint names.
fn node_of(graph: &AccessGraph, pods: &[Pod], ep: &Endpoint) -> Result<Node, QueryError> {
    Ok(match ep {
        Endpoint::Subject(s) => Node::Subject(s.clone()),
        Endpoint::Pod { namespace, name } => {
            let i = pods
                .iter()
                .position(|p| {
                    p.metadata.namespace.as_deref() == Some(namespace.as_str())
                        && p.metadata.name.as_deref() == Some(name.as_str())
                })
                .ok_or_else(|| not_in_input(ep))?;
            Node::Pod(i)
        }
        Endpoint::Node(n) => Node::Host(n.clone()),
        Endpoint::Secrets(ns) => {
            if !graph.namespaces().contains(ns) {
                return Err(not_in_input(ep));
            }
            Node::Secrets(Some(ns.clone()))
        }
        Endpoint::ClusterAdmin => Node::ClusterAdmin,
        Endpoint::Cloud(None) => Node::AnyCloud,
        Endpoint::Cloud(Some(id)) => (graph.graph().node_weights())
            .find(|n| match n {
                Node::Cloud { provider, id: own } => {
                    own == id
                        || id.strip_prefix(provider).and_then(|r| r.strip_prefix(':')) == Some(own)
                }
                _ => false,
            })
            .cloned()
            .ok_or_else(|| not_in_input(ep))?,
    })
}
