//! Fleets: several clusters scanned in one run (`--context` repeated,
//! `--all-contexts`), each in its own section, one that fails never losing
//! the others; and `merge` of collected reports into one fleet view.

use std::fs;

use base64::Engine;
use serde_json::Value;

use super::cli::sarif_validator;
use super::live::{Kubeconfig, Run, cluster, run};
use super::schema::{fleet_validator, validate};
use super::support::{demo_path, rbacscan, real_fixture};
use super::test_server::{Fault, TOKEN, TestServer};

/// A kubeconfig of several clusters: (context, server URL, CA PEM or none
/// for a server never reached, token).
fn fleet_kubeconfig(contexts: &[(&str, &str, Option<&str>, &str)]) -> Kubeconfig {
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let mut text = format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: {}\nclusters:\n",
        contexts[0].0
    );
    for (name, url, ca, _) in contexts {
        text.push_str(&format!("- name: {name}\n  cluster:\n    server: {url}\n"));
        if let Some(ca) = ca {
            text.push_str(&format!("    certificate-authority-data: {}\n", b64(ca)));
        }
    }
    text.push_str("users:\n");
    for (name, _, _, token) in contexts {
        text.push_str(&format!("- name: {name}\n  user:\n    token: {token}\n"));
    }
    text.push_str("contexts:\n");
    for (name, ..) in contexts {
        text.push_str(&format!(
            "- name: {name}\n  context:\n    cluster: {name}\n    user: {name}\n"
        ));
    }
    Kubeconfig::from_text(&text)
}

/// A port nobody listens on.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn offline_fingerprints(files: &[String]) -> Vec<Value> {
    let mut args = vec!["scan".to_string(), "-o".into(), "json".into()];
    for f in files {
        args.extend(["-f".to_string(), f.clone()]);
    }
    let out = rbacscan().args(&args).output().unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    fingerprints(&report)
}

fn fingerprints(report: &Value) -> Vec<Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["fingerprint"].clone())
        .collect()
}

#[test]
fn several_contexts_are_scanned_at_once_and_one_that_fails_loses_nothing_else() {
    let prod = TestServer::serving(cluster()).start();
    let shop = {
        let mut l = rbacscan::source::files::Loader::new();
        l.add_path(&real_fixture("shop-pods-and-serviceaccounts.yaml"))
            .unwrap();
        TestServer::serving(l.finish().unwrap().snapshot)
            .fault(Fault::Forbidden("pods"))
            .start()
    };
    let dead = format!("https://127.0.0.1:{}", closed_port());
    let kc = fleet_kubeconfig(&[
        ("prod", &prod.url, Some(&prod.ca_pem), TOKEN),
        ("shop", &shop.url, Some(&shop.ca_pem), TOKEN),
        ("dead", &dead, None, TOKEN),
        ("expired", &prod.url, Some(&prod.ca_pem), "not-the-token"),
    ]);
    let r = run(&[
        "scan",
        "--kubeconfig",
        kc.arg(),
        "--all-contexts",
        "--request-timeout",
        "5s",
        "--deadline",
        "20s",
        "-o",
        "json",
        "--fail-on",
        "low",
    ]);
    // A cluster that failed or is partial makes the fleet incomplete: 3,
    // whatever the findings.
    assert_eq!(r.code, Some(3), "{}", r.stderr);
    validate(&fleet_validator(), &r.written(), "fleet scan");
    let fleet = r.json();
    assert_eq!(fleet["kind"], "fleet");
    assert_eq!(fleet["command"], "scan");
    let members = fleet["clusters"].as_array().unwrap();
    assert_eq!(
        member_names(&fleet),
        ["prod", "shop", "dead", "expired"],
        "kubeconfig order"
    );
    let status: Vec<&str> = members
        .iter()
        .map(|m| m["status"].as_str().unwrap())
        .collect();
    assert_eq!(status, ["complete", "partial", "failed", "failed"]);
    // The clusters that answered have their whole report, equal to an
    // offline scan of the same objects.
    let files = vec![
        demo_path(),
        real_fixture("shop-pods-and-serviceaccounts.yaml"),
        super::support::fixture("demo-workloads.yaml"),
    ];
    assert_eq!(
        fingerprints(&members[0]["report"]),
        offline_fingerprints(&files)
    );
    assert_eq!(members[0]["report"]["inputs"]["cluster"]["context"], "prod");
    assert_eq!(members[1]["error"], "could not read pods");
    assert_eq!(members[1]["report"]["coverage"]["complete"], false);
    // The failures say why, in one line each, and carry no report.
    let dead_error = members[2]["error"].as_str().unwrap();
    assert!(
        dead_error.starts_with(&format!("cannot reach the API server at {dead}")),
        "{dead_error}"
    );
    assert!(members[2].get("report").is_none());
    assert!(
        members[3]["error"]
            .as_str()
            .unwrap()
            .contains("rejected the credentials of context `expired`"),
        "{}",
        members[3]["error"]
    );
    for line in [
        "context dead: cannot reach",
        "context expired: the API server",
        "context shop: partial snapshot, could not read pods (forbidden)",
    ] {
        assert!(
            r.stderr.contains(&format!("rbacscan: warning: {line}")),
            "{}",
            r.stderr
        );
    }
    // Counts add up over the members; the worst findings come first.
    let counts = &fleet["counts"];
    assert_eq!(
        (
            counts["clusters"].as_u64(),
            counts["complete"].as_u64(),
            counts["partial"].as_u64(),
            counts["failed"].as_u64()
        ),
        (Some(4), Some(1), Some(1), Some(2))
    );
    let total: u64 = members
        .iter()
        .filter_map(|m| m["counts"]["findings"].as_u64())
        .sum();
    assert_eq!(counts["findings"].as_u64(), Some(total));
    assert_eq!(fleet["worstTotal"].as_u64(), Some(total));
    let worst = fleet["worst"].as_array().unwrap();
    assert_eq!(worst.len(), 20, "--limit's default");
    assert_eq!(worst[0]["severity"], "CRITICAL");
    assert!(
        worst
            .iter()
            .all(|w| w["cluster"] == "prod" || w["cluster"] == "shop")
    );
    // In SARIF, a cluster that failed is a run whose invocation failed.
    let mut sarif_args = vec![
        "scan",
        "--kubeconfig",
        kc.arg(),
        "--context",
        "prod",
        "--context",
        "dead",
        "-o",
        "sarif",
        "-q",
    ];
    sarif_args.extend(["--request-timeout", "5s", "--deadline", "20s"]);
    let sarif = run(&sarif_args);
    assert_eq!(sarif.code, Some(3));
    let log: Value = serde_json::from_str(&sarif.stdout).unwrap();
    validate(&sarif_validator(), &log, "fleet SARIF with a failure");
    let failed = &log["runs"][1];
    assert_eq!(failed["invocations"][0]["executionSuccessful"], false);
    assert!(failed["results"].as_array().unwrap().is_empty());
    assert!(!log["runs"][0]["results"].as_array().unwrap().is_empty());
    // Both servers were listed, and nothing was written to them.
    for server in [&prod, &shop] {
        let requests = server.requests();
        assert!(requests.iter().any(|q| q.path.contains("/clusterroles")));
        assert!(requests.iter().all(|q| q.method == "GET"));
    }
}

#[test]
fn named_contexts_each_get_a_section_and_fail_on_counts_every_cluster() {
    let a = TestServer::serving(cluster()).start();
    let b = TestServer::serving(cluster()).start();
    let kc = fleet_kubeconfig(&[
        ("a", &a.url, Some(&a.ca_pem), TOKEN),
        ("b", &b.url, Some(&b.ca_pem), TOKEN),
        ("unused", &a.url, Some(&a.ca_pem), TOKEN),
    ]);
    let args = [
        "scan",
        "--kubeconfig",
        kc.arg(),
        "--context",
        "b",
        "--context",
        "a",
        "--context",
        "b",
    ];
    let r = run(&[&args[..], &["--width", "120"]].concat());
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let a_at = r.stdout.find("════ CLUSTER a ════").expect("a's section");
    let b_at = r.stdout.find("════ CLUSTER b ════").expect("b's section");
    assert!(b_at < a_at, "in the order given, each once");
    assert_eq!(r.stdout.matches("════ CLUSTER").count(), 2);
    assert!(r.stdout.starts_with("rbacscan "), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("a fleet of 2 clusters, scanned now (2 complete)")
    );
    assert!(r.stdout.contains("WORST FINDINGS ACROSS THE FLEET"));
    assert!(r.stdout.lines().all(|l| l.chars().count() <= 120));
    let failing = run(&[&args[..], &["--fail-on", "high", "-q"]].concat());
    assert_eq!(failing.code, Some(1), "{}", failing.stderr);
    assert_eq!(failing.stderr, "");
    // Markdown and SARIF have a part per cluster too.
    let md = run(&[&args[..], &["-o", "markdown"]].concat());
    assert!(md.stdout.starts_with("## rbacscan fleet report\n"));
    assert!(md.stdout.contains("## Cluster b\n") && md.stdout.contains("## Cluster a\n"));
    let html = run(&[&args[..], &["-o", "html"]].concat());
    assert!(html.stdout.contains(r#"<select id="f-cluster">"#));
    assert!(
        html.stdout.contains("<h2>Cluster b</h2>") && html.stdout.contains("<h2>Cluster a</h2>")
    );
    assert!(
        html.stdout.contains(r#"data-cluster="a""#) && html.stdout.contains(r#"data-cluster="b""#)
    );
    let sarif = run(&[&args[..], &["-o", "sarif"]].concat());
    let log: Value = serde_json::from_str(&sarif.stdout).unwrap();
    let ids: Vec<&str> = log["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["automationDetails"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["rbacscan/b/", "rbacscan/a/"]);
    validate(&sarif_validator(), &log, "fleet SARIF");
}

#[test]
fn an_unknown_context_stops_the_fleet_before_any_cluster_is_listed() {
    let a = TestServer::serving(cluster()).start();
    let kc = fleet_kubeconfig(&[("a", &a.url, Some(&a.ca_pem), TOKEN)]);
    let r = run(&[
        "scan",
        "--kubeconfig",
        kc.arg(),
        "--context",
        "a",
        "--context",
        "prdo",
    ]);
    assert_eq!(r.code, Some(2));
    assert_eq!(
        r.stderr.trim_end(),
        format!(
            "rbacscan: error: context `prdo` is not in {}; its contexts: a",
            kc.arg()
        )
    );
    assert_eq!(r.stdout, "");
    assert!(a.requests().is_empty(), "nothing was listed");
}

#[test]
fn options_about_one_cluster_are_refused_with_several() {
    for args in [
        vec!["who-can", "get", "pods", "--context", "a", "--context", "b"],
        vec!["pods", "--all-contexts"],
        vec!["dump", "--all-contexts"],
        vec!["scan", "--all-contexts", "--baseline", "b.json"],
        vec![
            "scan",
            "--context",
            "a",
            "--context",
            "b",
            "--metrics-file",
            "m.prom",
        ],
        vec!["scan", "--all-contexts", "--save-snapshot", "s.json"],
        vec!["scan", "--all-contexts", "--context", "a"],
        vec!["scan", "--all-contexts", "--demo"],
    ] {
        let r = run(&args);
        assert_eq!(r.code, Some(2), "{args:?}");
        assert!(
            r.stderr.starts_with("rbacscan: error:"),
            "{args:?}: {}",
            r.stderr
        );
        assert_eq!(r.stdout, "");
    }
}

// ----- merge -----

/// A scan's JSON report of `files`, as the cluster `context` at `server`
/// collected at `at` (as a live scan records it), written to `dir/name`.
fn collected(
    dir: &tempfile::TempDir,
    name: &str,
    files: &[String],
    cluster: Option<(&str, &str, &str)>,
) -> String {
    let mut args = vec!["scan".to_string(), "-o".into(), "json".into()];
    for f in files {
        args.extend(["-f".to_string(), f.clone()]);
    }
    let out = rbacscan().args(&args).output().unwrap();
    let mut report: Value = serde_json::from_slice(&out.stdout).unwrap();
    if let Some((context, server, at)) = cluster {
        report["inputs"]["cluster"] = serde_json::json!({
            "server": server, "context": context, "version": "v1.30.2", "collectedAt": at,
        });
    }
    let path = dir.path().join(name);
    fs::write(&path, serde_json::to_string(&report).unwrap()).unwrap();
    path.to_string_lossy().into_owned()
}

fn hours_ago(h: i64) -> String {
    let t = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(h);
    t.round(jiff::Unit::Second).unwrap().to_string()
}

fn merge(args: &[&str]) -> Run {
    run(&[&["merge"][..], args].concat())
}

#[test]
fn merge_gives_each_cluster_its_status_and_the_worst_findings_across_them() {
    let dir = tempfile::tempdir().unwrap();
    let demo = vec![demo_path()];
    let shop = vec![real_fixture("shop-pods-and-serviceaccounts.yaml")];
    let prod = collected(
        &dir,
        "prod.json",
        &demo,
        Some(("prod", "https://prod:6443", &hours_ago(2))),
    );
    let prod_old = collected(
        &dir,
        "prod-old.json",
        &demo,
        Some(("prod", "https://prod:6443", &hours_ago(26))),
    );
    let stale = collected(
        &dir,
        "shop.json",
        &shop,
        Some(("shop", "https://shop:6443", &hours_ago(80))),
    );
    let files = collected(&dir, "files.json", &shop, None);
    let same_file = format!(
        "{}/../{}/files.json",
        dir.path().display(),
        dir.path().file_name().unwrap().to_string_lossy()
    );
    let r = merge(&[
        &prod_old, &prod, &stale, &files, &same_file, &prod, "-o", "json",
    ]);
    assert_eq!(
        r.code,
        Some(3),
        "a stale report makes the fleet incomplete: {}",
        r.stderr
    );
    validate(&fleet_validator(), &r.written(), "merge");
    let fleet = r.json();
    assert_eq!(fleet["command"], "merge");
    let members = fleet["clusters"].as_array().unwrap();
    assert_eq!(
        member_names(&fleet),
        ["prod", "shop", "files.json"],
        "one per cluster, the newer kept"
    );
    assert_eq!(members[0]["source"], prod);
    assert_eq!(members[1]["stale"], true);
    assert!(members[0].get("stale").is_none() && members[2].get("stale").is_none());
    assert!(members.iter().all(|m| m.get("report").is_none()));
    let notes: Vec<&str> = fleet["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert!(
        notes[0].starts_with(&format!(
            "{prod_old} is an older report of cluster prod than {prod}"
        )),
        "{notes:?}"
    );
    assert!(
        notes[1].contains("age unknown") && notes[1].contains(&files),
        "{notes:?}"
    );
    assert!(
        r.stderr.contains("rbacscan: warning: cluster shop"),
        "{}",
        r.stderr
    );
    // The worst findings: most severe first, each naming its cluster, as
    // many as the members' reports hold.
    let worst = fleet["worst"].as_array().unwrap();
    let severities: Vec<u8> = worst
        .iter()
        .map(|w| match w["severity"].as_str().unwrap() {
            "CRITICAL" => 4,
            "HIGH" => 3,
            "MEDIUM" => 2,
            _ => 1,
        })
        .collect();
    assert!(severities.windows(2).all(|w| w[0] >= w[1]));
    let prod_report: Value = serde_json::from_str(&fs::read_to_string(&prod).unwrap()).unwrap();
    assert_eq!(worst[0]["cluster"], "prod");
    assert_eq!(
        worst[0]["fingerprint"],
        prod_report["findings"][0]["fingerprint"]
    );
    assert_eq!(worst[0]["about"], "ReplicaSet ci/runner-7f9c8");
    assert_eq!(
        members[0]["counts"]["findings"],
        prod_report["counts"]["findings"]
    );
    // Fresh reports alone: exit by the findings.
    let fresh = merge(&[&prod, "--fail-on", "critical", "-o", "json"]);
    assert_eq!(fresh.code, Some(1), "{}", fresh.stderr);
    let fresh = merge(&[&prod, &files]);
    assert_eq!(fresh.code, Some(0), "{}", fresh.stderr);
    assert!(
        fresh.stdout.contains("CLUSTERS: 2 clusters"),
        "{}",
        fresh.stdout
    );
    // Two reports of files named alike are two members, told apart.
    let other = tempfile::tempdir().unwrap();
    let files_too = collected(&other, "files.json", &[demo_path()], None);
    let both = merge(&[&files, &files_too, "-o", "json"]).json();
    assert_eq!(
        member_names(&both),
        [
            format!("files.json ({files})"),
            format!("files.json ({files_too})")
        ]
    );
    // In SARIF, each report is a run with a result per finding of it.
    let sarif = merge(&[&prod, &files, "-o", "sarif"]);
    let log: Value = serde_json::from_str(&sarif.stdout).unwrap();
    validate(&sarif_validator(), &log, "merged SARIF");
    let runs = log["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0]["automationDetails"]["id"], "rbacscan/prod/");
    assert_eq!(
        runs[0]["results"].as_array().unwrap().len() as u64,
        prod_report["counts"]["findings"].as_u64().unwrap()
    );
    assert_eq!(
        runs[0]["results"][0]["partialFingerprints"]["rbacscan/v1"],
        prod_report["findings"][0]["fingerprint"]
    );
    // --stale-after moves the line.
    let lenient = merge(&[&prod, &stale, "--stale-after", "4d", "-o", "json"]);
    assert_eq!(lenient.code, Some(0), "{}", lenient.stderr);
}

#[test]
fn merge_refuses_what_is_not_a_cluster_report_in_one_line_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let good = collected(&dir, "good.json", &[demo_path()], None);
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        fs::write(&p, text).unwrap();
        p.to_string_lossy().into_owned()
    };
    let old = write("old.json", r#"{"schemaVersion": 1, "findings": []}"#);
    let answer = write(
        "answer.json",
        r#"{"schemaVersion": 4, "command": "who-can"}"#,
    );
    let fleet = write("fleet.json", r#"{"schemaVersion": 4, "kind": "fleet"}"#);
    let pods = write("pods.json", r#"{"schemaVersion": 4, "view": "pods"}"#);
    let broken = write(
        "broken.json",
        "{\n  \"schemaVersion\": 4,\n  \"counts\": [\n",
    );
    let missing = dir
        .path()
        .join("missing.json")
        .to_string_lossy()
        .into_owned();
    let out = dir.path().join("fleet-report.json");
    for (bad, says) in [
        (&old, "a report of schemaVersion 1".to_string()),
        (&answer, "an answer of `rbacscan who-can`".into()),
        (&fleet, "a fleet report".into()),
        (&pods, "a report of `rbacscan pods`".into()),
        (&broken, format!("{broken}:4:")),
        (&missing, "cannot read the report".into()),
    ] {
        let r = merge(&[
            &good,
            bad,
            "-o",
            "json",
            "--output-file",
            out.to_str().unwrap(),
        ]);
        assert_eq!(r.code, Some(2), "{bad}");
        assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
        assert!(r.stderr.contains(&says), "{says}: {}", r.stderr);
        assert!(!out.exists(), "nothing written");
    }
    // A fleet report is no baseline either.
    let r = run(&["scan", "--demo", "--baseline", &fleet]);
    assert_eq!(r.code, Some(2));
    assert!(r.stderr.contains("a fleet report"), "{}", r.stderr);
}

#[test]
fn hostile_cluster_names_stay_text_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let hostile = "<script>alert(1)</script>|*x*\u{1b}[31m\nline";
    let report = collected(
        &dir,
        "h.json",
        &[demo_path()],
        Some((hostile, "https://h:6443", &hours_ago(1))),
    );
    let table = merge(&[&report, "--color", "always"]);
    assert!(
        table.stdout.contains("\\x1b[31m\\nline"),
        "{}",
        table.stdout
    );
    assert!(!table.stdout.contains("\u{1b}[31m\nline"));
    let md = merge(&[&report, "-o", "markdown"]);
    assert!(!md.stdout.contains("<script>"), "{}", md.stdout);
    assert!(!md.stdout.contains("|*x*"));
    let html = merge(&[&report, "-o", "html"]);
    assert!(!html.stdout.contains("<script>alert"), "{}", html.stdout);
    assert!(
        html.stdout
            .contains("&lt;script&gt;alert(1)&lt;/script&gt;")
    );
    let json = merge(&[&report, "-o", "json"]).json();
    assert_eq!(
        json["clusters"][0]["name"], hostile,
        "JSON keeps the data as it is"
    );
}

/// The names of a fleet document's members, in its order.
fn member_names(fleet: &Value) -> Vec<&str> {
    (fleet["clusters"].as_array().unwrap().iter())
        .map(|m| m["name"].as_str().unwrap())
        .collect()
}
