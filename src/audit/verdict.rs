//! What one event says of its request: allowed (the permission was used),
//! not decided yet (the event was written before the authorizer ran), or
//! not a use at all, and why.
//!
//! The rule, in order:
//!
//! 1. code 401 (the credentials were refused): [`Skip::Unauthenticated`].
//!    An anonymous request that got through (user `system:anonymous`, where
//!    anonymous authentication is on) is authorized like any other, and is
//!    a use of the grants to `system:anonymous` or `system:unauthenticated`;
//! 2. no user name: [`Skip::NoUser`];
//! 3. the annotation `authorization.k8s.io/decision`: `allow` is allowed,
//!    `forbid` is [`Skip::Denied`] (whatever the code: a request allowed by
//!    the authorizer and then refused by admission, or not found, still
//!    needed the permission);
//! 4. without it, the response code: none (a `RequestReceived` event) is
//!    not decided yet, 403 is [`Skip::Denied`], another code of 400 or more
//!    is [`Skip::Failed`] (whether it was authorized is not known), a
//!    lower one is allowed.

use super::event::Event;

/// What one event says of its request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The request was authorized: its permission was used.
    Allowed,
    /// The event carries no decision (no decision annotation, no response
    /// code): a later stage of the request may.
    Undecided,
    /// The request is not a use of a permission.
    Skipped(Skip),
}

/// Why events or requests were not counted as uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, strum::IntoStaticStr)]
#[strum(serialize_all = "kebab-case")]
pub enum Skip {
    /// The authorizer refused it (decision `forbid`, or code 403 without a
    /// decision).
    Denied,
    /// Its credentials were refused (code 401).
    Unauthenticated,
    /// The event names no user.
    NoUser,
    /// Answered with an error code (400 or more, not 401 or 403) and no
    /// decision annotation: whether it was authorized is not known.
    Failed,
    /// A line or record that is not JSON, or not an audit Event (counted
    /// by record, not by request).
    Unparseable,
}

impl Skip {
    /// Every reason, in order.
    pub const ALL: [Skip; 5] = [
        Skip::Denied,
        Skip::Unauthenticated,
        Skip::NoUser,
        Skip::Failed,
        Skip::Unparseable,
    ];

    /// The reason's name: `denied`, `unauthenticated`, `no-user`, `failed`,
    /// `unparseable`.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

impl Verdict {
    /// What `event` says of its request (the rule of this module's header).
    pub fn of(event: &Event<'_>) -> Verdict {
        let code = event.code();
        if code == Some(401) {
            return Verdict::Skipped(Skip::Unauthenticated);
        }
        let user = event.user.as_ref().and_then(|u| u.username.as_deref());
        if user.is_none_or(str::is_empty) {
            return Verdict::Skipped(Skip::NoUser);
        }
        match event.annotations.decision.as_deref() {
            Some("allow") => Verdict::Allowed,
            Some("forbid") => Verdict::Skipped(Skip::Denied),
            _ => match code {
                None => Verdict::Undecided,
                Some(403) => Verdict::Skipped(Skip::Denied),
                Some(c) if c >= 400 => Verdict::Skipped(Skip::Failed),
                Some(_) => Verdict::Allowed,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(fields: &str) -> Verdict {
        let text = format!(r#"{{"auditID":"a","stage":"ResponseComplete","verb":"get",{fields}}}"#);
        Verdict::of(&serde_json::from_str(&text).unwrap())
    }

    const ALICE: &str = r#""user":{"username":"alice"}"#;

    #[test]
    fn the_decision_annotation_comes_before_the_code() {
        let allow = r#""annotations":{"authorization.k8s.io/decision":"allow"}"#;
        let forbid = r#""annotations":{"authorization.k8s.io/decision":"forbid"}"#;
        assert_eq!(verdict(&format!("{ALICE},{allow}")), Verdict::Allowed);
        // Allowed by the authorizer, refused by admission or not found.
        for code in [403, 404, 409, 500] {
            let status = format!(r#""responseStatus":{{"code":{code}}}"#);
            assert_eq!(
                verdict(&format!("{ALICE},{allow},{status}")),
                Verdict::Allowed
            );
        }
        assert_eq!(
            verdict(&format!(
                r#"{ALICE},{forbid},"responseStatus":{{"code":403}}"#
            )),
            Verdict::Skipped(Skip::Denied)
        );
    }

    #[test]
    fn without_a_decision_the_code_decides() {
        let code = |c: i32| verdict(&format!(r#"{ALICE},"responseStatus":{{"code":{c}}}"#));
        assert_eq!(code(200), Verdict::Allowed);
        assert_eq!(code(201), Verdict::Allowed);
        assert_eq!(code(101), Verdict::Allowed);
        assert_eq!(code(403), Verdict::Skipped(Skip::Denied));
        assert_eq!(code(404), Verdict::Skipped(Skip::Failed));
        assert_eq!(code(401), Verdict::Skipped(Skip::Unauthenticated));
        assert_eq!(verdict(ALICE), Verdict::Undecided);
    }

    #[test]
    fn refused_credentials_are_not_uses_but_an_allowed_anonymous_request_is() {
        assert_eq!(
            verdict(r#""responseStatus":{"code":401}"#),
            Verdict::Skipped(Skip::Unauthenticated)
        );
        // Anonymous authentication: the request is then authorized as
        // system:anonymous in system:unauthenticated, and uses their grants.
        let anonymous =
            r#""user":{"username":"system:anonymous","groups":["system:unauthenticated"]}"#;
        assert_eq!(
            verdict(&format!(
                r#"{anonymous},"annotations":{{"authorization.k8s.io/decision":"allow"}},"responseStatus":{{"code":200}}"#
            )),
            Verdict::Allowed
        );
        assert_eq!(
            verdict(&format!(r#"{anonymous},"responseStatus":{{"code":403}}"#)),
            Verdict::Skipped(Skip::Denied)
        );
        assert_eq!(
            verdict(r#""responseStatus":{"code":200}"#),
            Verdict::Skipped(Skip::NoUser)
        );
        assert_eq!(
            verdict(r#""user":{"username":""}"#),
            Verdict::Skipped(Skip::NoUser)
        );
        assert_eq!(Skip::NoUser.as_str(), "no-user");
    }
}
