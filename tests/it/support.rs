//! Shared helpers: fixture paths, running the binary, and loading snapshots
//! through the library.

use std::path::PathBuf;

use assert_cmd::Command;
use rbacscan::findings::{self, Analysis, AnalysisOptions, Finding};
use rbacscan::snapshot::Snapshot;
use rbacscan::source::files::Loader;
use rbacscan::template::Template;

/// A real API server's output in `tests/fixtures/real-apiserver-1.28/`
/// (see `tests/fixtures/README.md`); panics with a clear message when it is
/// missing, so no test passes without its data.
pub fn real_fixture(name: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/real-apiserver-1.28")
        .join(name);
    assert!(p.is_file(), "fixture {} is missing", p.display());
    p.to_string_lossy().into_owned()
}

/// A fixture written for rbacscan's tests, in `tests/fixtures/` (see
/// `tests/fixtures/README.md`).
pub fn fixture(name: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    assert!(p.exists(), "fixture {} is missing", p.display());
    p.to_string_lossy().into_owned()
}

/// The demo cluster in `examples/`.
pub fn demo_path() -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("examples/demo-cluster.yaml")
        .to_string_lossy()
        .into_owned()
}

/// The binary, with a clean environment: no colour, fixed width, and no
/// cluster but the one a test names (no KUBECONFIG, a HOME without
/// `.kube/config`, not in a pod, no proxy).
pub fn rbacscan() -> Command {
    let mut c = Command::cargo_bin("rbacscan").expect("binary built");
    c.env_remove("NO_COLOR")
        .env("COLUMNS", "200")
        .env_remove("KUBECONFIG")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .env("HOME", "/nonexistent/rbacscan-test-home");
    c
}

/// Loads YAML text into a snapshot.
pub fn snapshot(yaml: &str) -> Snapshot {
    let mut l = Loader::new();
    l.add_text("test.yaml", yaml).expect("valid test YAML");
    l.finish().unwrap().snapshot
}

/// Analyses YAML text with the built-in template.
pub fn analyze(yaml: &str) -> Analysis {
    findings::analyze(
        &mut snapshot(yaml),
        &Template::builtin(),
        &AnalysisOptions::default(),
    )
}

/// Risky-subject findings of one subject (by its display form, e.g. `User alice`).
pub fn subject_findings<'a>(a: &'a Analysis, subject: &str) -> Vec<&'a Finding> {
    a.findings
        .iter()
        .filter(|f| f.code == findings::Code::RiskySubject)
        .filter(|f| f.subject.as_ref().is_some_and(|s| s.to_string() == subject))
        .collect()
}

/// The finding of `subject` for template rule `rule`.
pub fn subject_rule<'a>(a: &'a Analysis, subject: &str, rule: &str) -> Option<&'a Finding> {
    subject_findings(a, subject)
        .into_iter()
        .find(|f| f.rule.as_deref() == Some(rule))
}

/// A ClusterRole list item with `rules` (YAML flow text).
pub fn cluster_role(name: &str, rules: &str) -> String {
    format!(
        "- {{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {{name: {name}}}, rules: {rules}}}\n"
    )
}

/// A RoleBinding or ClusterRoleBinding list item; `subjects` is YAML flow text.
pub fn binding(
    kind: &str,
    ns: Option<&str>,
    name: &str,
    role_kind: &str,
    role: &str,
    subjects: &str,
) -> String {
    let meta = match ns {
        Some(ns) => format!("{{name: {name}, namespace: {ns}}}"),
        None => format!("{{name: {name}}}"),
    };
    format!(
        "- {{apiVersion: rbac.authorization.k8s.io/v1, kind: {kind}, metadata: {meta}, roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: {role_kind}, name: {role}}}, subjects: {subjects}}}\n"
    )
}

/// A `v1 List` of items.
pub fn list(items: &[String]) -> String {
    format!("apiVersion: v1\nkind: List\nitems:\n{}", items.concat())
}
