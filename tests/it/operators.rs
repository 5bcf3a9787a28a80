//! Operators acting for others, through the real binary: the catalog's
//! entries present and unlocked, without their CRD, without a running
//! controller, and locked down; where an operator takes its resources
//! from; a catalog of one's own and a broken one.

use serde_json::Value;

use super::support::rbacscan;

const ADMIN: &str = r#"
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRole
  metadata: {name: cluster-admin}
  rules: [{apiGroups: ["*"], resources: ["*"], verbs: ["*"]}]
"#;

/// A CRD by name.
fn crd(name: &str) -> String {
    format!(
        "- apiVersion: apiextensions.k8s.io/v1\n  kind: CustomResourceDefinition\n  metadata: {{name: {name}}}\n"
    )
}

/// A Deployment in `ns` running as ServiceAccount `sa`, with `args`, bound
/// to cluster-admin.
fn controller(ns: &str, sa: &str, replicas: u32, args: &str) -> String {
    format!(
        r#"- apiVersion: v1
  kind: ServiceAccount
  metadata: {{name: {sa}, namespace: {ns}}}
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRoleBinding
  metadata: {{name: {sa}-admin}}
  roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}}
  subjects: [{{kind: ServiceAccount, name: {sa}, namespace: {ns}}}]
- apiVersion: apps/v1
  kind: Deployment
  metadata: {{name: {sa}, namespace: {ns}}}
  spec:
    replicas: {replicas}
    selector: {{matchLabels: {{app: {sa}}}}}
    template:
      spec:
        serviceAccountName: {sa}
        containers: [{{name: manager, args: [{args}]}}]
"#
    )
}

/// A Role in `ns` granting `verbs` on `resource` of `group` to user alice.
fn tenant(ns: &str, group: &str, resource: &str, verbs: &str) -> String {
    format!(
        r#"- apiVersion: rbac.authorization.k8s.io/v1
  kind: Role
  metadata: {{name: tenant, namespace: {ns}}}
  rules: [{{apiGroups: ["{group}"], resources: [{resource}], verbs: [{verbs}]}}]
- apiVersion: rbac.authorization.k8s.io/v1
  kind: RoleBinding
  metadata: {{name: tenant, namespace: {ns}}}
  roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: tenant}}
  subjects: [{{kind: User, name: alice, apiGroup: rbac.authorization.k8s.io}}]
"#
    )
}

fn cluster(parts: &[String]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let yaml = format!(
        "apiVersion: v1\nkind: List\nitems:\n{ADMIN}{}",
        parts.concat()
    );
    std::fs::write(dir.path().join("c.yaml"), yaml).unwrap();
    dir
}

/// `paths --from user:alice -o json` on `parts`: alice's routes.
fn alice(parts: &[String], extra: &[&str]) -> Vec<Value> {
    let dir = cluster(parts);
    let out = rbacscan()
        .args(["paths", "--from", "user:alice", "-o", "json", "-f"])
        .arg(dir.path().join("c.yaml"))
        .args(extra)
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["paths"].as_array().cloned().unwrap_or_default()
}

/// The scan's notes on `parts`.
fn notes(parts: &[String]) -> Vec<String> {
    let dir = cluster(parts);
    let out = rbacscan()
        .args(["scan", "-o", "json", "-q", "-f"])
        .arg(dir.path().join("c.yaml"))
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    (v["notes"].as_array().unwrap().iter())
        .map(|n| n.as_str().unwrap().to_string())
        .collect()
}

fn kinds(route: &Value) -> Vec<String> {
    (route["steps"].as_array().unwrap().iter())
        .map(|s| s["kind"].as_str().unwrap().to_string())
        .collect()
}

const KUSTOMIZATIONS: &str = "kustomizations.kustomize.toolkit.fluxcd.io";

fn flux(args: &str) -> Vec<String> {
    vec![
        crd(KUSTOMIZATIONS),
        controller("flux-system", "kustomize-controller", 1, args),
        tenant(
            "team-a",
            "kustomize.toolkit.fluxcd.io",
            "kustomizations",
            "create",
        ),
    ]
}

#[test]
fn a_kustomization_writer_becomes_the_flux_controller_and_cluster_admin() {
    let routes = alice(&flux("--watch-all-namespaces=true"), &[]);
    assert_eq!(routes.len(), 1, "{routes:?}");
    assert_eq!(kinds(&routes[0]), ["operator", "holds-everything"]);
    let step = &routes[0]["steps"][0];
    assert_eq!(step["to"]["name"], "kustomize-controller");
    assert_eq!(step["permissions"][0], format!("create {KUSTOMIZATIONS}"));
    // The step names the CR type, the controller and the power used.
    let text = step["text"].as_str().unwrap();
    for part in [
        "Flux kustomize-controller",
        "Deployment flux-system/kustomize-controller",
        "applies what kustomizations say as its own ServiceAccount",
    ] {
        assert!(text.contains(part), "{part} missing from {text}");
    }
}

#[test]
fn without_the_crd_or_a_running_controller_there_is_no_route_and_the_scan_says_why() {
    // No CRD.
    let mut parts = flux("");
    parts.remove(0);
    assert!(alice(&parts, &[]).is_empty());
    // The CRD, but the controller scaled to zero.
    let parts = vec![
        crd(KUSTOMIZATIONS),
        controller("flux-system", "kustomize-controller", 0, ""),
        tenant(
            "team-a",
            "kustomize.toolkit.fluxcd.io",
            "kustomizations",
            "create",
        ),
    ];
    assert!(alice(&parts, &[]).is_empty());
    let notes = notes(&parts);
    assert!(
        notes.iter().any(|n| n.contains(
            "flux-kustomize-controller: its CRDs exist but no controller runs as ServiceAccount kustomize-controller"
        )),
        "{notes:?}"
    );
}

#[test]
fn flux_locked_down_gives_only_the_tenants_own_service_accounts() {
    // With --default-service-account, a Kustomization acts as an account
    // of its own namespace: alice reaches team-a's ServiceAccounts (one of
    // which is bound to cluster-admin here), not the controller.
    let mut parts = flux("--default-service-account=default, --no-cross-namespace-refs=true");
    let routes = alice(&parts, &[]);
    assert!(routes.is_empty(), "{routes:?}");
    parts.push(controller("team-a", "deployer", 1, ""));
    let routes = alice(&parts, &[]);
    assert_eq!(routes.len(), 1, "{routes:?}");
    let step = &routes[0]["steps"][0];
    assert_eq!(step["kind"], "operator");
    // The step reaches the account of team-a it leads to.
    assert_eq!(step["to"]["name"], "deployer");
    assert_eq!(step["to"]["namespace"], "team-a");
    assert!(
        step["text"]
            .as_str()
            .unwrap()
            .contains("--default-service-account"),
        "{step}"
    );
    // Turned off explicitly, the flag is no lockdown.
    let routes = alice(&flux("--default-service-account=false"), &[]);
    assert_eq!(routes[0]["steps"][0]["to"]["name"], "kustomize-controller");
}

#[test]
fn argo_cd_takes_applications_from_its_own_namespace_unless_told_otherwise() {
    let argo = |args: &str, ns: &str| {
        vec![
            crd("applications.argoproj.io"),
            controller("argocd", "argocd-application-controller", 1, args),
            tenant(ns, "argoproj.io", "applications", "create"),
        ]
    };
    assert!(alice(&argo("", "team-a"), &[]).is_empty());
    assert_eq!(alice(&argo("", "argocd"), &[]).len(), 1);
    // Opened to team-*, an Application there still needs a project whose
    // sourceNamespaces admit team-a: Argo CD's own default has none.
    assert!(alice(&argo("--application-namespaces=team-*", "team-a"), &[]).is_empty());
}

#[test]
fn a_workflow_writer_runs_pods_as_any_service_account_of_its_namespace() {
    let parts = vec![
        crd("workflows.argoproj.io"),
        controller("argo", "argo", 1, ""),
        tenant("team-a", "argoproj.io", "workflows", "create"),
        // team-a's ServiceAccount bound to cluster-admin.
        controller("team-a", "deployer", 1, ""),
    ];
    let routes = alice(&parts, &[]);
    assert_eq!(routes.len(), 1, "{routes:?}");
    let k = kinds(&routes[0]);
    assert_eq!(k[0], "operator", "{k:?}");
    let step = &routes[0]["steps"][0];
    assert_eq!(
        (&step["to"]["namespace"], &step["to"]["name"]),
        (&"team-a".into(), &"deployer".into())
    );
    assert!(
        step["text"]
            .as_str()
            .unwrap()
            .contains("runs the pods workflows describe"),
        "{step}"
    );
}

#[test]
fn a_cluster_scoped_policy_needs_a_cluster_wide_grant() {
    let kyverno = |binding_kind: &str| {
        let grant = match binding_kind {
            "ClusterRoleBinding" => r#"- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRole
  metadata: {name: policy-writer}
  rules: [{apiGroups: [kyverno.io], resources: [clusterpolicies], verbs: [create]}]
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRoleBinding
  metadata: {name: policy-writer}
  roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: policy-writer}
  subjects: [{kind: User, name: alice, apiGroup: rbac.authorization.k8s.io}]
"#
            .to_string(),
            // A RoleBinding never grants a cluster-scoped resource.
            _ => tenant("team-a", "kyverno.io", "clusterpolicies", "create"),
        };
        vec![
            crd("clusterpolicies.kyverno.io"),
            controller("kyverno", "kyverno-background-controller", 1, ""),
            grant,
        ]
    };
    assert_eq!(alice(&kyverno("ClusterRoleBinding"), &[]).len(), 1);
    assert!(alice(&kyverno("RoleBinding"), &[]).is_empty());
}

#[test]
fn external_secrets_needs_its_cluster_store_crd() {
    let parts = |with_store: bool| {
        let mut p = vec![
            crd("externalsecrets.external-secrets.io"),
            controller("external-secrets", "external-secrets", 1, ""),
            tenant("team-a", "external-secrets.io", "externalsecrets", "create"),
            // A legacy token Secret of an admin account: what the store reads.
            r#"- apiVersion: v1
  kind: Secret
  type: kubernetes.io/service-account-token
  metadata: {name: admin-token, namespace: kube-system, annotations: {kubernetes.io/service-account.name: admin}}
- apiVersion: v1
  kind: ServiceAccount
  metadata: {name: admin, namespace: kube-system}
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRoleBinding
  metadata: {name: admin}
  roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
  subjects: [{kind: ServiceAccount, name: admin, namespace: kube-system}]
"#
            .to_string(),
        ];
        if with_store {
            p.push(crd("clustersecretstores.external-secrets.io"));
            p.push(store("kube-system", ""));
        }
        p
    };
    assert!(alice(&parts(false), &[]).is_empty());
    let routes = alice(&parts(true), &[]);
    assert_eq!(routes.len(), 1, "{routes:?}");
    assert_eq!(kinds(&routes[0])[0], "operator");
}

/// A ClusterSecretStore of the kubernetes provider reading `remote`, with
/// `conditions` (YAML flow, or empty).
fn store(remote: &str, conditions: &str) -> String {
    format!(
        r#"- apiVersion: external-secrets.io/v1beta1
  kind: ClusterSecretStore
  metadata: {{name: cluster-secrets}}
  spec:
    {conditions}
    provider:
      kubernetes:
        remoteNamespace: {remote}
        server: {{caProvider: {{type: ConfigMap, name: kube-root-ca.crt, key: ca.crt, namespace: external-secrets}}}}
        auth: {{serviceAccount: {{name: eso-reader, namespace: external-secrets}}}}
"#
    )
}

/// External Secrets with a store built by `store`, alice writing
/// ExternalSecrets in team-a, and an admin token Secret in kube-system.
fn external_secrets(store: String) -> Vec<String> {
    vec![
        crd("externalsecrets.external-secrets.io"),
        crd("clustersecretstores.external-secrets.io"),
        controller("external-secrets", "external-secrets", 1, ""),
        tenant("team-a", "external-secrets.io", "externalsecrets", "create"),
        r#"- apiVersion: v1
  kind: Namespace
  metadata: {name: team-a, labels: {tier: tenant}}
- apiVersion: v1
  kind: Namespace
  metadata: {name: team-b, labels: {tier: platform}}
- apiVersion: v1
  kind: Secret
  type: kubernetes.io/service-account-token
  metadata: {name: admin-token, namespace: kube-system, annotations: {kubernetes.io/service-account.name: admin}}
- apiVersion: v1
  kind: ServiceAccount
  metadata: {name: admin, namespace: kube-system}
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRoleBinding
  metadata: {name: admin}
  roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
  subjects: [{kind: ServiceAccount, name: admin, namespace: kube-system}]
"#
        .to_string(),
        store,
    ]
}

#[test]
fn a_cluster_secret_store_gives_only_its_namespaces_secrets_to_the_namespaces_its_conditions_admit()
{
    // Admitted by name, by regular expression, by label: the store's
    // kube-system Secrets, an admin token among them.
    for conditions in [
        "conditions: [{namespaces: [team-a]}]",
        "conditions: [{namespaceRegexes: ['^team-(a|c)$']}]",
        "conditions: [{namespaceSelector: {matchLabels: {tier: tenant}}}]",
    ] {
        let routes = alice(&external_secrets(store("kube-system", conditions)), &[]);
        assert_eq!(routes.len(), 1, "{conditions}: {routes:?}");
        let text = routes[0]["steps"][0]["text"].as_str().unwrap();
        assert!(
            text.contains(
                "the Secrets of namespace kube-system that ClusterSecretStore cluster-secrets reads"
            ),
            "{text}"
        );
    }
    // Not admitted: no route, and the scan says why.
    let closed = external_secrets(store(
        "kube-system",
        "conditions: [{namespaceSelector: {matchLabels: {tier: platform}}}]",
    ));
    assert!(alice(&closed, &[]).is_empty());
    // The store reads a namespace without tokens worth having: no route.
    assert!(alice(&external_secrets(store("team-b", "")), &[]).is_empty());
    // Another provider reads another system: nothing in this cluster.
    let aws = external_secrets(
        r#"- apiVersion: external-secrets.io/v1
  kind: ClusterSecretStore
  metadata: {name: aws}
  spec: {provider: {aws: {service: SecretsManager, region: eu-west-1}}}
"#
        .to_string(),
    );
    assert!(alice(&aws, &[]).is_empty());
    let notes = notes(&aws);
    assert!(
        notes.iter().any(|n| n.contains(
            "external-secrets: Deployment external-secrets/external-secrets runs, but no ClusterSecretStore reads this cluster's Secrets for a namespace (aws reads another system (aws))"
        )),
        "{notes:?}"
    );
}

/// Argo CD's application controller (cluster-admin), alice writing
/// Applications in argocd, team-a's `deployer` bound to cluster-admin,
/// and `projects`.
fn argo_cd(projects: &str) -> Vec<String> {
    vec![
        crd("applications.argoproj.io"),
        crd("appprojects.argoproj.io"),
        controller("argocd", "argocd-application-controller", 1, ""),
        tenant("argocd", "argoproj.io", "applications", "create"),
        controller("team-a", "deployer", 1, ""),
        projects.to_string(),
    ]
}

/// An AppProject in argocd.
fn project(name: &str, spec: &str) -> String {
    format!(
        "- apiVersion: argoproj.io/v1alpha1
  kind: AppProject
  metadata: {{name: {name}, namespace: argocd}}
  spec: {spec}
"
    )
}

#[test]
fn argo_cd_gives_what_the_most_open_app_project_allows() {
    let open = "{sourceRepos: ['*'], destinations: [{server: '*', namespace: '*'}], clusterResourceWhitelist: [{group: '*', kind: '*'}]}";
    let team = "{destinations: [{server: 'https://kubernetes.default.svc', namespace: team-a}]}";
    let remote = "{destinations: [{server: 'https://prod.example.com', namespace: '*'}], clusterResourceWhitelist: [{group: '*', kind: '*'}]}";
    // No project in the input: Argo CD's own default allows everything.
    let routes = alice(&argo_cd(""), &[]);
    assert_eq!(routes.len(), 1, "{routes:?}");
    let step = &routes[0]["steps"][0];
    assert_eq!(step["to"]["name"], "argocd-application-controller");
    assert!(
        step["text"]
            .as_str()
            .unwrap()
            .contains("AppProject default (Argo CD's own"),
        "{step}"
    );
    // An open project of one's own.
    let routes = alice(
        &argo_cd(&(project("default", team) + &project("ops", open))),
        &[],
    );
    assert_eq!(
        routes[0]["steps"][0]["to"]["name"],
        "argocd-application-controller"
    );
    assert!(
        routes[0]["steps"][0]["text"]
            .as_str()
            .unwrap()
            .contains("through AppProject ops"),
        "{routes:?}"
    );
    // Every project bounded to team-a: pods in team-a, so team-a's
    // accounts, and not the controller.
    let routes = alice(&argo_cd(&project("default", team)), &[]);
    assert_eq!(routes.len(), 1, "{routes:?}");
    let first = &routes[0]["steps"][0];
    assert_eq!(first["kind"], "operator");
    assert!(
        first["text"]
            .as_str()
            .unwrap()
            .contains("in namespace team-a (AppProject default deploys there)"),
        "{first}"
    );
    let text = routes[0].to_string();
    assert!(
        !text.contains(r#""argocd-application-controller""#),
        "{text}"
    );
    // A default project that only deploys elsewhere: no route, and why.
    let closed = argo_cd(&project("default", remote));
    assert!(alice(&closed, &[]).is_empty());
    let notes = notes(&closed);
    assert!(
        notes.iter().any(|n| n.contains(
            "argo-cd: Deployment argocd/argocd-application-controller runs, but no AppProject (default) deploys to this cluster"
        )),
        "{notes:?}"
    );
    // A project Applications of team-b may use, when alice writes there.
    let mut parts = argo_cd(
        &(project("default", remote)
            + &project(
                "tenants",
                &format!("{{sourceNamespaces: [team-b], {}", &open[1..]),
            )),
    );
    parts[2] = controller(
        "argocd",
        "argocd-application-controller",
        1,
        "--application-namespaces=team-*",
    );
    parts[3] = tenant("team-b", "argoproj.io", "applications", "create");
    assert_eq!(alice(&parts, &[]).len(), 1);
    parts[3] = tenant("team-c", "argoproj.io", "applications", "create");
    assert!(alice(&parts, &[]).is_empty());
}

#[test]
fn a_catalog_of_ones_own_replaces_the_built_in_one_and_a_broken_one_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let own = dir.path().join("ops.yaml");
    std::fs::write(
        &own,
        "kind: OperatorCatalog\noperators:\n  - id: deployer-bot\n    title: Deployer bot\n    controller: {serviceAccounts: [bot]}\n    steers: [{resource: deploys.example.com, verbs: [create], power: as-controller}]\n",
    )
    .unwrap();
    let parts = vec![
        crd("deploys.example.com"),
        controller("ops", "bot", 1, ""),
        tenant("team-a", "example.com", "deploys", "create"),
    ];
    assert_eq!(
        alice(&parts, &["--operators", own.to_str().unwrap()]).len(),
        1
    );
    // The built-in catalog does not know it.
    assert!(alice(&parts, &[]).is_empty());
    let broken = dir.path().join("broken.yaml");
    std::fs::write(
        &broken,
        "kind: OperatorCatalog\noperators:\n  - id: x\n    title: X\n    controller: {serviceAccounts: [bot]}\n    steers: [{resource: deploys, verbs: [create], power: as-controller}]\n",
    )
    .unwrap();
    let c = cluster(&parts);
    for command in ["scan", "paths"] {
        let out = rbacscan()
            .args([command, "--operators", broken.to_str().unwrap(), "-f"])
            .arg(c.path().join("c.yaml"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(out.stdout.is_empty());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(
                "broken.yaml:3: operator `x`: resource `deploys` is not written `plural.group`"
            ),
            "{err}"
        );
    }
}
