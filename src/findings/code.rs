//! The stable code of each kind of finding, its name and its description.

use serde::Serialize;

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
    /// EKS's `aws-auth` ConfigMap maps an IAM role or user to
    /// `system:masters`, or to a user or group with a route to
    /// cluster-admin-equivalent power.
    IamClusterAdmin,
    /// A workload (a controller, its pod template and its pods) gives its
    /// containers a ServiceAccount token with risky permissions, or can take
    /// over the nodes it lands on; reported once, however many replicas.
    HotWorkload,
    /// A pod no workload owns gives its containers a ServiceAccount token
    /// with risky permissions, or can take over its node.
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
                | Code::IamClusterAdmin
                | Code::RiskySubject
                | Code::RiskyBinding
                | Code::RiskyRole
                | Code::HotPod
                | Code::HotWorkload
                | Code::RiskyDefaultServiceAccount
                | Code::UnusedRiskyServiceAccount
        )
    }
}
