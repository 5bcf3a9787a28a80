//! `--baseline` and `--fail-on-new`: findings marked new or unchanged
//! against a previous report, fingerprints that survive reordering and
//! unrelated changes, and baselines that are refused in one line.

use std::fs;

use serde_json::{Value, json};

use super::support::{inline, rbacscan};

/// The demo as a JSON List, to change.
fn demo_list() -> Value {
    let out = rbacscan().args(["dump", "--demo", "-q"]).output().unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

struct Dir(tempfile::TempDir);

impl Dir {
    fn new() -> Dir {
        Dir(tempfile::tempdir().unwrap())
    }

    fn write(&self, name: &str, value: &Value) -> String {
        let path = self.0.path().join(name);
        fs::write(&path, value.to_string()).unwrap();
        path.to_string_lossy().into_owned()
    }

    fn path(&self, name: &str) -> String {
        self.0.path().join(name).to_string_lossy().into_owned()
    }
}

/// A scan of `input` against `baseline`, with extra arguments: its exit
/// code and JSON report.
fn compare(input: &str, baseline: &str, extra: &[&str]) -> (Option<i32>, Value) {
    let out = rbacscan()
        .args([
            "scan",
            "-q",
            "-o",
            "json",
            "-f",
            input,
            "--baseline",
            baseline,
        ])
        .args(extra)
        .output()
        .unwrap();
    let report = serde_json::from_slice(&out.stdout).map_or(Value::Null, inline);
    (out.status.code(), report)
}

#[test]
fn reordered_input_and_unrelated_objects_change_nothing() {
    let dir = Dir::new();
    let list = demo_list();
    let original = dir.write("demo.json", &list);
    let baseline = dir.path("baseline.json");
    rbacscan()
        .args([
            "scan",
            "-q",
            "-o",
            "json",
            "-f",
            &original,
            "--output-file",
            &baseline,
        ])
        .assert()
        .code(0);
    // The same objects in reverse order, plus a harmless Role and binding
    // in a namespace of their own, and a label changed on a risky role.
    let mut changed = list.clone();
    let items = changed["items"].as_array_mut().unwrap();
    items.reverse();
    items.push(
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
        "metadata": {"name": "reader", "namespace": "docs"},
        "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}]}),
    );
    items.push(
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": {"name": "reader", "namespace": "docs"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"},
        "subjects": [{"kind": "User", "name": "writer@example.com"}]}),
    );
    for item in items.iter_mut() {
        if item["metadata"]["name"] == "pod-manager" {
            item["metadata"]["labels"] = json!({"team": "platform"});
        }
    }
    let changed = dir.write("changed.json", &changed);
    let (code, r) = compare(&changed, &baseline, &["--fail-on-new", "low"]);
    assert_eq!(code, Some(0), "{}", r["baseline"]);
    let b = &r["baseline"];
    assert_eq!(b["new"], 0, "{b}");
    assert_eq!(b["resolved"], json!([]));
    assert_eq!(b["unchanged"], r["counts"]["findings"]);
    assert!((r["findings"].as_array().unwrap().iter()).all(|f| f["baseline"] == "unchanged"));
    // Still failing on everything, as --fail-on does.
    let (code, _) = compare(&changed, &baseline, &["--fail-on", "high"]);
    assert_eq!(code, Some(1));
}

#[test]
fn a_new_grant_is_new_and_fails_the_build_and_a_removed_one_is_resolved() {
    let dir = Dir::new();
    let mut list = demo_list();
    let baseline_input = dir.write("demo.json", &list);
    let baseline = dir.path("baseline.json");
    rbacscan()
        .args([
            "scan",
            "-q",
            "-o",
            "json",
            "-f",
            &baseline_input,
            "--output-file",
            &baseline,
        ])
        .assert()
        .code(0);
    let items = list["items"].as_array_mut().unwrap();
    // The prometheus ClusterRoleBinding goes; a binding of cluster-admin
    // to a new user comes.
    items.retain(|i| !(i["kind"] == "ClusterRoleBinding" && i["metadata"]["name"] == "prometheus"));
    items.push(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
        "metadata": {"name": "eve-admin"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
        "subjects": [{"kind": "User", "name": "eve@example.com"}]}));
    let now = dir.write("now.json", &list);
    let (code, r) = compare(&now, &baseline, &["--fail-on-new", "critical"]);
    assert_eq!(code, Some(1));
    let findings = r["findings"].as_array().unwrap();
    let new: Vec<&Value> = findings.iter().filter(|f| f["baseline"] == "new").collect();
    assert!(!new.is_empty());
    assert!(
        new.iter()
            .all(|f| f["subject"]["name"] == "eve@example.com"
                || f["binding"]["name"] == "eve-admin"),
        "{new:?}"
    );
    let resolved = r["baseline"]["resolved"].as_array().unwrap();
    assert!(
        resolved
            .iter()
            .any(|p| p["binding"]["name"] == "prometheus" && p["code"] == "risky-binding"),
        "{resolved:?}"
    );
    // The table says so at the top.
    let out = rbacscan()
        .args([
            "scan",
            "--color",
            "never",
            "-f",
            &now,
            "--baseline",
            &baseline,
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(&format!("since {baseline}: {} new,", new.len())),
        "{text}"
    );
    assert!(
        text.contains("new CRITICAL User eve@example.com:"),
        "{text}"
    );
    assert!(text.contains("resolved"), "{text}");
}

#[test]
fn a_baseline_that_is_not_a_current_scan_report_is_refused_in_one_line() {
    let dir = Dir::new();
    let report = dir.path("report.json");
    let old = dir.write("old.json", &json!({"schemaVersion": 1, "findings": []}));
    let answer = dir.path("paths.json");
    let out = rbacscan()
        .args(["paths", "--demo", "-o", "json"])
        .output()
        .unwrap();
    fs::write(&answer, out.stdout).unwrap();
    let broken = dir.path("broken.json");
    fs::write(
        &broken,
        "{\n  \"schemaVersion\": 4,\n  \"findings\": [\n    {\"fingerprint\": 7}\n  ]\n}\n",
    )
    .unwrap();
    for (file, says) in [
        (
            &old,
            "a report of schemaVersion 1; this rbacscan compares with reports of schemaVersion 4",
        ),
        (
            &answer,
            "an answer of `rbacscan paths`, not a report of `rbacscan scan`",
        ),
        (&broken, "broken.json:4:"),
        (&dir.path("missing.json"), "cannot read the baseline"),
    ] {
        let out = rbacscan()
            .args([
                "scan",
                "--demo",
                "-o",
                "json",
                "--output-file",
                &report,
                "--baseline",
                file,
            ])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(says), "{stderr}");
        // Nothing half-written.
        assert!(!std::path::Path::new(&report).exists());
    }
    // --fail-on-new needs a baseline.
    rbacscan()
        .args(["scan", "--demo", "--fail-on-new", "high"])
        .assert()
        .code(2);
}
