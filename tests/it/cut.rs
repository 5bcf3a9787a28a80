//! `paths --cut` through the real binary: the smallest set of grants whose
//! removal closes every route from the chosen source. Two bindings that
//! each grant the same permission must both go; of a detour, the one grant
//! both branches share is enough; a pod's token cannot be removed, so the
//! cut falls on the binding after it; and a route made of a pod's escape
//! to a control-plane node has no cut at all.

use serde_json::Value;

use super::support::{binding, cluster_role, list, rbacscan};

const ADMIN_RULES: &str = r#"[{apiGroups: ["*"], resources: ["*"], verbs: ["*"]}, {nonResourceURLs: ["*"], verbs: ["*"]}]"#;

fn sa(ns: &str, name: &str) -> String {
    format!(
        "- {{apiVersion: v1, kind: ServiceAccount, metadata: {{name: {name}, namespace: {ns}}}}}\n"
    )
}

fn role_in(ns: &str, name: &str, rules: &str) -> String {
    format!(
        "- {{apiVersion: rbac.authorization.k8s.io/v1, kind: Role, metadata: {{name: {name}, namespace: {ns}}}, rules: {rules}}}\n"
    )
}

/// Runs `paths --cut` with `args` on the cluster `items`, in `format`.
fn cut(items: &[String], args: &[&str], format: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cluster.yaml");
    std::fs::write(&path, list(items)).unwrap();
    let out = rbacscan()
        .args(["paths", "--cut", "-o", format, "-f", path.to_str().unwrap()])
        .args(args)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn cut_json(items: &[String], args: &[&str]) -> Value {
    let v: Value = serde_json::from_str(&cut(items, args, "json")).unwrap();
    v["cut"].clone()
}

/// The names of the objects the cut removes, sorted, as `kind/name` or
/// `kind/name#rule`.
fn removed(cut: &Value) -> Vec<String> {
    let mut v: Vec<String> = (cut["removals"].as_array().unwrap().iter())
        .map(|r| match r["remove"].as_str().unwrap() {
            "binding" => format!(
                "{}/{}",
                r["binding"]["kind"].as_str().unwrap(),
                r["binding"]["name"].as_str().unwrap()
            ),
            _ => format!(
                "{}/{}#{}",
                r["role"]["kind"].as_str().unwrap(),
                r["role"]["name"].as_str().unwrap(),
                r["ruleIndex"]
            ),
        })
        .collect();
    v.sort();
    v
}

/// `deployer` in `ci` holds cluster-admin; `eve` may create pods there
/// (to run as `deployer`) through two RoleBindings of two roles: pods
/// directly, and Deployments.
fn parallel() -> Vec<String> {
    vec![
        cluster_role("cluster-admin", ADMIN_RULES),
        binding(
            "ClusterRoleBinding",
            None,
            "deployer-admin",
            "ClusterRole",
            "cluster-admin",
            "[{kind: ServiceAccount, name: deployer, namespace: ci}]",
        ),
        sa("ci", "deployer"),
        role_in(
            "ci",
            "pods",
            r#"[{apiGroups: [""], resources: [pods], verbs: [create]}]"#,
        ),
        role_in(
            "ci",
            "deployments",
            r#"[{apiGroups: [apps], resources: [deployments], verbs: [create]}]"#,
        ),
        binding(
            "RoleBinding",
            Some("ci"),
            "eve-pods",
            "Role",
            "pods",
            "[{kind: User, name: eve}]",
        ),
        binding(
            "RoleBinding",
            Some("ci"),
            "eve-deployments",
            "Role",
            "deployments",
            "[{kind: User, name: eve}]",
        ),
    ]
}

#[test]
fn two_bindings_granting_the_same_permission_are_both_cut() {
    // Toward deployer itself: the only way there is the pods eve creates,
    // and each binding alone lets her; the graph records only the first,
    // the check by building again finds the second.
    let c = cut_json(
        &parallel(),
        &["--from", "user:eve", "--to", "sa:ci/deployer"],
    );
    assert_eq!(
        removed(&c),
        ["RoleBinding/eve-deployments", "RoleBinding/eve-pods"],
        "{c}"
    );
    assert_eq!(c["closable"], true);
    assert_eq!(c["verified"], true);
    for r in c["removals"].as_array().unwrap() {
        assert_eq!(r["closes"][0]["name"], "eve", "{r}");
    }
    // Toward cluster-admin, deployer's own binding closes both at once.
    let c = cut_json(&parallel(), &["--from", "user:eve"]);
    assert_eq!(removed(&c), ["ClusterRoleBinding/deployer-admin"], "{c}");
}

#[test]
fn a_detour_is_closed_where_its_branches_meet() {
    // eve impersonates b (one binding) or c (another): two routes, each
    // continuing through the one binding that makes b and c admins.
    let items = vec![
        cluster_role("cluster-admin", ADMIN_RULES),
        binding(
            "ClusterRoleBinding",
            None,
            "admins",
            "ClusterRole",
            "cluster-admin",
            "[{kind: ServiceAccount, name: b, namespace: ci}, {kind: ServiceAccount, name: c, namespace: ci}]",
        ),
        sa("ci", "b"),
        sa("ci", "c"),
        role_in(
            "ci",
            "as-b",
            r#"[{apiGroups: [""], resources: [serviceaccounts], verbs: [impersonate], resourceNames: [b]}]"#,
        ),
        role_in(
            "ci",
            "as-c",
            r#"[{apiGroups: [""], resources: [serviceaccounts], verbs: [impersonate], resourceNames: [c]}]"#,
        ),
        binding(
            "RoleBinding",
            Some("ci"),
            "eve-as-b",
            "Role",
            "as-b",
            "[{kind: User, name: eve}]",
        ),
        binding(
            "RoleBinding",
            Some("ci"),
            "eve-as-c",
            "Role",
            "as-c",
            "[{kind: User, name: eve}]",
        ),
    ];
    let c = cut_json(&items, &["--from", "user:eve"]);
    assert_eq!(removed(&c), ["ClusterRoleBinding/admins"], "{c}");
    // Toward b, eve goes straight there, or through c, whose admin power
    // reaches b too: two removals, the direct one among them.
    let c = cut_json(&items, &["--from", "user:eve", "--to", "sa:ci/b"]);
    let r = removed(&c);
    assert_eq!(r.len(), 2, "{c}");
    assert!(r.contains(&"RoleBinding/eve-as-b".to_string()), "{c}");
    // Every source at once: b and c are sources too, and the shared
    // binding closes all three.
    let c = cut_json(&items, &[]);
    assert_eq!(removed(&c), ["ClusterRoleBinding/admins"], "{c}");
    let closes: Vec<&str> = (c["removals"][0]["closes"].as_array().unwrap().iter())
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    assert_eq!(closes.len(), 3, "{closes:?}");
    for who in ["eve", "b", "c"] {
        assert!(closes.contains(&who), "{closes:?}");
    }
}

/// A control-plane node `cp1`, and a pod running as `ci/b`, which holds
/// cluster-admin: on `cp1`, privileged, or on a worker, unprivileged.
fn pods(privileged_on_control_plane: bool) -> Vec<String> {
    let spec = if privileged_on_control_plane {
        "nodeName: cp1, containers: [{name: c, image: x, securityContext: {privileged: true}}]"
    } else {
        "nodeName: w1, containers: [{name: c, image: x}]"
    };
    vec![
        cluster_role("cluster-admin", ADMIN_RULES),
        binding(
            "ClusterRoleBinding",
            None,
            "b-admin",
            "ClusterRole",
            "cluster-admin",
            "[{kind: ServiceAccount, name: b, namespace: ci}]",
        ),
        sa("ci", "b"),
        "- {apiVersion: v1, kind: Node, metadata: {name: cp1, labels: {node-role.kubernetes.io/control-plane: \"\"}}}\n".into(),
        "- {apiVersion: v1, kind: Node, metadata: {name: w1}}\n".into(),
        format!("- {{apiVersion: v1, kind: Pod, metadata: {{name: p, namespace: ci}}, spec: {{serviceAccountName: b, {spec}}}}}\n"),
    ]
}

#[test]
fn a_pods_token_is_not_cut_but_the_binding_after_it_is() {
    let c = cut_json(&pods(false), &["--from", "pod/ci/p"]);
    assert_eq!(removed(&c), ["ClusterRoleBinding/b-admin"], "{c}");
    assert_eq!(c["closable"], true);
    assert_eq!(c["removals"][0]["closes"][0]["kind"], "Pod");
}

#[test]
fn a_route_of_steps_no_removal_takes_away_has_no_cut() {
    // The pod escapes to a control-plane node, whose root is cluster-admin:
    // no binding or rule on the way (its token's route is cut, the
    // escape's is not).
    let c = cut_json(&pods(true), &["--from", "pod/ci/p"]);
    assert_eq!(c["closable"], false, "{c}");
    assert_eq!(c["removals"].as_array().unwrap().len(), 0, "{c}");
    assert_eq!(c["unclosable"][0]["name"], "p");
    let table = cut(&pods(true), &["--from", "pod/ci/p"], "table");
    assert!(table.contains("no cut closes the routes from"), "{table}");
}

#[test]
fn the_table_lists_each_removal_and_the_routes_it_closes() {
    let table = cut(
        &parallel(),
        &["--from", "user:eve", "--to", "sa:ci/deployer"],
        "table",
    );
    assert!(table.contains("REMOVE"), "{table}");
    assert!(table.contains("CLOSES ROUTES FROM"), "{table}");
    assert!(table.contains("remove RoleBinding ci/eve-pods"), "{table}");
    assert!(
        table.contains("remove RoleBinding ci/eve-deployments"),
        "{table}"
    );
    assert!(table.contains("User eve"), "{table}");
    assert!(
        table.contains("removing these 2 grants closes every listed route"),
        "{table}"
    );
}

#[test]
fn a_role_bound_by_the_attacker_is_closed_by_one_removal() {
    // eve may bind the ClusterRole `pod-maker` in ci (bind + create
    // rolebindings there); the role lets whoever it is bound to create
    // pods, as deployer. Cutting her grant or the role's rule both close
    // it: one removal.
    let items = vec![
        cluster_role("cluster-admin", ADMIN_RULES),
        binding(
            "ClusterRoleBinding",
            None,
            "deployer-admin",
            "ClusterRole",
            "cluster-admin",
            "[{kind: ServiceAccount, name: deployer, namespace: ci}]",
        ),
        sa("ci", "deployer"),
        cluster_role(
            "pod-maker",
            r#"[{apiGroups: [""], resources: [pods], verbs: [create]}]"#,
        ),
        role_in(
            "ci",
            "binder",
            r#"[{apiGroups: [rbac.authorization.k8s.io], resources: [rolebindings], verbs: [create]}, {apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [bind], resourceNames: [pod-maker]}]"#,
        ),
        binding(
            "RoleBinding",
            Some("ci"),
            "eve-binder",
            "Role",
            "binder",
            "[{kind: User, name: eve}]",
        ),
    ];
    let c = cut_json(&items, &["--from", "user:eve", "--to", "sa:ci/deployer"]);
    assert_eq!(c["removals"].as_array().unwrap().len(), 1, "{c}");
    assert_eq!(c["verified"], true);
}
