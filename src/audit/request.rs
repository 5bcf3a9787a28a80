//! What one request is for the authorizer: who (after impersonation), which
//! verb, on what (a resource's group, resource, subresource, namespace and
//! name, or a non-resource URL), and the reason the authorizer gave.
//!
//! When the event has `impersonatedUser`, the request was authorized as
//! that user and its groups: they are the request's user and groups, and
//! the real user is its `impersonator`. A request without `objectRef` is a
//! non-resource request, whose URL is the path of `requestURI`: the query
//! string (which may hold secrets) is never kept.

use super::event::{Event, Text};

/// One request, owned.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Request {
    /// The user the request was authorized as.
    pub user: String,
    /// That user's groups.
    pub groups: Vec<String>,
    /// The user who impersonated `user`, if the request impersonated.
    pub impersonator: Option<String>,
    /// The impersonator's own groups (empty when the request did not
    /// impersonate): impersonating was authorized as them.
    pub impersonator_groups: Vec<String>,
    /// The authorizer's verb.
    pub verb: String,
    /// The API group (empty for the core group and non-resource requests).
    pub api_group: String,
    /// The resource (empty for a non-resource request).
    pub resource: String,
    /// The subresource, or empty.
    pub subresource: String,
    /// The namespace, or empty (cluster-scoped or all namespaces).
    pub namespace: String,
    /// The object's name, or empty (list, watch, create without a name).
    pub name: String,
    /// The path of a non-resource request (`/healthz`), without its query.
    pub non_resource_url: Option<String>,
    /// The authorizer's reason (`RBAC: allowed by RoleBinding "b/ns" of
    /// Role "r" to ServiceAccount "sa/ns"`), when the event has it.
    pub reason: Option<String>,
    /// When the request was received (for a tally's request: the last
    /// time such a request was received).
    pub at: jiff::Timestamp,
}

/// One request, borrowed: from an event (`G` = [`Text`]) or from a
/// finished tally (`G` = `Box<str>`).
#[derive(Debug, PartialEq, Eq)]
pub struct RequestRef<'a, G = Box<str>> {
    /// As [`Request::user`].
    pub user: &'a str,
    /// As [`Request::groups`].
    pub groups: &'a [G],
    /// As [`Request::impersonator`].
    pub impersonator: Option<&'a str>,
    /// As [`Request::impersonator_groups`].
    pub impersonator_groups: &'a [G],
    /// As [`Request::verb`].
    pub verb: &'a str,
    /// As [`Request::api_group`].
    pub api_group: &'a str,
    /// As [`Request::resource`].
    pub resource: &'a str,
    /// As [`Request::subresource`].
    pub subresource: &'a str,
    /// As [`Request::namespace`].
    pub namespace: &'a str,
    /// As [`Request::name`].
    pub name: &'a str,
    /// As [`Request::non_resource_url`].
    pub non_resource_url: Option<&'a str>,
    /// As [`Request::reason`].
    pub reason: Option<&'a str>,
}

impl<G> Clone for RequestRef<'_, G> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<G> Copy for RequestRef<'_, G> {}

/// The empty request (no user, verb or object, no groups, no URL, no
/// reason), to build one from the fields that matter.
impl<G> Default for RequestRef<'_, G> {
    fn default() -> Self {
        RequestRef {
            user: "",
            groups: &[],
            impersonator: None,
            impersonator_groups: &[],
            verb: "",
            api_group: "",
            resource: "",
            subresource: "",
            namespace: "",
            name: "",
            non_resource_url: None,
            reason: None,
        }
    }
}

/// The verbs that read: a log that has none of them for a resource may come
/// from an audit policy that does not record its reads.
pub const READ_VERBS: [&str; 3] = ["get", "list", "watch"];

impl<'e> RequestRef<'e, Text<'e>> {
    /// The request an event is about; `None` when it names no user.
    pub fn of(event: &'e Event<'e>) -> Option<Self> {
        let real = event.user.as_ref()?;
        let real_name = real.username.as_deref().filter(|u| !u.is_empty())?;
        let (user, groups, impersonator, impersonator_groups) = match &event.impersonated_user {
            Some(imp) => (
                imp.username.as_deref().unwrap_or_default(),
                &imp.groups[..],
                Some(real_name),
                &real.groups[..],
            ),
            None => (real_name, &real.groups[..], None, &[][..]),
        };
        let text = |t: &'e Option<Text<'e>>| t.as_deref().unwrap_or_default();
        let (api_group, resource, subresource, namespace, name, non_resource_url) =
            match &event.object_ref {
                Some(o) => (
                    text(&o.api_group),
                    text(&o.resource),
                    text(&o.subresource),
                    text(&o.namespace),
                    text(&o.name),
                    None,
                ),
                None => ("", "", "", "", "", Some(path_of(text(&event.request_uri)))),
            };
        Some(RequestRef {
            user,
            groups,
            impersonator,
            impersonator_groups,
            verb: text(&event.verb),
            api_group,
            resource,
            subresource,
            namespace,
            name,
            non_resource_url,
            reason: event.annotations.reason.as_deref(),
        })
    }
}

impl<G: AsRef<str>> RequestRef<'_, G> {
    /// The groups as strings.
    pub fn groups(&self) -> impl Iterator<Item = &str> {
        self.groups.iter().map(AsRef::as_ref)
    }

    /// Whether the request reads a resource (`get`, `list`, `watch`).
    pub fn is_resource_read(&self) -> bool {
        self.non_resource_url.is_none() && READ_VERBS.contains(&self.verb)
    }

    /// The owned request, received at `at`.
    pub fn to_request(&self, at: jiff::Timestamp) -> Request {
        Request {
            user: self.user.to_owned(),
            groups: self.groups().map(str::to_owned).collect(),
            impersonator: self.impersonator.map(str::to_owned),
            impersonator_groups: (self.impersonator_groups.iter())
                .map(|g| g.as_ref().to_owned())
                .collect(),
            verb: self.verb.to_owned(),
            api_group: self.api_group.to_owned(),
            resource: self.resource.to_owned(),
            subresource: self.subresource.to_owned(),
            namespace: self.namespace.to_owned(),
            name: self.name.to_owned(),
            non_resource_url: self.non_resource_url.map(str::to_owned),
            reason: self.reason.map(str::to_owned),
            at,
        }
    }
}

impl Request {
    /// The request `event` is about, received at the event's time; `None`
    /// when it names no user or has no time.
    pub fn of(event: &Event<'_>) -> Option<Request> {
        Some(RequestRef::of(event)?.to_request(event.at()?))
    }
}

/// The path of a request URI: what comes before its query string or
/// fragment.
pub fn path_of(uri: &str) -> &str {
    match uri.find(['?', '#']) {
        Some(i) => &uri[..i],
        None => uri,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(text: &str) -> Request {
        Request::of(&serde_json::from_str(text).unwrap()).unwrap()
    }

    #[test]
    fn a_resource_request_names_its_object() {
        let r = request(
            r#"{"auditID":"a","stage":"ResponseComplete","verb":"get","requestURI":"/apis/apps/v1/namespaces/shop/deployments/web/scale","user":{"username":"system:serviceaccount:shop:ci","groups":["system:serviceaccounts","system:serviceaccounts:shop","system:authenticated"]},"objectRef":{"resource":"deployments","namespace":"shop","name":"web","apiGroup":"apps","apiVersion":"v1","subresource":"scale"},"annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":"RBAC: allowed by RoleBinding \"ci/shop\" of Role \"scaler\" to ServiceAccount \"ci/shop\""},"requestReceivedTimestamp":"2024-05-01T10:00:00.000001Z"}"#,
        );
        assert_eq!(r.user, "system:serviceaccount:shop:ci");
        assert_eq!(r.groups.len(), 3);
        assert_eq!(r.impersonator, None);
        assert_eq!(
            (
                &*r.verb,
                &*r.api_group,
                &*r.resource,
                &*r.subresource,
                &*r.namespace,
                &*r.name
            ),
            ("get", "apps", "deployments", "scale", "shop", "web")
        );
        assert_eq!(r.non_resource_url, None);
        assert_eq!(
            r.reason.as_deref(),
            Some(
                r#"RBAC: allowed by RoleBinding "ci/shop" of Role "scaler" to ServiceAccount "ci/shop""#
            )
        );
    }

    #[test]
    fn a_non_resource_request_keeps_its_path_without_the_query() {
        let r = request(
            r#"{"auditID":"a","stage":"ResponseComplete","verb":"get","requestURI":"/healthz?verbose=1\u0026token=hunter2","user":{"username":"kubelet"},"requestReceivedTimestamp":"2024-05-01T10:00:00Z"}"#,
        );
        assert_eq!(r.non_resource_url.as_deref(), Some("/healthz"));
        assert_eq!(r.resource, "");
        assert!(!format!("{r:?}").contains("hunter2"));
        assert_eq!(path_of("/version#x"), "/version");
        assert_eq!(path_of("/apis"), "/apis");
    }

    #[test]
    fn an_impersonated_request_is_the_impersonated_users() {
        let r = request(
            r#"{"auditID":"a","stage":"ResponseComplete","verb":"list","user":{"username":"admin","groups":["system:masters"]},"impersonatedUser":{"username":"jane","groups":["developers","system:authenticated"]},"objectRef":{"resource":"secrets","namespace":"dev"},"requestReceivedTimestamp":"2024-05-01T10:00:00Z"}"#,
        );
        assert_eq!(r.user, "jane");
        assert_eq!(r.groups, ["developers", "system:authenticated"]);
        assert_eq!(r.impersonator.as_deref(), Some("admin"));
        assert_eq!(r.impersonator_groups, ["system:masters"]);
        assert_eq!(r.api_group, "");
    }
}
