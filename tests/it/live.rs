//! The live path end to end: the real binary, through the real `kube`
//! client, against the in-process test API server (`test_server`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use predicates::prelude::*;
use serde_json::Value;

use rbacscan::snapshot::{Kind, Snapshot};
use rbacscan::source::files::Loader;

use super::support::{demo_path, fixture, inline, rbacscan, real_fixture};
use super::test_server::{
    Fault, SilentServer, TOKEN, TestServer, list_path, timed, unrelated_ca_pem,
};

/// The cluster served in these tests: the demo cluster, its workload
/// controllers and Nodes, plus the real server's `shop` namespace, as
/// files. It holds every kind a live scan lists but Secrets, so that the
/// offline scan of these files reads what the live one does.
fn cluster_files() -> Vec<String> {
    vec![
        demo_path(),
        fixture("demo-workloads.yaml"),
        real_fixture("shop-pods-and-serviceaccounts.yaml"),
    ]
}

pub(super) fn cluster() -> Snapshot {
    let mut l = Loader::new();
    for f in cluster_files() {
        l.add_path(&f).unwrap();
    }
    l.finish().unwrap().snapshot
}

/// A temporary directory holding a kubeconfig for `server`.
pub(super) struct Kubeconfig {
    dir: tempfile::TempDir,
    path: PathBuf,
}

impl Kubeconfig {
    pub(super) fn for_server(server: &TestServer) -> Kubeconfig {
        Kubeconfig::with(server, &server.ca_pem, &[("test", TOKEN)])
    }

    fn with(server: &TestServer, ca_pem: &str, contexts: &[(&str, &str)]) -> Kubeconfig {
        Kubeconfig::from_text(&server.kubeconfig(ca_pem, contexts))
    }

    pub(super) fn from_text(text: &str) -> Kubeconfig {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kubeconfig");
        std::fs::write(&path, text).unwrap();
        Kubeconfig { dir, path }
    }

    pub(super) fn arg(&self) -> &str {
        self.path.to_str().unwrap()
    }

    pub(super) fn file(&self, name: &str) -> String {
        self.dir.path().join(name).to_string_lossy().into_owned()
    }
}

pub(super) struct Run {
    pub(super) code: Option<i32>,
    pub(super) stdout: String,
    pub(super) stderr: String,
}

impl Run {
    /// The JSON written, each position into its tables replaced by the
    /// entry (see [`inline`]).
    pub(super) fn json(&self) -> Value {
        inline(self.written())
    }

    /// The JSON as written, its positions kept: for the schema, and for
    /// what is fed back to the binary.
    pub(super) fn written(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}\nstderr: {}", self.stdout, self.stderr))
    }
}

pub(super) fn run(args: &[&str]) -> Run {
    let mut command = rbacscan();
    command.args(args);
    run_command(&mut command)
}

fn run_command(command: &mut assert_cmd::Command) -> Run {
    let out = command.output().unwrap();
    Run {
        code: out.status.code(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// A live JSON scan in pages of 2, with extra arguments.
pub(super) fn scan_live(kc: &Kubeconfig, extra: &[&str]) -> Run {
    let mut args = vec![
        "scan",
        "--kubeconfig",
        kc.arg(),
        "--chunk-size",
        "2",
        "-o",
        "json",
    ];
    args.extend_from_slice(extra);
    run(&args)
}

/// Scans the test cluster live (`-v`) through a server with `fault`, and
/// checks that the scan got over it: exit 0, the same findings as the
/// offline scan, and `says` on stderr. The server is returned for its
/// record of requests.
pub(super) fn scan_recovering(fault: Fault, says: &str) -> (TestServer, Run) {
    let server = TestServer::serving(cluster()).fault(fault).start();
    let kc = Kubeconfig::for_server(&server);
    let r = scan_live(&kc, &["-v"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(essence(&r.json()), essence(&offline_report()));
    assert!(r.stderr.contains(says), "{}", r.stderr);
    (server, r)
}

pub(super) fn offline_report() -> Value {
    let mut args = vec!["scan", "-o", "json"];
    let files = cluster_files();
    for f in &files {
        args.extend(["-f", f.as_str()]);
    }
    let r = run(&args);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    r.json()
}

/// What must agree between two reports of the same cluster.
pub(super) fn essence(report: &Value) -> (Value, Value, Value) {
    (
        report["findings"].clone(),
        report["counts"].clone(),
        report["coverage"].clone(),
    )
}

fn assert_read_only(server: &TestServer) {
    let requests = server.requests();
    assert!(!requests.is_empty());
    for r in &requests {
        assert_eq!(r.method, "GET", "{r:?}");
        assert!(r.authorized, "{r:?}");
        // CRDs are asked for as metadata only: their names, not their schemas.
        let accept = match r.path.contains("customresourcedefinitions") {
            true => "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1",
            false => "application/json",
        };
        assert_eq!(r.accept, accept, "{r:?}");
        // (`clustersecretstores` is External Secrets' stores, not Secrets.)
        assert!(
            !r.path.ends_with("/secrets"),
            "a Secret was requested: {r:?}"
        );
    }
}

#[test]
fn a_live_scan_in_pages_of_two_equals_the_offline_scan_and_its_dump() {
    let snapshot = cluster();
    let server = TestServer::serving(snapshot.clone())
        // Every kind but Secrets, which are listed only when asked for.
        .barrier(Kind::ALL.len() - 1)
        .start();
    let kc = Kubeconfig::for_server(&server);
    let saved = kc.file("saved.json");
    let live = scan_live(&kc, &["--save-snapshot", &saved, "-v"]);
    assert_eq!(live.code, Some(0), "{}", live.stderr);
    let live_report = live.json();
    let offline = offline_report();
    assert_eq!(essence(&live_report), essence(&offline));
    assert_eq!(live_report["coverage"]["complete"], true);
    assert_eq!(
        live_report["inputs"]["cluster"]["server"].as_str(),
        Some(server.url.as_str())
    );
    assert_eq!(live_report["inputs"]["cluster"]["version"], "v1.28.7");

    // All kinds were in flight together: every first page was held until
    // every list had asked for its own.
    assert_eq!(server.barrier_met(), Some(true));
    // One request per page: ceil(n / 2) per kind (one for an empty list).
    let requests = server.requests();
    for kind in Kind::ALL.into_iter().filter(|k| *k != Kind::Secret) {
        let n = snapshot.count(kind);
        let sent = requests
            .iter()
            .filter(|r| r.path == list_path(kind))
            .count();
        assert_eq!(sent, n.div_ceil(2).max(1), "{kind:?}: {n} objects");
        assert!(
            live.stderr.contains(&format!(
                "{}: {n} objects in {} pages, {} requests",
                kind.resource(),
                n.div_ceil(2).max(1),
                n.div_ceil(2).max(1)
            )),
            "{}",
            live.stderr
        );
    }
    assert!(
        requests.iter().filter(|r| r.resource().is_some()).all(|r| r
            .query
            .get("limit")
            .map(String::as_str)
            == Some("2"))
    );
    assert_read_only(&server);

    // The snapshot saved during the scan, and one written by `dump`, scan
    // offline to the same findings.
    let dumped = kc.file("dump.json");
    let d = run(&[
        "dump",
        "--kubeconfig",
        kc.arg(),
        "--output-file",
        &dumped,
        "-q",
    ]);
    assert_eq!(d.code, Some(0), "{}", d.stderr);
    assert_eq!(d.stdout, "");
    assert_eq!(d.stderr, "");
    for file in [&saved, &dumped] {
        let r = run(&["scan", "-f", file, "-o", "json"]);
        assert_eq!(r.code, Some(0), "{}", r.stderr);
        assert_eq!(essence(&r.json()), essence(&offline), "{file}");
        assert_eq!(
            r.json()["inputs"]["cluster"]["server"].as_str(),
            Some(server.url.as_str())
        );
    }
    let text = std::fs::read_to_string(&dumped).unwrap();
    assert!(text.starts_with(
        r#"{"apiVersion":"v1","kind":"List","metadata":{},"rbacscan":{"dumpVersion":2,"#
    ));
    assert!(!text.contains("managedFields"));
    assert_read_only(&server);
}

#[test]
fn forbidden_pods_give_a_partial_report_that_says_so() {
    let server = TestServer::serving(cluster())
        .fault(Fault::Forbidden("pods"))
        .start();
    let kc = Kubeconfig::for_server(&server);
    let r = scan_live(&kc, &[]);
    assert_eq!(r.code, Some(3), "{}", r.stderr);
    let report = r.json();
    let coverage = &report["coverage"];
    assert_eq!(coverage["complete"], false);
    assert_eq!(coverage["missing"].as_array().unwrap().len(), 1);
    let missing = &coverage["missing"][0];
    assert_eq!(missing["kind"], "Pod");
    assert_eq!(missing["resource"], "pods");
    assert_eq!(missing["reason"], "forbidden");
    assert!(
        missing["message"].as_str().unwrap().contains(
            r#"HTTP 403 Forbidden: pods is forbidden: User "bob" cannot list resource "pods""#
        ),
        "{missing}"
    );
    assert!(missing["impact"].as_str().unwrap().contains("pods"));
    assert!(!coverage["read"].as_array().unwrap().contains(&"Pod".into()));
    assert_eq!(report["counts"]["objects"]["Pod"], 0);
    // RBAC findings do not depend on pods, except those rated by what pods
    // carry (exec into them, ...); without pods there are no hot pods, and
    // which ServiceAccounts no pod uses cannot be told.
    let offline = offline_report();
    let rated_by_pods: Vec<&serde_json::Value> = offline["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["ratedBy"]
                .as_array()
                .is_some_and(|t| t.iter().any(|t| t["kind"] == "Pod"))
        })
        .map(|f| &f["fingerprint"])
        .collect();
    let rbac_only = |r: &serde_json::Value| -> Vec<serde_json::Value> {
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| {
                ![
                    "hot-pod",
                    "hot-workload",
                    "path-to-cluster-admin",
                    "unused-risky-service-account",
                    "risky-default-service-account",
                ]
                .contains(&f["code"].as_str().unwrap())
                    && !rated_by_pods.contains(&&f["fingerprint"])
            })
            .cloned()
            .collect()
    };
    assert_eq!(rbac_only(&report), rbac_only(&offline));
    assert_eq!(report["counts"]["byCode"].get("hot-pod"), None);
    assert_eq!(report["pods"], serde_json::json!([]));
    assert!(
        r.stderr
            .contains("warning: partial snapshot, could not read pods (forbidden)")
    );

    let table = run(&["scan", "--kubeconfig", kc.arg()]);
    assert_eq!(table.code, Some(3));
    // Of the kinds listed: every kind but Secrets.
    let partial = format!(
        "PARTIAL SCAN: 1 of {} kinds could not be read",
        Kind::ALL.len() - 1
    );
    assert!(table.stdout.contains(&partial), "{}", table.stdout);
    assert!(
        table
            .stdout
            .contains("- Pod (pods): forbidden: HTTP 403 Forbidden: pods is forbidden")
    );

    // A partial dump stays partial offline.
    let dumped = kc.file("partial.json");
    let d = run(&["dump", "--kubeconfig", kc.arg(), "--output-file", &dumped]);
    assert_eq!(d.code, Some(3), "{}", d.stderr);
    let offline = run(&["scan", "-f", &dumped, "-o", "json"]);
    assert_eq!(offline.code, Some(3), "{}", offline.stderr);
    assert_eq!(offline.json()["coverage"], report["coverage"]);
    assert_read_only(&server);
}

/// Workloads a live scan sees only through their controllers (a Deployment
/// scaled to zero, a CronJob between runs, a DaemonSet), and the Nodes,
/// one of them the control plane, as a real server stores them.
fn controllers_and_nodes() -> Vec<Value> {
    serde_json::from_value(serde_json::json!([
        {"apiVersion": "apps/v1", "kind": "Deployment",
         "metadata": {"name": "api", "namespace": "shop", "uid": "0b7d3b4e-3c52-4f33-9a43-6b0c1a0d2e11",
                      "annotations": {"deployment.kubernetes.io/revision": "4"}},
         "spec": {"replicas": 0, "selector": {"matchLabels": {"app": "api"}},
                  "strategy": {"type": "RollingUpdate"},
                  "template": {"metadata": {"labels": {"app": "api"}},
                               "spec": {"serviceAccountName": "api",
                                        "containers": [{"name": "api", "image": "registry.example.com/shop/api:2.0.1"}]}}},
         "status": {"observedGeneration": 7}},
        {"apiVersion": "batch/v1", "kind": "CronJob",
         "metadata": {"name": "backup", "namespace": "ops", "uid": "5a0c8f0e-8d0e-4d4f-a1a3-7d7b2c9e0f21"},
         "spec": {"schedule": "0 2 * * *", "suspend": false, "concurrencyPolicy": "Forbid",
                  "jobTemplate": {"spec": {"backoffLimit": 1, "template": {"spec": {
                      "serviceAccountName": "backup", "restartPolicy": "Never",
                      "containers": [{"name": "backup", "image": "registry.example.com/ops/backup:1.3"}]}}}}},
         "status": {"lastScheduleTime": "2026-11-01T02:00:00Z"}},
        {"apiVersion": "apps/v1", "kind": "DaemonSet",
         "metadata": {"name": "agent", "namespace": "kube-system", "uid": "e2a1c0d9-6b7f-4c1e-9d8a-3f5b2a1c0e31"},
         "spec": {"selector": {"matchLabels": {"app": "agent"}},
                  "template": {"metadata": {"labels": {"app": "agent"}},
                               "spec": {"serviceAccountName": "agent", "hostPID": true,
                                        "tolerations": [{"operator": "Exists"}],
                                        "containers": [{"name": "agent", "image": "registry.example.com/agent:5",
                                                        "securityContext": {"privileged": true}}]}}},
         "status": {"desiredNumberScheduled": 2, "numberReady": 2}},
        {"apiVersion": "v1", "kind": "Node",
         "metadata": {"name": "cp-1", "uid": "9f1d2c3b-4a5e-4f60-8b7c-1d2e3f4a5b61",
                      "labels": {"kubernetes.io/hostname": "cp-1", "node-role.kubernetes.io/control-plane": ""}},
         "spec": {"podCIDR": "10.244.0.0/24",
                  "taints": [{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]},
         "status": {"capacity": {"cpu": "4"}, "addresses": [{"type": "InternalIP", "address": "10.0.0.10"}]}},
        {"apiVersion": "v1", "kind": "Node",
         "metadata": {"name": "worker-1", "uid": "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e71",
                      "labels": {"kubernetes.io/hostname": "worker-1"}},
         "spec": {"podCIDR": "10.244.1.0/24"},
         "status": {"capacity": {"cpu": "8"}}}
    ]))
    .unwrap()
}

#[test]
fn a_live_scan_reads_workloads_without_pods_and_the_nodes_and_dumps_them() {
    let server = TestServer::serving_objects(controllers_and_nodes()).start();
    let kc = Kubeconfig::for_server(&server);
    // Pages of one: the two Nodes come in two pages.
    let r = run(&[
        "scan",
        "--kubeconfig",
        kc.arg(),
        "--chunk-size",
        "1",
        "-o",
        "json",
    ]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let report = r.json();
    let objects = &report["counts"]["objects"];
    for (kind, n) in [
        ("Deployment", 1),
        ("CronJob", 1),
        ("DaemonSet", 1),
        ("Node", 2),
        ("ReplicaSet", 0),
        ("Pod", 0),
    ] {
        assert_eq!(objects[kind], n, "{kind}: {objects}");
    }
    assert_eq!(report["coverage"]["complete"], true);
    assert_eq!(
        report["coverage"]["notListed"],
        serde_json::json!(["Secret"])
    );
    let requests = server.requests();
    for path in [
        "/apis/apps/v1/deployments",
        "/apis/apps/v1/replicasets",
        "/apis/apps/v1/statefulsets",
        "/apis/apps/v1/daemonsets",
        "/apis/batch/v1/jobs",
        "/apis/batch/v1/cronjobs",
        "/api/v1/replicationcontrollers",
    ] {
        assert!(requests.iter().any(|r| r.path == path), "{path}");
    }
    let node_pages = (requests.iter())
        .filter(|r| r.path == "/api/v1/nodes")
        .count();
    assert_eq!(node_pages, 2);
    assert_read_only(&server);

    // The dump holds them, with the fields the analysis reads.
    let dumped = kc.file("dump.json");
    let d = run(&["dump", "--kubeconfig", kc.arg(), "--output-file", &dumped]);
    assert_eq!(d.code, Some(0), "{}", d.stderr);
    let dump: Value = serde_json::from_str(&std::fs::read_to_string(&dumped).unwrap()).unwrap();
    let item = |kind: &str, name: &str| -> Value {
        (dump["items"].as_array().unwrap().iter())
            .find(|i| i["kind"] == kind && i["metadata"]["name"] == name)
            .unwrap_or_else(|| panic!("{kind} {name} is not in the dump"))
            .clone()
    };
    let deployment = item("Deployment", "api");
    assert_eq!(deployment["apiVersion"], "apps/v1");
    assert_eq!(deployment["metadata"]["namespace"], "shop");
    assert_eq!(deployment["spec"]["replicas"], 0, "scaled to zero");
    assert_eq!(
        deployment["spec"]["template"]["spec"]["serviceAccountName"],
        "api"
    );
    let cron = item("CronJob", "backup");
    assert_eq!(cron["apiVersion"], "batch/v1");
    assert_eq!(
        cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["serviceAccountName"],
        "backup"
    );
    let daemon = item("DaemonSet", "agent");
    let spec = &daemon["spec"]["template"]["spec"];
    assert_eq!(
        spec["tolerations"],
        serde_json::json!([{"operator": "Exists"}])
    );
    assert_eq!(spec["hostPID"], true);
    assert_eq!(spec["containers"][0]["securityContext"]["privileged"], true);
    let cp = item("Node", "cp-1");
    assert_eq!(
        cp["metadata"]["labels"]["node-role.kubernetes.io/control-plane"],
        ""
    );
    assert_eq!(
        cp["spec"]["taints"][0]["key"],
        "node-role.kubernetes.io/control-plane"
    );
    let worker = item("Node", "worker-1");
    assert_eq!(
        worker["metadata"]["labels"]["kubernetes.io/hostname"],
        "worker-1"
    );
    // What the analysis never reads is not kept.
    for i in dump["items"].as_array().unwrap() {
        assert!(i.get("status").is_none(), "{i}");
    }
    assert!(cp["spec"].get("podCIDR").is_none());
    // Read back, the dump is the same cluster.
    let offline = run(&["scan", "-f", &dumped, "-o", "json"]);
    assert_eq!(offline.code, Some(0), "{}", offline.stderr);
    assert_eq!(essence(&offline.json()), essence(&report));
}

#[test]
fn forbidden_deployments_or_nodes_give_a_partial_report_that_states_the_impact() {
    for (resource, kind, message, impact) in [
        (
            "deployments",
            "Deployment",
            r#"HTTP 403 Forbidden: deployments.apps is forbidden: User "bob" cannot list resource "deployments" in API group "apps""#,
            "workloads without running pods are unknown",
        ),
        (
            "nodes",
            "Node",
            r#"HTTP 403 Forbidden: nodes is forbidden: User "bob" cannot list resource "nodes" in API group """#,
            "node placement unknown",
        ),
        (
            "appprojects",
            "AppProject",
            r#"cannot list resource "appprojects" in API group "argoproj.io""#,
            "Argo CD's project restrictions unknown",
        ),
    ] {
        let server = TestServer::serving(cluster())
            .fault(Fault::Forbidden(resource))
            .start();
        let kc = Kubeconfig::for_server(&server);
        let r = scan_live(&kc, &[]);
        assert_eq!(r.code, Some(3), "{resource}: {}", r.stderr);
        let report = r.json();
        let coverage = &report["coverage"];
        assert_eq!(coverage["complete"], false);
        let missing = coverage["missing"].as_array().unwrap();
        assert_eq!(missing.len(), 1, "{coverage}");
        assert_eq!(missing[0]["kind"], kind);
        assert_eq!(missing[0]["resource"], resource);
        assert_eq!(missing[0]["reason"], "forbidden");
        let said = missing[0]["message"].as_str().unwrap();
        assert!(said.contains(message), "{said}");
        let affects = missing[0]["impact"].as_str().unwrap();
        assert!(affects.starts_with(impact), "{affects}");
        // Every other kind was read.
        assert_eq!(
            coverage["read"].as_array().unwrap().len(),
            Kind::ALL.len() - 2,
            "{coverage}"
        );
        assert_eq!(report["counts"]["objects"][kind], 0);
        assert!(
            r.stderr.contains(&format!(
                "rbacscan: warning: partial snapshot, could not read {resource} (forbidden); findings may be incomplete (exit code 3)"
            )),
            "{}",
            r.stderr
        );

        // The table says which kind is missing, why, and what it affects.
        let table = run(&["scan", "--kubeconfig", kc.arg()]);
        assert_eq!(table.code, Some(3), "{}", table.stderr);
        let partial = format!(
            "PARTIAL SCAN: 1 of {} kinds could not be read",
            Kind::ALL.len() - 1
        );
        let lines: Vec<&str> = table.stdout.lines().collect();
        assert!(
            lines.iter().any(|l| l.starts_with(&partial)),
            "{}",
            table.stdout
        );
        let at = (lines.iter())
            .position(|l| l.starts_with(&format!("  - {kind} ({resource}): forbidden: HTTP 403")))
            .unwrap_or_else(|| panic!("{}", table.stdout));
        assert!(
            lines[at + 1..]
                .iter()
                .any(|l| l.starts_with(&format!("    impact: {impact}"))),
            "{}",
            table.stdout
        );
        assert_read_only(&server);
    }
}

#[test]
fn forbidden_clusterroles_leave_bindings_unresolved_but_not_missing() {
    let server = TestServer::serving(cluster())
        .fault(Fault::Forbidden("clusterroles"))
        .start();
    let kc = Kubeconfig::for_server(&server);
    let r = scan_live(&kc, &["--fail-on", "low"]);
    assert_eq!(r.code, Some(3), "partial wins over findings: {}", r.stderr);
    let report = r.json();
    let missing = &report["coverage"]["missing"];
    assert_eq!(missing.as_array().unwrap().len(), 1);
    assert_eq!(missing[0]["kind"], "ClusterRole");
    assert!(
        missing[0]["message"]
            .as_str()
            .unwrap()
            .contains("clusterroles.rbac.authorization.k8s.io is forbidden")
    );
    assert!(
        missing[0]["impact"]
            .as_str()
            .unwrap()
            .contains("unresolved")
    );
    // Bindings to ClusterRoles are not reported as bindings to missing roles.
    let findings = report["findings"].as_array().unwrap();
    assert!(!findings.is_empty(), "Roles still yield findings");
    assert!(
        findings
            .iter()
            .all(|f| !(f["code"] == "missing-role" && f["role"]["kind"] == "ClusterRole")),
        "{findings:?}"
    );
    assert_read_only(&server);
}

#[test]
fn an_expired_continue_token_restarts_the_list() {
    let (server, r) = scan_recovering(
        Fault::ExpireContinue {
            resource: "clusterroles",
            nth: 3,
        },
        "clusterroles: continue token expired after 3 pages (HTTP 410 Gone: The provided continue parameter is too old",
    );
    assert!(r.stderr.contains("restarted 1 times"), "{}", r.stderr);
    // Three pages, the 410, then the whole list again.
    let n = cluster().count(Kind::ClusterRole).div_ceil(2);
    let sent: Vec<bool> = server
        .requests()
        .iter()
        .filter(|r| r.resource() == Some("clusterroles"))
        .map(|r| r.query.contains_key("continue"))
        .collect();
    assert_eq!(sent.len(), 4 + n);
    assert!(!sent[0] && sent[1] && sent[2] && sent[3] && !sent[4]);
    assert_read_only(&server);
}

#[test]
fn throttling_is_retried_after_the_servers_retry_after() {
    let server = TestServer::serving(cluster())
        .fault(Fault::Status {
            resource: "roles",
            status: 429,
            count: 1,
            retry_after: Some(1),
        })
        .start();
    let kc = Kubeconfig::for_server(&server);
    let (r, took) = timed(|| scan_live(&kc, &["-v"]));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(essence(&r.json()), essence(&offline_report()));
    assert!(
        r.stderr.contains("roles: HTTP 429 Too Many Requests: Too many requests, please try again later.; retrying in 1000 ms"),
        "{}",
        r.stderr
    );
    assert!(took >= Duration::from_secs(1), "Retry-After was honoured");
    assert_read_only(&server);
}

#[test]
fn a_burst_of_server_errors_is_retried() {
    let server = TestServer::serving(cluster())
        .fault(Fault::Status {
            resource: "rolebindings",
            status: 500,
            count: 3,
            retry_after: None,
        })
        .fault(Fault::Status {
            resource: "serviceaccounts",
            status: 503,
            count: 2,
            retry_after: None,
        })
        .start();
    let kc = Kubeconfig::for_server(&server);
    let r = scan_live(&kc, &["-v"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(essence(&r.json()), essence(&offline_report()));
    assert_eq!(
        r.stderr.matches("rolebindings: HTTP 500").count(),
        3,
        "{}",
        r.stderr
    );
    assert_eq!(r.stderr.matches("serviceaccounts: HTTP 503").count(), 2);
}

#[test]
fn a_list_that_keeps_failing_is_missing_once_the_deadline_leaves_no_room() {
    let server = TestServer::serving(cluster())
        .fault(Fault::Status {
            resource: "pods",
            status: 503,
            count: usize::MAX,
            retry_after: None,
        })
        .start();
    let kc = Kubeconfig::for_server(&server);
    let (r, took) = timed(|| scan_live(&kc, &["--deadline", "2s"]));
    assert_eq!(r.code, Some(3), "{}", r.stderr);
    let missing = &r.json()["coverage"]["missing"];
    assert_eq!(missing[0]["kind"], "Pod");
    assert_eq!(missing[0]["reason"], "failed");
    assert!(
        missing[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("HTTP 503 Service Unavailable"),
        "{missing}"
    );
    assert!(took < Duration::from_secs(20), "{took:?}");
}

#[test]
fn a_server_that_never_answers_is_an_error_within_the_deadline() {
    let silent = SilentServer::start();
    let kc = Kubeconfig::from_text(&format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: s\n  cluster:\n    server: {}\n    insecure-skip-tls-verify: true\nusers:\n- name: u\n  user:\n    token: t\ncontexts:\n- name: c\n  context:\n    cluster: s\n    user: u\n",
        silent.url
    ));
    let (r, took) = timed(|| {
        run(&[
            "scan",
            "--kubeconfig",
            kc.arg(),
            "--request-timeout",
            "30s",
            "--deadline",
            "2s",
        ])
    });
    assert_eq!(r.code, Some(2));
    assert_eq!(r.stdout, "");
    assert!(
        r.stderr.contains(&format!(
            "rbacscan: error: the API server at {} did not answer in time",
            silent.url
        )),
        "{}",
        r.stderr
    );
    assert!(took < Duration::from_secs(15), "{took:?}");
}

#[test]
fn a_wrong_ca_is_a_tls_error() {
    let server = TestServer::serving(cluster()).start();
    let kc = Kubeconfig::with(&server, &unrelated_ca_pem(), &[("test", TOKEN)]);
    let r = run(&["scan", "--kubeconfig", kc.arg()]);
    assert_eq!(r.code, Some(2));
    assert_eq!(r.stdout, "");
    assert_eq!(
        r.stderr.trim_end(),
        format!(
            "rbacscan: error: TLS handshake with {} failed: the server's certificate is not signed by a CA the kubeconfig trusts (UnknownIssuer); check certificate-authority(-data) and the server URL in the kubeconfig",
            server.url
        )
    );
    assert!(server.requests().is_empty(), "nothing was sent");
}

#[test]
fn rejected_credentials_are_named() {
    let server = TestServer::serving(cluster()).start();
    let kc = Kubeconfig::with(&server, &server.ca_pem, &[("expired", "not-the-token")]);
    let r = run(&["scan", "--kubeconfig", kc.arg()]);
    assert_eq!(r.code, Some(2));
    assert!(
        r.stderr.contains(&format!(
            "the API server at {} rejected the credentials of context `expired` (401 Unauthorized)",
            server.url
        )),
        "{}",
        r.stderr
    );
    assert_eq!(server.requests().len(), 1, "nothing is listed after a 401");
}

#[test]
fn an_unknown_context_lists_the_contexts() {
    let server = TestServer::serving(cluster()).start();
    let kc = Kubeconfig::with(&server, &server.ca_pem, &[("test", TOKEN), ("prod", TOKEN)]);
    let r = run(&["scan", "--kubeconfig", kc.arg(), "--context", "staging"]);
    assert_eq!(r.code, Some(2));
    assert_eq!(
        r.stderr.trim_end(),
        format!(
            "rbacscan: error: context `staging` is not in {}; its contexts: test, prod",
            kc.arg()
        )
    );
    // The other context works, chosen by name.
    let ok = run(&[
        "scan",
        "--kubeconfig",
        kc.arg(),
        "--context",
        "prod",
        "-o",
        "json",
    ]);
    assert_eq!(ok.code, Some(0), "{}", ok.stderr);
    assert_eq!(ok.json()["inputs"]["cluster"]["context"], "prod");
}

#[test]
fn kubeconfig_comes_from_kubeconfig_env_merged_like_kubectl() {
    let server = TestServer::serving(cluster()).start();
    let kc = Kubeconfig::for_server(&server);
    let missing = kc.file("does-not-exist");
    let joined = std::env::join_paths([Path::new(&missing), kc.path.as_path()]).unwrap();
    let r = run_command(
        rbacscan()
            .env("KUBECONFIG", joined)
            .args(["scan", "-o", "json"]),
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let report = r.json();
    assert_eq!(
        report["inputs"]["sources"][0].as_str().unwrap(),
        format!("cluster {} (context test, Kubernetes v1.28.7)", server.url)
    );
}

#[test]
fn missing_or_unreachable_clusters_are_one_line_errors() {
    rbacscan()
        .args(["scan", "--kubeconfig", "/nonexistent/kubeconfig"])
        .assert()
        .code(2)
        .stdout("")
        .stderr("rbacscan: error: kubeconfig /nonexistent/kubeconfig: no such file\n");
    rbacscan()
        .args(["scan"])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with(
            "rbacscan: error: no cluster to scan:",
        ));
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let kc = Kubeconfig::from_text(&format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: s\n  cluster:\n    server: https://127.0.0.1:{port}\nusers:\n- name: u\n  user:\n    token: t\ncontexts:\n- name: c\n  context:\n    cluster: s\n    user: u\n"
    ));
    rbacscan()
        .args(["scan", "--kubeconfig", kc.arg()])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with(format!(
            "rbacscan: error: cannot reach the API server at https://127.0.0.1:{port}: "
        )))
        .stderr(predicate::str::contains("refused"));
}

#[test]
fn who_can_access_and_paths_answer_live_as_they_do_offline() {
    let server = TestServer::serving(cluster()).start();
    let kc = Kubeconfig::for_server(&server);
    let files = cluster_files();
    for question in [
        vec![
            "who-can",
            "create",
            "pods/exec",
            "runner-7f9c8-abcde",
            "-n",
            "ci",
        ],
        vec!["access", "sa:kube-system/ops-bot"],
        vec!["access", "sa:ci/deployer", "--diff-with", "group:shop-team"],
        vec!["paths"],
        vec![
            "paths",
            "--from",
            "pod/ci/runner-7f9c8-abcde",
            "--to",
            "node/node-a",
        ],
    ] {
        let mut live = question.clone();
        live.extend(["--kubeconfig", kc.arg(), "--chunk-size", "3", "-o", "json"]);
        let l = run(&live);
        assert_eq!(l.code, Some(0), "{question:?}: {}", l.stderr);
        let mut offline = question.clone();
        for f in &files {
            offline.extend(["-f", f.as_str()]);
        }
        offline.extend(["-o", "json"]);
        let o = run(&offline);
        assert_eq!(o.code, Some(0), "{question:?}: {}", o.stderr);
        assert_eq!(l.json(), o.json(), "{question:?}");
    }
    assert_read_only(&server);
}

#[test]
fn full_objects_as_a_server_stores_them_scan_like_the_same_file_and_leave_no_value_behind() {
    // The pods fixture, as a real server would serve it: managed fields,
    // kubectl's last-applied annotation and literal env values included.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pods-cluster.yaml");
    let text = std::fs::read_to_string(path).unwrap();
    let mut list: Value = serde_saphyr::from_str(&text).unwrap();
    let items = list["items"].as_array_mut().unwrap();
    for item in items.iter_mut().filter(|i| i["kind"] == "Pod") {
        let meta = item["metadata"].as_object_mut().unwrap();
        meta.insert(
            "managedFields".into(),
            serde_json::json!([{"manager": "kubectl", "operation": "Update", "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {}}}]),
        );
        meta.insert(
            "annotations".into(),
            serde_json::json!({"kubectl.kubernetes.io/last-applied-configuration": "{\"env\":\"hunter2-applied\"}"}),
        );
        for c in item["spec"]["containers"].as_array_mut().unwrap() {
            let c = c.as_object_mut().unwrap();
            let env = c.entry("env").or_insert_with(|| serde_json::json!([]));
            env.as_array_mut()
                .unwrap()
                .push(serde_json::json!({"name": "DB_PASSWORD", "value": "hunter2-literal"}));
            c.insert(
                "resources".into(),
                serde_json::json!({"limits": {"cpu": "1"}}),
            );
        }
    }
    let server = TestServer::serving_objects(items.clone()).start();
    let kc = Kubeconfig::for_server(&server);
    let file = kc.file("full.json");
    std::fs::write(&file, serde_json::to_string(&list).unwrap()).unwrap();
    let saved = kc.file("saved.json");
    let live = scan_live(&kc, &["--save-snapshot", &saved]);
    assert_eq!(live.code, Some(0), "{}", live.stderr);
    let offline = run(&["scan", "-f", &file, "-o", "json"]);
    assert_eq!(offline.code, Some(0), "{}", offline.stderr);
    // The same findings and pods (coverage differs: a live scan lists
    // every kind, the file has no Roles or Namespaces).
    let (live_report, offline_report) = (live.json(), offline.json());
    for part in ["findings", "rules", "pods", "nodes"] {
        assert_eq!(live_report[part], offline_report[part], "{part}");
    }
    assert!(!live_report["pods"].as_array().unwrap().is_empty());
    let snapshot = std::fs::read_to_string(&saved).unwrap();
    for left_out in ["hunter2", "managedFields", "last-applied"] {
        assert!(!snapshot.contains(left_out), "{left_out} in the snapshot");
        assert!(!live.stdout.contains(left_out), "{left_out} in the report");
    }
    assert_read_only(&server);
}
