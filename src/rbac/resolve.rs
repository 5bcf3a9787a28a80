//! The snapshot's RBAC objects resolved the way the authorizer sees them:
//! every role with its effective rules (aggregation applied), every binding
//! with its role looked up by reference and its subjects normalised.
//! Roles are indexed by identity, so resolving a binding is one lookup.

use foldhash::HashMap;

use k8s_openapi::api::rbac::v1::{PolicyRule, RoleRef, Subject};

use super::aggregation;
use super::bootstrap::{self, RoleMatch};
use super::subjects::{InvalidSubject, SubjectId};
use crate::snapshot::{Kind, ObjectKey, Snapshot, is_bootstrap_default};

/// Index of a role in [`Rbac::roles`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RoleId(pub usize);

/// Index of a binding in [`Rbac::bindings`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BindingId(pub usize);

/// Where a binding's grant applies.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// Every namespace plus cluster-scoped resources and non-resource URLs (a ClusterRoleBinding).
    Cluster,
    /// Namespaced requests in one namespace (a RoleBinding).
    Namespace(String),
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scope::Cluster => f.write_str("cluster-wide"),
            Scope::Namespace(ns) => write!(f, "namespace {ns}"),
        }
    }
}

/// A rule as it takes effect in a role.
#[derive(Debug, Clone)]
pub struct EffectiveRule<'s> {
    /// The rule.
    pub rule: &'s PolicyRule,
    /// For a rule aggregated in from another ClusterRole, that role and the
    /// rule's index in its stored `rules`; `None` for the role's own rules.
    pub aggregated_from: Option<(RoleId, usize)>,
}

/// A Role or ClusterRole with its effective rules.
#[derive(Debug, Clone)]
pub struct ResolvedRole<'s> {
    /// Kind, namespace and name.
    pub key: ObjectKey,
    /// Part of the Kubernetes bootstrap policy: it carries the policy's
    /// label and matches the policy rbacscan knows ([`bootstrap`]).
    pub default: bool,
    /// Carries the bootstrap-policy label (whether or not it matches).
    pub labelled_default: bool,
    /// Has an `aggregationRule`: its stored rules come first, then those
    /// aggregated in from the roles it selects.
    pub aggregated: bool,
    /// The effective rules, in order.
    pub rules: Vec<EffectiveRule<'s>>,
}

/// Why a binding grants nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoleRefProblem {
    /// The referenced role does not exist in the snapshot.
    Missing,
    /// A ClusterRoleBinding references a Role, which the API forbids; it grants nothing.
    ClusterBindingToRole,
    /// The roleRef's kind is neither Role nor ClusterRole.
    UnknownKind(String),
}

/// A RoleBinding or ClusterRoleBinding, resolved.
#[derive(Debug, Clone)]
pub struct ResolvedBinding {
    /// Kind, namespace and name.
    pub key: ObjectKey,
    /// Part of the Kubernetes bootstrap policy: it carries the policy's
    /// label and matches the policy rbacscan knows ([`bootstrap`]).
    pub default: bool,
    /// Carries the bootstrap-policy label (whether or not it matches).
    pub labelled_default: bool,
    /// Where the grant applies.
    pub scope: Scope,
    /// The role the binding references (kind as written, namespace resolved).
    pub role_ref: ObjectKey,
    /// The role, or why there is none.
    pub role: Result<RoleId, RoleRefProblem>,
    /// The identities it applies to, in order, without duplicates.
    pub subjects: Vec<SubjectId>,
    /// Subjects that apply to nobody, with their index in `subjects` of the object.
    pub invalid_subjects: Vec<(usize, InvalidSubject)>,
}

/// The resolved RBAC state of a snapshot.
#[derive(Debug, Clone)]
pub struct Rbac<'s> {
    /// ClusterRoles (by name), then Roles (by namespace and name).
    pub roles: Vec<ResolvedRole<'s>>,
    /// ClusterRoleBindings (by name), then RoleBindings (by namespace and name).
    pub bindings: Vec<ResolvedBinding>,
    /// For each aggregated ClusterRole (by role id; empty for the others),
    /// the ClusterRoles its selectors pick, itself excluded.
    pub selects: Vec<Vec<RoleId>>,
    /// Sets of aggregated ClusterRoles that select each other: each holds
    /// the rules of all, and keeps them (see [`aggregation`]).
    pub aggregation_cycles: Vec<Vec<RoleId>>,
    /// Aggregated ClusterRoles whose selectors match their own labels.
    pub self_selecting: Vec<RoleId>,
    role_index: HashMap<ObjectKey, RoleId>,
}

impl<'s> Rbac<'s> {
    /// Resolves a snapshot.
    pub fn resolve(snapshot: &'s Snapshot) -> Rbac<'s> {
        let mut roles = Vec::with_capacity(snapshot.cluster_roles.len() + snapshot.roles.len());
        let aggregation = aggregation::aggregate(&snapshot.cluster_roles);
        let cr_key = |i: usize| ObjectKey {
            kind: Kind::ClusterRole,
            namespace: String::new(),
            name: snapshot.cluster_roles[i]
                .metadata
                .name
                .clone()
                .unwrap_or_default(),
        };
        // Aggregated roles of the policy: part of it once the roles they
        // select are known to be (below).
        let mut aggregated_known = Vec::new();
        for (i, (cr, sources)) in snapshot
            .cluster_roles
            .iter()
            .zip(&aggregation.rules)
            .enumerate()
        {
            let rules = sources
                .iter()
                .map(|s| EffectiveRule {
                    rule: aggregation::rule_at(&snapshot.cluster_roles, *s),
                    // ClusterRoles come first, so a ClusterRole's index is its RoleId.
                    aggregated_from: (s.role != i).then_some((RoleId(s.role), s.rule)),
                })
                .collect();
            let labelled = is_bootstrap_default(&cr.metadata);
            let stored = cr.rules.as_deref().unwrap_or_default();
            let known = match labelled {
                true => bootstrap::role_matches(
                    Kind::ClusterRole,
                    "",
                    cr.metadata.name.as_deref().unwrap_or_default(),
                    cr.aggregation_rule.as_ref(),
                    stored,
                ),
                false => RoleMatch::No,
            };
            if let RoleMatch::Aggregated { rules } = known {
                aggregated_known.push((i, rules));
            }
            roles.push(ResolvedRole {
                key: cr_key(i),
                default: matches!(known, RoleMatch::Plain),
                labelled_default: labelled,
                aggregated: cr.aggregation_rule.is_some(),
                rules,
            });
        }
        for r in &snapshot.roles {
            let namespace = r.metadata.namespace.clone().unwrap_or_default();
            let name = r.metadata.name.clone().unwrap_or_default();
            let labelled = is_bootstrap_default(&r.metadata);
            let default = labelled
                && matches!(
                    bootstrap::role_matches(
                        Kind::Role,
                        &namespace,
                        &name,
                        None,
                        r.rules.as_deref().unwrap_or_default()
                    ),
                    RoleMatch::Plain
                );
            roles.push(ResolvedRole {
                key: ObjectKey {
                    kind: Kind::Role,
                    namespace,
                    name,
                },
                default,
                labelled_default: labelled,
                aggregated: false,
                rules: own_rules(r.rules.as_deref()),
            });
        }
        let role_index = roles
            .iter()
            .enumerate()
            .map(|(i, r)| (r.key.clone(), RoleId(i)))
            .collect();
        let ids = |v: &[usize]| v.iter().map(|&i| RoleId(i)).collect::<Vec<_>>();
        let mut selects: Vec<Vec<RoleId>> = aggregation.selects.iter().map(|s| ids(s)).collect();
        selects.resize(roles.len(), Vec::new());
        let mut rbac = Rbac {
            roles,
            bindings: Vec::new(),
            role_index,
            selects,
            aggregation_cycles: aggregation.cycles.iter().map(|c| ids(c)).collect(),
            self_selecting: ids(&aggregation.self_selecting),
        };
        rbac.mark_default_aggregates(snapshot, &aggregated_known);
        for b in &snapshot.cluster_role_bindings {
            let binding = rbac.resolve_binding(
                Kind::ClusterRoleBinding,
                &b.metadata,
                &b.role_ref,
                b.subjects.as_deref(),
            );
            rbac.bindings.push(binding);
        }
        for b in &snapshot.role_bindings {
            let binding = rbac.resolve_binding(
                Kind::RoleBinding,
                &b.metadata,
                &b.role_ref,
                b.subjects.as_deref(),
            );
            rbac.bindings.push(binding);
        }
        rbac
    }

    /// Marks the aggregated ClusterRoles of the policy that are part of it:
    /// each role they select is (aggregated ones included, so this repeats
    /// until nothing changes), and each stored rule is the policy's or a
    /// selected role's. A role of anyone's making that a policy role's
    /// selector picks makes that role an ordinary one.
    fn mark_default_aggregates(&mut self, snapshot: &Snapshot, known: &[(usize, &[PolicyRule])]) {
        loop {
            let mut changed = false;
            for &(i, policy_rules) in known {
                if self.roles[i].default {
                    continue;
                }
                let selected = &self.selects[i];
                let stored = snapshot.cluster_roles[i]
                    .rules
                    .as_deref()
                    .unwrap_or_default();
                let own_rule = |rule: &PolicyRule| {
                    bootstrap::rule_in(rule, policy_rules)
                        || selected.iter().any(|s| {
                            let theirs = snapshot.cluster_roles[s.0].rules.as_deref();
                            bootstrap::rule_in(rule, theirs.unwrap_or_default())
                        })
                };
                if selected.iter().all(|s| self.roles[s.0].default) && stored.iter().all(own_rule) {
                    self.roles[i].default = true;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
    }

    /// The role with this identity.
    pub fn role_id(&self, key: &ObjectKey) -> Option<RoleId> {
        self.role_index.get(key).copied()
    }

    /// A role by id.
    pub fn role(&self, id: RoleId) -> &ResolvedRole<'s> {
        &self.roles[id.0]
    }

    /// A binding by id.
    pub fn binding(&self, id: BindingId) -> &ResolvedBinding {
        &self.bindings[id.0]
    }

    fn resolve_binding(
        &self,
        kind: Kind,
        meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
        role_ref: &RoleRef,
        subjects: Option<&[Subject]>,
    ) -> ResolvedBinding {
        let namespace = if kind == Kind::RoleBinding {
            meta.namespace.clone().unwrap_or_default()
        } else {
            String::new()
        };
        let (ref_kind, ref_ns) = match role_ref.kind.as_str() {
            "ClusterRole" => (Some(Kind::ClusterRole), String::new()),
            "Role" => (Some(Kind::Role), namespace.clone()),
            _ => (None, String::new()),
        };
        let role_ref_key = ObjectKey {
            kind: ref_kind.unwrap_or(Kind::ClusterRole),
            namespace: ref_ns,
            name: role_ref.name.clone(),
        };
        let role = match ref_kind {
            None => Err(RoleRefProblem::UnknownKind(role_ref.kind.clone())),
            Some(Kind::Role) if kind == Kind::ClusterRoleBinding => {
                Err(RoleRefProblem::ClusterBindingToRole)
            }
            Some(_) => self.role_id(&role_ref_key).ok_or(RoleRefProblem::Missing),
        };
        let mut resolved = Vec::new();
        let mut invalid = Vec::new();
        for (i, s) in subjects.unwrap_or(&[]).iter().enumerate() {
            match SubjectId::from_binding_subject(s, &namespace) {
                Ok(id) => {
                    if !resolved.contains(&id) {
                        resolved.push(id);
                    }
                }
                Err(e) => invalid.push((i, e)),
            }
        }
        ResolvedBinding {
            key: ObjectKey {
                kind,
                namespace: namespace.clone(),
                name: meta.name.clone().unwrap_or_default(),
            },
            default: is_bootstrap_default(meta)
                && bootstrap::binding_matches(
                    kind,
                    &namespace,
                    meta.name.as_deref().unwrap_or_default(),
                    role_ref,
                    subjects.unwrap_or_default(),
                ),
            labelled_default: is_bootstrap_default(meta),
            scope: if kind == Kind::RoleBinding {
                Scope::Namespace(namespace)
            } else {
                Scope::Cluster
            },
            role_ref: role_ref_key,
            role,
            subjects: resolved,
            invalid_subjects: invalid,
        }
    }
}

fn own_rules(rules: Option<&[PolicyRule]>) -> Vec<EffectiveRule<'_>> {
    rules
        .unwrap_or(&[])
        .iter()
        .map(|rule| EffectiveRule {
            rule,
            aggregated_from: None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    //! From "RoleBinding and ClusterRoleBinding" in the Kubernetes RBAC documentation.
    use super::*;
    use crate::source::files::Loader;

    fn rbac_of(yaml: &str) -> Snapshot {
        let mut l = Loader::new();
        l.add_text("t.yaml", yaml).unwrap();
        l.finish().unwrap().snapshot
    }

    const OBJECTS: &str = r#"
apiVersion: v1
kind: List
items:
- {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: reader}, rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]}
- {apiVersion: rbac.authorization.k8s.io/v1, kind: Role, metadata: {name: local, namespace: a}, rules: []}
- {apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: rb-cr, namespace: a}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: reader}, subjects: [{kind: User, name: u}]}
- {apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: rb-role, namespace: a}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: local}, subjects: [{kind: User, name: u}]}
- {apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: rb-other-ns, namespace: b}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: local}, subjects: [{kind: User, name: u}]}
- {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: crb-role}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: local}, subjects: [{kind: User, name: u}]}
- {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: crb}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: reader}, subjects: [{kind: Robot, name: r}, {kind: User, name: u}, {kind: User, name: u}]}
"#;

    #[test]
    fn role_binding_grants_its_role_or_a_cluster_role_inside_its_namespace() {
        let snap = rbac_of(OBJECTS);
        let rbac = Rbac::resolve(&snap);
        let by_name = |n: &str| rbac.bindings.iter().find(|b| b.key.name == n).unwrap();
        let rb_cr = by_name("rb-cr");
        assert_eq!(rb_cr.scope, Scope::Namespace("a".into()));
        assert_eq!(rbac.role(rb_cr.role.clone().unwrap()).key.name, "reader");
        let rb_role = by_name("rb-role");
        assert_eq!(rbac.role(rb_role.role.clone().unwrap()).key.namespace, "a");
        // A RoleBinding's Role reference is looked up in the binding's own namespace.
        assert_eq!(by_name("rb-other-ns").role, Err(RoleRefProblem::Missing));
    }

    #[test]
    fn cluster_role_binding_to_a_role_grants_nothing() {
        let snap = rbac_of(OBJECTS);
        let rbac = Rbac::resolve(&snap);
        let crb = rbac
            .bindings
            .iter()
            .find(|b| b.key.name == "crb-role")
            .unwrap();
        assert_eq!(crb.role, Err(RoleRefProblem::ClusterBindingToRole));
        let crb = rbac.bindings.iter().find(|b| b.key.name == "crb").unwrap();
        assert_eq!(crb.scope, Scope::Cluster);
        // Every subject is read, not only up to the first one that fails.
        assert_eq!(crb.subjects, [SubjectId::User { name: "u".into() }]);
        assert_eq!(crb.invalid_subjects.len(), 1);
    }
}
