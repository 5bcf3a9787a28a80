//! Trust: input that a cluster user or a pull request controls can neither
//! blind the scanner, nor rewrite what a reader sees, nor pass for a clean
//! cluster, nor hang or crash it; and no message prints a secret value.

use std::fs;

use serde_json::Value;

use super::live::{Run, run};
use super::support::{inline, rbacscan};

fn tmpdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let p = dir.path().join(name);
    fs::write(&p, text).unwrap();
    p.to_string_lossy().into_owned()
}

/// A ClusterRole with `*/*/*` bound cluster-wide to a User named `name`.
fn admin_for(name: &str) -> String {
    let name = serde_json::to_string(name).unwrap();
    format!(
        r#"{{"apiVersion":"v1","kind":"List","items":[
{{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{{"name":"boss"}},"rules":[{{"apiGroups":["*"],"resources":["*"],"verbs":["*"]}}]}},
{{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{{"name":"b"}},"roleRef":{{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"boss"}},"subjects":[{{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":{name}}}]}}]}}"#
    )
}

fn has_control(text: &str) -> Option<char> {
    text.chars()
        .find(|c| (c.is_control() && *c != '\n') || ('\u{200B}'..='\u{202E}').contains(c))
}

// ---- fooling the reader ----------------------------------------------------

#[test]
fn control_characters_in_names_never_reach_the_terminal() {
    let dir = tmpdir();
    for name in [
        "evil\u{1b}[2K\rOK",
        "bell\u{7}and\u{9b}csi",
        "two\nrbacscan: scan OK, 0 findings",
        "admin\u{202e}nimda",
        "cluster\u{200b}-admin",
    ] {
        let file = write(&dir, "c.json", &admin_for(name));
        let r = run(&["scan", "-f", &file, "--color", "never"]);
        assert_eq!(r.code, Some(0), "{}", r.stderr);
        assert_eq!(
            has_control(&r.stdout),
            None,
            "{name:?} leaked:\n{}",
            r.stdout
        );
        assert!(
            !r.stdout.lines().any(|l| l.starts_with("rbacscan: scan OK")),
            "a forged line"
        );
        // The escaped form is shown, so the reader sees what is there.
        let escaped = rbacscan::terminal::escape(name);
        assert!(r.stdout.contains(escaped.as_ref()), "{escaped}");
        // JSON keeps the name whole.
        let j = run(&["scan", "-f", &file, "-o", "json"]).json();
        let names: Vec<&str> = j["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|f| f["subject"]["name"].as_str())
            .collect();
        assert!(names.contains(&name), "{names:?}");
    }
}

#[test]
fn a_newline_in_a_name_cannot_forge_a_second_error_line() {
    let dir = tmpdir();
    let file = write(
        &dir,
        "p.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: \"p\\nrbacscan: scan OK, 0 findings\\e[2K\"\n  namespace: n\nspec: {containers: 3}\n",
    );
    let r = run(&["scan", "-f", &file]);
    assert_eq!(r.code, Some(2));
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert_eq!(has_control(&r.stderr), None, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("p\\nrbacscan: scan OK, 0 findings\\x1b[2K"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_megabyte_name_is_cut_in_tables_and_kept_whole_in_json() {
    let dir = tmpdir();
    let name = "x".repeat(1 << 20);
    let file = write(&dir, "big.json", &admin_for(&name));
    let r = run(&["scan", "-f", &file, "--color", "never"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stdout.contains("characters)"), "the cell says it was cut");
    assert!(
        r.stdout.len() < 200_000,
        "{} bytes of table",
        r.stdout.len()
    );
    let j = run(&["scan", "-f", &file, "-o", "json"]).json();
    assert!(
        j["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["subject"]["name"] == name.as_str())
    );
}

#[test]
fn decode_errors_never_print_the_value() {
    let dir = tmpdir();
    let yaml = write(
        &dir,
        "pod.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: n}\nspec:\n  containers:\n  - name: c\n    volumeMounts:\n    - name: v\n      mountPath: 987654321123\n",
    );
    let r = run(&["scan", "-f", &yaml]);
    assert_eq!(r.code, Some(2));
    assert!(!r.stderr.contains("987654321123"), "{}", r.stderr);
    assert!(
        r.stderr.contains("pod.yaml:9:18: Pod n/p: spec.containers[0].volumeMounts[0].mountPath: invalid type: an integer, expected a string"),
        "{}",
        r.stderr
    );
    let json = write(
        &dir,
        "pod.json",
        r#"{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"p","namespace":"n","creationTimestamp":"hunter2-is-my-password"},"rules":[]}"#,
    );
    let r = run(&["scan", "-f", &json]);
    assert_eq!(r.code, Some(2));
    assert!(!r.stderr.contains("hunter2"), "{}", r.stderr);
    assert!(
        r.stderr.contains("metadata.creationTimestamp"),
        "{}",
        r.stderr
    );
    // A slim kind's field checked, and its value not printed either.
    let json = write(
        &dir,
        "sa.json",
        r#"{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"p","namespace":"n"},"automountServiceAccountToken":"hunter2-is-my-password"}"#,
    );
    let r = run(&["scan", "-f", &json]);
    assert_eq!(r.code, Some(2));
    assert!(!r.stderr.contains("hunter2"), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("ServiceAccount n/p: automountServiceAccountToken: invalid type"),
        "{}",
        r.stderr
    );
}

// ---- no data is not a clean cluster ----------------------------------------

#[test]
fn empty_inputs_and_saved_errors_are_errors_not_clean_scans() {
    let dir = tmpdir();
    let cases = [
        ("empty.yaml", ""),
        ("blank.yaml", "\n   \n"),
        ("comments.yaml", "# nothing\n---\n"),
        (
            "other.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: n}\n",
        ),
        (
            "forbidden.yaml",
            "apiVersion: v1\nkind: Status\nmetadata: {}\nstatus: Failure\nmessage: 'clusterroles is forbidden: User \"bob\" cannot list'\nreason: Forbidden\ncode: 403\n",
        ),
        (
            "kubectl-error.txt",
            "Error from server (Forbidden): pods is forbidden\n",
        ),
    ];
    for (name, text) in cases {
        let file = write(&dir, name, text);
        let r = run(&["scan", "-f", &file, "--fail-on", "critical"]);
        assert_eq!(r.code, Some(2), "{name}: {}", r.stdout);
        assert!(r.stdout.is_empty(), "{name}: no report");
        assert_eq!(r.stderr.lines().count(), 1, "{name}: {}", r.stderr);
        assert!(
            r.stderr.starts_with(&format!("rbacscan: error: {file}")),
            "{}",
            r.stderr
        );
    }
    let r = run(&["scan", "-f", "/dev/null"]);
    assert_eq!(r.code, Some(2));
    let out = rbacscan()
        .args(["scan", "-f", "-", "-o", "json"])
        .write_stdin("")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("<stdin>: no Kubernetes objects"));
}

#[test]
fn an_input_with_some_kinds_says_which_it_lacks_and_what_was_skipped() {
    // A chart's RBAC in a pull request: no pods, no ServiceAccounts.
    let dir = tmpdir();
    let file = write(
        &dir,
        "rbac.yaml",
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: rb, namespace: app}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}\nsubjects: [{kind: ServiceAccount, name: ghost}]\n",
    );
    let r = run(&["scan", "-f", &file, "-o", "json", "--fail-on", "low"]);
    // Neither an error nor a partial scan; nothing risky can be told here.
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let j = r.json();
    assert_eq!(j["coverage"]["complete"], true);
    let not_listed: Vec<&str> = j["coverage"]["notListed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap())
        .collect();
    assert!(not_listed.contains(&"ServiceAccount") && not_listed.contains(&"ClusterRole"));
    assert!(!not_listed.contains(&"RoleBinding"));
    // The missing ServiceAccount and role cannot be told from their absence.
    assert_eq!(j["counts"]["findings"], 0);
    let skipped = j["coverage"]["skipped"].as_array().unwrap();
    assert!(
        skipped
            .iter()
            .any(|s| s["kind"] == "Pod" && s["impact"].as_str().unwrap().contains("pods"))
    );
    let t = run(&["scan", "-f", &file]);
    assert!(
        t.stdout.contains("not in the input: ServiceAccount"),
        "{}",
        t.stdout
    );
}

// ---- input shapes and messages ----------------------------------------------

#[test]
fn flow_style_yaml_and_combined_json_arrays_are_read() {
    let dir = tmpdir();
    let flow = write(
        &dir,
        "flow.yaml",
        "{apiVersion: v1, kind: List, items: [{apiVersion: v1, kind: Namespace, metadata: {name: a}}]}\n",
    );
    let j = run(&["scan", "-f", &flow, "-o", "json"]).json();
    assert_eq!(j["counts"]["objects"]["Namespace"], 1);
    let array = write(
        &dir,
        "all.json",
        &format!("[{}, {}]", admin_for("alice"), admin_for("bob")),
    );
    let j = run(&["scan", "-f", &array, "-o", "json"]).json();
    assert_eq!(j["counts"]["objects"]["ClusterRoleBinding"], 1);
    assert_eq!(j["inputs"]["duplicates"], 2);
}

#[test]
fn messages_are_one_plain_line() {
    let dir = tmpdir();
    let deep = write(
        &dir,
        "deep.yaml",
        &format!("a: {}{}\n", "[".repeat(100), "]".repeat(100)),
    );
    let dup = write(&dir, "dup.yaml", "kind: Namespace\nkind: Namespace\n");
    let trailing = write(&dir, "t.json", &format!("{} and more", admin_for("a")));
    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain("kind: List\n".encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    let utf16_path = dir.path().join("ps.yaml");
    fs::write(&utf16_path, utf16).unwrap();
    let bad_utf8 = dir.path().join("latin1.yaml");
    fs::write(&bad_utf8, b"kind: Namespace\nmetadata: {name: caf\xe9}\n").unwrap();
    let expect = [
        (deep.clone(), "deep.yaml:1:", "nesting is too deep"),
        (
            dup.clone(),
            "dup.yaml:2:1: ",
            "duplicate key `kind` in a mapping",
        ),
        (
            trailing.clone(),
            "t.json:",
            "trailing data after the JSON document",
        ),
        (
            utf16_path.to_string_lossy().into_owned(),
            "ps.yaml: ",
            "UTF-16",
        ),
        (
            bad_utf8.to_string_lossy().into_owned(),
            "latin1.yaml:2:",
            "not UTF-8 text",
        ),
    ];
    for (file, at, what) in expect {
        let r = run(&["scan", "-f", &file]);
        assert_eq!(r.code, Some(2));
        assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
        assert!(
            r.stderr.contains(at) && r.stderr.contains(what),
            "{}",
            r.stderr
        );
        for debug in [
            "Depth {",
            "DuplicateKeyPolicy",
            "Options",
            "budget breached",
        ] {
            assert!(!r.stderr.contains(debug), "{}", r.stderr);
        }
    }
}

#[test]
fn argument_errors_carry_the_prefix_and_impossible_filters_are_refused() {
    for args in [
        vec!["scan", "--demo", "--bogus"],
        vec!["scan", "--demo", "-n", "Bad_NS!"],
        vec!["scan", "--demo", "--namespace="],
        vec!["pods", "--demo", "--node", "Node_A"],
    ] {
        let r = run(&args);
        assert_eq!(r.code, Some(2), "{args:?}");
        assert!(r.stderr.starts_with("rbacscan: error: "), "{}", r.stderr);
        assert!(r.stdout.is_empty());
    }
    let r = run(&["scan", "--demo", "-n", "Bad_NS!"]);
    assert!(
        r.stderr.contains("not a valid namespace name"),
        "{}",
        r.stderr
    );
    assert_eq!(run(&["--version"]).code, Some(0));
}

#[test]
fn templates_without_rules_are_refused() {
    let dir = tmpdir();
    for (name, text) in [
        (
            "t.yaml",
            "apiVersion: rbacscan.io/v1alpha1\nkind: RiskTemplate\nrules: []\n",
        ),
        ("ks.yaml", "items: []\n"),
    ] {
        let t = write(&dir, name, text);
        let r = run(&["scan", "--demo", "--template", &t]);
        assert_eq!(r.code, Some(2));
        assert!(
            r.stderr
                .contains("is empty: a template without rules would turn every risk check off"),
            "{}",
            r.stderr
        );
    }
}

// ---- directories a pull request controls --------------------------------------

#[cfg(unix)]
#[test]
fn symbolic_link_loops_are_walked_once_and_reported() {
    use std::os::unix::fs::symlink;
    let dir = tmpdir();
    fs::create_dir(dir.path().join("m")).unwrap();
    write(&dir, "m/rbac.json", &admin_for("alice"));
    symlink(".", dir.path().join("m/s1")).unwrap();
    symlink("rbac.json", dir.path().join("m/again.json")).unwrap();
    let r = run(&["scan", "-f", dir.path().to_str().unwrap(), "-o", "json"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let j = r.json();
    assert_eq!(j["inputs"]["sources"].as_array().unwrap().len(), 1);
    let skipped: Vec<(&str, &str)> = j["inputs"]["skippedPaths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["path"].as_str().unwrap(), s["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(skipped.len(), 2, "{skipped:?}");
    assert!(
        skipped
            .iter()
            .any(|(p, r)| p.ends_with("s1") && *r == "directory-already-visited")
    );
    // `again.json` sorts first, so `rbac.json` is the second link to that file.
    assert!(
        skipped
            .iter()
            .any(|(p, r)| p.ends_with("rbac.json") && *r == "file-already-read")
    );
    let t = run(&["scan", "-f", dir.path().to_str().unwrap()]);
    assert!(t.stdout.contains("passed over"), "{}", t.stdout);
}

// ---- output files -----------------------------------------------------------

#[test]
fn snapshot_and_report_are_written_both_or_neither() {
    let dir = tmpdir();
    let snapshot = write(&dir, "snap.json", "previous snapshot");
    let missing_dir = dir.path().join("no-such-dir/report.json");
    let r = run(&[
        "scan",
        "--demo",
        "--save-snapshot",
        &snapshot,
        "--output-file",
        missing_dir.to_str().unwrap(),
    ]);
    assert_eq!(r.code, Some(2));
    assert!(r.stderr.contains("cannot write the report"), "{}", r.stderr);
    assert_eq!(fs::read_to_string(&snapshot).unwrap(), "previous snapshot");
    // A snapshot that cannot be written is named as such, and no report is written.
    let report = write(&dir, "report.txt", "previous report");
    let bad_snapshot = dir.path().join("no-such-dir/snap.json");
    let r = run(&[
        "scan",
        "--demo",
        "--save-snapshot",
        bad_snapshot.to_str().unwrap(),
        "--output-file",
        &report,
    ]);
    assert_eq!(r.code, Some(2));
    assert!(
        r.stderr.contains("cannot write the snapshot"),
        "{}",
        r.stderr
    );
    assert_eq!(fs::read_to_string(&report).unwrap(), "previous report");
    // Both succeed together.
    let r = run(&[
        "scan",
        "--demo",
        "--save-snapshot",
        &snapshot,
        "--output-file",
        &report,
    ]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        fs::read_to_string(&snapshot)
            .unwrap()
            .starts_with("{\"apiVersion\"")
    );
    assert!(fs::read_to_string(&report).unwrap().starts_with("rbacscan"));
}

// ---- kubeconfig and server URLs ---------------------------------------------------

fn kubeconfig(dir: &tempfile::TempDir, text: &str) -> String {
    write(dir, "kubeconfig", text)
}

#[test]
fn server_urls_never_show_user_info() {
    let dir = tmpdir();
    let kc = kubeconfig(
        &dir,
        "apiVersion: v1\nkind: Config\ncurrent-context: c\ncontexts:\n- {name: c, context: {cluster: k, user: u}}\nclusters:\n- {name: k, cluster: {server: 'https://admin:TOPSECRET@127.0.0.1:1/'}}\nusers:\n- {name: u, user: {token: also-secret}}\n",
    );
    let r: Run = run(&["scan", "--kubeconfig", &kc, "--request-timeout", "2s"]);
    assert_eq!(r.code, Some(2));
    assert!(
        !r.stderr.contains("TOPSECRET") && !r.stderr.contains("admin:"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("https://127.0.0.1:1"), "{}", r.stderr);
}

#[test]
fn kubeconfig_errors_name_the_file_and_the_context() {
    let dir = tmpdir();
    let kc = kubeconfig(
        &dir,
        "apiVersion: v1\nkind: Config\ncurrent-context: ctx\ncontexts:\n- {name: ctx, context: {cluster: no-such-cluster, user: u}}\nusers:\n- {name: u, user: {token: t0k3n-value}}\n",
    );
    let r = run(&["scan", "--kubeconfig", &kc]);
    assert_eq!(r.code, Some(2));
    assert_eq!(
        r.stderr.trim_end(),
        format!(
            "rbacscan: error: kubeconfig {kc}: context `ctx`: its cluster `no-such-cluster` is not in the kubeconfig"
        )
    );
    let empty = kubeconfig(&dir, "");
    let r = run(&["scan", "--kubeconfig", &empty]);
    assert_eq!(r.code, Some(2));
    assert!(r.stderr.contains("defines no contexts"), "{}", r.stderr);
    assert!(!r.stderr.contains("none"), "{}", r.stderr);
    // A malformed value is located, not printed.
    let bad = kubeconfig(
        &dir,
        "apiVersion: v1\nkind: Config\nusers:\n- name: u\n  user: {token: [s3cr3t-t0ken]}\n",
    );
    let r = run(&["scan", "--kubeconfig", &bad]);
    assert_eq!(r.code, Some(2));
    assert!(!r.stderr.contains("s3cr3t"), "{}", r.stderr);
    assert!(r.stderr.contains("line 5"), "{}", r.stderr);
}

#[test]
fn json_reports_keep_names_exactly() {
    let dir = tmpdir();
    let file = write(&dir, "c.json", &admin_for("tab\there"));
    let j: Value = run(&["scan", "-f", &file, "-o", "json"]).json();
    assert!(j.to_string().contains("tab\\there"));
}

#[test]
fn yaml_merge_keys_and_service_account_user_names_cannot_hide_power() {
    // kubectl reads merge keys; a ServiceAccount authenticates as the user
    // system:serviceaccount:<ns>:<name>, so a User subject of that name is it.
    let dir = tmpdir();
    let file = write(
        &dir,
        "merge.yaml",
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: merged}\nx-defaults: &all {apiGroups: ['*'], resources: ['*'], verbs: ['*']}\nrules:\n- <<: *all\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: m}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: merged}\nsubjects: [{kind: User, apiGroup: rbac.authorization.k8s.io, name: 'system:serviceaccount:kube-system:sneaky'}]\n",
    );
    let j = run(&["scan", "-f", &file, "-o", "json"]).json();
    let f = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "full-wildcard" && f["code"] == "risky-subject")
        .expect("the merged rule is read");
    assert_eq!(f["subject"]["kind"], "ServiceAccount");
    assert_eq!(f["subject"]["name"], "sneaky");
    // A duplicate key is refused, as kubectl refuses it, rather than read one way.
    let dup = write(
        &dir,
        "dup.yaml",
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: d}\nrules:\n- apiGroups: ['']\n  resources: [pods]\n  verbs: [get]\n  verbs: ['*']\n",
    );
    let r = run(&["scan", "-f", &dup]);
    assert_eq!(r.code, Some(2));
    assert!(r.stderr.contains("duplicate key `verbs`"), "{}", r.stderr);
}

#[test]
fn names_cannot_break_out_of_answers_or_graph_exports() {
    let dir = tmpdir();
    for name in [
        "evil\u{1b}[2K\rOK",
        "quote\"]; n99 [label=\"forged",
        "pipe|\"]) --> n0\nflowchart",
        "two\nrbacscan: 0 subjects allowed",
    ] {
        let file = write(&dir, "c.json", &admin_for(name));
        let subject = format!("user:{name}");
        for args in [
            vec!["who-can", "delete", "nodes"],
            vec!["access", subject.as_str()],
            vec!["paths"],
        ] {
            for format in ["table", "dot", "mermaid"] {
                let mut a = args.clone();
                a.extend(["-f", &file, "-o", format]);
                let r = run(&a);
                assert_eq!(r.code, Some(0), "{a:?}: {}", r.stderr);
                assert_eq!(has_control(&r.stdout), None, "{a:?} leaked:\n{}", r.stdout);
                assert!(
                    !r.stdout.lines().any(|l| l.starts_with("rbacscan:")),
                    "{a:?}: a forged line"
                );
                if format == "dot" {
                    // Every line is a statement the writer made.
                    assert!(
                        r.stdout
                            .lines()
                            .all(|l| l == "}" || l.starts_with("digraph") || l.starts_with("  ")),
                        "{}",
                        r.stdout
                    );
                    assert!(
                        !r.stdout.lines().any(|l| l.trim_start().starts_with("n99")),
                        "{}",
                        r.stdout
                    );
                }
                if format == "mermaid" {
                    assert!(
                        r.stdout.lines().skip(1).all(|l| l.starts_with("  n")),
                        "{}",
                        r.stdout
                    );
                }
            }
            let mut a = args.clone();
            a.extend(["-f", &file, "-o", "json"]);
            let j: Value = run(&a).json();
            let quoted = serde_json::to_string(name).unwrap();
            assert!(
                j.to_string().contains(&quoted[1..quoted.len() - 1]),
                "JSON keeps the name whole"
            );
        }
    }
}

#[test]
fn names_that_look_like_yaml_stay_names_in_a_yaml_report() {
    // A name that would end the scalar, start a comment, a list, a mapping
    // or a new document, or carry escape sequences, if written unquoted.
    let dir = tmpdir();
    for name in [
        "eve\n---\nkind: Secret",
        "eve: root # admin",
        "- {admin: true}",
        "\u{1b}[2Kok",
        "'quoted\" both",
        "yes",
        "0x10",
    ] {
        let file = write(&dir, "y.json", &admin_for(name));
        let json = run(&["scan", "-f", &file, "-o", "json"]).json();
        let yaml = run(&["scan", "-f", &file, "-o", "yaml"]);
        assert_eq!(yaml.code, Some(0), "{}", yaml.stderr);
        assert_eq!(has_control(&yaml.stdout), None, "{name:?}");
        let back: Value = inline(serde_saphyr::from_str(&yaml.stdout).unwrap());
        assert_eq!(back, json, "{name:?}");
        assert!(
            (back["findings"].as_array().unwrap().iter()).any(|f| f["subject"]["name"] == name),
            "{name:?}"
        );
    }
}

#[test]
fn names_that_look_like_markup_stay_text_in_a_markdown_report() {
    let dir = tmpdir();
    for name in [
        "<img src=x onerror=alert(1)>",
        "[click](javascript:alert(1))",
        "a|b|c",
        "`code` **bold**",
        "eve\n| injected | row |",
    ] {
        let file = write(&dir, "m.json", &admin_for(name));
        let r = run(&["scan", "-f", &file, "-o", "markdown"]);
        assert_eq!(r.code, Some(0), "{}", r.stderr);
        assert_eq!(has_control(&r.stdout), None);
        for raw in ["<img", "](javascript", "| injected |", "**bold**"] {
            assert!(!r.stdout.contains(raw), "{raw} in\n{}", r.stdout);
        }
        // Every row of the problems table still has its five cells.
        for row in r.stdout.lines().filter(|l| l.starts_with("| CRITICAL")) {
            let cells = row.replace("\\|", "").matches('|').count();
            assert_eq!(cells, 6, "{row}");
        }
    }
}
