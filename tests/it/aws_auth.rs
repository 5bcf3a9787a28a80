//! EKS's aws-auth through the real binary: IAM roles and users mapped to
//! `system:masters`, to a group bound to cluster-admin, to powerless groups
//! and to nodes; a broken mapping, whose note keeps its place among the
//! checks' notes; other ConfigMaps still skipped; and the one GET a live
//! scan makes for it with `--platform eks`.

use serde_json::{Value, json};

use super::live::{Kubeconfig, run};
use super::support::{inline, rbacscan};
use super::test_server::TestServer;

/// As the EKS documentation writes aws-auth: a node role with the
/// EC2PrivateDNSName placeholder, an admin role in system:masters, a role
/// in a group bound to cluster-admin, a read-only role, and a user.
const MAP_ROLES: &str = "- rolearn: arn:aws:iam::111122223333:role/eks-node\n  username: system:node:{{EC2PrivateDNSName}}\n  groups:\n    - system:bootstrappers\n    - system:nodes\n- rolearn: arn:aws:iam::111122223333:role/break-glass\n  username: break-glass:{{SessionName}}\n  groups: [system:masters]\n- rolearn: arn:aws:iam::111122223333:role/platform\n  username: platform\n  groups: [platform-admins]\n- rolearn: arn:aws:iam::111122223333:role/viewer\n  username: viewer\n  groups: [viewers]\n";
const MAP_USERS: &str =
    "- userarn: arn:aws:iam::111122223333:user/ops\n  username: ops\n  groups: [ops]\n";

fn objects(map_roles: &str) -> Vec<Value> {
    vec![
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
               "metadata": {"name": "cluster-admin"},
               "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]}),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
               "metadata": {"name": "view"},
               "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}]}),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
               "metadata": {"name": "platform-admins"},
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
               "subjects": [{"kind": "Group", "name": "platform-admins", "apiGroup": "rbac.authorization.k8s.io"}]}),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
               "metadata": {"name": "viewers"},
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
               "subjects": [{"kind": "Group", "name": "viewers", "apiGroup": "rbac.authorization.k8s.io"}]}),
        json!({"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": {"name": "aws-auth", "namespace": "kube-system"},
               "data": {"mapRoles": map_roles, "mapUsers": MAP_USERS, "mapAccounts": "- \"111122223333\"\n"}}),
        json!({"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": {"name": "app-config", "namespace": "shop"},
               "data": {"password": "hunter2"}}),
    ]
}

fn scan(objects: &[Value]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.json");
    std::fs::write(
        &path,
        json!({"apiVersion": "v1", "kind": "List", "items": objects}).to_string(),
    )
    .unwrap();
    let out = rbacscan()
        .args(["scan", "-o", "json", "-f"])
        .arg(&path)
        .output()
        .unwrap();
    inline(serde_json::from_slice(&out.stdout).unwrap())
}

fn iam_findings(r: &Value) -> Vec<&Value> {
    (r["findings"].as_array().unwrap().iter())
        .filter(|f| f["code"] == "iam-cluster-admin")
        .collect()
}

#[test]
fn iam_identities_mapped_to_admin_power_are_named_with_the_mapping() {
    let r = scan(&objects(MAP_ROLES));
    let found = iam_findings(&r);
    let titles: Vec<&str> = found.iter().map(|f| f["title"].as_str().unwrap()).collect();
    // The break-glass role (system:masters) and the platform role (a group
    // bound to cluster-admin); not the node role, the viewer or the user.
    assert_eq!(found.len(), 2, "{titles:?}");
    let masters = found
        .iter()
        .find(|f| f["title"].as_str().unwrap().contains("role/break-glass"))
        .expect("the system:masters role");
    assert_eq!(masters["severity"], "CRITICAL");
    assert_eq!(masters["subject"]["name"], "system:masters");
    assert!(masters["message"].as_str().unwrap().contains("bypass RBAC"));
    let platform = found
        .iter()
        .find(|f| f["title"].as_str().unwrap().contains("role/platform"))
        .expect("the platform role");
    assert_eq!(platform["subject"]["name"], "platform-admins");
    let message = platform["message"].as_str().unwrap();
    assert!(
        message.contains("Group platform-admins, which reaches"),
        "{message}"
    );
    // Other ConfigMaps are skipped as before, and no value of theirs is read.
    assert_eq!(r["inputs"]["skipped"]["ConfigMap (v1)"], 1);
    assert!(!r.to_string().contains("hunter2"));
    // In the table, a section of its own.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.json");
    std::fs::write(
        &path,
        json!({"apiVersion": "v1", "kind": "List", "items": objects(MAP_ROLES)}).to_string(),
    )
    .unwrap();
    let out = rbacscan().args(["scan", "-f"]).arg(&path).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("IAM IDENTITIES WITH CLUSTER-ADMIN (EKS aws-auth)"),
        "{text}"
    );
}

#[test]
fn a_broken_mapping_is_a_note_and_the_rest_is_still_read() {
    let r = scan(&objects("this: [is not, a list"));
    assert!(iam_findings(&r).is_empty());
    let notes: Vec<&str> = (r["notes"].as_array().unwrap().iter())
        .filter_map(|n| n.as_str())
        .collect();
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("kube-system/aws-auth: mapRoles: not a list of mappings")),
        "{notes:?}"
    );
}

/// The checks that walk the access graph (aws-auth's among them) run
/// before the others, and their notes still come in the order of the
/// checks' table: hygiene's before aws-auth's.
#[test]
fn notes_keep_the_order_of_the_checks_whichever_runs_first() {
    let dir = tempfile::tempdir().unwrap();
    let list =
        json!({"apiVersion": "v1", "kind": "List", "items": objects("this: [is not, a list")});
    std::fs::write(dir.path().join("c.json"), list.to_string()).unwrap();
    // ServiceAccounts listed, none there: hygiene's note.
    let accounts = json!({"apiVersion": "v1", "kind": "ServiceAccountList", "items": []});
    std::fs::write(dir.path().join("sa.json"), accounts.to_string()).unwrap();
    let out = rbacscan()
        .args(["scan", "-o", "json", "-f"])
        .arg(dir.path())
        .output()
        .unwrap();
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let notes: Vec<&str> = (r["notes"].as_array().unwrap().iter())
        .filter_map(|n| n.as_str())
        .collect();
    let at = |prefix: &str| {
        (notes.iter().position(|n| n.starts_with(prefix)))
            .unwrap_or_else(|| panic!("no note {prefix:?}: {notes:?}"))
    };
    let hygiene = at("the input has no ServiceAccounts");
    let aws_auth = at("kube-system/aws-auth: mapRoles");
    assert_eq!(aws_auth, hygiene + 1, "{notes:?}");
}

#[test]
fn a_live_scan_on_eks_gets_aws_auth_by_name_and_nothing_else_of_configmaps() {
    let server = TestServer::serving_objects(objects(MAP_ROLES)).start();
    let kc = Kubeconfig::for_server(&server);
    let r = run(&[
        "scan",
        "--kubeconfig",
        kc.arg(),
        "-o",
        "json",
        "--platform",
        "eks",
    ]);
    assert!(matches!(r.code, Some(0 | 1)), "{}", r.stderr);
    assert_eq!(iam_findings(&r.json()).len(), 2);
    let configmaps: Vec<String> = (server.requests().into_iter())
        .filter(|q| q.path.contains("configmaps"))
        .map(|q| q.path)
        .collect();
    assert_eq!(
        configmaps,
        ["/api/v1/namespaces/kube-system/configmaps/aws-auth"]
    );
    // Without --platform eks, no ConfigMap is asked for.
    let server = TestServer::serving_objects(objects(MAP_ROLES)).start();
    let kc = Kubeconfig::for_server(&server);
    let r = run(&["scan", "--kubeconfig", kc.arg(), "-o", "json"]);
    assert!(iam_findings(&r.json()).is_empty());
    assert!(
        (server.requests().iter()).all(|q| !q.path.contains("configmaps")),
        "{:?}",
        server.requests()
    );
}
