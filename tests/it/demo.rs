//! The demo cluster through the real binary: what an admin sees, and what a
//! machine reads.

use serde_json::Value;

use crate::support::{TABLES, demo_path, inline, rbacscan};

fn demo_json() -> Value {
    let out = rbacscan()
        .args(["scan", "--demo", "-o", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    inline(serde_json::from_slice(&out.stdout).expect("valid JSON"))
}

fn find<'a>(report: &'a Value, code: &str, rule: Option<&str>, who: &str) -> &'a Value {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["code"] == code
                && rule.is_none_or(|r| f["rule"] == r)
                && [&f["subject"], &f["binding"], &f["role"]]
                    .iter()
                    .any(|o| o["name"] == who)
        })
        .unwrap_or_else(|| panic!("no {code} {rule:?} for {who}"))
}

/// One line per finding: what a reviewer checks when the demo output changes.
fn outline(report: &Value) -> String {
    let name = |o: &Value| match (&o["kind"], &o["namespace"], &o["name"]) {
        (Value::String(k), Value::String(ns), Value::String(n)) => format!("{k} {ns}/{n}"),
        (Value::String(k), _, Value::String(n)) => format!("{k} {n}"),
        _ => String::new(),
    };
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let scope = match f["scope"]["kind"].as_str().unwrap() {
                "cluster" => "cluster".to_string(),
                _ => f["scope"]["namespaces"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|n| n.as_str().unwrap())
                    .collect::<Vec<_>>()
                    .join(","),
            };
            format!(
                "{:8} {:24} {:28} [{}] {}{}{}",
                f["severity"].as_str().unwrap(),
                f["code"].as_str().unwrap(),
                f["rule"].as_str().unwrap_or("-"),
                scope,
                [
                    name(&f["pod"]),
                    name(&f["subject"]),
                    name(&f["binding"]),
                    name(&f["role"]),
                ]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" | "),
                f["resourceNames"]
                    .as_array()
                    .map(|n| {
                        let names: Vec<&str> = n.iter().filter_map(Value::as_str).collect();
                        format!(" only {}", names.join(","))
                    })
                    .unwrap_or_default(),
                if f["bootstrapDefault"] == true {
                    " *"
                } else {
                    ""
                },
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn demo_findings_are_the_expected_ones() {
    let r = demo_json();
    insta::assert_snapshot!("demo_outline", outline(&r));
}

#[test]
fn demo_table_reads_well() {
    let out = rbacscan()
        .args(["scan", "--demo", "--color", "never"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains('\u{1b}'), "no colour when not asked");
    insta::assert_snapshot!("demo_table", text);
}

#[test]
fn cluster_admin_for_a_ci_service_account_is_critical_with_its_chain() {
    let r = demo_json();
    let f = find(&r, "risky-subject", Some("full-wildcard"), "deployer");
    assert_eq!(f["severity"], "CRITICAL");
    assert_eq!(f["scope"]["kind"], "cluster");
    let e = &f["evidence"][0];
    assert_eq!(e["binding"]["name"], "ci-deployer-cluster-admin");
    // The rule itself is in the report's table, once.
    let rule = &r["rules"][e["ruleRef"].as_u64().unwrap() as usize];
    assert_eq!(rule["role"]["name"], "cluster-admin");
    assert_eq!(rule["ruleIndex"], 0);
    assert_eq!(rule["rule"]["verbs"][0], "*");
}

#[test]
fn aggregated_admin_in_a_role_binding_is_scoped_to_its_namespace() {
    let r = demo_json();
    let f = find(&r, "risky-subject", Some("secrets-read"), "shop-team");
    assert_eq!(f["severity"], "HIGH");
    assert_eq!(f["scope"]["namespaces"][0], "shop");
    // admin has `rules: []` in the demo: the rule was aggregated from another role.
    let rule = &r["rules"][f["evidence"][0]["ruleRef"].as_u64().unwrap() as usize];
    assert_eq!(rule["role"]["name"], "admin");
    assert!(rule["aggregatedFrom"]["role"]["name"].is_string());
}

#[test]
fn a_named_secret_is_low_and_named() {
    let r = demo_json();
    let f = find(&r, "risky-subject", Some("secrets-read"), "payments");
    assert_eq!(f["severity"], "LOW");
    assert_eq!(f["resourceNames"][0], "payments-stripe-key");
}

#[test]
fn service_account_without_namespace_in_a_role_binding_is_resolved() {
    let r = demo_json();
    let f = find(&r, "risky-subject", Some("workload-create"), "builder");
    assert_eq!(f["subject"]["namespace"], "dev-team");
    find(&r, "missing-service-account", None, "ghost");
}

#[test]
fn hygiene_is_reported() {
    let r = demo_json();
    find(&r, "cluster-binding-to-role", None, "crb-to-role");
    find(&r, "missing-role", None, "broken-binding");
    find(&r, "binding-to-anonymous", None, "anonymous-view");
    // The invalid ClusterRoleBinding → Role grants nothing to its subject.
    assert!(
        !r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "risky-subject" && f["subject"]["name"] == "bob@example.com")
    );
}

#[test]
fn json_has_schema_counts_and_stable_fingerprints() {
    let a = demo_json();
    let b = demo_json();
    assert_eq!(a, b, "deterministic");
    assert_eq!(a["schemaVersion"], 4);
    assert_eq!(a["tool"]["name"], "rbacscan");
    assert_eq!(a["counts"]["objects"]["ClusterRole"], 15);
    let findings = a["findings"].as_array().unwrap();
    assert_eq!(a["counts"]["findings"], findings.len());
    let mut prints: Vec<&str> = findings
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap())
        .collect();
    prints.sort();
    prints.dedup();
    assert_eq!(prints.len(), findings.len(), "fingerprints are unique");
}

#[test]
fn the_demo_file_and_the_built_in_demo_agree() {
    let from_file = rbacscan()
        .args(["scan", "-o", "json", "-f", &demo_path()])
        .output()
        .unwrap();
    let mut a: Value = inline(serde_json::from_slice(&from_file.stdout).unwrap());
    let mut b = demo_json();
    a["inputs"]["sources"] = Value::Null;
    b["inputs"]["sources"] = Value::Null;
    assert_eq!(a, b);
}

#[test]
fn evidence_points_into_the_rules_table_and_every_rule_is_pointed_to() {
    let all = demo_json();
    let out = rbacscan()
        .args(["scan", "--demo", "-o", "json", "-n", "shop"])
        .output()
        .unwrap();
    let filtered: Value = inline(serde_json::from_slice(&out.stdout).unwrap());
    for r in [&all, &filtered] {
        let rules = r["rules"].as_array().unwrap();
        let mut used = vec![false; rules.len()];
        for f in r["findings"].as_array().unwrap() {
            for e in f["evidence"].as_array().into_iter().flatten() {
                let id = e["ruleRef"].as_u64().unwrap() as usize;
                assert!(id < rules.len(), "{e}");
                used[id] = true;
                assert!(e.get("rule").is_none(), "the rule is not repeated");
            }
        }
        assert!(used.iter().all(|&u| u), "no rule without a finding");
        // Ordered by role, then index: the same findings, the same table.
        let keys: Vec<(String, String, String, u64)> = rules
            .iter()
            .map(|e| {
                let role = &e["role"];
                let s = |v: &Value| v.as_str().unwrap_or("").to_string();
                (
                    s(&role["kind"]),
                    s(&role["namespace"]),
                    s(&role["name"]),
                    e["ruleIndex"].as_u64().unwrap(),
                )
            })
            .collect();
        let mut sorted = keys.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(keys, sorted);
    }
    assert!(
        filtered["rules"].as_array().unwrap().len() < all["rules"].as_array().unwrap().len(),
        "a filtered report carries only its findings' rules"
    );
    // Numbered again, each evidence still points to its own rule.
    let rules_of = |r: &Value, fingerprint: &Value| -> Vec<Value> {
        let f = (r["findings"].as_array().unwrap().iter())
            .find(|f| &f["fingerprint"] == fingerprint)
            .unwrap();
        (f["evidence"].as_array().into_iter().flatten())
            .map(|e| r["rules"][e["ruleRef"].as_u64().unwrap() as usize].clone())
            .collect()
    };
    for f in filtered["findings"].as_array().unwrap() {
        assert_eq!(
            rules_of(&filtered, &f["fingerprint"]),
            rules_of(&all, &f["fingerprint"]),
            "{f}"
        );
    }
}

/// The words of a table report, without the table's drawing characters.
fn words(text: &str) -> std::collections::BTreeSet<String> {
    text.split_whitespace()
        .map(|w| w.trim_matches(|c: char| "│┆╭╮╰╯─┬┴┼╞╡╪═├┤:".contains(c)))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

fn demo_table(args: &[&str]) -> String {
    let out = rbacscan()
        .args(["scan", "--demo", "--color", "never"])
        .args(args)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn at_80_columns_no_line_is_wider_and_no_name_is_cut() {
    let narrow = demo_table(&["--width", "80"]);
    for l in narrow.lines() {
        assert!(
            l.chars().count() <= 80,
            "{} columns: {l}",
            l.chars().count()
        );
    }
    // Every word of the report laid out at ample width is whole at 80
    // columns: names wrap between words, never inside one.
    let wide = words(&demo_table(&["--width", "400"]));
    let narrow_words = words(&narrow);
    // (Column headers are words of the grid alone: a row's block names
    // its first two columns by their place.)
    let header = |w: &String| w.chars().all(|c| c.is_ascii_uppercase());
    let cut: Vec<&String> = wide
        .difference(&narrow_words)
        .filter(|w| !header(w))
        .collect();
    assert!(cut.is_empty(), "cut at 80 columns: {cut:?}");
    insta::assert_snapshot!("demo_table_80", narrow);
}

#[test]
fn the_summary_comes_first_and_counts_problems_not_rows() {
    let text = demo_table(&[]);
    let summary = text.find("SUMMARY: ").expect("a summary");
    let first_section = text.find("HOT WORKLOADS:").expect("hot workloads");
    assert!(summary < first_section);
    let r = demo_json();
    let p = &r["counts"]["problems"];
    let problems: u64 = ["CRITICAL", "HIGH", "MEDIUM", "LOW"]
        .iter()
        .map(|s| p[s].as_u64().unwrap())
        .sum();
    let findings = r["counts"]["findings"].as_u64().unwrap();
    // One ServiceAccount bound to cluster-admin is one problem, however
    // many risks, bindings and roles it shows up in.
    assert!(
        problems > 0 && problems * 4 < findings,
        "{problems} of {findings}"
    );
    assert!(text.contains(&format!("SUMMARY: {problems} problems to fix")));
}

#[test]
fn sections_stop_at_the_limit_and_say_how_to_see_the_rest() {
    let limited = demo_table(&["--limit", "2"]);
    assert!(
        limited.contains("10 more rows (--limit N, --all, or -o json)"),
        "{limited}"
    );
    // The section's title still counts all of it.
    assert!(limited.contains("RISKY SUBJECTS: 12 rows, 74 findings"));
    let all = demo_table(&["--all"]);
    assert!(!all.contains("more rows"));
    assert!(all.lines().count() > limited.lines().count());
    rbacscan()
        .args(["scan", "--demo", "--limit", "0"])
        .assert()
        .code(2);
}

/// The top of the table report of a generated 10,000-pod cluster at
/// `width` columns: its summary and first rows.
fn large_report_top(width: &str) -> (String, usize) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cluster.json");
    std::fs::write(&file, crate::cluster::generate(10_000)).unwrap();
    // Run where the file is: the report names it as given.
    let out = rbacscan()
        .current_dir(dir.path())
        .args([
            "scan",
            "--color",
            "never",
            "--width",
            width,
            "-f",
            "cluster.json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines = text.lines().count();
    let top: Vec<&str> = text.lines().take(40).collect();
    (top.join("\n"), lines)
}

#[test]
fn a_10000_pod_cluster_reads_in_a_few_screens_at_80_and_160_columns() {
    for width in ["80", "160"] {
        let (top, lines) = large_report_top(width);
        // A few screens, not 17,623 lines: every section stops at 20 rows.
        assert!(lines < 1500, "{lines} lines at {width} columns");
        assert!(top.contains("SUMMARY: "), "{top}");
        insta::assert_snapshot!(format!("large_cluster_top_{width}"), top);
    }
}

#[test]
fn one_advice_is_written_once_for_the_pods_it_is_for() {
    use crate::support::{binding, cluster_role, list};
    // Five replicas of one workload: one advice, naming two pods and how
    // many more.
    let mut items = vec![
        cluster_role(
            "everything",
            r#"[{apiGroups: ["*"], resources: ["*"], verbs: ["*"]}]"#,
        ),
        binding(
            "ClusterRoleBinding",
            None,
            "web-everything",
            "ClusterRole",
            "everything",
            "[{kind: ServiceAccount, name: web, namespace: shop}]",
        ),
        "- {apiVersion: v1, kind: ServiceAccount, metadata: {name: web, namespace: shop}}\n".into(),
    ];
    for i in 0..5 {
        items.push(format!(
            "- {{apiVersion: v1, kind: Pod, metadata: {{name: web-{i}, namespace: shop, ownerReferences: [{{apiVersion: apps/v1, kind: ReplicaSet, name: web-rs, uid: u, controller: true}}]}}, spec: {{serviceAccountName: web, nodeName: node-a, containers: [{{name: app, image: web}}]}}}}\n"
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("web.yaml");
    std::fs::write(&file, list(&items)).unwrap();
    let out = rbacscan()
        .args(["scan", "--color", "never", "-f"])
        .arg(&file)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let fixes: Vec<&str> = text
        .lines()
        .skip_while(|l| *l != "fix:")
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter(|l| !l.starts_with("    "))
        .collect();
    // The five replicas are one workload: one row, one advice.
    assert_eq!(fixes.len(), 1, "{text}");
    assert!(
        fixes[0]
            .starts_with("  ReplicaSet shop/web-rs: if the pod template of ReplicaSet shop/web-rs"),
        "{}",
        fixes[0]
    );
    // The closing line says how many findings the run found, and the
    // filters' counts add up to it.
    let r: serde_json::Value = serde_json::from_slice(
        &rbacscan()
            .args(["scan", "-o", "json", "--min-severity", "critical", "-f"])
            .arg(&file)
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let c = &r["counts"];
    let shown = c["findings"].as_u64().unwrap();
    let total = shown + c["filteredOut"].as_u64().unwrap();
    let table = rbacscan()
        .args([
            "scan",
            "--color",
            "never",
            "--min-severity",
            "critical",
            "-f",
        ])
        .arg(&file)
        .output()
        .unwrap();
    let table = String::from_utf8(table.stdout).unwrap();
    assert!(
        table.contains(&format!("({shown} of {total} this run found)")),
        "{table}"
    );
    assert!(table.contains("a pod is hot here when a token it exposes carries CRITICAL"));
}

/// Each value the tables hold is written once: no two entries of a table
/// are equal, every entry is referred to, and the written report is the
/// same document as the one with every value in place, but smaller.
#[test]
fn the_tables_hold_each_value_once_and_every_entry_is_used() {
    let out = rbacscan()
        .args(["scan", "--demo", "-o", "json"])
        .output()
        .unwrap();
    let written: Value = serde_json::from_slice(&out.stdout).unwrap();
    let tables = TABLES;
    for table in tables {
        let entries = written[table]
            .as_array()
            .unwrap_or_else(|| panic!("{table}"));
        assert!(!entries.is_empty(), "{table}");
        let distinct: std::collections::BTreeSet<String> =
            entries.iter().map(|e| e.to_string()).collect();
        assert_eq!(distinct.len(), entries.len(), "{table} repeats an entry");
    }
    // Every entry is used: take the tables away, fill each position back
    // in, and count the entries seen.
    let inlined = inline(written.clone());
    for table in tables {
        assert!(inlined.get(table).is_none());
        for entry in written[table].as_array().unwrap() {
            let text = entry.to_string();
            let mut used = inlined["findings"].to_string().contains(&text)
                || inlined["pods"].to_string().contains(&text)
                || inlined["workloads"].to_string().contains(&text)
                || inlined["rules"].to_string().contains(&text)
                || inlined["nodes"].to_string().contains(&text);
            // A tokens-table entry refers to its ServiceAccount by position.
            if table == "tokens" {
                used = (inlined["pods"].as_array().unwrap().iter())
                    .chain(inlined["workloads"].as_array().unwrap())
                    .flat_map(|p| p["tokens"].as_array().cloned().unwrap_or_default())
                    .any(|t| t["source"] == entry["source"]);
            }
            assert!(used, "{table} entry {text} is not used");
        }
    }
    assert!(out.stdout.len() < inlined.to_string().len());
}
