//! A generated cluster for the benchmarks and the tests: a kubectl-style
//! `v1 List` of any number of pods, with the proportions of
//! `benches/generate-realistic.py` (deployments sharing ServiceAccounts,
//! roles with a share of risky rules, aggregation, bindings to users,
//! groups and ServiceAccounts), deterministic so that the input never
//! changes. Included by `benches/core.rs` and `tests/it/main.rs`.

use std::fmt::Write as _;

/// A small deterministic generator (xorshift), so the input never changes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// True with probability `percent` in 100.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const READ_RULE: &str = r#"{"apiGroups":[""],"resources":["configmaps","services","pods"],"verbs":["get","list","watch"]}"#;
const RISKY_RULES: [&str; 6] = [
    r#"{"apiGroups":[""],"resources":["secrets"],"verbs":["get","list"]}"#,
    r#"{"apiGroups":[""],"resources":["pods/exec"],"verbs":["create"]}"#,
    r#"{"apiGroups":[""],"resources":["pods"],"verbs":["create","delete"]}"#,
    r#"{"apiGroups":["apps"],"resources":["deployments"],"verbs":["create","update","patch"]}"#,
    r#"{"apiGroups":["*"],"resources":["*"],"verbs":["*"]}"#,
    r#"{"apiGroups":[""],"resources":["serviceaccounts/token"],"verbs":["create"]}"#,
];

/// A kubectl-style `v1 List` of a cluster of `pods` pods, as JSON text.
pub fn generate(pods: usize) -> String {
    let mut rng = Rng(0x5eed_cafe_f00d_0001);
    let namespaces = (pods / 50).max(2);
    let cluster_roles = (pods / 50).max(20);
    let nodes = (pods / 200).max(3) as u64;
    let mut items: Vec<String> = Vec::new();
    let rules = |rng: &mut Rng, risky_percent: u64| {
        let mut r = vec![READ_RULE];
        if rng.chance(risky_percent) {
            r.push(RISKY_RULES[rng.below(RISKY_RULES.len() as u64) as usize]);
        }
        r.join(",")
    };
    for i in 0..cluster_roles {
        let labels = if i % 50 == 0 {
            r#","labels":{"rbac.example.com/aggregate-to-ops":"true"}"#
        } else {
            ""
        };
        items.push(format!(
            r#"{{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{{"name":"platform-role-{i}"{labels}}},"rules":[{}]}}"#,
            rules(&mut rng, 5)
        ));
    }
    items.push(r#"{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"ops-aggregate"},"aggregationRule":{"clusterRoleSelectors":[{"matchLabels":{"rbac.example.com/aggregate-to-ops":"true"}}]},"rules":[]}"#.to_string());
    for i in 0..cluster_roles {
        let subject = match rng.below(10) {
            0..5 => format!(
                r#"{{"kind":"Group","apiGroup":"rbac.authorization.k8s.io","name":"org:team-{}"}}"#,
                rng.below(200)
            ),
            5..8 => format!(
                r#"{{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":"user{}@example.com"}}"#,
                rng.below(5000)
            ),
            _ => format!(
                r#"{{"kind":"ServiceAccount","name":"sa-{}","namespace":"team-{}"}}"#,
                rng.below(25),
                rng.below(namespaces as u64)
            ),
        };
        items.push(format!(
            r#"{{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{{"name":"platform-binding-{i}"}},"roleRef":{{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"platform-role-{}"}},"subjects":[{subject}]}}"#,
            rng.below(cluster_roles as u64)
        ));
    }
    let per_namespace = pods / namespaces;
    let mut made = 0;
    for n in 0..namespaces {
        let ns = format!("team-{n}");
        items.push(format!(
            r#"{{"apiVersion":"v1","kind":"Namespace","metadata":{{"name":"{ns}","labels":{{"kubernetes.io/metadata.name":"{ns}"}}}}}}"#
        ));
        for s in 0..25 {
            let name = if s == 0 {
                "default".to_string()
            } else {
                format!("sa-{s}")
            };
            let off = if rng.chance(10) {
                r#","automountServiceAccountToken":false"#
            } else {
                ""
            };
            items.push(format!(
                r#"{{"apiVersion":"v1","kind":"ServiceAccount","metadata":{{"name":"{name}","namespace":"{ns}"}}{off}}}"#
            ));
        }
        for r in 0..10 {
            items.push(format!(
                r#"{{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{{"name":"role-{r}","namespace":"{ns}"}},"rules":[{}]}}"#,
                rules(&mut rng, 8)
            ));
        }
        for b in 0..10 {
            let subject = match rng.below(10) {
                0..7 => format!(
                    r#"{{"kind":"ServiceAccount","name":"sa-{}","namespace":"{ns}"}}"#,
                    1 + rng.below(24)
                ),
                7..9 => format!(
                    r#"{{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":"user{}@example.com"}}"#,
                    rng.below(5000)
                ),
                _ => format!(
                    r#"{{"kind":"Group","apiGroup":"rbac.authorization.k8s.io","name":"org:team-{}"}}"#,
                    rng.below(200)
                ),
            };
            let role_ref = if rng.chance(80) {
                format!(
                    r#"{{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"role-{}"}}"#,
                    rng.below(10)
                )
            } else {
                format!(
                    r#"{{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"platform-role-{}"}}"#,
                    rng.below(cluster_roles as u64)
                )
            };
            items.push(format!(
                r#"{{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{{"name":"binding-{b}","namespace":"{ns}"}},"roleRef":{role_ref},"subjects":[{subject}]}}"#
            ));
        }
        let mut left = if n == namespaces - 1 {
            pods - made
        } else {
            per_namespace
        };
        let mut app = 0;
        while left > 0 {
            let replicas = (1 + rng.below(10) as usize).min(left);
            let sa = if rng.chance(85) {
                format!("sa-{}", 1 + rng.below(24))
            } else {
                "default".into()
            };
            let automount = !rng.chance(15);
            let privileged = rng.chance(2);
            let host_path = rng.chance(2).then(|| {
                if rng.chance(33) {
                    "/var/lib/kubelet"
                } else {
                    "/var/log"
                }
            });
            let secret_env = rng.chance(20);
            let secret_volume = rng.chance(10);
            for r in 0..replicas {
                let mut volumes = Vec::new();
                let mut mounts = Vec::new();
                if automount {
                    volumes.push(format!(r#"{{"name":"kube-api-access-{app}{r}","projected":{{"defaultMode":420,"sources":[{{"serviceAccountToken":{{"expirationSeconds":3607,"path":"token"}}}},{{"configMap":{{"name":"kube-root-ca.crt","items":[{{"key":"ca.crt","path":"ca.crt"}}]}}}},{{"downwardAPI":{{"items":[{{"path":"namespace","fieldRef":{{"apiVersion":"v1","fieldPath":"metadata.namespace"}}}}]}}}}]}}}}"#));
                    mounts.push(format!(r#"{{"name":"kube-api-access-{app}{r}","readOnly":true,"mountPath":"/var/run/secrets/kubernetes.io/serviceaccount"}}"#));
                }
                if secret_volume {
                    volumes.push(
                        r#"{"name":"credentials","secret":{"secretName":"app-credentials"}}"#
                            .into(),
                    );
                    mounts.push(r#"{"name":"credentials","mountPath":"/etc/credentials"}"#.into());
                }
                if let Some(path) = host_path {
                    volumes.push(format!(
                        r#"{{"name":"host","hostPath":{{"path":"{path}"}}}}"#
                    ));
                    mounts.push(r#"{"name":"host","mountPath":"/host"}"#.into());
                }
                let mut env = String::from(r#"{"name":"LOG_FORMAT","value":"json"}"#);
                if secret_env {
                    env.push_str(r#",{"name":"DB_PASSWORD","valueFrom":{"secretKeyRef":{"name":"app-credentials","key":"password"}}}"#);
                }
                let security = if privileged {
                    r#"{"privileged":true}"#
                } else {
                    r#"{"allowPrivilegeEscalation":false,"runAsNonRoot":true}"#
                };
                let mut spec = format!(
                    r#""serviceAccountName":"{sa}","nodeName":"node-{}","containers":[{{"name":"main","image":"registry.example.com/app-{app}:1.0","env":[{env}],"volumeMounts":[{}],"securityContext":{security}}}],"volumes":[{}]"#,
                    rng.below(nodes),
                    mounts.join(","),
                    volumes.join(",")
                );
                if !automount {
                    spec.push_str(r#","automountServiceAccountToken":false"#);
                }
                let hash = rng.below(1 << 20);
                items.push(format!(
                    r#"{{"apiVersion":"v1","kind":"Pod","metadata":{{"name":"app-{app}-{hash:05x}","namespace":"{ns}","uid":"uid-{ns}-{app}-{r}","labels":{{"app":"app-{app}"}},"ownerReferences":[{{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"app-{app}-rs","uid":"rs-{ns}-{app}","controller":true}}]}},"spec":{{{spec}}},"status":{{"phase":"Running"}}}}"#
                ));
                made += 1;
            }
            left -= replicas;
            app += 1;
        }
    }
    let mut text = String::from(r#"{"apiVersion":"v1","kind":"List","items":["#);
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        let _ = write!(text, "{item}");
    }
    text.push_str("]}");
    text
}
