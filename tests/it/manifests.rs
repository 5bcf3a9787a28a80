//! Directories of manifests as a pipeline renders them (`helm template`,
//! kustomize): workload controllers at old API versions, controllers
//! without their pod template, directories that cannot be read, and a
//! rendered chart that must read cleanly.

use std::fs;
use std::path::Path;

use serde_json::{Value, json};

use super::live::run;
use super::support::fixture;

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        fs::create_dir_all(parent).unwrap();
    }
    fs::write(&p, text).unwrap();
    p.to_string_lossy().into_owned()
}

/// A ServiceAccount, so that an input is not only the objects under test.
const ACCOUNT: &str =
    "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: app\n  namespace: apps\n";

// ---- old API versions ---------------------------------------------------------

/// A Deployment at `api_version`, as an old chart writes it.
fn old_deployment(api_version: &str, name: &str) -> String {
    format!(
        "apiVersion: {api_version}
kind: Deployment
metadata:
  name: {name}
  namespace: apps
spec:
  replicas: 2
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      serviceAccountName: app
      containers:
      - name: main
        image: registry.example.com/{name}:1.0
"
    )
}

const OLD_CRONJOB: &str = "apiVersion: batch/v1beta1
kind: CronJob
metadata:
  name: nightly
  namespace: apps
spec:
  schedule: \"0 1 * * *\"
  jobTemplate:
    spec:
      template:
        spec:
          serviceAccountName: app
          restartPolicy: OnFailure
          containers:
          - name: job
            image: registry.example.com/nightly:1.0
";

#[test]
fn objects_at_old_api_versions_are_read_and_said_so_in_one_note() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "sa.yaml", ACCOUNT);
    write(
        dir.path(),
        "old.yaml",
        &[
            old_deployment("extensions/v1beta1", "api"),
            OLD_CRONJOB.to_string(),
            old_deployment("extensions/v1beta1", "web"),
            old_deployment("apps/v1", "current"),
        ]
        .join("---\n"),
    );
    let path = dir.path().to_str().unwrap();
    let r = run(&["scan", "-f", path, "-o", "json"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(
        r.stderr,
        "rbacscan: note: read 3 objects at old API versions (Deployment extensions/v1beta1: 2, CronJob batch/v1beta1: 1): their fields are read as the current version's\n"
    );
    let report = r.json();
    assert_eq!(report["counts"]["objects"]["Deployment"], 3);
    assert_eq!(report["counts"]["objects"]["CronJob"], 1);
    assert_eq!(
        report["inputs"]["oldApiVersions"],
        json!([
            {"kind": "Deployment", "apiVersion": "extensions/v1beta1", "objects": 2},
            {"kind": "CronJob", "apiVersion": "batch/v1beta1", "objects": 1},
        ])
    );
    // --quiet: nothing but errors.
    let q = run(&["scan", "-f", path, "-o", "json", "-q"]);
    assert_eq!((q.code, q.stderr.as_str()), (Some(0), ""));
    // A snapshot of them holds them at their current versions, read back
    // without a note.
    let dumped = dir.path().join("snapshot").join("dump.json");
    fs::create_dir(dumped.parent().unwrap()).unwrap();
    let dumped = dumped.to_str().unwrap();
    let d = run(&["dump", "-f", path, "--output-file", dumped]);
    assert_eq!(d.code, Some(0), "{}", d.stderr);
    assert!(d.stderr.contains("note: read 3 objects"), "{}", d.stderr);
    let dump: Value = serde_json::from_str(&fs::read_to_string(dumped).unwrap()).unwrap();
    let versions: Vec<(&str, &str)> = (dump["items"].as_array().unwrap().iter())
        .map(|i| {
            (
                i["kind"].as_str().unwrap(),
                i["apiVersion"].as_str().unwrap(),
            )
        })
        .filter(|(k, _)| *k != "ServiceAccount")
        .collect();
    assert_eq!(
        versions,
        [
            ("Deployment", "apps/v1"),
            ("Deployment", "apps/v1"),
            ("Deployment", "apps/v1"),
            ("CronJob", "batch/v1")
        ]
    );
    let again = run(&["scan", "-f", dumped, "-o", "json"]);
    assert_eq!((again.code, again.stderr.as_str()), (Some(0), ""));
    assert!(again.json()["inputs"].get("oldApiVersions").is_none());
}

// ---- controllers without their template ---------------------------------------

#[test]
fn a_controller_without_its_pod_template_is_one_error_line_naming_file_line_object_and_field() {
    let cases = [
        (
            "deployment.yaml",
            "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: apps
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
",
            "deployment.yaml:7:3: Deployment apps/web: spec: missing field `template`",
        ),
        (
            "template.yaml",
            "apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
  namespace: apps
spec:
  serviceName: db
  template:
    metadata:
      labels: {app: db}
",
            "template.yaml:9:5: StatefulSet apps/db: spec.template: missing field `spec`",
        ),
        (
            "cronjob.yaml",
            "apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly
  namespace: apps
spec:
  schedule: \"0 1 * * *\"
",
            "cronjob.yaml:7:3: CronJob apps/nightly: spec: missing field `jobTemplate`",
        ),
        (
            "list.json",
            "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [
{\"apiVersion\": \"batch/v1\", \"kind\": \"CronJob\", \"metadata\": {\"name\": \"n\", \"namespace\": \"apps\"},
 \"spec\": {\"schedule\": \"* * * * *\"}}]}",
            "list.json:3:34: CronJob apps/n: spec: missing field `jobTemplate`",
        ),
    ];
    for (name, text, said) in cases {
        let dir = tempfile::tempdir().unwrap();
        // A valid file first: the bad one stops the scan all the same.
        write(dir.path(), "a-account.yaml", ACCOUNT);
        write(dir.path(), name, text);
        let out = dir.path().join("report.json");
        let r = run(&[
            "scan",
            "-f",
            dir.path().to_str().unwrap(),
            "-o",
            "json",
            "--output-file",
            out.to_str().unwrap(),
        ]);
        assert_eq!(r.code, Some(2), "{name}: {}", r.stderr);
        assert_eq!(r.stdout, "", "{name}");
        assert_eq!(
            r.stderr,
            format!("rbacscan: error: {}/{said}\n", dir.path().to_str().unwrap()),
            "{name}"
        );
        assert!(!out.exists(), "{name}: a report was written");
    }
}

// ---- directories that cannot be read ------------------------------------------

/// Gives a directory its permissions back when dropped, so that the
/// temporary directory holding it can be removed whatever the test did.
#[cfg(unix)]
struct Locked(std::path::PathBuf);

#[cfg(unix)]
impl Locked {
    /// Takes every permission from `dir`.
    fn lock(dir: &Path) -> Locked {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o000)).unwrap();
        Locked(dir.to_path_buf())
    }
}

#[cfg(unix)]
impl Drop for Locked {
    fn drop(&mut self) {
        use std::os::unix::fs::PermissionsExt;
        let _ = fs::set_permissions(&self.0, fs::Permissions::from_mode(0o755));
    }
}

#[cfg(unix)]
#[test]
fn an_unreadable_subdirectory_is_named_itself_not_its_parent() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.yaml", ACCOUNT);
    write(dir.path(), "team/ok.yaml", ACCOUNT);
    write(dir.path(), "team/locked/b.yaml", ACCOUNT);
    let locked_dir = dir.path().join("team/locked");
    let _locked = Locked::lock(&locked_dir);
    if fs::read_dir(&locked_dir).is_ok() {
        // Root reads any directory: nothing to test.
        eprintln!("skipped: this user can read a directory of mode 000 (root?)");
        return;
    }
    let r = run(&["scan", "-f", dir.path().to_str().unwrap()]);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert_eq!(r.stdout, "");
    assert_eq!(
        r.stderr,
        format!(
            "rbacscan: error: {}: cannot read: Permission denied (os error 13)\n",
            locked_dir.display()
        )
    );
}

// ---- a rendered chart ------------------------------------------------------------

#[test]
fn a_rendered_helm_chart_reads_cleanly() {
    let chart = fixture("rendered-chart/");
    let r = run(&["scan", "-f", &chart, "-o", "json", "--fail-on", "high"]);
    // Findings (cluster-admin is bound), not a broken input.
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    // No warning or note: every document read.
    assert_eq!(r.stderr, "");
    let report = r.json();
    let inputs = &report["inputs"];
    assert_eq!(
        inputs["sources"],
        json!([format!("{}all.yaml", chart)]),
        "{inputs}"
    );
    assert_eq!(
        inputs["skipped"],
        json!({"ConfigMap (v1)": 1, "Service (v1)": 1})
    );
    assert_eq!(inputs["duplicates"], 0);
    assert!(inputs.get("oldApiVersions").is_none(), "{inputs}");
    assert!(inputs.get("skippedPaths").is_none(), "{inputs}");
    // Every object of a kind rbacscan reads, the List's included.
    let objects = &report["counts"]["objects"];
    for (kind, n) in [
        ("ClusterRole", 2),
        ("ClusterRoleBinding", 3),
        ("Role", 1),
        ("RoleBinding", 1),
        ("ServiceAccount", 6),
        ("Deployment", 4),
        ("DaemonSet", 1),
        ("Job", 1),
        ("CronJob", 1),
        ("Pod", 0),
    ] {
        assert_eq!(objects[kind], n, "{kind}: {objects}");
    }
    assert_eq!(report["coverage"]["complete"], true);
}
