//! The answers of `access`: what one identity holds, and how two differ.

use std::collections::BTreeMap;

use serde::Serialize;

use super::naming::{GroundView, Namer, NodeRef};
use crate::access::holdings::{Difference, HeldRule, Holdings};
/// A rule an identity holds, and where from.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HeldView {
    /// Where it comes from (the rule itself is in `rule`).
    #[serde(flatten)]
    pub ground: GroundView,
}

/// What an identity holds.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HoldingsView {
    /// The identity.
    pub subject: NodeRef,
    /// Groups it is in without a binding.
    pub implicit_groups: Vec<String>,
    /// Allowed everything without any binding (`system:masters`).
    pub superuser: bool,
    /// Whether the input names the identity (an object, or a binding's
    /// subject); if not, the answer is what it would hold, and a typo
    /// shows here.
    pub in_input: bool,
    /// Rules in effect everywhere (ClusterRoleBindings).
    pub cluster_wide: Vec<HeldView>,
    /// Rules in effect in one namespace (RoleBindings), on top of the
    /// cluster-wide ones.
    pub namespaces: BTreeMap<String, Vec<HeldView>>,
}

/// A permission one identity has and the other has not.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DifferenceView {
    /// `cluster-wide` or a namespace.
    pub scope: String,
    /// The permission (`get secrets`, `create pods/exec`, `get /metrics`).
    pub permission: String,
    /// Where it comes from.
    pub granted_by: GroundView,
}

/// The comparison of two identities.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DiffView {
    /// The first identity.
    pub left: NodeRef,
    /// The second.
    pub right: NodeRef,
    /// What only the first holds.
    pub only_left: Vec<DifferenceView>,
    /// What only the second holds.
    pub only_right: Vec<DifferenceView>,
}

impl Namer<'_, '_> {
    fn held(&self, h: &HeldRule) -> HeldView {
        HeldView {
            ground: self.ground(Some(h.binding), h.via_group.as_deref(), h.role, h.rule),
        }
    }

    /// Explains what an identity holds.
    pub fn holdings(&self, h: &Holdings) -> HoldingsView {
        HoldingsView {
            subject: NodeRef::subject(&h.subject),
            implicit_groups: h.implicit_groups.clone(),
            superuser: h.superuser,
            in_input: h.in_input,
            cluster_wide: h.cluster.iter().map(|r| self.held(r)).collect(),
            namespaces: h
                .namespaces
                .iter()
                .map(|(ns, rules)| (ns.clone(), rules.iter().map(|r| self.held(r)).collect()))
                .collect(),
        }
    }

    /// Explains the differences between two identities.
    pub fn diff(
        &self,
        left: &Holdings,
        right: &Holdings,
        only_left: &[Difference],
        only_right: &[Difference],
    ) -> DiffView {
        let view = |d: &Difference| DifferenceView {
            scope: d.scope.to_string(),
            permission: d.permission.to_string(),
            granted_by: self.held(&d.from).ground,
        };
        DiffView {
            left: NodeRef::subject(&left.subject),
            right: NodeRef::subject(&right.subject),
            only_left: only_left.iter().map(view).collect(),
            only_right: only_right.iter().map(view).collect(),
        }
    }
}
