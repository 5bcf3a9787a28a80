//! Findings: what is risky, how much, where, and exactly why.
//!
//! One module per check, all of the same shape ([`Check`]: read the
//! [`Model`], write to the [`Sink`]), listed in [`CHECKS`]: risky roles,
//! bindings and subjects, hygiene, routes to cluster-admin, hot pods, and
//! risky ServiceAccounts. The model is complete before any check runs, so
//! no check can read another's output. Each finding has a stable
//! kebab-case [`Code`] and a stable fingerprint. Pure: no I/O.

pub mod bindings;
pub mod hygiene;
pub mod nodes;
pub mod pods;
pub mod roles;
pub mod routes;
pub mod service_accounts;
pub mod subjects;

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::rbac::v1::PolicyRule;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::access::Access;
use crate::access::explain::{GroundView, Origin, PathView};
use crate::access::matching::Grounds;
use crate::cores;
use crate::rating::{self, RatedTarget, Ratings};
use crate::rbac::{Rbac, RoleId, Scope, SubjectId};
use crate::snapshot::{Kind, ObjectKey, Snapshot};
use crate::template::{Severity, Template};
use crate::words;
use crate::workloads::exposure;

/// The stable code of a kind of finding. Its kebab-case name
/// ([`Code::as_str`]) and its description ([`Code::description`], the doc
/// comment of the variant) come from this one table.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    strum::IntoStaticStr,
    strum::EnumIter,
    strum::EnumMessage,
    schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
#[schemars(description = "The stable code of a kind of finding.")]
pub enum Code {
    /// A subject or pod has a route to cluster-admin-equivalent power, through
    /// other identities, pods or nodes.
    PathToClusterAdmin,
    /// A pod gives its containers a ServiceAccount token with risky permissions.
    HotPod,
    /// A subject holds a risky set of permissions (union of all its bindings).
    RiskySubject,
    /// A binding grants a risky set of permissions.
    RiskyBinding,
    /// A role contains a risky set of permissions.
    RiskyRole,
    /// A `default` ServiceAccount holds risky permissions: every pod of its
    /// namespace that names no ServiceAccount gets them.
    RiskyDefaultServiceAccount,
    /// A ServiceAccount with risky permissions that no pod uses.
    UnusedRiskyServiceAccount,
    /// A binding names a ServiceAccount that does not exist.
    MissingServiceAccount,
    /// A binding grants to `system:anonymous`.
    BindingToAnonymous,
    /// A binding grants to `system:unauthenticated`.
    BindingToUnauthenticated,
    /// A binding grants to `system:authenticated`.
    BindingToAuthenticated,
    /// A binding grants to every ServiceAccount (of the cluster or of a namespace).
    BindingToAllServiceAccounts,
    /// A binding names `system:masters`, whose members bypass RBAC anyway.
    BindingToSystemMasters,
    /// A binding's roleRef names a role that does not exist.
    MissingRole,
    /// A ClusterRoleBinding references a Role: invalid, grants nothing.
    ClusterBindingToRole,
    /// A binding's roleRef kind is neither Role nor ClusterRole.
    InvalidRoleRef,
    /// A binding subject that applies to nobody.
    InvalidSubject,
    /// A binding with no subjects: it grants nothing.
    BindingWithoutSubjects,
    /// Aggregated ClusterRoles that select each other: each keeps the
    /// others' rules for good.
    AggregationCycle,
    /// An aggregated ClusterRole whose selectors match its own labels.
    SelfSelectingRole,
}

impl Code {
    /// The code as it appears in reports.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// What the code means: the variant's doc comment.
    pub fn description(self) -> &'static str {
        strum::EnumMessage::get_documentation(&self).unwrap_or("")
    }

    /// Every code, in severity-table order.
    pub fn all() -> impl Iterator<Item = Code> {
        <Code as strum::IntoEnumIterator>::iter()
    }

    /// Whether the code is a risky-permission finding (as opposed to hygiene).
    pub fn is_risk(self) -> bool {
        matches!(
            self,
            Code::PathToClusterAdmin
                | Code::RiskySubject
                | Code::RiskyBinding
                | Code::RiskyRole
                | Code::HotPod
                | Code::RiskyDefaultServiceAccount
                | Code::UnusedRiskyServiceAccount
        )
    }
}

/// Where a finding applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum FindingScope {
    /// Cluster-wide: every namespace, cluster-scoped resources, non-resource URLs.
    Cluster,
    /// These namespaces only.
    Namespaces {
        /// The namespaces, sorted.
        namespaces: Vec<String>,
    },
}

impl FindingScope {
    /// Whether the scope covers namespace `ns`.
    pub fn covers(&self, ns: &str) -> bool {
        match self {
            FindingScope::Cluster => true,
            FindingScope::Namespaces { namespaces } => namespaces.iter().any(|n| n == ns),
        }
    }

    fn of(scope: &Scope) -> FindingScope {
        match scope {
            Scope::Cluster => FindingScope::Cluster,
            Scope::Namespace(ns) => FindingScope::Namespaces {
                namespaces: vec![ns.clone()],
            },
        }
    }
}

impl std::fmt::Display for FindingScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FindingScope::Cluster => f.write_str("cluster-wide"),
            FindingScope::Namespaces { namespaces } => f.write_str(&namespaces.join(", ")),
        }
    }
}

/// Why a risk finding matched: one rule of one role, through one binding
/// (the same binding → role → rule as every answer of the access engine),
/// and what it grants of the risk.
///
/// In JSON the rule is not repeated: `ruleRef` points into the report's
/// `rules` table (see [`RuleEntry`], [`number_rules`]), and the evidence
/// keeps the binding, the group it reaches the subject through, and what
/// it grants.
#[derive(Debug, Clone, PartialEq)]
pub struct Evidence {
    /// The binding (absent for role findings), the group it reaches the
    /// subject through, the role, the rule's index, where an aggregated
    /// rule comes from, and the rule.
    pub ground: GroundView,
    /// The rule's position in the `rules` table of the findings it is
    /// part of.
    pub rule_ref: usize,
    /// What the rule grants of the risk (e.g. `get secrets`).
    pub grants: Vec<String>,
}

/// [`Evidence`] as reports write it. Its serialisation and its JSON Schema
/// come from this one definition.
#[derive(Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(
    rename = "Evidence",
    description = "Why a risk finding matched: one rule (a position in `rules`) of one role, through one binding (absent for role findings), and what the rule grants of the risk."
)]
struct EvidenceJson<'e> {
    /// The binding; absent for role findings.
    #[serde(skip_serializing_if = "Option::is_none")]
    binding: Option<&'e ObjectKey>,
    /// The group the binding names, when it reaches the subject through one.
    #[serde(skip_serializing_if = "Option::is_none")]
    via_group: Option<&'e str>,
    /// The rule: a position in the report's `rules` table.
    rule_ref: usize,
    /// What the rule grants of the risk (`get secrets`).
    grants: &'e [String],
}

impl<'e> From<&'e Evidence> for EvidenceJson<'e> {
    fn from(e: &'e Evidence) -> Self {
        EvidenceJson {
            binding: e.ground.binding.as_ref(),
            via_group: e.ground.via_group.as_deref(),
            rule_ref: e.rule_ref,
            grants: &e.grants,
        }
    }
}

impl Serialize for Evidence {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        EvidenceJson::from(self).serialize(s)
    }
}

impl schemars::JsonSchema for Evidence {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        EvidenceJson::schema_name()
    }

    fn json_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
        EvidenceJson::json_schema(g)
    }
}

/// One effective rule that evidence points to: an entry of the report's
/// `rules` table.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RuleEntry {
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

/// Numbers the rules the evidence of `findings` points to and returns them
/// as a table: each distinct (role, rule index) once, ordered by role and
/// index, so that the same findings always give the same table. Sets every
/// evidence's [`Evidence::rule_ref`].
pub fn number_rules(findings: &mut [Finding]) -> Vec<RuleEntry> {
    let mut entries: BTreeMap<(ObjectKey, usize), RuleEntry> = BTreeMap::new();
    for e in findings.iter().flat_map(|f| &f.evidence) {
        let g = &e.ground;
        entries
            .entry((g.role.clone(), g.rule_index))
            .or_insert_with(|| RuleEntry {
                role: g.role.clone(),
                rule_index: g.rule_index,
                aggregated_from: g.aggregated_from.clone(),
                rule: g.rule.clone(),
            });
    }
    {
        let ids: BTreeMap<(&ObjectKey, usize), usize> = (entries.keys().enumerate())
            .map(|(n, (role, index))| ((role, *index), n))
            .collect();
        for e in findings.iter_mut().flat_map(|f| &mut f.evidence) {
            e.rule_ref = ids[&(&e.ground.role, e.ground.rule_index)];
        }
    }
    entries.into_values().collect()
}

impl Evidence {
    /// `binding → role`, with `(via group)` when the binding reaches the
    /// subject through a group; `None` for role findings.
    pub fn chain(&self) -> Option<String> {
        let g = &self.ground;
        let b = g.binding.as_ref()?;
        Some(match &g.via_group {
            Some(v) => format!("{b} → {} (via {v})", g.role),
            None => format!("{b} → {}", g.role),
        })
    }
}

/// How a finding compares with the `--baseline` report (see
/// `crate::baseline`). Stable kebab-case in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[schemars(rename = "Status")]
pub enum BaselineStatus {
    /// Not in the baseline.
    New,
    /// In the baseline too.
    Unchanged,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    /// The kind of finding.
    pub code: Code,
    /// The template rule, for risk findings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// How bad it is.
    pub severity: Severity,
    /// Stable identifier: the same finding on the same objects has the same fingerprint across runs.
    pub fingerprint: String,
    /// One-line title.
    pub title: String,
    /// The subject concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<SubjectId>,
    /// The binding concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub binding: Option<ObjectKey>,
    /// The role concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<ObjectKey>,
    /// The pod concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pod: Option<ObjectKey>,
    /// Where it applies (for pod findings: the pod's namespace).
    pub scope: FindingScope,
    /// When the permissions are limited to named objects (`resourceNames`): those names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_names: Option<Vec<String>>,
    /// What it means, in a sentence.
    pub message: String,
    /// What to do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remediation: Option<String>,
    /// Every object involved is part of the Kubernetes bootstrap policy.
    pub bootstrap_default: bool,
    /// The role rules that make it match.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<Evidence>,
    /// For a grant rated by what the objects it reaches carry (exec into a
    /// pod, a token for a ServiceAccount, ...): those objects and their worth.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rated_by: Vec<RatedTarget>,
    /// For a route to cluster-admin: its steps, each explained.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<Box<PathView>>,
    /// Position of the template rule in the template (orders risks like the template does).
    #[serde(skip)]
    pub rule_order: usize,
    /// New or unchanged since the `--baseline` report (only with one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineStatus>,
}

impl Finding {
    /// The rule the finding answers to: its template rule, else its code
    /// (how SARIF names rules and the HTML report filters).
    pub fn rule_id(&self) -> &str {
        self.rule.as_deref().unwrap_or_else(|| self.code.as_str())
    }

    fn fingerprint_of(
        code: Code,
        rule: Option<&str>,
        subject: Option<&SubjectId>,
        binding: Option<&ObjectKey>,
        role: Option<&ObjectKey>,
        extra: &str,
    ) -> String {
        let mut h = Sha256::new();
        h.update(code.as_str());
        for part in [
            rule.unwrap_or("").to_string(),
            subject.map(|s| s.to_string()).unwrap_or_default(),
            binding.map(|b| b.to_string()).unwrap_or_default(),
            role.map(|r| r.to_string()).unwrap_or_default(),
            extra.to_string(),
        ] {
            h.update([0]);
            h.update(part.as_bytes());
        }
        h.finalize()[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// Options of an analysis.
#[derive(Debug, Clone)]
pub struct AnalysisOptions {
    /// Namespaces whose grants count as privileged, in addition to the template's.
    pub extra_privileged_namespaces: Vec<String>,
    /// A pod is hot when a token it exposes carries findings at or above
    /// this severity (default HIGH).
    pub hot_threshold: Severity,
    /// Platforms whose own roles and bindings are taken as defaults, like
    /// the bootstrap policy (`--platform`; see [`crate::rbac::platforms`]).
    pub platforms: Vec<crate::rbac::platforms::Platform>,
}

impl Default for AnalysisOptions {
    fn default() -> Self {
        AnalysisOptions {
            extra_privileged_namespaces: Vec::new(),
            hot_threshold: Severity::High,
            platforms: Vec::new(),
        }
    }
}

/// The result of analysing a snapshot.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// All findings, sorted (severity, code, names).
    pub findings: Vec<Finding>,
    /// The rules the findings' evidence points to (see [`number_rules`]).
    pub rules: Vec<RuleEntry>,
    /// Distinct subjects evaluated.
    pub subjects_evaluated: usize,
    /// Namespaces treated as privileged.
    pub privileged_namespaces: BTreeSet<String>,
    /// Notes on what could not be determined (e.g. no ServiceAccounts in the input).
    pub notes: Vec<String>,
    /// Every pod: its tokens, their worth, its amplifiers.
    pub pods: Vec<pods::PodView>,
    /// What each node holds.
    pub nodes: nodes::NodesReport,
    /// The hot threshold used.
    pub hot_threshold: Severity,
}

/// The model of one analysis run, handed to each finding module: the
/// snapshot, what each subject, binding and role holds, what each pod
/// exposes, and how all of it is rated. Checks read only this, never each
/// other's findings.
pub struct Context<'a, 's> {
    /// The snapshot.
    pub snapshot: &'s Snapshot,
    /// Resolved RBAC.
    pub rbac: &'a Rbac<'s>,
    /// The template.
    pub template: &'a Template,
    /// Who holds which risks.
    pub access: &'a Access<'s>,
    /// How severe each grant is, and what subjects, pods and nodes are worth.
    pub ratings: &'a Ratings,
    /// Privileged namespaces.
    pub privileged: &'a BTreeSet<String>,
}

impl Context<'_, '_> {
    /// Evidence entries for grounds of risk rule `risk`, with `via` naming
    /// the group a binding reaches through.
    pub fn evidence(
        &self,
        risk: usize,
        grounds: &[Grounds],
        via: impl Fn(crate::rbac::BindingId) -> Option<String>,
    ) -> Vec<Evidence> {
        let rule = &self.template.rules[risk];
        grounds
            .iter()
            .map(|g| {
                let via_group = g.binding.and_then(&via);
                Evidence {
                    ground: GroundView::new(
                        self.rbac,
                        g.binding,
                        via_group.as_deref(),
                        g.role,
                        g.rule,
                    ),
                    rule_ref: 0,
                    grants: g
                        .grants
                        .iter()
                        .map(|&(req, probe)| rule.requires[req].any_of[probe].describe())
                        .collect::<BTreeSet<String>>()
                        .into_iter()
                        .collect(),
                }
            })
            .collect()
    }

    /// Whether a role is part of the bootstrap policy.
    pub fn role_is_default(&self, role: RoleId) -> bool {
        self.rbac.role(role).default
    }

    /// Whether every one of `grounds` comes from the bootstrap policy (a
    /// default binding to a default role).
    pub fn grounds_are_default(&self, grounds: &[Grounds]) -> bool {
        grounds.iter().all(|g| {
            g.binding.is_some_and(|b| self.rbac.binding(b).default) && self.role_is_default(g.role)
        })
    }
}

/// Everything a check reads: the model of the run ([`Context`]), what
/// each ServiceAccount's token is worth, every pod's view, and the hot-pod
/// threshold. All of it is worked out before any check runs, from the
/// model alone: no check can see another's findings.
pub struct Model<'m, 'c, 'a, 's> {
    /// Snapshot, access and ratings.
    pub cx: &'c Context<'a, 's>,
    /// What each ServiceAccount's token is worth.
    pub risks: &'m pods::TokenRisks<'c, 'a, 's>,
    /// Every pod: its tokens, their worth, its amplifiers.
    pub pods: &'m [pods::PodView],
    /// A pod is hot when a token it exposes reaches this severity.
    pub threshold: Severity,
}

/// Where checks put what they find. Write-only for the checks: a check can
/// add findings and notes, never read what another check added.
#[derive(Debug, Default)]
pub struct Sink {
    findings: Vec<Finding>,
    notes: Vec<String>,
}

impl Sink {
    /// Adds a finding.
    pub fn push(&mut self, finding: Finding) {
        self.findings.push(finding);
    }

    /// Adds a note on what could not be determined.
    pub fn note(&mut self, note: String) {
        self.notes.push(note);
    }

    /// Everything added: findings (in any order) and notes.
    fn into_parts(self) -> (Vec<Finding>, Vec<String>) {
        (self.findings, self.notes)
    }
}

/// A check: reads the model, writes to the sink.
pub type Check = fn(&Model<'_, '_, '_, '_>, &mut Sink);

/// Every check, by module name. Each has the same shape and reads only
/// the model, so their order does not matter.
pub const CHECKS: [(&str, Check); 7] = [
    ("roles", roles::find),
    ("bindings", bindings::find),
    ("subjects", subjects::find),
    ("hygiene", hygiene::find),
    ("routes", routes::find),
    ("pods", pods::find),
    ("service_accounts", service_accounts::find),
];

/// Analyses a snapshot against a template.
///
/// The pods' containers and volumes are taken out of `snapshot`
/// ([`Snapshot::take_workloads`]) and freed once the tokens they expose
/// are worked out: afterwards its pods keep their identity, ServiceAccount,
/// node and host settings only.
pub fn analyze(
    snapshot: &mut Snapshot,
    template: &Template,
    options: &AnalysisOptions,
) -> Analysis {
    let workloads = snapshot.take_workloads();
    let snapshot = &*snapshot;
    let mut privileged = template.privileged_namespaces.clone();
    privileged.extend(options.extra_privileged_namespaces.iter().cloned());
    let (exposures, mut rbac) = cores::join(
        move || exposure::expose(snapshot, &workloads),
        || Rbac::resolve(snapshot),
    );
    let marked = crate::rbac::platforms::mark(&mut rbac, &options.platforms);
    let access = Access::build_resolved(snapshot, template, rbac, &exposures);
    let ratings = rating::rate(snapshot, template, &access, &exposures, &privileged);
    let cx = Context {
        snapshot,
        rbac: &access.rbac,
        template,
        access: &access,
        ratings: &ratings,
        privileged: &privileged,
    };
    let threshold = options.hot_threshold;
    let risks = pods::TokenRisks::new(&cx);
    let pod_views = pods::views(exposures, &risks, threshold);
    let model = Model {
        cx: &cx,
        risks: &risks,
        pods: &pod_views,
        threshold,
    };
    // Checks are independent: they run on every core, each into its own
    // sink, and their findings and notes are taken in the order of CHECKS.
    // The nodes' blast radius is worked out beside them.
    let (nodes, sinks) = cores::join(
        || nodes::blast_radius(&pod_views, &risks),
        || {
            cores::map(&CHECKS, 1, |(_, check)| {
                let mut sink = Sink::default();
                check(&model, &mut sink);
                sink
            })
        },
    );
    let (mut findings, mut notes) = (Vec::new(), Vec::new());
    for sink in sinks {
        let (f, n) = sink.into_parts();
        findings.extend(f);
        notes.extend(n);
    }
    let unclassified: usize = pod_views.iter().map(|p| p.unclassified_secrets.len()).sum();
    if unclassified > 0 {
        let in_pods = pod_views
            .iter()
            .filter(|p| !p.unclassified_secrets.is_empty())
            .count();
        notes.push(format!(
            "{unclassified} secret references in {in_pods} pods could not be classified: Secrets were not listed, so legacy ServiceAccount token secrets cannot be recognised (live: --secret-metadata; offline: include the Secrets or a dump made with it)"
        ));
    }
    if let Some(note) = unknown_defaults_note(&access.rbac) {
        notes.push(note);
    }
    if !options.platforms.is_empty() {
        let names: Vec<&str> = (options.platforms.iter())
            .map(|p| p.defaults().name)
            .collect();
        notes.push(format!(
            "{} and {} taken as the defaults of {} (--platform): by name, place and subjects, not by content; --include-defaults lists what they grant",
            words::count(marked.roles, "role"),
            words::count(marked.bindings, "binding"),
            names.join(", ")
        ));
    }
    if !snapshot.coverage.has(Kind::Secret) {
        let unrated = ratings
            .subjects
            .iter()
            .flatten()
            .filter(|r| {
                r.targets
                    .iter()
                    .any(|t| t.kind == crate::template::TargetKind::Secret && t.unlisted)
            })
            .count();
        if unrated > 0 {
            let (grants, secrets) = if unrated == 1 {
                ("grant to read a named secret", "that secret")
            } else {
                ("grants to read named secrets", "those secrets")
            };
            notes.push(format!(
                "{unrated} {grants} could not be rated by the tokens {secrets} may hold: Secrets were not listed (live: --secret-metadata; offline: include the Secrets)"
            ));
        }
    }
    let subjects_evaluated = access.subjects.len();
    // The workings are freed on one core while the findings are sorted on
    // the other: what the report allocates next reuses their memory.
    drop(risks);
    let ((), rules) = cores::join(
        move || drop((ratings, access)),
        || {
            sort(&mut findings);
            number_rules(&mut findings)
        },
    );
    Analysis {
        findings,
        rules,
        subjects_evaluated,
        privileged_namespaces: privileged,
        notes,
        pods: pod_views,
        nodes,
        hot_threshold: threshold,
    }
}

/// A note on roles and bindings that carry the bootstrap-policy label but
/// are not the policy rbacscan knows: they are reported as ordinary
/// objects, and the reader should know why they are not summarised.
fn unknown_defaults_note(rbac: &Rbac<'_>) -> Option<String> {
    let roles = (rbac.roles.iter())
        .filter(|r| r.labelled_default && !r.default)
        .count();
    let bindings = (rbac.bindings.iter())
        .filter(|b| b.labelled_default && !b.default)
        .count();
    let mut parts = Vec::new();
    if roles > 0 {
        parts.push(words::count(roles, "role"));
    }
    if bindings > 0 {
        parts.push(words::count(bindings, "binding"));
    }
    if parts.is_empty() {
        return None;
    }
    let one = roles + bindings == 1;
    Some(format!(
        "{} {} the bootstrap-policy label but {} from the Kubernetes bootstrap policy rbacscan knows ({}): {} reported as ordinary objects (another version's policy, or changed in the cluster)",
        parts.join(" and "),
        if one { "carries" } else { "carry" },
        if one { "differs" } else { "differ" },
        crate::rbac::bootstrap::known_source(),
        if one { "it is" } else { "they are" },
    ))
}

/// What the analysis cannot see when objects of `kind` could not be read
/// (see [`crate::snapshot::Coverage`]).
pub fn gap_impact(kind: Kind) -> &'static str {
    match kind {
        Kind::ClusterRole => {
            "bindings to ClusterRoles are unresolved, so the risks they grant are unknown; no risky-role findings for ClusterRoles; missing-role findings for ClusterRoles are suppressed"
        }
        Kind::ClusterRoleBinding => {
            "grants through ClusterRoleBindings are unknown: risky subjects may be missing or rated too low"
        }
        Kind::Role => {
            "bindings to Roles are unresolved, so the risks they grant are unknown; no risky-role findings for Roles; missing-role findings for Roles are suppressed"
        }
        Kind::RoleBinding => {
            "grants through RoleBindings are unknown: risky subjects may be missing or rated too low"
        }
        Kind::ServiceAccount => "missing-service-account findings are suppressed",
        Kind::Pod => {
            "pods are unknown: which pods expose risky tokens cannot be determined, and grants rated by what pods carry (exec, attach, ephemeral containers) are rated without them"
        }
        Kind::Namespace => "namespace counts only; findings are unaffected",
        Kind::Secret => {
            "secret mounts cannot be told apart from legacy ServiceAccount token secrets: pods that mount one may expose more tokens than reported, and reading secrets is not rated by the tokens they hold"
        }
    }
}

/// Sorts findings: most severe first, then risky subjects, bindings, roles,
/// hygiene, then by the objects' names and the rule id.
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.code.cmp(&b.code))
            .then(a.subject.cmp(&b.subject))
            .then(a.binding.cmp(&b.binding))
            .then(a.role.cmp(&b.role))
            .then(a.pod.cmp(&b.pod))
            .then(a.rule_order.cmp(&b.rule_order))
            .then(a.fingerprint.cmp(&b.fingerprint))
    });
}
