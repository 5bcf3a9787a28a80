//! The `create` check of a WebSocket connection to a pod.
//!
//! `kubectl exec`, `attach` and `port-forward` over WebSocket open with an
//! HTTP `GET`, which the authorizer sees as `get` on `pods/exec`,
//! `pods/attach` or `pods/portforward`. Since Kubernetes 1.35 (the
//! `AuthorizePodWebsocketUpgradeCreatePermission` feature, on by default)
//! the API server then also checks `create` on the same subresource, as
//! for the SPDY connection made with `POST`. The audit log records the
//! request's verb, `get`, only.
//!
//! So such a `get` is also a use of the grant of `create`, when RBAC
//! grants it: a proposal without it would break these connections on
//! clusters of 1.35 and later, and with it allows nothing the `get` did
//! not already reach (a shell or a port in the pod). When no grant allows
//! `create`, the cluster did not check it (an earlier version, or the
//! feature off), and nothing is counted.

use super::Observed;
use crate::audit::RequestRef;

/// The subresources connected to over WebSocket with a `GET`.
const SUBRESOURCES: [&str; 3] = ["exec", "attach", "portforward"];

/// The `create` check `observed` may have needed: for a `get` on a pod's
/// `exec`, `attach` or `portforward`, the same request with the verb
/// `create`.
pub fn create_check<'a>(observed: &Observed<'a>) -> Option<Observed<'a>> {
    let r = &observed.request;
    let connects = r.verb == "get"
        && r.api_group.is_empty()
        && r.resource == "pods"
        && SUBRESOURCES.contains(&r.subresource)
        && r.non_resource_url.is_none();
    connects.then_some(Observed {
        request: RequestRef {
            verb: "create",
            reason: None,
            ..*r
        },
        ..*observed
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(
        api_group: &'static str,
        resource: &'static str,
        subresource: &'static str,
    ) -> Observed<'static> {
        Observed {
            request: RequestRef {
                user: "jane",
                verb: "get",
                api_group,
                resource,
                subresource,
                namespace: "dev",
                name: "web-0",
                reason: Some("RBAC: allowed by RoleBinding \"x/dev\""),
                ..RequestRef::default()
            },
            count: 4,
            last: jiff::Timestamp::UNIX_EPOCH,
        }
    }

    #[test]
    fn a_websocket_connection_to_a_pod_is_also_a_create_of_the_same_subresource() {
        for sub in ["exec", "attach", "portforward"] {
            let o = get("", "pods", sub);
            let c = create_check(&o).unwrap();
            assert_eq!(c.request.verb, "create");
            assert_eq!(
                (
                    c.request.resource,
                    c.request.subresource,
                    c.request.namespace,
                    c.request.name
                ),
                ("pods", sub, "dev", "web-0")
            );
            assert_eq!((c.count, c.request.user), (4, "jane"));
            // The log's reason was for the get.
            assert_eq!(c.request.reason, None);
        }
    }

    #[test]
    fn other_reads_need_nothing_more() {
        for o in [
            get("", "pods", "log"),
            get("", "pods", ""),
            get("", "nodes", "proxy"),
            get("example.com", "pods", "exec"),
        ] {
            assert!(create_check(&o).is_none(), "{o:?}");
        }
        let mut post = get("", "pods", "exec");
        post.request.verb = "create";
        assert!(create_check(&post).is_none());
    }
}
