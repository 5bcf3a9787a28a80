//! The template's model: severities, the kinds of object a names-only grant
//! is rated by, probes (the concrete requests a rule asks about), rules and
//! the validated template. Both formats are read into it.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::rbac::rules::Request;

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
    /// Short title (shared by the findings of the rule).
    pub title: Arc<str>,
    /// Severity per scope.
    pub severity: ScopedSeverity,
    /// Why it is risky.
    pub description: String,
    /// What to do about it (shared by the findings of the rule).
    pub remediation: Arc<str>,
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
    /// A rule by id.
    pub fn rule(&self, id: &str) -> Option<&RiskRule> {
        self.rules.iter().find(|r| r.id == id)
    }
}
