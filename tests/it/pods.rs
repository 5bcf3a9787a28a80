//! Token exposure, hot pods, amplifiers and node blast radius, through the
//! real binary: offline on `tests/fixtures/pods-*.yaml` (one pod per rule),
//! on the real server's fixtures, and live through the test API server.

use std::path::PathBuf;

use serde_json::{Value, json};

use rbacscan::snapshot::Kind;
use rbacscan::source::files::Loader;

use super::live::{Kubeconfig, run};
use super::support::real_fixture;
use super::test_server::{TestServer, list_path};

fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// Values in the fixtures that must never appear in any output.
const NEVER_SHOWN: [&str; 6] = [
    "fixture-plaintext-never-printed",
    "fixture-password-never-printed",
    "fixture-annotation-value-never-printed",
    "Zml4dHVyZS10b2tlbi1uZXZlci1wcmludGVk",
    "not-shown-anywhere",
    "not-a-real-password",
];

fn assert_no_secret_value(text: &str, what: &str) {
    for v in NEVER_SHOWN {
        assert!(!text.contains(v), "{what} contains `{v}`");
    }
    assert!(
        !text.contains("last-applied-configuration"),
        "{what} names a Secret annotation"
    );
}

/// `rbacscan <command> -f cluster [-f secrets] -o json <extra>`.
fn report(command: &str, with_secrets: bool, extra: &[&str]) -> Value {
    let cluster = fixture("pods-cluster.yaml");
    let secrets = fixture("pods-secrets.yaml");
    let mut args = vec![command, "-f", &cluster, "-o", "json"];
    if with_secrets {
        args.extend(["-f", &secrets]);
    }
    args.extend_from_slice(extra);
    let r = run(&args);
    assert!(r.code == Some(0) || r.code == Some(1), "{}", r.stderr);
    assert_no_secret_value(&r.stdout, "the JSON report");
    r.json()
}

fn pod<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["pods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no pod {name} in the report"))
}

/// The `hot-pod` finding of a pod.
fn hot_pod<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "hot-pod" && f["pod"]["name"] == name)
        .unwrap_or_else(|| panic!("no hot-pod finding for {name}"))
}

/// `namespace/name` of the `serviceAccount` of a token.
fn sa_of(token: &Value) -> String {
    let sa = &token["serviceAccount"];
    assert_eq!(sa["kind"], "ServiceAccount", "{token}");
    format!(
        "{}/{}",
        sa["namespace"].as_str().unwrap(),
        sa["name"].as_str().unwrap()
    )
}

/// (ServiceAccount, source, containers, apiAccess) of each token of a pod.
fn tokens(pod: &Value) -> Vec<(String, String, Vec<String>, bool)> {
    // A pod with no token of its own has no `tokens` field.
    pod["tokens"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|t| {
            (
                sa_of(t),
                t["source"].as_str().unwrap().to_string(),
                t["containers"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c["name"].as_str().unwrap().to_string())
                    .collect(),
                t["apiAccess"].as_bool().unwrap(),
            )
        })
        .collect()
}

fn tok(
    sa: &str,
    source: &str,
    containers: &[&str],
    api: bool,
) -> (String, String, Vec<String>, bool) {
    (
        sa.into(),
        source.into(),
        containers.iter().map(|c| c.to_string()).collect(),
        api,
    )
}

fn names(report: &Value, key: &str) -> Vec<String> {
    report[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn automount_pod_setting_wins_over_the_service_account_and_defaults_to_on() {
    let r = report("scan", true, &[]);
    let automount = |name: &str| pod(&r, name)["automount"].clone();
    // Manifests (never through admission): resolved from the settings.
    assert_eq!(
        automount("pod-true-sa-false"),
        json!({"enabled": true, "decidedBy": "pod", "outcome": "resolved"})
    );
    assert_eq!(
        tokens(pod(&r, "pod-true-sa-false")),
        [tok("apps/sa-off", "automount", &["init", "app"], true)]
    );
    assert_eq!(pod(&r, "pod-true-sa-false")["tokens"][0]["resolved"], true);
    assert_eq!(
        automount("pod-false-sa-true"),
        json!({"enabled": false, "decidedBy": "pod", "outcome": "disabled"})
    );
    assert!(tokens(pod(&r, "pod-false-sa-true")).is_empty());
    assert_eq!(
        automount("pod-unset-sa-false"),
        json!({"enabled": false, "decidedBy": "service-account", "outcome": "disabled"})
    );
    assert!(tokens(pod(&r, "pod-unset-sa-false")).is_empty());
    assert_eq!(
        automount("pod-unset-sa-true"),
        json!({"enabled": true, "decidedBy": "service-account", "outcome": "resolved"})
    );
    // A container with its own mount at the token path gets no token.
    assert_eq!(
        tokens(pod(&r, "pod-unset-sa-true")),
        [tok("apps/sa-on", "automount", &["app"], true)]
    );
    assert_eq!(
        automount("pod-unset-sa-unset"),
        json!({"enabled": true, "decidedBy": "default", "outcome": "resolved"})
    );
    // A stored pod without the volume: admission did not inject it.
    assert_eq!(
        automount("not-injected"),
        json!({"enabled": true, "decidedBy": "default", "outcome": "not-injected"})
    );
    assert!(tokens(pod(&r, "not-injected")).is_empty());
    assert_eq!(pod(&r, "not-injected")["hot"], false);
}

#[test]
fn a_static_pods_mirror_gets_no_token_and_keeps_only_that_annotation() {
    // The kubelet's mirror of a static pod, as the API server stores it:
    // admission never gives it a token, whatever its ServiceAccount says.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mirror.yaml");
    std::fs::write(
        &path,
        r#"apiVersion: v1
kind: Pod
metadata:
  name: etcd-node-1
  namespace: kube-system
  uid: 5a1f
  annotations:
    kubernetes.io/config.hash: 9b2c
    kubernetes.io/config.mirror: 9b2c
    example.com/note: fixture-annotation-value-never-printed
spec:
  nodeName: node-1
  containers:
  - name: etcd
    image: registry.k8s.io/etcd:3.5
status:
  phase: Running
"#,
    )
    .unwrap();
    let file = path.to_string_lossy().into_owned();
    let r = run(&["scan", "-f", &file, "-o", "json"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let report = r.json();
    let p = pod(&report, "etcd-node-1");
    assert_eq!(
        p["automount"],
        json!({"enabled": false, "decidedBy": "mirror-pod", "outcome": "disabled"})
    );
    assert!(tokens(p).is_empty());
    // A snapshot keeps the mirror annotation, and no other.
    let r = run(&["dump", "-f", &file, "-o", "json"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_no_secret_value(&r.stdout, "the dump");
    let dumped = r.json();
    assert_eq!(
        dumped["items"][0]["metadata"]["annotations"],
        json!({"kubernetes.io/config.mirror": "9b2c"})
    );
}

#[test]
fn only_containers_that_mount_the_token_read_it_init_and_ephemeral_included() {
    let r = report("scan", true, &[]);
    let p = pod(&r, "injected");
    assert_eq!(p["automount"]["outcome"], "injected");
    // `sidecar` mounts nothing; `ca-only` mounts the volume with subPath ca.crt.
    assert_eq!(
        tokens(p),
        [tok(
            "apps/admin-sa",
            "automount",
            &["init", "app", "debugger"],
            true
        )]
    );
    let kinds: Vec<&str> = p["tokens"][0]["containers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["init", "container", "ephemeral"]);
    assert_eq!(p["tokens"][0]["volume"], "kube-api-access-abcde");
}

#[test]
fn a_projected_token_exposes_the_service_account_even_with_automount_off() {
    let r = report("scan", true, &[]);
    let p = pod(&r, "projected-off");
    assert_eq!(p["automount"]["enabled"], false);
    assert_eq!(
        tokens(p),
        [
            tok("apps/admin-sa", "projected-token", &["app"], true),
            // An explicit audience: for another service, not the API server.
            tok("apps/admin-sa", "projected-token", &["app"], false),
        ]
    );
    assert_eq!(p["tokens"][1]["audience"], "vault");
    assert_eq!(p["hot"], true);
    assert_eq!(p["severity"], "CRITICAL");
}

#[test]
fn a_legacy_token_secret_exposes_its_own_service_account() {
    let r = report("scan", true, &[]);
    let p = pod(&r, "legacy-cross");
    assert_eq!(p["serviceAccount"]["name"], "web");
    // The secret volume and the env var of key `token`; not the env var of
    // key ca.crt (app3), nor the volume that projects ca.crt only.
    assert_eq!(
        tokens(p),
        [
            tok("apps/legacy-sa", "secret-volume", &["app"], true),
            tok("apps/legacy-sa", "secret-env", &["app2"], true),
        ]
    );
    assert_eq!(p["tokens"][0]["secret"], "legacy-sa-token");
    assert!(p.get("unclassifiedSecrets").is_none());
    assert_eq!(p["hot"], true);
    let hot = hot_pod(&r, "legacy-cross");
    assert_eq!(hot["subject"]["name"], "legacy-sa");
    assert!(
        hot["remediation"]
            .as_str()
            .unwrap()
            .contains("stop mounting legacy token secret legacy-sa-token"),
        "{hot}"
    );
}

#[test]
fn without_secrets_the_references_that_could_hold_a_token_are_unclassified() {
    let r = report("scan", false, &[]);
    let p = pod(&r, "legacy-cross");
    assert!(tokens(p).is_empty());
    assert_eq!(p["hot"], false);
    assert_eq!(
        p["unclassifiedSecrets"],
        json!([
            {"secret": "legacy-sa-token", "source": "secret-volume", "containers": [{"name": "app", "kind": "container"}]},
            {"secret": "legacy-sa-token", "source": "secret-env", "containers": [{"name": "app2", "kind": "container"}]},
            {"secret": "web-tls", "source": "secret-volume", "containers": [{"name": "app", "kind": "container"}]},
        ])
    );
    let note = r["notes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n.as_str().unwrap().contains("could not be classified"));
    assert!(note.is_some(), "{}", r["notes"]);
    assert_eq!(r["coverage"]["complete"], true);
    assert_eq!(r["counts"]["objects"]["Secret"], 0);
}

#[test]
fn a_group_binding_of_the_namespace_makes_its_pods_hot() {
    let r = report("scan", true, &[]);
    let p = pod(&r, "grp-pod");
    assert_eq!(p["hot"], true);
    let hot = hot_pod(&r, "grp-pod");
    assert_eq!(hot["evidence"][0]["viaGroup"], "system:serviceaccounts:grp");
    assert_eq!(hot["evidence"][0]["binding"]["name"], "danger-to-grp");
    assert_eq!(
        hot["scope"],
        json!({"kind": "namespaces", "namespaces": ["grp"]})
    );
}

#[test]
fn every_amplifier_is_reported_with_its_containers_and_no_value() {
    let cluster = fixture("pods-cluster.yaml");
    let r = report("scan", true, &[]);
    let p = pod(&r, "amplified");
    let got: Vec<(String, String, Vec<String>, bool)> = p["amplifiers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["code"].as_str().unwrap().to_string(),
                a["detail"].as_str().unwrap().to_string(),
                a["containers"]
                    .as_array()
                    .map(|c| {
                        c.iter()
                            .map(|c| c["name"].as_str().unwrap().to_string())
                            .collect()
                    })
                    .unwrap_or_default(),
                a["escape"].as_bool().unwrap(),
            )
        })
        .collect();
    let e = |code: &str, detail: &str, containers: &[&str], escape: bool| {
        (
            code.to_string(),
            detail.to_string(),
            containers.iter().map(|c| c.to_string()).collect::<Vec<_>>(),
            escape,
        )
    };
    assert_eq!(
        got,
        [
            e("privileged-container", "privileged: true", &["priv"], true),
            e("host-pid", "hostPID: true", &[], true),
            e(
                "sensitive-host-path",
                "volume etc-k8s: hostPath /etc/kubernetes",
                &["priv"],
                true
            ),
            e(
                "dangerous-capability",
                "capabilities.add: SYS_ADMIN",
                &["priv"],
                true
            ),
            e("host-ipc", "hostIPC: true", &[], false),
            e("host-network", "hostNetwork: true", &[], false),
            e("host-path", "volume data: hostPath /data", &["priv"], false),
            e(
                "added-capability",
                "capabilities.add: NET_BIND_SERVICE",
                &["priv"],
                false
            ),
            e(
                "allow-privilege-escalation",
                "allowPrivilegeEscalation: true",
                &["priv"],
                false
            ),
            e("runs-as-root", "runAsUser: 0", &["priv"], false),
            e(
                "writable-root-filesystem",
                "readOnlyRootFilesystem not true",
                &["priv"],
                false
            ),
            e(
                "secret-volume",
                "volume tls: secret web-tls",
                &["priv"],
                false
            ),
            e(
                "secret-env",
                "env PASS: secret db-creds key password",
                &["priv"],
                false
            ),
            e("secret-env", "envFrom: secret db-creds", &["priv"], false),
        ]
    );
    // Not hot: its token is off and its ServiceAccount harmless.
    assert_eq!(p["hot"], false);
    // `--privileged` lists the pods with an escape amplifier, hot or not.
    let privileged = report("pods", true, &["--privileged"]);
    assert_eq!(
        names(&privileged, "pods"),
        ["amplified", "kubelet-reader", "uses-default"]
    );
    // The table names amplifiers, never values.
    let t = run(&[
        "pods",
        "-f",
        &cluster,
        "-f",
        &fixture("pods-secrets.yaml"),
        "--privileged",
    ]);
    assert!(
        t.stdout.contains("!privileged-container: privileged: true"),
        "{}",
        t.stdout
    );
    assert_no_secret_value(&t.stdout, "the pods table");
}

#[test]
fn an_escape_amplifier_raises_a_hot_pod_one_level() {
    // Without Secrets, the default ServiceAccount's secret reads in `apps`
    // are HIGH (see the next test for what they are worth with them).
    let r = report("scan", false, &[]);
    let p = pod(&r, "uses-default");
    assert_eq!(p["serviceAccount"]["name"], "default");
    assert_eq!(
        (p["tokenSeverity"].as_str(), p["severity"].as_str()),
        (Some("HIGH"), Some("CRITICAL"))
    );
}

#[test]
fn reading_a_namespaces_secrets_is_worth_its_legacy_tokens() {
    // `default` may read every secret in `apps`, where legacy-sa-token holds
    // the token of legacy-sa, which reads every secret in the cluster.
    let r = report("scan", true, &[]);
    let f = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["code"] == "risky-subject"
                && f["rule"] == "secrets-read"
                && f["subject"]["name"] == "default"
        })
        .unwrap();
    assert_eq!(f["severity"], "CRITICAL", "{f}");
    assert_eq!(f["scope"]["namespaces"], serde_json::json!(["apps"]));
    assert_eq!(
        f["ratedBy"],
        serde_json::json!([{"kind": "Secret", "namespace": "apps", "name": "legacy-sa-token", "severity": "CRITICAL", "found": true}])
    );
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .ends_with("rated by what it reaches: Secret apps/legacy-sa-token (CRITICAL)"),
        "{f}"
    );
    assert_eq!(pod(&r, "uses-default")["tokenSeverity"], "CRITICAL");
    // Two token secrets there are equally risky: the choice must not depend
    // on hashing, which differs from run to run.
    for _ in 0..3 {
        assert_eq!(report("scan", true, &[]), r);
    }
}

#[test]
fn the_threshold_decides_which_pods_are_hot() {
    let high = report("pods", true, &[]);
    assert!(!names(&high, "pods").contains(&"medium-pod".to_string()));
    assert_eq!(high["filters"]["hotThreshold"], "HIGH");
    let medium = report("pods", true, &["--min-severity", "MEDIUM"]);
    assert!(names(&medium, "pods").contains(&"medium-pod".to_string()));
    assert_eq!(pod(&medium, "medium-pod")["hot"], true);
    let scan = report("scan", true, &[]);
    assert_eq!(pod(&scan, "medium-pod")["hot"], false);
    assert_eq!(pod(&scan, "medium-pod")["tokenSeverity"], "MEDIUM");
}

#[test]
fn a_node_yields_every_token_of_its_pods_and_daemonsets_are_everywhere() {
    let r = report("scan", true, &[]);
    let nodes = &r["nodes"];
    let held = |node: &Value| -> Vec<String> {
        node["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .map(sa_of)
            .collect()
    };
    let node = |name: &str| {
        nodes["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["node"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(
        held(&node("n2")),
        ["apps/admin-sa", "apps/ds-agent", "apps/legacy-sa"]
    );
    assert_eq!(
        held(&node("n1")),
        [
            "apps/admin-sa",
            "apps/default",
            "apps/ds-agent",
            "grp/worker",
            "apps/medium-sa"
        ]
    );
    assert_eq!(node("n1")["severity"], "CRITICAL");
    let unscheduled = &nodes["unscheduled"];
    assert!(held(unscheduled).contains(&"apps/cloud".to_string()));
    let everywhere: Vec<(String, Value)> = nodes["onEveryNode"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["serviceAccount"]["name"].as_str().unwrap().to_string(),
                e["owners"].clone(),
            )
        })
        .collect();
    assert_eq!(
        everywhere,
        [
            ("admin-sa".to_string(), json!([])),
            ("ds-agent".to_string(), json!(["DaemonSet agent"]))
        ]
    );
    // A hostPath to /var/lib/kubelet reads every token on its node: the
    // pod's entry points to the node's (the three tokens of n2 above)
    // instead of repeating them.
    let reader = pod(&r, "kubelet-reader");
    assert_eq!(tokens(reader), []);
    assert_eq!(
        reader["nodeTokens"],
        json!([{"volume": "kubelet", "containers": [{"kind": "container", "name": "c"}], "tokens": 3}])
    );
    assert_eq!(reader["hot"], true);
    // --node filters the pod view.
    let n2 = report("pods", true, &["--node", "n2"]);
    assert_eq!(
        names(&n2, "pods"),
        [
            "agent-n2",
            "kubelet-reader",
            "legacy-cross",
            "projected-off"
        ]
    );
    let pending = report("pods", true, &["--node", "-"]);
    assert!(names(&pending, "pods").contains(&"pending".to_string()));
    assert_eq!(
        pod(&pending, "pending")["tokens"][0]["cloudIdentities"],
        json!([{"provider": "aws", "annotation": "eks.amazonaws.com/role-arn", "identity": "arn:aws:iam::111122223333:role/cloud"}])
    );
    let grp = report("pods", true, &["-n", "grp"]);
    assert_eq!(names(&grp, "pods"), ["grp-pod"]);
}

#[test]
fn the_default_service_account_and_unused_risky_ones_are_called_out() {
    let find = |r: &Value, code: &str, name: &str| -> Value {
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["code"] == code && f["subject"]["name"] == name)
            .cloned()
            .unwrap_or(Value::Null)
    };
    let r = report("scan", true, &[]);
    let default = find(&r, "risky-default-service-account", "default");
    // It can read legacy-sa's token secret (see above).
    assert_eq!(default["severity"], "CRITICAL");
    assert!(
        default["message"]
            .as_str()
            .unwrap()
            .contains("(1 pod use it now)"),
        "{default}"
    );
    // A legacy token secret keeps an unused ServiceAccount's token alive.
    let unused = find(&r, "unused-risky-service-account", "unused");
    assert_eq!(unused["severity"], "CRITICAL");
    assert!(
        unused["message"]
            .as_str()
            .unwrap()
            .contains("legacy token secret unused-token")
    );
    assert_eq!(
        find(&r, "unused-risky-service-account", "admin-sa"),
        Value::Null
    );
    assert_eq!(
        find(&r, "unused-risky-service-account", "legacy-sa"),
        Value::Null
    );
    // Without Secrets: less urgent, and legacy-sa looks unused but says why it may not be.
    let r = report("scan", false, &[]);
    assert_eq!(
        find(&r, "unused-risky-service-account", "unused")["severity"],
        "HIGH"
    );
    let legacy = find(&r, "unused-risky-service-account", "legacy-sa");
    assert!(
        legacy["message"]
            .as_str()
            .unwrap()
            .contains("could not be classified"),
        "{legacy}"
    );
}

#[test]
fn no_secret_value_or_annotation_reaches_any_output() {
    let dir = tempfile::tempdir().unwrap();
    let snapshot = dir.path().join("snap.json");
    let snapshot = snapshot.to_str().unwrap();
    let cluster = fixture("pods-cluster.yaml");
    let secrets = fixture("pods-secrets.yaml");
    for args in [
        vec![
            "scan",
            "-f",
            &cluster,
            "-f",
            &secrets,
            "--min-severity",
            "LOW",
        ],
        vec![
            "scan",
            "-f",
            &cluster,
            "-f",
            &secrets,
            "-o",
            "json",
            "--save-snapshot",
            snapshot,
        ],
        vec![
            "pods",
            "-f",
            &cluster,
            "-f",
            &secrets,
            "--min-severity",
            "LOW",
        ],
        vec!["dump", "-f", &cluster, "-f", &secrets],
    ] {
        let r = run(&args);
        assert_no_secret_value(&r.stdout, &format!("stdout of {args:?}"));
        assert_no_secret_value(&r.stderr, &format!("stderr of {args:?}"));
    }
    let saved = std::fs::read_to_string(snapshot).unwrap();
    assert_no_secret_value(&saved, "the saved snapshot");
    assert!(saved.contains(r#""kubernetes.io/service-account.name":"legacy-sa""#));
    // The snapshot scans back to the same pods.
    let back = run(&["scan", "-f", snapshot, "-o", "json"]);
    assert_eq!(back.json()["pods"], report("scan", true, &[])["pods"]);
}

#[test]
fn the_real_servers_pods_are_read_as_stored() {
    let shop = real_fixture("shop-pods-and-serviceaccounts.yaml");
    let r = run(&["scan", "-f", &shop, "-o", "json"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let r = r.json();
    let checkout = pod(&r, "checkout-7d9f");
    assert_eq!(checkout["automount"]["outcome"], "injected");
    assert_eq!(
        tokens(checkout),
        [tok("shop/checkout", "automount", &["app"], true)]
    );
    // The tls secret volume could be a token secret; the password env var cannot.
    assert_eq!(
        checkout["unclassifiedSecrets"],
        json!([{"secret": "checkout-tls", "source": "secret-volume", "containers": [{"name": "app", "kind": "container"}]}])
    );
    let worker = pod(&r, "batch-worker");
    assert_eq!(
        worker["automount"],
        json!({"enabled": false, "decidedBy": "pod", "outcome": "disabled"})
    );
    assert!(tokens(worker).is_empty());
    let codes: Vec<&str> = worker["amplifiers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["code"].as_str().unwrap())
        .collect();
    assert!(
        codes.starts_with(&["privileged-container", "sensitive-host-path"]),
        "{codes:?}"
    );
    assert!(codes.contains(&"host-network"), "{codes:?}");
}

/// The pods fixture as the test server serves it, with the whole Secrets of
/// `pods-secrets.yaml` and the real server's metadata-only list items.
fn pods_server() -> TestServer {
    let mut l = Loader::new();
    l.add_path(&fixture("pods-cluster.yaml")).unwrap();
    let snapshot = l.finish().unwrap().snapshot;
    let text = std::fs::read_to_string(fixture("pods-secrets.yaml")).unwrap();
    let list: Value = serde_saphyr::from_str(&text).unwrap();
    let mut secrets: Vec<Value> = list["items"].as_array().unwrap().clone();
    let real: Value = serde_json::from_str(
        &std::fs::read_to_string(real_fixture("secrets-metadata-only-list.json")).unwrap(),
    )
    .unwrap();
    secrets.extend(real["items"].as_array().unwrap().iter().cloned());
    TestServer::serving(snapshot).secrets(secrets).start()
}

#[test]
fn live_secret_metadata_is_asked_for_as_metadata_only_and_classifies_like_offline() {
    let server = pods_server();
    let kc = Kubeconfig::for_server(&server);
    let saved = kc.file("saved.json");
    let live = run(&[
        "scan",
        "--kubeconfig",
        kc.arg(),
        "--secret-metadata",
        "--chunk-size",
        "2",
        "-o",
        "json",
        "--save-snapshot",
        &saved,
    ]);
    assert_eq!(live.code, Some(0), "{}", live.stderr);
    assert_no_secret_value(&live.stdout, "the live report");
    assert_no_secret_value(&live.stderr, "stderr");
    let saved_text = std::fs::read_to_string(&saved).unwrap();
    assert_no_secret_value(&saved_text, "the saved snapshot");
    let live = live.json();
    let offline = report("scan", true, &[]);
    assert_eq!(live["pods"], offline["pods"]);
    assert_eq!(live["nodes"], offline["nodes"]);
    // Six secrets: four of the fixture, two of the real server's list.
    assert_eq!(live["counts"]["objects"]["Secret"], 6);
    let secret_requests: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.path == list_path(Kind::Secret))
        .collect();
    assert_eq!(secret_requests.len(), 3, "pages of 2");
    for r in &secret_requests {
        assert_eq!(
            r.accept,
            "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
        );
    }
}

#[test]
fn live_without_secret_metadata_never_asks_for_secrets() {
    let server = pods_server();
    let kc = Kubeconfig::for_server(&server);
    let live = run(&["scan", "--kubeconfig", kc.arg(), "-o", "json"]);
    assert_eq!(live.code, Some(0), "{}", live.stderr);
    assert!(
        server
            .requests()
            .iter()
            .all(|r| !r.path.ends_with("/secrets"))
    );
    let live = live.json();
    assert_eq!(live["pods"], report("scan", false, &[])["pods"]);
    assert_eq!(pod(&live, "legacy-cross")["hot"], false);
    assert_eq!(live["coverage"]["complete"], true);
}
