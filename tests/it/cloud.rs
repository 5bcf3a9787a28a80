//! Cloud identities as doors out of the cluster (`paths --to cloud`): a
//! ServiceAccount annotated for IRSA (`eks.amazonaws.com/role-arn`), GKE
//! (`iam.gke.io/gcp-service-account`) or Azure Workload Identity
//! (`azure.workload.identity/client-id`) hands its cloud identity to
//! whatever runs as it, or holds a token minted for it with the cloud's
//! audience (a TokenRequest chooses the audience). Impersonating the
//! account at the API server, or reading its legacy token, does not: the
//! cloud checks a bound token's issuer and audience.

use rbacscan::access::query::{Endpoint, parse_endpoint};
use rbacscan::ask::{Answered, Ask, answer};

use super::support::{binding, list, rbacscan, snapshot};

const ARN: &str = "arn:aws:iam::111122223333:role/uploader";

fn account() -> String {
    format!(
        "- {{apiVersion: v1, kind: ServiceAccount, metadata: {{name: uploader, namespace: media, annotations: {{eks.amazonaws.com/role-arn: \"{ARN}\"}}}}}}\n"
    )
}

fn role(name: &str, rules: &str) -> String {
    format!(
        "- {{apiVersion: rbac.authorization.k8s.io/v1, kind: Role, metadata: {{name: {name}, namespace: media}}, rules: {rules}}}\n"
    )
}

fn granted(name: &str, rules: &str, user: &str) -> Vec<String> {
    vec![
        role(name, rules),
        binding(
            "RoleBinding",
            Some("media"),
            name,
            "Role",
            name,
            &format!("[{{kind: User, name: {user}}}]"),
        ),
    ]
}

/// The steps of the shortest route from `from` to any cloud identity, as
/// (kind, to), or `None`.
fn to_cloud(items: &[String], from: &str) -> Option<Vec<(String, String)>> {
    let mut snap = snapshot(&list(items));
    let ask = Ask::Paths {
        from: Some(parse_endpoint(from).unwrap()),
        to: Endpoint::Cloud(None),
        max_hops: None,
        include_defaults: true,
        platforms: Vec::new(),
        operators: rbacscan::operators::Catalog::builtin(),
        cut: false,
    };
    let Answered::Paths(v) = answer(&mut snap, &ask).unwrap() else {
        panic!("not paths")
    };
    let p = v.paths.first()?;
    Some(
        (p.steps.iter())
            .map(|s| {
                let kind = serde_json::to_value(s.kind).unwrap();
                (kind.as_str().unwrap().to_string(), s.to.to_string())
            })
            .collect(),
    )
}

#[test]
fn a_token_request_for_a_federated_account_reaches_its_cloud_identity() {
    let mut items = vec![account()];
    items.extend(granted(
        "token",
        r#"[{apiGroups: [""], resources: [serviceaccounts/token], verbs: [create], resourceNames: [uploader]}]"#,
        "eve",
    ));
    let r = to_cloud(&items, "user:eve").expect("a route");
    assert_eq!(r.len(), 1, "{r:?}");
    assert_eq!(r[0].0, "request-token");
    assert_eq!(r[0].1, format!("CloudIdentity aws:{ARN}"));
}

#[test]
fn creating_pods_next_to_a_federated_account_runs_as_it() {
    let mut items = vec![account()];
    items.extend(granted(
        "pods",
        r#"[{apiGroups: [""], resources: [pods], verbs: [create]}]"#,
        "dev",
    ));
    let r = to_cloud(&items, "user:dev").expect("a route");
    let kinds: Vec<&str> = r.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(kinds, ["create-workloads", "cloud-identity"]);
}

#[test]
fn a_pod_running_as_a_federated_account_holds_its_identity_token_or_not() {
    let mut items = vec![account()];
    items.push("- {apiVersion: v1, kind: Pod, metadata: {name: up-1, namespace: media}, spec: {serviceAccountName: uploader, automountServiceAccountToken: false, nodeName: n1, containers: [{name: c, image: x}]}}\n".into());
    let r = to_cloud(&items, "pod/media/up-1").expect("a route");
    assert_eq!(
        r,
        [(
            "cloud-identity".to_string(),
            format!("CloudIdentity aws:{ARN}")
        )]
    );
}

#[test]
fn impersonating_or_reading_a_legacy_token_is_no_door() {
    let mut items = vec![account()];
    items.push("- {apiVersion: v1, kind: Secret, type: kubernetes.io/service-account-token, metadata: {name: uploader-token, namespace: media, annotations: {kubernetes.io/service-account.name: uploader}}}\n".into());
    items.extend(granted(
        "decoys",
        r#"[{apiGroups: [""], resources: [serviceaccounts], verbs: [impersonate]}, {apiGroups: [""], resources: [secrets], verbs: [get]}]"#,
        "mallory",
    ));
    assert_eq!(to_cloud(&items, "user:mallory"), None);
}

#[test]
fn paths_to_one_cloud_identity_or_to_none() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("c.yaml");
    let mut items = vec![account()];
    items.extend(granted(
        "token",
        r#"[{apiGroups: [""], resources: [serviceaccounts/token], verbs: [create]}]"#,
        "eve",
    ));
    std::fs::write(&f, list(&items)).unwrap();
    let out = rbacscan()
        .args(["paths", "-o", "json", "-f"])
        .arg(&f)
        .args(["--to", &format!("cloud:{ARN}")])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["target"]["kind"], "CloudIdentity");
    assert!(v["paths"].as_array().is_some_and(|p| !p.is_empty()), "{v}");
    // An identity no ServiceAccount is federated with is not in the input.
    let out = rbacscan()
        .args(["paths", "-f"])
        .arg(&f)
        .args(["--to", "cloud:arn:aws:iam::1:role/none"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cloud identity arn:aws:iam::1:role/none"),
        "{err}"
    );
}
