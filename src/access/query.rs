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
    /// Written in a way the API server never sends (upper case), if so.
    pub oddity: Option<Oddity>,
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

/// The verbs the API server uses for resource requests: those of the HTTP
/// methods (`get`, `list`, `watch`, `create`, `update`, `patch`, `delete`,
/// `deletecollection`), the special verbs the API server and its admission
/// plugins ask for (`use`, `bind`, `escalate`, `impersonate`, `approve`,
/// `sign`, `attest`, `proxy`), and `*`.
pub const RESOURCE_VERBS: &[&str] = &[
    "get",
    "list",
    "watch",
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
    "use",
    "bind",
    "escalate",
    "impersonate",
    "approve",
    "sign",
    "attest",
    "proxy",
    "*",
];

/// The verbs of non-resource requests: the HTTP method in lower case, as
/// the API server's request-info resolver writes it, and `*`.
pub const URL_VERBS: &[&str] = &[
    "get", "post", "put", "patch", "delete", "head", "options", "*",
];

/// Something in a question that the API server never sends: the request
/// is still asked as written (the authorizer compares exactly, so only a
/// rule that says `*`, or names it as written, allows it), and a warning
/// says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Oddity {
    /// A verb the API server does not use ([`RESOURCE_VERBS`], or
    /// [`URL_VERBS`] for a URL).
    Verb {
        /// The verb, as written.
        written: String,
        /// It has upper-case letters.
        upper_case: bool,
        /// The known verb it may be meant for: its lower-case form, or the
        /// nearest by at most two edits.
        suggestion: Option<&'static str>,
    },
    /// A resource (its group or subresource included) with upper-case
    /// letters: every resource, group and subresource the API server
    /// serves is lower-case.
    Resource {
        /// The resource, as written.
        written: String,
        /// Its lower-case form.
        suggestion: String,
    },
}

/// VERB: any string but the empty one. The authorizer compares verbs
/// exactly, so `GET` is a request only a rule saying `*` (or `GET`)
/// allows, and `*` the literal verb only a `*` rule allows; a verb the API
/// server does not use is warned about ([`verb_oddity`]), not refused.
pub fn parse_verb(text: &str) -> Result<String, String> {
    if text.is_empty() {
        return Err("the verb is empty: write one (get, list, create, escalate, ...) or *".into());
    }
    Ok(text.to_string())
}

/// Whether `verb` is one the API server never uses, for a resource request
/// or (`url`) a non-resource one; and then the known verb it may be meant
/// for.
pub fn verb_oddity(verb: &str, url: bool) -> Option<Oddity> {
    let known = if url { URL_VERBS } else { RESOURCE_VERBS };
    if known.contains(&verb) {
        return None;
    }
    let lower = verb.to_lowercase();
    let suggestion = known.iter().find(|k| **k == lower).copied().or_else(|| {
        let mut best: Option<(usize, &'static str)> = None;
        for k in known.iter().filter(|k| **k != "*") {
            let d = edit_distance(&lower, k);
            if d <= 2 && best.is_none_or(|(b, _)| d < b) {
                best = Some((d, k));
            }
        }
        best.map(|(_, k)| k)
    });
    Some(Oddity::Verb {
        written: verb.to_string(),
        upper_case: verb != lower,
        suggestion,
    })
}

/// The Levenshtein distance: insertions, deletions and substitutions of
/// one character each.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substituted = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substituted.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}

/// RESOURCE as `kubectl auth can-i` takes it: `pods`, a short name (`po`),
/// `pods/exec`, `deployments.apps`, `leases.coordination.k8s.io/status`,
/// `*`, `*.*`, or a non-resource URL starting with `/`.
///
/// Without a group, a built-in resource gets its group (`deployments` is
/// `deployments.apps`, as kubectl's discovery would say) and any other
/// resource the core group, which the answer mentions. `*` alone is the
/// resource `*` in the core group, as kubectl sends it; `*.*` is every group.
///
/// Any other resource is asked as written, since the authorizer compares
/// exactly (`Pods` is not `pods`; upper case is warned about, see
/// [`ResourceArg::oddity`]). Refused is only what no request can be: an
/// empty resource, group or subresource (``, `.apps`, `pods.`, `pods/`), a
/// resource with two slashes (`pods/exec/x`), or a URL with spaces or
/// control characters.
pub fn parse_resource(text: &str) -> Result<ResourceArg, String> {
    if text.starts_with('/') {
        if text.chars().any(char::is_control) || text.contains(char::is_whitespace) {
            return Err("not a URL path: no spaces or control characters".into());
        }
        return Ok(ResourceArg {
            resource: Resource::Url(text.to_string()),
            assumed_core: false,
            oddity: None,
        });
    }
    if text.is_empty() {
        return Err("the resource is empty: write one as kubectl does (pods, pods/exec, deployments.apps, *), or a URL path starting with /".into());
    }
    let (main, sub) = match text.split_once('/') {
        Some((m, s)) => (m, s),
        None => (text, ""),
    };
    if sub.contains('/') {
        return Err("a resource has at most one slash: RESOURCE/SUBRESOURCE (pods/exec), or a URL path starting with /".into());
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
    let lower = text.to_lowercase();
    let oddity = (lower != text).then(|| Oddity::Resource {
        written: text.to_string(),
        suggestion: lower,
    });
    Ok(ResourceArg {
        resource: Resource::Api {
            group,
            resource,
            subresource: sub.to_string(),
        },
        assumed_core,
        oddity,
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
    /// A cloud identity a ServiceAccount is federated with: any (`cloud`),
    /// or one by its identity (`cloud:ID`: a role ARN, a Google service
    /// account, an Azure client id; `cloud:PROVIDER:ID` works too).
    Cloud(Option<String>),
}

/// `--from` and `--to`: a subject (see [`parse_subject`]), `pod/NS/NAME`,
/// `node/NAME`, `secrets/NS`, `cluster-admin`, or `cloud` / `cloud:ID`.
pub fn parse_endpoint(text: &str) -> Result<Endpoint, String> {
    const FORMS: &str = "a subject (user:NAME, group:NAME, sa:NAMESPACE/NAME), pod/NAMESPACE/NAME, node/NAME, secrets/NAMESPACE, cluster-admin, cloud or cloud:ID";
    if text == "cluster-admin" {
        return Ok(Endpoint::ClusterAdmin);
    }
    if text == "cloud" {
        return Ok(Endpoint::Cloud(None));
    }
    if let Some(id) = text.strip_prefix("cloud:") {
        return match id {
            "" => Err(format!("expected {FORMS}")),
            id => Ok(Endpoint::Cloud(Some(id.to_string()))),
        };
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
        for bad in ["", "pods/", "pods/exec/x", ".apps", "pods.", "/a b"] {
            assert!(parse_resource(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn any_resource_a_request_can_carry_is_asked_as_written() {
        // The authorizer compares resources exactly (`ResourceMatches`):
        // `Pods` is a request of its own, which only a `*` rule (or one
        // naming `Pods`) allows; it is asked, not refused.
        let pods = parse_resource("Pods").unwrap();
        assert_eq!(pods.resource, api("", "Pods", ""));
        assert!(pods.assumed_core);
        assert_eq!(
            pods.oddity,
            Some(Oddity::Resource {
                written: "Pods".into(),
                suggestion: "pods".into()
            })
        );
        // The resource of Kubernetes' own authorizer tests.
        let r1 = parse_resource("resource1").unwrap();
        assert_eq!(r1.resource, api("", "resource1", ""));
        assert_eq!(r1.oddity, None);
        assert_eq!(
            parse_resource("Deployments.Apps/Scale").unwrap().resource,
            api("Apps", "Deployments", "Scale")
        );
        assert_eq!(
            parse_resource("po ds").unwrap().resource,
            api("", "po ds", "")
        );
        assert_eq!(
            parse_resource("podsecuritypolicies.policy")
                .unwrap()
                .resource,
            api("policy", "podsecuritypolicies", "")
        );
        assert_eq!(parse_resource("pods").unwrap().oddity, None);
        assert_eq!(parse_resource("/Metrics").unwrap().oddity, None);
        // What no request can be is refused, in one line naming it.
        for (bad, says) in [
            ("", "the resource is empty"),
            ("a/b/c", "at most one slash"),
            ("pods/exec/x", "at most one slash"),
            ("pods//", "at most one slash"),
        ] {
            let e = parse_resource(bad).unwrap_err();
            assert!(e.contains(says), "{bad:?}: {e}");
            assert!(!e.contains('\n'), "{bad:?}: {e}");
        }
    }

    #[test]
    fn any_verb_but_the_empty_one_is_asked_as_written() {
        // Verbs are free strings to the authorizer (`VerbMatches` compares
        // exactly): `GET`, `verb1` (Kubernetes' own authorizer tests) and
        // the special verbs are requests, each allowed by its own rules.
        for verb in [
            "get", "*", "GET", "verb1", "use", "approve", "sign", "get pods", "**",
        ] {
            assert_eq!(parse_verb(verb).unwrap(), verb);
        }
        let e = parse_verb("").unwrap_err();
        assert!(e.contains("the verb is empty"), "{e}");
    }

    #[test]
    fn verbs_the_api_server_never_sends_are_named_with_the_nearest_known_one() {
        let odd = |v: &str, url: bool| match verb_oddity(v, url) {
            Some(Oddity::Verb {
                upper_case,
                suggestion,
                ..
            }) => Some((upper_case, suggestion)),
            _ => None,
        };
        for known in RESOURCE_VERBS {
            assert_eq!(odd(known, false), None, "{known}");
        }
        assert_eq!(odd("GET", false), Some((true, Some("get"))));
        assert_eq!(odd("Use", false), Some((true, Some("use"))));
        assert_eq!(odd("gett", false), Some((false, Some("get"))));
        assert_eq!(odd("lsit", false), Some((false, Some("list"))));
        assert_eq!(odd("delet", false), Some((false, Some("delete"))));
        assert_eq!(odd("Impersonat", false), Some((true, Some("impersonate"))));
        assert_eq!(odd("verb1", false), Some((false, None)));
        assert_eq!(odd("**", false), Some((false, None)));
        // A URL's verb is the request's HTTP method, in lower case.
        assert_eq!(odd("post", true), None);
        assert_eq!(odd("head", true), None);
        assert_eq!(odd("POST", true), Some((true, Some("post"))));
        assert_eq!(odd("get", true), None);
        assert_eq!(edit_distance("", "get"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("patch", "watch"), 1);
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
