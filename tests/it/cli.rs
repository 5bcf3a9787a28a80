//! The binary's contract: inputs, filters, exit codes, errors, output files.

use std::fs;

use predicates::prelude::*;
use serde_json::Value;

use crate::support::{demo_path, inline, rbacscan, real_fixture};

fn json_of(args: &[&str]) -> Value {
    let out = rbacscan().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    inline(serde_json::from_slice(&out.stdout).unwrap())
}

fn tmpdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

#[test]
fn the_real_default_cluster_is_all_bootstrap_policy() {
    let fixture = real_fixture("default-cluster.yaml");
    let r = json_of(&["scan", "-o", "json", "--include-defaults", "-f", &fixture]);
    let findings = r["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    assert!(findings.iter().all(|f| f["bootstrapDefault"] == true));
    assert_eq!(r["filters"]["excludeDefaults"], false);
    assert_eq!(r["counts"]["defaultsHidden"], 0);
    // cluster-admin bound to system:masters, public-info-viewer to system:unauthenticated.
    assert!(
        findings
            .iter()
            .any(|f| f["code"] == "binding-to-system-masters")
    );
    assert!(
        findings
            .iter()
            .any(|f| f["code"] == "binding-to-unauthenticated"
                && f["binding"]["name"] == "system:public-info-viewer"
                && f["severity"] == "MEDIUM")
    );
    // By default the policy is counted, not listed; `--exclude-defaults`
    // (the old way to ask for that) still works and changes nothing.
    for args in [&[][..], &["--exclude-defaults"][..]] {
        let mut argv = vec!["scan", "-o", "json", "-f", &fixture];
        argv.extend_from_slice(args);
        let hidden = json_of(&argv);
        assert_eq!(hidden["counts"]["findings"], 0);
        assert_eq!(hidden["counts"]["filteredOut"], findings.len());
        assert_eq!(hidden["counts"]["defaultsHidden"], findings.len());
        assert_eq!(hidden["filters"]["excludeDefaults"], true);
    }
    let table = rbacscan()
        .args(["scan", "--color", "never", "-f", &fixture])
        .output()
        .unwrap();
    let text = String::from_utf8(table.stdout).unwrap();
    assert!(
        text.contains(&format!(
            "{} findings of the Kubernetes bootstrap policy alone (in every cluster) not shown and not counted for --fail-on: --include-defaults shows them",
            findings.len()
        )),
        "{text}"
    );
    assert!(!text.contains("more hidden by filters"), "{text}");
}

#[test]
fn a_pristine_cluster_passes_fail_on_high_and_the_demo_fails_it() {
    // The README's CI example: `rbacscan scan --fail-on high`.
    let fixture = real_fixture("default-cluster.yaml");
    rbacscan()
        .args(["scan", "-q", "--fail-on", "high", "-f", &fixture])
        .assert()
        .code(0);
    // Asked for, the policy's findings count.
    rbacscan()
        .args([
            "scan",
            "-q",
            "--fail-on",
            "high",
            "--include-defaults",
            "-f",
            &fixture,
        ])
        .assert()
        .code(1);
    rbacscan()
        .args(["scan", "-q", "--fail-on", "high", "--demo"])
        .assert()
        .code(1);
    // Both at once is a contradiction, refused.
    rbacscan()
        .args(["scan", "--include-defaults", "--exclude-defaults", "--demo"])
        .assert()
        .code(2);
}

#[test]
fn labelling_a_backdoor_as_bootstrap_policy_does_not_hide_it() {
    // Anyone who may create bindings can set the bootstrap label; the
    // report must still show the binding and fail the build.
    let dir = tmpdir();
    let path = dir.path().join("backdoor.yaml");
    fs::write(
        &path,
        r#"
apiVersion: v1
kind: List
items:
- {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: cluster-admin, labels: {kubernetes.io/bootstrapping: rbac-defaults}}, rules: [{apiGroups: ["*"], resources: ["*"], verbs: ["*"]}, {nonResourceURLs: ["*"], verbs: ["*"]}]}
- {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: "system:controller:backdoor", labels: {kubernetes.io/bootstrapping: rbac-defaults}}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}, subjects: [{kind: User, name: eve}]}
"#,
    )
    .unwrap();
    let out = rbacscan()
        .args([
            "scan",
            "-o",
            "json",
            "--fail-on",
            "high",
            "-f",
            path.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let r: Value = inline(serde_json::from_slice(&out.stdout).unwrap());
    let eve: Vec<&Value> = (r["findings"].as_array().unwrap().iter())
        .filter(|f| f["subject"]["name"] == "eve")
        .collect();
    assert!(!eve.is_empty());
    // (Left out when false.)
    assert!(eve.iter().all(|f| f.get("bootstrapDefault").is_none()));
    assert!(
        (r["notes"].as_array().unwrap().iter()).any(|n| n
            .as_str()
            .unwrap()
            .contains("1 binding carries the bootstrap-policy label")),
        "{}",
        r["notes"]
    );
}

#[test]
fn stdin_directories_and_several_files_are_read() {
    let demo = fs::read_to_string(demo_path()).unwrap();
    let from_stdin = rbacscan()
        .args(["scan", "-o", "json", "-f", "-"])
        .write_stdin(demo.clone())
        .output()
        .unwrap();
    let r: Value = serde_json::from_slice(&from_stdin.stdout).unwrap();
    assert_eq!(r["inputs"]["sources"][0], "<stdin>");
    assert_eq!(r["counts"]["objects"]["Pod"], 9);

    let dir = tmpdir();
    fs::create_dir(dir.path().join("sub")).unwrap();
    fs::write(dir.path().join("sub/cluster.yaml"), &demo).unwrap();
    fs::write(dir.path().join("notes.txt"), "not a manifest").unwrap();
    let r = json_of(&["scan", "-o", "json", "-f", dir.path().to_str().unwrap()]);
    assert_eq!(r["counts"]["objects"]["Pod"], 9);
    assert_eq!(r["inputs"]["sources"].as_array().unwrap().len(), 1);

    let r = json_of(&[
        "scan",
        "-o",
        "json",
        "-f",
        &real_fixture("default-cluster.yaml"),
        "-f",
        &real_fixture("shop-pods-and-serviceaccounts.yaml"),
    ]);
    assert_eq!(r["counts"]["objects"]["Pod"], 2);
    assert_eq!(r["counts"]["objects"]["ClusterRole"], 62);
}

#[test]
fn a_big_file_is_read_like_a_small_one() {
    // Files of 4 MiB and more are mapped rather than read: the same report
    // as from standard input, and errors at the same line.
    let demo = fs::read_to_string(demo_path()).unwrap();
    let padding = format!("# {}\n", "x".repeat(98)).repeat(50_000);
    let big = format!("{demo}\n{padding}");
    assert!(big.len() > 4 << 20);
    let dir = tmpdir();
    let path = dir.path().join("big.yaml");
    fs::write(&path, &big).unwrap();
    let from_stdin = rbacscan()
        .args(["scan", "-o", "json", "-f", "-"])
        .write_stdin(big.clone())
        .output()
        .unwrap();
    let mut piped: Value = inline(serde_json::from_slice(&from_stdin.stdout).unwrap());
    let mut mapped = json_of(&["scan", "-o", "json", "-f", path.to_str().unwrap()]);
    assert_eq!(mapped["counts"]["objects"]["Pod"], 9);
    for r in [&mut piped, &mut mapped] {
        r["inputs"]["sources"] = Value::Null;
    }
    assert_eq!(mapped, piped);

    let lines = big.lines().count();
    fs::write(&path, format!("{big}---\nkind: [\n")).unwrap();
    let out = rbacscan()
        .args(["scan", "-f", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    let at = format!("big.yaml:{}:7: unclosed bracket", lines + 2);
    assert!(stderr.contains(&at), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn other_kinds_are_skipped_and_counted() {
    let r = json_of(&[
        "scan",
        "-o",
        "json",
        "-f",
        &real_fixture("secrets-metadata-only-list.json"),
        "-f",
        &real_fixture("shop-pods-and-serviceaccounts.yaml"),
    ]);
    let skipped = r["inputs"]["skipped"].as_object().unwrap();
    assert!(
        skipped
            .keys()
            .any(|k| k.starts_with("PartialObjectMetadata")),
        "{skipped:?}"
    );
}

#[test]
fn no_secret_value_reaches_any_output() {
    // The fixture's last-applied-configuration annotation carries a plaintext password.
    for format in ["table", "json"] {
        rbacscan()
            .args([
                "scan",
                "-o",
                format,
                "-f",
                &real_fixture("secrets-metadata-only-list.json"),
                "-f",
                &real_fixture("shop-pods-and-serviceaccounts.yaml"),
            ])
            .assert()
            .success()
            .stdout(predicate::str::contains("not-a-real-password").not());
    }
}

#[test]
fn broken_yaml_is_one_line_naming_file_line_and_column_and_no_report() {
    let dir = tmpdir();
    let bad = dir.path().join("bad.yaml");
    fs::write(
        &bad,
        "apiVersion: v1\nkind: List\nitems:\n- kind: Role\n  metadata: {name: [x\n",
    )
    .unwrap();
    let out = rbacscan()
        .args(["scan", "-f", bad.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "no partial report");
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(&format!("rbacscan: error: {}:", bad.display())),
        "{err}"
    );
    assert!(
        err.contains(":5:") || err.contains(":6:"),
        "line number: {err}"
    );
}

#[test]
fn a_wrong_field_type_names_the_object_and_field() {
    let dir = tmpdir();
    let bad = dir.path().join("bad.yaml");
    fs::write(
        &bad,
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: rbac.authorization.k8s.io/v1\n  kind: ClusterRole\n  metadata: {name: broken}\n  rules:\n  - verbs: 7\n",
    )
    .unwrap();
    rbacscan()
        .args(["scan", "-f", bad.to_str().unwrap()])
        .assert()
        .code(2)
        .stdout("")
        .stderr(
            // The line and column of the field, not of the object.
            predicate::str::contains(
                "bad.yaml:8:12: ClusterRole broken: rules[0].verbs: invalid type: an integer",
            ),
        );
}

#[test]
fn missing_inputs_are_errors() {
    rbacscan()
        .args(["scan", "-f", "/nonexistent/dump.yaml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "/nonexistent/dump.yaml: cannot read",
        ));
    rbacscan().args(["scan"]).assert().code(2);
    let empty = tmpdir();
    rbacscan()
        .args(["scan", "-f", empty.path().to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no .yaml, .yml or .json files"));
}

#[test]
fn a_clean_cluster_is_clean() {
    // A snapshot of a cluster whose collection listed every kind and found
    // nothing risky (and nothing at all of most kinds).
    let dump = r#"{"apiVersion":"v1","kind":"List","rbacscan":{"dumpVersion":2},"items":[
{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"default"}}]}"#;
    let r = rbacscan()
        .args(["scan", "-o", "json", "-f", "-", "--fail-on", "low"])
        .write_stdin(dump)
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(v["counts"]["findings"], 0);
    assert_eq!(v["coverage"]["complete"], true);
}

#[test]
fn fail_on_sets_exit_code_one() {
    rbacscan()
        .args(["scan", "--demo", "--fail-on", "critical"])
        .assert()
        .code(1);
    rbacscan()
        .args([
            "scan",
            "--demo",
            "--fail-on",
            "critical",
            "-n",
            "dev-team",
            "--exclude-defaults",
            "--min-severity",
            "high",
        ])
        .assert()
        .code(1);
    rbacscan()
        .args([
            "scan",
            "--demo",
            "--fail-on",
            "critical",
            "--min-severity",
            "critical",
            "-n",
            "nowhere",
            "--exclude-defaults",
        ])
        .assert()
        .code(1);
    rbacscan().args(["scan", "--demo"]).assert().code(0);
}

#[test]
fn filters_by_namespace_and_severity() {
    let r = json_of(&[
        "scan",
        "--demo",
        "-o",
        "json",
        "-n",
        "dev-team",
        "--min-severity",
        "high",
    ]);
    for f in r["findings"].as_array().unwrap() {
        assert!(f["severity"] == "HIGH" || f["severity"] == "CRITICAL");
        let ok = f["scope"]["kind"] == "cluster"
            || f["scope"]["namespaces"]
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n == "dev-team");
        assert!(ok, "{f}");
    }
    assert!(r["counts"]["filteredOut"].as_u64().unwrap() > 0);
    assert_eq!(r["filters"]["namespaces"][0], "dev-team");
}

#[test]
fn output_file_is_written_atomically_and_kept_on_error() {
    let dir = tmpdir();
    let out = dir.path().join("report.json");
    rbacscan()
        .args([
            "scan",
            "--demo",
            "-o",
            "json",
            "--output-file",
            out.to_str().unwrap(),
        ])
        .assert()
        .success()
        .stdout("");
    let first = fs::read_to_string(&out).unwrap();
    let _: Value = serde_json::from_str(&first).unwrap();
    // A failing run leaves the previous report as it was, and no temporary file behind.
    rbacscan()
        .args([
            "scan",
            "-f",
            "/nonexistent.yaml",
            "-o",
            "json",
            "--output-file",
            out.to_str().unwrap(),
        ])
        .assert()
        .code(2);
    assert_eq!(fs::read_to_string(&out).unwrap(), first);
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    rbacscan()
        .args([
            "scan",
            "--demo",
            "--output-file",
            "/nonexistent-dir/report.txt",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "/nonexistent-dir/report.txt: cannot write the report",
        ));
}

#[cfg(unix)]
#[test]
fn output_files_that_are_devices_or_links_are_written_through() {
    // /dev/stdout is the test's pipe: written directly, never replaced.
    rbacscan()
        .args([
            "scan",
            "--demo",
            "-o",
            "json",
            "--output-file",
            "/dev/stdout",
        ])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("{"));
    rbacscan()
        .args(["dump", "--demo", "--output-file", "/dev/null"])
        .assert()
        .success();
    assert!(!fs::metadata("/dev/null").unwrap().is_file());
    // A symbolic link stays a link; the file it points to gets the report.
    let dir = tmpdir();
    let real = dir.path().join("real.json");
    let link = dir.path().join("link.json");
    fs::write(&real, "old").unwrap();
    std::os::unix::fs::symlink(&real, &link).unwrap();
    rbacscan()
        .args([
            "scan",
            "--demo",
            "-o",
            "json",
            "--output-file",
            link.to_str().unwrap(),
        ])
        .assert()
        .success();
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(fs::read_to_string(&real).unwrap().starts_with("{"));
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    rbacscan()
        .args(["scan", "--demo", "--color", "always"])
        .assert()
        .success()
        .stdout(predicate::str::contains("\u{1b}["));
    rbacscan()
        .args(["scan", "--demo"])
        .env("NO_COLOR", "1")
        .assert()
        .success()
        .stdout(predicate::str::contains("\u{1b}[").not());
}

#[test]
fn templates_can_be_replaced_printed_and_are_validated() {
    let dir = tmpdir();
    // The built-in template round-trips through `rbacscan template`.
    let printed = rbacscan().arg("template").output().unwrap().stdout;
    let t = dir.path().join("t.yaml");
    fs::write(&t, &printed).unwrap();
    let a = json_of(&[
        "scan",
        "--demo",
        "-o",
        "json",
        "--template",
        t.to_str().unwrap(),
    ]);
    assert_eq!(a["template"]["rules"], 38);

    let bad = String::from_utf8(printed).unwrap().replacen(
        "severity: {cluster: CRITICAL",
        "severity: {cluster: URGENT",
        1,
    );
    fs::write(&t, bad).unwrap();
    rbacscan()
        .args(["scan", "--demo", "--template", t.to_str().unwrap()])
        .assert()
        .code(2)
        .stdout("")
        .stderr(
            predicate::str::contains("rule `full-wildcard`")
                .and(predicate::str::contains("unknown severity `URGENT`")),
        );
}

#[test]
fn kubiscan_templates_are_accepted() {
    let dir = tmpdir();
    let t = dir.path().join("risky_roles.yaml");
    fs::write(
        &t,
        "items:\n- kind: Role\n  metadata:\n    namespace: default\n    name: risky-create-pod\n    priority: HIGH\n  rules:\n  - apiGroups: [\"*\"]\n    resources: [\"pods\"]\n    verbs: [\"create\"]\n",
    )
    .unwrap();
    let r = json_of(&[
        "scan",
        "--demo",
        "-o",
        "json",
        "--template",
        t.to_str().unwrap(),
    ]);
    assert_eq!(r["template"]["format"], "kubiscan");
    let f = r["findings"].as_array().unwrap();
    assert!(
        f.iter()
            .any(|f| f["rule"] == "risky-create-pod" && f["subject"]["name"] == "builder")
    );
}

#[test]
fn o_is_a_format_everywhere_and_yaml_holds_what_json_holds() {
    let json = json_of(&["scan", "--demo", "-o", "json"]);
    let out = rbacscan()
        .args(["scan", "--demo", "-o", "yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let yaml: Value = inline(serde_saphyr::from_slice(&out.stdout).unwrap());
    assert_eq!(yaml, json);
    // Answers too.
    let out = rbacscan()
        .args(["paths", "--demo", "-o", "yaml"])
        .output()
        .unwrap();
    let paths: Value = serde_saphyr::from_slice(&out.stdout).unwrap();
    assert_eq!(paths, json_of(&["paths", "--demo", "-o", "json"]));
    // dump: -o is the format; the file is --output-file, and reading either
    // form back gives the same findings.
    let dir = tmpdir();
    let file = dir.path().join("snapshot.yaml");
    let file = file.to_str().unwrap();
    rbacscan()
        .args(["dump", "--demo", "-q", "-o", "yaml", "--output-file", file])
        .assert()
        .code(0);
    assert!(
        fs::read_to_string(file)
            .unwrap()
            .starts_with("apiVersion: v1\n")
    );
    let back = json_of(&["scan", "-o", "json", "-f", file]);
    assert_eq!(back["findings"], json["findings"]);
    // The old `dump -o FILE` is refused with the formats, not written to a
    // file named after the format.
    rbacscan()
        .current_dir(dir.path())
        .args(["dump", "--demo", "-o", "out.json"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("json").and(predicate::str::contains("yaml")));
    assert!(!dir.path().join("out.json").exists());
}

#[test]
fn wide_lists_every_risk_and_no_headers_drops_the_header_rows() {
    let table = |args: &[&str]| {
        let out = rbacscan()
            .args(["scan", "--demo", "--color", "never"])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        String::from_utf8(out.stdout).unwrap()
    };
    let plain = table(&[]);
    assert!(plain.contains("+32 more"));
    assert!(plain.contains("│ SEVERITY ┆"));
    let wide = table(&["-o", "wide"]);
    assert!(!wide.contains("+32 more"), "{wide}");
    assert!(wide.contains("csr-create-and-approve"));
    let bare = table(&["--no-headers"]);
    assert!(!bare.contains("│ SEVERITY ┆"), "{bare}");
    // -A is every namespace, as in kubectl: the same report as no -n.
    assert_eq!(table(&["-A"]), plain);
    rbacscan()
        .args(["who-can", "get", "secrets", "--demo", "-A"])
        .assert()
        .code(0);
}

#[test]
fn names_the_input_does_not_hold_are_reported() {
    rbacscan()
        .args(["scan", "--demo", "-n", "nosuch"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains(
            "warning: namespace nosuch holds none of the input's objects",
        ));
    rbacscan()
        .args(["pods", "--demo", "--node", "node-c"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "node node-c not in the input: nothing could match (nodes in the input: node-a, node-b)",
        ));
    rbacscan()
        .args(["pods", "--demo", "--node", "node-c", "--node", "node-a"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains(
            "warning: node node-c runs none of the input's pods",
        ));
}

#[test]
fn version_says_what_was_built_and_what_it_reads() {
    let out = rbacscan().arg("version").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let first = text.lines().next().unwrap();
    assert!(first.starts_with(&format!("rbacscan {} (commit ", env!("CARGO_PKG_VERSION"))));
    assert!(first.contains(", built 20"), "{first}");
    assert!(text.contains("API types of v1.33"));
    assert!(text.contains("template: risky-roles.yaml (built in), 38 rules, sha256 "));
    // The policy it knows, as the embedded policy says.
    let policy: Value =
        serde_json::from_str(include_str!("../../src/rbac/bootstrap-policy.json")).unwrap();
    let server = policy["source"]
        .as_str()
        .unwrap()
        .split(" (")
        .next()
        .unwrap();
    assert!(
        text.contains(&format!("bootstrap policy known: {server}")),
        "{text}"
    );
    let short = rbacscan().arg("-V").output().unwrap();
    assert_eq!(
        String::from_utf8(short.stdout).unwrap().lines().next(),
        Some(first)
    );
}

#[cfg(unix)]
#[test]
fn a_replaced_report_keeps_its_mode_and_a_new_one_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tmpdir();
    let fresh = dir.path().join("new.json");
    let shared = dir.path().join("shared.json");
    fs::write(&shared, "old").unwrap();
    fs::set_permissions(&shared, fs::Permissions::from_mode(0o640)).unwrap();
    for path in [&fresh, &shared] {
        rbacscan()
            .args([
                "scan",
                "--demo",
                "-o",
                "json",
                "--output-file",
                path.to_str().unwrap(),
            ])
            .assert()
            .code(0);
    }
    let mode = |p: &std::path::Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&fresh), 0o600);
    assert_eq!(mode(&shared), 0o640);
    assert!(fs::read_to_string(&shared).unwrap().starts_with('{'));
}

#[test]
fn a_namespace_shows_its_own_pods_and_the_grants_that_reach_into_it() {
    let r = json_of(&["scan", "--demo", "-o", "json", "-n", "shop"]);
    let findings = r["findings"].as_array().unwrap();
    // Pods of other namespaces (their hot tokens, their routes) are not shop's.
    assert!(
        findings
            .iter()
            .filter_map(|f| f["pod"]["namespace"].as_str())
            .all(|ns| ns == "shop")
    );
    let all = json_of(&["scan", "--demo", "-o", "json"]);
    assert!(
        (all["findings"].as_array().unwrap().iter())
            .any(|f| f["code"] == "path-to-cluster-admin" && f["pod"]["namespace"] == "ci")
    );
    // Every finding kept is shop's or cluster-wide, and the summary says
    // how many of each.
    let cluster_wide = findings
        .iter()
        .filter(|f| f["pod"].is_null() && f["scope"]["kind"] == "cluster")
        .count();
    assert!(findings.iter().all(|f| {
        f["scope"]["kind"] == "cluster"
            || f["scope"]["namespaces"]
                .as_array()
                .is_some_and(|n| n.iter().any(|n| n == "shop"))
    }));
    let out = rbacscan()
        .args(["scan", "--demo", "--color", "never", "-n", "shop"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(&format!(
            "-n shop: {} findings there, and {cluster_wide} cluster-wide grants that reach into every namespace",
            findings.len() - cluster_wide
        )),
        "{text}"
    );
}

#[test]
fn the_metrics_file_counts_what_the_report_shows_and_a_partial_scan_keeps_the_last_success() {
    let dir = tmpdir();
    let metrics = dir.path().join("rbacscan.prom");
    let metrics = metrics.to_str().unwrap();
    let report = dir.path().join("report.json");
    rbacscan()
        .args([
            "scan",
            "--demo",
            "-q",
            "-o",
            "json",
            "--metrics-file",
            metrics,
        ])
        .arg("--output-file")
        .arg(&report)
        .assert()
        .code(0);
    let r: Value = serde_json::from_str(&fs::read_to_string(&report).unwrap()).unwrap();
    let text = fs::read_to_string(metrics).unwrap();
    let sample = |line: &str| -> f64 {
        text.lines()
            .find_map(|l| l.strip_prefix(line)?.strip_prefix(' '))
            .unwrap_or_else(|| panic!("no {line} in\n{text}"))
            .parse()
            .unwrap()
    };
    let c = &r["counts"];
    assert_eq!(
        sample("rbacscan_findings{severity=\"critical\"}"),
        c["bySeverity"]["CRITICAL"].as_f64().unwrap()
    );
    assert_eq!(
        sample("rbacscan_problems{severity=\"critical\"}"),
        c["problems"]["CRITICAL"].as_f64().unwrap()
    );
    assert_eq!(sample("rbacscan_hot_pods"), c["hotPods"].as_f64().unwrap());
    assert_eq!(
        sample("rbacscan_findings_by_code{code=\"risky-subject\"}"),
        c["byCode"]["risky-subject"].as_f64().unwrap()
    );
    assert_eq!(sample("rbacscan_scan_partial"), 0.0);
    assert!(sample("rbacscan_scan_duration_seconds") > 0.0);
    let success = sample("rbacscan_last_success_timestamp_seconds");
    assert!(success > 1.7e9, "{success}");
    // Every sample line is `name{labels} value` or `name value`, each
    // family with its HELP and TYPE.
    for l in text.lines().filter(|l| !l.starts_with('#')) {
        let name = l.split(['{', ' ']).next().unwrap();
        assert!(text.contains(&format!("# TYPE {name} gauge\n")), "{l}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            fs::metadata(metrics).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    // A partial scan says so and keeps the time of the last complete one.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    // (A snapshot whose header says the pods could not be listed.)
    let dump = rbacscan().args(["dump", "--demo", "-q"]).output().unwrap();
    let mut snapshot: Value = serde_json::from_slice(&dump.stdout).unwrap();
    snapshot["rbacscan"]["coverage"]["gaps"] = serde_json::json!([
        {"kind": "Pod", "reason": "forbidden", "message": "pods is forbidden"}
    ]);
    let items = snapshot["items"].as_array_mut().unwrap();
    items.retain(|i| i["kind"] != "Pod");
    let partial = dir.path().join("partial.json");
    fs::write(&partial, snapshot.to_string()).unwrap();
    rbacscan()
        .args(["scan", "-q", "--metrics-file", metrics, "-f"])
        .arg(&partial)
        .assert()
        .code(3);
    let text = fs::read_to_string(metrics).unwrap();
    assert!(text.contains("\nrbacscan_scan_partial 1\n"), "{text}");
    assert!(
        text.contains(&format!(
            "\nrbacscan_last_success_timestamp_seconds {success}\n"
        )),
        "{text}"
    );
}

#[test]
fn completions_a_man_page_and_the_kubectl_plugin_name_work() {
    for shell in ["bash", "zsh", "fish"] {
        let out = rbacscan().args(["completions", shell]).output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        let script = String::from_utf8(out.stdout).unwrap();
        assert!(
            script.contains("who-can") && script.contains("--baseline"),
            "{shell}"
        );
    }
    let man = rbacscan().arg("man").output().unwrap();
    let man = String::from_utf8(man.stdout).unwrap();
    assert!(man.contains(".TH rbacscan 1"), "{man}");
    // kubectl runs `kubectl-rbacscan` on PATH for `kubectl rbacscan`.
    #[cfg(unix)]
    {
        let dir = tmpdir();
        let plugin = dir.path().join("kubectl-rbacscan");
        std::os::unix::fs::symlink(assert_cmd::cargo::cargo_bin("rbacscan"), &plugin).unwrap();
        let out = std::process::Command::new(&plugin)
            .args(["scan", "--demo", "-q", "-o", "json"])
            .env_remove("KUBECONFIG")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        let r: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(r["schemaVersion"], 4);
    }
}

/// A validator of the official SARIF 2.1.0 schema.
pub(super) fn sarif_validator() -> jsonschema::Validator {
    // The official schema's pattern for `language` (of a run and of a tool
    // component) has a stray `]` that a strict ECMA-262 check of the
    // schema itself rejects; rbacscan writes no `language`, so that
    // pattern is mended here, and nothing else.
    let text = include_str!("../fixtures/sarif-2.1.0-rtm.5.json");
    let stray = r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#;
    assert_eq!(text.matches(stray).count(), 2);
    let schema: Value =
        serde_json::from_str(&text.replace(stray, r#""^[a-zA-Z]{2}(-[a-zA-Z]{2})?$""#)).unwrap();
    jsonschema::draft4::new(&schema).expect("the SARIF schema compiles")
}

#[test]
fn sarif_is_valid_against_the_official_schema_and_fingerprints_each_result() {
    let validator = sarif_validator();
    for args in [
        &["--demo"][..],
        &["-f", &real_fixture("shop-pods-and-serviceaccounts.yaml")][..],
    ] {
        let out = rbacscan()
            .args(["scan", "-o", "sarif", "--include-defaults"])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        let log: Value = serde_json::from_slice(&out.stdout).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&log)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .take(5)
            .collect();
        assert!(errors.is_empty(), "{errors:#?}");
        let run = &log["runs"][0];
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        let results = run["results"].as_array().unwrap();
        for r in results {
            // Each result names a rule of the driver, at its index, and has a
            // stable fingerprint.
            let i = r["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(rules[i]["id"], r["ruleId"]);
            assert_eq!(
                r["partialFingerprints"]["rbacscan/v1"]
                    .as_str()
                    .unwrap()
                    .len(),
                16
            );
            assert!(r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"].is_string());
        }
        let json = json_of(&[&["scan", "-o", "json", "--include-defaults"][..], args].concat());
        assert_eq!(results.len(), json["findings"].as_array().unwrap().len());
    }
    // A template rule's help and severity reach the driver.
    let out = rbacscan()
        .args(["scan", "--demo", "-o", "sarif"])
        .output()
        .unwrap();
    let log: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let wildcard = rules.iter().find(|r| r["id"] == "full-wildcard").unwrap();
    assert_eq!(wildcard["defaultConfiguration"]["level"], "error");
    assert_eq!(wildcard["properties"]["security-severity"], "9.5");
    assert!(
        wildcard["help"]["text"]
            .as_str()
            .unwrap()
            .contains("What to do:")
    );
}

#[test]
fn an_identity_the_input_does_not_name_is_said_so() {
    let known = json_of(&["access", "sa:ci/deployer", "--demo", "-o", "json"]);
    assert_eq!(known["inInput"], true);
    let typo = json_of(&["access", "sa:ci/deployr", "--demo", "-o", "json"]);
    assert_eq!(typo["inInput"], false);
    rbacscan()
        .args(["access", "sa:ci/deployr", "--demo"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "note: ServiceAccount ci/deployr is not in the input (no object or binding names it)",
        ));
}

#[test]
fn a_metrics_file_that_cannot_be_written_leaves_no_report() {
    let dir = tmpdir();
    let report = dir.path().join("report.json");
    let out = rbacscan()
        .args(["scan", "--demo", "-o", "json", "--metrics-file"])
        .arg(dir.path().join("no-such-dir/rbacscan.prom"))
        .arg("--output-file")
        .arg(&report)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("cannot write the metrics"), "{stderr}");
    assert!(!report.exists());
}

#[test]
fn sarif_of_manifests_points_at_the_file_and_line_of_each_offending_object() {
    // A pull request's directory of manifests: a ClusterRole in one file;
    // a binding of it, after another document, in a second; a pod in JSON.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a-role.yaml"),
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: secret-reader\nrules:\n- apiGroups: [\"\"]\n  resources: [secrets]\n  verbs: [get, list]\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("b-bindings.yaml"),
        "# bindings\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: app\n  namespace: shop\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: app-reads-secrets\n  namespace: shop\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: secret-reader\nsubjects:\n- kind: ServiceAccount\n  name: app\n  namespace: shop\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("c-pod.json"),
        "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [\n  {\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \"app-1\", \"namespace\": \"shop\"},\n   \"spec\": {\"serviceAccountName\": \"app\", \"containers\": [{\"name\": \"c\", \"image\": \"i\"}]}}]}\n",
    )
    .unwrap();
    let out = rbacscan()
        .current_dir(dir.path())
        .args(["scan", "-f", ".", "-o", "sarif", "--min-severity", "low"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log: Value = serde_json::from_slice(&out.stdout).unwrap();
    let errors: Vec<String> = sarif_validator()
        .iter_errors(&log)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let results = log["runs"][0]["results"].as_array().unwrap();
    let at = |code: &str| -> Vec<(String, u64)> {
        results
            .iter()
            .filter(|r| r["properties"]["code"] == code)
            .map(|r| {
                let p = &r["locations"][0]["physicalLocation"];
                (
                    p["artifactLocation"]["uri"].as_str().unwrap().to_string(),
                    p["region"]["startLine"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    // The binding is on line 8 of the second file; the role on line 1 of
    // the first; the pod on line 2 of the JSON; the subject's finding
    // points at the binding that grants it.
    assert_eq!(at("risky-binding"), [("./b-bindings.yaml".to_string(), 8)]);
    assert_eq!(at("risky-role"), [("./a-role.yaml".to_string(), 1)]);
    assert!(
        at("risky-subject")
            .iter()
            .all(|l| *l == ("./b-bindings.yaml".to_string(), 8))
    );
    assert!(!at("risky-subject").is_empty());
    assert_eq!(at("hot-pod"), [("./c-pod.json".to_string(), 2)]);
}

/// A file in `dir` holding a ClusterRoleBinding `name` of cluster-admin to
/// one subject.
fn cluster_admin_binding(
    dir: &tempfile::TempDir,
    name: &str,
    kind: &str,
    subject: &str,
) -> std::path::PathBuf {
    let path = dir.path().join(format!("{}.yaml", name.replace(':', "-")));
    fs::write(
        &path,
        format!(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: {name}\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: cluster-admin\nsubjects:\n- apiGroup: rbac.authorization.k8s.io\n  kind: {kind}\n  name: {subject}\n"
        ),
    )
    .unwrap();
    path
}

#[test]
fn a_declared_platform_s_own_bindings_are_defaults_and_a_backdoor_by_their_name_is_not() {
    // kubeadm binds its admin kubeconfig's group to cluster-admin in every
    // cluster it sets up: expected there, and hidden once declared.
    let dir = tmpdir();
    let kubeadm = cluster_admin_binding(
        &dir,
        "kubeadm:cluster-admins",
        "Group",
        "kubeadm:cluster-admins",
    );
    let backdoor = cluster_admin_binding(&dir, "kubeadm:node-helper", "User", "mallory");
    let fixture = real_fixture("default-cluster.yaml");
    let kubeadm = kubeadm.to_str().unwrap();
    let backdoor = backdoor.to_str().unwrap();
    let scan = |extra: &[&str]| {
        let out = rbacscan()
            .args([
                "scan",
                "--fail-on",
                "high",
                "--width",
                "200",
                "-f",
                &fixture,
                "-f",
                kubeadm,
            ])
            .args(extra)
            .output()
            .unwrap();
        (out.status.code(), String::from_utf8(out.stdout).unwrap())
    };
    let (code, text) = scan(&[]);
    assert_eq!(code, Some(1), "undeclared, the group is shown: {text}");
    assert!(text.contains("Group kubeadm:cluster-admins"));
    let (code, text) = scan(&["--platform", "kubeadm"]);
    assert_eq!(code, Some(0), "{text}");
    assert!(!text.contains("Group kubeadm:cluster-admins"));
    assert!(
        text.contains(
            "of the Kubernetes bootstrap policy and the kubeadm defaults alone not shown"
        ),
        "{text}"
    );
    assert!(
        text.contains("note: 0 roles and 1 binding taken as the defaults of kubeadm (--platform)"),
        "{text}"
    );
    let (code, text) = scan(&["--platform", "kubeadm", "--include-defaults"]);
    assert_eq!(code, Some(1));
    assert!(text.contains("Group kubeadm:cluster-admins"));
    // A binding named like the platform's, to someone else, is shown.
    let (code, text) = scan(&["--platform", "kubeadm", "-f", backdoor]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("User mallory"), "{text}");
    assert!(!text.contains("Group kubeadm:cluster-admins"));
}

#[test]
fn the_readme_lists_the_platform_defaults_as_the_code_does() {
    let readme = include_str!("../../README.md");
    let code = |items: &[&str]| {
        items
            .iter()
            .map(|i| format!("`{i}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    for d in rbacscan::rbac::platforms::DEFAULTS {
        use clap::ValueEnum;
        let flag = d.platform.to_possible_value().unwrap();
        let row = format!(
            "| `{}` | {} | {} | {} |",
            flag.get_name(),
            code(d.prefixes),
            code(d.namespaces),
            code(d.identities)
        );
        assert!(readme.contains(&row), "README lacks {row}");
    }
}

#[test]
fn the_ci_recipe_runs_as_written() {
    // The README's "In CI" commands, in a checkout whose change adds a
    // binding that lets a ServiceAccount read every Secret of its namespace.
    let dir = tmpdir();
    let manifests = dir.path().join("manifests");
    fs::create_dir(&manifests).unwrap();
    fs::write(
        manifests.join("app.yaml"),
        "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: app\n  namespace: shop\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: app-1\n  namespace: shop\nspec:\n  serviceAccountName: app\n  containers:\n  - name: c\n    image: i\n",
    )
    .unwrap();
    let run = |command: &str| {
        let args: Vec<&str> = command.split_whitespace().skip(1).collect();
        let out = rbacscan()
            .current_dir(dir.path())
            .args(&args)
            .output()
            .unwrap();
        (out.status.code(), String::from_utf8(out.stderr).unwrap())
    };
    // On main: the report kept as an artifact.
    let (code, stderr) = run("rbacscan scan -f manifests/ -o json --output-file main-report.json");
    assert_eq!(code, Some(0), "{stderr}");
    // The change.
    fs::write(
        manifests.join("rbac.yaml"),
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: secrets\n  namespace: shop\nrules:\n- apiGroups: [\"\"]\n  resources: [secrets]\n  verbs: [get, list]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: app-secrets\n  namespace: shop\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: secrets\nsubjects:\n- kind: ServiceAccount\n  name: app\n  namespace: shop\n",
    )
    .unwrap();
    let readme = include_str!("../../README.md");
    let recipe: Vec<&str> = readme
        .split("### In CI")
        .nth(1)
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("rbacscan scan -f manifests/"))
        .map(|l| l.split("  #").next().unwrap().trim())
        .collect();
    assert_eq!(recipe.len(), 3, "{recipe:?}");
    let (code, stderr) = run(recipe[0]);
    assert_eq!(code, Some(0), "{stderr}");
    let sarif: Value =
        serde_json::from_str(&fs::read_to_string(dir.path().join("rbacscan.sarif")).unwrap())
            .unwrap();
    let lines: Vec<&Value> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["locations"][0]["physicalLocation"]["region"].get("startLine"))
        .collect();
    assert!(!lines.is_empty());
    let (code, stderr) = run(recipe[1]);
    assert_eq!(code, Some(0), "{stderr}");
    let md = fs::read_to_string(dir.path().join("rbacscan.md")).unwrap();
    assert!(md.starts_with("## rbacscan report"));
    assert!(md.contains("ServiceAccount shop/app"), "{md}");
    // The gate: the new grant is new, HIGH or worse, and fails it.
    let (code, stderr) = run(recipe[2]);
    assert_eq!(code, Some(1), "{stderr}");
    let report: Value =
        serde_json::from_str(&fs::read_to_string(dir.path().join("report.json")).unwrap()).unwrap();
    assert!(report["baseline"]["new"].as_u64().unwrap() > 0);
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["baseline"] == "new"
                && matches!(f["severity"].as_str(), Some("HIGH" | "CRITICAL")))
    );
    // With the change on main too, the gate passes.
    fs::copy(
        dir.path().join("report.json"),
        dir.path().join("main-report.json"),
    )
    .unwrap();
    let (code, stderr) = run(recipe[2]);
    assert_eq!(code, Some(0), "{stderr}");
}

#[test]
fn paths_count_a_declared_platform_s_routes_as_defaults() {
    let dir = tmpdir();
    let kubeadm = cluster_admin_binding(
        &dir,
        "kubeadm:cluster-admins",
        "Group",
        "kubeadm:cluster-admins",
    );
    let fixture = real_fixture("default-cluster.yaml");
    let paths = |extra: &[&str]| -> Value {
        let out = rbacscan()
            .args([
                "paths",
                "-o",
                "json",
                "-f",
                &fixture,
                "-f",
                kubeadm.to_str().unwrap(),
            ])
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let from = |v: &Value| -> Vec<String> {
        v["paths"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["from"]["name"].as_str().unwrap().to_string())
            .collect()
    };
    let plain = paths(&[]);
    assert!(from(&plain).contains(&"kubeadm:cluster-admins".to_string()));
    let declared = paths(&["--platform", "kubeadm"]);
    assert!(!from(&declared).contains(&"kubeadm:cluster-admins".to_string()));
    assert_eq!(
        declared["defaultsHidden"].as_u64().unwrap(),
        plain["defaultsHidden"].as_u64().unwrap() + 1
    );
    assert_eq!(declared["platforms"], serde_json::json!(["kubeadm"]));
    let out = rbacscan()
        .args([
            "paths",
            "--platform",
            "kubeadm",
            "-f",
            &fixture,
            "-f",
            kubeadm.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("granted by the Kubernetes bootstrap policy and the kubeadm defaults alone are not listed"), "{text}");
}
