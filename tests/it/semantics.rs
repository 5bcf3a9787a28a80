//! The authorizer's scoping and subject rules, end to end through the
//! analysis (binding → role → subject), each written from the Kubernetes RBAC
//! documentation. Rule matching itself is unit-tested in `src/rbac/rules.rs`.

use rbacscan::findings::{Code, FindingScope};
use rbacscan::template::Severity;

use crate::support::{analyze, binding, cluster_role, list, subject_findings, subject_rule};

const SECRETS: &str = "[{apiGroups: [''], resources: [secrets], verbs: [get]}]";

// Rule 6: a RoleBinding grants a ClusterRole only inside its namespace.
#[test]
fn role_binding_to_a_cluster_role_grants_only_in_its_namespace() {
    let a = analyze(&list(&[
        cluster_role("secret-reader", SECRETS),
        binding(
            "RoleBinding",
            Some("shop"),
            "rb",
            "ClusterRole",
            "secret-reader",
            "[{kind: User, name: dave}]",
        ),
    ]));
    let f = subject_rule(&a, "User dave", "secrets-read").expect("finding");
    assert_eq!(
        f.scope,
        FindingScope::Namespaces {
            namespaces: vec!["shop".into()]
        }
    );
    assert_eq!(f.severity, Severity::High, "ordinary namespace");
    assert!(!f.scope.covers("kube-system"));
}

// Rule 6: a ClusterRoleBinding grants cluster-wide.
#[test]
fn cluster_role_binding_grants_cluster_wide() {
    let a = analyze(&list(&[
        cluster_role("secret-reader", SECRETS),
        binding(
            "ClusterRoleBinding",
            None,
            "crb",
            "ClusterRole",
            "secret-reader",
            "[{kind: User, name: dave}]",
        ),
    ]));
    let f = subject_rule(&a, "User dave", "secrets-read").expect("finding");
    assert_eq!(f.scope, FindingScope::Cluster);
    assert_eq!(f.severity, Severity::Critical);
}

// Rule 6: cluster-scoped resources cannot be granted through a RoleBinding.
#[test]
fn a_role_binding_never_grants_cluster_scoped_resources() {
    let a = analyze(&list(&[
        cluster_role(
            "node-proxy",
            "[{apiGroups: [''], resources: [nodes/proxy], verbs: [get]}]",
        ),
        binding(
            "RoleBinding",
            Some("shop"),
            "rb",
            "ClusterRole",
            "node-proxy",
            "[{kind: User, name: dave}]",
        ),
    ]));
    assert!(subject_rule(&a, "User dave", "nodes-proxy").is_none());
    // The ClusterRole itself is still risky if someone binds it cluster-wide.
    assert!(
        a.findings
            .iter()
            .any(|f| f.code == Code::RiskyRole && f.rule.as_deref() == Some("nodes-proxy"))
    );
}

// Rule 6: a ClusterRoleBinding naming a Role is invalid and grants nothing.
#[test]
fn cluster_role_binding_to_a_role_grants_nothing_and_is_reported() {
    let a = analyze(&list(&[
        format!(
            "- {{apiVersion: rbac.authorization.k8s.io/v1, kind: Role, metadata: {{name: r, namespace: shop}}, rules: {SECRETS}}}\n"
        ),
        binding(
            "ClusterRoleBinding",
            None,
            "crb",
            "Role",
            "r",
            "[{kind: User, name: dave}]",
        ),
    ]));
    assert!(subject_findings(&a, "User dave").is_empty());
    assert!(
        a.findings
            .iter()
            .any(|f| f.code == Code::ClusterBindingToRole)
    );
}

// Rule 8: a ServiceAccount subject's namespace defaults to the RoleBinding's.
#[test]
fn service_account_subject_defaults_to_the_binding_namespace() {
    let a = analyze(&list(&[
        cluster_role("secret-reader", SECRETS),
        binding(
            "RoleBinding",
            Some("dev"),
            "rb",
            "ClusterRole",
            "secret-reader",
            "[{kind: ServiceAccount, name: builder}]",
        ),
    ]));
    assert!(subject_rule(&a, "ServiceAccount dev/builder", "secrets-read").is_some());
}

// Rule 8: every ServiceAccount is in system:serviceaccounts, system:serviceaccounts:<ns> and system:authenticated.
#[test]
fn service_accounts_inherit_grants_of_their_implicit_groups() {
    for group in [
        "system:serviceaccounts",
        "system:serviceaccounts:shop",
        "system:authenticated",
    ] {
        let a = analyze(&list(&[
            cluster_role("secret-reader", SECRETS),
            binding("ClusterRoleBinding", None, "crb", "ClusterRole", "secret-reader", &format!("[{{kind: Group, name: '{group}'}}]")),
            "- {apiVersion: v1, kind: ServiceAccount, metadata: {name: checkout, namespace: shop}}\n".into(),
            "- {apiVersion: v1, kind: ServiceAccount, metadata: {name: other, namespace: dev}}\n".into(),
        ]));
        let f = subject_rule(&a, "ServiceAccount shop/checkout", "secrets-read")
            .unwrap_or_else(|| panic!("{group}"));
        assert_eq!(f.evidence[0].via_group.as_deref(), Some(group));
        let other = subject_rule(&a, "ServiceAccount dev/other", "secrets-read");
        assert_eq!(
            other.is_some(),
            group != "system:serviceaccounts:shop",
            "{group}"
        );
        // The group itself is reported too: everyone in it holds the power.
        assert!(subject_rule(&a, &format!("Group {group}"), "secrets-read").is_some());
    }
}

// Rule 8: system:unauthenticated applies to anonymous requests, system:authenticated to users.
#[test]
fn unauthenticated_grants_apply_to_anonymous_and_authenticated_to_users() {
    let a = analyze(&list(&[
        cluster_role("secret-reader", SECRETS),
        binding(
            "ClusterRoleBinding",
            None,
            "anon",
            "ClusterRole",
            "secret-reader",
            "[{kind: Group, name: 'system:unauthenticated'}]",
        ),
        binding(
            "ClusterRoleBinding",
            None,
            "other",
            "ClusterRole",
            "secret-reader",
            "[{kind: User, name: 'system:anonymous'}, {kind: User, name: alice}]",
        ),
    ]));
    let anon = subject_rule(&a, "User system:anonymous", "secrets-read").unwrap();
    assert_eq!(
        anon.evidence.len(),
        2,
        "direct and through system:unauthenticated"
    );
    let alice = subject_rule(&a, "User alice", "secrets-read").unwrap();
    assert_eq!(alice.evidence.len(), 1, "users are not unauthenticated");
    assert!(
        a.findings
            .iter()
            .any(|f| f.code == Code::BindingToUnauthenticated && f.severity == Severity::Critical)
    );
    assert!(
        a.findings
            .iter()
            .any(|f| f.code == Code::BindingToAnonymous)
    );
}

// Rule 9: permissions are the union over all bindings; a risk needing several
// permissions is found even when different bindings grant them.
#[test]
fn subject_permissions_are_the_union_of_all_bindings() {
    let a = analyze(&list(&[
        cluster_role(
            "csr-create",
            "[{apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests], verbs: [create]}]",
        ),
        cluster_role(
            "csr-approve",
            "[{apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests/approval], verbs: [update]}]",
        ),
        cluster_role(
            "signer",
            "[{apiGroups: [certificates.k8s.io], resources: [signers], verbs: [approve]}]",
        ),
        binding(
            "ClusterRoleBinding",
            None,
            "b1",
            "ClusterRole",
            "csr-create",
            "[{kind: User, name: eve}]",
        ),
        binding(
            "ClusterRoleBinding",
            None,
            "b2",
            "ClusterRole",
            "csr-approve",
            "[{kind: Group, name: approvers}, {kind: User, name: eve}]",
        ),
        binding(
            "ClusterRoleBinding",
            None,
            "b3",
            "ClusterRole",
            "signer",
            "[{kind: User, name: eve}]",
        ),
    ]));
    let f = subject_rule(&a, "User eve", "csr-create-and-approve")
        .expect("union satisfies the combination");
    assert_eq!(f.evidence.len(), 3);
    assert!(
        !a.findings
            .iter()
            .any(|f| f.code == Code::RiskyBinding
                && f.rule.as_deref() == Some("csr-create-and-approve")),
        "no single binding grants all three"
    );
}

// Rule 9: a subject's severity is the highest of its scopes, not the first binding seen.
#[test]
fn subject_severity_is_the_highest_not_the_first() {
    let a = analyze(&list(&[
        cluster_role("secret-reader", SECRETS),
        binding(
            "RoleBinding",
            Some("aaa"),
            "first",
            "ClusterRole",
            "secret-reader",
            "[{kind: User, name: dave}]",
        ),
        binding(
            "RoleBinding",
            Some("kube-system"),
            "second",
            "ClusterRole",
            "secret-reader",
            "[{kind: User, name: dave}]",
        ),
    ]));
    let f = subject_rule(&a, "User dave", "secrets-read").unwrap();
    assert_eq!(f.severity, Severity::Critical, "kube-system is privileged");
    assert_eq!(
        f.scope,
        FindingScope::Namespaces {
            namespaces: vec!["aaa".into(), "kube-system".into()]
        }
    );
}

// Rule 9: every subject of a binding is considered, not only up to the first non-matching one.
#[test]
fn every_subject_of_a_binding_is_considered() {
    let a = analyze(&list(&[
        cluster_role("secret-reader", SECRETS),
        binding(
            "ClusterRoleBinding",
            None,
            "crb",
            "ClusterRole",
            "secret-reader",
            "[{kind: Robot, name: r2}, {kind: User, name: a}, {kind: ServiceAccount, name: nons}, {kind: Group, name: g}, {kind: User, name: b}]",
        ),
    ]));
    for s in ["User a", "Group g", "User b"] {
        assert!(subject_rule(&a, s, "secrets-read").is_some(), "{s}");
    }
    assert_eq!(
        a.findings
            .iter()
            .filter(|f| f.code == Code::InvalidSubject)
            .count(),
        2
    );
}

// Rule 8: system:masters members bypass RBAC; a binding to the group is reported.
#[test]
fn bindings_to_system_masters_are_reported() {
    let a = analyze(&list(&[
        cluster_role(
            "view-ish",
            "[{apiGroups: [''], resources: [pods], verbs: [get]}]",
        ),
        binding(
            "ClusterRoleBinding",
            None,
            "m",
            "ClusterRole",
            "view-ish",
            "[{kind: Group, name: 'system:masters'}]",
        ),
    ]));
    assert!(
        a.findings
            .iter()
            .any(|f| f.code == Code::BindingToSystemMasters)
    );
}

// Rule 7: aggregation is computed from selectors, even when the stored rules are empty.
#[test]
fn aggregated_cluster_roles_grant_their_selected_rules() {
    let a = analyze(&list(&[
        "- {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: monitoring}, aggregationRule: {clusterRoleSelectors: [{matchExpressions: [{key: agg, operator: In, values: [mon]}]}]}, rules: []}\n".into(),
        "- {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: mon-secrets, labels: {agg: mon}}, rules: [{apiGroups: [''], resources: [secrets], verbs: [list]}]}\n".into(),
        binding("ClusterRoleBinding", None, "crb", "ClusterRole", "monitoring", "[{kind: User, name: mo}]"),
    ]));
    let f = subject_rule(&a, "User mo", "secrets-read").unwrap();
    // The evidence points into the rules table, where the entry says where
    // the aggregated rule comes from.
    let rule = &a.rules[f.evidence[0].rule_ref];
    assert_eq!(rule.role.name, "monitoring");
    let from = rule.aggregated_from.as_ref().unwrap();
    assert_eq!(from.role.name, "mon-secrets");
}

// Rule 4: named secrets are reported at most LOW, naming the secret.
#[test]
fn reading_one_named_secret_is_low_and_names_it() {
    let a = analyze(&list(&[
        cluster_role(
            "one-secret",
            "[{apiGroups: [''], resources: [secrets], verbs: [get], resourceNames: [tls-cert]}]",
        ),
        binding(
            "ClusterRoleBinding",
            None,
            "crb",
            "ClusterRole",
            "one-secret",
            "[{kind: User, name: dave}]",
        ),
    ]));
    let f = subject_rule(&a, "User dave", "secrets-read").unwrap();
    assert_eq!(f.severity, Severity::Low);
    assert_eq!(
        f.resource_names.as_deref(),
        Some(&["tls-cert".to_string()][..])
    );
}

// Hygiene: bindings to missing ServiceAccounts inherit the binding's severity.
#[test]
fn binding_to_a_missing_service_account_is_as_severe_as_the_binding() {
    let a = analyze(&list(&[
        cluster_role("secret-reader", SECRETS),
        binding(
            "ClusterRoleBinding",
            None,
            "crb",
            "ClusterRole",
            "secret-reader",
            "[{kind: ServiceAccount, name: ghost, namespace: ci}]",
        ),
        "- {apiVersion: v1, kind: ServiceAccount, metadata: {name: real, namespace: ci}}\n".into(),
    ]));
    let f = a
        .findings
        .iter()
        .find(|f| f.code == Code::MissingServiceAccount)
        .unwrap();
    assert_eq!(f.severity, Severity::Critical);
}

// Partial snapshots: what could not be listed is not reported as missing.
#[test]
fn kinds_that_could_not_be_listed_are_not_reported_missing() {
    use rbacscan::findings::{self, AnalysisOptions};
    use rbacscan::snapshot::{Gap, GapReason, Kind};
    use rbacscan::template::Template;

    let yaml = list(&[
        "- {apiVersion: v1, kind: ServiceAccount, metadata: {name: present, namespace: shop}}\n"
            .to_string(),
        // Some ClusterRole, so that the input holds that kind.
        "- {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: other}}\n"
            .to_string(),
        binding(
            "RoleBinding",
            Some("shop"),
            "rb",
            "ClusterRole",
            "gone",
            "[{kind: ServiceAccount, name: ghost}]",
        ),
    ]);
    let codes = |gaps: &[Kind]| {
        let mut snapshot = crate::support::snapshot(&yaml);
        for kind in gaps {
            snapshot.coverage.add(Gap {
                kind: *kind,
                reason: GapReason::Forbidden,
                message: "forbidden".into(),
            });
        }
        let a = findings::analyze(
            &mut snapshot,
            &Template::builtin(),
            &AnalysisOptions::default(),
        );
        let mut codes: Vec<Code> = a.findings.iter().map(|f| f.code).collect();
        codes.sort_by_key(|c| c.as_str());
        (codes, a.notes)
    };
    let (complete, _) = codes(&[]);
    assert_eq!(complete, [Code::MissingRole, Code::MissingServiceAccount]);
    let (partial, notes) = codes(&[Kind::ClusterRole, Kind::ServiceAccount]);
    assert!(partial.is_empty(), "{partial:?}");
    assert!(
        notes.is_empty(),
        "the coverage section explains it: {notes:?}"
    );
    // A gap in Roles says nothing about ClusterRoles.
    let (roles_missing, _) = codes(&[Kind::Role]);
    assert_eq!(roles_missing, complete);
}

// Evidence: each rule that meets a requirement, with what it grants of
// the risk, each permission once and in order, and the binding and role it
// comes through; a second rule of the role is evidence of its own.
#[test]
fn evidence_names_each_rule_and_what_it_grants_once() {
    let a = analyze(&list(&[
        cluster_role(
            "reader",
            "[{apiGroups: [''], resources: [secrets], verbs: [watch, get, list, get]}, {apiGroups: [''], resources: [secrets], verbs: [list]}]",
        ),
        binding(
            "ClusterRoleBinding",
            None,
            "crb",
            "ClusterRole",
            "reader",
            "[{kind: User, name: erin}]",
        ),
    ]));
    let f = subject_rule(&a, "User erin", "secrets-read").expect("risky-subject secrets-read");
    let evidence: Vec<(String, String, usize, Vec<String>)> = (f.evidence.iter())
        .map(|e| {
            let binding = e
                .binding
                .as_ref()
                .map(|b| b.to_string())
                .unwrap_or_default();
            let grants = e.grants.iter().map(|g| g.to_string()).collect();
            (binding, e.role.to_string(), e.rule_index, grants)
        })
        .collect();
    let at = |rule: usize, grants: &[&str]| {
        (
            "ClusterRoleBinding crb".to_string(),
            "ClusterRole reader".to_string(),
            rule,
            grants.iter().map(|g| g.to_string()).collect::<Vec<_>>(),
        )
    };
    assert_eq!(
        evidence,
        [
            at(0, &["get secrets", "list secrets", "watch secrets"]),
            at(1, &["list secrets"])
        ]
    );
}
