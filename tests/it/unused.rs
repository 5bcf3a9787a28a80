//! `unused` through the real binary: the demo cluster with the example
//! log (written from the audit documentation: both stages, a watch, denied
//! and unauthenticated requests, a non-resource URL, subresources,
//! `resourceNames`, a user allowed through a group, a wildcard partly
//! used, bindings never used, and Request-level events whose bodies hold a
//! Secret's value and an env value), in every format; the gzip, array and
//! CloudWatch inputs; and bad input.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::schema::{generated, strict, validate};
use super::support::rbacscan;

fn example_log() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/audit/demo-audit.log")
}

/// Values of the example log that must never be printed or stored: a
/// Secret's data in a response body, an env value in a request body.
const SECRETS: [&str; 3] = [
    "c2stbGl2ZS1ub3QtYS1yZWFsLWtleQ",
    "sk-live-not-a-real-key",
    "tok-not-a-real-token",
];

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn unused(args: &[&str], logs: &[&Path]) -> Run {
    let mut c = rbacscan();
    c.arg("unused");
    for l in logs {
        c.arg("--audit-log").arg(l);
    }
    let out = c.args(args).output().unwrap();
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn json(logs: &[&Path]) -> Value {
    let r = unused(&["--demo", "-o", "json"], logs);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    serde_json::from_str(&r.stdout).unwrap()
}

fn subject<'a>(doc: &'a Value, kind: &str, name: &str) -> &'a Value {
    doc["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["subject"]["kind"] == kind && s["subject"]["name"] == name)
        .unwrap_or_else(|| panic!("{kind} {name} not reported"))
}

fn items(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let mut s = format!(
                "{} {}",
                p["verb"].as_str().unwrap(),
                p["resource"].as_str().unwrap()
            );
            if let Some(u) = p["nonResourceURL"].as_str() {
                s = format!("{} {u}", p["verb"].as_str().unwrap());
            }
            if let Some(n) = p["name"].as_str() {
                s.push_str(&format!(" {n}"));
            }
            if let Some(ns) = p["namespace"].as_str().filter(|n| !n.is_empty()) {
                s.push_str(&format!(" in {ns}"));
            }
            s
        })
        .collect()
}

#[test]
fn the_demo_log_gives_each_subjects_used_and_unused_grants_and_proven_proposals() {
    let doc = json(&[&example_log()]);
    let schema: Value = serde_json::from_str(&generated(&["--unused"])).unwrap();
    let validator = jsonschema::draft202012::new(&strict(schema)).unwrap();
    validate(&validator, &doc, "unused --demo");
    assert_eq!(doc["command"], "unused");
    // The window and what was read: each request once whatever its stages
    // (the watch's three included), denied and unauthenticated apart.
    let log = &doc["log"];
    assert_eq!(log["window"]["from"], "2026-11-30T00:07:35.064755Z");
    assert_eq!(log["eventsRead"], 157);
    assert_eq!(log["requestsCounted"], 77);
    assert_eq!(log["skipped"]["denied"], 1);

    // Prometheus: lists and watches, /metrics; nodes/proxy never used,
    // CRITICAL, first among its unused.
    let prom = subject(&doc, "ServiceAccount", "prometheus");
    assert_eq!(prom["window"], log["window"]);
    let used = items(&prom["used"]);
    for u in ["list pods", "watch pods", "list nodes", "get /metrics"] {
        assert!(used.contains(&u.to_string()), "{u} not in {used:?}");
    }
    assert_eq!(prom["unused"][0]["resource"], "nodes/proxy");
    assert_eq!(prom["unused"][0]["risk"]["severity"], "CRITICAL");
    let count = |list: &Value, what: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|p| items(&Value::Array(vec![(*p).clone()]))[0] == what)
            .map(|p| p["count"].clone())
    };
    assert_eq!(count(&prom["used"], "watch pods"), Some(7.into()));

    // The deployer's cluster-admin wildcard says what it was used for, and
    // the proposal keeps exactly that, in ci.
    let deployer = subject(&doc, "ServiceAccount", "deployer");
    let wildcard = &deployer["unused"][0];
    assert_eq!(
        (wildcard["verb"].as_str(), wildcard["resource"].as_str()),
        (Some("*"), Some("*"))
    );
    assert_eq!(wildcard["risk"]["severity"], "CRITICAL");
    assert_eq!(
        wildcard["usedOnlyFor"],
        serde_json::json!([
            "create configmaps runner-config in ci",
            "get apps/deployments runner in ci",
            "patch apps/deployments runner in ci"
        ])
    );
    let proposal = &deployer["proposal"];
    assert_eq!(proposal[0]["kind"], "Role");
    assert_eq!(proposal[0]["metadata"]["namespace"], "ci");
    assert_eq!(
        proposal[0]["rules"],
        serde_json::json!([
            {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["create"]},
            {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "patch"]}
        ])
    );
    assert_eq!(proposal[1]["kind"], "RoleBinding");
    assert_eq!(proposal[1]["subjects"][0]["name"], "deployer");

    // resourceNames: the one Secret, used; the proposal names it.
    let payments = subject(&doc, "ServiceAccount", "payments");
    assert_eq!(
        items(&payments["used"]),
        ["get secrets payments-stripe-key in shop"]
    );
    assert!(payments["unused"].as_array().unwrap().is_empty());
    assert_eq!(
        payments["proposal"][0]["rules"][0]["resourceNames"][0],
        "payments-stripe-key"
    );

    // A user allowed through a group's RoleBinding: the group's use.
    let dev = subject(&doc, "Group", "dev-team");
    assert!(items(&dev["used"]).contains(&"list pods in dev-team".to_string()));
    assert_eq!(dev["bindings"][0]["used"], true);

    // A subresource and a named pod: create pods/exec used, get not.
    let support = subject(&doc, "User", "support@example.com");
    assert_eq!(
        items(&support["used"]),
        ["create pods/exec runner-7f9c8-abcde in ci"]
    );
    assert_eq!(
        items(&support["unused"]),
        ["get pods/exec runner-7f9c8-abcde in ci"]
    );

    // Bindings never used, and subjects with no event.
    let checkout = subject(&doc, "ServiceAccount", "checkout");
    assert_eq!(checkout["bindings"][0]["used"], false);
    assert!(checkout["proposal"].as_array().unwrap().is_empty());
    let idle: Vec<&str> = doc["subjectsWithoutEvents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert!(
        idle.contains(&"checkout") && idle.contains(&"alice@example.com"),
        "{idle:?}"
    );

    // Every proposal is proven; defaults are left out.
    for s in doc["subjects"].as_array().unwrap() {
        assert!(s["proof"]["denied"].as_array().unwrap().is_empty(), "{s}");
        assert!(
            s["proof"]["riskyUnused"].as_array().unwrap().is_empty(),
            "{s}"
        );
        assert!(
            !s["subject"]["name"]
                .as_str()
                .unwrap()
                .starts_with("system:kube")
        );
    }
    // Risky unused first: the first subject has a CRITICAL unused permission.
    assert_eq!(
        doc["subjects"][0]["unused"][0]["risk"]["severity"],
        "CRITICAL"
    );
}

#[test]
fn every_format_and_the_proposal_files_and_no_secret_value_anywhere() {
    let dir = tempfile::tempdir().unwrap();
    let proposals = dir.path().join("proposals");
    let table = unused(
        &[
            "--demo",
            "--width",
            "100",
            "--proposal-dir",
            proposals.to_str().unwrap(),
        ],
        &[&example_log()],
    );
    assert_eq!(table.code, Some(0), "{}", table.stderr);
    assert!(
        table.stdout.starts_with("AUDIT LOG  1 file"),
        "{}",
        table.stdout
    );
    assert!(table.stdout.contains("RISKY AND NEVER USED"));
    assert!(table.stdout.contains("PER SUBJECT"));
    assert!(
        table.stdout.lines().all(|l| l.chars().count() <= 100),
        "{}",
        table.stdout
    );
    let yaml = unused(&["--demo", "-o", "yaml"], &[&example_log()]);
    assert_eq!(yaml.code, Some(0));
    let doc: Value = serde_saphyr::from_str(&yaml.stdout).unwrap();
    assert_eq!(doc, json(&[&example_log()]));
    // One file per subject, YAML documents kubectl applies.
    let prom_file = std::fs::read_dir(&proposals)
        .unwrap()
        .map(|f| f.unwrap().path())
        .find(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.starts_with("rbacscan-least-sa-monitoring-prometheus-") && name.ends_with(".yaml")
        })
        .unwrap();
    let prom = std::fs::read_to_string(prom_file).unwrap();
    assert!(
        prom.contains("kind: ClusterRoleBinding") && prom.contains("/metrics"),
        "{prom}"
    );
    let docs: Vec<&str> = prom.split("\n---\n").skip(1).collect();
    assert_eq!(docs.len(), 2);
    for d in docs {
        let v: Value = serde_saphyr::from_str(d).unwrap();
        assert_eq!(v["apiVersion"], "rbac.authorization.k8s.io/v1");
    }
    let mut everything = table.stdout + &table.stderr + &yaml.stdout;
    for f in std::fs::read_dir(&proposals).unwrap() {
        everything.push_str(&std::fs::read_to_string(f.unwrap().path()).unwrap());
    }
    everything.push_str(&serde_json::to_string(&json(&[&example_log()])).unwrap());
    for s in SECRETS {
        assert!(!everything.contains(s), "{s} was printed");
    }
}

#[test]
fn gzip_an_event_array_and_cloudwatch_exports_read_as_the_plain_log() {
    let text = std::fs::read_to_string(example_log()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    // gzip, in two members as logrotate may leave, and the lines split
    // over two rotated files given in reverse order.
    let lines: Vec<&str> = text.lines().collect();
    let (a, b) = lines.split_at(lines.len() / 2);
    let gz = dir.path().join("audit.log.1.gz");
    let mut f = std::fs::File::create(&gz).unwrap();
    for part in [a, b] {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all((part.join("\n") + "\n").as_bytes()).unwrap();
        f.write_all(&e.finish().unwrap()).unwrap();
    }
    let plain = json(&[&example_log()]);
    let same = |doc: Value| {
        assert_eq!(doc["subjects"], plain["subjects"]);
        assert_eq!(
            doc["log"]["requestsCounted"],
            plain["log"]["requestsCounted"]
        );
    };
    same(json(&[&gz]));
    let rotated = dir.path().join("rotated");
    std::fs::create_dir(&rotated).unwrap();
    std::fs::write(rotated.join("audit.log"), b.join("\n") + "\n").unwrap();
    std::fs::write(rotated.join("audit-2026-12-03.log"), a.join("\n") + "\n").unwrap();
    same(json(&[&rotated]));
    // A JSON array of Events.
    let events: Vec<Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let array = dir.path().join("events.json");
    std::fs::write(&array, serde_json::to_string_pretty(&events).unwrap()).unwrap();
    same(json(&[&array]));
    // CloudWatch: `aws logs filter-log-events` output, each event its message.
    let records: Vec<Value> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| serde_json::json!({"logStreamName": "kube-apiserver-audit-1", "timestamp": 1764460800000u64 + i as u64, "message": l, "ingestionTime": 1764460800500u64, "eventId": i.to_string()}))
        .collect();
    let cw = dir.path().join("cloudwatch.json");
    std::fs::write(
        &cw,
        serde_json::to_string(&serde_json::json!({"events": records})).unwrap(),
    )
    .unwrap();
    same(json(&[&cw]));
}

#[test]
fn a_file_that_is_not_a_log_a_truncated_gzip_or_an_empty_directory_is_one_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = PathBuf::from(super::support::demo_path());
    let truncated = dir.path().join("audit.log.gz");
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(&std::fs::read(example_log()).unwrap()).unwrap();
    let bytes = e.finish().unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let out = dir.path().join("report.json");
    for (log, says) in [
        (manifest.as_path(), "demo-cluster.yaml"),
        (truncated.as_path(), "audit.log.gz"),
        (empty.as_path(), "empty"),
    ] {
        let r = unused(
            &[
                "--demo",
                "-o",
                "json",
                "--output-file",
                out.to_str().unwrap(),
            ],
            &[log],
        );
        assert_eq!(r.code, Some(2), "{log:?}: {}", r.stderr);
        assert!(r.stdout.is_empty());
        assert_eq!(r.stderr.trim().lines().count(), 1, "{}", r.stderr);
        assert!(r.stderr.contains(says), "{}", r.stderr);
        assert!(!out.exists(), "a report was written for {log:?}");
    }
}

#[test]
fn unparseable_lines_in_a_good_log_are_counted_with_their_place_and_the_rest_used() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read_to_string(example_log()).unwrap();
    let (first, rest) = good.split_once('\n').unwrap();
    let text = format!(
        "{first}\n{{\"kind\":\"Event\",\"auditID\": tru\n{rest}not json at all, secret=hunter2\n"
    );
    let log = dir.path().join("audit.log");
    std::fs::write(&log, &text).unwrap();
    let r = unused(&["--demo"], &[&log]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stdout.contains("audit.log:2:"), "{}", r.stdout);
    assert!(!r.stdout.contains("hunter2") && !r.stderr.contains("hunter2"));
    let doc = json(&[&log]);
    assert_eq!(doc["log"]["requestsCounted"], 77);
    let bad: Vec<u64> = doc["log"]["unparseable"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["line"].as_u64().unwrap())
        .collect();
    assert_eq!(bad.len(), 2, "{bad:?}");
    assert_eq!(bad, [2, 159]);
}

#[test]
fn live_the_cluster_is_read_as_by_every_command_and_gives_the_same_result() {
    use super::live::Kubeconfig;
    use super::test_server::TestServer;
    let mut loader = rbacscan::source::files::Loader::new();
    loader.add_path(&super::support::demo_path()).unwrap();
    let server = TestServer::serving(loader.finish().unwrap().snapshot).start();
    let kc = Kubeconfig::for_server(&server);
    let live = unused(
        &["--kubeconfig", kc.arg(), "--chunk-size", "3", "-o", "json"],
        &[&example_log()],
    );
    assert_eq!(live.code, Some(0), "{}", live.stderr);
    let live: Value = serde_json::from_str(&live.stdout).unwrap();
    let offline = json(&[&example_log()]);
    assert_eq!(live["subjects"], offline["subjects"]);
    // Read-only, and no Secret asked for.
    for r in server.requests() {
        assert_eq!(r.method, "GET");
        assert!(!r.path.ends_with("/secrets"), "{r:?}");
    }
}

#[test]
fn hostile_names_in_the_cluster_and_the_log_stay_text_and_never_share_a_proposal() {
    // Subjects a cluster user names: an escape sequence, a newline, and two
    // ServiceAccounts whose names differ only where a file name cannot.
    let dir = tempfile::tempdir().unwrap();
    let objects = r#"
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRole
  metadata: {name: reader}
  rules: [{apiGroups: [""], resources: [pods], verbs: [get, list]}, {apiGroups: [""], resources: [secrets], verbs: [get]}]
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRoleBinding
  metadata: {name: readers}
  roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: reader}
  subjects:
  - {kind: User, name: "evil\e[2K\rOK\nfake line", apiGroup: rbac.authorization.k8s.io}
  - {kind: ServiceAccount, name: c, namespace: a-b}
  - {kind: ServiceAccount, name: b-c, namespace: a}
"#;
    let event = |user: &str| {
        allowed_event(
            user,
            serde_json::json!({"requestURI": "/api/v1/pods", "verb": "list",
                "user": {"username": user, "groups": ["system:authenticated"]},
                "objectRef": {"resource": "pods", "apiVersion": "v1"}}),
        )
    };
    let (cluster, log) = inputs(
        dir.path(),
        objects,
        &[
            event("evil\u{1b}[2K\rOK\nfake line"),
            event("system:serviceaccount:a-b:c"),
            event("system:serviceaccount:a:b-c"),
        ],
    );
    let proposals = dir.path().join("p");
    let r = unused(
        &[
            "-f",
            cluster.to_str().unwrap(),
            "--proposal-dir",
            proposals.to_str().unwrap(),
        ],
        &[&log],
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        !r.stdout.contains('\u{1b}') && !r.stderr.contains('\u{1b}'),
        "{}",
        r.stdout
    );
    assert!(
        !r.stdout.lines().any(|l| l.starts_with("fake line")),
        "{}",
        r.stdout
    );
    let files: Vec<String> = std::fs::read_dir(&proposals)
        .unwrap()
        .map(|f| f.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(files.len(), 3, "{files:?}");
    for f in &files {
        assert!(
            f.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-.".contains(&b)),
            "{f}"
        );
        let text = std::fs::read_to_string(proposals.join(f)).unwrap();
        assert!(!text.contains('\u{1b}'), "{text}");
        // Each proposal keeps list pods, and not the secrets never read.
        assert!(
            text.contains("- list") && !text.contains("secrets"),
            "{text}"
        );
    }
}

#[test]
fn impersonating_is_a_use_of_the_impersonators_grant_and_is_proposed_for_whom_it_impersonated() {
    // ops impersonates bob (a user) and ci's deployer (a ServiceAccount);
    // its grant to impersonate comes through its group. The requests are
    // bob's and the deployer's; the impersonation checks are ops's.
    let dir = tempfile::tempdir().unwrap();
    let objects = r#"
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRole
  metadata: {name: impersonator}
  rules:
  - {apiGroups: [""], resources: [users, groups, serviceaccounts], verbs: [impersonate]}
  - {apiGroups: [""], resources: [secrets], verbs: [get]}
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRoleBinding
  metadata: {name: sre-impersonate}
  roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: impersonator}
  subjects: [{kind: Group, name: sre, apiGroup: rbac.authorization.k8s.io}]
- apiVersion: rbac.authorization.k8s.io/v1
  kind: Role
  metadata: {name: deployer, namespace: ci}
  rules: [{apiGroups: [apps], resources: [deployments], verbs: [get, patch]}]
- apiVersion: rbac.authorization.k8s.io/v1
  kind: RoleBinding
  metadata: {name: deployer, namespace: ci}
  roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: deployer}
  subjects:
  - {kind: User, name: bob, apiGroup: rbac.authorization.k8s.io}
  - {kind: ServiceAccount, name: deployer, namespace: ci}
"#;
    let event = |id: &str, as_user: &str, groups: &[&str]| {
        allowed_event(
            id,
            serde_json::json!({"requestURI": "/apis/apps/v1/namespaces/ci/deployments/web", "verb": "get",
                "user": {"username": "ops", "groups": ["sre", "system:authenticated"]},
                "impersonatedUser": {"username": as_user, "groups": groups},
                "objectRef": {"resource": "deployments", "namespace": "ci", "name": "web", "apiGroup": "apps", "apiVersion": "v1"}}),
        )
    };
    let (cluster, log) = inputs(
        dir.path(),
        objects,
        &[
            event("1", "bob", &["system:authenticated"]),
            event("2", "bob", &["system:authenticated"]),
            // The groups the API server adds to a ServiceAccount
            // impersonated without groups were not asked for.
            event(
                "3",
                "system:serviceaccount:ci:deployer",
                &[
                    "system:serviceaccounts",
                    "system:serviceaccounts:ci",
                    "system:authenticated",
                ],
            ),
        ],
    );
    let proposals = dir.path().join("p");
    let args = [
        "-f",
        cluster.to_str().unwrap(),
        "--proposal-dir",
        proposals.to_str().unwrap(),
        "-o",
        "json",
    ];
    let r = unused(&args, &[&log]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let doc: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["log"]["requestsCounted"], 3);
    // The group's binding was used, to impersonate users and
    // ServiceAccounts; groups and secrets were not.
    let sre = subject(&doc, "Group", "sre");
    assert_eq!(sre["bindings"][0]["used"], true);
    let mut used: Vec<(String, u64)> = (items(&sre["used"]).into_iter())
        .zip(sre["used"].as_array().unwrap())
        .map(|(i, u)| (i, u["count"].as_u64().unwrap()))
        .collect();
    used.sort();
    assert_eq!(
        used,
        [
            ("impersonate serviceaccounts in ci".to_string(), 1),
            ("impersonate users".to_string(), 2)
        ]
    );
    let unused_items = items(&sre["unused"]);
    for u in ["impersonate groups", "get secrets"] {
        assert!(unused_items.contains(&u.to_string()), "{unused_items:?}");
    }
    assert!(
        !unused_items
            .iter()
            .any(|u| u.starts_with("impersonate users")),
        "{unused_items:?}"
    );
    // bob's requests are bob's.
    assert_eq!(
        items(&subject(&doc, "User", "bob")["used"]),
        ["get deployments in ci"]
    );
    // The proposal impersonates only whom was impersonated, and is proven.
    assert_eq!(sre["proof"]["denied"], serde_json::json!([]));
    let text: String = std::fs::read_dir(&proposals)
        .unwrap()
        .map(|f| std::fs::read_to_string(f.unwrap().path()).unwrap())
        .filter(|t| t.contains("Group sre"))
        .collect();
    let rules: Value = text
        .split("---")
        .filter_map(|d| serde_saphyr::from_str::<Value>(d).ok())
        .find(|d| d["kind"] == "ClusterRole")
        .map(|d| d["rules"].clone())
        .unwrap_or_else(|| panic!("no ClusterRole in {text}"));
    assert_eq!(
        rules,
        serde_json::json!([{"apiGroups": [""], "resourceNames": ["bob"], "resources": ["users"], "verbs": ["impersonate"]}]),
        "{text}"
    );
    let role: Value = text
        .split("---")
        .filter_map(|d| serde_saphyr::from_str::<Value>(d).ok())
        .find(|d| d["kind"] == "Role")
        .unwrap_or_else(|| panic!("no Role in {text}"));
    assert_eq!(role["metadata"]["namespace"], "ci");
    assert_eq!(
        role["rules"],
        serde_json::json!([{"apiGroups": [""], "resourceNames": ["deployer"], "resources": ["serviceaccounts"], "verbs": ["impersonate"]}])
    );
}

/// The event of an allowed request, complete: `fields` (its user, verb,
/// URI, object) over what every such event has, its audit ID made from
/// `seed`.
fn allowed_event(seed: &str, fields: Value) -> String {
    let mut event = serde_json::json!({"kind": "Event", "apiVersion": "audit.k8s.io/v1",
        "level": "Metadata", "auditID": uuid(seed), "stage": "ResponseComplete",
        "responseStatus": {"code": 200},
        "requestReceivedTimestamp": "2026-12-01T10:00:00Z", "stageTimestamp": "2026-12-01T10:00:00Z"});
    for (k, v) in fields.as_object().unwrap() {
        event[k] = v.clone();
    }
    event.to_string()
}

/// Writes a cluster (a List of `objects`, YAML items) and a log (`events`, one a
/// line) in `dir`; their paths.
fn inputs(dir: &Path, objects: &str, events: &[String]) -> (PathBuf, PathBuf) {
    let cluster = dir.join("cluster.yaml");
    std::fs::write(
        &cluster,
        format!("apiVersion: v1\nkind: List\nitems:{objects}"),
    )
    .unwrap();
    let log = dir.join("audit.log");
    std::fs::write(&log, events.join("\n")).unwrap();
    (cluster, log)
}

/// A stable audit ID for `seed`.
fn uuid(seed: &str) -> String {
    let n = seed
        .bytes()
        .fold(0u128, |h, b| h.wrapping_mul(31).wrapping_add(u128::from(b)));
    let h = format!("{n:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}
