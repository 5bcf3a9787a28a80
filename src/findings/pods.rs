//! Hot pods: pods whose containers can read a ServiceAccount token that
//! carries risky permissions (its `risky-subject` findings), at or above the
//! hot threshold. A hot pod takes the severity of its riskiest token, one
//! level higher when an escape amplifier (privileged, hostPID, a sensitive
//! hostPath, a dangerous capability) hands the attacker the node as well.
//!
//! A pod with a hostPath reaching `/var/lib/kubelet` can read every token on
//! its node: it is given the tokens of the node's other pods
//! (`node-host-path`).

use foldhash::{HashMap, HashMapExt};
use std::collections::BTreeSet;
use std::sync::Arc;

use crate::snapshot::Pod;
use serde::Serialize;

use crate::tables;

use super::{Code, Context, Evidence, Finding, FindingScope, Model, Sink, subjects};
use crate::access::Access;
use crate::rating::{RatedRisk, raise};
use crate::rbac::SubjectId;
use crate::snapshot::{Kind, ObjectKey};
use crate::template::Severity;
use crate::workloads::amplifiers::Amplifiers;
use crate::workloads::exposure::PodExposure;
use crate::workloads::tokens::{Automount, Exposure, ServiceAccountRef, TokenSource, Unclassified};
use crate::workloads::{ContainerRef, service_account_name};

pub use crate::snapshot::service_account::CLOUD_IDENTITY_ANNOTATIONS;

/// A cloud identity a ServiceAccount's token can be exchanged for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct CloudIdentity {
    /// `aws`, `gcp` or `azure`.
    pub provider: &'static str,
    /// The annotation that says so.
    pub annotation: &'static str,
    /// The role ARN, Google service account or Azure client id.
    pub identity: String,
}

/// What a ServiceAccount's token is worth: its risky-subject findings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenRisk {
    /// The highest severity of its findings, if it has any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    /// Its risks (template rule ids), most severe first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub risks: Vec<String>,
    /// Cloud identities its token reaches.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cloud_identities: Vec<CloudIdentity>,
}

/// One token a pod exposes, and what it is worth.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenView {
    /// Whose token, how, to which containers.
    #[serde(flatten)]
    pub exposure: Exposure,
    /// What the token can do (one value per ServiceAccount, shared by the
    /// views of every pod that exposes its token).
    #[serde(flatten)]
    pub risk: Arc<TokenRisk>,
}

/// A pod's controlling owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Owner {
    /// Its kind (ReplicaSet, DaemonSet, Job, ...).
    pub kind: String,
    /// Its name.
    pub name: String,
}

impl std::fmt::Display for Owner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.kind, self.name)
    }
}

/// Everything about one pod.
///
/// In JSON, the tokens its containers read through a hostPath on the
/// kubelet's directory (every token on its node) are not repeated: `tokens`
/// lists the others, and `nodeTokens` names each such volume, its
/// containers and how many of the node's tokens it adds (the node's entry
/// under `nodes` lists them).
#[derive(Debug, Clone, PartialEq)]
pub struct PodView {
    /// The pod's namespace.
    pub namespace: String,
    /// The pod's name.
    pub name: String,
    /// `spec.nodeName`; absent for a pod not scheduled yet.
    pub node: Option<String>,
    /// `status.phase`.
    pub phase: Option<String>,
    /// The controlling owner (from `ownerReferences`).
    pub owner: Option<Owner>,
    /// The workload it belongs to (see [`crate::workloads::owners`]), which
    /// reports it; None for a bare pod.
    pub workload: Option<Owner>,
    /// The ServiceAccount it runs as.
    pub service_account: ServiceAccountRef,
    /// The automount decision.
    pub automount: Automount,
    /// The tokens its containers can read.
    pub tokens: Vec<TokenView>,
    /// Secret references that could not be classified (Secrets not listed).
    pub unclassified_secrets: Vec<Unclassified>,
    /// What makes a compromise of it worse (shared with the pods that have
    /// the same).
    pub amplifiers: Amplifiers,
    /// The severity of its riskiest token the API server accepts.
    pub token_severity: Option<Severity>,
    /// `tokenSeverity`, one level higher with an escape amplifier.
    pub severity: Option<Severity>,
    /// Whether `tokenSeverity` reaches the hot threshold.
    pub hot: bool,
}

/// The node's tokens a pod's containers read through one hostPath volume.
#[derive(Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
struct NodeTokens<'v> {
    /// The hostPath volume.
    volume: Option<&'v str>,
    /// The containers that mount it.
    containers: &'v [ContainerRef],
    /// How many of the node's tokens it adds (the node's entry under
    /// `nodes` lists them).
    tokens: usize,
}

/// A pod's owner as an object: written like the object's key, so that the
/// same object is one entry of `objects`. An owner of a namespaced pod is
/// in the pod's namespace, unless its kind is cluster-scoped (the Node of a
/// mirror pod); a kind rbacscan does not know is taken as namespaced.
#[derive(Serialize)]
struct OwnerObject<'v> {
    kind: &'v str,
    #[serde(skip_serializing_if = "str::is_empty")]
    namespace: &'v str,
    name: &'v str,
}

/// What is kept of an [`OwnerObject`] to recognise it again: its kind,
/// namespace and name.
struct KeptOwner([Box<str>; 3]);

impl tables::Remember for OwnerObject<'_> {
    type Kept = KeptOwner;
    fn feed<H: std::hash::Hasher>(&self, state: &mut H) {
        use std::hash::Hash;
        (self.kind, self.namespace, self.name).hash(state);
    }
    fn is(&self, kept: &KeptOwner) -> bool {
        let [kind, namespace, name] = &kept.0;
        self.kind == &**kind && self.namespace == &**namespace && self.name == &**name
    }
    fn keep(&self) -> KeptOwner {
        KeptOwner([self.kind.into(), self.namespace.into(), self.name.into()])
    }
}

impl<'v> OwnerObject<'v> {
    fn of(owner: &'v Owner, pod: &'v PodView) -> OwnerObject<'v> {
        let namespaced = Kind::from_kind_name(&owner.kind).is_none_or(Kind::is_namespaced);
        OwnerObject {
            kind: &owner.kind,
            namespace: if namespaced { &pod.namespace } else { "" },
            name: &owner.name,
        }
    }
}

/// A [`PodView`] as reports write it (see there). Its serialisation and its
/// JSON Schema come from this one definition.
#[derive(Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(
    rename = "PodView",
    description = "Everything about one pod: the ServiceAccount tokens its containers can read and what each is worth, what amplifies a compromise of it, and whether it is hot. Tokens read through a hostPath on the kubelet's directory are counted in `nodeTokens` and listed under the node in `nodes`."
)]
struct PodViewJson<'v> {
    /// The pod's namespace.
    namespace: &'v str,
    /// The pod's name.
    name: &'v str,
    /// `spec.nodeName`; absent for a pod not scheduled yet.
    #[serde(skip_serializing_if = "Option::is_none")]
    node: Option<&'v str>,
    /// `status.phase`.
    #[serde(skip_serializing_if = "Option::is_none")]
    phase: Option<&'v str>,
    /// The controlling owner (from `ownerReferences`): a position in
    /// `objects`.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "tables::maybe_object"
    )]
    #[schemars(with = "Option<usize>")]
    owner: Option<OwnerObject<'v>>,
    /// The workload it belongs to, which reports it (absent for a bare
    /// pod): a position in `objects`.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "tables::maybe_object"
    )]
    #[schemars(with = "Option<usize>")]
    workload: Option<OwnerObject<'v>>,
    /// The ServiceAccount it runs as: a position in `objects`.
    #[serde(serialize_with = "crate::workloads::tokens::account_object")]
    #[schemars(with = "usize")]
    service_account: &'v ServiceAccountRef,
    /// The automount decision: a position in `automounts`.
    #[serde(serialize_with = "tables::automount")]
    #[schemars(with = "usize")]
    automount: &'v Automount,
    /// The tokens its containers can read, but for those of `nodeTokens`:
    /// positions in `tokens`.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        serialize_with = "tables::each_token"
    )]
    #[schemars(with = "Vec<usize>")]
    tokens: Vec<&'v TokenView>,
    /// The node's tokens read through a hostPath on the kubelet's directory.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    node_tokens: Vec<NodeTokens<'v>>,
    /// Secret references that could not be classified (Secrets not listed).
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    unclassified_secrets: &'v [Unclassified],
    /// What makes a compromise of it worse: positions in `amplifiers`.
    #[serde(
        skip_serializing_if = "<[_]>::is_empty",
        serialize_with = "tables::each_amplifier"
    )]
    #[schemars(with = "Vec<usize>")]
    amplifiers: &'v Amplifiers,
    /// The severity of its riskiest token the API server accepts.
    #[serde(skip_serializing_if = "Option::is_none")]
    token_severity: Option<Severity>,
    /// `tokenSeverity`, one level higher with an escape amplifier.
    #[serde(skip_serializing_if = "Option::is_none")]
    severity: Option<Severity>,
    /// Whether `tokenSeverity` reaches the hot threshold.
    hot: bool,
}

impl<'v> From<&'v PodView> for PodViewJson<'v> {
    fn from(p: &'v PodView) -> Self {
        let (tokens, via_node): (Vec<&TokenView>, Vec<&TokenView>) = p
            .tokens
            .iter()
            .partition(|t| t.exposure.source != TokenSource::NodeHostPath);
        let mut node_tokens: Vec<NodeTokens<'_>> = Vec::new();
        for t in via_node {
            let e = &t.exposure;
            match node_tokens
                .iter_mut()
                .find(|n| n.volume == e.volume.as_deref() && n.containers == e.containers)
            {
                Some(n) => n.tokens += 1,
                None => node_tokens.push(NodeTokens {
                    volume: e.volume.as_deref(),
                    containers: &e.containers,
                    tokens: 1,
                }),
            }
        }
        PodViewJson {
            namespace: &p.namespace,
            name: &p.name,
            node: p.node.as_deref(),
            phase: p.phase.as_deref(),
            owner: p.owner.as_ref().map(|o| OwnerObject::of(o, p)),
            workload: p.workload.as_ref().map(|o| OwnerObject::of(o, p)),
            service_account: &p.service_account,
            automount: &p.automount,
            tokens,
            node_tokens,
            unclassified_secrets: &p.unclassified_secrets,
            amplifiers: &p.amplifiers,
            token_severity: p.token_severity,
            severity: p.severity,
            hot: p.hot,
        }
    }
}

impl Serialize for PodView {
    /// The fields in order, those absent or empty left out, and the
    /// node's tokens as `nodeTokens` (see [`PodView`]).
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        PodViewJson::from(self).serialize(s)
    }
}

impl schemars::JsonSchema for PodView {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        PodViewJson::schema_name()
    }

    fn json_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
        PodViewJson::json_schema(g)
    }
}

impl PodView {
    /// The pod's identity.
    pub fn key(&self) -> ObjectKey {
        ObjectKey {
            kind: Kind::Pod,
            namespace: self.namespace.clone(),
            name: self.name.clone(),
        }
    }

    /// Whether it has an escape amplifier.
    pub fn escapes(&self) -> bool {
        self.amplifiers.iter().any(|a| a.escape)
    }
}

/// One risk of a ServiceAccount, rated.
#[derive(Debug, Clone)]
pub struct AccountRisk<'c> {
    /// The template rule's id.
    pub rule: &'c str,
    /// How severe it is.
    pub severity: Severity,
    /// The rule's position in the template.
    pub rule_order: usize,
    /// Whether only the bootstrap policy grants it.
    pub bootstrap_default: bool,
    subject: usize,
    rated: &'c RatedRisk,
}

/// What each ServiceAccount's token is worth: its rated risks (see
/// [`crate::rating`]), and the cloud identities it federates with.
pub struct TokenRisks<'c, 'a, 's> {
    cx: &'c Context<'a, 's>,
    /// By ServiceAccount: its risks, most severe first.
    by_account: HashMap<ServiceAccountRef, Vec<AccountRisk<'c>>>,
    /// What the token of each ServiceAccount with risks or a cloud identity
    /// is worth; any other's is `worthless`.
    worth: HashMap<ServiceAccountRef, Arc<TokenRisk>>,
    worthless: Arc<TokenRisk>,
}

impl<'c, 'a, 's> TokenRisks<'c, 'a, 's> {
    /// Indexes the rated risks of every ServiceAccount and their cloud
    /// identity annotations.
    pub fn new(cx: &'c Context<'a, 's>) -> Self {
        let mut by_account = HashMap::new();
        for (i, s) in cx.access.subjects.iter().enumerate() {
            let SubjectId::ServiceAccount { namespace, name } = &s.subject else {
                continue;
            };
            if cx.ratings.subjects[i].is_empty() {
                continue;
            }
            let mut risks: Vec<AccountRisk> = cx.ratings.subjects[i]
                .iter()
                .map(|rated| AccountRisk {
                    rule: &cx.template.rules[rated.risk].id,
                    severity: rated.severity,
                    rule_order: rated.risk,
                    bootstrap_default: cx.grounds_are_default(&subjects::chosen(s, rated).grounds),
                    subject: i,
                    rated,
                })
                .collect();
            risks.sort_by(|a, b| {
                b.severity
                    .cmp(&a.severity)
                    .then_with(|| a.rule_order.cmp(&b.rule_order))
            });
            let account = ServiceAccountRef {
                namespace: namespace.clone(),
                name: name.clone(),
            };
            by_account.insert(account, risks);
        }
        let cloud: HashMap<(String, String), Vec<CloudIdentity>> = cx
            .snapshot
            .service_accounts
            .iter()
            .filter_map(|sa| {
                let ids: Vec<CloudIdentity> = CLOUD_IDENTITY_ANNOTATIONS
                    .iter()
                    .filter_map(|(provider, annotation)| {
                        let value = sa.metadata.annotations.as_ref()?.get(*annotation)?;
                        (!value.is_empty()).then(|| CloudIdentity {
                            provider,
                            annotation,
                            identity: value.clone(),
                        })
                    })
                    .collect();
                (!ids.is_empty()).then(|| {
                    (
                        (
                            sa.metadata.namespace.clone().unwrap_or_default(),
                            sa.metadata.name.clone().unwrap_or_default(),
                        ),
                        ids,
                    )
                })
            })
            .collect();
        let accounts: BTreeSet<ServiceAccountRef> = (by_account.keys().cloned())
            .chain(cloud.keys().map(|(namespace, name)| ServiceAccountRef {
                namespace: namespace.clone(),
                name: name.clone(),
            }))
            .collect();
        let worth = (accounts.into_iter())
            .map(|sa| {
                let risk = Arc::new(token_risk(&by_account, &cloud, &sa));
                (sa, risk)
            })
            .collect();
        TokenRisks {
            cx,
            worth,
            worthless: Arc::default(),
            by_account,
        }
    }

    /// The risks of a ServiceAccount, most severe first, then in template order.
    pub fn risks(&self, sa: &ServiceAccountRef) -> &[AccountRisk<'c>] {
        self.by_account.get(sa).map_or(&[], Vec::as_slice)
    }

    /// The evidence of a ServiceAccount's risks at or above `threshold`,
    /// and the binding chains (`binding → role (via group)`) in it.
    pub fn evidence(
        &self,
        sa: &ServiceAccountRef,
        threshold: Severity,
    ) -> (Vec<Evidence>, Vec<String>) {
        let mut evidence: Vec<Evidence> = Vec::new();
        let mut chains: Vec<String> = Vec::new();
        for r in self.risks(sa).iter().filter(|r| r.severity >= threshold) {
            let subject = &self.cx.access.subjects[r.subject];
            let grounds = subjects::chosen(subject, r.rated).grounds;
            for e in self
                .cx
                .evidence(r.rated.risk, &grounds, |b| Access::via_group(subject, b))
            {
                if let Some(chain) = e.chain()
                    && !chains.contains(&chain)
                {
                    chains.push(chain);
                }
                if !evidence.contains(&e) {
                    evidence.push(e);
                }
            }
        }
        (evidence, chains)
    }

    /// What the token of `sa` is worth.
    pub fn of(&self, sa: &ServiceAccountRef) -> Arc<TokenRisk> {
        (self.worth.get(sa)).map_or_else(|| self.worthless.clone(), Arc::clone)
    }

    /// ServiceAccounts with risks, sorted.
    pub fn service_accounts(&self) -> Vec<ServiceAccountRef> {
        let mut v: Vec<ServiceAccountRef> = self.by_account.keys().cloned().collect();
        v.sort();
        v
    }
}

/// The controlling owner of a pod: the `controller: true` reference, else the first.
fn owner(pod: &Pod) -> Option<Owner> {
    let refs = pod.metadata.owner_references.as_deref().unwrap_or_default();
    refs.iter()
        .find(|r| r.controller == Some(true))
        .or(refs.first())
        .map(|r| Owner {
            kind: r.kind.clone(),
            name: r.name.clone(),
        })
}

/// What the token of `sa` is worth: its risks' rule ids (most severe
/// first, each once) and the cloud identities it federates with.
fn token_risk(
    by_account: &HashMap<ServiceAccountRef, Vec<AccountRisk<'_>>>,
    cloud: &HashMap<(String, String), Vec<CloudIdentity>>,
    sa: &ServiceAccountRef,
) -> TokenRisk {
    let risks = by_account.get(sa).map_or(&[][..], Vec::as_slice);
    let mut ids: Vec<String> = Vec::new();
    for r in risks {
        if !ids.iter().any(|i| i == r.rule) {
            ids.push(r.rule.to_string());
        }
    }
    TokenRisk {
        severity: risks.first().map(|r| r.severity),
        risks: ids,
        cloud_identities: cloud
            .get(&(sa.namespace.clone(), sa.name.clone()))
            .cloned()
            .unwrap_or_default(),
    }
}

/// Builds the view of every pod, in snapshot order (on every core), from
/// the pods' exposures: their tokens and amplifiers move into the views.
pub fn views(
    exposures: Vec<PodExposure<'_>>,
    risks: &TokenRisks<'_, '_, '_>,
    threshold: Severity,
) -> Vec<PodView> {
    crate::cores::map_owned(exposures, 1024, |x| {
        let pod = x.pod;
        let escapes = x.escapes();
        let node = x.node().map(str::to_string);
        let tokens: Vec<TokenView> = (x.tokens.exposures.into_iter())
            .map(|exposure| TokenView {
                risk: risks.of(&exposure.service_account),
                exposure,
            })
            .collect();
        let token_severity = tokens
            .iter()
            .filter(|t| t.exposure.api_access)
            .filter_map(|t| t.risk.severity)
            .max();
        let severity = token_severity.map(|s| if escapes { raise(s) } else { s });
        PodView {
            namespace: pod.metadata.namespace.clone().unwrap_or_default(),
            name: pod.metadata.name.clone().unwrap_or_default(),
            node,
            phase: pod.status.as_ref().and_then(|s| s.phase.clone()),
            owner: owner(pod),
            workload: None,
            service_account: ServiceAccountRef {
                namespace: pod.metadata.namespace.clone().unwrap_or_default(),
                name: service_account_name(pod).into(),
            },
            automount: x.tokens.automount,
            tokens,
            unclassified_secrets: x.tokens.unclassified,
            amplifiers: x.amplifiers,
            token_severity,
            severity,
            hot: token_severity.is_some_and(|s| s >= threshold),
        }
    })
}

/// The evidence and binding chains of the `hot` tokens' risks at or above
/// `threshold`, each ServiceAccount's worked out once (`memo`).
pub(super) fn hot_evidence<'v>(
    risks: &TokenRisks<'_, '_, '_>,
    memo: &mut HashMap<&'v ServiceAccountRef, (Vec<Evidence>, Vec<String>)>,
    hot: &[&'v TokenView],
    threshold: Severity,
) -> (Vec<Evidence>, Vec<String>) {
    let mut evidence: Vec<Evidence> = Vec::new();
    let mut chains: Vec<String> = Vec::new();
    for t in hot {
        let (e, c) = memo
            .entry(&t.exposure.service_account)
            .or_insert_with(|| risks.evidence(&t.exposure.service_account, threshold));
        if hot.len() == 1 {
            return (e.clone(), c.clone());
        }
        for e in e.iter() {
            if !evidence.contains(e) {
                evidence.push(e.clone());
            }
        }
        for c in c.iter() {
            if !chains.contains(c) {
                chains.push(c.clone());
            }
        }
    }
    (evidence, chains)
}

/// Appends one `hot-pod` finding per hot pod that no workload owns, and
/// per such pod that can take its node (rated by what the node holds, at
/// least MEDIUM). Pods a workload owns are its `hot-workload` finding.
pub fn find(m: &Model<'_, '_, '_, '_>, sink: &mut Sink) {
    let (risks, pods, threshold) = (m.risks, m.pods, m.threshold);
    let out = sink;
    // Evidence and binding chains of each ServiceAccount, worked out once.
    let mut memo: HashMap<&ServiceAccountRef, (Vec<Evidence>, Vec<String>)> = HashMap::new();
    for pod in pods.iter().filter(|p| p.workload.is_none()) {
        let takes_node = pod.escapes();
        let severity = match pod.severity {
            Some(s) if pod.hot => s,
            _ if takes_node => {
                let held = pod.node.as_deref().and_then(|n| m.node_worth.of_node(n));
                held.unwrap_or(Severity::Medium).max(Severity::Medium)
            }
            _ => continue,
        };
        let hot: Vec<&TokenView> = pod
            .tokens
            .iter()
            .filter(|t| t.exposure.api_access && t.risk.severity.is_some_and(|s| s >= threshold))
            .collect();
        let (evidence, chains) = hot_evidence(risks, &mut memo, &hot, threshold);
        let key = pod.key();
        // The pod's own ServiceAccount if it is hot, else the first riskiest.
        let top = hot.iter().filter_map(|t| t.risk.severity).max();
        let primary = hot
            .iter()
            .find(|t| t.exposure.service_account == pod.service_account)
            .or_else(|| hot.iter().find(|t| t.risk.severity == top))
            .map(|t| t.exposure.service_account.subject());
        let where_ = describe_place(pod);
        let gives: Vec<String> = hot.iter().map(|t| describe_token(t)).collect();
        let escapes: Vec<&str> = pod
            .amplifiers
            .iter()
            .filter(|a| a.escape)
            .map(|a| a.code.as_str())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let (title, message) = if pod.hot {
            let message = format!(
                "Pod {}/{} ({where_}) gives {}{}",
                pod.namespace,
                pod.name,
                gives.join("; "),
                if escapes.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; raised one level: {} (the node is reachable too)",
                        escapes.join(", ")
                    )
                }
            );
            ("Pod exposes a risky ServiceAccount token", message)
        } else {
            let message = format!(
                "Pod {}/{} ({where_}) gives no risky token but takes over its node ({}): it is worth what the node holds",
                pod.namespace,
                pod.name,
                escapes.join(", ")
            );
            ("Pod can take over its node", message)
        };
        let scope = FindingScope::Namespaces {
            namespaces: vec![pod.namespace.clone()],
        };
        let template = match &pod.owner {
            Some(o) => format!("the pod template of {o}"),
            None => "the pod".to_string(),
        };
        out.push(
            Finding::new(Code::HotPod, severity, title, message, scope)
                // The pod is the finding's identity; which ServiceAccount is
                // shown as its subject is no part of it.
                .fingerprinted(&key.to_string())
                .pod(key)
                .subject(primary)
                .remediation(remediation(&template, takes_node, &hot, &chains))
                .evidence(evidence),
        );
    }
}

fn describe_place(pod: &PodView) -> String {
    let mut parts = vec![match &pod.node {
        Some(n) => format!("node {n}"),
        None => "not scheduled".to_string(),
    }];
    if let Some(o) = &pod.owner {
        parts.push(format!("owner {o}"));
    }
    parts.join(", ")
}

fn containers_text(c: &[ContainerRef]) -> String {
    c.iter()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `containers a, b the token of ServiceAccount ns/x (automount): risks`.
pub fn describe_token(t: &TokenView) -> String {
    let e = &t.exposure;
    let how = match (e.source, &e.secret, &e.volume) {
        (TokenSource::Automount, _, _) if e.resolved => {
            "automount, resolved from the settings".to_string()
        }
        (TokenSource::Automount, _, Some(v)) => format!("automount, volume {v}"),
        (TokenSource::ProjectedToken, _, Some(v)) => format!("projected token volume {v}"),
        (TokenSource::NodeHostPath, _, Some(v)) => {
            format!("from the node's kubelet directory through hostPath volume {v}")
        }
        (source, Some(s), _) => format!("legacy token secret {s}, {}", source.as_str()),
        (source, _, _) => source.as_str().to_string(),
    };
    let mut text = format!(
        "{} the token of ServiceAccount {} ({how}): {} {}",
        containers_text(&e.containers),
        e.service_account,
        t.risk.severity.map(Severity::as_str).unwrap_or("no risk"),
        t.risk.risks.join(", ")
    );
    for c in &t.risk.cloud_identities {
        text.push_str(&format!(
            "; its token also reaches {} identity {}",
            c.provider, c.identity
        ));
    }
    text
}

/// How to fix what `template` (`the pod`, `the pod template of ...`)
/// exposes: each hot token's source, the grants, and the escape.
pub(super) fn remediation(
    template: &str,
    escapes: bool,
    hot: &[&TokenView],
    chains: &[String],
) -> String {
    let mut steps: Vec<String> = Vec::new();
    for t in hot {
        let e = &t.exposure;
        let step = match e.source {
            TokenSource::Automount => format!(
                "if {template} does not call the Kubernetes API, set automountServiceAccountToken: false on it or on ServiceAccount {}",
                e.service_account
            ),
            TokenSource::ProjectedToken => format!(
                "remove the serviceAccountToken projection of volume {} from {template}",
                e.volume.as_deref().unwrap_or("?")
            ),
            TokenSource::SecretVolume
            | TokenSource::ProjectedSecret
            | TokenSource::SecretEnv
            | TokenSource::SecretEnvFrom => format!(
                "stop mounting legacy token secret {} (its token never expires) and delete it if nothing else needs it; pods get short-lived tokens from the TokenRequest API",
                e.secret.as_deref().unwrap_or("?")
            ),
            TokenSource::NodeHostPath => format!(
                "remove hostPath volume {}: it reaches the kubelet's directory and every token on the node",
                e.volume.as_deref().unwrap_or("?")
            ),
        };
        if !steps.contains(&step) {
            steps.push(step);
        }
    }
    if !chains.is_empty() {
        steps.push(format!(
            "otherwise narrow what the token is granted: {}",
            chains.join("; ")
        ));
    }
    if escapes {
        steps.push("drop privileged, hostPID, sensitive hostPath volumes and dangerous capabilities unless the workload needs them".into());
    }
    steps.join("; ")
}
