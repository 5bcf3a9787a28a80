//! The risky-permission template: which combinations of permissions are risky
//! and how much, per scope.
//!
//! Two formats are read. Ours (`kind: RiskTemplate`, see `risky-roles.yaml`)
//! and KubiScan's (`items` of `kind: Role` with `metadata.priority`), so users
//! can bring a customised KubiScan file. Both are validated into one
//! [`Template`]; every error names the file, the line and the rule.

use std::collections::BTreeSet;

use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

use crate::rbac::rules::Request;
use crate::rbac::scope;

/// The default template, `risky-roles.yaml` at the repository root.
pub const DEFAULT_TEMPLATE: &str = include_str!("../risky-roles.yaml");
/// The name the default template is reported under.
pub const DEFAULT_TEMPLATE_NAME: &str = "risky-roles.yaml (built in)";

/// How bad a finding is.
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
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum Severity {
    /// Worth knowing; rarely exploitable alone.
    Low,
    /// Exploitable with more effort or in a narrow scope.
    Medium,
    /// A direct route to other identities' power or data.
    High,
    /// A direct route to cluster takeover.
    Critical,
}

impl Severity {
    /// All levels, lowest first.
    pub const ALL: [Severity; 4] = [
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    /// The level's name, upper case.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "LOW",
            Severity::Medium => "MEDIUM",
            Severity::High => "HIGH",
            Severity::Critical => "CRITICAL",
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Severity::ALL
            .into_iter()
            .find(|l| l.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                format!("unknown severity `{s}` (expected CRITICAL, HIGH, MEDIUM or LOW)")
            })
    }
}

/// A rule's severity in each kind of scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScopedSeverity {
    /// Granted cluster-wide (ClusterRoleBinding).
    pub cluster: Severity,
    /// Granted in a privileged namespace (such as kube-system).
    pub privileged_namespace: Severity,
    /// Granted in any other namespace.
    pub namespace: Severity,
}

/// What a grant limited to named objects (`resourceNames`) is worth, for a
/// permission of a template rule (`names:` in the template).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum NamesPolicy {
    /// The names limit the power: a names-only grant is rated LOW (the default).
    #[default]
    Narrow,
    /// The names do not limit the power: the holder can create an object of
    /// that name, or rewrite the named object wholesale (a webhook
    /// configuration's rules and endpoint, say). Rated as a full grant.
    Unlimited,
    /// Grants naming any of these objects are rated as full grants; others
    /// as narrow (`approve` on the signer `kubernetes.io/kube-apiserver-client`).
    Dangerous(BTreeSet<String>),
    /// Rated by what the named objects carry: exec into a pod is worth the
    /// pod's tokens, a token request for a ServiceAccount is worth that
    /// ServiceAccount's permissions. Full grants are rated at least as high
    /// as the riskiest such object in their scope.
    Target(TargetKind),
}

/// The kind of object a names-only grant is rated by (see [`NamesPolicy::Target`]).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema,
)]
#[schemars(description = "The kind of object a grant limited to named objects is rated by.")]
pub enum TargetKind {
    /// A pod (`pods` and its subresources): what its containers' tokens carry,
    /// and its node's when it can escape to the node.
    Pod,
    /// A ServiceAccount: its permissions.
    ServiceAccount,
    /// A user: its permissions (and a ServiceAccount's, for
    /// `system:serviceaccount:<namespace>:<name>`).
    User,
    /// A group: its permissions; `system:masters` is cluster-admin.
    Group,
    /// A Role or ClusterRole: what it grants where it would be bound.
    Role,
    /// A Secret: the permissions of the ServiceAccount whose legacy token it holds.
    Secret,
    /// A node: what the tokens of its pods carry.
    Node,
}

impl TargetKind {
    /// The kind of object a request on `resource` of `group` names, when
    /// rbacscan can rate it.
    pub fn of(group: Option<&str>, resource: &str) -> Option<TargetKind> {
        let core = group.is_none_or(str::is_empty);
        let rbac = group.is_none_or(|g| g == "rbac.authorization.k8s.io");
        Some(match resource {
            "pods" if core => TargetKind::Pod,
            "serviceaccounts" if core => TargetKind::ServiceAccount,
            "users" if core => TargetKind::User,
            "groups" if core => TargetKind::Group,
            "secrets" if core => TargetKind::Secret,
            "nodes" if core => TargetKind::Node,
            "roles" | "clusterroles" if rbac => TargetKind::Role,
            _ => return None,
        })
    }

    /// The kind's name in the template and the report.
    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::Pod => "Pod",
            TargetKind::ServiceAccount => "ServiceAccount",
            TargetKind::User => "User",
            TargetKind::Group => "Group",
            TargetKind::Role => "Role",
            TargetKind::Secret => "Secret",
            TargetKind::Node => "Node",
        }
    }
}

/// One probe: a concrete request an authorizer would be asked about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    /// A resource request naming no object.
    Resource {
        /// The verb.
        verb: String,
        /// The API group; `None` means any group (imported KubiScan rules).
        api_group: Option<String>,
        /// The resource.
        resource: String,
        /// The subresource, or `""`.
        subresource: String,
        /// Whether a RoleBinding can grant it (see [`crate::rbac::scope`]).
        namespaced: bool,
        /// What a grant of it for named objects only is worth.
        names: NamesPolicy,
    },
    /// A non-resource request.
    NonResource {
        /// The verb.
        verb: String,
        /// The URL path.
        path: String,
    },
}

impl Probe {
    /// The request this probe asks about, for a rule whose API groups are `rule_groups`
    /// (used to stand in for "any group").
    pub fn request<'a>(&'a self, rule_groups: Option<&'a [String]>) -> Option<Request<'a>> {
        Some(match self {
            Probe::Resource {
                verb,
                api_group,
                resource,
                subresource,
                ..
            } => Request::Resource {
                verb,
                api_group: match api_group {
                    Some(g) => g,
                    // Any group: the rule matches if it names at least one.
                    None => rule_groups?.first()?,
                },
                resource,
                subresource,
                name: "",
            },
            Probe::NonResource { verb, path } => Request::NonResource { verb, path },
        })
    }

    /// What a grant of this probe for named objects only is worth.
    pub fn names(&self) -> &NamesPolicy {
        static NARROW: NamesPolicy = NamesPolicy::Narrow;
        match self {
            Probe::Resource { names, .. } => names,
            Probe::NonResource { .. } => &NARROW,
        }
    }

    /// Whether a RoleBinding can grant this probe.
    pub fn grantable_in_namespace(&self) -> bool {
        match self {
            Probe::Resource { namespaced, .. } => *namespaced,
            Probe::NonResource { .. } => false,
        }
    }

    /// `verb resource[/sub]` (with the group when not core), for reports.
    pub fn describe(&self) -> String {
        match self {
            Probe::Resource {
                verb,
                api_group,
                resource,
                subresource,
                ..
            } => {
                let res = if subresource.is_empty() {
                    resource.clone()
                } else {
                    format!("{resource}/{subresource}")
                };
                match api_group.as_deref() {
                    None | Some("") => format!("{verb} {res}"),
                    Some(g) => format!("{verb} {g}/{res}"),
                }
            }
            Probe::NonResource { verb, path } => format!("{verb} {path}"),
        }
    }
}

/// One entry of `requires`: granted when any of its probes is granted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    /// Alternative requests; any one grants the requirement.
    pub any_of: Vec<Probe>,
}

/// A validated template rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskRule {
    /// Stable kebab-case id.
    pub id: String,
    /// Short title.
    pub title: String,
    /// Severity per scope.
    pub severity: ScopedSeverity,
    /// Why it is risky.
    pub description: String,
    /// What to do about it.
    pub remediation: String,
    /// All must be granted, in one scope.
    pub requires: Vec<Requirement>,
    /// 1-based line of the rule in its file.
    pub line: u64,
}

/// A validated template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    /// Where it came from, for the report.
    pub source: String,
    /// The template's format: `rbacscan` or `kubiscan`.
    pub format: &'static str,
    /// Namespaces whose grants count as privileged.
    pub privileged_namespaces: BTreeSet<String>,
    /// The rules, in file order.
    pub rules: Vec<RiskRule>,
}

impl Template {
    /// The built-in default template.
    pub fn builtin() -> Template {
        Template::parse(DEFAULT_TEMPLATE_NAME, DEFAULT_TEMPLATE)
            .expect("the built-in template is valid (tested)")
    }

    /// Reads a template file of either format.
    pub fn load(path: &str) -> Result<Template, TemplateError> {
        let text = std::fs::read_to_string(path).map_err(|source| TemplateError::Read {
            path: path.into(),
            source,
        })?;
        Template::parse(path, &text)
    }

    /// Parses a template of either format; `name` is used in errors.
    pub fn parse(name: &str, text: &str) -> Result<Template, TemplateError> {
        #[derive(Deserialize)]
        struct Probe {
            #[serde(default)]
            kind: Option<String>,
            #[serde(default)]
            items: Option<IgnoredAny>,
        }
        let probe: Probe = serde_saphyr::from_str(text).map_err(|e| syntax(name, text, &e))?;
        match (probe.kind.as_deref(), probe.items.is_some()) {
            (Some("RiskTemplate"), _) => parse_native(name, text),
            (None, true) => parse_kubiscan(name, text),
            (Some(other), _) => Err(TemplateError::Invalid {
                file: name.into(),
                line: 1,
                rule: None,
                message: format!(
                    "unknown template kind `{other}` (expected `RiskTemplate`, or a KubiScan file with `items`)"
                ),
            }),
            (None, false) => Err(TemplateError::Invalid {
                file: name.into(),
                line: 1,
                rule: None,
                message:
                    "not a template: expected `kind: RiskTemplate` or a KubiScan file with `items`"
                        .into(),
            }),
        }
    }

    /// A rule by id.
    pub fn rule(&self, id: &str) -> Option<&RiskRule> {
        self.rules.iter().find(|r| r.id == id)
    }
}

/// Errors of the template layer.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// The template file could not be read.
    #[error("{path}: cannot read template: {source}")]
    Read {
        /// The path as given.
        path: String,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The template is not valid YAML or does not match the format (unknown field, wrong type).
    #[error("{file}:{line}:{column}: {}{message}", rule.as_ref().map(|r| format!("rule `{r}`: ")).unwrap_or_default())]
    Syntax {
        /// The template file.
        file: String,
        /// 1-based line.
        line: u64,
        /// 1-based column.
        column: u64,
        /// The rule the error is in, when known.
        rule: Option<String>,
        /// What is wrong.
        message: String,
    },
    /// The template parses but a rule is invalid (unknown severity, bad id, duplicate, empty requirement).
    #[error("{file}:{line}: {}{message}", rule.as_ref().map(|r| format!("rule `{r}`: ")).unwrap_or_default())]
    Invalid {
        /// The template file.
        file: String,
        /// 1-based line of the rule (or of the file's start).
        line: u64,
        /// The rule's id, when it has one.
        rule: Option<String>,
        /// What is wrong.
        message: String,
    },
}

// ---- our format -------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawTemplate {
    #[allow(dead_code)]
    api_version: Option<String>,
    #[allow(dead_code)]
    kind: String,
    #[serde(default)]
    privileged_namespaces: Option<Vec<String>>,
    rules: Vec<Spanned<RawRule>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawRule {
    id: String,
    title: String,
    severity: RawSeverity,
    description: String,
    remediation: String,
    requires: Vec<RawRequirement>,
}

/// `severity: HIGH` or `severity: {cluster: .., privilegedNamespace: .., namespace: ..}`.
enum RawSeverity {
    Level(String),
    Scoped(RawScoped),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawScoped {
    cluster: String,
    privileged_namespace: String,
    namespace: String,
}

impl<'de> Deserialize<'de> for RawSeverity {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawSeverity;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a severity level or a map of cluster, privilegedNamespace and namespace levels")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawSeverity, E> {
                Ok(RawSeverity::Level(v.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawSeverity, A::Error> {
                RawScoped::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(RawSeverity::Scoped)
            }
        }
        d.deserialize_any(V)
    }
}

/// A permission (apiGroups/resources/verbs or nonResourceURLs/verbs) or `anyOf`.
/// It repeats [`RawPermission`]'s fields instead of `#[serde(flatten)]`, which
/// would silently drop `deny_unknown_fields` and the error locations.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawRequirement {
    #[serde(default)]
    any_of: Option<Vec<RawPermission>>,
    #[serde(default)]
    api_groups: Option<Vec<String>>,
    #[serde(default)]
    resources: Option<Vec<String>>,
    #[serde(default)]
    verbs: Option<Vec<String>>,
    #[serde(default, rename = "nonResourceURLs")]
    non_resource_urls: Option<Vec<String>>,
    #[serde(default)]
    names: Option<RawNames>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawPermission {
    #[serde(default)]
    api_groups: Option<Vec<String>>,
    #[serde(default)]
    resources: Option<Vec<String>>,
    #[serde(default)]
    verbs: Option<Vec<String>>,
    #[serde(default, rename = "nonResourceURLs")]
    non_resource_urls: Option<Vec<String>>,
    #[serde(default)]
    names: Option<RawNames>,
}

impl RawPermission {
    fn is_empty(&self) -> bool {
        self.api_groups.is_none()
            && self.resources.is_none()
            && self.verbs.is_none()
            && self.non_resource_urls.is_none()
            && self.names.is_none()
    }
}

/// `names: narrow | unlimited | target` or `names: {dangerous: [...]}`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
enum RawNames {
    Narrow,
    Unlimited,
    Target,
    Dangerous(Vec<String>),
}

fn parse_native(name: &str, text: &str) -> Result<Template, TemplateError> {
    let raw: RawTemplate = serde_saphyr::from_str(text).map_err(|e| syntax(name, text, &e))?;
    if raw.rules.is_empty() {
        return Err(no_rules(name, "`rules`"));
    }
    let mut rules = Vec::with_capacity(raw.rules.len());
    let mut seen = BTreeSet::new();
    for spanned in raw.rules {
        let line = spanned.referenced.line();
        let r = spanned.value;
        let invalid = |message: String| TemplateError::Invalid {
            file: name.into(),
            line,
            rule: Some(r.id.clone()).filter(|i| !i.is_empty()),
            message,
        };
        if !is_kebab_case(&r.id) {
            return Err(invalid(format!(
                "id `{}` must be kebab-case (lower-case letters, digits and single dashes)",
                r.id
            )));
        }
        if !seen.insert(r.id.clone()) {
            return Err(invalid("duplicate rule id".into()));
        }
        let severity = match &r.severity {
            RawSeverity::Level(l) => {
                let s = l.parse().map_err(&invalid)?;
                ScopedSeverity {
                    cluster: s,
                    privileged_namespace: s,
                    namespace: s,
                }
            }
            RawSeverity::Scoped(s) => ScopedSeverity {
                cluster: s.cluster.parse().map_err(&invalid)?,
                privileged_namespace: s.privileged_namespace.parse().map_err(&invalid)?,
                namespace: s.namespace.parse().map_err(&invalid)?,
            },
        };
        if r.requires.is_empty() {
            return Err(invalid(
                "`requires` is empty: the rule would match everything".into(),
            ));
        }
        let mut requires = Vec::new();
        for (i, req) in r.requires.into_iter().enumerate() {
            let at = |m: String| invalid(format!("requires[{i}]: {m}"));
            let permission = RawPermission {
                api_groups: req.api_groups,
                resources: req.resources,
                verbs: req.verbs,
                non_resource_urls: req.non_resource_urls,
                names: req.names,
            };
            let perms = match (req.any_of, permission.is_empty()) {
                (Some(list), true) if !list.is_empty() => list,
                (Some(_), true) => return Err(at("`anyOf` is empty".into())),
                (Some(_), false) => {
                    return Err(at("write either `anyOf` or one permission, not both".into()));
                }
                (None, false) => vec![permission],
                (None, true) => return Err(at("empty requirement".into())),
            };
            let mut any_of = Vec::new();
            for p in perms {
                expand(p, false, &mut any_of).map_err(&at)?;
            }
            requires.push(Requirement { any_of });
        }
        rules.push(RiskRule {
            id: r.id,
            title: r.title,
            severity,
            description: r.description.trim().to_string(),
            remediation: r.remediation.trim().to_string(),
            requires,
            line,
        });
    }
    Ok(Template {
        source: name.into(),
        format: "rbacscan",
        privileged_namespaces: raw
            .privileged_namespaces
            .unwrap_or_else(|| vec!["kube-system".into()])
            .into_iter()
            .collect(),
        rules,
    })
}

/// A permission's cross product as probes. `any_group` maps an apiGroups `*`
/// to "any group" (KubiScan ignores groups) instead of a literal probe.
fn expand(p: RawPermission, any_group: bool, out: &mut Vec<Probe>) -> Result<(), String> {
    let verbs = p
        .verbs
        .filter(|v| !v.is_empty())
        .ok_or("`verbs` is missing or empty")?;
    if let Some(urls) = p.non_resource_urls {
        if p.names.is_some() {
            return Err("`names` applies to resources, not to `nonResourceURLs`".into());
        }
        if p.api_groups.is_some() || p.resources.is_some() {
            return Err(
                "`nonResourceURLs` cannot be combined with `apiGroups` or `resources`".into(),
            );
        }
        if urls.is_empty() {
            return Err("`nonResourceURLs` is empty".into());
        }
        for path in &urls {
            for verb in &verbs {
                out.push(Probe::NonResource {
                    verb: verb.clone(),
                    path: path.clone(),
                });
            }
        }
        return Ok(());
    }
    let groups = p
        .api_groups
        .filter(|g| !g.is_empty())
        .ok_or("`apiGroups` is missing or empty (use \"\" for the core group)")?;
    let resources = p
        .resources
        .filter(|r| !r.is_empty())
        .ok_or("`resources` is missing or empty")?;
    let groups: Vec<Option<String>> = if any_group && groups.iter().any(|g| g == "*") {
        vec![None]
    } else {
        groups.into_iter().map(Some).collect()
    };
    for g in &groups {
        for r in &resources {
            let (resource, subresource) = r.split_once('/').unwrap_or((r, ""));
            if resource.is_empty() {
                return Err(format!("resource `{r}` has no resource name"));
            }
            let names = match &p.names {
                None | Some(RawNames::Narrow) => NamesPolicy::Narrow,
                Some(RawNames::Unlimited) => NamesPolicy::Unlimited,
                Some(RawNames::Dangerous(list)) => {
                    NamesPolicy::Dangerous(list.iter().cloned().collect())
                }
                Some(RawNames::Target) => match TargetKind::of(g.as_deref(), resource) {
                    Some(kind) => NamesPolicy::Target(kind),
                    None => {
                        return Err(format!(
                            "`names: target` needs a resource whose objects rbacscan can rate (pods, serviceaccounts, users, groups, secrets, nodes, roles, clusterroles), not `{r}`"
                        ));
                    }
                },
            };
            for verb in &verbs {
                out.push(Probe::Resource {
                    verb: verb.clone(),
                    api_group: g.clone(),
                    resource: resource.into(),
                    subresource: subresource.into(),
                    namespaced: scope::grantable_in_namespace(g.as_deref(), resource, verb),
                    names: names.clone(),
                });
            }
        }
    }
    Ok(())
}

fn is_kebab_case(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !id.starts_with('-')
        && !id.ends_with('-')
        && !id.contains("--")
}

// ---- KubiScan's format ------------------------------------------------------

#[derive(Deserialize)]
struct KsFile {
    items: Vec<Spanned<KsItem>>,
}

#[derive(Deserialize)]
struct KsItem {
    kind: String,
    metadata: KsMeta,
    #[serde(default)]
    rules: Vec<KsRule>,
}

#[derive(Deserialize)]
struct KsMeta {
    name: String,
    priority: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct KsRule {
    #[serde(default)]
    api_groups: Option<Vec<String>>,
    #[serde(default)]
    resources: Vec<String>,
    #[serde(default)]
    verbs: Vec<String>,
}

/// KubiScan calls a role risky when, for each of a risky role's rules, one
/// rule of the role holds all of its verbs on all of its resources. Here each
/// (verb, resource) pair becomes a requirement, all of which must be granted:
/// the same demand, but evaluated with the authorizer's semantics and across
/// all of a subject's bindings. KubiScan ignores API groups, so `*` (or no
/// `apiGroups`) means any group.
fn parse_kubiscan(name: &str, text: &str) -> Result<Template, TemplateError> {
    let raw: KsFile = serde_saphyr::from_str(text).map_err(|e| syntax(name, text, &e))?;
    if raw.items.is_empty() {
        return Err(no_rules(name, "`items`"));
    }
    let mut rules = Vec::new();
    let mut seen = BTreeSet::new();
    for spanned in raw.items {
        let line = spanned.referenced.line();
        let item = spanned.value;
        let id = slug(&item.metadata.name);
        let invalid = |message: String| TemplateError::Invalid {
            file: name.into(),
            line,
            rule: Some(item.metadata.name.clone()),
            message,
        };
        if item.kind != "Role" && item.kind != "ClusterRole" {
            return Err(invalid(format!(
                "kind `{}`: expected Role or ClusterRole",
                item.kind
            )));
        }
        let level: Severity = item
            .metadata
            .priority
            .as_deref()
            .ok_or_else(|| invalid("metadata.priority is missing".into()))?
            .parse()
            .map_err(&invalid)?;
        if id.is_empty() || !seen.insert(id.clone()) {
            return Err(invalid("duplicate or empty name".into()));
        }
        if item.rules.is_empty() {
            return Err(invalid("no rules".into()));
        }
        let mut requires = Vec::new();
        for (i, r) in item.rules.into_iter().enumerate() {
            for verb in &r.verbs {
                for resource in &r.resources {
                    let mut any_of = Vec::new();
                    let p = RawPermission {
                        api_groups: Some(r.api_groups.clone().unwrap_or_else(|| vec!["*".into()])),
                        resources: Some(vec![resource.clone()]),
                        verbs: Some(vec![verb.clone()]),
                        non_resource_urls: None,
                        names: None,
                    };
                    expand(p, true, &mut any_of)
                        .map_err(|m| invalid(format!("rules[{i}]: {m}")))?;
                    requires.push(Requirement { any_of });
                }
            }
            if r.verbs.is_empty() || r.resources.is_empty() {
                return Err(invalid(format!("rules[{i}]: needs verbs and resources")));
            }
        }
        rules.push(RiskRule {
            title: item.metadata.name.clone(),
            id,
            severity: ScopedSeverity {
                cluster: level,
                privileged_namespace: level,
                namespace: level,
            },
            description: format!(
                "Imported from a KubiScan template (`{}`).",
                item.metadata.name
            ),
            remediation: "Remove or narrow the permissions this rule names.".into(),
            requires,
            line,
        });
    }
    Ok(Template {
        source: name.into(),
        format: "kubiscan",
        privileged_namespaces: ["kube-system".to_string()].into(),
        rules,
    })
}

/// A template without rules would turn every risk check off without a word.
fn no_rules(name: &str, field: &str) -> TemplateError {
    TemplateError::Invalid {
        file: name.into(),
        line: 1,
        rule: None,
        message: format!(
            "{field} is empty: a template without rules would turn every risk check off"
        ),
    }
}

fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

/// A located error for a template that does not deserialize, naming the
/// enclosing rule when the error lies inside one.
fn syntax(name: &str, text: &str, e: &serde_saphyr::Error) -> TemplateError {
    let (line, column) = e
        .location()
        .filter(|l| l.line() > 0)
        .map(|l| (l.line(), l.column()))
        .unwrap_or((1, 1));
    TemplateError::Syntax {
        file: name.into(),
        line,
        column,
        rule: enclosing_rule(text, line),
        message: crate::source::diagnostic::yaml_message(e),
    }
}

fn enclosing_rule(text: &str, line: u64) -> Option<String> {
    #[derive(Deserialize)]
    struct Ids {
        #[serde(default)]
        rules: Vec<Spanned<IdOnly>>,
    }
    #[derive(Deserialize)]
    struct IdOnly {
        #[serde(default)]
        id: Option<String>,
    }
    let ids: Ids = serde_saphyr::from_str(text).ok()?;
    ids.rules
        .into_iter()
        .rfind(|r| r.referenced.line() <= line)
        .and_then(|r| r.value.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_template_is_valid_and_covers_the_good_practices() {
        let t = Template::builtin();
        for id in [
            "full-wildcard",
            "secrets-read",
            "secrets-write",
            "workload-create",
            "persistentvolumes-create",
            "nodes-proxy",
            "rbac-escalate",
            "rbac-bind",
            "impersonate-users-groups",
            "impersonate-serviceaccounts",
            "csr-create-and-approve",
            "serviceaccount-token-create",
            "admission-webhooks-write",
            "namespaces-modify",
            "pods-exec",
            "pods-attach",
            "pods-portforward",
            "pods-ephemeral-containers",
            "pods-update",
            "rbac-bindings-write",
        ] {
            assert!(t.rule(id).is_some(), "missing {id}");
        }
        assert_eq!(t.privileged_namespaces, ["kube-system".to_string()].into());
        for r in &t.rules {
            assert!(
                r.severity.cluster >= r.severity.privileged_namespace,
                "{}",
                r.id
            );
            assert!(
                r.severity.privileged_namespace >= r.severity.namespace,
                "{}",
                r.id
            );
        }
    }

    const ONE: &str = "kind: RiskTemplate\nrules:\n- id: a\n  title: A\n  severity: HIGH\n  description: d\n  remediation: r\n  requires:\n  - apiGroups: ['']\n    resources: [pods/exec]\n    verbs: [create, get]\n";

    #[test]
    fn permissions_expand_to_probes() {
        let t = Template::parse("t.yaml", ONE).unwrap();
        let probes = &t.rules[0].requires[0].any_of;
        assert_eq!(probes.len(), 2);
        assert_eq!(probes[0].describe(), "create pods/exec");
        assert_eq!(t.rules[0].line, 3);
    }

    #[test]
    fn unknown_severity_is_an_error_naming_rule_and_line() {
        let err = Template::parse("t.yaml", &ONE.replace("HIGH", "SEVERE")).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.starts_with("t.yaml:3: rule `a`: unknown severity `SEVERE`"),
            "{msg}"
        );
    }

    #[test]
    fn unknown_field_is_an_error_naming_rule_and_line() {
        let err = Template::parse(
            "t.yaml",
            &ONE.replace("  title: A\n", "  title: A\n  colour: red\n"),
        )
        .unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("t.yaml:5:"), "{msg}");
        assert!(msg.contains("rule `a`"), "{msg}");
        assert!(msg.contains("colour"), "{msg}");
        let err = Template::parse("t.yaml", &ONE.replace("    verbs:", "    verb:")).unwrap_err();
        assert!(err.to_string().contains("rule `a`"), "{err}");
    }

    #[test]
    fn duplicate_ids_and_bad_ids_are_errors() {
        let two = format!("{ONE}{}", &ONE["kind: RiskTemplate\nrules:\n".len()..]);
        assert!(
            Template::parse("t.yaml", &two)
                .unwrap_err()
                .to_string()
                .contains("duplicate")
        );
        let bad = ONE.replace("id: a", "id: Not_Kebab");
        assert!(
            Template::parse("t.yaml", &bad)
                .unwrap_err()
                .to_string()
                .contains("kebab-case")
        );
    }

    #[test]
    fn templates_without_rules_are_refused() {
        for (text, field) in [
            ("kind: RiskTemplate\nrules: []\n", "`rules` is empty"),
            ("items: []\n", "`items` is empty"),
        ] {
            let e = Template::parse("t.yaml", text).unwrap_err().to_string();
            assert!(e.starts_with(&format!("t.yaml:1: {field}")), "{e}");
        }
        assert!(Template::parse("t.yaml", "kind: RiskTemplate\n").is_err());
        assert!(Template::parse("t.yaml", "").is_err());
    }

    #[test]
    fn kubiscan_templates_are_accepted() {
        let ks = "items:\n- kind: Role\n  metadata:\n    namespace: default\n    name: risky-get-secrets\n    priority: CRITICAL\n  rules:\n  - apiGroups: ['*']\n    resources: [secrets]\n    verbs: [get]\n";
        let t = Template::parse("ks.yaml", ks).unwrap();
        assert_eq!(t.format, "kubiscan");
        let r = t.rule("risky-get-secrets").unwrap();
        assert_eq!(r.severity.namespace, Severity::Critical);
        assert!(matches!(
            &r.requires[0].any_of[0],
            Probe::Resource {
                api_group: None,
                ..
            }
        ));
        let bad = ks.replace("CRITICAL", "URGENT");
        assert!(
            Template::parse("ks.yaml", &bad)
                .unwrap_err()
                .to_string()
                .contains("URGENT")
        );
    }
}
