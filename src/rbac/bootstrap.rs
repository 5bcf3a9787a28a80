//! The Kubernetes bootstrap RBAC policy as rbacscan knows it, and whether an
//! object of a snapshot is part of it.
//!
//! The API server creates its bootstrap policy (the `system:*` roles of its
//! controllers and components, `cluster-admin`, `admin`/`edit`/`view`, and
//! their bindings) in every cluster and labels each object
//! `kubernetes.io/bootstrapping=rbac-defaults`. Reports summarise those
//! objects instead of listing them, and they do not decide the exit code.
//! The label alone cannot be trusted for that: anyone allowed to create or
//! update a role or binding can set it, and the server's reconciliation
//! adds missing rules and subjects to its objects but leaves extra ones in
//! place. So an object counts as part of the policy only when it carries
//! the label **and** matches the policy rbacscan knows:
//!
//! - a role with that kind, namespace and name exists in the policy, and
//!   every one of its rules is one of that role's rules there (fewer rules
//!   is less power: still the policy);
//! - an aggregated ClusterRole (`admin`, `edit`, `view`, ...) has the same
//!   aggregation rule, every ClusterRole it selects is itself part of the
//!   policy (checked in [`super::resolve`]), and each stored rule is one of
//!   the policy's or one of a selected role's;
//! - a binding with that kind, namespace and name exists in the policy,
//!   refers to the same role, and names only subjects the policy's binding
//!   names.
//!
//! The known policy is that of a real kube-apiserver v1.28
//! (`bootstrap-policy.json`, made from the capture in
//! `tests/fixtures/real-apiserver-1.28/default-cluster.yaml`; a test keeps
//! the two equal). Objects of other versions' policies that differ from it
//! are reported as ordinary objects: shown, never hidden. Pure: no I/O.

use std::sync::LazyLock;

use foldhash::HashMap;
use k8s_openapi::api::rbac::v1::{AggregationRule, PolicyRule, RoleRef, Subject};
use serde::{Deserialize, Serialize};

use crate::snapshot::Kind;

/// The known policy, as embedded.
const POLICY_JSON: &str = include_str!("bootstrap-policy.json");

/// The bootstrap policy of one Kubernetes version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KnownPolicy {
    /// Where the policy was captured.
    pub source: String,
    /// Its ClusterRoles and Roles.
    pub roles: Vec<KnownRole>,
    /// Its ClusterRoleBindings and RoleBindings.
    pub bindings: Vec<KnownBinding>,
}

/// A role of the policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KnownRole {
    /// `ClusterRole` or `Role`.
    pub kind: String,
    /// Empty for a ClusterRole.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    /// The name.
    pub name: String,
    /// Its aggregation rule, for an aggregated ClusterRole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aggregation_rule: Option<AggregationRule>,
    /// Its rules (for an aggregated ClusterRole, those the aggregation
    /// controller stored).
    pub rules: Vec<PolicyRule>,
}

/// A binding of the policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KnownBinding {
    /// `ClusterRoleBinding` or `RoleBinding`.
    pub kind: String,
    /// Empty for a ClusterRoleBinding.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    /// The name.
    pub name: String,
    /// The role it refers to.
    pub role_ref: RoleRef,
    /// The subjects it names.
    pub subjects: Vec<Subject>,
}

/// The known policy, indexed by (kind, namespace, name).
struct Index {
    roles: HashMap<(Kind, String, String), KnownRole>,
    bindings: HashMap<(Kind, String, String), KnownBinding>,
}

static KNOWN: LazyLock<Index> = LazyLock::new(|| {
    let policy: KnownPolicy =
        serde_json::from_str(POLICY_JSON).expect("the embedded bootstrap policy is valid JSON");
    let key = |kind: &str, namespace: &str, name: &str| {
        let kind = Kind::from_kind_name(kind).expect("the embedded policy names known kinds");
        (kind, namespace.to_string(), name.to_string())
    };
    Index {
        roles: (policy.roles.into_iter())
            .map(|r| (key(&r.kind, &r.namespace, &r.name), r))
            .collect(),
        bindings: (policy.bindings.into_iter())
            .map(|b| (key(&b.kind, &b.namespace, &b.name), b))
            .collect(),
    }
});

/// Where the known policy comes from, for notes and documentation.
pub fn known_source() -> String {
    serde_json::from_str::<KnownPolicy>(POLICY_JSON)
        .map(|p| p.source)
        .unwrap_or_default()
}

/// A rule with each list sorted and an absent list read as empty, so that
/// two rules that grant the same compare equal.
fn normal(rule: &PolicyRule) -> [Vec<&str>; 5] {
    fn sorted(v: Option<&Vec<String>>) -> Vec<&str> {
        let mut v: Vec<&str> = v.into_iter().flatten().map(String::as_str).collect();
        v.sort_unstable();
        v.dedup();
        v
    }
    [
        sorted(Some(&rule.verbs)),
        sorted(rule.api_groups.as_ref()),
        sorted(rule.resources.as_ref()),
        sorted(rule.resource_names.as_ref()),
        sorted(rule.non_resource_urls.as_ref()),
    ]
}

/// Whether `rule` is one of `rules`.
pub fn rule_in(rule: &PolicyRule, rules: &[PolicyRule]) -> bool {
    let n = normal(rule);
    rules.iter().any(|r| normal(r) == n)
}

/// What the policy says of a role.
pub enum RoleMatch<'k> {
    /// Not a role of the policy, or its rules differ.
    No,
    /// A role of the policy with none but the policy's rules.
    Plain,
    /// An aggregated role of the policy, with the same aggregation rule. It
    /// is part of the policy if each ClusterRole it selects is, and each of
    /// its stored rules is one of `rules` or of a selected role's.
    Aggregated {
        /// The policy's stored rules of the role.
        rules: &'k [PolicyRule],
    },
}

/// Whether a labelled role is the policy's role of that identity: see the
/// module's documentation. `aggregation_rule` and `rules` are the object's.
pub fn role_matches(
    kind: Kind,
    namespace: &str,
    name: &str,
    aggregation_rule: Option<&AggregationRule>,
    rules: &[PolicyRule],
) -> RoleMatch<'static> {
    let Some(known) = KNOWN
        .roles
        .get(&(kind, namespace.to_string(), name.to_string()))
    else {
        return RoleMatch::No;
    };
    match (&known.aggregation_rule, aggregation_rule) {
        (None, None) if rules.iter().all(|r| rule_in(r, &known.rules)) => RoleMatch::Plain,
        (Some(k), Some(a)) if k == a => RoleMatch::Aggregated {
            rules: &known.rules,
        },
        _ => RoleMatch::No,
    }
}

/// Whether a labelled binding is the policy's binding of that identity:
/// same role, and no subject the policy's binding does not name.
pub fn binding_matches(
    kind: Kind,
    namespace: &str,
    name: &str,
    role_ref: &RoleRef,
    subjects: &[Subject],
) -> bool {
    let Some(known) = KNOWN
        .bindings
        .get(&(kind, namespace.to_string(), name.to_string()))
    else {
        return false;
    };
    let same_subject = |a: &Subject, b: &Subject| {
        a.kind == b.kind
            && a.name == b.name
            && a.namespace.as_deref().unwrap_or_default()
                == b.namespace.as_deref().unwrap_or_default()
    };
    known.role_ref.kind == role_ref.kind
        && known.role_ref.name == role_ref.name
        && subjects
            .iter()
            .all(|s| known.subjects.iter().any(|k| same_subject(s, k)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::is_bootstrap_default;
    use crate::source::files::Loader;

    const CAPTURE: &str =
        include_str!("../../tests/fixtures/real-apiserver-1.28/default-cluster.yaml");

    /// The labelled objects of the real server's capture, as the policy.
    fn captured() -> KnownPolicy {
        let mut l = Loader::new();
        l.add_text("default-cluster.yaml", CAPTURE).unwrap();
        let snap = l.finish().unwrap().snapshot;
        let name = |m: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta| {
            m.name.clone().unwrap_or_default()
        };
        let ns = |m: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta| {
            m.namespace.clone().unwrap_or_default()
        };
        let mut roles: Vec<KnownRole> = (snap.cluster_roles.iter())
            .filter(|r| is_bootstrap_default(&r.metadata))
            .map(|r| KnownRole {
                kind: "ClusterRole".into(),
                namespace: String::new(),
                name: name(&r.metadata),
                aggregation_rule: r.aggregation_rule.clone(),
                rules: r.rules.clone().unwrap_or_default(),
            })
            .collect();
        roles.extend(
            (snap.roles.iter())
                .filter(|r| is_bootstrap_default(&r.metadata))
                .map(|r| KnownRole {
                    kind: "Role".into(),
                    namespace: ns(&r.metadata),
                    name: name(&r.metadata),
                    aggregation_rule: None,
                    rules: r.rules.clone().unwrap_or_default(),
                }),
        );
        let mut bindings: Vec<KnownBinding> = (snap.cluster_role_bindings.iter())
            .filter(|b| is_bootstrap_default(&b.metadata))
            .map(|b| KnownBinding {
                kind: "ClusterRoleBinding".into(),
                namespace: String::new(),
                name: name(&b.metadata),
                role_ref: b.role_ref.clone(),
                subjects: b.subjects.clone().unwrap_or_default(),
            })
            .collect();
        bindings.extend(
            (snap.role_bindings.iter())
                .filter(|b| is_bootstrap_default(&b.metadata))
                .map(|b| KnownBinding {
                    kind: "RoleBinding".into(),
                    namespace: ns(&b.metadata),
                    name: name(&b.metadata),
                    role_ref: b.role_ref.clone(),
                    subjects: b.subjects.clone().unwrap_or_default(),
                }),
        );
        KnownPolicy {
            source:
                "kube-apiserver v1.28.7 (tests/fixtures/real-apiserver-1.28/default-cluster.yaml)"
                    .into(),
            roles,
            bindings,
        }
    }

    #[test]
    fn the_embedded_policy_is_the_real_servers() {
        let captured = captured();
        if std::env::var_os("RBACSCAN_WRITE_POLICY").is_some() {
            let text = serde_json::to_string_pretty(&captured).unwrap() + "\n";
            std::fs::write(
                concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/src/rbac/bootstrap-policy.json"
                ),
                text,
            )
            .unwrap();
        }
        let embedded: KnownPolicy = serde_json::from_str(POLICY_JSON).unwrap();
        assert_eq!(
            embedded, captured,
            "src/rbac/bootstrap-policy.json differs from the capture: run this test with RBACSCAN_WRITE_POLICY=1"
        );
        // The whole policy of the capture: 62 ClusterRoles, 43
        // ClusterRoleBindings, 7 Roles, 7 RoleBindings.
        assert_eq!(embedded.roles.len(), 62 + 7);
        assert_eq!(embedded.bindings.len(), 43 + 7);
    }

    /// Each object's name and whether it is part of the policy.
    type Marks = Vec<(String, bool)>;

    fn resolve(yaml: &str) -> (Marks, Marks) {
        let mut l = Loader::new();
        l.add_text("t.yaml", yaml).unwrap();
        let snap = l.finish().unwrap().snapshot;
        let rbac = crate::rbac::Rbac::resolve(&snap);
        let roles = (rbac.roles.iter())
            .map(|r| (r.key.name.clone(), r.default))
            .collect();
        let bindings = (rbac.bindings.iter())
            .map(|b| (b.key.name.clone(), b.default))
            .collect();
        (roles, bindings)
    }

    const LABEL: &str = "labels: {kubernetes.io/bootstrapping: rbac-defaults}";

    #[test]
    fn every_object_of_a_pristine_cluster_is_part_of_the_policy() {
        let (roles, bindings) = resolve(CAPTURE);
        assert!(roles.iter().all(|(_, d)| *d), "{roles:?}");
        assert!(bindings.iter().all(|(_, d)| *d), "{bindings:?}");
        assert_eq!(roles.len(), 69);
    }

    #[test]
    fn the_label_alone_makes_nothing_part_of_the_policy() {
        // Anyone allowed to create roles and bindings can set the label.
        let yaml = format!(
            r#"
apiVersion: v1
kind: List
items:
- {{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {{name: backdoor, {LABEL}}}, rules: [{{apiGroups: ["*"], resources: ["*"], verbs: ["*"]}}]}}
- {{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {{name: backdoor, {LABEL}}}, roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}}, subjects: [{{kind: User, name: eve}}]}}
- {{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {{name: "system:controller:backdoor", {LABEL}}}, roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}}, subjects: [{{kind: ServiceAccount, name: backdoor, namespace: kube-system}}]}}
"#
        );
        let (roles, bindings) = resolve(&yaml);
        assert_eq!(roles, [("backdoor".to_string(), false)]);
        assert!(bindings.iter().all(|(_, d)| !d), "{bindings:?}");
    }

    #[test]
    fn a_policy_object_with_more_power_than_the_policy_gives_is_ordinary() {
        // The server's reconciliation adds missing rules and subjects but
        // keeps extra ones: these survive in a real cluster.
        let yaml = format!(
            r#"
apiVersion: v1
kind: List
items:
- {{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {{name: cluster-admin, {LABEL}}}, rules: [{{apiGroups: ["*"], resources: ["*"], verbs: ["*"]}}, {{nonResourceURLs: ["*"], verbs: ["*"]}}]}}
- {{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {{name: cluster-admin, {LABEL}}}, roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}}, subjects: [{{kind: Group, name: "system:masters"}}, {{kind: User, name: eve}}]}}
- {{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {{name: "system:basic-user", {LABEL}}}, rules: [{{apiGroups: [authorization.k8s.io], resources: [selfsubjectaccessreviews, selfsubjectrulesreviews], verbs: [create]}}, {{apiGroups: [""], resources: [secrets], verbs: [get, list]}}]}}
- {{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {{name: "system:basic-user", {LABEL}}}, roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:basic-user"}}, subjects: [{{apiGroup: rbac.authorization.k8s.io, kind: Group, name: "system:authenticated"}}]}}
- {{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {{name: "system:discovery", {LABEL}}}, roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}}, subjects: [{{apiGroup: rbac.authorization.k8s.io, kind: Group, name: "system:authenticated"}}]}}
"#
        );
        let (roles, bindings) = resolve(&yaml);
        // cluster-admin itself is the policy's; system:basic-user was given secrets.
        assert_eq!(
            roles,
            [
                ("cluster-admin".to_string(), true),
                ("system:basic-user".to_string(), false)
            ]
        );
        assert_eq!(
            bindings,
            [
                // An extra subject.
                ("cluster-admin".to_string(), false),
                // Its binding is the policy's; its role is not (that is
                // for the findings to combine).
                ("system:basic-user".to_string(), true),
                // The policy's name, another role.
                ("system:discovery".to_string(), false),
            ]
        );
    }

    #[test]
    fn an_aggregated_role_is_part_of_the_policy_only_with_the_policys_parts() {
        let edit = |extra: &str| {
            format!(
                r#"
apiVersion: v1
kind: List
items:
- {{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {{name: edit, {LABEL}}}, aggregationRule: {{clusterRoleSelectors: [{{matchLabels: {{rbac.authorization.k8s.io/aggregate-to-edit: "true"}}}}]}}, rules: []}}
- {{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {{name: "system:aggregate-to-edit", labels: {{kubernetes.io/bootstrapping: rbac-defaults, rbac.authorization.k8s.io/aggregate-to-edit: "true"}}}}, rules: [{{apiGroups: [""], resources: [serviceaccounts/token], verbs: [create]}}]}}
{extra}"#
            )
        };
        let (roles, _) = resolve(&edit(""));
        assert_eq!(
            roles,
            [
                ("edit".to_string(), true),
                ("system:aggregate-to-edit".to_string(), true)
            ]
        );
        // A role of anyone's making selected into `edit` makes it ordinary.
        let (roles, _) = resolve(&edit(
            r#"- {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: more-edit, labels: {rbac.authorization.k8s.io/aggregate-to-edit: "true"}}, rules: [{apiGroups: ["*"], resources: ["*"], verbs: ["*"]}]}
"#,
        ));
        assert_eq!(roles[0], ("edit".to_string(), false));
        // So does a stored rule that neither the policy nor a selected role has.
        let (roles, _) = resolve(&edit("").replace(
            "rules: []}\n",
            "rules: [{apiGroups: [\"*\"], resources: [\"*\"], verbs: [\"*\"]}]}\n",
        ));
        assert_eq!(roles[0], ("edit".to_string(), false));
    }
}
