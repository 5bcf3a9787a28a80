//! `who-can`: one test per rule of the RBAC authorizer, each written from
//! the Kubernetes documentation ("Using RBAC Authorization") and the
//! authorizer's source (`RuleAllows`, `appliesTo`, `VisitRulesFor`), not
//! from our code's behaviour.

use rbacscan::access::query::{parse_resource, parse_verb};
use rbacscan::access::who_can::Question;
use rbacscan::ask::{Answered, Ask, answer};

use super::support::{binding, cluster_role, list, rbacscan, snapshot};

/// The subjects allowed `verb resource [name]` (in `ns`), as `Kind name`
/// (`ServiceAccount ns/name`), without the implicit `system:masters`.
fn who(
    yaml: &str,
    verb: &str,
    resource: &str,
    name: Option<&str>,
    ns: Option<&str>,
) -> Vec<String> {
    let mut snap = snapshot(yaml);
    let r = parse_resource(resource).unwrap();
    let ask = Ask::WhoCan {
        question: Question {
            verb: parse_verb(verb).unwrap(),
            resource: r.resource,
            name: name.map(String::from),
            namespace: ns.map(String::from),
        },
        assumed_core: r.assumed_core,
    };
    let Answered::WhoCan(v) = answer(&mut snap, &ask).unwrap() else {
        panic!("not a who-can answer")
    };
    assert_eq!(v.subjects[0].name, "system:masters");
    assert!(v.subjects[0].implicit);
    v.subjects[1..]
        .iter()
        .map(|s| match &s.namespace {
            Some(ns) => format!("{} {ns}/{}", s.kind, s.name),
            None => format!("{} {}", s.kind, s.name),
        })
        .collect()
}

fn bound(role: &str, rules: &str, user: &str) -> Vec<String> {
    vec![
        cluster_role(role, rules),
        binding(
            "ClusterRoleBinding",
            None,
            role,
            "ClusterRole",
            role,
            &format!("[{{kind: User, name: {user}}}]"),
        ),
    ]
}

#[test]
fn a_star_matches_every_verb_group_and_resource_but_a_star_request_only_a_star_rule() {
    let mut items = bound(
        "all",
        r#"[{apiGroups: ["*"], resources: ["*"], verbs: ["*"]}]"#,
        "root",
    );
    items.extend(bound(
        "reader",
        r#"[{apiGroups: [""], resources: [pods], verbs: [get, list]}]"#,
        "reader",
    ));
    let y = list(&items);
    assert_eq!(
        who(&y, "get", "pods", None, None),
        ["User reader", "User root"]
    );
    assert_eq!(
        who(&y, "delete", "deployments.apps", None, None),
        ["User root"]
    );
    // "*" as the verb is the literal verb `*`: only a `*` rule allows it.
    assert_eq!(who(&y, "*", "pods", None, None), ["User root"]);
    assert_eq!(who(&y, "get", "*", None, None), ["User root"]);
}

#[test]
fn subresources_need_their_own_rule_and_star_slash_sub_matches_any_resource() {
    let mut items = bound(
        "pods-only",
        r#"[{apiGroups: [""], resources: [pods], verbs: ["*"]}]"#,
        "a",
    );
    items.extend(bound(
        "any-scale",
        r#"[{apiGroups: ["*"], resources: ["*/scale"], verbs: [update]}]"#,
        "b",
    ));
    items.extend(bound(
        "pods-star",
        r#"[{apiGroups: [""], resources: ["pods/*"], verbs: [create]}]"#,
        "c",
    ));
    items.extend(bound(
        "exec",
        r#"[{apiGroups: [""], resources: [pods/exec], verbs: [create]}]"#,
        "d",
    ));
    let y = list(&items);
    assert_eq!(who(&y, "create", "pods/exec", Some("p"), None), ["User d"]);
    assert_eq!(
        who(&y, "update", "deployments.apps/scale", Some("web"), None),
        ["User b"]
    );
    assert!(who(&y, "update", "deployments.apps", Some("web"), None).is_empty());
    // `pods/*` is not a wildcard: it matches only a subresource literally named `*`.
    assert_eq!(who(&y, "create", "pods/*", Some("p"), None), ["User c"]);
}

#[test]
fn resource_names_allow_only_those_names_and_never_a_create_in_a_collection() {
    let mut items = bound(
        "named",
        r#"[{apiGroups: [""], resources: [secrets, pods, pods/exec, serviceaccounts/token], resourceNames: [app], verbs: [get, create]}]"#,
        "n",
    );
    items.extend(bound(
        "empty-name",
        r#"[{apiGroups: [""], resources: [secrets], resourceNames: [""], verbs: [list]}]"#,
        "e",
    ));
    let y = list(&items);
    assert_eq!(who(&y, "get", "secrets", Some("app"), None), ["User n"]);
    assert!(who(&y, "get", "secrets", Some("db"), None).is_empty());
    // A request without a name is not allowed by a rule with names...
    assert!(who(&y, "get", "secrets", None, None).is_empty());
    // ... and a create in a collection never carries one, whatever is asked.
    assert!(who(&y, "create", "pods", Some("app"), None).is_empty());
    // A create on a named object's subresource does.
    assert_eq!(
        who(&y, "create", "pods/exec", Some("app"), None),
        ["User n"]
    );
    assert_eq!(
        who(&y, "create", "serviceaccounts/token", Some("app"), None),
        ["User n"]
    );
    // The empty name matches a request with no name.
    assert_eq!(who(&y, "list", "secrets", None, None), ["User e"]);
}

#[test]
fn non_resource_urls_match_exactly_or_by_a_trailing_star_prefix() {
    let mut items = bound(
        "metrics",
        r#"[{nonResourceURLs: ["/metrics"], verbs: [get]}]"#,
        "m",
    );
    items.extend(bound(
        "api",
        r#"[{nonResourceURLs: ["/api/*"], verbs: [get]}]"#,
        "a",
    ));
    items.extend(bound(
        "res",
        r#"[{apiGroups: ["*"], resources: ["*"], verbs: [get]}]"#,
        "r",
    ));
    let y = list(&items);
    assert_eq!(who(&y, "get", "/metrics", None, None), ["User m"]);
    assert!(who(&y, "get", "/metrics/cadvisor", None, None).is_empty());
    assert_eq!(who(&y, "get", "/api/v1", None, None), ["User a"]);
    assert!(who(&y, "get", "/apis", None, None).is_empty());
    assert!(who(&y, "post", "/metrics", None, None).is_empty());
}

#[test]
fn role_bindings_allow_only_requests_in_their_namespace_and_never_cluster_scoped_ones() {
    let items = vec![
        cluster_role(
            "reader",
            r#"[{apiGroups: [""], resources: [pods, nodes], verbs: [get]}]"#,
        ),
        binding(
            "RoleBinding",
            Some("shop"),
            "r",
            "ClusterRole",
            "reader",
            "[{kind: ServiceAccount, name: app}]",
        ),
        binding(
            "ClusterRoleBinding",
            None,
            "g",
            "ClusterRole",
            "reader",
            "[{kind: Group, name: ops}]",
        ),
    ];
    let y = list(&items);
    assert_eq!(
        who(&y, "get", "pods", None, Some("shop")),
        ["ServiceAccount shop/app", "Group ops"]
    );
    assert_eq!(who(&y, "get", "pods", None, Some("dev")), ["Group ops"]);
    // Without a namespace (kubectl auth can-i -A), only ClusterRoleBindings.
    assert_eq!(who(&y, "get", "pods", None, None), ["Group ops"]);
    // Nodes are cluster-scoped: a request for them carries no namespace.
    assert_eq!(who(&y, "get", "nodes", None, Some("shop")), ["Group ops"]);
}

#[test]
fn bind_on_a_cluster_role_is_granted_in_a_namespace_by_a_role_binding() {
    let items = vec![
        cluster_role(
            "binder",
            r#"[{apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [bind], resourceNames: [edit]}]"#,
        ),
        binding(
            "RoleBinding",
            Some("shop"),
            "b",
            "ClusterRole",
            "binder",
            "[{kind: User, name: lead}]",
        ),
    ];
    let y = list(&items);
    assert_eq!(
        who(&y, "bind", "clusterroles", Some("edit"), Some("shop")),
        ["User lead"]
    );
    assert!(who(&y, "bind", "clusterroles", Some("edit"), None).is_empty());
}

#[test]
fn groups_are_listed_as_the_bindings_name_them_and_service_account_users_are_service_accounts() {
    let items = vec![
        cluster_role(
            "r",
            r#"[{apiGroups: [""], resources: [configmaps], verbs: [get]}]"#,
        ),
        binding(
            "ClusterRoleBinding",
            None,
            "b",
            "ClusterRole",
            "r",
            r#"[{kind: Group, name: "system:serviceaccounts:shop"}, {kind: Group, name: "system:authenticated"}, {kind: User, name: "system:serviceaccount:ci:bot"}]"#,
        ),
    ];
    assert_eq!(
        who(&list(&items), "get", "configmaps", None, None),
        [
            "ServiceAccount ci/bot",
            "Group system:authenticated",
            "Group system:serviceaccounts:shop"
        ]
    );
}

#[test]
fn aggregated_cluster_roles_allow_their_selected_rules_and_empty_api_groups_match_nothing() {
    let items = vec![
        "- {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: agg}, aggregationRule: {clusterRoleSelectors: [{matchLabels: {part: x}}]}, rules: []}\n".to_string(),
        "- {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: piece, labels: {part: x}}, rules: [{apiGroups: [apps], resources: [deployments], verbs: [patch]}]}\n".to_string(),
        cluster_role("no-groups", r#"[{resources: [pods], verbs: [get]}]"#),
        binding("ClusterRoleBinding", None, "a", "ClusterRole", "agg", "[{kind: User, name: agg-user}]"),
        binding("ClusterRoleBinding", None, "n", "ClusterRole", "no-groups", "[{kind: User, name: no-groups-user}]"),
    ];
    let y = list(&items);
    assert_eq!(
        who(&y, "patch", "deployments", None, None),
        ["User agg-user"]
    );
    assert!(who(&y, "get", "pods", None, None).is_empty());
}

#[test]
fn who_can_json_names_every_subject_with_its_grounds_and_bad_questions_exit_2() {
    // `GET` and `Pods` were refused here once; they are requests the
    // authorizer answers (see `odd_verbs_and_resources_are_answered_...`).
    let demo = super::support::demo_path();
    let r = rbacscan()
        .args([
            "who-can",
            "create",
            "pods/exec",
            "runner-7f9c8-abcde",
            "-n",
            "ci",
            "-f",
            &demo,
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(v["command"], "who-can");
    assert_eq!(v["request"]["subresource"], "exec");
    let subjects = v["subjects"].as_array().unwrap();
    assert_eq!(subjects[0]["name"], "system:masters");
    assert_eq!(subjects[0]["implicit"], true);
    let support = subjects
        .iter()
        .find(|s| s["name"] == "support@example.com")
        .expect("the named exec grant");
    assert_eq!(support["kind"], "User");
    assert_eq!(support["grantedBy"][0]["binding"]["name"], "support-exec");
    assert_eq!(support["grantedBy"][0]["ruleIndex"], 0);
    for (args, says) in [
        (vec!["who-can", "", "pods"], "the verb is empty"),
        (vec!["who-can", "get", ""], "the resource is empty"),
        (vec!["who-can", "get", "pods/"], "subresource"),
        (vec!["who-can", "get", "pods/exec/x"], "at most one slash"),
        (
            vec!["who-can", "get", "pods", "-n", "Bad_NS"],
            "not a valid namespace",
        ),
        (vec!["access", "alice"], "not a subject"),
        (vec!["access", "robot:x"], "unknown subject kind"),
        (vec!["paths", "--from", "pod/ci"], "expected"),
        (
            vec!["paths", "--from", "pod/ci/nope"],
            "Pod ci/nope is not in the input",
        ),
        (
            vec!["paths", "--to", "node/nowhere"],
            "Node nowhere is not in the input",
        ),
    ] {
        let mut a = args.clone();
        a.extend(["-f", &demo]);
        let r = rbacscan().args(&a).output().unwrap();
        let err = String::from_utf8_lossy(&r.stderr);
        assert_eq!(r.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(err.starts_with("rbacscan: "), "{args:?}: {err}");
        assert!(r.stdout.is_empty(), "{args:?}");
    }
}

/// `who-can` on a small cluster: a rule per way of writing a verb, each
/// bound to its own user.
fn odd_cluster() -> (tempfile::TempDir, String) {
    let items = [
        bound(
            "lower",
            r#"[{apiGroups: [""], resources: [pods], verbs: [get]}]"#,
            "lower",
        ),
        bound(
            "star",
            r#"[{apiGroups: [""], resources: [pods], verbs: ["*"]}]"#,
            "star",
        ),
        bound(
            "upper",
            r#"[{apiGroups: [""], resources: [pods], verbs: [GET]}]"#,
            "upper",
        ),
        bound(
            "anything",
            r#"[{apiGroups: ["*"], resources: ["*"], verbs: [get]}]"#,
            "anything",
        ),
    ]
    .concat();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cluster.yaml");
    std::fs::write(&path, list(&items)).unwrap();
    let path = path.to_string_lossy().into_owned();
    (dir, path)
}

/// The users of a `who-can -o json` answer, without `system:masters`.
fn users(stdout: &[u8]) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_slice(stdout).unwrap();
    let subjects = v["subjects"].as_array().unwrap();
    assert_eq!(subjects[0]["name"], "system:masters");
    subjects[1..]
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn odd_verbs_and_resources_are_answered_as_the_authorizer_compares_them_and_warned_about() {
    // The RBAC authorizer compares verbs and resources exactly
    // (`VerbMatches`, `ResourceMatches`): `verbs: [get]` does not allow
    // `GET`, `*` allows anything, `Pods` is not `pods`.
    let (_dir, file) = odd_cluster();
    let ask = |args: &[&str]| {
        let mut a = vec!["who-can"];
        a.extend_from_slice(args);
        a.extend(["-f", &file, "-o", "json"]);
        rbacscan().args(&a).output().unwrap()
    };
    let r = ask(&["GET", "pods"]);
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(0), "{err}");
    assert_eq!(users(&r.stdout), ["star", "upper"]);
    assert_eq!(
        err,
        "rbacscan: warning: verb \"GET\" is not one the API server uses (verbs are lower-case): did you mean get?\n"
    );
    let r = ask(&["get", "pods"]);
    assert_eq!(r.status.code(), Some(0));
    assert_eq!(users(&r.stdout), ["anything", "lower", "star"]);
    assert!(
        r.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    let r = ask(&["get", "Pods"]);
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(0), "{err}");
    assert_eq!(users(&r.stdout), ["anything"]);
    assert!(err.contains("resource \"Pods\""), "{err}");
    assert!(err.contains("did you mean pods?"), "{err}");
    // Kubernetes' own authorizer tests ask `verb1` on `resource1`.
    let r = ask(&["verb1", "resource1"]);
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(0), "{err}");
    assert!(users(&r.stdout).is_empty());
    assert!(
        err.contains("verb \"verb1\" is not one the API server uses"),
        "{err}"
    );
    assert!(!err.contains("did you mean"), "{err}");
    // A special verb is known: no warning.
    let r = ask(&["use", "podsecuritypolicies.policy"]);
    assert_eq!(r.status.code(), Some(0));
    assert!(
        r.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    // --quiet leaves the warning out, not the answer.
    let r = ask(&["GET", "pods", "-q"]);
    assert_eq!(r.status.code(), Some(0));
    assert_eq!(users(&r.stdout), ["star", "upper"]);
    assert!(
        r.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
}

#[test]
fn who_can_on_the_demo_answers_get_in_capitals_and_refuses_two_slashes_in_one_line() {
    let r = rbacscan()
        .args(["who-can", "GET", "pods", "--demo"])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&r.stdout);
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(0), "{err}");
    assert!(out.starts_with("who can GET pods cluster-wide"), "{out}");
    // cluster-admin's rule is `*`: it allows the verb `GET` too.
    assert!(out.contains("ServiceAccount ci/deployer"), "{out}");
    assert!(err.contains("did you mean get"), "{err}");
    let r = rbacscan()
        .args(["who-can", "get", "pods/exec/x", "--demo"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{err}");
    assert!(r.stdout.is_empty());
    // One line names what is wrong; clap adds only its `--help` hint.
    let said: Vec<&str> = err
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with("For more information"))
        .collect();
    assert_eq!(said.len(), 1, "{err}");
    assert!(said[0].starts_with("rbacscan: error: "), "{err}");
    assert!(said[0].contains("pods/exec/x"), "{err}");
    assert!(said[0].contains("at most one slash"), "{err}");
}
