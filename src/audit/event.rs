//! A slim serde model of an API server audit Event (`audit.k8s.io/v1`, and
//! `v1beta1`, which adds `timestamp`): only the fields that say who asked
//! for what, and whether it was allowed, are decoded.
//!
//! Request and response bodies (`requestObject`, `responseObject`) may hold
//! Secret values, and `user.extra` may hold credentials: they are skipped
//! by the parser ([`IgnoredAny`]) and never stored, nor is any annotation
//! but the authorizer's two. Strings are borrowed from the input where it
//! has no escape ([`Text`]).

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};

/// The annotation the API server writes with the authorizer's decision
/// (`allow` or `forbid`).
pub const DECISION_ANNOTATION: &str = "authorization.k8s.io/decision";

/// The annotation the API server writes with the authorizer's reason
/// (`RBAC: allowed by ClusterRoleBinding "x" of ClusterRole "y" to Group "z"`).
pub const REASON_ANNOTATION: &str = "authorization.k8s.io/reason";

/// One audit Event, as the log, webhook and CloudWatch backends write it.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event<'a> {
    /// `Event` when written (the log backend writes it; an item of an
    /// `EventList` may leave it out).
    #[serde(default, borrow)]
    pub kind: Option<Text<'a>>,
    /// `audit.k8s.io/v1` or `audit.k8s.io/v1beta1`.
    #[serde(default, borrow)]
    pub api_version: Option<Text<'a>>,
    /// The request's ID, shared by the events of its stages.
    #[serde(default, borrow, rename = "auditID")]
    pub audit_id: Option<Text<'a>>,
    /// The stage this event was written at.
    #[serde(default)]
    pub stage: Option<Stage>,
    /// The URI the client asked for, query string included.
    #[serde(default, borrow, rename = "requestURI")]
    pub request_uri: Option<Text<'a>>,
    /// The authorizer's verb (`get`, `list`, `watch`, `create`, ... or the
    /// lower-case HTTP method of a non-resource request).
    #[serde(default, borrow)]
    pub verb: Option<Text<'a>>,
    /// Who made the request, as authenticated.
    #[serde(default, borrow)]
    pub user: Option<UserInfo<'a>>,
    /// Whom the request impersonated, if it did: it was authorized as them.
    #[serde(default, borrow)]
    pub impersonated_user: Option<UserInfo<'a>>,
    /// The object asked for; absent for a non-resource request.
    #[serde(default, borrow)]
    pub object_ref: Option<ObjectRef<'a>>,
    /// The response's status (its code only); absent before a response.
    #[serde(default)]
    pub response_status: Option<ResponseStatus>,
    /// The authorizer's decision and reason; other annotations are skipped.
    #[serde(default, borrow)]
    pub annotations: Annotations<'a>,
    /// When the request reached the API server (RFC 3339, microseconds).
    #[serde(default, borrow)]
    pub request_received_timestamp: Option<Text<'a>>,
    /// When this stage was reached.
    #[serde(default, borrow)]
    pub stage_timestamp: Option<Text<'a>>,
    /// `v1beta1` only: when the event was written.
    #[serde(default, borrow)]
    pub timestamp: Option<Text<'a>>,
    /// The request body: skipped, never stored (it may hold a Secret).
    #[serde(default)]
    pub request_object: Option<IgnoredAny>,
    /// The response body: skipped, never stored (it may hold a Secret).
    #[serde(default)]
    pub response_object: Option<IgnoredAny>,
}

/// The stage of a request an event was written at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Stage {
    /// As soon as the request is received, before it is authorized.
    RequestReceived,
    /// Once the response headers are sent (long-running requests: watch).
    ResponseStarted,
    /// Once the response is complete.
    ResponseComplete,
    /// When handling the request panicked.
    Panic,
    /// A stage this model does not know.
    #[serde(other)]
    Other,
}

/// A user as the audit Event records it; `extra` (which may hold
/// credentials) is skipped.
#[derive(Debug, Default, Deserialize)]
pub struct UserInfo<'a> {
    /// The user's name (`system:serviceaccount:NS:NAME`, `alice`, ...).
    #[serde(default, borrow)]
    pub username: Option<Text<'a>>,
    /// The user's groups.
    #[serde(default, borrow)]
    pub groups: Vec<Text<'a>>,
    /// The user's UID, when the authenticator gives one.
    #[serde(default, borrow)]
    pub uid: Option<Text<'a>>,
    /// Skipped, never stored: it may hold credentials.
    #[serde(default)]
    pub extra: Option<IgnoredAny>,
}

/// The object a resource request was about.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectRef<'a> {
    /// The resource (`pods`).
    #[serde(default, borrow)]
    pub resource: Option<Text<'a>>,
    /// The subresource (`log`, `exec`, `scale`, `status`).
    #[serde(default, borrow)]
    pub subresource: Option<Text<'a>>,
    /// The API group (empty or absent for the core group).
    #[serde(default, borrow)]
    pub api_group: Option<Text<'a>>,
    /// The namespace, for a namespaced request.
    #[serde(default, borrow)]
    pub namespace: Option<Text<'a>>,
    /// The object's name, for a request on one object.
    #[serde(default, borrow)]
    pub name: Option<Text<'a>>,
}

/// A response's status: its HTTP code only (the message may quote values).
#[derive(Debug, Default, Clone, Copy, Deserialize)]
pub struct ResponseStatus {
    /// The HTTP status code.
    #[serde(default)]
    pub code: Option<i32>,
}

/// The authorizer's two annotations; every other annotation is skipped.
#[derive(Debug, Default)]
pub struct Annotations<'a> {
    /// `authorization.k8s.io/decision`: `allow` or `forbid`.
    pub decision: Option<Text<'a>>,
    /// `authorization.k8s.io/reason`.
    pub reason: Option<Text<'a>>,
}

impl<'de: 'a, 'a> Deserialize<'de> for Annotations<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Keep;
        impl<'de> Visitor<'de> for Keep {
            type Value = Annotations<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of annotations")
            }

            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Annotations::default())
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Annotations::default();
                while let Some(key) = map.next_key::<Text<'de>>()? {
                    match &*key {
                        DECISION_ANNOTATION => out.decision = Some(map.next_value()?),
                        REASON_ANNOTATION => out.reason = Some(map.next_value()?),
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(out)
            }
        }
        d.deserialize_any(Keep)
    }
}

/// A string of the input: borrowed where the input has it as is, owned
/// where it had to be unescaped.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Text<'a>(pub Cow<'a, str>);

impl std::ops::Deref for Text<'_> {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Text<'_> {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Str;
        impl<'de> Visitor<'de> for Str {
            type Value = Text<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }

            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(v)))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }

            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        d.deserialize_str(Str)
    }
}

impl Event<'_> {
    /// Whether this is an audit Event at all: it has an `auditID`, a
    /// `stage` and a `verb`, and, if it says its `kind`, it says `Event`.
    pub fn is_event(&self) -> bool {
        self.audit_id.as_deref().is_some_and(|id| !id.is_empty())
            && self.stage.is_some()
            && self.verb.is_some()
            && self.kind.as_deref().is_none_or(|k| k == "Event")
    }

    /// When the request was received: `requestReceivedTimestamp`, else
    /// `stageTimestamp`, else `v1beta1`'s `timestamp`. The same for every
    /// stage of one request.
    pub fn at(&self) -> Option<jiff::Timestamp> {
        [
            &self.request_received_timestamp,
            &self.stage_timestamp,
            &self.timestamp,
        ]
        .into_iter()
        .flatten()
        .find_map(|t| t.parse().ok())
    }

    /// The HTTP code of the response, when the event has one.
    pub fn code(&self) -> Option<i32> {
        self.response_status.and_then(|s| s.code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example Events of the Kubernetes auditing documentation (the log
    /// backend's lines), at Metadata and RequestResponse level.
    const METADATA: &str = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"ad209ce1-9e24-4c34-9c35-f8aa61d4f2a4","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/default/pods?limit=500","verb":"list","user":{"username":"admin","groups":["system:masters","system:authenticated"],"extra":{"authentication.kubernetes.io/credential-id":["X509SHA256=abc"]}},"sourceIPs":["10.0.0.1"],"userAgent":"kubectl/v1.30.0","objectRef":{"resource":"pods","namespace":"default","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":200},"requestReceivedTimestamp":"2024-05-01T10:00:00.123456Z","stageTimestamp":"2024-05-01T10:00:00.130000Z","annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":"RBAC: allowed by ClusterRoleBinding \"cluster-admin\" of ClusterRole \"cluster-admin\" to Group \"system:masters\"","pod-security.kubernetes.io/enforce-policy":"privileged:latest"}}"#;

    #[test]
    fn the_fields_of_a_metadata_event_are_read() {
        let e: Event<'_> = serde_json::from_str(METADATA).unwrap();
        assert!(e.is_event());
        assert_eq!(e.stage, Some(Stage::ResponseComplete));
        assert_eq!(e.verb.as_deref(), Some("list"));
        assert_eq!(e.code(), Some(200));
        let user = e.user.as_ref().unwrap();
        assert_eq!(user.username.as_deref(), Some("admin"));
        assert_eq!(user.groups.len(), 2);
        let o = e.object_ref.as_ref().unwrap();
        assert_eq!(o.resource.as_deref(), Some("pods"));
        assert_eq!(o.namespace.as_deref(), Some("default"));
        assert_eq!(e.annotations.decision.as_deref(), Some("allow"));
        assert!(
            e.annotations
                .reason
                .as_deref()
                .unwrap()
                .starts_with("RBAC: allowed by ClusterRoleBinding \"cluster-admin\"")
        );
        assert_eq!(
            e.at().unwrap(),
            "2024-05-01T10:00:00.123456Z"
                .parse::<jiff::Timestamp>()
                .unwrap()
        );
        // Nothing of user.extra nor of the other annotations is kept.
        let debug = format!("{e:?}");
        assert!(!debug.contains("X509SHA256"), "{debug}");
        assert!(!debug.contains("privileged:latest"), "{debug}");
    }

    #[test]
    fn escaped_strings_are_unescaped_and_plain_ones_borrowed() {
        let e: Event<'_> = serde_json::from_str(
            r#"{"auditID":"a","stage":"RequestReceived","requestURI":"/api/v1/pods?a=1\u0026b=2","verb":"list"}"#,
        )
        .unwrap();
        assert_eq!(e.request_uri.as_deref(), Some("/api/v1/pods?a=1&b=2"));
        assert!(matches!(e.verb.unwrap().0, Cow::Borrowed(_)));
    }

    #[test]
    fn v1beta1_events_have_a_timestamp() {
        let e: Event<'_> = serde_json::from_str(
            r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1beta1","metadata":{"creationTimestamp":"2019-01-01T00:00:01Z"},"level":"Metadata","timestamp":"2019-01-01T00:00:01Z","auditID":"x","stage":"ResponseComplete","verb":"get"}"#,
        )
        .unwrap();
        assert!(e.is_event());
        assert_eq!(
            e.at().unwrap(),
            "2019-01-01T00:00:01Z".parse::<jiff::Timestamp>().unwrap()
        );
    }

    #[test]
    fn objects_that_are_not_events_are_told_apart() {
        for text in [
            r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"}}"#,
            r#"{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[]}"#,
            r#"{"auditID":"","stage":"ResponseComplete"}"#,
            r#"{"auditID":"a"}"#,
            r#"{"auditID":"a","stage":"ResponseComplete"}"#,
        ] {
            let e: Event<'_> = serde_json::from_str(text).unwrap();
            assert!(!e.is_event(), "{text}");
        }
    }
}
