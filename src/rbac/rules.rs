//! Policy-rule matching, exactly as the Kubernetes RBAC authorizer evaluates it
//! (`pkg/apis/rbac/v1/evaluation_helpers.go` upstream).
//!
//! A request is described by [`Request`]; [`rule_allows`] says whether one
//! `PolicyRule` allows it. [`rule_grants`] adds what an auditor needs beyond a
//! yes/no: whether a rule limited by `resourceNames` allows a verb for *some*
//! names only.

use k8s_openapi::api::rbac::v1::PolicyRule;

/// The wildcard that matches every verb, API group, resource or non-resource URL.
pub const ALL: &str = "*";

/// One authorization request, as the API server's request-info resolver builds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request<'a> {
    /// A request for an API resource.
    Resource {
        /// The verb (`get`, `list`, `create`, `escalate`, ...).
        verb: &'a str,
        /// The API group; `""` is the core group.
        api_group: &'a str,
        /// The resource, without subresource (`pods`).
        resource: &'a str,
        /// The subresource (`exec`), or `""`.
        subresource: &'a str,
        /// The object's name, or `""` when the request names no object (list, create, deletecollection).
        name: &'a str,
    },
    /// A request for a non-resource URL such as `/healthz`.
    NonResource {
        /// The verb, lower-case HTTP method (`get`, `post`, ...).
        verb: &'a str,
        /// The URL path.
        path: &'a str,
    },
}

/// How far a single rule grants a request that names no particular object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grant<'r> {
    /// The rule allows the request for every object name.
    All,
    /// The rule allows the verb only on these named objects (`resourceNames`).
    Named(&'r [String]),
}

/// `VerbMatches`: `*` or an exact verb.
pub fn verb_matches(rule: &PolicyRule, verb: &str) -> bool {
    rule.verbs.iter().any(|v| v == ALL || v == verb)
}

/// `APIGroupMatches`: `*` or an exact group. An absent or empty list matches nothing.
pub fn api_group_matches(rule: &PolicyRule, group: &str) -> bool {
    rule.api_groups
        .iter()
        .flatten()
        .any(|g| g == ALL || g == group)
}

/// `ResourceMatches`: `*` matches every resource and subresource; an exact
/// `resource` or `resource/subresource`; or `*/subresource` for that subresource
/// of any resource. `pods/*` is not a wildcard.
pub fn resource_matches(rule: &PolicyRule, resource: &str, subresource: &str) -> bool {
    rule.resources.iter().flatten().any(|r| {
        if r == ALL {
            return true;
        }
        if subresource.is_empty() {
            return r == resource;
        }
        match r.split_once('/') {
            Some((res, sub)) => sub == subresource && (res == resource || res == ALL),
            None => false,
        }
    })
}

/// `ResourceNameMatches`: an absent or empty list allows every name.
pub fn resource_name_matches(rule: &PolicyRule, name: &str) -> bool {
    match rule.resource_names.as_deref() {
        None | Some([]) => true,
        Some(names) => names.iter().any(|n| n == name),
    }
}

/// `NonResourceURLMatches`: `*`, an exact path, or a prefix ending in `*`.
pub fn non_resource_url_matches(rule: &PolicyRule, path: &str) -> bool {
    rule.non_resource_urls.iter().flatten().any(|u| {
        if u == ALL || u == path {
            return true;
        }
        match u.strip_suffix('*') {
            Some(_) => path.starts_with(u.trim_end_matches('*')),
            None => false,
        }
    })
}

/// `RuleAllows`: whether `rule` allows `request`.
pub fn rule_allows(rule: &PolicyRule, request: &Request<'_>) -> bool {
    match *request {
        Request::Resource {
            verb,
            api_group,
            resource,
            subresource,
            name,
        } => {
            verb_matches(rule, verb)
                && api_group_matches(rule, api_group)
                && resource_matches(rule, resource, subresource)
                && resource_name_matches(rule, name)
        }
        Request::NonResource { verb, path } => {
            verb_matches(rule, verb) && non_resource_url_matches(rule, path)
        }
    }
}

/// A rule's content, for finding identical rules (the aggregation
/// controller keeps one copy of identical rules, `ruleExists` upstream).
pub type RuleKey<'r> = (
    &'r Option<Vec<String>>,
    &'r Option<Vec<String>>,
    &'r Vec<String>,
    &'r Option<Vec<String>>,
    &'r Option<Vec<String>>,
);

/// The content of `rule` as a hashable key.
pub fn rule_key(rule: &PolicyRule) -> RuleKey<'_> {
    (
        &rule.api_groups,
        &rule.resources,
        &rule.verbs,
        &rule.resource_names,
        &rule.non_resource_urls,
    )
}

/// Whether a request with this verb and subresource never carries an object
/// name, so that a rule limited by `resourceNames` can never allow it.
///
/// The API server's request-info resolver takes the name from the URL
/// (`/namespaces/{ns}/{resource}/{name}[/{subresource}]`). Creating an object
/// in a collection (`POST .../pods`) and deleting a collection have none: the
/// name is not known when the request is authorized. A request for a
/// subresource is always about one existing object and carries its name:
/// `kubectl exec debug` is `create` on `pods/exec` named `debug`, and a token
/// request is `create` on `serviceaccounts/token` named after the
/// ServiceAccount (likewise `pods/attach`, `pods/portforward`,
/// `pods/eviction`, `pods/binding`).
pub fn request_is_nameless(verb: &str, subresource: &str) -> bool {
    match verb {
        "create" => subresource.is_empty(),
        "deletecollection" => true,
        _ => false,
    }
}

/// Whether a request with this verb and subresource can be made without an
/// object name: the nameless ones ([`request_is_nameless`]), and `list` and
/// `watch` of a whole collection (with a `metadata.name` field selector they
/// carry that name instead).
pub fn request_may_be_nameless(verb: &str, subresource: &str) -> bool {
    request_is_nameless(verb, subresource)
        || (subresource.is_empty() && matches!(verb, "list" | "watch"))
}

/// What `rule` grants for a request that names no object (`request`'s name is
/// ignored): everything, some names only, or nothing.
///
/// A rule with `resourceNames` grants a request only for those names, and
/// nothing for requests that never carry a name ([`request_is_nameless`]);
/// `list`/`watch` with names work through a `metadata.name` field selector,
/// so they count as named. The empty name is the exception: the authorizer
/// compares the request's name, `""` when it has none, with each of
/// `resourceNames`, so `resourceNames: [""]` allows creating in a collection,
/// deleting a collection, and listing or watching all of it.
pub fn rule_grants<'r>(rule: &'r PolicyRule, request: &Request<'_>) -> Option<Grant<'r>> {
    match *request {
        Request::NonResource { .. } => rule_allows(rule, request).then_some(Grant::All),
        Request::Resource {
            verb,
            api_group,
            resource,
            subresource,
            ..
        } => {
            if !(verb_matches(rule, verb)
                && api_group_matches(rule, api_group)
                && resource_matches(rule, resource, subresource))
            {
                return None;
            }
            match rule.resource_names.as_deref() {
                None | Some([]) => Some(Grant::All),
                Some(names)
                    if request_may_be_nameless(verb, subresource)
                        && names.iter().any(String::is_empty) =>
                {
                    Some(Grant::All)
                }
                Some(_) if request_is_nameless(verb, subresource) => None,
                Some(names) => Some(Grant::Named(names)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    //! Each test states one rule from the Kubernetes RBAC documentation
    //! ("Using RBAC Authorization", "Referring to resources") and checks the matcher against it.
    use super::*;

    fn rule(groups: &[&str], resources: &[&str], verbs: &[&str]) -> PolicyRule {
        PolicyRule {
            api_groups: Some(groups.iter().map(|s| s.to_string()).collect()),
            resources: Some(resources.iter().map(|s| s.to_string()).collect()),
            verbs: verbs.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    fn res<'a>(verb: &'a str, group: &'a str, resource: &'a str, sub: &'a str) -> Request<'a> {
        Request::Resource {
            verb,
            api_group: group,
            resource,
            subresource: sub,
            name: "",
        }
    }

    fn named<'a>(verb: &'a str, group: &'a str, resource: &'a str, name: &'a str) -> Request<'a> {
        Request::Resource {
            verb,
            api_group: group,
            resource,
            subresource: "",
            name,
        }
    }

    // 1. Verb `*` matches every verb, including the special verbs.
    #[test]
    fn verb_wildcard_matches_every_verb_including_special_ones() {
        let r = rule(&["*"], &["*"], &["*"]);
        for verb in [
            "get",
            "list",
            "watch",
            "create",
            "update",
            "patch",
            "delete",
            "deletecollection",
            "escalate",
            "bind",
            "impersonate",
            "approve",
            "use",
        ] {
            assert!(rule_allows(&r, &res(verb, "", "pods", "")), "{verb}");
        }
    }

    #[test]
    fn exact_verb_matches_only_itself() {
        let r = rule(&[""], &["pods"], &["get"]);
        assert!(rule_allows(&r, &res("get", "", "pods", "")));
        assert!(!rule_allows(&r, &res("list", "", "pods", "")));
        assert!(!rule_allows(&r, &res("*", "", "pods", "")));
    }

    // 2. apiGroup `*` matches every group; `""` is the core group; an empty list matches nothing.
    #[test]
    fn api_group_wildcard_matches_every_group() {
        let r = rule(&["*"], &["deployments"], &["get"]);
        assert!(rule_allows(&r, &res("get", "apps", "deployments", "")));
        assert!(rule_allows(&r, &res("get", "", "deployments", "")));
        assert!(rule_allows(
            &r,
            &res("get", "extensions", "deployments", "")
        ));
    }

    #[test]
    fn empty_string_group_is_the_core_group_only() {
        let r = rule(&[""], &["pods"], &["get"]);
        assert!(rule_allows(&r, &res("get", "", "pods", "")));
        assert!(!rule_allows(&r, &res("get", "apps", "pods", "")));
        let apps = rule(&["apps"], &["deployments"], &["get"]);
        assert!(!rule_allows(&apps, &res("get", "", "deployments", "")));
    }

    #[test]
    fn empty_or_absent_api_groups_match_nothing() {
        let mut r = rule(&[], &["*"], &["*"]);
        assert!(!rule_allows(&r, &res("get", "", "pods", "")));
        r.api_groups = None;
        assert!(!rule_allows(&r, &res("get", "", "pods", "")));
    }

    // 3. Resources and subresources.
    #[test]
    fn resource_wildcard_matches_resources_and_subresources() {
        let r = rule(&[""], &["*"], &["create"]);
        assert!(rule_allows(&r, &res("create", "", "pods", "")));
        assert!(rule_allows(&r, &res("create", "", "pods", "exec")));
        assert!(rule_allows(
            &r,
            &res("create", "", "serviceaccounts", "token")
        ));
    }

    #[test]
    fn resource_with_subresource_matches_only_that_subresource() {
        let r = rule(&[""], &["pods/exec"], &["create"]);
        assert!(rule_allows(&r, &res("create", "", "pods", "exec")));
        assert!(!rule_allows(&r, &res("create", "", "pods", "")));
        assert!(!rule_allows(&r, &res("create", "", "pods", "attach")));
        assert!(!rule_allows(&r, &res("create", "", "services", "exec")));
    }

    #[test]
    fn star_slash_subresource_matches_that_subresource_of_any_resource() {
        let r = rule(&[""], &["*/exec"], &["create"]);
        assert!(rule_allows(&r, &res("create", "", "pods", "exec")));
        assert!(rule_allows(&r, &res("create", "", "anything", "exec")));
        assert!(!rule_allows(&r, &res("create", "", "pods", "attach")));
        assert!(!rule_allows(&r, &res("create", "", "pods", "")));
        // `*/exec` must not match a subresource that merely ends in "exec".
        assert!(!rule_allows(&r, &res("create", "", "pods", "myexec")));
    }

    #[test]
    fn resource_slash_star_is_not_a_wildcard() {
        let r = rule(&[""], &["pods/*"], &["get"]);
        assert!(!rule_allows(&r, &res("get", "", "pods", "exec")));
        assert!(!rule_allows(&r, &res("get", "", "pods", "log")));
        assert!(!rule_allows(&r, &res("get", "", "pods", "")));
        // It matches only a literal subresource named `*`.
        assert!(rule_allows(&r, &res("get", "", "pods", "*")));
    }

    #[test]
    fn resource_does_not_match_its_subresources() {
        let r = rule(&[""], &["pods"], &["*"]);
        assert!(rule_allows(&r, &res("create", "", "pods", "")));
        assert!(!rule_allows(&r, &res("create", "", "pods", "exec")));
        assert!(!rule_allows(&r, &res("get", "", "pods", "log")));
    }

    // 4. resourceNames.
    #[test]
    fn absent_or_empty_resource_names_allow_every_name() {
        let mut r = rule(&[""], &["secrets"], &["get"]);
        assert!(rule_allows(&r, &named("get", "", "secrets", "anything")));
        assert_eq!(
            rule_grants(&r, &res("get", "", "secrets", "")),
            Some(Grant::All)
        );
        r.resource_names = Some(vec![]);
        assert!(rule_allows(&r, &named("get", "", "secrets", "anything")));
        assert_eq!(
            rule_grants(&r, &res("get", "", "secrets", "")),
            Some(Grant::All)
        );
    }

    #[test]
    fn resource_names_limit_the_rule_to_those_names() {
        let mut r = rule(&[""], &["secrets"], &["get", "list", "watch"]);
        r.resource_names = Some(vec!["db-password".into()]);
        assert!(rule_allows(&r, &named("get", "", "secrets", "db-password")));
        assert!(!rule_allows(&r, &named("get", "", "secrets", "other")));
        // Reading one named secret is not reading all secrets.
        assert!(!rule_allows(&r, &res("get", "", "secrets", "")));
        let names = ["db-password".to_string()];
        assert_eq!(
            rule_grants(&r, &res("get", "", "secrets", "")),
            Some(Grant::Named(&names))
        );
        // list/watch with names work only through a metadata.name field selector: narrow.
        assert_eq!(
            rule_grants(&r, &res("list", "", "secrets", "")),
            Some(Grant::Named(&names))
        );
    }

    #[test]
    fn creating_in_a_collection_and_deletecollection_are_never_allowed_with_resource_names() {
        let mut r = rule(&[""], &["pods", "secrets"], &["create", "deletecollection"]);
        r.resource_names = Some(vec!["x".into()]);
        assert_eq!(rule_grants(&r, &res("create", "", "pods", "")), None);
        // The name of an object being created is not known when it is
        // authorized: the request carries none, and no name matches "".
        assert!(!rule_allows(&r, &res("create", "", "pods", "")));
        assert_eq!(
            rule_grants(&r, &res("deletecollection", "", "secrets", "")),
            None
        );
        // The same through a verb wildcard.
        r.verbs = vec!["*".into()];
        assert_eq!(rule_grants(&r, &res("create", "", "pods", "")), None);
        assert!(matches!(
            rule_grants(&r, &res("delete", "", "pods", "")),
            Some(Grant::Named(_))
        ));
    }

    /// `ResourceNameMatches` compares the request's name with each of
    /// `resourceNames`; a request without a name has the name `""`.
    #[test]
    fn an_empty_resource_name_matches_requests_without_a_name() {
        let mut r = rule(&[""], &["secrets", "pods"], &["list", "create", "get"]);
        r.resource_names = Some(vec!["".into()]);
        assert!(rule_allows(&r, &res("list", "", "secrets", "")));
        assert!(rule_allows(&r, &res("create", "", "pods", "")));
        assert!(!rule_allows(&r, &named("get", "", "secrets", "db")));
        assert_eq!(
            rule_grants(&r, &res("list", "", "secrets", "")),
            Some(Grant::All)
        );
        assert_eq!(
            rule_grants(&r, &res("create", "", "pods", "")),
            Some(Grant::All)
        );
        assert!(matches!(
            rule_grants(&r, &res("get", "", "secrets", "")),
            Some(Grant::Named(_))
        ));
    }

    #[test]
    fn creates_on_subresources_carry_the_object_name() {
        // `kubectl exec debug`: POST /api/v1/namespaces/ns/pods/debug/exec.
        let mut exec = rule(&[""], &["pods/exec"], &["create"]);
        exec.resource_names = Some(vec!["debug".into()]);
        let exec_into = |name| Request::Resource {
            verb: "create",
            api_group: "",
            resource: "pods",
            subresource: "exec",
            name,
        };
        assert!(rule_allows(&exec, &exec_into("debug")));
        assert!(!rule_allows(&exec, &exec_into("other")));
        let debug = ["debug".to_string()];
        assert_eq!(
            rule_grants(&exec, &res("create", "", "pods", "exec")),
            Some(Grant::Named(&debug))
        );
        // A token request: create serviceaccounts/token named after the ServiceAccount.
        let mut token = rule(&[""], &["serviceaccounts/token"], &["create"]);
        token.resource_names = Some(vec!["calico-node".into()]);
        assert!(matches!(
            rule_grants(&token, &res("create", "", "serviceaccounts", "token")),
            Some(Grant::Named(n)) if n == ["calico-node".to_string()]
        ));
        for sub in ["attach", "portforward", "eviction", "binding"] {
            let mut r = rule(&[""], &[&format!("pods/{sub}")], &["create"]);
            r.resource_names = Some(vec!["p".into()]);
            assert!(
                matches!(
                    rule_grants(&r, &res("create", "", "pods", sub)),
                    Some(Grant::Named(_))
                ),
                "{sub}"
            );
        }
        assert!(request_is_nameless("create", ""));
        assert!(!request_is_nameless("create", "exec"));
        assert!(request_is_nameless("deletecollection", ""));
        assert!(!request_is_nameless("delete", ""));
    }

    // 5. nonResourceURLs.
    fn url_rule(urls: &[&str], verbs: &[&str]) -> PolicyRule {
        PolicyRule {
            non_resource_urls: Some(urls.iter().map(|s| s.to_string()).collect()),
            verbs: verbs.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn non_resource_urls_match_exactly_or_by_star_prefix() {
        let r = url_rule(&["/healthz", "/logs/*", "/api*"], &["get"]);
        let get = |path| Request::NonResource { verb: "get", path };
        assert!(rule_allows(&r, &get("/healthz")));
        assert!(!rule_allows(&r, &get("/healthz/ready")));
        assert!(rule_allows(&r, &get("/logs/")));
        assert!(rule_allows(&r, &get("/logs/kube-apiserver.log")));
        assert!(!rule_allows(&r, &get("/logs")));
        assert!(rule_allows(&r, &get("/api")));
        assert!(rule_allows(&r, &get("/apis/apps/v1")));
        assert!(!rule_allows(
            &r,
            &Request::NonResource {
                verb: "post",
                path: "/healthz"
            }
        ));
        let all = url_rule(&["*"], &["*"]);
        assert!(rule_allows(&all, &get("/metrics")));
    }

    #[test]
    fn non_resource_rules_never_match_resources_and_vice_versa() {
        let urls = url_rule(&["*"], &["*"]);
        assert!(!rule_allows(&urls, &res("get", "", "pods", "")));
        let resources = rule(&["*"], &["*"], &["*"]);
        assert!(!rule_allows(
            &resources,
            &Request::NonResource {
                verb: "get",
                path: "/healthz"
            }
        ));
    }
}

#[cfg(test)]
mod properties {
    //! The matcher against a reference model: the authorizer's `RuleAllows`
    //! (`pkg/apis/rbac/v1/evaluation_helpers.go`) transcribed as directly as
    //! possible, on random rules and requests drawn from small alphabets that
    //! hit every case (wildcards, `*/sub`, `res/*`, empty strings, names).
    use super::*;
    use proptest::prelude::*;

    /// `RuleAllows`, line by line.
    fn reference(rule: &PolicyRule, request: &Request<'_>) -> bool {
        let verb_matches = |verb: &str| rule.verbs.iter().any(|v| v == "*" || v == verb);
        match *request {
            Request::Resource {
                verb,
                api_group,
                resource,
                subresource,
                name,
            } => {
                let combined = if subresource.is_empty() {
                    resource.to_string()
                } else {
                    format!("{resource}/{subresource}")
                };
                let group_matches = rule
                    .api_groups
                    .iter()
                    .flatten()
                    .any(|g| g == "*" || g == api_group);
                let resource_matches = rule.resources.iter().flatten().any(|r| {
                    r == "*"
                        || *r == combined
                        || (!subresource.is_empty()
                            && r.len() == subresource.len() + 2
                            && r.starts_with("*/")
                            && r.ends_with(subresource))
                });
                let names = rule.resource_names.as_deref().unwrap_or_default();
                let name_matches = names.is_empty() || names.iter().any(|n| n == name);
                verb_matches(verb) && group_matches && resource_matches && name_matches
            }
            Request::NonResource { verb, path } => {
                verb_matches(verb)
                    && rule.non_resource_urls.iter().flatten().any(|u| {
                        u == "*"
                            || u == path
                            || (u.ends_with('*') && path.starts_with(u.trim_end_matches('*')))
                    })
            }
        }
    }

    fn pick(options: &'static [&'static str]) -> impl Strategy<Value = String> {
        proptest::sample::select(options).prop_map(str::to_string)
    }

    fn list_of(options: &'static [&'static str]) -> impl Strategy<Value = Vec<String>> {
        proptest::collection::vec(pick(options), 0..4)
    }

    const VERBS: &[&str] = &[
        "get",
        "list",
        "watch",
        "create",
        "update",
        "delete",
        "deletecollection",
        "*",
        "bind",
        "",
    ];
    const GROUPS: &[&str] = &["", "apps", "*", "rbac.authorization.k8s.io"];
    const RESOURCES: &[&str] = &[
        "pods",
        "pods/exec",
        "*/exec",
        "pods/*",
        "*",
        "secrets",
        "serviceaccounts/token",
        "*/token",
        "*/",
        "exec",
        "",
        "pods/exec/x",
        "*/*",
    ];
    const RESOURCE_NAMES: &[&str] = &["a", "b", "", "*"];
    const URLS: &[&str] = &["*", "/healthz", "/logs/*", "/api*", "/", "**", "/api"];
    const REQ_RESOURCES: &[&str] = &["pods", "secrets", "serviceaccounts", "*", "", "exec"];
    const REQ_SUBRESOURCES: &[&str] = &["", "exec", "token", "*", "x", "status"];
    const REQ_NAMES: &[&str] = &["", "a", "b", "c", "*"];
    const PATHS: &[&str] = &[
        "/healthz",
        "/healthz/ready",
        "/logs",
        "/logs/",
        "/logs/x",
        "/api",
        "/apis/apps",
        "/",
        "",
        "*",
    ];

    fn rules() -> impl Strategy<Value = PolicyRule> {
        (
            list_of(VERBS),
            proptest::option::of(list_of(GROUPS)),
            proptest::option::of(list_of(RESOURCES)),
            proptest::option::of(list_of(RESOURCE_NAMES)),
            proptest::option::of(list_of(URLS)),
        )
            .prop_map(
                |(verbs, api_groups, resources, resource_names, urls)| PolicyRule {
                    verbs,
                    api_groups,
                    resources,
                    resource_names,
                    non_resource_urls: urls,
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]

        #[test]
        fn resource_requests_match_the_reference(
            rule in rules(),
            verb in pick(VERBS),
            group in pick(GROUPS),
            resource in pick(REQ_RESOURCES),
            subresource in pick(REQ_SUBRESOURCES),
            name in pick(REQ_NAMES),
        ) {
            let request = Request::Resource {
                verb: &verb,
                api_group: &group,
                resource: &resource,
                subresource: &subresource,
                name: &name,
            };
            prop_assert_eq!(rule_allows(&rule, &request), reference(&rule, &request));
        }

        #[test]
        fn non_resource_requests_match_the_reference(
            rule in rules(),
            verb in pick(VERBS),
            path in pick(PATHS),
        ) {
            let request = Request::NonResource { verb: &verb, path: &path };
            prop_assert_eq!(rule_allows(&rule, &request), reference(&rule, &request));
        }

        /// What `rule_grants` says of a request without a name agrees with
        /// what the reference allows for every name such a request can carry:
        /// none for creating in a collection or deleting one, none or any
        /// for a list or watch, any non-empty one otherwise.
        #[test]
        fn grants_agree_with_the_reference_for_every_name_a_request_can_carry(
            rule in rules(),
            verb in pick(VERBS),
            group in pick(GROUPS),
            resource in pick(REQ_RESOURCES),
            subresource in pick(REQ_SUBRESOURCES),
        ) {
            let with = |name: &str| reference(&rule, &Request::Resource {
                verb: &verb,
                api_group: &group,
                resource: &resource,
                subresource: &subresource,
                name,
            });
            let possible: Vec<&str> = if request_is_nameless(&verb, &subresource) {
                vec![""]
            } else if request_may_be_nameless(&verb, &subresource) {
                vec!["", "a", "b", "c", "*"]
            } else {
                vec!["a", "b", "c", "*"]
            };
            let request = Request::Resource {
                verb: &verb,
                api_group: &group,
                resource: &resource,
                subresource: &subresource,
                name: "",
            };
            match rule_grants(&rule, &request) {
                Some(Grant::All) => {
                    // In full: the nameless request itself, or every name.
                    if possible.contains(&"") {
                        prop_assert!(with(""), "{rule:?}");
                    } else {
                        for n in &possible {
                            prop_assert!(with(n), "{rule:?} {n}");
                        }
                    }
                }
                Some(Grant::Named(names)) => {
                    for n in &possible {
                        prop_assert_eq!(with(n), names.iter().any(|x| x == n) && !n.is_empty(), "{:?} {}", rule, n);
                    }
                }
                None => {
                    for n in &possible {
                        prop_assert!(!with(n), "{rule:?} {n}");
                    }
                }
            }
        }
    }
}
