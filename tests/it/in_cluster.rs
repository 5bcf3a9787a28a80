//! Running it for real, nightly in the cluster: the CronJob's manifests in
//! `examples/cronjob/` are valid, grant exactly the lists a scan makes and
//! nothing risky, and the binary scans as that CronJob's pod would, with
//! the pod's mounted ServiceAccount token, against the test API server.

use std::collections::BTreeSet;

use serde_json::Value;

use super::live::{cluster, essence, offline_report};
use super::support::{inline, rbacscan};
use super::test_server::{TOKEN, TestServer};

const MANIFESTS: &str = include_str!("../../examples/cronjob/rbacscan.yaml");

/// Each document of the manifests, as a JSON value.
fn documents() -> Vec<Value> {
    serde_saphyr::from_multiple(MANIFESTS).expect("the manifests are YAML")
}

/// `value` decoded as `T` and encoded again: a field `T` does not know
/// (a typo, a field at the wrong level) would be missing from the result.
fn round_trip<T: serde::de::DeserializeOwned + serde::Serialize>(value: &Value) -> Value {
    let typed: T =
        serde_json::from_value(value.clone()).unwrap_or_else(|e| panic!("{}: {e}", value["kind"]));
    serde_json::to_value(typed).unwrap()
}

#[test]
fn every_manifest_decodes_strictly_into_its_kubernetes_type() {
    use k8s_openapi::api::batch::v1::CronJob;
    use k8s_openapi::api::core::v1::{Namespace, PersistentVolumeClaim, ServiceAccount};
    use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding};
    let docs = documents();
    let kinds: Vec<&str> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "Namespace",
            "ServiceAccount",
            "ClusterRole",
            "ClusterRoleBinding",
            "PersistentVolumeClaim",
            "CronJob"
        ]
    );
    for doc in &docs {
        let again = match doc["kind"].as_str().unwrap() {
            "Namespace" => round_trip::<Namespace>(doc),
            "ServiceAccount" => round_trip::<ServiceAccount>(doc),
            "ClusterRole" => round_trip::<ClusterRole>(doc),
            "ClusterRoleBinding" => round_trip::<ClusterRoleBinding>(doc),
            "PersistentVolumeClaim" => round_trip::<PersistentVolumeClaim>(doc),
            "CronJob" => round_trip::<CronJob>(doc),
            other => panic!("unexpected kind {other}"),
        };
        assert_eq!(&again, doc, "{} lost or changed a field", doc["kind"]);
    }
    // The pod runs as a careful admin would run it.
    let cron = docs.iter().find(|d| d["kind"] == "CronJob").unwrap();
    let pod = &cron["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    let container = &pod["containers"][0];
    let sc = &container["securityContext"];
    assert_eq!(sc["allowPrivilegeEscalation"], false);
    assert_eq!(sc["readOnlyRootFilesystem"], true);
    assert_eq!(sc["capabilities"]["drop"], serde_json::json!(["ALL"]));
    let args: Vec<&str> = (container["args"].as_array().unwrap().iter())
        .map(|a| a.as_str().unwrap())
        .collect();
    assert!(args.contains(&"--metrics-file=/reports/rbacscan.prom"));
    // The arguments are ones the binary takes.
    let dir = tempfile::tempdir().unwrap();
    let argv: Vec<String> = args
        .iter()
        .map(|a| a.replace("/reports", dir.path().to_str().unwrap()))
        .collect();
    // The first night: no baseline yet, every finding is new but not
    // compared; the second night compares with the first.
    let out = rbacscan().args(&argv).arg("--demo").output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.path().join("report.json").exists());
    assert!(dir.path().join("rbacscan.prom").exists());
    let out = rbacscan().args(&argv).arg("--demo").output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let second: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("report.json")).unwrap())
            .unwrap();
    assert_eq!(second["baseline"]["new"], 0);
    assert_eq!(
        second["baseline"]["unchanged"],
        second["counts"]["findings"]
    );
}

#[test]
fn the_scanners_own_service_account_holds_nothing_risky() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rbacscan.yaml");
    std::fs::write(&file, MANIFESTS).unwrap();
    let out = rbacscan()
        .args(["scan", "-o", "json", "--include-defaults", "-f"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["counts"]["findings"], 0, "{}", r["findings"]);
}

/// The (API group, resource) of a list request's path.
fn listed(path: &str) -> Option<(String, String)> {
    if let Some(r) = path.strip_prefix("/api/v1/") {
        return (!r.contains('/')).then(|| (String::new(), r.to_string()));
    }
    let mut parts = path.strip_prefix("/apis/")?.splitn(3, '/');
    let (group, _version, resource) = (parts.next()?, parts.next()?, parts.next()?);
    (!resource.contains('/')).then(|| (group.to_string(), resource.to_string()))
}

/// The (API group, resource) pairs a ClusterRole grants `list` on; every
/// rule must be `list` only, on named resources, never Secrets.
fn granted(role: &Value) -> BTreeSet<(String, String)> {
    assert_eq!(role["kind"], "ClusterRole", "{role}");
    let mut granted = BTreeSet::new();
    for rule in role["rules"].as_array().unwrap() {
        assert_eq!(rule["verbs"], serde_json::json!(["list"]), "only list");
        assert!(rule.get("resourceNames").is_none());
        for g in rule["apiGroups"].as_array().unwrap() {
            for r in rule["resources"].as_array().unwrap() {
                let (g, r) = (g.as_str().unwrap(), r.as_str().unwrap());
                assert!(g != "*" && r != "*" && r != "secrets", "{g}/{r}");
                granted.insert((g.to_string(), r.to_string()));
            }
        }
    }
    granted
}

/// The ClusterRole the README documents for live scans: the YAML block
/// after "A ClusterRole for a scanning ServiceAccount".
fn documented_role() -> Value {
    let readme = include_str!("../../README.md");
    let (_, after) = readme
        .split_once("A ClusterRole for a scanning ServiceAccount")
        .expect("the README documents the ClusterRole");
    let (_, block) = after.split_once("```yaml\n").expect("in a YAML block");
    let (block, _) = block.split_once("```").expect("that ends");
    serde_saphyr::from_str(block).expect("the README's ClusterRole is YAML")
}

#[test]
fn the_cluster_role_grants_exactly_the_lists_a_scan_makes() {
    let docs = documents();
    let role = docs.iter().find(|d| d["kind"] == "ClusterRole").unwrap();
    let granted = granted(role);
    // The README's ClusterRole is the example's, rule for rule.
    let documented = documented_role();
    assert_eq!(documented["rules"], role["rules"]);
    assert_eq!(documented["metadata"]["name"], role["metadata"]["name"]);
    let server = TestServer::serving(cluster()).start();
    let out = in_cluster_scan(&server, TOKEN);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let requests = server.requests();
    let made: BTreeSet<(String, String)> = requests
        .iter()
        .inspect(|r| assert_eq!(r.method, "GET", "{r:?}"))
        .filter_map(|r| listed(&r.path))
        .collect();
    assert_eq!(made, granted);
    // The rest is the version, which every authenticated user may read
    // (the bootstrap policy's system:discovery).
    assert!(
        (requests.iter())
            .filter(|r| listed(&r.path).is_none())
            .all(|r| r.path == "/version"),
        "{requests:?}"
    );
}

/// The binary run as the CronJob's pod: no kubeconfig, the service's host
/// and port in the environment, and the ServiceAccount's token, CA bundle
/// and namespace in a directory laid out as the kubelet mounts them
/// (`RBACSCAN_SERVICEACCOUNT_DIR`, standing for
/// `/var/run/secrets/kubernetes.io/serviceaccount`).
fn in_cluster_scan(server: &TestServer, token: &str) -> std::process::Output {
    let mount = tempfile::tempdir().unwrap();
    std::fs::write(mount.path().join("token"), token).unwrap();
    std::fs::write(mount.path().join("ca.crt"), &server.ca_pem).unwrap();
    std::fs::write(mount.path().join("namespace"), "rbacscan").unwrap();
    let port = server.url.rsplit(':').next().unwrap();
    rbacscan()
        .args(["scan", "-q", "-o", "json", "--request-timeout", "10s"])
        .env("KUBERNETES_SERVICE_HOST", "127.0.0.1")
        .env("KUBERNETES_SERVICE_PORT", port)
        .env("RBACSCAN_SERVICEACCOUNT_DIR", mount.path())
        .output()
        .unwrap()
}

#[test]
fn a_scan_inside_a_pod_uses_the_mounted_service_account_token() {
    let server = TestServer::serving(cluster()).start();
    let out = in_cluster_scan(&server, TOKEN);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let requests = server.requests();
    assert!(!requests.is_empty());
    assert!(requests.iter().all(|r| r.authorized), "{requests:?}");
    let live: Value = inline(serde_json::from_slice(&out.stdout).unwrap());
    assert_eq!(live["inputs"]["cluster"]["server"], server.url.as_str());
    assert_eq!(essence(&live), essence(&offline_report()));
    // A token the server does not accept is named as such, in one line.
    let rejected = in_cluster_scan(&server, "not-the-token");
    assert_eq!(rejected.status.code(), Some(2));
    let stderr = String::from_utf8(rejected.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(!stderr.contains("not-the-token"), "{stderr}");
}

#[test]
fn a_pod_without_a_mounted_token_is_told_so() {
    let mount = tempfile::tempdir().unwrap();
    let out = rbacscan()
        .args(["scan", "-q"])
        .env("KUBERNETES_SERVICE_HOST", "127.0.0.1")
        .env("KUBERNETES_SERVICE_PORT", "1")
        .env("RBACSCAN_SERVICEACCOUNT_DIR", mount.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("token does not exist: is a ServiceAccount token mounted (automountServiceAccountToken)?"),
        "{stderr}"
    );
}
