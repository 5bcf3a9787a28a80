//! Why a risk finding matched: one rule of one role, through one binding,
//! and what it grants of the risk; and how reports write it.

use serde::Serialize;

use std::sync::Arc;

use crate::rbac::{BindingId, Rbac, RoleId};
use crate::snapshot::ObjectKey;
use crate::tables;
use crate::template::Template;

/// Why a risk finding matched: one rule of one role, through one binding
/// (the same binding → role → rule as every answer of the access engine),
/// and what it grants of the risk. The rule itself is in the findings'
/// `rules` table, once.
///
/// In JSON the rule is not repeated: `ruleRef` points into the report's
/// `rules` table (see [`RuleEntry`](super::RuleEntry),
/// [`number_rules`](super::number_rules)), and the evidence
/// keeps the binding, the group it reaches the subject through, and what
/// it grants.
#[derive(Debug, Clone, PartialEq)]
pub struct Evidence {
    /// The binding; absent for role findings. Shared by every evidence
    /// of the binding ([`Shared`]).
    pub binding: Option<Arc<ObjectKey>>,
    /// The group the binding names, when it reaches the subject through one.
    pub via_group: Option<String>,
    /// The role, shared likewise.
    pub role: Arc<ObjectKey>,
    /// The rule's index in the role's effective rules.
    pub rule_index: usize,
    /// The role in the analysis's resolved RBAC, to read the rule from when
    /// the table is first numbered (the evidence keeps no copy of it).
    pub role_id: RoleId,
    /// The rule's position in the `rules` table of the findings it is
    /// part of.
    pub rule_ref: usize,
    /// What the rule grants of the risk (e.g. `get secrets`), sorted,
    /// each once; shared with every evidence that grants the same.
    pub grants: Vec<Arc<str>>,
}

/// What the evidence of an analysis shares rather than copies: the key of
/// each role and binding, and the description of each probe of the
/// template. A hundred thousand findings' evidence names a few thousand
/// roles and bindings and a few dozen probes.
#[derive(Debug)]
pub struct Shared {
    /// By role id.
    roles: Vec<Arc<ObjectKey>>,
    /// By binding id.
    bindings: Vec<Arc<ObjectKey>>,
    /// By risk rule, requirement and probe of the template.
    probes: Vec<Vec<Vec<Arc<str>>>>,
}

impl Shared {
    /// The keys of `rbac`'s roles and bindings, the descriptions of
    /// `template`'s probes.
    pub fn of(rbac: &Rbac<'_>, template: &Template) -> Shared {
        Shared {
            roles: (rbac.roles.iter())
                .map(|r| Arc::new(r.key.clone()))
                .collect(),
            bindings: (rbac.bindings.iter())
                .map(|b| Arc::new(b.key.clone()))
                .collect(),
            probes: (template.rules.iter())
                .map(|r| {
                    (r.requires.iter())
                        .map(|q| q.any_of.iter().map(|p| p.describe().into()).collect())
                        .collect()
                })
                .collect(),
        }
    }

    /// The key of role `role`.
    pub fn role(&self, role: RoleId) -> &Arc<ObjectKey> {
        &self.roles[role.0]
    }

    /// The key of binding `binding`.
    pub fn binding(&self, binding: BindingId) -> &Arc<ObjectKey> {
        &self.bindings[binding.0]
    }

    /// The description of probe `probe` of requirement `requirement` of
    /// risk rule `risk` (`get secrets`).
    pub fn probe(&self, risk: usize, requirement: usize, probe: usize) -> &Arc<str> {
        &self.probes[risk][requirement][probe]
    }
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
    /// The binding, a position in `objects`; absent for role findings.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "tables::maybe_object"
    )]
    #[schemars(with = "Option<usize>")]
    binding: Option<&'e ObjectKey>,
    /// The group the binding names, when it reaches the subject through one.
    #[serde(skip_serializing_if = "Option::is_none")]
    via_group: Option<&'e str>,
    /// The rule: a position in the report's `rules` table.
    rule_ref: usize,
    /// What the rule grants of the risk (`get secrets`): positions in `texts`.
    #[serde(serialize_with = "tables::each_text")]
    #[schemars(with = "Vec<usize>")]
    grants: &'e [Arc<str>],
}

impl<'e> From<&'e Evidence> for EvidenceJson<'e> {
    fn from(e: &'e Evidence) -> Self {
        EvidenceJson {
            binding: e.binding.as_deref(),
            via_group: e.via_group.as_deref(),
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

impl Evidence {
    /// `binding → role`, with `(via group)` when the binding reaches the
    /// subject through a group; `None` for role findings.
    pub fn chain(&self) -> Option<String> {
        let b = self.binding.as_ref()?;
        Some(match &self.via_group {
            Some(v) => format!("{b} → {} (via {v})", self.role),
            None => format!("{b} → {}", self.role),
        })
    }
}
