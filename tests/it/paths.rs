//! `paths` and `path-to-cluster-admin`: hand-built clusters where the
//! shortest route is known, from one to four steps, and decoys with
//! scary-looking rules and no route.

use rbacscan::access::query::{Endpoint, parse_endpoint};
use rbacscan::ask::{Answered, Ask, answer};
use rbacscan::findings::Code;

use super::support::{analyze, binding, cluster_role, list, rbacscan, snapshot};

/// A ServiceAccount `kube-system/boss` holding cluster-admin, and its pod.
fn boss() -> Vec<String> {
    vec![
        cluster_role(
            "cluster-admin",
            r#"[{apiGroups: ["*"], resources: ["*"], verbs: ["*"]}, {nonResourceURLs: ["*"], verbs: ["*"]}]"#,
        ),
        binding(
            "ClusterRoleBinding",
            None,
            "boss",
            "ClusterRole",
            "cluster-admin",
            "[{kind: ServiceAccount, name: boss, namespace: kube-system}]",
        ),
        sa("kube-system", "boss"),
    ]
}

fn sa(ns: &str, name: &str) -> String {
    format!(
        "- {{apiVersion: v1, kind: ServiceAccount, metadata: {{name: {name}, namespace: {ns}}}}}\n"
    )
}

fn pod(ns: &str, name: &str, sa: &str, node: &str, extra: &str) -> String {
    format!(
        "- {{apiVersion: v1, kind: Pod, metadata: {{name: {name}, namespace: {ns}}}, spec: {{serviceAccountName: {sa}, nodeName: {node}, {extra} containers: [{{name: c, image: x}}]}}}}\n"
    )
}

fn role_in(ns: &str, name: &str, rules: &str) -> String {
    format!(
        "- {{apiVersion: rbac.authorization.k8s.io/v1, kind: Role, metadata: {{name: {name}, namespace: {ns}}}, rules: {rules}}}\n"
    )
}

/// The shortest route from `from` to cluster-admin, as (step kind, to).
fn route(yaml: &str, from: &str) -> Option<Vec<(String, String)>> {
    let mut snap = snapshot(yaml);
    let ask = Ask::Paths {
        from: Some(parse_endpoint(from).unwrap()),
        to: Endpoint::ClusterAdmin,
        max_hops: None,
        include_defaults: true,
        platforms: Vec::new(),
        operators: rbacscan::operators::Catalog::builtin(),
        cut: false,
    };
    let Answered::Paths(v) = answer(&mut snap, &ask).unwrap() else {
        panic!("not paths")
    };
    let p = v.paths.first()?;
    assert_eq!(p.hops, p.steps.len());
    Some(
        p.steps
            .iter()
            .map(|s| {
                let kind = serde_json::to_value(s.kind)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_string();
                (kind, s.to.to_string())
            })
            .collect(),
    )
}

/// What `rbacscan paths ARGS` prints, which must exit 0.
fn paths_ok(args: &[&str]) -> String {
    let r = rbacscan().arg("paths").args(args).output().unwrap();
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    String::from_utf8(r.stdout).unwrap()
}

fn kinds(r: &[(String, String)]) -> Vec<&str> {
    r.iter().map(|(k, _)| k.as_str()).collect()
}

#[test]
fn impersonating_a_powerful_user_is_two_steps() {
    let mut items = boss();
    items.push(cluster_role("imp", r#"[{apiGroups: [""], resources: [serviceaccounts], verbs: [impersonate], resourceNames: [boss]}]"#));
    items.push(binding(
        "ClusterRoleBinding",
        None,
        "imp",
        "ClusterRole",
        "imp",
        "[{kind: User, name: mallory}]",
    ));
    let r = route(&list(&items), "user:mallory").unwrap();
    assert_eq!(kinds(&r), ["impersonate", "holds-everything"]);
    assert_eq!(r[0].1, "ServiceAccount kube-system/boss");
}

#[test]
fn a_token_request_for_a_named_service_account_is_two_steps_and_other_names_are_decoys() {
    let mut items = boss();
    items.push(sa("kube-system", "nobody"));
    items.push(role_in("kube-system", "tok", r#"[{apiGroups: [""], resources: [serviceaccounts/token], verbs: [create], resourceNames: [boss]}]"#));
    items.push(binding(
        "RoleBinding",
        Some("kube-system"),
        "tok",
        "Role",
        "tok",
        "[{kind: ServiceAccount, name: ci, namespace: ci}]",
    ));
    items.push(role_in("kube-system", "tok2", r#"[{apiGroups: [""], resources: [serviceaccounts/token], verbs: [create], resourceNames: [nobody]}]"#));
    items.push(binding(
        "RoleBinding",
        Some("kube-system"),
        "tok2",
        "Role",
        "tok2",
        "[{kind: User, name: decoy}]",
    ));
    let y = list(&items);
    assert_eq!(
        kinds(&route(&y, "sa:ci/ci").unwrap()),
        ["request-token", "holds-everything"]
    );
    assert_eq!(route(&y, "user:decoy"), None);
}

#[test]
fn creating_pods_where_a_powerful_service_account_lives_is_two_steps_unless_the_rule_is_scoped_elsewhere()
 {
    let mut items = boss();
    items.push(cluster_role(
        "pod-creator",
        r#"[{apiGroups: [""], resources: [pods], verbs: [create]}]"#,
    ));
    items.push(binding(
        "RoleBinding",
        Some("kube-system"),
        "ci",
        "ClusterRole",
        "pod-creator",
        "[{kind: ServiceAccount, name: deployer, namespace: ci}]",
    ));
    // Decoys: the same role bound in another namespace; pod creation limited by names.
    items.push(binding(
        "RoleBinding",
        Some("sandbox"),
        "sb",
        "ClusterRole",
        "pod-creator",
        "[{kind: User, name: sandboxer}]",
    ));
    items.push(cluster_role(
        "named-pods",
        r#"[{apiGroups: [""], resources: [pods], verbs: [create], resourceNames: [boss-pod]}]"#,
    ));
    items.push(binding(
        "ClusterRoleBinding",
        None,
        "named",
        "ClusterRole",
        "named-pods",
        "[{kind: User, name: namer}]",
    ));
    let y = list(&items);
    let r = route(&y, "sa:ci/deployer").unwrap();
    assert_eq!(kinds(&r), ["create-workloads", "holds-everything"]);
    assert_eq!(r[0].1, "ServiceAccount kube-system/boss");
    assert_eq!(route(&y, "user:sandboxer"), None);
    assert_eq!(route(&y, "user:namer"), None);
}

#[test]
fn reading_a_legacy_token_secret_is_two_steps() {
    let mut items = boss();
    items.push("- {apiVersion: v1, kind: Secret, type: kubernetes.io/service-account-token, metadata: {name: boss-token, namespace: kube-system, annotations: {kubernetes.io/service-account.name: boss}}}\n".into());
    items.push(role_in(
        "kube-system",
        "read",
        r#"[{apiGroups: [""], resources: [secrets], verbs: [get], resourceNames: [boss-token]}]"#,
    ));
    items.push(binding(
        "RoleBinding",
        Some("kube-system"),
        "read",
        "Role",
        "read",
        "[{kind: User, name: reader}]",
    ));
    let r = route(&list(&items), "user:reader").unwrap();
    assert_eq!(kinds(&r), ["read-secrets", "holds-everything"]);
}

// No token Secret in the input: one created for the account is filled in by
// the token controller and read back by the name its creator chose.
#[test]
fn creating_a_token_secret_and_reading_it_back_is_two_steps_without_any_secret_in_the_input() {
    let mut items = boss();
    items.push(role_in(
        "kube-system",
        "mint",
        r#"[{apiGroups: [""], resources: [secrets], verbs: [create]}, {apiGroups: [""], resources: [secrets], verbs: [get], resourceNames: [mine]}]"#,
    ));
    items.push(binding(
        "RoleBinding",
        Some("kube-system"),
        "mint",
        "Role",
        "mint",
        "[{kind: User, name: minter}]",
    ));
    let r = route(&list(&items), "user:minter").unwrap();
    assert_eq!(kinds(&r), ["mint-token", "holds-everything"]);
    assert_eq!(r[0].1, "ServiceAccount kube-system/boss");
    // Creating alone, or reading alone, is no route.
    let mut create_only = boss();
    create_only.push(role_in(
        "kube-system",
        "mint",
        r#"[{apiGroups: [""], resources: [secrets], verbs: [create]}]"#,
    ));
    create_only.push(binding(
        "RoleBinding",
        Some("kube-system"),
        "mint",
        "Role",
        "mint",
        "[{kind: User, name: minter}]",
    ));
    assert!(route(&list(&create_only), "user:minter").is_none());
}

#[test]
fn a_group_grant_reaches_its_members_in_one_more_step_and_is_reported_at_the_group() {
    let mut items = boss();
    items.push(sa("apps", "web"));
    items.push(role_in(
        "kube-system",
        "tok",
        r#"[{apiGroups: [""], resources: [serviceaccounts/token], verbs: [create]}]"#,
    ));
    items.push(binding(
        "RoleBinding",
        Some("kube-system"),
        "all-apps",
        "Role",
        "tok",
        r#"[{kind: Group, name: "system:serviceaccounts:apps"}]"#,
    ));
    let y = list(&items);
    assert_eq!(
        kinds(&route(&y, "sa:apps/web").unwrap()),
        ["member-of", "request-token", "holds-everything"]
    );
    let a = analyze(&y);
    let from: Vec<String> = a
        .findings
        .iter()
        .filter(|f| f.code == Code::PathToClusterAdmin)
        .map(|f| f.path.as_ref().unwrap().from.to_string())
        .collect();
    assert_eq!(from, ["Group system:serviceaccounts:apps"]);
}

#[test]
fn bind_with_binding_creation_is_two_steps_and_bind_alone_is_a_decoy() {
    let mut items = boss();
    items.push(cluster_role("granter", r#"[{apiGroups: [rbac.authorization.k8s.io], resources: [clusterrolebindings], verbs: [create]}, {apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [bind], resourceNames: [cluster-admin]}]"#));
    items.push(binding(
        "ClusterRoleBinding",
        None,
        "granter",
        "ClusterRole",
        "granter",
        "[{kind: User, name: granter}]",
    ));
    items.push(cluster_role(
        "bind-only",
        r#"[{apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [bind]}]"#,
    ));
    items.push(binding(
        "ClusterRoleBinding",
        None,
        "bind-only",
        "ClusterRole",
        "bind-only",
        "[{kind: User, name: binder}]",
    ));
    let y = list(&items);
    let r = route(&y, "user:granter").unwrap();
    assert_eq!(kinds(&r), ["bind", "holds-everything"]);
    assert_eq!(r[0].1, "ClusterRole cluster-admin bound cluster-wide");
    assert_eq!(route(&y, "user:binder"), None);
}

#[test]
fn exec_into_a_pod_whose_token_creates_pods_next_to_the_boss_is_four_steps() {
    let mut items = boss();
    items.push(sa("ci", "runner"));
    items.push(pod("ci", "runner-1", "runner", "n1", ""));
    items.push(cluster_role(
        "pod-creator",
        r#"[{apiGroups: [""], resources: [pods], verbs: [create]}]"#,
    ));
    items.push(binding(
        "RoleBinding",
        Some("kube-system"),
        "runner",
        "ClusterRole",
        "pod-creator",
        "[{kind: ServiceAccount, name: runner, namespace: ci}]",
    ));
    items.push(role_in(
        "ci",
        "exec",
        r#"[{apiGroups: [""], resources: [pods/exec], verbs: [create]}]"#,
    ));
    items.push(binding(
        "RoleBinding",
        Some("ci"),
        "exec",
        "Role",
        "exec",
        "[{kind: User, name: dev}]",
    ));
    let y = list(&items);
    let r = route(&y, "user:dev").unwrap();
    assert_eq!(
        kinds(&r),
        [
            "control-pods",
            "pod-token",
            "create-workloads",
            "holds-everything"
        ]
    );
    assert_eq!(r[0].1, "Pod ci/runner-1");
    assert_eq!(
        kinds(&route(&y, "pod/ci/runner-1").unwrap()),
        ["pod-token", "create-workloads", "holds-everything"]
    );
}

#[test]
fn decoys_pods_star_an_unmounted_token_and_a_restricted_namespace_have_no_route() {
    let mut items = boss();
    items.push("- {apiVersion: v1, kind: Namespace, metadata: {name: locked, labels: {pod-security.kubernetes.io/enforce: restricted}}}\n".into());
    items.push(sa("ci", "runner"));
    // The boss's pod runs on n1 without a token; ci's runner has no power.
    items.push(pod(
        "kube-system",
        "boss-pod",
        "boss",
        "n1",
        "automountServiceAccountToken: false,",
    ));
    items.push(pod("ci", "runner-1", "runner", "n1", ""));
    items.push(cluster_role(
        "pods-star",
        r#"[{apiGroups: [""], resources: ["pods/*"], verbs: [create]}]"#,
    ));
    items.push(binding(
        "ClusterRoleBinding",
        None,
        "star",
        "ClusterRole",
        "pods-star",
        "[{kind: User, name: star}]",
    ));
    items.push(cluster_role(
        "exec-all",
        r#"[{apiGroups: [""], resources: [pods/exec], verbs: [create]}]"#,
    ));
    items.push(binding(
        "ClusterRoleBinding",
        None,
        "exec",
        "ClusterRole",
        "exec-all",
        "[{kind: User, name: execer}]",
    ));
    items.push(role_in(
        "locked",
        "mk",
        r#"[{apiGroups: [""], resources: [pods], verbs: [create]}]"#,
    ));
    items.push(binding(
        "RoleBinding",
        Some("locked"),
        "mk",
        "Role",
        "mk",
        "[{kind: User, name: locked-dev}]",
    ));
    let y = list(&items);
    assert_eq!(route(&y, "user:star"), None);
    assert_eq!(
        route(&y, "user:execer"),
        None,
        "the boss's token is not mounted"
    );
    assert_eq!(
        route(&y, "user:locked-dev"),
        None,
        "restricted: no privileged pod"
    );
}

#[test]
fn relabelling_a_restricted_namespace_lifts_pod_security_and_reaches_the_node() {
    let mut items = boss();
    items.push("- {apiVersion: v1, kind: Namespace, metadata: {name: locked, labels: {pod-security.kubernetes.io/enforce: restricted}}}\n".into());
    items.push(pod("kube-system", "boss-pod", "boss", "n1", ""));
    items.push(cluster_role(
        "ns-admin",
        r#"[{apiGroups: ["*"], resources: ["*"], verbs: ["*"]}]"#,
    ));
    items.push(binding(
        "RoleBinding",
        Some("locked"),
        "adm",
        "ClusterRole",
        "ns-admin",
        "[{kind: User, name: ns-admin}]",
    ));
    let y = list(&items);
    let r = route(&y, "user:ns-admin").unwrap();
    assert_eq!(
        kinds(&r),
        ["lift-pod-security", "node-token", "holds-everything"]
    );
    assert_eq!(r[0].1, "Node n1");
}

#[test]
fn paths_to_other_targets_and_every_export_work_on_the_demo() {
    let demo = super::support::demo_path();
    let run = |args: &[&str]| paths_ok(&[&["-f", &demo][..], args].concat());
    let v: serde_json::Value = serde_json::from_str(&run(&["-o", "json"])).unwrap();
    let paths = v["paths"].as_array().unwrap();
    assert!(!paths.is_empty());
    let hops: Vec<u64> = paths.iter().map(|p| p["hops"].as_u64().unwrap()).collect();
    assert!(
        hops.windows(2).all(|w| w[0] <= w[1]),
        "shortest first: {hops:?}"
    );
    for p in paths {
        assert!(p["from"]["kind"].is_string() && p["to"]["kind"] == "ClusterAdmin");
        for s in p["steps"].as_array().unwrap() {
            assert!(s["kind"].is_string() && s["from"].is_object() && s["to"].is_object());
            assert!(s["text"].as_str().unwrap().len() > 10);
        }
    }
    let short: serde_json::Value =
        serde_json::from_str(&run(&["-o", "json", "--max-hops", "1"])).unwrap();
    assert!(
        short["paths"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["hops"] == 1)
    );
    let to_secrets: serde_json::Value =
        serde_json::from_str(&run(&["-o", "json", "--to", "secrets/shop"])).unwrap();
    assert_eq!(to_secrets["target"]["kind"], "Secrets");
    assert!(!to_secrets["paths"].as_array().unwrap().is_empty());
    let dot = run(&["-o", "dot", "--from", "sa:dev-team/builder"]);
    assert!(
        dot.starts_with("digraph rbacscan {") && dot.contains("->"),
        "{dot}"
    );
    let mm = run(&["-o", "mermaid", "--from", "sa:dev-team/builder"]);
    assert!(mm.starts_with("flowchart LR") && mm.contains("-->"), "{mm}");
    let table = run(&["--from", "user:support@example.com"]);
    assert!(
        table.contains("create pods/exec runner-7f9c8-abcde in ci"),
        "{table}"
    );
}

#[test]
fn paths_export_bloodhound_opengraph_and_neo4j_cypher_of_the_same_graph() {
    let run = |args: &[&str]| paths_ok(&[&["--demo"][..], args].concat());
    let kind = |k: &str| {
        k.starts_with("K8s_") && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    };
    let og: serde_json::Value = serde_json::from_str(&run(&["-o", "opengraph"])).unwrap();
    assert_eq!(og["metadata"]["source_kind"], "K8s");
    let nodes = og["graph"]["nodes"].as_array().unwrap();
    let edges = og["graph"]["edges"].as_array().unwrap();
    assert!(!nodes.is_empty() && !edges.is_empty());
    let ids: std::collections::HashSet<&str> =
        nodes.iter().map(|n| n["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), nodes.len(), "unique ids");
    assert!(ids.contains("k8s:ServiceAccount:ci/deployer"), "{ids:?}");
    for n in nodes {
        let kinds = n["kinds"].as_array().unwrap();
        assert!(!kinds.is_empty() && kinds.iter().all(|k| kind(k.as_str().unwrap())));
        assert!(n["properties"]["name"].is_string(), "{n}");
    }
    for e in edges {
        assert!(kind(e["kind"].as_str().unwrap()), "{e}");
        for end in ["start", "end"] {
            assert_eq!(e[end]["match_by"], "id");
            assert!(ids.contains(e[end]["value"].as_str().unwrap()), "{e}");
        }
    }
    let exec = edges.iter().find(|e| {
        e["kind"] == "K8s_ControlPods"
            && e["start"]["value"] == "k8s:User:support@example.com"
            && e["end"]["value"] == "k8s:Pod:ci/runner-7f9c8-abcde"
    });
    let exec = &exec.expect("support's exec into the runner")["properties"];
    assert_eq!(
        exec["permissions"][0],
        "create pods/exec runner-7f9c8-abcde"
    );
    assert_eq!(exec["namespace"], "ci");
    assert_eq!(exec["technique"], "control-pods");
    assert!(
        exec["grantedby"][0]
            .as_str()
            .unwrap()
            .starts_with("RoleBinding ci/support-exec → Role ci/support-exec #"),
        "{exec}"
    );
    // The same graph as a Cypher script: one MERGE per node and per edge.
    let cypher = run(&["-o", "cypher"]);
    let lines: Vec<&str> = cypher.lines().collect();
    assert!(lines[0].starts_with("// ") && lines[2].starts_with("CREATE CONSTRAINT"));
    let merges = |prefix: &str| lines.iter().filter(|l| l.starts_with(prefix)).count();
    assert_eq!(merges("MERGE (n:K8s {objectid: '"), nodes.len(), "{cypher}");
    assert_eq!(merges("MATCH (a:K8s {objectid: '"), edges.len(), "{cypher}");
    assert_eq!(lines.len(), 3 + nodes.len() + edges.len());
    assert!(lines[2..].iter().all(|l| l.ends_with(';')));
    // --from narrows both to one route.
    let one: serde_json::Value =
        serde_json::from_str(&run(&["-o", "opengraph", "--from", "sa:dev-team/builder"])).unwrap();
    assert!(one["graph"]["nodes"].as_array().unwrap().len() < nodes.len());
    // The other questions have no routes to export.
    let r = rbacscan()
        .args(["who-can", "get", "pods", "--demo", "-o", "cypher"])
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(2));
}

#[test]
fn the_readme_route_table_lists_every_technique_with_its_gate() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    for t in rbacscan::access::model::Technique::ALL {
        let row = format!("\n| `{}` | ", t.as_str());
        let at = readme
            .find(&row)
            .unwrap_or_else(|| panic!("the README's route table has no row for {}", t.as_str()));
        // A row with its three cells: the step, from → to, and when.
        let line = readme[at + 1..].lines().next().unwrap_or_default();
        assert!(
            line.matches(" | ").count() >= 2 && line.contains('→'),
            "{line}"
        );
    }
}

/// A control-plane Node (kubeadm's label and taint) and a worker.
const NODES: &str = "- {apiVersion: v1, kind: Node, metadata: {name: cp-1, labels: {node-role.kubernetes.io/control-plane: ''}}, spec: {taints: [{key: node-role.kubernetes.io/control-plane, effect: NoSchedule}]}}\n- {apiVersion: v1, kind: Node, metadata: {name: worker-1}}\n";

/// Managed clusters (EKS, GKE, AKS) show only workers.
const MANAGED_NODES: &str = "- {apiVersion: v1, kind: Node, metadata: {name: worker-1, labels: {eks.amazonaws.com/nodegroup: ng-1}}}\n- {apiVersion: v1, kind: Node, metadata: {name: worker-2}}\n";

fn cluster(items: &[String]) -> String {
    format!("apiVersion: v1\nkind: List\nitems:\n{}", items.concat())
}

#[test]
fn a_pods_creator_reaches_the_control_plane_node_by_choosing_it_and_a_managed_cluster_has_none() {
    // eve may create pods in ci, which enforces no Pod Security level: a
    // privileged pod with nodeName cp-1 (taints do not stop nodeName)
    // takes the control-plane node, which is cluster-admin.
    let eve = |nodes: &str| {
        cluster(&[
            role_in(
                "ci",
                "pods",
                "[{apiGroups: [''], resources: [pods], verbs: [create]}]",
            ),
            binding(
                "RoleBinding",
                Some("ci"),
                "eve-pods",
                "Role",
                "pods",
                "[{kind: User, name: eve, apiGroup: rbac.authorization.k8s.io}]",
            ),
            nodes.to_string(),
        ])
    };
    let r = route(&eve(NODES), "user:eve").expect("a route through the control-plane node");
    assert_eq!(
        kinds(&r),
        ["create-workloads", "privileged-pod", "control-plane-node"],
        "{r:?}"
    );
    assert!(r[1].1.contains("cp-1"), "{r:?}");
    // No control-plane node in the input: no such route is invented.
    assert_eq!(route(&eve(MANAGED_NODES), "user:eve"), None);
}

#[test]
fn an_existing_pod_reaches_only_the_nodes_it_runs_on_or_is_pinned_to() {
    let escaping = "hostPID: true,";
    // A privileged pod on a worker has no route; one pinned to the
    // control-plane node by nodeName has.
    let on = |node: &str| {
        cluster(&[
            sa("ops", "agent"),
            pod("ops", "agent", "agent", node, escaping),
            NODES.to_string(),
        ])
    };
    assert_eq!(route(&on("worker-1"), "pod/ops/agent"), None);
    let r = route(&on("cp-1"), "pod/ops/agent").expect("a route from the pinned pod");
    assert_eq!(kinds(&r), ["escape-to-node", "control-plane-node"], "{r:?}");
}

/// The graph built with the techniques reading the RBAC index beside the
/// capability nodes' expansions is the graph built one step after the
/// other (index, expansions, techniques, memberships): the same nodes and
/// the same edges, in the same order.
#[test]
fn the_graph_built_beside_the_expansions_is_the_one_built_in_turn() {
    use rbacscan::access::graph::AccessGraph;
    use rbacscan::access::{build_graph_with, techniques};
    use rbacscan::rbac::Rbac;
    let demo = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/demo-cluster.yaml"
    ))
    .unwrap();
    // A pod that reads the kubelet's directory, and a cloud identity.
    let extra = list(&[
        pod(
            "kube-system",
            "log-reader",
            "boss",
            "node-a",
            "volumes: [{name: k, hostPath: {path: /var/lib/kubelet}}],",
        ),
        "- {apiVersion: v1, kind: ServiceAccount, metadata: {name: uploader, namespace: ci, annotations: {eks.amazonaws.com/role-arn: 'arn:aws:iam::1:role/up'}}}\n".to_string(),
    ]);
    let mut loader = rbacscan::source::files::Loader::new();
    loader.add_text("demo.yaml", &demo).unwrap();
    loader.add_text("extra.yaml", &extra).unwrap();
    let mut snap = loader.finish().unwrap().snapshot;
    let workloads = snap.take_workloads();
    let exposures = rbacscan::workloads::exposure::expose(&snap, &workloads);
    let rbac = Rbac::resolve(&snap);
    let beside = build_graph_with(&snap, &rbac, &exposures, &[]);
    let mut in_turn = AccessGraph::with_capabilities(&snap, &rbac, &exposures);
    let steps = techniques::steps(&in_turn, &snap, &rbac, &[]);
    in_turn.add_steps(steps);
    in_turn.add_memberships();
    let nodes = |g: &AccessGraph| g.graph().node_weights().cloned().collect::<Vec<_>>();
    let edges = |g: &AccessGraph| {
        (g.graph().raw_edges().iter())
            .map(|e| (e.source(), e.target(), format!("{:?}", e.weight)))
            .collect::<Vec<_>>()
    };
    assert!(
        beside.graph().edge_count() > 100,
        "a graph with pods and steps"
    );
    assert_eq!(nodes(&beside), nodes(&in_turn));
    assert_eq!(edges(&beside), edges(&in_turn));
}
