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
        .map(|f| &**f)
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

/// The tables at the end of a JSON report or fleet, as the README lists
/// them.
pub const TABLES: [&str; 6] = [
    "texts",
    "objects",
    "scopes",
    "automounts",
    "tokens",
    "amplifiers",
];

/// A JSON report (or fleet) with every position into its tables replaced
/// by the entry it names, and the tables dropped: the document as it would
/// read with each value written in place. Written from the schema's
/// description of each field, it panics on a position its table lacks, so
/// every test that reads a report through it checks the references too.
pub fn inline(mut doc: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    let tables = TABLES;
    let Some(top) = doc.as_object_mut() else {
        return doc;
    };
    let taken: Vec<Vec<Value>> = tables
        .iter()
        .map(|t| match top.remove(*t) {
            Some(Value::Array(entries)) => entries,
            Some(other) => panic!("table {t} is not a list: {other}"),
            None => Vec::new(),
        })
        .collect();
    let table = |name: &str| &taken[tables.iter().position(|t| *t == name).unwrap()];
    let at = |name: &str, v: &Value| -> Value {
        let i = v
            .as_u64()
            .unwrap_or_else(|| panic!("{name}: {v} is not a position")) as usize;
        (table(name).get(i).cloned()).unwrap_or_else(|| panic!("{name} has no entry {i}"))
    };
    let one = |v: &mut Value, key: &str, name: &str| {
        if let Some(x) = v.get_mut(key) {
            *x = at(name, x);
        }
    };
    let each = |v: &mut Value, key: &str, name: &str| {
        if let Some(Value::Array(xs)) = v.get_mut(key) {
            for x in xs {
                *x = at(name, x);
            }
        }
    };
    let token = |t: &mut Value| one(t, "serviceAccount", "objects");
    let finding = |f: &mut Value| {
        one(f, "title", "texts");
        one(f, "remediation", "texts");
        for key in ["subject", "binding", "role", "pod"] {
            one(f, key, "objects");
        }
        one(f, "scope", "scopes");
        if let Some(Value::Array(evidence)) = f.get_mut("evidence") {
            for e in evidence {
                one(e, "binding", "objects");
                each(e, "grants", "texts");
            }
        }
    };
    let view = |p: &mut Value| {
        for key in ["serviceAccount", "owner", "workload"] {
            one(p, key, "objects");
        }
        one(p, "automount", "automounts");
        each(p, "tokens", "tokens");
        each(p, "amplifiers", "amplifiers");
        if let Some(Value::Array(tokens)) = p.get_mut("tokens") {
            tokens.iter_mut().for_each(token);
        }
    };
    let node = |n: &mut Value| {
        if let Some(Value::Array(tokens)) = n.get_mut("tokens") {
            tokens.iter_mut().for_each(token);
        }
    };
    let report = |r: &mut Value| {
        let list = |r: &mut Value, key: &str| match r.get_mut(key) {
            Some(Value::Array(xs)) => std::mem::take(xs),
            _ => Vec::new(),
        };
        let put = |r: &mut Value, key: &str, xs: Vec<Value>| {
            if let Some(slot) = r.get_mut(key) {
                *slot = Value::Array(xs);
            }
        };
        let mut findings = list(r, "findings");
        findings.iter_mut().for_each(finding);
        put(r, "findings", findings);
        let mut rules = list(r, "rules");
        for rule in &mut rules {
            one(rule, "role", "objects");
        }
        put(r, "rules", rules);
        for key in ["pods", "workloads"] {
            let mut views = list(r, key);
            views.iter_mut().for_each(view);
            put(r, key, views);
        }
        if let Some(nodes) = r.get_mut("nodes") {
            if let Some(Value::Array(ns)) = nodes.get_mut("nodes") {
                ns.iter_mut().for_each(node);
            }
            if let Some(u) = nodes.get_mut("unscheduled") {
                node(u);
            }
            if let Some(Value::Array(every)) = nodes.get_mut("onEveryNode") {
                every.iter_mut().for_each(token);
            }
        }
        if let Some(Value::Array(suppressed)) = r.pointer_mut("/exceptions/suppressed") {
            for s in suppressed {
                if let Some(f) = s.get_mut("finding") {
                    finding(f);
                }
            }
        }
    };
    report(&mut doc);
    if let Some(Value::Array(clusters)) = doc.get_mut("clusters") {
        for c in clusters {
            if let Some(r) = c.get_mut("report") {
                report(r);
            }
        }
    }
    doc
}
