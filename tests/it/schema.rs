//! The report's JSON Schema: the checked-in copy is what the types generate,
//! and reports of every shape validate against it, strictly (no field the
//! schema does not describe).

use std::fs;

use serde_json::Value;

use super::cluster;
use super::support::{demo_path, rbacscan, real_fixture};

pub(super) fn generated(args: &[&str]) -> String {
    let out = rbacscan().arg("schema").args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_checked_in_schemas_are_the_ones_the_types_generate() {
    for (file, args) in [
        ("report.schema.json", &[][..]),
        ("fleet.schema.json", &["--fleet"][..]),
        ("unused.schema.json", &["--unused"][..]),
    ] {
        let path = format!("{}/schema/{file}", env!("CARGO_MANIFEST_DIR"));
        let checked_in = fs::read_to_string(&path).unwrap();
        assert!(
            checked_in == generated(args),
            "schema/{file} is stale: run `cargo run -- schema {} > schema/{file}`",
            args.join(" ")
        );
    }
}

/// A strict validator of fleet reports (see [`strict`]).
pub(super) fn fleet_validator() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(&generated(&["--fleet"])).unwrap();
    assert_eq!(schema["properties"]["kind"]["const"], "fleet");
    jsonschema::draft202012::new(&strict(schema)).expect("the fleet schema compiles")
}

/// The schema with every object closed (`additionalProperties: false`), so
/// that a field a report writes but the schema does not describe fails.
pub(super) fn strict(mut schema: Value) -> Value {
    fn close(v: &mut Value) {
        match v {
            Value::Object(m) => {
                if m.contains_key("properties") && !m.contains_key("additionalProperties") {
                    m.insert("additionalProperties".into(), Value::Bool(false));
                }
                m.values_mut().for_each(close);
            }
            Value::Array(a) => a.iter_mut().for_each(close),
            _ => {}
        }
    }
    close(&mut schema);
    schema
}

pub(super) fn validate(validator: &jsonschema::Validator, report: &Value, what: &str) {
    let errors: Vec<String> = validator
        .iter_errors(report)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .take(5)
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:#?}");
}

fn json_report(args: &[&str]) -> Value {
    let out = rbacscan().args(args).args(["-o", "json"]).output().unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1 | 3)),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A pod owned by a custom kind and a mirror pod owned by its Node.
const OWNED_PODS: &str = r#"apiVersion: v1
kind: Pod
metadata:
  name: run-1-pod
  namespace: ci
  ownerReferences:
  - {apiVersion: tekton.dev/v1, kind: TaskRun, name: run-1, uid: u1, controller: true}
spec:
  serviceAccountName: default
  containers: [{name: step, image: busybox}]
---
apiVersion: v1
kind: Pod
metadata:
  name: etcd-cp-1
  namespace: kube-system
  annotations: {kubernetes.io/config.mirror: abc}
  ownerReferences:
  - {apiVersion: v1, kind: Node, name: cp-1, uid: u2, controller: true}
spec:
  nodeName: cp-1
  containers: [{name: etcd, image: etcd}]
"#;

/// A pod's owner is an object in `objects`: in the pod's namespace, but
/// for a cluster-scoped kind (a mirror pod's Node).
#[test]
fn owners_are_objects_in_their_scope() {
    let dir = tempfile::tempdir().unwrap();
    let owners = dir.path().join("owners.yaml");
    fs::write(&owners, OWNED_PODS).unwrap();
    let r = super::support::inline(json_report(&["scan", "-f", &owners.to_string_lossy()]));
    let owner = |pod: &str| {
        (r["pods"].as_array().unwrap().iter())
            .find(|p| p["name"] == pod)
            .map(|p| p["owner"].clone())
            .unwrap()
    };
    assert_eq!(
        owner("run-1-pod"),
        serde_json::json!({"kind": "TaskRun", "namespace": "ci", "name": "run-1"})
    );
    assert_eq!(
        owner("etcd-cp-1"),
        serde_json::json!({"kind": "Node", "name": "cp-1"})
    );
}

#[test]
fn reports_of_every_shape_validate_against_the_schema() {
    let schema: Value = serde_json::from_str(&generated(&[])).unwrap();
    assert_eq!(schema["properties"]["schemaVersion"]["const"], 4);
    let validator = jsonschema::draft202012::new(&strict(schema)).expect("the schema compiles");

    let dir = tempfile::tempdir().unwrap();
    let generated_cluster = dir.path().join("cluster.json");
    fs::write(&generated_cluster, cluster::generate(300)).unwrap();
    let generated_cluster = generated_cluster.to_string_lossy().into_owned();
    let previous = dir.path().join("previous.json");
    let exceptions = dir.path().join("exceptions.yaml");
    fs::write(
        &exceptions,
        "exceptions:\n- subject: \"ServiceAccount ci/*\"\n  owner: a@example.com\n  reason: by design\n  expires: 2999-12-31\n- rule: nodes-proxy\n  owner: b@example.com\n  reason: old\n  expires: 2020-01-01\n",
    )
    .unwrap();
    // The demo minus one of its grants, as last night's report.
    let demo = fs::read_to_string(demo_path()).unwrap();
    let baseline_input = dir.path().join("baseline-input.yaml");
    fs::write(&baseline_input, demo.replace("ci/deployer", "ci/other")).unwrap();
    let out = rbacscan()
        .args(["scan", "-f"])
        .arg(&baseline_input)
        .args(["-o", "json", "--output-file"])
        .arg(&previous)
        .output()
        .unwrap();
    assert!(matches!(out.status.code(), Some(0 | 1)));
    let previous = previous.to_string_lossy().into_owned();
    let exceptions = exceptions.to_string_lossy().into_owned();
    // Owners of every scope: a custom kind (a Tekton TaskRun's pod) and
    // the Node of a mirror pod.
    let owners = dir.path().join("owners.yaml");
    fs::write(&owners, OWNED_PODS).unwrap();
    let owners = owners.to_string_lossy().into_owned();
    let shop = real_fixture("shop-pods-and-serviceaccounts.yaml");
    let default_cluster = real_fixture("default-cluster.yaml");

    let runs: Vec<Vec<&str>> = vec![
        vec!["scan", "--demo", "--include-defaults"],
        vec!["scan", "--demo", "-n", "ci", "--min-severity", "high"],
        vec!["pods", "--demo"],
        vec!["pods", "--demo", "--privileged"],
        vec!["scan", "-f", &shop],
        vec!["scan", "-f", &owners],
        vec!["scan", "-f", &default_cluster],
        vec!["scan", "-f", &generated_cluster, "--all"],
        vec!["pods", "-f", &generated_cluster, "--min-severity", "low"],
        vec![
            "scan",
            "--demo",
            "--baseline",
            &previous,
            "--exceptions",
            &exceptions,
        ],
    ];
    for args in &runs {
        let report = json_report(args);
        validate(&validator, &report, &format!("{args:?}"));
    }

    // The validation has teeth: a field the schema does not describe, a kind
    // that is not one, or a finding without its code fails it.
    let report = json_report(&["scan", "--demo"]);
    let mut extra = report.clone();
    extra["findings"][0]["undocumented"] = Value::Bool(true);
    let mut kind = report.clone();
    kind["coverage"]["read"][0] = "Robot".into();
    let mut code = report.clone();
    code["findings"][0].as_object_mut().unwrap().remove("code");
    for broken in [extra, kind, code] {
        assert!(!validator.is_valid(&broken));
    }
}
