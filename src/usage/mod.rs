//! Least privilege from the API server's audit log (`rbacscan unused`):
//! which of its grants each subject used in the log's window, which it
//! never used (the risky ones first), and a proposal of Roles and bindings
//! that allows every request it made and nothing risky it did not, proven
//! by replaying those requests through the authorizer's rules.
//!
//! - [`attribution`]: the grant that allowed each request, in the
//!   authorizer's order (ClusterRoleBindings, then the RoleBindings of the
//!   request's namespace; each binding's rules in order; the first rule
//!   that allows wins), or as the log's reason annotation names it when
//!   that agrees with the snapshot.
//! - [`impersonation`]: the `impersonate` checks an impersonated request
//!   needed, which are uses of the impersonator's grants.
//! - [`escalation`]: the `escalate` and `bind` checks of a write to a
//!   role or a binding, which RBAC's storage makes and the log omits.
//! - [`websocket`]: the `create` check a WebSocket connection to a pod's
//!   `exec`, `attach` or `portforward` needs since Kubernetes 1.35.
//! - [`grants`]: what each subject's bindings grant, as permissions of one
//!   verb, group, resource and scope (and names, for rules that list them).
//! - [`risk`]: what the risk template makes of one permission.
//! - [`proposal`]: the smallest Roles and bindings for what was used, and
//!   the replay that proves them.
//! - [`report`]: the per-subject result, as the report writes it.
//!
//! Pure: no I/O. The log is read by `crate::source::audit` into the
//! requests [`Observed`] describes.

pub mod attribution;
pub mod escalation;
pub mod grants;
pub mod impersonation;
pub mod proposal;
pub mod report;
pub mod risk;
pub mod websocket;

pub use report::{Analysis, Options, analyse};

/// One distinct request the log holds, with how often and when last it
/// was made: the audit log's own record of it ([`crate::audit::Used`]).
pub use crate::audit::Used as Observed;

use crate::audit::RequestRef;
use crate::rbac::rules::{Request, request_is_nameless};

/// The request as the authorizer saw it: a create in a collection or a
/// deletecollection carries no name (the log may record the created
/// object's); a request without a resource is for its URL path.
pub fn authorized<'a>(r: &RequestRef<'a>) -> Request<'a> {
    match r.non_resource_url {
        Some(path) if r.resource.is_empty() => Request::NonResource { verb: r.verb, path },
        _ => Request::Resource {
            verb: r.verb,
            api_group: r.api_group,
            resource: r.resource,
            subresource: r.subresource,
            name: if request_is_nameless(r.verb, r.subresource) {
                ""
            } else {
                r.name
            },
        },
    }
}

/// Whether the request is for a non-resource URL.
pub fn is_non_resource(r: &RequestRef<'_>) -> bool {
    r.non_resource_url.is_some() && r.resource.is_empty()
}
