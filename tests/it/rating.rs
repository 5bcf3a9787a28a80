//! What grants are worth: named objects rated by what they carry, the quiet
//! powers of node agents, aggregation that a cluster user could use to hide
//! power, and bindings that apply to nobody. Each case states the
//! authorizer's behaviour (Kubernetes source and documentation) and checks
//! the analysis against it.

use rbacscan::findings::{Analysis, Code};
use rbacscan::template::Severity;

use crate::support::{analyze, binding, cluster_role, list, subject_rule};

const ADMIN: &str = "[{apiGroups: ['*'], resources: ['*'], verbs: ['*']}]";

fn role(ns: &str, name: &str, rules: &str) -> String {
    format!(
        "- {{apiVersion: rbac.authorization.k8s.io/v1, kind: Role, metadata: {{name: {name}, namespace: {ns}}}, rules: {rules}}}\n"
    )
}

fn service_account(ns: &str, name: &str) -> String {
    format!(
        "- {{apiVersion: v1, kind: ServiceAccount, metadata: {{name: {name}, namespace: {ns}}}}}\n"
    )
}

/// A running pod of ServiceAccount `sa` with its token injected, on `node`.
fn pod(ns: &str, name: &str, sa: &str, node: &str) -> String {
    format!(
        "- {{apiVersion: v1, kind: Pod, metadata: {{name: {name}, namespace: {ns}, uid: u-{name}}}, spec: {{serviceAccountName: {sa}, nodeName: {node}, containers: [{{name: c, image: x, volumeMounts: [{{name: kube-api-access-x, mountPath: /var/run/secrets/kubernetes.io/serviceaccount}}]}}], volumes: [{{name: kube-api-access-x, projected: {{sources: [{{serviceAccountToken: {{path: token}}}}]}}}}]}}}}\n"
    )
}

fn sa_subject(name: &str) -> String {
    format!("[{{kind: ServiceAccount, name: {name}}}]")
}

fn user(name: &str) -> String {
    format!("[{{kind: User, apiGroup: rbac.authorization.k8s.io, name: '{name}'}}]")
}

/// `name` in namespace `app` can exec into pods named `target` only; pod
/// `app/target` runs as `runner`, which `runner_rules` grant cluster-wide.
fn exec_into_named_pod(runner_rules: Option<&str>, with_pod: bool) -> Analysis {
    let mut items = vec![
        role(
            "app",
            "exec-one",
            "[{apiGroups: [''], resources: [pods/exec], verbs: [create], resourceNames: [target]}]",
        ),
        binding(
            "RoleBinding",
            Some("app"),
            "dev-exec",
            "Role",
            "exec-one",
            &user("dev"),
        ),
        service_account("app", "runner"),
    ];
    if let Some(rules) = runner_rules {
        items.push(cluster_role("runner-power", rules));
        items.push(binding(
            "ClusterRoleBinding",
            None,
            "runner-power",
            "ClusterRole",
            "runner-power",
            "[{kind: ServiceAccount, name: runner, namespace: app}]",
        ));
    }
    // Another pod, so that the input holds pods either way.
    items.push(pod("app", "other", "default", "node-1"));
    if with_pod {
        items.push(pod("app", "target", "runner", "node-1"));
    }
    analyze(&list(&items))
}

// `kubectl exec target` is `create` on `pods/exec` named `target`
// (request-info: /namespaces/app/pods/target/exec carries the name), so a
// rule limited to that name allows it, and is worth what the pod carries.
#[test]
fn exec_into_a_named_pod_is_worth_what_that_pod_carries() {
    let a = exec_into_named_pod(Some(ADMIN), true);
    let f = subject_rule(&a, "User dev", "pods-exec").expect("a named exec is found");
    assert_eq!(f.severity, Severity::Critical, "{}", f.message);
    assert_eq!(
        f.resource_names.as_deref(),
        Some(&["target".to_string()][..])
    );
    assert_eq!(f.rated_by.len(), 1);
    assert_eq!(f.rated_by[0].name, "target");
    assert_eq!(f.rated_by[0].severity, Some(Severity::Critical));
    assert!(
        f.message.contains("Pod app/target (CRITICAL)"),
        "{}",
        f.message
    );

    // The same grant on a pod that carries nothing risky is narrow.
    let a = exec_into_named_pod(None, true);
    let f = subject_rule(&a, "User dev", "pods-exec").unwrap();
    assert_eq!(f.severity, Severity::Low);
    // And on a pod that does not exist (yet): nothing to rate it by.
    let a = exec_into_named_pod(Some(ADMIN), false);
    let f = subject_rule(&a, "User dev", "pods-exec").unwrap();
    assert_eq!(f.severity, Severity::Low);
    assert!(!f.rated_by[0].found);
    assert!(f.message.contains("not in the snapshot"), "{}", f.message);
}

// A token request is `create` on `serviceaccounts/token` named after the
// ServiceAccount: a rule naming one account mints exactly its tokens.
#[test]
fn a_named_token_request_is_worth_the_service_accounts_permissions() {
    let yaml = list(&[
        cluster_role(
            "token-minter",
            "[{apiGroups: [''], resources: [serviceaccounts/token], verbs: [create], resourceNames: [deployer]}]",
        ),
        binding(
            "RoleBinding",
            Some("ci"),
            "mint",
            "ClusterRole",
            "token-minter",
            &user("eve"),
        ),
        service_account("ci", "deployer"),
        service_account("other", "deployer"),
        cluster_role("boss", ADMIN),
        binding(
            "ClusterRoleBinding",
            None,
            "deployer-admin",
            "ClusterRole",
            "boss",
            "[{kind: ServiceAccount, name: deployer, namespace: ci}]",
        ),
    ]);
    let a = analyze(&yaml);
    let f = subject_rule(&a, "User eve", "serviceaccount-token-create").unwrap();
    assert_eq!(f.severity, Severity::Critical, "{}", f.message);
    // Only ci/deployer is in the binding's scope; other/deployer is not rated.
    assert_eq!(f.rated_by.len(), 1);
    assert_eq!(f.rated_by[0].namespace, "ci");
}

// Worth is a fixed point: dev can exec into a pod whose ServiceAccount can
// request a token for a cluster-admin ServiceAccount.
#[test]
fn chained_named_grants_are_followed_to_the_end() {
    let mut items = vec![
        role(
            "app",
            "exec-one",
            "[{apiGroups: [''], resources: [pods/exec], verbs: [create], resourceNames: [hop]}]",
        ),
        binding(
            "RoleBinding",
            Some("app"),
            "dev-exec",
            "Role",
            "exec-one",
            &user("dev"),
        ),
        service_account("app", "hopper"),
        pod("app", "hop", "hopper", "node-1"),
        role(
            "app",
            "mint",
            "[{apiGroups: [''], resources: [serviceaccounts/token], verbs: [create], resourceNames: [root]}]",
        ),
        binding(
            "RoleBinding",
            Some("app"),
            "hopper-mint",
            "Role",
            "mint",
            &sa_subject("hopper"),
        ),
        service_account("app", "root"),
        cluster_role("boss", ADMIN),
    ];
    items.push(binding(
        "ClusterRoleBinding",
        None,
        "root-admin",
        "ClusterRole",
        "boss",
        "[{kind: ServiceAccount, name: root, namespace: app}]",
    ));
    let a = analyze(&list(&items));
    let hopper = subject_rule(
        &a,
        "ServiceAccount app/hopper",
        "serviceaccount-token-create",
    )
    .unwrap();
    assert_eq!(hopper.severity, Severity::Critical);
    let dev = subject_rule(&a, "User dev", "pods-exec").unwrap();
    assert_eq!(dev.severity, Severity::Critical, "{}", dev.message);
}

// A full grant is worth at least the riskiest object it reaches: exec in a
// plain namespace where a pod carries cluster-admin is cluster-admin.
#[test]
fn a_full_grant_is_rated_at_least_as_high_as_its_riskiest_target() {
    let base = |runner: Option<&str>| {
        let mut items = vec![
            role(
                "app",
                "exec-all",
                "[{apiGroups: [''], resources: [pods/exec], verbs: [create]}]",
            ),
            binding(
                "RoleBinding",
                Some("app"),
                "dev-exec",
                "Role",
                "exec-all",
                &user("dev"),
            ),
            service_account("app", "runner"),
            pod("app", "p", "runner", "node-1"),
        ];
        if let Some(rules) = runner {
            items.push(cluster_role("runner-power", rules));
            items.push(binding(
                "ClusterRoleBinding",
                None,
                "runner-power",
                "ClusterRole",
                "runner-power",
                "[{kind: ServiceAccount, name: runner, namespace: app}]",
            ));
        }
        analyze(&list(&items))
    };
    let plain = subject_rule(&base(None), "User dev", "pods-exec")
        .unwrap()
        .clone();
    assert_eq!(
        plain.severity,
        Severity::High,
        "the template's namespace severity"
    );
    assert!(plain.rated_by.is_empty());
    let a = base(Some(ADMIN));
    let f = subject_rule(&a, "User dev", "pods-exec").unwrap();
    assert_eq!(f.severity, Severity::Critical);
    assert_eq!(f.rated_by[0].name, "p");
}

// Impersonating the group system:masters is cluster-admin, whatever the
// name says, for whoever may also name a user: the API server refuses
// Impersonate-Group without Impersonate-User (k8s.io/apiserver's
// impersonation filter), so groups alone are worth nothing. A user name that
// stands for a ServiceAccount is asked as `impersonate serviceaccounts`, never
// as `users`: a `users` grant of that name is worth nothing either.
#[test]
fn impersonating_named_identities_is_worth_those_identities() {
    let yaml = list(&[
        cluster_role(
            "masters",
            "[{apiGroups: [''], resources: [groups], verbs: [impersonate], resourceNames: ['system:masters']}]",
        ),
        cluster_role(
            "masters-as-bob",
            "[{apiGroups: [''], resources: [groups], verbs: [impersonate], resourceNames: ['system:masters']}, {apiGroups: [''], resources: [users], verbs: [impersonate], resourceNames: [bob]}]",
        ),
        binding(
            "ClusterRoleBinding",
            None,
            "max",
            "ClusterRole",
            "masters-as-bob",
            &user("max"),
        ),
        cluster_role(
            "as-viewer",
            "[{apiGroups: [''], resources: [users], verbs: [impersonate], resourceNames: [viewer]}]",
        ),
        cluster_role(
            "as-sa",
            "[{apiGroups: [''], resources: [users], verbs: [impersonate], resourceNames: ['system:serviceaccount:kube-system:boss']}]",
        ),
        binding(
            "ClusterRoleBinding",
            None,
            "m",
            "ClusterRole",
            "masters",
            &user("mallory"),
        ),
        binding(
            "ClusterRoleBinding",
            None,
            "v",
            "ClusterRole",
            "as-viewer",
            &user("vic"),
        ),
        binding(
            "ClusterRoleBinding",
            None,
            "s",
            "ClusterRole",
            "as-sa",
            &user("sam"),
        ),
        service_account("kube-system", "boss"),
        cluster_role("boss", ADMIN),
        binding(
            "ClusterRoleBinding",
            None,
            "boss",
            "ClusterRole",
            "boss",
            "[{kind: ServiceAccount, name: boss, namespace: kube-system}]",
        ),
    ]);
    let a = analyze(&yaml);
    let rule = "impersonate-users-groups";
    assert!(subject_rule(&a, "User mallory", rule).is_none());
    assert_eq!(
        subject_rule(&a, "User max", rule).unwrap().severity,
        Severity::Critical
    );
    assert_eq!(
        subject_rule(&a, "User vic", rule).unwrap().severity,
        Severity::Low
    );
    // `impersonate users system:serviceaccount:kube-system:boss` is never
    // asked: that name is impersonated through `serviceaccounts`.
    assert_eq!(
        subject_rule(&a, "User sam", rule).unwrap().severity,
        Severity::Low
    );
}

// `bind` is checked in the binding's namespace (BindingAuthorized), so a
// RoleBinding can grant bind on a named ClusterRole: worth that ClusterRole
// bound there.
#[test]
fn bind_on_a_named_cluster_role_is_worth_that_role_where_it_can_be_bound() {
    let grant = |ns: &str| {
        list(&[
            cluster_role("cluster-admin", ADMIN),
            role(
                ns,
                "delegate",
                "[{apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [bind], resourceNames: [cluster-admin]}, {apiGroups: [rbac.authorization.k8s.io], resources: [rolebindings], verbs: [create]}]",
            ),
            binding(
                "RoleBinding",
                Some(ns),
                "d",
                "Role",
                "delegate",
                &user("dana"),
            ),
        ])
    };
    let a = analyze(&grant("team"));
    let f = subject_rule(&a, "User dana", "rbac-bind").expect("bind via a RoleBinding is found");
    assert_eq!(f.severity, Severity::High, "cluster-admin in one namespace");
    let a = analyze(&grant("kube-system"));
    assert_eq!(
        subject_rule(&a, "User dana", "rbac-bind").unwrap().severity,
        Severity::Critical
    );
}

// Names that do not limit the power: a named webhook configuration or
// APIService can be rewritten wholesale; approving for the kube-apiserver
// client signer mints a certificate for system:masters.
#[test]
fn names_that_do_not_limit_the_power_are_rated_as_full_grants() {
    let yaml = list(&[
        cluster_role(
            "webhook-owner",
            "[{apiGroups: [admissionregistration.k8s.io], resources: [mutatingwebhookconfigurations], verbs: [update], resourceNames: [my-webhook]}]",
        ),
        cluster_role(
            "apiservice-owner",
            "[{apiGroups: [apiregistration.k8s.io], resources: [apiservices], verbs: [update], resourceNames: [v1beta1.metrics.k8s.io]}]",
        ),
        cluster_role(
            "client-signer",
            "[{apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests], verbs: [create]}, {apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests/approval], verbs: [update]}, {apiGroups: [certificates.k8s.io], resources: [signers], verbs: [approve], resourceNames: [kubernetes.io/kube-apiserver-client]}]",
        ),
        cluster_role(
            "serving-signer",
            "[{apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests], verbs: [create]}, {apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests/approval], verbs: [update]}, {apiGroups: [certificates.k8s.io], resources: [signers], verbs: [approve], resourceNames: [kubernetes.io/kubelet-serving]}]",
        ),
        binding(
            "ClusterRoleBinding",
            None,
            "w",
            "ClusterRole",
            "webhook-owner",
            &user("w"),
        ),
        binding(
            "ClusterRoleBinding",
            None,
            "a",
            "ClusterRole",
            "apiservice-owner",
            &user("a"),
        ),
        binding(
            "ClusterRoleBinding",
            None,
            "c",
            "ClusterRole",
            "client-signer",
            &user("c"),
        ),
        binding(
            "ClusterRoleBinding",
            None,
            "s",
            "ClusterRole",
            "serving-signer",
            &user("s"),
        ),
    ]);
    let a = analyze(&yaml);
    assert_eq!(
        subject_rule(&a, "User w", "admission-webhooks-write")
            .unwrap()
            .severity,
        Severity::High
    );
    assert_eq!(
        subject_rule(&a, "User a", "apiservices-write")
            .unwrap()
            .severity,
        Severity::High
    );
    assert_eq!(
        subject_rule(&a, "User c", "csr-create-and-approve")
            .unwrap()
            .severity,
        Severity::Critical
    );
    assert_eq!(
        subject_rule(&a, "User s", "csr-create-and-approve")
            .unwrap()
            .severity,
        Severity::Low,
        "serving certificates are not client certificates"
    );
}

// The quiet powers of node agents (Unit 42, 2022).
#[test]
fn stealing_pods_needs_a_way_to_remove_pods_and_to_cordon_nodes() {
    let agent = |rules: &str| {
        analyze(&list(&[
            cluster_role("agent", rules),
            binding(
                "ClusterRoleBinding",
                None,
                "agent",
                "ClusterRole",
                "agent",
                &user("agent"),
            ),
        ]))
    };
    let steal = |a: &Analysis| subject_rule(a, "User agent", "steal-pods").map(|f| f.severity);
    // Antrea 1.5's agent: patch pods and patch nodes.
    let a = agent(
        "[{apiGroups: [''], resources: [nodes], verbs: [patch]}, {apiGroups: [''], resources: [pods], verbs: [patch]}]",
    );
    assert_eq!(steal(&a), Some(Severity::Critical));
    // Evicting plus updating nodes, too.
    let a = agent(
        "[{apiGroups: [''], resources: [nodes], verbs: [update]}, {apiGroups: [''], resources: [pods/eviction], verbs: [create]}]",
    );
    assert_eq!(steal(&a), Some(Severity::Critical));
    // Antrea 1.6's fix: status subresources only. Each is reported for what it is.
    let a = agent(
        "[{apiGroups: [''], resources: [nodes/status], verbs: [patch]}, {apiGroups: [''], resources: [pods/status], verbs: [patch]}]",
    );
    assert_eq!(steal(&a), None);
    assert_eq!(subject_rule(&a, "User agent", "nodes-write"), None);
    assert_eq!(
        subject_rule(&a, "User agent", "nodes-status-write")
            .unwrap()
            .severity,
        Severity::Medium
    );
    assert_eq!(
        subject_rule(&a, "User agent", "pods-status-write")
            .unwrap()
            .severity,
        Severity::Medium
    );
    // Together (Calico's and Antrea's agents), the pair steers pods onto
    // the holder's node: High, as rbac-police and Unit 42 rate it.
    assert_eq!(
        subject_rule(&a, "User agent", "steal-pods-through-status")
            .unwrap()
            .severity,
        Severity::High
    );
    // One of the two alone is not the pair.
    let a = agent("[{apiGroups: [''], resources: [pods/status], verbs: [patch]}]");
    assert_eq!(
        subject_rule(&a, "User agent", "steal-pods-through-status"),
        None
    );
    // Updating nodes alone is not stealing pods, but it is not status either.
    let a = agent("[{apiGroups: [''], resources: [nodes], verbs: [update]}]");
    assert_eq!(steal(&a), None);
    assert_eq!(
        subject_rule(&a, "User agent", "nodes-write")
            .unwrap()
            .severity,
        Severity::High
    );
    assert_eq!(subject_rule(&a, "User agent", "nodes-status-write"), None);
}

// `create configmaps` cannot change a config map that exists (the API
// server answers AlreadyExists): in kube-system it is not "modify config
// maps", which takes update, patch or delete.
#[test]
fn creating_config_maps_is_not_modifying_them() {
    let grant = |verbs: &str| {
        analyze(&list(&[
            format!(
                "- {{apiVersion: rbac.authorization.k8s.io/v1, kind: Role, metadata: {{name: cm, namespace: kube-system}}, rules: [{{apiGroups: [''], resources: [configmaps], verbs: {verbs}}}]}}\n"
            ),
            binding(
                "RoleBinding",
                Some("kube-system"),
                "cm",
                "Role",
                "cm",
                &user("weave"),
            ),
        ]))
    };
    let a = grant("[create]");
    assert_eq!(subject_rule(&a, "User weave", "configmaps-write"), None);
    assert_eq!(
        subject_rule(&a, "User weave", "configmaps-create")
            .unwrap()
            .severity,
        Severity::Medium
    );
    let a = grant("[patch]");
    assert_eq!(
        subject_rule(&a, "User weave", "configmaps-write")
            .unwrap()
            .severity,
        Severity::High
    );
}

// The aggregation controller copies each selected role's rules into the
// aggregated one; two roles that select each other, both stored with */*/*,
// keep cluster-admin power for good, and the authorizer reads stored rules.
#[test]
fn roles_that_aggregate_each_other_cannot_hide_their_stored_power() {
    let yaml = "apiVersion: v1\nkind: List\nitems:\n\
- {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: ping, labels: {agg: pong}}, aggregationRule: {clusterRoleSelectors: [{matchLabels: {agg: ping}}]}, rules: [{apiGroups: ['*'], resources: ['*'], verbs: ['*']}]}\n\
- {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: pong, labels: {agg: ping}}, aggregationRule: {clusterRoleSelectors: [{matchLabels: {agg: pong}}]}, rules: [{apiGroups: ['*'], resources: ['*'], verbs: ['*']}]}\n\
- {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: mirror, labels: {me: 'yes'}}, aggregationRule: {clusterRoleSelectors: [{matchLabels: {me: 'yes'}}]}, rules: []}\n\
- {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: hidden}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: ping}, subjects: [{kind: User, apiGroup: rbac.authorization.k8s.io, name: hider}]}\n";
    let a = analyze(yaml);
    let f = subject_rule(&a, "User hider", "full-wildcard").expect("the stored rules count");
    assert_eq!(f.severity, Severity::Critical);
    let cycle = a
        .findings
        .iter()
        .find(|f| f.code == Code::AggregationCycle)
        .expect("the cycle is reported");
    assert_eq!(
        cycle.severity,
        Severity::Critical,
        "it holds cluster-admin power"
    );
    assert!(cycle.message.contains("ping, pong"), "{}", cycle.message);
    let mirror = a
        .findings
        .iter()
        .find(|f| f.code == Code::SelfSelectingRole)
        .expect("a role selecting itself is reported");
    assert!(mirror.message.contains("ClusterRole mirror"));
}

// A binding with no subjects grants nothing: hygiene, not a risk.
#[test]
fn a_binding_without_subjects_is_hygiene_not_a_risk() {
    let a = analyze(&list(&[
        cluster_role("boss", ADMIN),
        binding("ClusterRoleBinding", None, "dormant", "ClusterRole", "boss", "[]"),
        "- {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: bare}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: boss}}\n".to_string(),
    ]));
    assert!(!a.findings.iter().any(|f| f.code == Code::RiskyBinding));
    let empty: Vec<_> = a
        .findings
        .iter()
        .filter(|f| f.code == Code::BindingWithoutSubjects)
        .collect();
    assert_eq!(empty.len(), 2);
    assert_eq!(empty[0].severity, Severity::Low);
    assert!(
        empty[0].message.contains("what it would grant is CRITICAL"),
        "{}",
        empty[0].message
    );
}

// The authorizer compares a request's name, "" when it has none, with each
// of resourceNames: `resourceNames: [""]` is no limit for a list, a watch or
// a create. A rule written that way must not pass for a narrow one.
#[test]
fn an_empty_resource_name_hides_nothing() {
    let a = analyze(&list(&[
        role(
            "app",
            "sneaky",
            "[{apiGroups: [''], resources: [secrets], verbs: [list], resourceNames: ['']}, {apiGroups: [''], resources: [pods], verbs: [create], resourceNames: ['']}]",
        ),
        binding(
            "RoleBinding",
            Some("app"),
            "s",
            "Role",
            "sneaky",
            &user("sly"),
        ),
    ]));
    let read = subject_rule(&a, "User sly", "secrets-read").unwrap();
    assert_eq!(read.severity, Severity::High);
    assert_eq!(read.resource_names, None, "a full grant");
    let create = subject_rule(&a, "User sly", "workload-create").unwrap();
    assert_eq!(create.severity, Severity::High);
}

// Calico's node agent may request tokens for its own ServiceAccount only:
// that gains it nothing, so the grant is narrow, and says why.
#[test]
fn reaching_ones_own_identity_gains_nothing() {
    let a = analyze(&list(&[
        cluster_role(
            "agent",
            "[{apiGroups: [''], resources: [serviceaccounts/token], verbs: [create], resourceNames: [agent]}, {apiGroups: [''], resources: [nodes/status], verbs: [patch]}]",
        ),
        binding(
            "ClusterRoleBinding",
            None,
            "agent",
            "ClusterRole",
            "agent",
            "[{kind: ServiceAccount, name: agent, namespace: kube-system}]",
        ),
        service_account("kube-system", "agent"),
    ]));
    let f = subject_rule(
        &a,
        "ServiceAccount kube-system/agent",
        "serviceaccount-token-create",
    )
    .unwrap();
    assert_eq!(f.severity, Severity::Low);
    assert!(f.rated_by[0].own);
    assert!(
        f.message
            .contains("ServiceAccount kube-system/agent (its own)"),
        "{}",
        f.message
    );
    // The role on its own has no holder: it is worth what the account is.
    let role = a
        .findings
        .iter()
        .find(|f| {
            f.code == Code::RiskyRole && f.rule.as_deref() == Some("serviceaccount-token-create")
        })
        .unwrap();
    assert_eq!(role.severity, Severity::Medium);
}

// Worth travels through every kind of hop until nothing rises: a token
// request named for cluster-admin's ServiceAccount makes `ops/agent`
// cluster-admin (second round); its pod makes its node cluster-admin, since
// the kubelet reads every token on it; the privileged pod `web/front` on
// that node can take the node, so it is worth the node (third round); and
// `exec` on every pod in the plain namespace `web` reaches that pod, so it
// is rated by it, above the namespace's HIGH (fourth round).
#[test]
fn worth_is_carried_through_tokens_nodes_and_escapes_to_the_end() {
    let privileged_pod = "- {apiVersion: v1, kind: Pod, metadata: {name: front, namespace: web, uid: u-front}, spec: {serviceAccountName: front, nodeName: node-2, automountServiceAccountToken: false, containers: [{name: c, image: x, securityContext: {privileged: true}}]}}\n";
    let items = vec![
        role(
            "web",
            "exec-all",
            "[{apiGroups: [''], resources: [pods/exec], verbs: [create]}]",
        ),
        binding(
            "RoleBinding",
            Some("web"),
            "dev-exec",
            "Role",
            "exec-all",
            &user("dev"),
        ),
        service_account("web", "front"),
        privileged_pod.to_string(),
        // A pod of the same namespace on another node, worth nothing.
        pod("web", "back", "front", "node-1"),
        service_account("ops", "agent"),
        pod("ops", "agent", "agent", "node-2"),
        role(
            "ops",
            "mint",
            "[{apiGroups: [''], resources: [serviceaccounts/token], verbs: [create], resourceNames: [root]}]",
        ),
        binding(
            "RoleBinding",
            Some("ops"),
            "agent-mint",
            "Role",
            "mint",
            &sa_subject("agent"),
        ),
        service_account("ops", "root"),
        cluster_role("boss", ADMIN),
        binding(
            "ClusterRoleBinding",
            None,
            "root-admin",
            "ClusterRole",
            "boss",
            "[{kind: ServiceAccount, name: root, namespace: ops}]",
        ),
    ];
    let a = analyze(&list(&items));
    let agent = subject_rule(
        &a,
        "ServiceAccount ops/agent",
        "serviceaccount-token-create",
    );
    assert_eq!(agent.unwrap().severity, Severity::Critical);
    let pod_worth = |ns: &str, name: &str| {
        let p = a.pods.iter().find(|p| p.namespace == ns && p.name == name);
        p.unwrap().severity
    };
    assert_eq!(pod_worth("ops", "agent"), Some(Severity::Critical));
    let node = |name: &str| {
        let n = a
            .nodes
            .nodes
            .iter()
            .find(|n| n.node.as_deref() == Some(name));
        n.unwrap().severity
    };
    assert_eq!(node("node-2"), Some(Severity::Critical));
    let dev = subject_rule(&a, "User dev", "pods-exec").unwrap();
    assert_eq!(dev.severity, Severity::Critical, "{}", dev.message);
    // Rated by the privileged pod, worth its node; not by `web/back`.
    let by: Vec<(&str, &str, Option<Severity>)> = (dev.rated_by.iter())
        .map(|t| (t.namespace.as_str(), t.name.as_str(), t.severity))
        .collect();
    assert_eq!(by, [("web", "front", Some(Severity::Critical))]);
}
