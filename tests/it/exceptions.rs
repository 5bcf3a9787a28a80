//! `--exceptions`: accepted findings leave the lists and `--fail-on`, are
//! counted and kept in JSON with their owner; expired exceptions stop
//! suppressing and are reported; a bad file is refused whole, in one line.

use std::fs;

use serde_json::Value;

use super::support::{inline, rbacscan};

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let path = dir.path().join(name);
    fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

fn scan(args: &[&str]) -> (Option<i32>, Value, String) {
    let out = rbacscan()
        .args(["scan", "--demo", "-o", "json"])
        .args(args)
        .output()
        .unwrap();
    let report = serde_json::from_slice(&out.stdout).map_or(Value::Null, inline);
    (
        out.status.code(),
        report,
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn accepted_findings_are_suppressed_counted_and_kept_with_their_owner() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        &dir,
        "exceptions.yaml",
        r#"# accepted risks
exceptions:
- subject: "ServiceAccount ci/*"
  owner: team-ci@example.com
  reason: the CI deployer is cluster-admin by design
  expires: 2999-12-31
- rule: hot-pod
  pod: "ci/runner-*"
  owner: team-ci@example.com
  reason: the runner needs its token
- rule: nodes-proxy
  owner: team-monitoring@example.com
  reason: accepted until the scrape config moves
  expires: 2020-01-01
"#,
    );
    let (_, all, _) = scan(&[]);
    let (code, r, stderr) = scan(&["--exceptions", &file]);
    assert_eq!(code, Some(0), "{stderr}");
    let e = &r["exceptions"];
    let suppressed = e["suppressed"].as_array().unwrap();
    assert!(!suppressed.is_empty());
    for s in suppressed {
        let f = &s["finding"];
        let ci_subject =
            f["subject"]["kind"] == "ServiceAccount" && f["subject"]["namespace"] == "ci";
        let runner =
            f["code"] == "hot-pod" && f["pod"]["name"].as_str().unwrap().starts_with("runner-");
        assert!(ci_subject || runner, "{f}");
        assert_eq!(s["owner"], "team-ci@example.com");
    }
    // Suppressed findings are not listed, and the counts add up.
    let findings = r["findings"].as_array().unwrap();
    assert!(
        findings
            .iter()
            .all(|f| !(f["subject"]["namespace"] == "ci"
                && f["subject"]["kind"] == "ServiceAccount"))
    );
    assert_eq!(
        findings.len() + suppressed.len(),
        all["findings"].as_array().unwrap().len()
    );
    // The expired one suppresses nothing and is reported.
    assert_eq!(e["expired"][0]["exception"], 3);
    assert_eq!(e["expired"][0]["line"], 11);
    assert!(findings.iter().any(|f| f["rule"] == "nodes-proxy"));
    assert!(
        stderr.contains("exception 3 (line 11) expired on 2020-01-01"),
        "{stderr}"
    );
    // And the table says how many were suppressed.
    let out = rbacscan()
        .args(["scan", "--demo", "--color", "never", "--exceptions", &file])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(&format!(
            "{} findings suppressed by the exceptions in {file}",
            suppressed.len()
        )),
        "{text}"
    );
    assert!(
        text.contains("1 exception expired and no longer apply"),
        "{text}"
    );
}

#[test]
fn suppressed_findings_do_not_fail_the_build() {
    let dir = tempfile::tempdir().unwrap();
    // Accept every finding of the demo at HIGH and above, by rule glob.
    let file = write(
        &dir,
        "all.yaml",
        "exceptions:\n- rule: \"*\"\n  owner: me\n  reason: a test\n",
    );
    let (code, r, _) = scan(&["--exceptions", &file, "--fail-on", "low"]);
    assert_eq!(code, Some(0));
    assert_eq!(r["counts"]["findings"], 0);
}

#[test]
fn a_bad_exceptions_file_is_refused_whole_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    for (text, says) in [
        (
            "exceptions:\n- rule: a\n  owner: me\n  reason: r\n  note: extra\n",
            "note",
        ),
        (
            "exceptions:\n- rule: a\n  owner: me\n  reason: r\n  expires: 12/31/2027\n",
            "all.yaml",
        ),
        (
            "exceptions:\n- rule: a\n  owner: me\n  reason: r\n- owner: me\n  reason: everything\n",
            "exception 2 (line 5): no selector",
        ),
        ("exceptions:\n- rule: a\n  reason: r\n", "owner"),
    ] {
        let file = write(&dir, "all.yaml", text);
        let out = rbacscan()
            .args([
                "scan",
                "--demo",
                "-o",
                "json",
                "--exceptions",
                &file,
                "--output-file",
            ])
            .arg(&report)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{text}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(says), "{says}: {stderr}");
        assert!(!report.exists());
    }
}
