//! The questions `who-can`, `access` and `paths` take, parsed from the
//! words a user types: verbs, resources as `kubectl auth can-i` writes them,
//! subjects, pods and nodes. Each parser returns one line naming what is
//! wrong. Pure: no I/O.

use crate::rbac::SubjectId;
use crate::rbac::subjects::parse_service_account_user;

/// A question about something the input does not hold.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// `--from`, `--to` or the subject names an object the input does not have.
    #[error("{what} is not in the input{hint}")]
    NotInInput {
        /// The object, as the user wrote it.
        what: String,
        /// What to ask instead, if anything.
        hint: String,
    },
}

/// What a request is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    /// An API resource.
    Api {
        /// The API group, `""` for the core group.
        group: String,
        /// The resource (`pods`, `*`).
        resource: String,
        /// The subresource (`exec`), or `""`.
        subresource: String,
    },
    /// A non-resource URL (`/metrics`).
    Url(String),
}

/// A parsed RESOURCE argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceArg {
    /// The resource.
    pub resource: Resource,
    /// Set when the group was not written and the resource is not a
    /// built-in one: the core group was assumed.
    pub assumed_core: bool,
}

/// Built-in resources: (resource, API group, short names), as discovery
/// would resolve them for kubectl.
const BUILT_IN: &[(&str, &str, &[&str])] = &[
    ("pods", "", &["po"]),
    ("services", "", &["svc"]),
    ("serviceaccounts", "", &["sa"]),
    ("secrets", "", &[]),
    ("configmaps", "", &["cm"]),
    ("nodes", "", &["no"]),
    ("namespaces", "", &["ns"]),
    ("endpoints", "", &["ep"]),
    ("events", "", &["ev"]),
    ("persistentvolumeclaims", "", &["pvc"]),
    ("persistentvolumes", "", &["pv"]),
    ("replicationcontrollers", "", &["rc"]),
    ("limitranges", "", &["limits"]),
    ("resourcequotas", "", &["quota"]),
    ("podtemplates", "", &[]),
    ("componentstatuses", "", &["cs"]),
    ("bindings", "", &[]),
    ("users", "", &[]),
    ("groups", "", &[]),
    ("deployments", "apps", &["deploy"]),
    ("replicasets", "apps", &["rs"]),
    ("statefulsets", "apps", &["sts"]),
    ("daemonsets", "apps", &["ds"]),
    ("controllerrevisions", "apps", &[]),
    ("jobs", "batch", &[]),
    ("cronjobs", "batch", &["cj"]),
    ("roles", "rbac.authorization.k8s.io", &[]),
    ("rolebindings", "rbac.authorization.k8s.io", &[]),
    ("clusterroles", "rbac.authorization.k8s.io", &[]),
    ("clusterrolebindings", "rbac.authorization.k8s.io", &[]),
    (
        "certificatesigningrequests",
        "certificates.k8s.io",
        &["csr"],
    ),
    ("signers", "certificates.k8s.io", &[]),
    (
        "mutatingwebhookconfigurations",
        "admissionregistration.k8s.io",
        &[],
    ),
    (
        "validatingwebhookconfigurations",
        "admissionregistration.k8s.io",
        &[],
    ),
    (
        "validatingadmissionpolicies",
        "admissionregistration.k8s.io",
        &[],
    ),
    (
        "validatingadmissionpolicybindings",
        "admissionregistration.k8s.io",
        &[],
    ),
    (
        "customresourcedefinitions",
        "apiextensions.k8s.io",
        &["crd", "crds"],
    ),
    ("apiservices", "apiregistration.k8s.io", &[]),
    ("networkpolicies", "networking.k8s.io", &["netpol"]),
    ("ingresses", "networking.k8s.io", &["ing"]),
    ("ingressclasses", "networking.k8s.io", &[]),
    ("poddisruptionbudgets", "policy", &["pdb"]),
    ("storageclasses", "storage.k8s.io", &["sc"]),
    ("csidrivers", "storage.k8s.io", &[]),
    ("csinodes", "storage.k8s.io", &[]),
    ("volumeattachments", "storage.k8s.io", &[]),
    ("leases", "coordination.k8s.io", &[]),
    ("endpointslices", "discovery.k8s.io", &[]),
    ("horizontalpodautoscalers", "autoscaling", &["hpa"]),
    ("priorityclasses", "scheduling.k8s.io", &["pc"]),
    ("runtimeclasses", "node.k8s.io", &[]),
    ("tokenreviews", "authentication.k8s.io", &[]),
    ("userextras", "authentication.k8s.io", &[]),
    ("uids", "authentication.k8s.io", &[]),
    ("subjectaccessreviews", "authorization.k8s.io", &[]),
    ("selfsubjectaccessreviews", "authorization.k8s.io", &[]),
    ("selfsubjectrulesreviews", "authorization.k8s.io", &[]),
];

/// VERB: lower-case letters, or `*` (the literal verb only a `*` rule allows).
pub fn parse_verb(text: &str) -> Result<String, String> {
    if text == "*"
        || (!text.is_empty() && text.len() <= 64 && text.bytes().all(|b| b.is_ascii_lowercase()))
    {
        Ok(text.to_string())
    } else {
        Err("not a verb: lower-case letters (get, list, create, escalate, ...) or *".into())
    }
}

fn is_resource_word(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 253
        && text.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.' || b == b'*'
        })
}

/// RESOURCE as `kubectl auth can-i` takes it: `pods`, a short name (`po`),
/// `pods/exec`, `deployments.apps`, `leases.coordination.k8s.io/status`,
/// `*`, `*.*`, or a non-resource URL starting with `/`.
///
/// Without a group, a built-in resource gets its group (`deployments` is
/// `deployments.apps`, as kubectl's discovery would say) and any other
/// resource the core group, which the answer mentions. `*` alone is the
/// resource `*` in the core group, as kubectl sends it; `*.*` is every group.
pub fn parse_resource(text: &str) -> Result<ResourceArg, String> {
    if text.starts_with('/') {
        if text.chars().any(char::is_control) || text.contains(char::is_whitespace) {
            return Err("not a URL path: no spaces or control characters".into());
        }
        return Ok(ResourceArg {
            resource: Resource::Url(text.to_string()),
            assumed_core: false,
        });
    }
    let (main, sub) = match text.split_once('/') {
        Some((m, s)) => (m, s),
        None => (text, ""),
    };
    if !is_resource_word(main) || (!sub.is_empty() && !is_resource_word(sub)) || sub.contains('/') {
        return Err("not a resource: write it as kubectl does (pods, pods/exec, deployments.apps, *), or a URL path starting with /".into());
    }
    if text.ends_with('/') {
        return Err("a subresource cannot be empty: write pods/exec, or pods".into());
    }
    let (resource, group, assumed_core) = match main.split_once('.') {
        Some((r, g)) if !r.is_empty() && !g.is_empty() => (r.to_string(), g.to_string(), false),
        Some(_) => return Err("not a resource: RESOURCE.GROUP needs both parts".into()),
        None => match BUILT_IN
            .iter()
            .find(|(r, _, short)| *r == main || short.contains(&main))
        {
            Some((r, g, _)) => (r.to_string(), g.to_string(), false),
            None => (main.to_string(), String::new(), main != "*"),
        },
    };
    Ok(ResourceArg {
        resource: Resource::Api {
            group,
            resource,
            subresource: sub.to_string(),
        },
        assumed_core,
    })
}

const SUBJECT_FORMS: &str =
    "write user:NAME, group:NAME, sa:NAMESPACE/NAME or system:serviceaccount:NAMESPACE:NAME";

/// A subject: `user:NAME`, `group:NAME`, `sa:NAMESPACE/NAME` (the kinds
/// may be written `User`, `Group`, `ServiceAccount`, `serviceaccount`), or a
/// ServiceAccount's user name `system:serviceaccount:NAMESPACE:NAME`.
pub fn parse_subject(text: &str) -> Result<SubjectId, String> {
    if let Some((ns, name)) = parse_service_account_user(text) {
        return service_account(ns, name);
    }
    let Some((kind, name)) = text.split_once(':') else {
        return Err(format!("not a subject: {SUBJECT_FORMS}"));
    };
    if name.is_empty() {
        return Err(format!("a subject needs a name: {SUBJECT_FORMS}"));
    }
    match kind.to_ascii_lowercase().as_str() {
        "user" | "u" => Ok(SubjectId::User { name: name.into() }),
        "group" | "g" => Ok(SubjectId::Group { name: name.into() }),
        "sa" | "serviceaccount" => match name.split_once('/') {
            Some((ns, n)) => service_account(ns, n),
            None => Err("a ServiceAccount is written sa:NAMESPACE/NAME".into()),
        },
        _ => Err(format!("unknown subject kind `{kind}`: {SUBJECT_FORMS}")),
    }
}

fn service_account(ns: &str, name: &str) -> Result<SubjectId, String> {
    if ns.is_empty() || name.is_empty() || name.contains('/') || ns.contains('/') {
        return Err("a ServiceAccount is written sa:NAMESPACE/NAME".into());
    }
    Ok(SubjectId::ServiceAccount {
        namespace: ns.into(),
        name: name.into(),
    })
}

/// One end of a route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// A user, group or ServiceAccount.
    Subject(SubjectId),
    /// A pod, by namespace and name.
    Pod {
        /// Its namespace.
        namespace: String,
        /// Its name.
        name: String,
    },
    /// A Kubernetes node.
    Node(String),
    /// The Secrets of a namespace.
    Secrets(String),
    /// Cluster-admin-equivalent power.
    ClusterAdmin,
}

/// `--from` and `--to`: a subject (see [`parse_subject`]), `pod/NS/NAME`,
/// `node/NAME`, `secrets/NS`, or `cluster-admin`.
pub fn parse_endpoint(text: &str) -> Result<Endpoint, String> {
    const FORMS: &str = "a subject (user:NAME, group:NAME, sa:NAMESPACE/NAME), pod/NAMESPACE/NAME, node/NAME, secrets/NAMESPACE or cluster-admin";
    if text == "cluster-admin" {
        return Ok(Endpoint::ClusterAdmin);
    }
    let parts: Vec<&str> = text.split('/').collect();
    match parts.as_slice() {
        ["pod" | "pods" | "po", ns, name] if !ns.is_empty() && !name.is_empty() => {
            Ok(Endpoint::Pod {
                namespace: ns.to_string(),
                name: name.to_string(),
            })
        }
        ["node" | "nodes" | "no", name] if !name.is_empty() => Ok(Endpoint::Node(name.to_string())),
        ["secrets" | "secret", ns] if !ns.is_empty() => Ok(Endpoint::Secrets(ns.to_string())),
        [
            "pod" | "pods" | "po" | "node" | "nodes" | "no" | "secrets" | "secret",
            ..,
        ] => Err(format!("expected {FORMS}")),
        _ => parse_subject(text)
            .map(Endpoint::Subject)
            .map_err(|_| format!("expected {FORMS}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(group: &str, resource: &str, sub: &str) -> Resource {
        Resource::Api {
            group: group.into(),
            resource: resource.into(),
            subresource: sub.into(),
        }
    }

    #[test]
    fn resources_are_read_as_kubectl_auth_can_i_reads_them() {
        let r = |t: &str| parse_resource(t).unwrap().resource;
        assert_eq!(r("pods"), api("", "pods", ""));
        assert_eq!(r("po"), api("", "pods", ""));
        assert_eq!(r("pods/exec"), api("", "pods", "exec"));
        assert_eq!(r("deployments"), api("apps", "deployments", ""));
        assert_eq!(r("deploy"), api("apps", "deployments", ""));
        assert_eq!(r("deployments.apps"), api("apps", "deployments", ""));
        assert_eq!(
            r("leases.coordination.k8s.io"),
            api("coordination.k8s.io", "leases", "")
        );
        assert_eq!(r("*"), api("", "*", ""));
        assert_eq!(r("*.*"), api("*", "*", ""));
        assert_eq!(r("*/scale"), api("", "*", "scale"));
        assert_eq!(r("/metrics"), Resource::Url("/metrics".into()));
        let unknown = parse_resource("widgets").unwrap();
        assert!(unknown.assumed_core);
        assert_eq!(unknown.resource, api("", "widgets", ""));
        for bad in [
            "",
            "Pods",
            "pods/",
            "pods/exec/x",
            ".apps",
            "pods.",
            "po ds",
            "/a b",
        ] {
            assert!(parse_resource(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn verbs_are_lower_case_words_or_the_literal_star() {
        assert_eq!(parse_verb("get").unwrap(), "get");
        assert_eq!(parse_verb("*").unwrap(), "*");
        for bad in ["", "GET", "get pods", "ge-t", "**"] {
            assert!(parse_verb(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn subjects_and_endpoints_have_one_spelling_per_kind() {
        let sa = SubjectId::ServiceAccount {
            namespace: "ci".into(),
            name: "deployer".into(),
        };
        for t in [
            "sa:ci/deployer",
            "ServiceAccount:ci/deployer",
            "system:serviceaccount:ci:deployer",
        ] {
            assert_eq!(parse_subject(t).unwrap(), sa, "{t}");
        }
        assert_eq!(
            parse_subject("user:system:kube-proxy").unwrap(),
            SubjectId::User {
                name: "system:kube-proxy".into()
            }
        );
        assert_eq!(
            parse_subject("Group:system:masters").unwrap(),
            SubjectId::group("system:masters")
        );
        for bad in ["alice", "user:", "sa:ci", "sa:/x", "robot:x", "sa:a/b/c"] {
            assert!(parse_subject(bad).is_err(), "{bad:?}");
        }
        // A name is data: whatever a cluster holds can be asked about (and
        // is escaped wherever it is shown).
        assert!(parse_subject("user:a\u{1b}").is_ok());
        assert_eq!(
            parse_endpoint("pod/ci/runner").unwrap(),
            Endpoint::Pod {
                namespace: "ci".into(),
                name: "runner".into()
            }
        );
        assert_eq!(
            parse_endpoint("node/n1").unwrap(),
            Endpoint::Node("n1".into())
        );
        assert_eq!(
            parse_endpoint("secrets/ci").unwrap(),
            Endpoint::Secrets("ci".into())
        );
        assert_eq!(
            parse_endpoint("cluster-admin").unwrap(),
            Endpoint::ClusterAdmin
        );
        assert_eq!(
            parse_endpoint("sa:ci/deployer").unwrap(),
            Endpoint::Subject(sa)
        );
        for bad in ["pod/ci", "node/", "secrets/", "x"] {
            assert!(parse_endpoint(bad).is_err(), "{bad:?}");
        }
    }
}
