//! Workloads through the real binary: the rendered chart of
//! `tests/fixtures/rendered-chart/` (what `helm template` writes: the
//! manifests a pull request adds, no pod among them), replicas counted as
//! one workload, Pod Security refusing a template, and DaemonSets placed on
//! the nodes whose taints they tolerate.

use std::path::PathBuf;

use serde_json::Value;

use super::support::{inline, rbacscan};

fn chart() -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/rendered-chart")
        .to_string_lossy()
        .into_owned()
}

/// Runs `scan -o json` on `args` and returns the report.
fn json_scan(args: &[&str]) -> Value {
    let out = rbacscan()
        .args(["scan", "-o", "json", "-q"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    inline(serde_json::from_slice(&out.stdout).unwrap())
}

/// Runs `scan -o json` on YAML text written to a temporary directory.
fn json_scan_yaml(yaml: &str) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("manifests.yaml");
    std::fs::write(&path, yaml).unwrap();
    json_scan(&["-f", path.to_str().unwrap()])
}

/// The findings of `code` about `kind namespace/name`.
fn findings_about<'r>(r: &'r Value, code: &str, kind: &str, name: &str) -> Vec<&'r Value> {
    (r["findings"].as_array().unwrap().iter())
        .filter(|f| f["code"] == code)
        .filter(|f| f["pod"]["kind"] == kind && f["pod"]["name"] == name)
        .collect()
}

fn workload<'r>(r: &'r Value, kind: &str, name: &str) -> &'r Value {
    (r["workloads"].as_array().unwrap().iter())
        .find(|w| w["kind"] == kind && w["name"] == name)
        .unwrap_or_else(|| panic!("no workload {kind} {name} in {}", r["workloads"]))
}

#[test]
fn a_rendered_chart_gives_the_hot_workloads_a_running_cluster_would() {
    let r = json_scan(&["-f", &chart()]);
    // A Deployment running as a cluster-admin ServiceAccount: one finding
    // for its three replicas, and a route from it.
    let deployer = findings_about(&r, "hot-workload", "Deployment", "deployer");
    assert_eq!(deployer.len(), 1, "{deployer:?}");
    assert_eq!(deployer[0]["severity"], "CRITICAL");
    assert_eq!(workload(&r, "Deployment", "deployer")["replicas"], 3);
    let route = findings_about(&r, "path-to-cluster-admin", "Deployment", "deployer");
    assert_eq!(route.len(), 1);
    // A CronJob whose account reads every Secret.
    let backup = findings_about(&r, "hot-workload", "CronJob", "backup");
    assert_eq!(backup.len(), 1);
    assert!(backup[0]["message"].as_str().unwrap().contains("secret"));
    // A Job whose template turns automount back on, over its account's off.
    let migrate = workload(&r, "Job", "migrate");
    assert_eq!(migrate["automount"]["enabled"], true);
    assert_eq!(migrate["automount"]["decidedBy"], "pod");
    assert_eq!(
        findings_about(&r, "hot-workload", "Job", "migrate").len(),
        1
    );
    // A Deployment with automount off and a projected token mounted.
    let reporter = workload(&r, "Deployment", "reporter");
    assert_eq!(reporter["automount"]["enabled"], false);
    let sources: Vec<&Value> = (reporter["tokens"].as_array().unwrap().iter())
        .map(|t| &t["source"])
        .collect();
    assert!(
        sources.iter().any(|s| *s == "projected-token"),
        "{sources:?}"
    );
    assert_eq!(
        findings_about(&r, "hot-workload", "Deployment", "reporter").len(),
        1
    );
    // A privileged DaemonSet mounting the host's root, its account
    // powerless: reported for the nodes it takes, at least MEDIUM.
    let agent = findings_about(&r, "hot-workload", "DaemonSet", "node-agent");
    assert_eq!(agent.len(), 1);
    assert_ne!(agent[0]["severity"], "LOW");
    assert_eq!(workload(&r, "DaemonSet", "node-agent")["takesNode"], true);
    // Decoys: automount off without a projected token, and an account
    // bound to nothing.
    assert!(findings_about(&r, "hot-workload", "Deployment", "quiet").is_empty());
    assert!(findings_about(&r, "hot-workload", "Deployment", "web").is_empty());
    assert_eq!(workload(&r, "Deployment", "quiet")["hot"], false);
    // No pod in a chart: nothing is reported per pod.
    let hot_pods = (r["findings"].as_array().unwrap().iter())
        .filter(|f| f["code"] == "hot-pod")
        .count();
    assert_eq!(hot_pods, 0);
}

#[test]
fn the_table_has_a_hot_workloads_section() {
    let out = rbacscan().args(["scan", "-f", &chart()]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let section = text
        .split("HOT WORKLOADS")
        .nth(1)
        .expect("a HOT WORKLOADS section");
    for name in ["apps/deployer", "apps/backup", "apps/node-agent"] {
        assert!(section.contains(name), "{name} missing from\n{section}");
    }
}

const REPLICAS: &str = r#"
apiVersion: v1
kind: List
items:
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRole
  metadata: {name: secrets}
  rules: [{apiGroups: [""], resources: [secrets], verbs: [get, list]}]
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRoleBinding
  metadata: {name: web-secrets}
  roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: secrets}
  subjects: [{kind: ServiceAccount, name: web, namespace: shop}]
- apiVersion: v1
  kind: ServiceAccount
  metadata: {name: web, namespace: shop}
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: web, namespace: shop, uid: d1}
  spec:
    replicas: 3
    selector: {matchLabels: {app: web}}
    template: {spec: {serviceAccountName: web, containers: [{name: c}]}}
- apiVersion: apps/v1
  kind: ReplicaSet
  metadata:
    name: web-5d9f
    namespace: shop
    uid: r1
    ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, uid: d1, controller: true}]
  spec:
    replicas: 3
    selector: {matchLabels: {app: web}}
    template: {spec: {serviceAccountName: web, containers: [{name: c}]}}
"#;

fn replica(name: &str, node: &str, sa: &str) -> String {
    format!(
        r#"
- apiVersion: v1
  kind: Pod
  metadata:
    name: {name}
    namespace: shop
    ownerReferences: [{{apiVersion: apps/v1, kind: ReplicaSet, name: web-5d9f, uid: r1, controller: true}}]
  spec:
    serviceAccountName: {sa}
    nodeName: {node}
    containers: [{{name: c, volumeMounts: [{{name: kube-api-access-x, mountPath: /var/run/secrets/kubernetes.io/serviceaccount}}]}}]
    volumes: [{{name: kube-api-access-x, projected: {{sources: [{{serviceAccountToken: {{path: token}}}}]}}}}]
  status: {{phase: Running}}"#
    )
}

#[test]
fn the_replicas_of_one_deployment_are_one_finding_and_a_patched_pod_is_named() {
    let mut yaml = REPLICAS.to_string();
    for (i, node) in ["n1", "n2", "n3"].iter().enumerate() {
        yaml.push_str(&replica(&format!("web-5d9f-{i}"), node, "web"));
    }
    // A fourth pod, patched to run as another account after creation.
    yaml.push_str(&replica("web-5d9f-x", "n1", "default"));
    let r = json_scan_yaml(&yaml);
    let hot = findings_about(&r, "hot-workload", "Deployment", "web");
    assert_eq!(hot.len(), 1);
    let w = workload(&r, "Deployment", "web");
    assert_eq!(w["pods"].as_array().unwrap().len(), 4);
    assert_eq!(w["nodes"], serde_json::json!(["n1", "n2", "n3"]));
    let differing = w["differingPods"].as_array().unwrap();
    assert_eq!(differing.len(), 1);
    assert_eq!(differing[0]["pod"], "web-5d9f-x");
    // No pod of it has a finding of its own, and each names its workload.
    assert!(
        (r["findings"].as_array().unwrap().iter()).all(|f| f["code"] != "hot-pod"),
        "{}",
        r["findings"]
    );
    for p in r["pods"].as_array().unwrap() {
        assert_eq!(p["workload"]["kind"], "Deployment");
        assert_eq!(p["workload"]["name"], "web");
    }
}

#[test]
fn a_finding_names_a_few_pods_of_a_large_workload_and_its_view_all() {
    // Eight replicas, seven patched to run as another account: the
    // message stays readable; the workload's view lists every pod.
    let mut yaml = REPLICAS.to_string();
    yaml.push_str(&replica("web-5d9f-0", "n1", "web"));
    for i in 1..8 {
        yaml.push_str(&replica(&format!("web-5d9f-{i}"), "n1", "default"));
    }
    let r = json_scan_yaml(&yaml);
    let hot = findings_about(&r, "hot-workload", "Deployment", "web");
    assert_eq!(hot.len(), 1);
    let message = hot[0]["message"].as_str().unwrap();
    assert!(
        message.contains(
            "8 running: web-5d9f-0, web-5d9f-1, web-5d9f-2, web-5d9f-3, web-5d9f-4 and 3 more"
        ),
        "{message}"
    );
    // Five differing pods named, each with what differs, then how many more.
    assert!(
        message
            .contains("; 7 pods differ from the template: web-5d9f-1 (ServiceAccount, tokens), "),
        "{message}"
    );
    assert_eq!(
        message.matches(" (ServiceAccount, tokens)").count(),
        5,
        "{message}"
    );
    assert!(
        message.contains("web-5d9f-5 (ServiceAccount, tokens) and 2 more"),
        "{message}"
    );
    let w = workload(&r, "Deployment", "web");
    assert_eq!(w["pods"].as_array().unwrap().len(), 8);
    let differing = w["differingPods"].as_array().unwrap();
    assert_eq!(differing.len(), 7);
    assert!(
        (differing.iter())
            .all(|d| d["differences"] == serde_json::json!(["service-account", "tokens"])),
        "{differing:?}"
    );
}

#[test]
fn a_template_the_namespace_refuses_is_not_hot() {
    // The namespace enforces baseline: a privileged template cannot run.
    let yaml = format!(
        "{REPLICAS}\n- apiVersion: v1\n  kind: Namespace\n  metadata: {{name: shop, labels: {{pod-security.kubernetes.io/enforce: baseline}}}}\n"
    )
    .replace(
        "template: {spec: {serviceAccountName: web, containers: [{name: c}]}}",
        "template: {spec: {serviceAccountName: web, containers: [{name: c, securityContext: {privileged: true}}]}}",
    );
    let r = json_scan_yaml(&yaml);
    let w = workload(&r, "Deployment", "web");
    assert_eq!(w["rejected"]["level"], "baseline");
    assert!(
        w["rejected"]["violations"][0]
            .as_str()
            .unwrap()
            .starts_with("privileged")
    );
    assert_eq!(w["hot"], false);
    assert!(findings_about(&r, "hot-workload", "Deployment", "web").is_empty());
}

const NODES: &str = r#"
- apiVersion: v1
  kind: Node
  metadata: {name: cp-1, labels: {node-role.kubernetes.io/control-plane: ""}}
  spec: {taints: [{key: node-role.kubernetes.io/control-plane, effect: NoSchedule}]}
- apiVersion: v1
  kind: Node
  metadata: {name: worker-1, labels: {disk: ssd}}
- apiVersion: v1
  kind: Node
  metadata: {name: worker-2}
"#;

fn daemonset(name: &str, extra: &str) -> String {
    format!(
        r#"
- apiVersion: apps/v1
  kind: DaemonSet
  metadata: {{name: {name}, namespace: shop}}
  spec:
    selector: {{matchLabels: {{app: x}}}}
    template:
      spec:
        serviceAccountName: web
        {extra}
        containers: [{{name: c, securityContext: {{privileged: true}}}}]"#
    )
}

#[test]
fn daemonsets_land_on_the_nodes_whose_taints_they_tolerate() {
    let mut yaml = REPLICAS.to_string();
    yaml.push_str(NODES);
    yaml.push_str(&daemonset("plain", ""));
    yaml.push_str(&daemonset(
        "everywhere",
        "tolerations: [{key: node-role.kubernetes.io/control-plane, operator: Exists, effect: NoSchedule}]",
    ));
    yaml.push_str(&daemonset("ssd", "nodeSelector: {disk: ssd}"));
    let r = json_scan_yaml(&yaml);
    let nodes = |name: &str| workload(&r, "DaemonSet", name)["nodes"].clone();
    assert_eq!(nodes("plain"), serde_json::json!(["worker-1", "worker-2"]));
    assert_eq!(
        nodes("everywhere"),
        serde_json::json!(["cp-1", "worker-1", "worker-2"])
    );
    assert_eq!(nodes("ssd"), serde_json::json!(["worker-1"]));
    let everywhere = workload(&r, "DaemonSet", "everywhere");
    assert_eq!(everywhere["controlPlaneNodes"], serde_json::json!(["cp-1"]));
    // Taking a control-plane node is taking the cluster: a route to
    // cluster-admin through it, and none from the DaemonSet kept off it.
    let f = findings_about(&r, "hot-workload", "DaemonSet", "everywhere");
    assert_eq!(f[0]["severity"], "CRITICAL");
    let route = findings_about(&r, "path-to-cluster-admin", "DaemonSet", "everywhere");
    assert_eq!(route.len(), 1);
    let steps = route[0]["path"]["steps"].as_array().unwrap();
    let kinds: Vec<&Value> = steps.iter().map(|s| &s["kind"]).collect();
    assert_eq!(kinds, ["escape-to-node", "control-plane-node"], "{steps:?}");
    assert!(findings_about(&r, "path-to-cluster-admin", "DaemonSet", "plain").is_empty());
    // A Deployment that cannot take its node may land on any node that
    // fits: its nodes are not listed one by one.
    assert!(workload(&r, "Deployment", "web").get("nodes").is_none());
}

#[test]
fn a_daemonset_puts_its_tokens_on_every_node_it_lands_on_before_its_pods_start() {
    // DaemonSet "plain" (web's token, which reads every Secret) lands on
    // both workers; one pod of it runs on worker-1, none yet on worker-2.
    let mut yaml = REPLICAS.to_string();
    yaml.push_str(NODES);
    yaml.push_str(&daemonset("plain", ""));
    yaml.push_str(
        r#"
- apiVersion: v1
  kind: Pod
  metadata:
    name: plain-a
    namespace: shop
    ownerReferences: [{apiVersion: apps/v1, kind: DaemonSet, name: plain, uid: p1, controller: true}]
  spec:
    serviceAccountName: web
    nodeName: worker-1
    containers: [{name: c, volumeMounts: [{name: kube-api-access-x, mountPath: /var/run/secrets/kubernetes.io/serviceaccount}]}]
    volumes: [{name: kube-api-access-x, projected: {sources: [{serviceAccountToken: {path: token}}]}}]
  status: {phase: Running}"#,
    );
    let r = json_scan_yaml(&yaml);
    let node = |name: &str| {
        (r["nodes"]["nodes"].as_array().unwrap().iter())
            .find(|n| n["node"] == name)
            .unwrap_or_else(|| panic!("no node {name} in {}", r["nodes"]))
            .clone()
    };
    let web = |n: &Value| {
        (n["tokens"].as_array().unwrap().iter())
            .find(|t| t["serviceAccount"]["name"] == "web")
            .cloned()
    };
    let w2 = node("worker-2");
    assert_eq!(w2["pods"], 0);
    let t = web(&w2).expect("web's token on worker-2");
    assert_eq!(t["daemonSets"], serde_json::json!(["shop/plain"]));
    assert_eq!(t["pods"], 0);
    assert_eq!(w2["severity"], r["workloads"][0]["tokenSeverity"]);
    // Where its pod runs, the pod counts and the template is not repeated.
    let t = web(&node("worker-1")).expect("web's token on worker-1");
    assert_eq!(t["pods"], 1);
    assert!(t.get("daemonSets").is_none());
    // The control-plane node is tainted: the DaemonSet does not go there.
    assert!(
        (r["nodes"]["nodes"].as_array().unwrap().iter()).all(|n| n["node"] != "cp-1"),
        "{}",
        r["nodes"]
    );
    // On every node: the token goes with any worker.
    let every = r["nodes"]["onEveryNode"].as_array().unwrap();
    assert_eq!(every.len(), 1, "{every:?}");
    assert_eq!(every[0]["serviceAccount"]["name"], "web");
}

#[test]
fn pods_by_workload_shows_one_row_per_workload_and_the_bare_pods_apart() {
    let mut yaml = REPLICAS.to_string();
    for (i, node) in ["n1", "n2"].iter().enumerate() {
        yaml.push_str(&replica(&format!("web-5d9f-{i}"), node, "web"));
    }
    // A bare pod: no owner.
    yaml.push_str(&replica("loner", "n1", "web").replace(
        "    ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-5d9f, uid: r1, controller: true}]\n",
        "",
    ));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.yaml");
    std::fs::write(&path, yaml).unwrap();
    let out = rbacscan()
        .args([
            "pods",
            "--by-workload",
            "-o",
            "wide",
            "--width",
            "200",
            "-f",
        ])
        .arg(&path)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let (workloads, rest) = text
        .split_once("BARE PODS")
        .unwrap_or_else(|| panic!("no BARE PODS section in\n{text}"));
    let workloads = workloads
        .split_once("WORKLOADS: 1 kept")
        .unwrap_or_else(|| panic!("no WORKLOADS section in\n{text}"))
        .1;
    // The Deployment is one row naming its two pods (-o wide); the bare pod
    // is not among them, and the replicas are not rows of their own.
    assert!(workloads.contains("Deployment shop/web"), "{workloads}");
    for pod in ["web-5d9f-0", "web-5d9f-1"] {
        assert!(workloads.contains(pod), "{pod} missing from\n{workloads}");
        assert!(!rest.contains(pod), "{pod} listed as a bare pod\n{rest}");
    }
    assert!(!workloads.contains("loner"));
    assert!(rest.contains("shop/loner"), "{rest}");
    // The JSON report says how it was asked for.
    let out = rbacscan()
        .args(["pods", "--by-workload", "-o", "json", "-f"])
        .arg(&path)
        .output()
        .unwrap();
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["filters"]["byWorkload"], true);
    assert_eq!(r["workloads"].as_array().unwrap().len(), 1);
}
