//! Why a risk finding matched: one rule of one role, through one binding,
//! and what it grants of the risk; and how reports write it.

use serde::Serialize;

use crate::rbac::RoleId;
use crate::snapshot::ObjectKey;
use crate::tables;

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
    /// The binding; absent for role findings.
    pub binding: Option<ObjectKey>,
    /// The group the binding names, when it reaches the subject through one.
    pub via_group: Option<String>,
    /// The role.
    pub role: ObjectKey,
    /// The rule's index in the role's effective rules.
    pub rule_index: usize,
    /// The role in the analysis's resolved RBAC, to read the rule from when
    /// the table is first numbered (the evidence keeps no copy of it).
    pub role_id: RoleId,
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
    grants: &'e [String],
}

impl<'e> From<&'e Evidence> for EvidenceJson<'e> {
    fn from(e: &'e Evidence) -> Self {
        EvidenceJson {
            binding: e.binding.as_ref(),
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
