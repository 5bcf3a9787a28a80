//! Which catalog entries are live in a snapshot. An entry is live where its
//! CRDs exist and its controller runs (a pod, or a controller's template
//! not scaled to zero or suspended, running as one of its ServiceAccounts);
//! its lockdown flags, read from that controller's containers, take its
//! as-controller steps away. Every entry that is not live says why.
//!
//! Must run before the pods' containers are taken out of the snapshot
//! ([`Snapshot::take_workloads`]): a pod's flags are read from them.

use std::collections::BTreeSet;

use super::catalog::{Catalog, LockdownObjects, Operator, Power, Watches};
use super::gates::{self, Gate};
use crate::snapshot::pod::service_account_name;
use crate::snapshot::{Kind, Snapshot};

/// The catalog's entries, sorted into live and not.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Operators {
    /// Where the catalog was read from.
    pub source: String,
    /// The live ones: one per running controller of an entry.
    pub live: Vec<Live>,
    /// The others, each with why not.
    pub unlive: Vec<Unlive>,
}

/// An operator whose CRDs exist and whose controller runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Live {
    /// The entry's id.
    pub id: String,
    /// The entry's title.
    pub title: String,
    /// The controller's ServiceAccount: (namespace, name).
    pub account: (String, String),
    /// What runs it: `Deployment flux-system/kustomize-controller`, or a pod.
    pub runs: String,
    /// What steers it.
    pub steers: Vec<LiveSteer>,
    /// Set when it takes its resources only from this namespace (its own).
    pub only_namespace: Option<String>,
    /// The lockdown flag that is on, if any: its as-controller steps are gone.
    pub locked_by: Option<String>,
    /// What the objects of its lockdown allow (AppProjects, stores).
    pub gate: Gate,
}

/// A custom resource that steers a live operator.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveSteer {
    /// The API group.
    pub group: String,
    /// The plural resource name.
    pub resource: String,
    /// The verbs that steer it.
    pub verbs: Vec<String>,
    /// Whether the resource is cluster-scoped.
    pub cluster_scoped: bool,
    /// What the controller then does.
    pub power: Power,
    /// Whether the resource may name a ServiceAccount of its namespace.
    pub tenant_account: bool,
}

/// A catalog entry that makes no step, and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Unlive {
    /// The entry's id.
    pub id: String,
    /// Why not: no CRD, no controller, or its lockdown.
    pub why: Why,
}

/// Why a catalog entry makes no step.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Why {
    /// No CustomResourceDefinition was read at all.
    CrdsUnread,
    /// These CRDs are not in the input.
    NoCrd(Vec<String>),
    /// Its CRDs exist but no controller runs as one of these accounts.
    NoController {
        /// The ServiceAccounts it is recognised by.
        accounts: Vec<String>,
        /// The namespaces it must run in (empty: any).
        namespaces: Vec<String>,
    },
    /// Its controller runs with a lockdown flag on.
    Locked {
        /// What runs it.
        runs: String,
        /// The flag.
        flag: String,
    },
    /// The objects of its lockdown leave it nothing to give.
    Closed {
        /// What runs it.
        runs: String,
        /// Which objects, and how they close it.
        how: String,
    },
}

impl std::fmt::Display for Why {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Why::CrdsUnread => f.write_str(
                "CustomResourceDefinitions are not in the input: whether its resources exist is unknown",
            ),
            Why::NoCrd(missing) => write!(f, "no CRD {} in the input", missing.join(", ")),
            Why::NoController {
                accounts,
                namespaces,
            } => {
                write!(
                    f,
                    "its CRDs exist but no controller runs as ServiceAccount {}",
                    accounts.join(", ")
                )?;
                if !namespaces.is_empty() {
                    write!(f, " in {}", namespaces.join(", "))?;
                }
                Ok(())
            }
            Why::Locked { runs, flag } => write!(f, "{runs} runs with {flag}: its lockdown is on"),
            Why::Closed { runs, how } => write!(f, "{runs} runs, but {how}"),
        }
    }
}

/// A running instance of something that may be an operator's controller.
struct Running<'s> {
    namespace: &'s str,
    account: &'s str,
    what: String,
    flags: BTreeSet<&'s str>,
}

impl Operators {
    /// No catalog: nothing is live.
    pub fn none() -> Operators {
        Operators::default()
    }

    /// Sorts `catalog`'s entries by what `snapshot` holds.
    pub fn recognise(catalog: &Catalog, snapshot: &Snapshot) -> Operators {
        let crds: BTreeSet<&str> = snapshot.crds.iter().map(|c| c.name()).collect();
        let crds_read =
            !snapshot.crds.is_empty() || snapshot.coverage.has(Kind::CustomResourceDefinition);
        // Only what runs as an account some entry names is looked at.
        let accounts: BTreeSet<&str> = (catalog.operators.iter())
            .flat_map(|o| &o.controller.service_accounts)
            .map(String::as_str)
            .collect();
        let running = running(snapshot, &accounts);
        let mut out = Operators {
            source: catalog.source.clone(),
            ..Operators::default()
        };
        for op in &catalog.operators {
            let unlive = |why: Why| Unlive {
                id: op.id.clone(),
                why,
            };
            let missing: Vec<&str> = (op.steers.iter().map(|s| s.resource.as_str()))
                .chain(op.requires.iter().map(String::as_str))
                .filter(|r| !crds.contains(r))
                .collect();
            // A steer whose CRD is missing steers nothing; the entry needs
            // its `requires` and at least one steer.
            let required_missing = op.requires.iter().any(|r| !crds.contains(r.as_str()));
            if !crds_read {
                out.unlive.push(unlive(Why::CrdsUnread));
                continue;
            }
            if required_missing
                || op
                    .steers
                    .iter()
                    .all(|s| !crds.contains(s.resource.as_str()))
            {
                out.unlive.push(unlive(Why::NoCrd(
                    missing.iter().map(|m| m.to_string()).collect(),
                )));
                continue;
            }
            let instances: Vec<&Running> = (running.iter())
                .filter(|r| {
                    op.controller
                        .service_accounts
                        .iter()
                        .any(|a| a == r.account)
                })
                .filter(|r| {
                    op.controller.namespaces.is_empty()
                        || op.controller.namespaces.iter().any(|n| n == r.namespace)
                })
                .collect();
            if instances.is_empty() {
                out.unlive.push(unlive(Why::NoController {
                    accounts: op.controller.service_accounts.clone(),
                    namespaces: op.controller.namespaces.clone(),
                }));
                continue;
            }
            for r in instances {
                out.live.push(live(op, r, &crds, snapshot));
            }
        }
        for l in &out.live {
            if let Some(flag) = &l.locked_by
                && l.steers
                    .iter()
                    .all(|s| s.power == Power::AsController && !s.tenant_account)
            {
                out.unlive.push(Unlive {
                    id: l.id.clone(),
                    why: Why::Locked {
                        runs: l.runs.clone(),
                        flag: flag.clone(),
                    },
                });
            } else if let Some(how) = closed(l) {
                out.unlive.push(Unlive {
                    id: l.id.clone(),
                    why: Why::Closed {
                        runs: l.runs.clone(),
                        how,
                    },
                });
            }
        }
        out
    }
}

/// How the objects of `l`'s lockdown leave it nothing to give, if they do.
fn closed(l: &Live) -> Option<String> {
    let gated = |power| {
        l.steers
            .iter()
            .all(|s| s.power == power && !s.tenant_account)
    };
    match &l.gate {
        Gate::Projects(projects)
            if gated(Power::AsController) && projects.iter().all(|p| p.closed()) =>
        {
            let names: Vec<&str> = projects.iter().map(|p| p.name.as_str()).collect();
            Some(format!(
                "no AppProject ({}) deploys to this cluster with a kind that runs pods or binds roles",
                names.join(", ")
            ))
        }
        Gate::Stores(stores)
            if gated(Power::SecretsOfStore)
                && !stores
                    .iter()
                    .any(|s| s.reads.is_some() && s.usable_from(None)) =>
        {
            Some(if stores.is_empty() {
                "no ClusterSecretStore is in the input".to_string()
            } else {
                let each: Vec<String> = (stores.iter())
                    .map(|s| match &s.reads {
                        None => format!("{} reads another system ({})", s.name, s.provider),
                        Some(_) => format!("{}'s conditions admit no namespace", s.name),
                    })
                    .collect();
                format!(
                    "no ClusterSecretStore reads this cluster's Secrets for a namespace ({})",
                    each.join("; ")
                )
            })
        }
        _ => None,
    }
}

/// The live entry `op` for its running controller `r`.
fn live(op: &Operator, r: &Running<'_>, crds: &BTreeSet<&str>, snapshot: &Snapshot) -> Live {
    let on = |flags: &[String]| flags.iter().find(|f| r.flags.contains(f.as_str())).cloned();
    let own = match op.watches {
        Watches::ControllerNamespace => on(&op.watches_everywhere_with).is_none(),
        Watches::Any => on(&op.watches_own_namespace_with).is_some(),
    };
    Live {
        id: op.id.clone(),
        title: op.title.clone(),
        account: (r.namespace.to_string(), r.account.to_string()),
        runs: r.what.clone(),
        steers: (op.steers.iter())
            .filter(|s| crds.contains(s.resource.as_str()))
            .map(|s| {
                let (group, resource) = s.group_resource();
                LiveSteer {
                    group: group.into(),
                    resource: resource.into(),
                    verbs: s.verbs.clone(),
                    cluster_scoped: s.cluster_scoped,
                    power: s.power,
                    tenant_account: s.tenant_account,
                }
            })
            .collect(),
        only_namespace: own.then(|| r.namespace.to_string()),
        locked_by: op.lockdown.as_ref().and_then(|l| on(&l.flags)),
        gate: match op.lockdown.as_ref().and_then(|l| l.objects) {
            Some(LockdownObjects::ArgocdAppProjects) => gates::projects(snapshot, r.namespace),
            Some(LockdownObjects::ClusterSecretStores) => gates::stores(snapshot),
            None => Gate::Open,
        },
    }
}

/// Every pod that runs (not finished) and every controller whose template
/// runs (not scaled to zero, not suspended), as one of `accounts`, with
/// the ServiceAccount it runs as and the flags of its containers; one per
/// ServiceAccount and set of flags, controllers first.
fn running<'s>(snapshot: &'s Snapshot, accounts: &BTreeSet<&str>) -> Vec<Running<'s>> {
    let mut out: Vec<Running> = Vec::new();
    let mut seen: BTreeSet<(&str, &str, BTreeSet<&str>)> = BTreeSet::new();
    for c in &snapshot.controllers {
        if c.replicas == Some(0) || c.suspend == Some(true) {
            continue;
        }
        let spec = &c.template;
        let account = spec
            .service_account_name
            .as_deref()
            .filter(|n| !n.is_empty())
            .or(spec.service_account.as_deref().filter(|n| !n.is_empty()))
            .unwrap_or("default");
        if !accounts.contains(account) {
            continue;
        }
        let flags: BTreeSet<&str> = (spec.containers.iter())
            .chain(spec.init_containers.iter().flatten())
            .flat_map(|c| c.command.iter().chain(&c.args).flatten())
            .map(String::as_str)
            .filter(|f| !f.ends_with("=false"))
            .collect();
        let namespace = c.metadata.namespace.as_deref().unwrap_or_default();
        seen.insert((namespace, account, flags.clone()));
        out.push(Running {
            namespace,
            account,
            what: format!(
                "{} {}/{}",
                c.kind.as_str(),
                c.metadata.namespace.as_deref().unwrap_or_default(),
                c.metadata.name.as_deref().unwrap_or_default()
            ),
            flags,
        });
    }
    for p in &snapshot.pods {
        let phase = p.status.as_ref().and_then(|s| s.phase.as_deref());
        if matches!(phase, Some("Succeeded" | "Failed")) {
            continue;
        }
        let Some(spec) = &p.spec else { continue };
        let namespace = p.metadata.namespace.as_deref().unwrap_or_default();
        let account = service_account_name(p);
        if !accounts.contains(account) {
            continue;
        }
        let flags: BTreeSet<&str> = (spec.containers.iter())
            .chain(spec.init_containers.iter().flatten())
            .flat_map(|c| c.command.iter().chain(&c.args).flatten())
            .map(String::as_str)
            .filter(|f| !f.ends_with("=false"))
            .collect();
        // A pod of a controller already seen (or a replica) adds nothing.
        if !seen.insert((namespace, account, flags.clone())) {
            continue;
        }
        out.push(Running {
            namespace,
            account,
            what: format!(
                "Pod {namespace}/{}",
                p.metadata.name.as_deref().unwrap_or_default()
            ),
            flags,
        });
    }
    out
}
